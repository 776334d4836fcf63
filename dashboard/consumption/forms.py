"""Forms validating the pages' GET parameters."""
from datetime import date

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator


class DetailParamsForm(forms.Form):
    """The detail page's query string: granularity of the over-time chart and an inclusive period."""

    GRANULARITIES = [("halfhour", "Half-hour"), ("day", "Day"), ("week", "Week"), ("month", "Month")]

    granularity = forms.ChoiceField(choices=GRANULARITIES, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so the period's fields cannot be class attributes.
        self.fields["from"] = forms.DateField(required=False, label="From", input_formats=["%Y-%m-%d"],
                                              widget=forms.DateInput(attrs={"type": "date"}))
        self.fields["to"] = forms.DateField(required=False, label="To", input_formats=["%Y-%m-%d"],
                                            widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("to", "The end of the period is before its start.")
        return cleaned


class KnownValuesField(forms.MultipleChoiceField):
    """Several values, where one that is not among the choices is dropped (and kept in `dropped`)
    instead of failing the whole field: a bookmark naming an area that has since gone still
    filters on the areas that remain."""

    widget = forms.CheckboxSelectMultiple

    def clean(self, value) -> list[str]:
        values = self.to_python(value)
        self.dropped = [item for item in values if not self.valid_value(item)]
        return super().clean([item for item in values if self.valid_value(item)])


class CustomerFilterForm(forms.Form):
    """The summary's customer filters (the FilterSet adds the fields): what was ignored, and why."""

    def notices(self) -> list[str]:
        self.is_valid()
        notices = [message for errors in self.errors.values() for message in errors]
        for name, field in self.fields.items():
            for value in getattr(field, "dropped", []):
                notices.append(f"No {field.label.lower()} “{value}” in the data: ignored.")
        return notices


class SummaryParamsForm(forms.Form):
    """The summary's other parameters: period, chart granularity and breakdown, table paging.

    A bad value never fails the page: `params()` falls back to the default and `notices()` says so.
    """

    GRANULARITIES = [("day", "Day"), ("week", "Week"), ("month", "Month")]
    BREAKDOWNS = [("", "None"), ("area", "Area"), ("tariff", "Tariff")]
    DEFAULT_PER_PAGE = 25
    MAX_PER_PAGE = 500
    EARLIEST = date(1900, 1, 1)
    LATEST = date(2999, 12, 31)

    granularity = forms.ChoiceField(
        choices=GRANULARITIES, required=False,
        error_messages={"invalid_choice": "Granularity “%(value)s” is not day, week or month: showing days."},
    )
    breakdown = forms.ChoiceField(
        choices=BREAKDOWNS, required=False, label="Break down by",
        error_messages={"invalid_choice": "Breakdown “%(value)s” is not area or tariff: showing no breakdown."},
    )
    per_page = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_PER_PAGE,
        error_messages=dict.fromkeys(
            ("invalid", "min_value", "max_value"),
            f"Rows per page must be a whole number from 1 to {MAX_PER_PAGE}: showing {DEFAULT_PER_PAGE}.",
        ),
    )
    page = forms.IntegerField(
        required=False, min_value=1,
        error_messages=dict.fromkeys(
            ("invalid", "min_value"), "The page must be a whole number from 1: showing the first page."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so the period's fields cannot be class attributes.
        for name, label, side in (("from", "From", "starts"), ("to", "To", "ends")):
            message = (f"“{label}” must be a date from {self.EARLIEST} to {self.LATEST}, written like "
                       f"2016-07-15: the period {side} with the data.")
            # Bounded, so that date arithmetic on the period can never leave the calendar.
            self.fields[name] = forms.DateField(
                required=False, label=label, input_formats=["%Y-%m-%d"],
                widget=forms.DateInput(attrs={"type": "date"}),
                validators=[MinValueValidator(self.EARLIEST, message), MaxValueValidator(self.LATEST, message)],
                error_messages={"invalid": message},
            )
        self.swapped = False

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            cleaned["from"], cleaned["to"] = end, start
            self.swapped = True
        return cleaned

    def params(self) -> dict:
        """The cleaned parameters, each bad or missing one replaced by its default."""
        self.is_valid()
        cleaned = self.cleaned_data
        return {
            "from": cleaned.get("from"),
            "to": cleaned.get("to"),
            "granularity": cleaned.get("granularity") or "day",
            "breakdown": cleaned.get("breakdown") or None,
            "per_page": cleaned.get("per_page") or self.DEFAULT_PER_PAGE,
            "page": cleaned.get("page") or 1,
        }

    def notices(self) -> list[str]:
        self.is_valid()
        notices = [message for errors in self.errors.values() for message in errors]
        if self.swapped:
            notices.append("The period’s start was after its end: the two dates were swapped.")
        return notices
