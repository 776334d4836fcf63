"""The summary page's customer filters: area and tariff (several of each) and a customer id."""
import django_filters
from django import forms

from .forms import CustomerFilterForm, KnownValuesField
from .models import Customer


class KnownValuesFilter(django_filters.MultipleChoiceFilter):
    field_class = KnownValuesField


class CustomerIdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class CustomerFilter(django_filters.FilterSet):
    """Choices come from the data: pass the areas and tariffs present (one query, made by the view)."""

    # No join, so no duplicate rows: without DISTINCT the filtered customers aggregate simply.
    area = KnownValuesFilter(label="Area", distinct=False)
    tariff = KnownValuesFilter(label="Tariff", distinct=False)
    customer = CustomerIdFilter(
        field_name="id", label="Customer",
        min_value=0, max_value=2**31 - 1,
        error_messages=dict.fromkeys(
            ("invalid", "min_value", "max_value"),
            "Customer must be a customer id (a whole number): showing all customers."),
        widget=forms.NumberInput(attrs={"placeholder": "id", "min": 0}),
    )

    class Meta:
        model = Customer
        fields: list[str] = []
        form = CustomerFilterForm

    def __init__(self, data=None, queryset=None, *, areas: list[str], tariffs: list[str], **kwargs) -> None:
        super().__init__(data, queryset, **kwargs)
        self.filters["area"].extra["choices"] = [(area, area) for area in areas]
        self.filters["tariff"].extra["choices"] = [(tariff, tariff) for tariff in tariffs]

    def selection(self) -> dict:
        """The valid filter values: lists of areas and tariffs (empty means all) and a customer id or None."""
        self.form.is_valid()
        cleaned = self.form.cleaned_data
        return {
            "areas": cleaned.get("area") or [],
            "tariffs": cleaned.get("tariff") or [],
            "customer": cleaned.get("customer"),
        }
