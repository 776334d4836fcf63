"""Forms validating the pages' GET parameters.

A bad value never fails a page: the form falls back to the default and `notices()` says what was
ignored and why, in the same words on every page.
"""
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from .comparison import LABELS as COMPARED_LABELS

QUOTED_LENGTH = 40  # a bad value is named in a notice, never echoed at any length


def quoted(value: str) -> str:
    """A value given in the query string as a notice may name it: cut to QUOTED_LENGTH characters."""
    return value if len(value) <= QUOTED_LENGTH else value[:QUOTED_LENGTH] + "…"


class NamedChoiceField(forms.ChoiceField):
    """A choice whose notice names the value given, quoted()."""

    def validate(self, value) -> None:
        if value and not self.valid_value(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                  params={"value": quoted(value)})
        super().validate(value)


def granularity_field(choices: list[tuple[str, str]]) -> NamedChoiceField:
    names = [label.lower() for _, label in choices]
    return NamedChoiceField(
        choices=choices, required=False,
        error_messages={"invalid_choice": f"Granularity “%(value)s” is not {', '.join(names[:-1])} or {names[-1]}: "
                                          "showing days."},
    )


def page_field() -> forms.IntegerField:
    return forms.IntegerField(
        required=False, min_value=1,
        error_messages=dict.fromkeys(
            ("invalid", "min_value"), "The page must be a whole number from 1: showing the first page."),
    )


class ParamsForm(forms.Form):
    """Query-string parameters: each bad one is left out of cleaned_data, and named by notices()."""

    def notices(self) -> list[str]:
        self.is_valid()
        return [message for errors in self.errors.values() for message in errors]


class ImportRunsParamsForm(ParamsForm):
    page = page_field()


class ImportRunParamsForm(ParamsForm):
    """The files of one import run: a page, and optionally one status."""

    page = page_field()
    status = NamedChoiceField(
        choices=[("", "All")], required=False,
        error_messages={"invalid_choice": "Status “%(value)s” is not a file status: showing every file."},
    )

    def __init__(self, *args, statuses: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "All"), *statuses]


class ImportFileParamsForm(ParamsForm):
    """A file's rejected rows and superseded duplicates, each paged on its own."""

    page = page_field()
    superseded_page = page_field()


COMPARISONS = [("", "Nothing"), *((value, label.capitalize()) for value, label in COMPARED_LABELS.items())]


def nothing_to_compare(start: date, end: date) -> str:
    """The notice for a compared period without readings, alike on every page."""
    return (f"No readings in the compared period, {start.day} {start:%b %Y} – {end.day} {end:%b %Y}: "
            "no changes are shown.")


class PeriodForm(ParamsForm):
    """An inclusive period (`from`, `to`), read alike on every page that takes one.

    One rule for a period given end first, on every page: the two dates are swapped, with a notice.
    """

    # Bounded, so that date arithmetic on the period can never leave the calendar.
    EARLIEST = date(1900, 1, 1)
    LATEST = date(2999, 12, 31)
    SWAPPED = "The period’s start was after its end: the two dates were swapped."

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so the period's fields cannot be class attributes.
        for name, label, side in (("from", "From", "starts"), ("to", "To", "ends")):
            message = (f"“{label}” must be a date from {self.EARLIEST} to {self.LATEST}, written like "
                       f"2016-07-15: the period {side} with the data.")
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
            # A page that renders this form shows the period as applied, not as given.
            self.data = self.data.copy()
            self.data["from"], self.data["to"] = self.data["to"], self.data["from"]
        return cleaned

    def notices(self) -> list[str]:
        return super().notices() + ([self.SWAPPED] if self.swapped else [])


class ChartParamsForm(PeriodForm):
    """The period, a chart granularity and a period to compare it with (consumption.comparison): the
    parameters the summary and detail pages share."""

    GRANULARITIES = [("day", "Day"), ("week", "Week"), ("month", "Month")]
    DEFAULT_GRANULARITY = "day"

    granularity = granularity_field(GRANULARITIES)
    compare = NamedChoiceField(
        choices=COMPARISONS, required=False, label="Compare with",
        error_messages={"invalid_choice": "Comparison “%(value)s” is not previous or year: nothing is compared."},
    )

    def params(self) -> dict:
        """The cleaned parameters, each bad or missing one replaced by its default (None: not given)."""
        self.is_valid()
        cleaned = self.cleaned_data
        return {
            "from": cleaned.get("from"),
            "to": cleaned.get("to"),
            "granularity": cleaned.get("granularity") or self.DEFAULT_GRANULARITY,
            "compare": cleaned.get("compare") or None,
        }

    def period(self, first: date | None, last: date | None) -> tuple[date | None, date | None]:
        """The period to show: an end not given is the data's `first` or `last` date; a single date
        given beyond the data's other end makes a one-day period on that date."""
        params = self.params()
        start, end = params["from"] or first, params["to"] or last
        if start and end and start > end:
            start, end = (start, start) if params["from"] else (end, end)
        return start, end


class AlertParamsForm(PeriodForm):
    """The alerts page's period (alerts whose days meet it) and page."""

    page = page_field()


class DetailParamsForm(ChartParamsForm):
    """The detail page's query string: the period, and a granularity down to the half hour."""

    GRANULARITIES = [("halfhour", "Half-hour"), *ChartParamsForm.GRANULARITIES]

    granularity = granularity_field(GRANULARITIES)


class KnownValuesField(forms.MultipleChoiceField):
    """Several values, where one that is not among the choices is dropped (and kept in `dropped`)
    instead of failing the whole field: a bookmark naming an area that has since gone still
    filters on the areas that remain."""

    widget = forms.CheckboxSelectMultiple

    def clean(self, value) -> list[str]:
        values = self.to_python(value)
        self.dropped = [item for item in values if not self.valid_value(item)]
        return super().clean([item for item in values if self.valid_value(item)])


class FilterForm(forms.Form):
    """The form of the summary's and the alerts' filters (their FilterSet adds the fields): what was ignored, and why."""

    def notices(self) -> list[str]:
        self.is_valid()
        notices = [message for errors in self.errors.values() for message in errors]
        for name, field in self.fields.items():
            for value in getattr(field, "dropped", []):
                notices.append(f"No {field.label.lower()} “{value}” in the data: ignored.")
        return notices


class SummaryParamsForm(ChartParamsForm):
    """The summary's other parameters beside the period: the chart's breakdown and spread, the table's paging."""

    BREAKDOWNS = [("", "None"), ("area", "Area"), ("tariff", "Tariff")]
    DEFAULT_PER_PAGE = 25
    MAX_PER_PAGE = 500

    breakdown = NamedChoiceField(
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
    page = page_field()
    # Ticked, the box sends spread=1, as the page's links write it, not the browser's default "on".
    spread = forms.BooleanField(required=False, label="Spread across customers",
                                widget=forms.CheckboxInput(attrs={"value": "1"}))

    def params(self) -> dict:
        period = super().params()  # validates the form
        cleaned = self.cleaned_data
        return period | {
            "spread": bool(cleaned.get("spread")),
            "breakdown": cleaned.get("breakdown") or None,
            "per_page": cleaned.get("per_page") or self.DEFAULT_PER_PAGE,
            "page": cleaned.get("page") or 1,
        }
