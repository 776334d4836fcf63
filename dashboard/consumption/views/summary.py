"""The summary page: headline figures, a consumption chart and a customer table for a filter and period.

One URL serves the whole page, the `results` fragment (figures, chart and table, for a filter change)
and the `table` fragment (sorting and paging); `chart.json` gives the chart's data to other programs.
Every figure comes from the precomputed aggregates, in a fixed number of queries.
"""
from dataclasses import dataclass, field
from datetime import date

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from ..filters import CustomerFilter
from ..comparison import LABELS as COMPARED_LABELS, compared_buckets, compared_period, drawn_series
from ..forms import SummaryParamsForm, nothing_to_compare
from ..alerts import ALERT_KINDS
from ..models import Alert, Customer, GroupAlertBlocks, GroupDaily, GroupHalfHour, GroupRunningTotals
from ..queries import CustomerQuerySet
from ..csv_export import streamed_csv
from ..spread import Spread, spread_by_bucket
from ..statistics import Change
from ..customer_rows import CustomerColumns, CustomerRows, Period, customer_columns
from ..tables import CustomerTable, percent_text
from ..units import HALF_HOUR, HALF_HOURS_PER_DAY, KWH_PER_BUCKET, kw, kwh, next_bucket
from .paging import paginate_table, sort_table
from .styles import COMPARED_DASH

BUCKET_TITLES = {"day": "Day", "week": "Week starting (Monday)", "month": "Month"}
PER_PAGE_CHOICES = (25, 50, 100, 500)
GROUP_COLOURS = ["#2f9e44", "#ae3ec9", "#0c8599", "#c2255c", "#f08c00", "#5c7cfa", "#495057"]
TOP_PEAKS = 10


@dataclass
class Selection:
    """What the query string asks for, validated, with the defaults filled in."""

    filters: CustomerFilter
    params_form: SummaryParamsForm
    customers: CustomerQuerySet
    areas: list[str]
    tariffs: list[str]
    customer: int | None
    start: date
    end: date
    period_given: bool
    granularity: str
    compare: str | None
    spread: bool
    breakdown: str | None
    per_page: int
    page: int
    data_first: date
    data_last: date
    notices: list[str] = field(default_factory=list)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def whole_groups(self) -> bool:
        """Whether the filter takes whole area-and-tariff groups, so that the group tables' sums serve
        it: areas and tariffs do, a filter naming one customer does not."""
        return self.customer is None

    @property
    def period(self) -> tuple[date, date] | tuple[None, None]:
        """The period for per-customer totals, within the data's days: none means the whole history."""
        if not self.period_given:
            return None, None
        return max(self.start, self.data_first), min(self.end, self.data_last)

    @property
    def compared(self) -> tuple[date, date] | None:
        """The period compared with this one, as asked; None when no comparison is asked."""
        return compared_period(self.start, self.end, self.compare) if self.compare else None

    @property
    def compared_within_data(self) -> tuple[date, date] | tuple[None, None]:
        """The compared period cut to the data's days: (None, None) when nothing of it is left."""
        start, end = self.compared
        start, end = max(start, self.data_first), min(end, self.data_last)
        return (start, end) if start <= end else (None, None)


@require_safe
def summary(request: HttpRequest) -> HttpResponse:
    selection = _selection(request)
    if request.GET.get("_export") == "csv":
        return _csv_export(request, selection)
    if selection is None:
        response = render(request, "consumption/summary.html", {"has_data": False})
    else:
        response = _render_page(request, selection)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
def chart_json(request: HttpRequest) -> JsonResponse:
    selection = _selection(request)
    if selection is None:
        return JsonResponse({"unit": "kWh", "granularity": "day", "labels": [], "datasets": [
            {"label": "Total", "data": []}, {"label": "Average per customer", "data": []}],
            "notices": ["No readings have been imported yet."]})
    counts = _counts(selection)
    spec = _chart(selection, counts["with_data"], _compared_totals(selection))
    return JsonResponse({
        "unit": "kWh", "granularity": selection.granularity, "labels": spec["labels"],
        "datasets": spec["datasets"], "from": selection.start, "to": selection.end,
        "customers_with_data": counts["with_data"], "notices": selection.notices,
    })


def _render_page(request: HttpRequest, selection: Selection) -> HttpResponse:
    context = {"has_data": True, "selection": selection, "filter": selection.filters,
               "params": selection.params_form, "per_page_choices": PER_PAGE_CHOICES,
               "default_per_page": SummaryParamsForm.DEFAULT_PER_PAGE, "half_hours_per_day": HALF_HOURS_PER_DAY}
    htmx = request.htmx
    context |= _customer_table(request, selection)
    if htmx and not htmx.history_restore_request and htmx.target == "customer-table":
        return render(request, "consumption/summary.html#table", context)
    columns = context["table"].data.columns
    counts = {"customers": len(columns), "with_data": columns.with_data()}
    compared = _compared_totals(selection)
    context |= {"figures": _figures(selection, counts, compared),
                "chart": _chart(selection, counts["with_data"], compared)}
    if htmx and not htmx.history_restore_request:
        return render(request, "consumption/summary.html#results", context)
    return render(request, "consumption/summary.html", context)


def _selection(request: HttpRequest) -> Selection | None:
    """Validate the query string; None when no readings have been imported."""
    data_first, data_last = GroupDaily.objects.bounds()
    if data_first is None:
        return None
    areas, tariffs = Customer.objects.areas_and_tariffs()
    filters = CustomerFilter(request.GET, Customer.objects.all(), areas=areas, tariffs=tariffs)
    params_form = SummaryParamsForm(request.GET)
    params = params_form.params()
    chosen = filters.selection()
    start, end = params_form.period(data_first, data_last)
    return Selection(
        filters=filters, params_form=params_form, customers=filters.qs,
        areas=chosen["areas"], tariffs=chosen["tariffs"], customer=chosen["customer"],
        start=start, end=end, period_given=bool(params["from"] or params["to"]),
        granularity=params["granularity"], compare=params["compare"], spread=params["spread"],
        breakdown=params["breakdown"],
        per_page=params["per_page"], page=params["page"], data_first=data_first, data_last=data_last,
        notices=filters.form.notices() + params_form.notices(),
    )


def _counts(selection: Selection) -> dict:
    """How many customers the filter takes, and how many of them have readings in the period (or ever)."""
    if selection.whole_groups and selection.period_given:
        with_data = (GroupRunningTotals.objects.for_groups(selection.areas, selection.tariffs)
                     .period_totals(*selection.period).customer_ids)
        return {"customers": selection.customers.count(), "with_data": len(with_data)}
    return selection.customers.counts(*selection.period)


def _customer_table(request: HttpRequest, selection: Selection, paged: bool = True) -> dict:
    """The table of every filtered customer, sorted as asked and, when `paged`, cut to the page
    asked; with notices for what could not be done."""
    period = Period(max(selection.start, selection.data_first), min(selection.end, selection.data_last),
                    alerts_start=selection.start, alerts_end=selection.end)
    columns = customer_columns(selection.customers, selection.areas, selection.tariffs, selection.customer, period,
                               selection.compared_within_data if selection.compare else None)
    table = CustomerTable(CustomerRows(columns, selection.customers, period), days=selection.days,
                          compared=bool(selection.compare))
    notices = sort_table(request, table, "table", "sorted by customer id instead")
    if paged:
        notices += paginate_table(table, selection.page, request.GET, per_page=selection.per_page)
    return {"table": table, "table_notices": notices}


def _totals(selection: Selection, start: date, end: date) -> dict:
    """The filtered customers' Wh, readings and customer-days with readings over start..end."""
    if selection.whole_groups:
        return GroupDaily.objects.for_groups(selection.areas, selection.tariffs).for_period(start, end).totals()
    return selection.customers.daily_totals(start, end)


def _average_daily_kwh(totals: dict) -> float | None:
    return kwh(totals["wh"]) / totals["customer_days"] if totals["customer_days"] else None


def _compared_totals(selection: Selection) -> dict | None:
    """The filtered customers' totals over the compared period (with its `start` and `end`); None
    when no comparison is asked, or, with a notice, when that period holds no readings."""
    if not selection.compare:
        return None
    start, end = selection.compared
    totals = _totals(selection, start, end)
    if not totals["readings"]:
        selection.notices.append(nothing_to_compare(start, end))
        return None
    return totals | {"start": start, "end": end}


def _figures(selection: Selection, counts: dict, compared: dict | None) -> dict:
    """Headline figures: totals, average daily kWh per customer-day with data, peak demand, coverage;
    beside a compared period, the change of the first two; and the period's highest half hours."""
    totals = _totals(selection, selection.start, selection.end)
    if selection.whole_groups:
        peaks = (GroupHalfHour.objects.for_groups(selection.areas, selection.tariffs)
                 .for_period(selection.start, selection.end).highest(TOP_PEAKS))
    else:
        peaks = selection.customers.highest_half_hours(selection.start, selection.end, TOP_PEAKS)
    peak = peaks[0] if peaks else None
    expected = HALF_HOURS_PER_DAY * selection.days * counts["customers"]
    changes = None
    if compared is not None:
        changes = {
            "start": compared["start"], "end": compared["end"],
            "total_kwh": Change(kwh(totals["wh"]), kwh(compared["wh"])),
            "avg_daily_kwh": Change(_average_daily_kwh(totals), _average_daily_kwh(compared)),
        }
    return {
        "customers": counts["customers"],
        "customers_with_data": counts["with_data"],
        "total_kwh": kwh(totals["wh"]),
        "customer_days": totals["customer_days"],
        "avg_daily_kwh": _average_daily_kwh(totals),
        "changes": changes,
        "peak_kw": kw(peak["wh"]) if peak else None,
        "peak_at": peak["timestamp"] if peak else None,
        "peak_until": peak["timestamp"] + HALF_HOUR if peak else None,
        "readings": totals["readings"],
        "expected_readings": expected,
        "coverage_pct": percent_text(100 * totals["readings"] / expected, 2) if expected else None,
        "alerts": _alert_figures(selection),
        "top_peaks": [
            {"start": row["timestamp"], "end": row["timestamp"] + HALF_HOUR,
             "kw": kw(row["wh"]), "day": row["timestamp"].date()}
            for row in peaks
        ],
    }


def _alert_figures(selection: Selection) -> dict:
    """Customers with alerts in the period, in all and by kind, each with a link to those alerts."""
    if selection.whole_groups:
        customers, by_kind = (GroupAlertBlocks.objects.for_groups(selection.areas, selection.tariffs)
                              .customers_by_kind(selection.start, selection.end))
    else:
        alerts = Alert.objects.filter(customer__in=selection.customers.order_by().values("pk"))
        customers, by_kind = alerts.for_period(selection.start, selection.end).customers_by_kind()
    query = {"from": selection.start.isoformat(), "to": selection.end.isoformat(), "area": selection.areas,
             "tariff": selection.tariffs, "customer": selection.customer or ""}
    return {
        "customers": customers,
        "url": reverse("alerts") + "?" + urlencode(query, doseq=True),
        "kinds": [(ALERT_KINDS[kind], count, reverse("alerts") + "?" + urlencode(query | {"kind": kind}, doseq=True))
                  for kind, count in sorted(by_kind.items(), key=lambda item: -item[1])],
    }


def _series(selection: Selection, start: date, end: date, breakdown: str | None, granularity: str | None = None):
    """The filtered customers' Wh per bucket of `granularity` (the selection's) over start..end."""
    granularity = granularity or selection.granularity
    if selection.whole_groups:
        return (GroupDaily.objects.for_groups(selection.areas, selection.tariffs)
                .for_period(start, end).series(granularity, breakdown))
    return selection.customers.daily_series(start, end, granularity, breakdown)


def _chart(selection: Selection, customers_with_data: int, compared: dict | None = None) -> dict:
    """The chart spec charts.js draws (and chart.json returns): Total first, then Average per customer,
    then one series per area or tariff when broken down, then when asked the spread across customers
    (10th and 90th percentile as a band, and the median), then the compared period's total, dotted,
    its days drawn into the buckets of the days they sit beside (consumption.comparison). Buckets
    without data are null (a gap)."""
    rows = _series(selection, selection.start, selection.end, selection.breakdown)
    totals: dict[date, float] = {}
    groups: dict[str, dict[date, float]] = {}
    for row in rows:
        bucket = row["period"]
        totals[bucket] = totals.get(bucket, 0.0) + row["wh"]
        if selection.breakdown:
            groups.setdefault(row[selection.breakdown], {})[bucket] = row["wh"]
    buckets = _buckets(selection, totals)

    def rounded_kwh(wh: float | None, divisor: int = 1) -> float | None:
        return None if wh is None else round(kwh(wh) / divisor, 3)

    # Total as bars; the lines (drawn over them, `order` 0) are the average on its own axis and the groups.
    datasets = [
        {"label": "Total", "type": "bar", "order": 1, "backgroundColor": "rgba(31, 111, 235, 0.35)",
         "borderWidth": 0, "data": [rounded_kwh(totals.get(b)) for b in buckets]},
        {"label": "Average per customer", "type": "line", "order": 0, "yAxisID": "y2", "color": "#e8590c",
         "data": [rounded_kwh(totals.get(b), customers_with_data) for b in buckets] if customers_with_data else []},
    ]
    for index, name in enumerate(sorted(groups)):
        datasets.append({"label": f"{selection.breakdown.capitalize()} {name}", "type": "line", "order": 0,
                         "color": GROUP_COLOURS[index % len(GROUP_COLOURS)],
                         "data": [rounded_kwh(groups[name].get(b)) for b in buckets]})
    label = (lambda b: b.strftime("%Y-%m")) if selection.granularity == "month" else date.isoformat
    if selection.spread:
        datasets += _spread_datasets(selection, totals, buckets)
    if compared is not None:
        days = [(row["period"], row["wh"])
                for row in _series(selection, compared["start"], compared["end"], None, "day")]
        drawn = compared_buckets(days, selection.compare, selection.granularity, (selection.start, selection.end),
                                 compared["start"])
        dates, wh = drawn_series(drawn, buckets)
        datasets.append({"label": f"Total, {COMPARED_LABELS[selection.compare]}", "type": "line", "order": 0,
                         "color": "#1f6feb", "borderDash": COMPARED_DASH, "dates": dates,
                         "data": [rounded_kwh(value) for value in wh]})
    return {
        "type": "bar", "unit": "kWh", "labels": [label(b) for b in buckets], "datasets": datasets,
        "xTitle": BUCKET_TITLES[selection.granularity],
        "yTitle": f"Total ({KWH_PER_BUCKET[selection.granularity]})",
        "y2Title": f"Average per customer ({KWH_PER_BUCKET[selection.granularity]})",
    }


def _spread_datasets(selection: Selection, totals: dict[date, float], buckets: list[date]) -> list[dict]:
    """The 10th to 90th percentile of the customers' totals as a band, and the median, per bucket, on
    the per-customer axis; one customer is their own spread."""
    if selection.whole_groups:
        spread = spread_by_bucket(selection.areas, selection.tariffs, selection.granularity,
                                  selection.start, selection.end, (selection.data_first, selection.data_last))
    else:
        spread = {bucket: Spread(wh, wh, wh) for bucket, wh in totals.items()}

    def line(label: str, field: str, **style) -> dict:
        values = [spread.get(bucket) for bucket in buckets]
        return {"label": label, "type": "line", "order": 0, "yAxisID": "y2", "pointRadius": 0, "borderWidth": 1,
                "data": [None if value is None else round(kwh(getattr(value, field)), 3) for value in values], **style}

    band = "rgba(12, 133, 153, 0.15)"
    return [
        line("10th percentile of customers", "low", color="#0c8599", backgroundColor=band),
        line("90th percentile of customers", "high", color="#0c8599", backgroundColor=band, fill="-1"),
        line("Median customer", "median", color="#0c8599", borderWidth=2),
    ]


def _buckets(selection: Selection, found: dict[date, float]) -> list[date]:
    """Every day, week or month from the first to the last bucket with data in the period, gaps included."""
    if not found:
        return []
    first, last, buckets = min(found), max(found), []
    bucket = first
    while bucket <= last:
        buckets.append(bucket)
        bucket = next_bucket(bucket, selection.granularity)
    return buckets


def _csv_export(request: HttpRequest, selection: Selection | None) -> StreamingHttpResponse:
    """Every customer of the filter, sorted as on the page, with all columns and units in the headers
    (only the headers while nothing has been imported), streamed as the rows are read."""
    if selection is None:
        rows = CustomerRows(CustomerColumns.empty(), Customer.objects.none(), Period(date.min, date.min, date.min, date.min))
        table, name = CustomerTable(rows, days=1), "customers.csv"
    else:
        table = _customer_table(request, selection, paged=False)["table"]
        name = f"customers_{selection.start.isoformat()}_{selection.end.isoformat()}.csv"
    return streamed_csv(table.export_rows(), name)
