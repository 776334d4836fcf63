"""Period comparison (`compare=previous|year`) on the summary: the table's change columns, their
sort, the CSV export, the headline changes and the chart's dashed series, each checked against the
same figures computed here from the readings as written."""
import csv
import io
import statistics
from datetime import date

import pytest

from consumption.comparison import beside, compared_period
from consumption.units import bucket_start

from .population import PERIOD, people, wh_between, written  # noqa: F401 (written: the fixture)


def expected_changes(written, start: date, end: date, compare: str) -> dict[int, tuple]:
    """Per customer: (Wh in the period, Wh in the compared one or None, change in Wh, change in %)."""
    before_start, before_end = compared_period(start, end, compare)
    found = {}
    for pk, rows in written.items():
        now = wh_between(rows, start, end) or 0.0
        before = wh_between(rows, before_start, before_end)
        change = None if before is None else now - before
        percent = None if before is None or before == 0 else 100 * change / before
        found[pk] = (now, before, change, percent)
    return found


def exported(client, **params) -> list[dict]:
    response = client.get("/summary/", {**params, "_export": "csv"})
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def number(text: str) -> float | None:
    return None if text == "" else float(text)


@pytest.mark.django_db
@pytest.mark.parametrize("compare", ["previous", "year"])
def test_the_export_carries_each_customers_change(client, written, compare):
    expected = expected_changes(written, *PERIOD, compare)
    rows = exported(client, **{"from": PERIOD[0], "to": PERIOD[1], "compare": compare})
    assert list(rows[0])[3:7] == ["Total (kWh)", "Previous (kWh)", "Change (kWh)", "Change (%)"]
    assert len(rows) == len(written)
    missing = 0
    for row in rows:
        now, before, change, percent = expected[int(row["Customer"])]
        assert number(row["Total (kWh)"]) == pytest.approx(now / 1000, abs=1e-3)
        if before is None:
            missing += 1
            assert (row["Previous (kWh)"], row["Change (kWh)"], row["Change (%)"]) == ("", "", "")
            continue
        assert number(row["Previous (kWh)"]) == pytest.approx(before / 1000, abs=1e-3)
        assert number(row["Change (kWh)"]) == pytest.approx(change / 1000, abs=1e-3)
        assert number(row["Change (%)"]) == pytest.approx(percent, abs=0.01)
    # The late starters have nothing a year earlier, and all have something the period before.
    assert missing == (6 if compare == "year" else 0)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["-change_pct", "change_pct", "-change_kwh", "previous_kwh"])
def test_it_sorts_by_change_with_nothing_to_compare_last_either_way(client, written, sort):
    expected = expected_changes(written, *PERIOD, "year")
    column = {"change_pct": 3, "change_kwh": 2, "previous_kwh": 1}[sort.lstrip("-")]
    with_value = [pk for pk, figures in expected.items() if figures[column] is not None]
    descending = sort.startswith("-")
    # Ties (none expected) by id, the same way round as the sort.
    order = sorted(with_value, key=lambda pk: (expected[pk][column], pk), reverse=descending)
    order += sorted((pk for pk in expected if pk not in with_value), reverse=descending)
    rows = exported(client, **{"from": PERIOD[0], "to": PERIOD[1], "compare": "year", "sort": sort})
    assert [int(row["Customer"]) for row in rows] == order

    page = client.get("/summary/", {"from": PERIOD[0], "to": PERIOD[1], "compare": "year", "sort": sort,
                                    "per_page": 500})
    shown = page.context["table"].page.object_list
    assert [row.record.id for row in shown] == order
    assert "cannot be sorted" not in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("compare", ["previous", "year"])
def test_the_headline_shows_the_change_of_the_filtered_customers(client, written, compare):
    odd = [pk for pk, (area, _) in people().items() if area == "odd"]
    before_start, before_end = compared_period(*PERIOD, compare)
    now = sum(wh_between(written[pk], *PERIOD) or 0 for pk in odd)
    before = sum(wh_between(written[pk], before_start, before_end) or 0 for pk in odd)
    response = client.get("/summary/", {"from": PERIOD[0], "to": PERIOD[1], "compare": compare, "area": "odd"})
    changes = response.context["figures"]["changes"]
    assert (changes["start"], changes["end"]) == (before_start, before_end)
    assert changes["total_kwh"].now == pytest.approx(now / 1000)
    assert changes["total_kwh"].before == pytest.approx(before / 1000)
    assert changes["total_kwh"].percent == pytest.approx(100 * (now - before) / before)
    text = response.content.decode()
    assert f"Changes are against {before_start:%-d %b %Y} – {before_end:%-d %b %Y}" in text
    sign = "+" if now >= before else "\N{MINUS SIGN}"
    assert f"{sign}{abs(now - before) / 1000:,.1f} kWh ({sign}{abs(100 * (now - before) / before):,.1f} %)" in text


def drawn_beside(rows, start: date, end: date, compare: str, granularity: str) -> dict[date, tuple]:
    """Per bucket of start..end: the Wh of the compared period's readings whose day sits beside a day of
    that bucket (as far from the start, or on the same date a year on), and their first and last day."""
    before_start, before_end = compared_period(start, end, compare)
    buckets: dict[date, list] = {}
    for moment, wh in rows:
        day = moment.date()
        if not before_start <= day <= before_end:
            continue
        if compare == "previous":
            drawn = start + (day - before_start)
        else:
            drawn = date(day.year + 1, day.month, 28 if (day.month, day.day) == (2, 29) else day.day)
        if start <= drawn <= end:
            bucket = buckets.setdefault(bucket_start(drawn, granularity), [0.0, day, day])
            bucket[0] += wh
            bucket[1], bucket[2] = min(bucket[1], day), max(bucket[2], day)
    return {bucket: (wh, first if first == last else f"{first} to {last}") for bucket, (wh, first, last) in buckets.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("granularity", ["day", "week", "month"])
@pytest.mark.parametrize("compare", ["previous", "year"])
@pytest.mark.parametrize("period", [PERIOD, (date(2016, 3, 1), date(2016, 3, 31)), (date(2016, 2, 26), date(2016, 3, 2))])
def test_the_chart_draws_the_compared_period_dotted_beside_the_period(client, written, granularity, compare, period):
    spec = client.get("/summary/chart.json", {"from": period[0], "to": period[1], "compare": compare,
                                              "granularity": granularity}).json()
    dotted = spec["datasets"][-1]
    assert dotted["borderDash"] and dotted["label"].startswith("Total, ")
    every_row = [reading for rows in written.values() for reading in rows]
    expected = drawn_beside(every_row, *period, compare, granularity)
    buckets = [date.fromisoformat(label + "-01" if granularity == "month" else label) for label in spec["labels"]]
    assert dotted["data"] == [pytest.approx(expected[b][0] / 1000, abs=1e-3) if b in expected else None for b in buckets]
    assert dotted["dates"] == [str(expected[b][1]) if b in expected else None for b in buckets]
    if period == (date(2016, 3, 1), date(2016, 3, 31)) and granularity == "month":
        # March beside the 31 days before it, 30 January to 29 February: all of them, in one bucket.
        before = sum(wh_between(rows, date(2016, 1, 30), date(2016, 2, 29)) or 0 for rows in written.values())
        total = before if compare == "previous" else sum(wh_between(rows, date(2015, 3, 1), date(2015, 3, 31)) or 0
                                                          for rows in written.values())
        assert dotted["data"] == [pytest.approx(total / 1000, abs=1e-3)]
    if period[0] == date(2016, 2, 26) and granularity == "day" and compare == "year":
        # 29 February 2016 has no same date a year earlier; 1 March sits beside 1 March.
        assert dotted["data"][buckets.index(date(2016, 2, 29))] is None
        assert dotted["dates"][buckets.index(date(2016, 3, 1))] == "2015-03-01"


@pytest.mark.django_db
def test_a_compared_period_without_readings_gives_a_notice_and_no_changes(client, written):
    params = {"from": "2015-06-10", "to": "2015-06-30", "compare": "year"}
    response = client.get("/summary/", params)
    text = response.content.decode()
    assert "No readings in the compared period, 10 Jun 2014 – 30 Jun 2014: no changes are shown." in text
    assert response.context["figures"]["changes"] is None
    assert "Changes are against" not in text
    spec = client.get("/summary/chart.json", params).json()
    assert [dataset["label"] for dataset in spec["datasets"]] == ["Total", "Average per customer"]
    assert spec["notices"] == ["No readings in the compared period, 10 Jun 2014 – 30 Jun 2014: no changes are shown."]
    assert {row["Change (%)"] for row in exported(client, **params)} == {""}


@pytest.mark.django_db
def test_without_a_comparison_the_columns_are_absent_and_a_bad_one_is_named(client, written):
    assert "Previous (kWh)" not in exported(client)[0]
    response = client.get("/summary/", {"compare": "decade", "sort": "-change_pct"})
    text = response.content.decode()
    assert "Comparison “decade” is not previous or year: nothing is compared." in text
    assert "The table cannot be sorted by “-change_pct”" in text
    assert "Change (%)" not in text


def test_compared_periods_and_the_days_they_sit_beside():
    assert compared_period(date(2016, 3, 1), date(2016, 3, 10), "previous") == (date(2016, 2, 20), date(2016, 2, 29))
    assert compared_period(date(2016, 2, 29), date(2016, 3, 1), "year") == (date(2015, 2, 28), date(2015, 3, 1))
    assert compared_period(date(2016, 1, 1), date(2016, 1, 1), "previous") == (date(2015, 12, 31), date(2015, 12, 31))
    assert beside(date(2016, 2, 20), "previous", date(2016, 3, 1), date(2016, 2, 20)) == date(2016, 3, 1)
    assert beside(date(2016, 2, 29), "year", date(2017, 2, 1), date(2016, 2, 1)) == date(2017, 2, 28)
    assert beside(date(2015, 3, 1), "year", date(2016, 2, 1), date(2015, 2, 1)) == date(2016, 3, 1)


# The detail page ----------------------------------------------------------------------------------

def median_of(values) -> float | None:
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


@pytest.mark.django_db
@pytest.mark.parametrize("compare", ["previous", "year"])
@pytest.mark.parametrize("customer", [7001, 7014])  # area "odd" (21 customers), then a late starter
def test_the_detail_page_shows_the_change_of_the_customer_and_of_the_median_peer(client, written, compare, customer):
    everyone = people()
    area, tariff = everyone[customer]
    before_start, before_end = compared_period(*PERIOD, compare)
    response = client.get(f"/detail/{customer}/", {"from": PERIOD[0], "to": PERIOD[1], "compare": compare})
    text = response.content.decode()
    own_before = wh_between(written[customer], before_start, before_end)
    if own_before is None:
        assert response.context["changes"] is None
        assert f"No readings in the compared period, {before_start.day} {before_start:%b %Y}" in text
        return

    def median_total(group: int, start: date, end: date) -> float | None:
        return median_of([wh_between(written[pk], start, end) for pk, person in everyone.items()
                          if person[group] == everyone[customer][group] and pk != customer])

    changes = dict(response.context["changes"]["rows"])
    expected = {
        f"Customer {customer}": (wh_between(written[customer], *PERIOD), own_before),
        f"Median of area {area} peers": (median_total(0, *PERIOD), median_total(0, before_start, before_end)),
        f"Median of tariff {tariff} peers": (median_total(1, *PERIOD), median_total(1, before_start, before_end)),
    }
    assert list(changes) == list(expected)
    for label, (now, before) in expected.items():
        change = changes[label]
        assert (change.now, change.before) == pytest.approx((now / 1000, before / 1000))
        assert change.percent == pytest.approx(100 * (now - before) / before)
        assert f"{label}</th>" in text
    # The customer's own compared period, dotted, each day beside the day it sits beside.
    spec = client.get(f"/detail/{customer}/chart.json", {"from": PERIOD[0], "to": PERIOD[1], "compare": compare,
                                                         "granularity": "week"}).json()
    dotted = spec["datasets"][2]
    expected = drawn_beside(written[customer], *PERIOD, compare, "week")
    weeks = [date.fromisoformat(label) for label in spec["labels"]]
    assert dotted["data"] == [pytest.approx(expected[week][0] / 1000) if week in expected else None for week in weeks]
    assert dotted["dates"] == [str(expected[week][1]) if week in expected else None for week in weeks]


@pytest.mark.django_db
def test_the_detail_chart_json_says_when_there_is_nothing_to_compare(client, written):
    spec = client.get("/detail/7000/chart.json", {"from": "2016-06-01", "to": "2016-06-30", "compare": "year"}).json()
    assert [dataset["label"] for dataset in spec["datasets"]] == ["Customer 7000", "Median of area odd peers"]
    assert spec["notices"] == ["No readings in the compared period, 1 Jun 2015 – 30 Jun 2015: no changes are shown."]


@pytest.mark.django_db
@pytest.mark.parametrize("compare", ["previous", "year"])
@pytest.mark.parametrize("period", [("1900-01-01", "2999-12-31"), ("1900-01-01", "1900-01-01"), ("2016-02-29", "2016-02-29")])
def test_a_comparison_at_the_calendars_edges_never_fails(client, written, compare, period):
    params = {"from": period[0], "to": period[1], "compare": compare, "spread": "1", "granularity": "month"}
    for url in ("/summary/", "/summary/chart.json", "/detail/7001/", "/detail/7001/chart.json"):
        assert client.get(url, params).status_code == 200, url
