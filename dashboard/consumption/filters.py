"""The pages' filters: customers by area and tariff (several of each) and id; alerts by kind too."""
import django_filters
from django import forms

from .forms import FilterForm, KnownValuesField
from .alerts import ALERT_KINDS
from .models import Alert, Customer


class KnownValuesFilter(django_filters.MultipleChoiceFilter):
    field_class = KnownValuesField


class CustomerIdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


def customer_id_filter(field_name: str) -> CustomerIdFilter:
    return CustomerIdFilter(
        field_name=field_name, label="Customer",
        min_value=0, max_value=2**31 - 1,
        error_messages=dict.fromkeys(
            ("invalid", "min_value", "max_value"),
            "Customer must be a customer id (a whole number): showing all customers."),
        widget=forms.NumberInput(attrs={"placeholder": "id", "min": 0}),
    )


class GroupChoicesFilterSet(django_filters.FilterSet):
    """Area and tariff choices come from the data: pass those present (one query, made by the view)."""

    def __init__(self, data=None, queryset=None, *, areas: list[str], tariffs: list[str], **kwargs) -> None:
        super().__init__(data, queryset, **kwargs)
        self.filters["area"].extra["choices"] = [(area, area) for area in areas]
        self.filters["tariff"].extra["choices"] = [(tariff, tariff) for tariff in tariffs]


class CustomerFilter(GroupChoicesFilterSet):
    # No join, so no duplicate rows: without DISTINCT the filtered customers aggregate simply.
    area = KnownValuesFilter(label="Area", distinct=False)
    tariff = KnownValuesFilter(label="Tariff", distinct=False)
    customer = customer_id_filter("id")

    class Meta:
        model = Customer
        fields: list[str] = []
        form = FilterForm


    def selection(self) -> dict:
        """The valid filter values: lists of areas and tariffs (empty means all) and a customer id or None."""
        self.form.is_valid()
        cleaned = self.form.cleaned_data
        return {
            "areas": cleaned.get("area") or [],
            "tariffs": cleaned.get("tariff") or [],
            "customer": cleaned.get("customer"),
        }


class AlertFilter(GroupChoicesFilterSet):
    """The alerts page's filters: kinds, the customer's areas and tariffs, a customer id."""

    kind = KnownValuesFilter(label="Kind", choices=list(ALERT_KINDS.items()), distinct=False)
    area = KnownValuesFilter(field_name="customer__area", label="Area", distinct=False)
    tariff = KnownValuesFilter(field_name="customer__tariff", label="Tariff", distinct=False)
    customer = customer_id_filter("customer_id")

    class Meta:
        model = Alert
        fields: list[str] = []
        form = FilterForm
