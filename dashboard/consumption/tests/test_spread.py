"""The spread across customers (`spread=1`) on the summary chart: the 10th, 50th and 90th percentile
of the filtered customers' totals per bucket, against the same percentiles computed here from the
readings as written (statistics.quantiles, inclusive: the interpolation the page uses)."""
import statistics
from datetime import date

import pytest

from consumption.units import bucket_start

from .population import PERIOD, people, written  # noqa: F401 (written: the fixture)

pytestmark = pytest.mark.django_db

LABELS = ["10th percentile of customers", "90th percentile of customers", "Median customer"]


def expected_spread(written, customers, granularity: str, start: date, end: date) -> dict[date, tuple]:
    """Per bucket: (10th, 50th, 90th percentile) in kWh of the customers' totals over the bucket's
    days within start..end, among the customers with readings there."""
    totals: dict[date, dict[int, float]] = {}
    for pk in customers:
        for moment, wh in written[pk]:
            if start <= moment.date() <= end:
                bucket = totals.setdefault(bucket_start(moment.date(), granularity), {})
                bucket[pk] = bucket.get(pk, 0.0) + wh
    spread = {}
    for bucket, by_customer in totals.items():
        values = [wh / 1000 for wh in by_customer.values()]
        if len(values) == 1:
            spread[bucket] = (values[0],) * 3
        else:
            cuts = statistics.quantiles(values, n=10, method="inclusive")
            spread[bucket] = (cuts[0], statistics.median(values), cuts[8])
    return spread


@pytest.mark.parametrize("granularity", ["day", "week", "month"])
@pytest.mark.parametrize("filters", [{}, {"area": "even"}, {"tariff": "t2"}, {"area": "odd", "tariff": "t1"},
                                     {"customer": "7003"}])
def test_the_band_and_median_are_the_exact_percentiles_per_bucket(client, written, granularity, filters):
    everyone = people()
    chosen = [pk for pk, (area, tariff) in everyone.items()
              if filters.get("area", area) == area and filters.get("tariff", tariff) == tariff
              and int(filters.get("customer", pk)) == pk]
    # The period cuts the first and last week and month: those are summed from the groups' running totals.
    spec = client.get("/summary/chart.json", {"from": PERIOD[0], "to": PERIOD[1], "granularity": granularity,
                                              "spread": "1", **filters}).json()
    expected = expected_spread(written, chosen, granularity, *PERIOD)
    buckets = [date.fromisoformat(label if granularity != "month" else label + "-01") for label in spec["labels"]]
    assert set(expected) <= set(buckets)  # the chart's buckets run on through days without readings: gaps
    found = {dataset["label"]: dataset for dataset in spec["datasets"]}
    low, high, median = (found[label]["data"] for label in LABELS)
    assert found[LABELS[1]]["fill"] == "-1" and found[LABELS[0]]["yAxisID"] == "y2"
    for index, drawn in ((0, low), (1, median), (2, high)):
        assert drawn == [pytest.approx(expected[bucket][index], abs=1e-3) if bucket in expected else None
                         for bucket in buckets]


@pytest.mark.parametrize("granularity", ["week", "month"])
def test_over_the_whole_history_every_bucket_is_read_whole(client, written, granularity, django_assert_num_queries):
    first = min(moment.date() for rows in written.values() for moment, _ in rows)
    last = max(moment.date() for rows in written.values() for moment, _ in rows)
    expected = expected_spread(written, list(written), granularity, first, last)
    # Bounds, filter choices, counts, the series, the groups' bucket totals (nothing cut: no per-customer
    # query), plus the savepoint ATOMIC_REQUESTS opens and releases.
    with django_assert_num_queries(7):
        spec = client.get("/summary/chart.json", {"granularity": granularity, "spread": "1"}).json()
    median = next(dataset for dataset in spec["datasets"] if dataset["label"] == "Median customer")["data"]
    assert median == pytest.approx([expected[bucket][1] for bucket in sorted(expected)], abs=1e-3)


@pytest.mark.parametrize("period", [PERIOD, (date(2016, 3, 1), date(2016, 3, 2)), (date(2016, 6, 1), date(2016, 6, 1)),
                                    (date(2014, 1, 1), date(2015, 1, 20))])
@pytest.mark.parametrize("filters", [{}, {"area": "even"}, {"area": "odd", "tariff": "t2"}])
def test_customers_with_readings_in_a_period_are_counted_from_the_readings(client, written, period, filters):
    """Late starters have nothing before June 2016, and any customer may miss a day."""
    chosen = [pk for pk, (area, tariff) in people().items()
              if filters.get("area", area) == area and filters.get("tariff", tariff) == tariff]
    expected = sum(any(period[0] <= moment.date() <= period[1] for moment, _ in written[pk]) for pk in chosen)
    query = {"from": period[0], "to": period[1], **filters}
    assert client.get("/summary/chart.json", query).json()["customers_with_data"] == expected
    figures = client.get("/summary/", query).context["figures"]
    assert (figures["customers"], figures["customers_with_data"]) == (len(chosen), expected)


def test_without_spread_the_chart_has_no_band(client, written):
    spec = client.get("/summary/chart.json", {"from": PERIOD[0], "to": PERIOD[1]}).json()
    assert not {dataset["label"] for dataset in spec["datasets"]} & set(LABELS)
    page = client.get("/summary/", {"from": PERIOD[0], "to": PERIOD[1], "spread": "1"}).content.decode()
    assert "The <strong>band</strong> (right axis) runs from the 10th to the 90th" in page
    assert 'name="spread" value="1" id="id_spread" checked' in page
