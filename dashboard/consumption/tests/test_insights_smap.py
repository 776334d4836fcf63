"""Comparison, percentiles, spread, top peaks and load duration on the real data set, against the
same figures summed here from the raw readings (not the aggregates)."""
import csv
import io
import statistics
from collections import defaultdict
from datetime import date, datetime, time, timedelta

import pytest

from consumption.imports import import_data
from consumption.models import Customer, Reading

pytestmark = pytest.mark.django_db

PERIOD = (date(2016, 9, 5), date(2016, 10, 20))  # cuts its first and last month
BEFORE = (date(2016, 7, 21), date(2016, 9, 4))  # the 46 days before


def raw(start: date, end: date, **filters) -> dict[int, list[tuple[datetime, float]]]:
    """Each customer's raw readings on start..end."""
    found = defaultdict(list)
    readings = Reading.objects.filter(
        timestamp__gte=datetime.combine(start, time.min), timestamp__lt=datetime.combine(end + timedelta(days=1), time.min),
        **filters,
    ).values_list("customer_id", "timestamp", "wh").order_by("customer_id", "timestamp")
    for customer_id, moment, wh in readings.iterator():
        found[customer_id].append((moment, wh))
    return found


@pytest.fixture(scope="module")
def smap(django_db_setup, django_db_blocker, smap_dir):
    with django_db_blocker.unblock():
        import_data(smap_dir)
    yield
    with django_db_blocker.unblock():
        from consumption.imports.run import IMPORT_TABLES

        for model in IMPORT_TABLES:
            model.objects.all().delete()


def test_the_comparison_and_percentiles_agree_with_the_raw_readings(client, smap):
    now = {pk: sum(wh for _, wh in rows) for pk, rows in raw(*PERIOD, customer__area="a1").items()}
    before = {pk: sum(wh for _, wh in rows) for pk, rows in raw(*BEFORE, customer__area="a1").items()}
    groups = dict(Customer.objects.filter(area="a1").values_list("pk", "tariff"))
    response = client.get("/summary/", {"area": "a1", "from": PERIOD[0], "to": PERIOD[1], "compare": "previous",
                                        "sort": "-change_pct", "_export": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == len(groups)
    for row in rows:
        pk = int(row["Customer"])
        assert float(row["Previous (kWh)"]) == round(before[pk] / 1000, 3)
        assert float(row["Change (kWh)"]) == pytest.approx((now[pk] - before[pk]) / 1000, abs=1e-3)
        assert float(row["Change (%)"]) == pytest.approx(100 * (now[pk] - before[pk]) / before[pk], abs=0.01)
        others = [wh for other, wh in now.items() if groups[other] == groups[pk] and other != pk]
        assert float(row["Percentile in group"]) == pytest.approx(
            100 * sum(wh < now[pk] for wh in others) / len(others), abs=0.01)
    changes = [float(row["Change (%)"]) for row in rows]
    assert changes == sorted(changes, reverse=True)


def test_the_top_peaks_and_the_spread_agree_with_the_raw_readings(client, smap):
    readings = raw(*PERIOD, customer__tariff="t2")
    combined = defaultdict(float)
    for rows in readings.values():
        for moment, wh in rows:
            combined[moment] += wh
    top = sorted(combined.items(), key=lambda item: (-item[1], item[0]))[:10]
    figures = client.get("/summary/", {"tariff": "t2", "from": PERIOD[0], "to": PERIOD[1]}).context["figures"]
    assert [(peak["start"], round(peak["kw"], 9)) for peak in figures["top_peaks"]] == [
        (moment, round(wh * 2 / 1000, 9)) for moment, wh in top]

    spec = client.get("/summary/chart.json", {"tariff": "t2", "from": PERIOD[0], "to": PERIOD[1],
                                              "granularity": "month", "spread": "1"}).json()
    by_month = defaultdict(lambda: defaultdict(float))
    for pk, rows in readings.items():
        for moment, wh in rows:
            by_month[moment.date().replace(day=1)][pk] += wh / 1000
    assert spec["labels"] == [f"{month:%Y-%m}" for month in sorted(by_month)]
    median = next(dataset for dataset in spec["datasets"] if dataset["label"] == "Median customer")["data"]
    high = next(dataset for dataset in spec["datasets"] if dataset["label"].startswith("90th"))["data"]
    assert median == pytest.approx([statistics.median(by_month[month].values()) for month in sorted(by_month)], abs=1e-3)
    assert high == pytest.approx([statistics.quantiles(by_month[month].values(), n=10, method="inclusive")[8]
                                  for month in sorted(by_month)], abs=1e-3)


def test_the_load_duration_curve_agrees_with_the_raw_readings(client, smap):
    customer = Customer.objects.order_by("pk").first()
    ordered = sorted((wh * 2 / 1000 for _, wh in raw(*PERIOD, customer=customer)[customer.pk]), reverse=True)
    context = client.get(f"/detail/{customer.pk}/", {"from": PERIOD[0], "to": PERIOD[1]}).context
    assert context["load_duration_chart"]["datasets"][0]["data"] == pytest.approx(
        [ordered[min(len(ordered) - 1, len(ordered) * share // 100)] for share in range(101)])
    assert context["load_duration"]["own"].share_above_half_peak == pytest.approx(
        100 * sum(value > ordered[0] / 2 for value in ordered) / len(ordered))
