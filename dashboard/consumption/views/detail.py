"""The customer detail page: one customer's consumption, statistics, profile, heatmap and data quality."""
from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime, time, timedelta
from itertools import chain

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from .. import peers
from .. import statistics as stats
from ..alerts import Thresholds
from ..csv_export import streamed_csv
from ..comparison import LABELS as COMPARED_LABELS, compared_buckets, compared_period, drawn_series
from ..forms import COMPARISONS, DetailParamsForm, nothing_to_compare
from ..models import Alert, Customer, DailyConsumption, ImportFile, Reading, RejectedRow, SupersededReading
from ..parsing import timestamp_text
from ..units import BASE_LOAD_READINGS, HALF_HOUR, HALF_HOURS_PER_DAY, KWH_PER_BUCKET, SLOTS, bucket_start, kw, kwh
from .styles import COMPARED_DASH, PEER_DASH

# Rejected rows and superseded duplicates listed on the page; the rest are counted.
QUALITY_ROWS_SHOWN = 50
HIGHEST_HALF_HOURS = 10
PERIOD_FORMATS = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m"}  # the over-time chart's labels


@dataclass(frozen=True)
class Params:
    """The validated query string, with defaults where a value was missing or malformed."""

    granularity: str
    start: date | None
    end: date | None
    compare: str | None
    notices: list[str]
    chosen: dict[str, date | str]  # the period and comparison given in the query string, so links keep an open period open

    @property
    def compared(self) -> tuple[date, date] | None:
        """The period compared with this one, as asked; None when none is asked or there is no period."""
        if self.compare is None or self.start is None or self.end is None:
            return None
        return compared_period(self.start, self.end, self.compare)

    @cached_property
    def data_bounds(self) -> tuple[date | None, date | None]:
        """The first and last day of anyone's readings, asked once and only when peers' figures are needed."""
        return peers.data_bounds()

    def query(self, **changes: str) -> str:
        values = {"granularity": self.granularity} | self.chosen | changes
        return "?" + urlencode({name: value for name, value in values.items() if value})


@require_safe
def detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(customer_id)
    params = _params(request, customer)
    if request.GET.get("_export") == "csv":
        return _csv_export(customer, params)
    # The granularity switch swaps the over-time chart alone, the period form every figure of the period.
    target = request.htmx.target if request.htmx and not request.htmx.history_restore_request else None
    context = {
        "customer": customer,
        "params": params,
        "granularity_links": [
            (value, label, params.query(granularity=value)) for value, label in DetailParamsForm.GRANULARITIES
        ],
        "csv_query": params.query(_export="csv"),
        "compare_choices": COMPARISONS,
        "half_hours_per_day": HALF_HOURS_PER_DAY,
        "base_load_readings": BASE_LOAD_READINGS,
    }
    alerts = list(Alert.objects.filter(customer=customer).for_period(params.start, params.end).order_by("first_day", "kind"))
    if target == "overtime":
        template = "consumption/detail.html#overtime"
        series = _series(customer, params)
    else:
        readings = _readings(customer, params)
        context |= _period_context(customer, params, readings)
        series = _series(customer, params, readings)
        context["alerts"] = alerts
        context["notices"] = params.notices
        if params.compared is not None and context["changes"] is None:
            context["notices"] = [*params.notices, nothing_to_compare(*params.compared)]
        context["history_weeks"] = Thresholds.configured().history_weeks
        context["short_history"] = _too_short_to_judge(customer, context["history_weeks"])
        if target == "period":
            template = "consumption/detail.html#period"
        else:
            template = "consumption/detail.html"
            context |= _data_quality(customer)
            context["coverage"] = stats.coverage_percent(
                customer.readings_count,
                customer.first_reading_at and customer.first_reading_at.date(),
                customer.last_reading_at and customer.last_reading_at.date(),
            )
    context["overtime_chart"] = _overtime_chart(series, params, alerts)
    context["overtime_compared"] = bool(series.compared)
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@require_safe
def detail_chart_json(request: HttpRequest, customer_id: int) -> JsonResponse:
    """The over-time series as JSON: this customer first, then the median of their area peers."""
    customer = _customer_or_404(customer_id)
    params = _params(request, customer)
    series = _series(customer, params)
    body = {"unit": "kWh", "granularity": params.granularity, "labels": series.labels,
            "datasets": series.datasets}
    notices = params.notices + ([nothing_to_compare(*params.compared)] if series.compared is False else [])
    if notices:
        body["notices"] = notices
    return JsonResponse(body)


def _customer_or_404(customer_id: int) -> Customer:
    customer = Customer.objects.select_related("source_file").filter(pk=customer_id).first()
    if customer is None:
        raise Http404(f"There is no customer {customer_id}.")
    return customer


def _params(request: HttpRequest, customer: Customer) -> Params:
    """Granularity and period from the query string, the period defaulting to the customer's readings."""
    form = DetailParamsForm(request.GET)
    given = form.params()
    first = customer.first_reading_at.date() if customer.first_reading_at else None
    last = customer.last_reading_at.date() if customer.last_reading_at else None
    start, end = form.period(first, last)
    return Params(
        granularity=given["granularity"],
        start=start,
        end=end,
        compare=given["compare"],
        notices=form.notices(),
        chosen={name: given[name] for name in ("from", "to", "compare") if given[name]},
    )


@dataclass(frozen=True)
class Series:
    labels: list[str]
    datasets: list[dict]
    x_ms: list[int] | None = None  # half-hour granularity: each reading's start, for a linear axis
    # None: nothing compared (or by the half hour); False: the compared period has no readings of the customer.
    compared: bool | None = None


def _series(customer: Customer, params: Params, readings: list | None = None) -> Series:
    """kWh per half hour, day, week or month; beside the daily and longer ones, the area peers' median
    and, when asked, the customer's own compared period, its days drawn into the buckets of the days
    they sit beside (consumption.comparison)."""
    label = f"Customer {customer.pk}"
    if params.granularity == "halfhour":
        if readings is None:
            readings = _readings(customer, params)
        return Series(
            labels=[f"{timestamp:%Y-%m-%dT%H:%M}" for timestamp, _ in readings],
            datasets=[{"label": label, "data": [kwh(wh) for _, wh in readings]}],
            x_ms=[stats.epoch_ms(timestamp) for timestamp, _ in readings],
        )
    own = list(
        DailyConsumption.objects.filter(customer=customer).for_period(params.start, params.end).series(params.granularity)
    )
    periods = [row["period"] for row in own]
    median = peers.series_median(customer, params.granularity, own, params.start, params.end) if own else []

    def label_of(period: date) -> str:
        return period.strftime(PERIOD_FORMATS[params.granularity])

    datasets = [
        {"label": label, "data": [kwh(row["wh"]) for row in own]},
        {"label": f"Median of area {customer.area} peers", "data": [kwh(wh) for wh in median]},
    ]
    compared = None
    if params.compared is not None:
        days = list(
            DailyConsumption.objects.filter(customer=customer).for_period(*params.compared).values_list("date", "wh")
        )
        compared = bool(days)
        if days:
            drawn = compared_buckets(days, params.compare, params.granularity, (params.start, params.end),
                                     params.compared[0])
            dates, wh = drawn_series(drawn, periods)
            datasets.append({"label": f"{label}, {COMPARED_LABELS[params.compare]}", "dates": dates,
                             "data": [kwh(value) for value in wh]})
    return Series(labels=[label_of(period) for period in periods], datasets=datasets, compared=compared)


def _readings(customer: Customer, params: Params) -> list[tuple[datetime, float]]:
    return list(
        Reading.objects.filter(customer=customer).for_period(params.start, params.end)
        .as_written()
    )




def _overtime_chart(series: Series, params: Params, alerts: list[Alert]) -> dict:
    spec = {"unit": "kWh", "labels": series.labels, "datasets": series.datasets,
            "yTitle": KWH_PER_BUCKET[params.granularity]}
    if params.granularity == "halfhour":
        # Drawn on a linear time axis with decimation, so a year's 17,520 points stay smooth.
        spec |= {"type": "timeseries", "x": series.x_ms, "labels": []}
        if alerts and series.x_ms:
            spec["datasets"].append(_alert_points(series, alerts))
        return spec
    spec["datasets"][1] |= {"borderDash": PEER_DASH, "color": "#5b6475"}
    for compared in spec["datasets"][2:]:
        compared |= {"type": "line", "borderDash": COMPARED_DASH, "color": "#0b7285", "order": -1}
    if alerts:
        spec["datasets"].append(_alert_marks(series, alerts, params.granularity))
    return spec | {"type": "line" if params.granularity == "day" else "bar"}


ALERT_MARKS = {"label": "Alerts", "type": "line", "showLine": False, "pointStyle": "triangle", "pointRadius": 7,
               "color": "#c92a2a", "order": -1}


def _alert_marks(series: "Series", alerts: list[Alert], granularity: str) -> dict:
    """A point on the customer's own series in each bucket where an alert starts."""
    marked = {bucket_start(alert.first_day, granularity).strftime(PERIOD_FORMATS[granularity]) for alert in alerts}
    own = series.datasets[0]["data"]
    return ALERT_MARKS | {"data": [value if label in marked else None for label, value in zip(series.labels, own)]}


def _alert_points(series: "Series", alerts: list[Alert]) -> dict:
    """On the half-hour chart, a point at the half hour where each alert in view starts (an alert of
    whole days: their first half hour), on the customer's line, or at 0 where no reading is (a gap)."""
    own = dict(zip(series.x_ms, series.datasets[0]["data"]))
    first, last = series.x_ms[0], series.x_ms[-1]
    starts = {stats.epoch_ms(alert.starts_at or datetime.combine(alert.first_day, time.min)) for alert in alerts}
    return ALERT_MARKS | {"points": [[x, own.get(x, 0.0)] for x in sorted(starts) if first <= x <= last]}


def _too_short_to_judge(customer: Customer, weeks: int) -> bool:
    """The base-load and spike rules compare a week or a day with the `weeks` before it."""
    if customer.first_reading_at is None:
        return True
    return customer.last_reading_at - customer.first_reading_at < timedelta(weeks=weeks + 1)


def _period_context(customer: Customer, params: Params, readings: list) -> dict:
    """Statistics beside the peers' medians, the average daily profiles and the heatmap of the period."""
    beside_peers = peers.figures(customer, params.start, params.end, params.data_bounds)
    changes = _changes(customer, params, beside_peers)
    peak = DailyConsumption.objects.filter(customer=customer).for_period(params.start, params.end).peak_day()
    peers_profile = peers.profile_median(customer, params.start, params.end, params.data_bounds)
    dates, values = stats.heatmap(readings)
    low, high = stats.colour_scale(values)
    return _load_context(customer, params, readings, beside_peers.area_median_peer) | {
        "peer_figures": beside_peers,
        "changes": changes,
        "peak_at": peak["peak_at"] if peak else None,
        "period_coverage": stats.coverage_percent(beside_peers.customer.readings, params.start, params.end),
        "profile_chart": _profile_chart(customer, params, readings, peers_profile),
        "peers_profile": peers_profile,
        "heatmap_chart": {
            "type": "heatmap", "unit": "Wh", "dates": [f"{day:%Y-%m-%d}" for day in dates],
            "slots": SLOTS, "values": values, "scaleMin": low, "scaleMax": high,
        },
        "heatmap_scale": {"low": low, "high": high},
    }


def _load_context(customer: Customer, params: Params, readings: list, median_peer: int | None) -> dict:
    """The customer's highest half hours in the period, and their load-duration curve beside that of
    the area peer with the median total (one peer's readings: no group's readings are read)."""
    own = stats.LoadDuration.of(readings)
    peer = None
    if own is not None and median_peer is not None:  # beside nothing, no curve is drawn
        peer = stats.LoadDuration.of(
            Reading.objects.filter(customer_id=median_peer).for_period(params.start, params.end).as_written()
        )
    datasets = []
    if own is not None:
        datasets.append({"label": f"Customer {customer.pk}", "data": own.kw, "color": "#1f6feb"})
    if peer is not None:
        datasets.append({"label": f"Customer {median_peer}, median of area {customer.area} peers", "data": peer.kw,
                         "color": "#5b6475", "borderDash": PEER_DASH})
    return {
        "highest_half_hours": [
            {"start": timestamp, "end": timestamp + HALF_HOUR, "kw": kw(wh)}
            for timestamp, wh in stats.highest(readings, HIGHEST_HALF_HOURS)
        ],
        "load_duration": {"own": own, "peer": peer, "peer_id": median_peer},
        "load_duration_chart": {
            "type": "line", "unit": "kW", "labels": [f"{share:g}" for share in stats.LoadDuration.SHARES],
            "xTitle": "Share of the half hours with readings (%)", "yTitle": "Demand (kW)", "datasets": datasets,
        },
    }


def _changes(customer: Customer, params: Params, now: stats.PeerFigures) -> dict | None:
    """The change in total kWh from the compared period: the customer's, and their area's and tariff's
    median peer's; None when nothing is compared or the customer has no readings there."""
    if params.compared is None:
        return None
    before = peers.figures(customer, *params.compared, params.data_bounds)
    if not before.customer.readings:
        return None
    return {
        "start": params.compared[0], "end": params.compared[1], "days": (params.end - params.start).days + 1,
        "rows": [
            (f"Customer {customer.pk}", stats.Change(now.customer.total_kwh, before.customer.total_kwh)),
            (f"Median of area {customer.area} peers", stats.Change(now.area.total_kwh, before.area.total_kwh)),
            (f"Median of tariff {customer.tariff} peers",
             stats.Change(now.tariff.total_kwh, before.tariff.total_kwh)),
        ],
    }


def _profile_chart(customer: Customer, params: Params, readings: list, peers_profile: peers.ProfileMedian) -> dict:
    """Mean kW in each half hour of weekdays and weekends: the customer's over the period, then the
    area peers' median over its whole months."""
    own = stats.average_profile(readings)
    peers, peer_count = peers_profile.profile, peers_profile.peers

    def dataset(label: str, values: list, colour: str, **extra) -> dict:
        return {"label": label, "data": [kw(wh) for wh in values], "color": colour, **extra}

    return {
        "type": "line", "unit": "kW", "labels": SLOTS,
        "xTitle": "Half hour starting", "yTitle": "Mean demand (kW)",
        "datasets": [
            dataset("Weekdays", own[False], "#1f6feb"),
            dataset("Weekends", own[True], "#e8590c"),
            dataset(f"Area {customer.area} median ({peer_count} peers), weekdays", peers[False], "#74a7f5",
                    borderDash=PEER_DASH),
            dataset(f"Area {customer.area} median ({peer_count} peers), weekends", peers[True], "#f4a36f",
                    borderDash=PEER_DASH),
        ],
    }


def _data_quality(customer: Customer) -> dict:
    """Rows rejected and duplicates superseded in the customer's imported file, and any later file rejected."""
    later_rejected = ImportFile.objects.filter(customer_id=customer.pk, status=ImportFile.Status.REJECTED)
    if customer.source_file_id is not None:
        later_rejected = later_rejected.filter(pk__gt=customer.source_file_id)
    rejected = RejectedRow.objects.filter(
        Q(file_id=customer.source_file_id) | Q(file__in=later_rejected)
    ).select_related("file")
    superseded = SupersededReading.objects.filter(
        file_id=customer.source_file_id, customer_id=customer.pk
    ).select_related("file")
    context = {
        "rejected_files": list(later_rejected.order_by("pk")),
        "rejected_rows": list(rejected[:QUALITY_ROWS_SHOWN]),
        "rejected_count": rejected.count(),
        "superseded_rows": list(superseded[:QUALITY_ROWS_SHOWN]),
        "superseded_count": superseded.count(),
        "quality_rows_shown": QUALITY_ROWS_SHOWN,
    }
    return context


def _csv_export(customer: Customer, params: Params) -> StreamingHttpResponse:
    """The customer's readings in the period, streamed: one row per half hour, energy in Wh."""
    readings = (
        Reading.objects.filter(customer=customer).for_period(params.start, params.end)
        .as_written()
    )
    rows = chain(
        [("timestamp (start of half hour)", "energy (Wh)")],
        # timestamp_text: as the files write them, the year in four digits (strftime drops its zeros)
        ((timestamp_text(timestamp), f"{wh:.10g}") for timestamp, wh in readings.iterator(chunk_size=2000)),
    )
    period = f"-{params.start}-to-{params.end}" if params.start and params.end else ""
    return streamed_csv(rows, f"customer-{customer.pk}{period}-readings.csv")
