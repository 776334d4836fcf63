"""Rankings and peaks: the summary's top peaks and percentiles in group, the detail page's highest half
hours and load-duration curves, each checked against the readings as written."""
import csv
import io
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from consumption.statistics import LoadDuration

from .population import PERIOD, people, written  # noqa: F401 (written: the fixture)

pytestmark = pytest.mark.django_db


def highest_half_hours(written, customers, count: int = 10) -> list[tuple]:
    """(timestamp, kW) of the `count` half hours of PERIOD with the most Wh of `customers` together."""
    combined = defaultdict(float)
    for pk in customers:
        for moment, wh in written[pk]:
            if PERIOD[0] <= moment.date() <= PERIOD[1]:
                combined[moment] += wh
    ranked = sorted(combined.items(), key=lambda item: (-item[1], item[0]))[:count]
    return [(moment, wh * 2 / 1000) for moment, wh in ranked]


@pytest.mark.parametrize("filters", [{}, {"area": "even"}, {"tariff": "t2"}, {"customer": "7003"}])
def test_the_top_peaks_are_the_highest_half_hours_of_the_filtered_customers(client, written, filters):
    everyone = people()
    chosen = [pk for pk, (area, tariff) in everyone.items()
              if filters.get("area", area) == area and filters.get("tariff", tariff) == tariff
              and int(filters.get("customer", pk)) == pk]
    expected = highest_half_hours(written, chosen)
    response = client.get("/summary/", {"from": PERIOD[0], "to": PERIOD[1], **filters})
    peaks = response.context["figures"]["top_peaks"]
    assert [peak["start"] for peak in peaks] == [moment for moment, _ in expected]
    assert [peak["kw"] for peak in peaks] == pytest.approx([kw for _, kw in expected])
    assert peaks[0]["end"] == expected[0][0] + timedelta(minutes=30)
    assert response.context["figures"]["peak_kw"] == pytest.approx(expected[0][1])
    text = response.content.decode()
    first = expected[0][0]
    assert f"{first.day} {first:%b %Y, %H:%M}–" in text and f"<td>{first:%A}</td>" in text
    if "customer" in filters:
        assert f'href="/detail/7003/?from={first:%Y-%m-%d}&amp;to={first:%Y-%m-%d}&amp;granularity=halfhour"' in text
    else:
        assert f"from={first:%Y-%m-%d}&amp;to={first:%Y-%m-%d}" in text


# The detail page ------------------------------------------------------------------------------------

def in_period(rows):
    return [(moment, wh) for moment, wh in rows if PERIOD[0] <= moment.date() <= PERIOD[1]]


def assert_load_duration(points: list[float], rows) -> None:
    """At each whole percent s of the time, the curve gives a demand (kW) that the half hours reach
    for more than s % of them, and exceed for no more than s %: the demand met that share of the time."""
    demands = [wh * 2 / 1000 for _, wh in rows]
    assert len(points) == 101 and points == sorted(points, reverse=True)
    assert points[0] == pytest.approx(max(demands)) and points[100] == pytest.approx(min(demands))
    for share, point in enumerate(points):
        reached = sum(demand >= point - 1e-9 for demand in demands)
        exceeded = sum(demand > point + 1e-9 for demand in demands)
        assert reached * 100 > share * len(demands) or share == 100
        assert exceeded * 100 <= share * len(demands)


def test_a_load_duration_curve_worked_by_hand():
    moment = datetime(2016, 7, 15)
    curve = LoadDuration.of([(moment, 10.0), (moment, 40.0), (moment, 20.0), (moment, 30.0)])
    # Sorted from highest: 40, 30, 20, 10 Wh, so 0.08, 0.06, 0.04, 0.02 kW, a quarter of the time each.
    assert [curve.kw[share] for share in (0, 24, 25, 50, 75, 99, 100)] == pytest.approx(
        [0.08, 0.08, 0.06, 0.04, 0.02, 0.02, 0.02])
    assert curve.peak_kw == pytest.approx(0.08)
    assert curve.share_above_half_peak == 50.0  # 40 and 30 Wh are above 20


@pytest.mark.parametrize("customer", [7002, 7030])  # in the odd area (20 peers), then the even (19 peers)
def test_the_detail_page_ranks_the_highest_half_hours_and_draws_the_load_duration_curves(client, written, customer):
    everyone = people()
    response = client.get(f"/detail/{customer}/", {"from": PERIOD[0], "to": PERIOD[1]})
    context = response.context
    own = in_period(written[customer])
    expected = sorted(own, key=lambda reading: (-reading[1], reading[0]))[:10]
    assert [(row["start"], row["kw"]) for row in context["highest_half_hours"]] == [
        (moment, pytest.approx(wh * 2 / 1000)) for moment, wh in expected
    ]
    # The median peer: the area peer with the median total over the period, the lower middle of an even count.
    totals = sorted((sum(wh for _, wh in in_period(written[pk])), pk) for pk, (area, _) in everyone.items()
                    if area == everyone[customer][0] and pk != customer and in_period(written[pk]))
    median_peer = totals[(len(totals) - 1) // 2][1]
    assert context["load_duration"]["peer_id"] == median_peer

    chart = context["load_duration_chart"]
    assert len(chart["labels"]) == 101 and chart["labels"][50] == "50"
    for dataset, rows in zip(chart["datasets"], (own, in_period(written[median_peer]))):
        assert_load_duration(dataset["data"], rows)
    peak = max(wh for _, wh in own)
    own_above = 100 * sum(wh > peak / 2 for _, wh in own) / len(own)
    own_points = [peak * 2 / 1000]
    assert context["load_duration"]["own"].share_above_half_peak == pytest.approx(own_above)
    assert chart["datasets"][1]["label"] == f"Customer {median_peer}, median of area {everyone[customer][0]} peers"
    text = response.content.decode()
    assert f"Above half its peak ({own_points[0]:.2f} kW) for\n          <strong>{own_above:.1f} %</strong>" in text


def test_a_period_without_readings_says_so_instead_of_curves(client, written):
    response = client.get("/detail/7000/", {"from": "2015-07-01", "to": "2015-07-31"})  # 7000 starts late
    assert response.context["highest_half_hours"] == []
    assert response.context["load_duration"]["own"] is None
    assert response.content.decode().count("No readings in this period.") == 2


# Percentile in group --------------------------------------------------------------------------------

def group_percentiles(written, start, end) -> dict[int, float | None]:
    """Per customer: the percent of the others of their area and tariff with readings in start..end
    who used less; None without readings there or alone."""
    everyone = people()
    totals = {pk: sum(wh for moment, wh in rows if start <= moment.date() <= end) for pk, rows in written.items()
              if any(start <= moment.date() <= end for moment, _ in rows)}
    found = {}
    for pk in everyone:
        others = [wh for other, wh in totals.items() if everyone[other] == everyone[pk] and other != pk]
        found[pk] = None if pk not in totals or not others else 100 * sum(wh < totals[pk] for wh in others) / len(others)
    return found


@pytest.mark.parametrize("period", [PERIOD, (date(2015, 9, 1), date(2015, 9, 30)), None])  # late starters: nothing
def test_the_table_gives_each_customer_their_percentile_in_group_sorted(client, written, period):
    # No period: the whole history.
    expected = group_percentiles(written, *(period or (date.min, date.max)))
    asked = {"from": period[0], "to": period[1]} if period else {}
    response = client.get("/summary/", {**asked, "_export": "csv", "sort": "-group_percentile"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    found = {int(row["Customer"]): None if row["Percentile in group"] == "" else float(row["Percentile in group"])
             for row in rows}
    assert found == {pk: None if value is None else pytest.approx(value, abs=0.005) for pk, value in expected.items()}
    ranked = [int(row["Customer"]) for row in rows if row["Percentile in group"] != ""]
    assert [expected[pk] for pk in ranked] == sorted((value for value in expected.values() if value is not None),
                                                     reverse=True)
    assert all(row["Percentile in group"] == "" for row in rows[len(ranked):])  # nothing to rank: last


def test_one_customer_is_ranked_among_their_whole_group(client, written):
    expected = group_percentiles(written, *PERIOD)
    response = client.get("/summary/", {"from": PERIOD[0], "to": PERIOD[1], "customer": "7005"})
    (row,) = response.context["table"].page.object_list
    assert 100 * row.record.group_rank == pytest.approx(expected[7005])
    assert f'<td class="number">{expected[7005]:.0f}</td>' in response.content.decode()


@pytest.mark.parametrize("period", [PERIOD, (date(2015, 9, 1), date(2015, 9, 30))])
@pytest.mark.parametrize("customer", [7001, 7025, 7028])  # 7028 starts late: nothing in September 2015
def test_the_detail_page_says_where_the_customer_stands_in_area_tariff_and_base(client, written, customer, period):
    everyone = people()
    totals = {pk: sum(wh for moment, wh in rows if period[0] <= moment.date() <= period[1])
              for pk, rows in written.items() if any(period[0] <= moment.date() <= period[1] for moment, _ in rows)}

    def below(group) -> float | None:
        others = [wh for pk, wh in totals.items() if pk != customer and group(pk)]
        return 100 * sum(wh < totals[customer] for wh in others) / len(others) if customer in totals else None

    standing = client.get(f"/detail/{customer}/", {"from": period[0], "to": period[1]}).context["peer_figures"].standing
    area, tariff = everyone[customer]
    expected = (below(lambda pk: everyone[pk][0] == area), below(lambda pk: everyone[pk][1] == tariff),
                below(lambda pk: True))
    assert (standing.area, standing.tariff, standing.base) == pytest.approx(expected)
