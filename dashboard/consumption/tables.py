"""The pages' tables: the summary's customers (rows from consumption.customer_rows, sorted there) and
the alerts (sorted in SQL)."""
import math

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from .models import Alert, Customer
from .templatetags.figures import signed
from .units import HALF_HOURS_PER_DAY, kw, kwh

NUMBER = {"th": {"class": "number"}, "td": {"class": "number"}}


class CustomerTable(tables.Table):
    """Over customer_rows.CustomerRows, a column's accessor naming a CustomerRow field; `days` is the
    period's length. The compared period's columns are shown only when `compared`."""
    COMPARED_COLUMNS = ("previous_kwh", "change_kwh", "change_pct")

    id = tables.Column(verbose_name="Customer")
    area = tables.Column(verbose_name="Area")
    tariff = tables.Column(verbose_name="Tariff")
    total_kwh = tables.Column(verbose_name="Total (kWh)", accessor="period_wh", attrs=NUMBER)
    avg_daily_kwh = tables.Column(verbose_name="Average daily (kWh/day)", accessor="period_avg_daily_wh",
                                  attrs=NUMBER, default="—")
    peak_kw = tables.Column(verbose_name="Peak (kW)", accessor="period_peak_wh", attrs=NUMBER, default="—")
    peak_at = tables.Column(verbose_name="Peak at", accessor="period_peak_at", default="—")
    days = tables.Column(verbose_name="Days with data", accessor="period_days", attrs=NUMBER)
    coverage = tables.Column(verbose_name="Coverage (%)", accessor="period_readings", attrs=NUMBER)
    alerts = tables.Column(verbose_name="Alerts", accessor="period_alerts", attrs=NUMBER)
    group_percentile = tables.Column(verbose_name="Percentile in group", accessor="group_rank", attrs=NUMBER,
                                     default="—")
    # Beside a compared period only.
    previous_kwh = tables.Column(verbose_name="Previous (kWh)", accessor="compared_wh", attrs=NUMBER, default="—")
    change_kwh = tables.Column(verbose_name="Change (kWh)", accessor="change_wh", attrs=NUMBER, default="—")
    change_pct = tables.Column(verbose_name="Change (%)", accessor="change_pct", attrs=NUMBER, default="—")

    class Meta:
        model = Customer
        fields: list[str] = []
        sequence = ("id", "area", "tariff", "total_kwh", "previous_kwh", "change_kwh", "change_pct", "group_percentile",
                    "avg_daily_kwh", "peak_kw", "peak_at", "days", "coverage", "alerts")
        order_by_field = "sort"
        empty_text = "No customers match these filters."

    def __init__(self, *args, days: int, compared: bool = False, **kwargs) -> None:
        super().__init__(*args, exclude=() if compared else self.COMPARED_COLUMNS, **kwargs)
        self.expected_readings = HALF_HOURS_PER_DAY * max(days, 1)

    def page_cells(self) -> list[list[tuple[str, str]]]:
        """The current page's cells as (td class, content) pairs, from the same render_ methods.

        django-tables2's own cell path inspects each render method's signature again for every
        cell; here each column's method is looked up once per page.
        """
        columns = [
            (column.name, str(column.accessor), column.default, column.column.attrs.get("td", {}).get("class", ""),
             getattr(self, f"render_{column.name}", None))
            for column in self.columns
        ]
        rows = []
        for row in self.page.object_list:
            cells = []
            for name, accessor, default, css, render in columns:
                value = getattr(row.record, accessor)
                cells.append((css, default if value is None else render(value) if render else value))
            rows.append(cells)
        return rows

    def export_rows(self):
        """Headers, then every row's values from the value_ methods (as `as_values()`, without its per-cell cost)."""
        columns = [(str(column.accessor), getattr(self, f"value_{column.name}", None)) for column in self.columns]
        yield [column.header for column in self.columns]
        for record in self.data:  # a chunk of rows read at a time: the download starts before all are read
            values = []
            for accessor, value_of in columns:
                value = getattr(record, accessor)
                values.append(value_of(value) if value_of else value)
            yield values

    # Rendered for people: a link to the customer's page; numbers rounded, with thousands separators.
    def render_id(self, value: int) -> str:
        return format_html('<a href="{}">{}</a>', reverse("detail", args=[value]), value)

    def render_total_kwh(self, value: float) -> str:
        return f"{kwh(value):,.1f}"

    def render_avg_daily_kwh(self, value: float) -> str:
        return f"{kwh(value):,.2f}"

    def render_peak_kw(self, value: float) -> str:
        return f"{kw(value):,.2f}"

    def render_peak_at(self, value) -> str:
        return value.strftime("%Y-%m-%d %H:%M")

    def render_coverage(self, value: int) -> str:
        return percent_text(self.coverage_pct(value))

    def render_previous_kwh(self, value: float) -> str:
        return f"{kwh(value):,.1f}"

    def render_change_kwh(self, value: float) -> str:
        return signed(kwh(value), 1)

    def render_change_pct(self, value: float) -> str:
        return signed(value, 1)

    def render_group_percentile(self, value: float) -> str:
        return f"{100 * value:.0f}"

    # Exported for machines: kWh to the Wh, kW to the watt, no separators.
    def value_id(self, value: int) -> int:
        return value

    def value_total_kwh(self, value: float) -> float:
        return round(kwh(value), 3)

    def value_avg_daily_kwh(self, value: float | None) -> float | None:
        return None if value is None else round(kwh(value), 3)

    def value_peak_kw(self, value: float | None) -> float | None:
        return None if value is None else round(kw(value), 3)

    def value_peak_at(self, value) -> str:
        return "" if value is None else value.isoformat(sep=" ", timespec="minutes")

    def value_coverage(self, value: int) -> float:
        return round(self.coverage_pct(value), 2)

    def value_previous_kwh(self, value: float | None) -> float | None:
        return None if value is None else round(kwh(value), 3)

    def value_change_kwh(self, value: float | None) -> float | None:
        return None if value is None else round(kwh(value), 3)

    def value_change_pct(self, value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    def value_group_percentile(self, value: float | None) -> float | None:
        return None if value is None else round(100 * value, 2)

    def coverage_pct(self, readings: int) -> float:
        return 100 * readings / self.expected_readings


def percent_text(percent: float, places: int = 1) -> str:
    """Rounded down, so that 100.0 means complete and 99.97 % never reads as 100.0."""
    scale = 10**places
    return f"{math.floor(percent * scale) / scale:.{places}f}"


class AlertTable(tables.Table):
    """Alerts, each linked to its customer's page over the alert's days; sorted in SQL."""

    customer = tables.Column(verbose_name="Customer", accessor="customer_id", order_by=("customer_id", "first_day"))
    kind = tables.Column(verbose_name="Kind", order_by=("kind", "first_day"))
    first_day = tables.Column(verbose_name="From", order_by=("first_day", "customer_id"))
    last_day = tables.Column(verbose_name="To", orderable=False)
    magnitude = tables.Column(verbose_name="Magnitude", attrs=NUMBER, order_by=("magnitude", "first_day"))
    explanation = tables.Column(verbose_name="Explanation", orderable=False)

    class Meta:
        model = Alert
        fields: list[str] = []
        sequence = ("customer", "kind", "first_day", "last_day", "magnitude", "explanation")
        order_by_field = "sort"
        empty_text = "No alerts match these filters."

    def render_customer(self, value: int, record: Alert) -> str:
        query = urlencode({"from": record.first_day.isoformat(), "to": record.last_day.isoformat()})
        return format_html('<a href="{}?{}">{}</a>', reverse("detail", args=[value]), query, value)

    def render_first_day(self, value, record: Alert) -> str:
        return _moment(record.starts_at, value)

    def render_last_day(self, value, record: Alert) -> str:
        return _moment(record.ends_at, value)

    def render_magnitude(self, value: float) -> str:
        return f"{value:,.2f}"

    # Exported for machines: the customer's id, the kind's code, the half hour where there is one.
    def value_customer(self, value: int) -> int:
        return value

    def value_kind(self, record: Alert) -> str:
        return record.kind  # the code (django-tables2 hands choices' display names as values)

    def value_first_day(self, value, record: Alert) -> str:
        return _moment(record.starts_at, value)

    def value_last_day(self, value, record: Alert) -> str:
        return _moment(record.ends_at, value)

    def value_magnitude(self, value: float) -> float:
        return round(value, 3)


def _moment(half_hour, day) -> str:
    return half_hour.strftime("%Y-%m-%d %H:%M") if half_hour else day.isoformat()
