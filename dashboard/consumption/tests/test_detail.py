"""The customer detail page, its fragments, chart.json, CSV export and bad input.

Every statistic is checked against a computation made here, straight from the readings the test wrote.
"""
import csv
import html
import io
import json
import random
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from consumption.imports import import_data
from consumption.models import Customer

from .factories import START

# START (2016-07-15) is a Friday: day 0 and 3 are weekdays, days 1 and 2 the weekend.
CUSTOMER = 7001
# id: (area, tariff, number of readings)
PEOPLE = {
    CUSTOMER: ("a1", "t1", 3 * 48 + 5),  # three whole days, then five readings: too few for a base load
    7002: ("a1", "t2", 4 * 48),  # area peer
    7003: ("a1", "t1", 2 * 48),  # area and tariff peer
    7004: ("a2", "t1", 3 * 48),  # tariff peer
    7005: ("a2", "t2", 3 * 48),  # no peer
}


def wh_values(seed: int, count: int) -> list[float]:
    rng = random.Random(seed)
    return [round(rng.uniform(20, 600), 2) for _ in range(count)]


def make_customers(data_dir, people: dict = PEOPLE) -> dict[int, list[tuple[datetime, float]]]:
    """Imports customers with seeded readings from START; returns each one's readings as written."""
    customers, files, written = "id,area,tariff\n", {}, {}
    for customer_id, (area, tariff, count) in people.items():
        rows = [(START + timedelta(minutes=30 * n), wh) for n, wh in enumerate(wh_values(customer_id, count))]
        customers += f"{customer_id},{area},{tariff}\n"
        files[f"{customer_id}.csv"] = "datetime,consumption\n" + "".join(f"{ts:%Y-%m-%d %H:%M:%S},{wh}\n" for ts, wh in rows)
        written[customer_id] = rows
    import_data(data_dir(customers=customers, files=files))
    return written


@pytest.fixture
def readings(db, data_dir) -> dict[int, list[tuple[datetime, float]]]:
    return make_customers(data_dir)


def expected(rows: list[tuple[datetime, float]]) -> dict:
    """The statistics of one customer, computed the long way from their readings."""
    by_day = defaultdict(list)
    for timestamp, wh in rows:
        by_day[timestamp.date()].append(wh)
    total_wh = sum(wh for _, wh in rows)
    peak_at, peak_wh = max(rows, key=lambda row: row[1])
    daily_bases = [sum(sorted(values)[:8]) / 8 for values in by_day.values() if len(values) >= 8]
    mean_kw = total_wh / 1000 / (len(rows) / 2)  # kWh over the hours covered
    return {
        "total_kwh": total_wh / 1000,
        "average_daily_kwh": total_wh / 1000 / len(by_day),
        "peak_kw": peak_wh * 2 / 1000,
        "peak_at": peak_at,
        "base_load_kw": sum(daily_bases) / len(daily_bases) * 2 / 1000,
        "load_factor": mean_kw / (peak_wh * 2 / 1000),
    }


COMPARED = ["total_kwh", "average_daily_kwh", "peak_kw", "base_load_kw", "load_factor"]


def in_period(rows, start: date, end: date):
    return [(timestamp, wh) for timestamp, wh in rows if start <= timestamp.date() <= end]


def url(customer_id: int = CUSTOMER, suffix: str = "") -> str:
    return f"/detail/{customer_id}/{suffix}"


HTMX = {"HX-Request": "true"}


def chart_in(page: str, element_id: str) -> dict:
    """The chart spec a page carries in <script id=... type="application/json">."""
    start = page.index(f'<script id="{element_id}" type="application/json">')
    start = page.index(">", start) + 1
    return json.loads(page[start:page.index("</script>", start)])


# The page ----------------------------------------------------------------------------------------

def test_it_shows_the_customer_record(client, readings):
    response = client.get(url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Customer 7001</h1>" in page
    assert "15 Jul 2016, 00:00" in page  # first reading
    assert "18 Jul 2016, 02:00" in page  # last reading: the fifth of the fourth day
    assert "<dd>149</dd>" in page
    # 149 readings of the 4 × 48 expected from the first day to the last.
    assert response.context["coverage"] == pytest.approx(100 * 149 / 192)
    assert "77.6 %" in page


def test_it_computes_each_statistic_as_the_readings_give_it(client, readings):
    response = client.get(url())
    comparison = response.context["peer_figures"]
    want = expected(readings[CUSTOMER])
    for name in COMPARED:
        assert getattr(comparison.customer, name) == pytest.approx(want[name]), name
    assert response.context["peak_at"] == want["peak_at"]
    assert comparison.customer.readings == 149
    assert comparison.customer.days == 4
    page = response.content.decode()
    assert f"{want['peak_kw']:.2f} kW" in page
    assert f"{want['base_load_kw']:.3f} kW" in page
    assert want["peak_at"].strftime("%-d %b %Y, %H:%M") in page


def test_it_sets_each_statistic_beside_the_median_of_area_and_tariff_peers(client, readings):
    comparison = client.get(url()).context["peer_figures"]
    area_peers = [expected(readings[pk]) for pk in (7002, 7003)]
    tariff_peers = [expected(readings[pk]) for pk in (7003, 7004)]
    assert comparison.area.peers == 2 and comparison.tariff.peers == 2
    for name in COMPARED:
        assert getattr(comparison.area, name) == pytest.approx(statistics.median(p[name] for p in area_peers))
        assert getattr(comparison.tariff, name) == pytest.approx(statistics.median(p[name] for p in tariff_peers))


def test_it_limits_the_statistics_to_the_period_asked_for(client, readings):
    response = client.get(url(), {"from": "2016-07-16", "to": "2016-07-17"})
    comparison = response.context["peer_figures"]
    want = expected(in_period(readings[CUSTOMER], date(2016, 7, 16), date(2016, 7, 17)))
    for name in COMPARED:
        assert getattr(comparison.customer, name) == pytest.approx(want[name]), name
    peers = [expected(in_period(readings[pk], date(2016, 7, 16), date(2016, 7, 17))) for pk in (7002, 7003)]
    assert comparison.area.total_kwh == pytest.approx(statistics.median(p["total_kwh"] for p in peers))
    assert "16 Jul 2016 – 17 Jul 2016" in response.content.decode()


def test_it_draws_the_average_weekday_and_weekend_profiles_with_the_area_peers_median(client, readings):
    chart = client.get(url()).context["profile_chart"]

    def profile(rows):
        slots = defaultdict(list)
        for timestamp, wh in rows:
            slots[timestamp.weekday() >= 5, timestamp.hour * 2 + timestamp.minute // 30].append(wh)
        return {key: sum(values) / len(values) * 2 / 1000 for key, values in slots.items()}

    own = profile(readings[CUSTOMER])
    peers = [profile(readings[pk]) for pk in (7002, 7003)]
    weekdays, weekends, peer_weekdays, peer_weekends = (d["data"] for d in chart["datasets"])
    assert len(weekdays) == 48 and chart["labels"][0] == "00:00" and chart["labels"][47] == "23:30"
    for slot in range(48):
        assert weekdays[slot] == pytest.approx(own[False, slot])
        assert weekends[slot] == pytest.approx(own[True, slot])
        assert peer_weekdays[slot] == pytest.approx(statistics.median(p[False, slot] for p in peers))
        assert peer_weekends[slot] == pytest.approx(statistics.median(p[True, slot] for p in peers))


def test_a_period_that_cuts_a_month_draws_the_profiles_from_that_part_of_the_month(client, readings):
    start, end = date(2016, 7, 16), date(2016, 7, 17)  # the weekend alone: the month's sums cannot serve
    chart = client.get(url(), {"from": start.isoformat(), "to": end.isoformat()}).context["profile_chart"]
    weekdays, weekends, peer_weekdays, peer_weekends = (d["data"] for d in chart["datasets"])

    def weekend_profile(rows):
        slots = defaultdict(list)
        for timestamp, wh in in_period(rows, start, end):
            slots[timestamp.hour * 2 + timestamp.minute // 30].append(wh)
        return [sum(values) / len(values) * 2 / 1000 for _, values in sorted(slots.items())]

    assert weekdays == [None] * 48
    assert weekends == pytest.approx(weekend_profile(readings[CUSTOMER]))
    peers = [weekend_profile(readings[pk]) for pk in (7002, 7003)]
    assert peer_weekends == pytest.approx([statistics.median(values) for values in zip(*peers)])


def test_it_draws_every_reading_of_the_period_in_the_heatmap(client, readings):
    chart = client.get(url()).context["heatmap_chart"]
    assert chart["type"] == "heatmap" and chart["unit"] == "Wh"
    assert chart["dates"] == ["2016-07-15", "2016-07-16", "2016-07-17", "2016-07-18"]
    values = readings[CUSTOMER]
    assert chart["values"][0] == [wh for _, wh in values[:48]]
    assert chart["values"][3][:5] == [wh for _, wh in values[-5:]]
    assert chart["values"][3][5:] == [None] * 43  # no reading yet: a blank cell, not a zero
    assert chart["scaleMin"] == min(wh for _, wh in values)


def test_it_draws_the_daily_series_with_the_area_peers_median(client, readings):
    chart = client.get(url()).context["overtime_chart"]
    assert chart["type"] == "line"
    assert chart["labels"] == ["2016-07-15", "2016-07-16", "2016-07-17", "2016-07-18"]
    own, median = chart["datasets"]
    assert own["label"] == "Customer 7001"
    assert own["data"] == pytest.approx([sum(wh for _, wh in readings[CUSTOMER][d * 48:(d + 1) * 48]) / 1000
                                         for d in range(4)])
    peer_days = {pk: [sum(wh for _, wh in readings[pk][d * 48:(d + 1) * 48]) / 1000 for d in range(4)]
                 for pk in (7002, 7003)}
    assert median["data"][:2] == pytest.approx([(peer_days[7002][d] + peer_days[7003][d]) / 2 for d in range(2)])
    assert median["data"][3] == pytest.approx(peer_days[7002][3])  # 7003 has no data that day


def test_it_issues_the_same_number_of_queries_however_many_peers(client, db, data_dir, django_assert_num_queries):
    people = dict(PEOPLE) | {7100 + n: ("a1", "t1", 48) for n in range(12)}
    make_customers(data_dir, people)
    for granularity in ("day", "halfhour"):
        with django_assert_num_queries(QUERIES[granularity]):
            client.get(url(), {"granularity": granularity})


def test_it_issues_the_same_number_of_queries_with_few_peers(client, readings, django_assert_num_queries):
    for granularity in ("day", "halfhour"):
        with django_assert_num_queries(QUERIES[granularity]):
            client.get(url(), {"granularity": granularity})


def test_the_peers_figures_follow_an_import(client, data_dir, readings):
    period = {"from": "2016-07-15", "to": "2016-07-18"}
    before = client.get(url(), period).context
    make_customers(data_dir, dict(PEOPLE) | {7002: ("a1", "t2", 1)})  # 7002 files new readings
    after = client.get(url(), period).context
    assert after["peer_figures"].area.total_kwh != before["peer_figures"].area.total_kwh
    assert after["profile_chart"]["datasets"][2] != before["profile_chart"]["datasets"][2]
    assert after["overtime_chart"]["datasets"][1] != before["overtime_chart"]["datasets"][1]


# Customer, the customer's alerts in the period, the period's readings, the data's bounds, the peers'
# totals, the peak day, the area's months with readings in the period, the customer's monthly profile
# sums and the area's profile windows over those months, the median area peer's readings (its
# load-duration curve), the day
# series and the area's series windows (the half-hour series reuses the readings), then data quality:
# rejected files, rejected rows and their count, duplicates and their count; plus the savepoint
# ATOMIC_REQUESTS opens and releases. A week or month that the period cuts adds one query each.
QUERIES = {"day": 19, "halfhour": 17}


def test_it_links_to_the_page_from_nothing_but_its_id(client, readings):
    assert client.get("/detail/7001/").status_code == 200
    from django.urls import reverse

    assert reverse("detail", args=[7001]) == "/detail/7001/"
    assert reverse("detail_chart_json", args=[7001]) == "/detail/7001/chart.json"


# Fragments ---------------------------------------------------------------------------------------

def test_it_swaps_only_the_over_time_chart_when_the_granularity_changes(client, readings):
    response = client.get(url(), {"granularity": "week"}, headers=HTMX | {"HX-Target": "overtime"})
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="overtime"')
    assert "<html" not in page and "Statistics" not in page
    assert 'aria-current="true">Week</a>' in page
    assert chart_in(page, "overtime-data")["labels"] == ["2016-07-11", "2016-07-18"]  # weeks start on Monday
    assert "HX-Request" in response["Vary"]


def test_it_swaps_every_figure_of_the_period_when_the_period_changes(client, readings):
    response = client.get(url(), {"from": "2016-07-16", "to": "2016-07-17"}, headers=HTMX | {"HX-Target": "period"})
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="period"')
    assert "<html" not in page and 'id="quality"' not in page
    for part in ('id="overtime"', 'id="profile-data"', 'id="heatmap-data"', "Statistics"):
        assert part in page


def test_it_serves_the_whole_page_to_a_history_restore(client, readings):
    headers = HTMX | {"HX-History-Restore-Request": "true"}
    response = client.get(url(), {"granularity": "week"}, headers=headers)
    assert "<html" in response.content.decode()


def test_it_links_each_granularity_with_the_period_kept(client, readings):
    page = client.get(url(), {"from": "2016-07-16", "granularity": "month"}).content.decode()
    assert 'href="/detail/7001/?granularity=week&amp;from=2016-07-16"' in page
    assert 'hx-get="/detail/7001/?granularity=halfhour&amp;from=2016-07-16"' in page
    assert 'hx-push-url="true"' in page
    assert '<input type="hidden" name="granularity" value="month" form="period-form">' in page


# chart.json --------------------------------------------------------------------------------------

def test_it_serves_the_daily_series_as_json_this_customer_first(client, readings):
    body = client.get(url(suffix="chart.json")).json()
    assert body["unit"] == "kWh" and body["granularity"] == "day"
    assert body["labels"] == ["2016-07-15", "2016-07-16", "2016-07-17", "2016-07-18"]
    assert [d["label"] for d in body["datasets"]] == ["Customer 7001", "Median of area a1 peers"]
    assert body["datasets"][0]["data"][3] == pytest.approx(sum(wh for _, wh in readings[CUSTOMER][-5:]) / 1000)


@pytest.mark.parametrize(
    "granularity, labels",
    [("week", ["2016-07-11", "2016-07-18"]), ("month", ["2016-07"])],
)
def test_it_sums_weeks_and_months_in_the_json(client, readings, granularity, labels):
    body = client.get(url(suffix="chart.json"), {"granularity": granularity}).json()
    assert body["granularity"] == granularity and body["labels"] == labels
    assert sum(body["datasets"][0]["data"]) == pytest.approx(sum(wh for _, wh in readings[CUSTOMER]) / 1000)


def test_it_serves_every_half_hour_in_the_json(client, readings):
    body = client.get(url(suffix="chart.json"), {"granularity": "halfhour", "to": "2016-07-15"}).json()
    assert len(body["labels"]) == 48 and body["labels"][:2] == ["2016-07-15T00:00", "2016-07-15T00:30"]
    assert body["datasets"][0]["data"] == pytest.approx([wh / 1000 for _, wh in readings[CUSTOMER][:48]])


def test_it_draws_half_hours_on_a_time_axis_for_decimation(client, readings):
    chart = client.get(url(), {"granularity": "halfhour"}).context["overtime_chart"]
    assert chart["type"] == "timeseries" and len(chart["x"]) == 149
    assert chart["x"][1] - chart["x"][0] == 30 * 60 * 1000
    assert chart["x"][0] == int((START - datetime(1970, 1, 1)).total_seconds() * 1000)


# CSV export --------------------------------------------------------------------------------------

def test_it_exports_the_readings_of_the_period_as_csv(client, readings):
    response = client.get(url(), {"_export": "csv", "from": "2016-07-16", "to": "2016-07-16"})
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="customer-7001-2016-07-16-to-2016-07-16-readings.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["timestamp (start of half hour)", "energy (Wh)"]
    day = readings[CUSTOMER][48:96]
    assert rows[1:] == [[f"{ts:%Y-%m-%d %H:%M:%S}", f"{wh:.10g}"] for ts, wh in day]


# Bad input ---------------------------------------------------------------------------------------

def test_it_answers_an_unknown_customer_with_the_friendly_404(client, readings):
    response = client.get(url(999999))
    assert response.status_code == 404
    page = response.content.decode()
    assert "There is no customer 999999." in page
    assert "Smart-meter dashboard" in page and 'href="/summary/"' in page


@pytest.mark.parametrize("path", ["/detail/abc/", "/detail/-1/", "/detail/7001x/", "/detail/abc/chart.json"])
def test_it_answers_a_malformed_id_with_the_friendly_404(client, readings, path):
    response = client.get(path)
    assert response.status_code == 404
    page = response.content.decode()
    assert "There is no page at" in page and "Resolver404" not in page


def test_it_answers_unknown_customer_json_with_404(client, readings):
    assert client.get(url(999999, "chart.json")).status_code == 404


def test_it_names_a_malformed_granularity_and_shows_days(client, readings):
    response = client.get(url(), {"granularity": "hourly"})
    assert response.status_code == 200
    assert response.context["params"].granularity == "day"
    assert "Granularity “hourly” is not half-hour, day, week or month: showing days." in response.content.decode()


@pytest.mark.parametrize("value", ["2016-02-30", "yesterday", "15/07/2016", "2016-07-15T00:00", "20160715"])
def test_it_names_a_malformed_date_and_shows_the_whole_period(client, readings, value):
    response = client.get(url(), {"from": value})
    assert response.status_code == 200
    assert response.context["params"].start == date(2016, 7, 15)
    assert ("“From” must be a date from 1900-01-01 to 2999-12-31, written like 2016-07-15: "
            "the period starts with the data.") in html.unescape(response.content.decode())


def test_it_quotes_a_long_malformed_value_only_in_part(client, readings):
    response = client.get(url(), {"granularity": "x" * 5000})
    assert "Granularity “" + "x" * 40 + "…” is not" in response.content.decode()
    assert "x" * 41 not in response.content.decode()


def test_it_names_a_malformed_end_date(client, readings):
    response = client.get(url(), {"to": "20160716"})
    assert response.context["params"].end == date(2016, 7, 18)
    assert "“To” must be a date from 1900-01-01 to 2999-12-31" in html.unescape(response.content.decode())


def test_it_swaps_a_period_that_ends_before_it_starts(client, readings):
    response = client.get(url(), {"from": "2016-07-17", "to": "2016-07-16"})
    assert response.status_code == 200
    assert (response.context["params"].start, response.context["params"].end) == (date(2016, 7, 16), date(2016, 7, 17))
    assert "The period’s start was after its end: the two dates were swapped." in response.content.decode()
    assert response.context["peer_figures"].customer.readings == 2 * 48


def test_it_shows_one_day_for_a_single_date_beyond_the_readings(client, readings):
    response = client.get(url(), {"from": "2016-08-01"})
    assert (response.context["params"].start, response.context["params"].end) == (date(2016, 8, 1), date(2016, 8, 1))
    assert response.context["peer_figures"].customer.readings == 0


@pytest.mark.parametrize("granularity", ["halfhour", "day", "week", "month"])
def test_it_takes_dates_beyond_its_bounds_as_the_whole_period(client, readings, granularity):
    params = {"from": "0001-01-01", "to": "9999-12-31", "granularity": granularity}
    response = client.get(url(), params)
    assert response.status_code == 200
    assert response.context["peer_figures"].customer.readings == 149
    assert len(response.context["params"].notices) == 2
    assert client.get(url(suffix="chart.json"), params).status_code == 200
    export = client.get(url(), params | {"_export": "csv"})
    assert len(b"".join(export.streaming_content).splitlines()) == 150


def test_it_answers_bad_json_parameters_with_defaults_and_messages(client, readings):
    response = client.get(url(suffix="chart.json"), {"granularity": "fortnight", "to": "someday"})
    assert response.status_code == 200
    body = response.json()
    assert body["granularity"] == "day" and len(body["labels"]) == 4 and len(body["notices"]) == 2


def test_it_shows_a_period_without_readings_without_failing(client, readings):
    response = client.get(url(), {"from": "2017-01-01", "to": "2017-01-31", "granularity": "halfhour"})
    assert response.status_code == 200
    assert response.context["peer_figures"].customer.peak_kw is None
    assert response.context["heatmap_chart"]["dates"] == []


def test_it_shows_a_customer_without_any_reading(client, db):
    Customer.objects.create(id=42, area="a9", tariff="t9")
    response = client.get(url(42))
    assert response.status_code == 200
    assert "No file of readings has been imported" in response.content.decode()


# Data quality ------------------------------------------------------------------------------------

def day_rows(day: str, values: list[float]) -> str:
    return "".join(f"{day} {i // 2:02d}:{30 * (i % 2):02d}:00,{wh}\n" for i, wh in enumerate(values))


@pytest.mark.django_db(transaction=True)
def test_it_lists_rejected_rows_and_superseded_duplicates_with_file_line_and_reason(client, data_dir):
    header = "datetime,consumption\n"
    good = day_rows("2016-07-15", [100.0] * 48)
    folder = data_dir(
        customers="id,area,tariff\n3000,a1,t1\n3001,a1,t1\n",
        files={
            # line 50 is not a number; line 51 repeats 00:00 (line 2), whose value it supersedes
            "3000.csv": header + good + "2016-07-16 00:00:00,abc\n2016-07-15 00:00:00,250\n",
            "3001.csv": header + good,
        },
    )
    import_data(folder)
    # A later file with the wrong header is rejected as a whole; the readings stay as they were.
    (Path(folder) / "consumption" / "3000.csv").write_text("when,wh\n2016-07-20 00:00:00,1\n")
    import_data(folder)

    response = client.get(url(3000))
    page = response.content.decode()
    assert response.context["rejected_count"] == 2
    assert response.context["superseded_count"] == 1
    first, later = response.context["rejected_rows"]
    assert (first.file.name, first.line_number) == ("3000.csv", 50)
    assert "2016-07-16 00:00:00,abc" in page
    assert html.escape(first.reason) in page
    assert html.escape(later.reason) in page and "header" in later.reason
    assert "Later files rejected as a whole" in page
    [duplicate] = response.context["superseded_rows"]
    assert (duplicate.superseded_line, duplicate.superseded_wh, duplicate.kept_line, duplicate.kept_wh) == (2, 100, 51, 250)
    assert "2016-07-15 00:00" in page
    # The other customer's record is clean.
    other = client.get(url(3001))
    assert other.context["rejected_count"] == 0 and other.context["superseded_count"] == 0
    assert "None: every row of this customer" in other.content.decode()


@pytest.mark.parametrize("granularity, caption", [("day", "grey dashed line is the median"), ("week", "grey bars are the median"),
                                                  ("month", "grey bars are the median")])
def test_the_chart_caption_names_the_peers_series_as_it_is_drawn(client, readings, granularity, caption):
    response = client.get(f"/detail/{CUSTOMER}/?granularity={granularity}")
    assert caption in " ".join(response.content.decode().split())


@pytest.mark.django_db
def test_readings_come_back_as_written_in_the_meters_zone(client, data_dir, settings):
    """TIME_ZONE is the meters' zone: the export and the heatmap's days show the times of the file."""
    settings.TIME_ZONE = "America/New_York"
    written = make_customers(data_dir)
    response = client.get(url(), {"_export": "csv", "from": "2016-07-16", "to": "2016-07-16"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1:] == [[f"{ts:%Y-%m-%d %H:%M:%S}", f"{wh:.10g}"] for ts, wh in written[CUSTOMER][48:96]]
    labels = client.get(f"{url()}chart.json", {"granularity": "halfhour"}).json()["labels"]
    assert (labels[0], labels[-1]) == ("2016-07-15T00:00", "2016-07-18T02:00")  # first and last, as written


@pytest.mark.django_db
def test_the_csv_export_writes_the_year_in_four_digits(client):
    """strftime drops a year's leading zeros; the export writes timestamps as the files do."""
    from .factories import CustomerFactory, ReadingFactory

    customer = CustomerFactory(id=7100)
    ReadingFactory(customer=customer, timestamp=datetime(999, 12, 31, 23, 30), wh=12.5)
    ReadingFactory(customer=customer, timestamp=datetime(2016, 7, 15, 0, 0), wh=3)
    response = client.get(url(7100), {"_export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1:] == [["0999-12-31 23:30:00", "12.5"], ["2016-07-15 00:00:00", "3"]]


def test_a_compared_period_adds_a_fixed_number_of_queries(client, db, data_dir, django_assert_num_queries):
    people = dict(PEOPLE) | {7100 + n: ("a1", "t1", 48) for n in range(12)}
    make_customers(data_dir, people)
    # The peers' figures over a period take three queries (the groups' running totals at either end
    # of it, two, and their peaks in it, one) where the whole history's take one; the compared
    # period's take three more; and beside a chart by day, the customer's series there.
    for granularity, added in (("day", 2 + 3 + 1), ("halfhour", 2 + 3)):
        with django_assert_num_queries(QUERIES[granularity] + added):
            response = client.get(url(), {"granularity": granularity, "from": "2016-07-17", "to": "2016-07-18",
                                          "compare": "previous"})
        assert response.context["changes"] is not None
