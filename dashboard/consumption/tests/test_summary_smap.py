"""The summary page on the real data set, checked against sums over the raw readings (not the aggregates)."""
import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from consumption.imports import import_data
from consumption.models import Customer, Reading

pytestmark = pytest.mark.django_db


def test_it_agrees_with_the_raw_readings_to_the_watt_hour(client, smap_dir):
    import_data(smap_dir)
    start, end = date(2016, 8, 1), date(2016, 9, 30)
    in_period = {"timestamp__gte": datetime.combine(start, time.min),
                 "timestamp__lt": datetime.combine(end + timedelta(days=1), time.min)}
    a1 = Reading.objects.filter(customer__area="a1", **in_period)

    response = client.get("/summary/", {"area": "a1", "from": "2016-08-01", "to": "2016-09-30"})
    figures = response.context["figures"]
    raw = a1.aggregate(wh=Sum("wh"), readings=Count("timestamp"))
    customer_days = a1.values("customer", day=TruncDate("timestamp")).distinct().count()
    customers = Customer.objects.filter(area="a1").count()
    assert figures["customers"] == customers
    assert round(figures["total_kwh"] * 1000) == round(raw["wh"])
    assert figures["avg_daily_kwh"] == pytest.approx(raw["wh"] / customer_days / 1000)
    peak = a1.values("timestamp").annotate(wh=Sum("wh")).order_by("-wh").first()
    assert (figures["peak_at"], round(figures["peak_kw"], 6)) == (peak["timestamp"], round(peak["wh"] * 2 / 1000, 6))
    assert figures["readings"] == raw["readings"]
    assert figures["expected_readings"] == 48 * 61 * customers

    export = client.get("/summary/", {
        "area": "a1", "from": "2016-08-01", "to": "2016-09-30", "sort": "-total_kwh", "_export": "csv"})
    exported = csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode()))
    per_customer = {row["customer"]: row for row in a1.values("customer").annotate(wh=Sum("wh"), n=Count("timestamp"))}
    rows = list(exported)
    assert len(rows) == customers
    totals = [float(row["Total (kWh)"]) for row in rows]
    assert totals == sorted(totals, reverse=True)
    for row in rows:
        raw_row = per_customer[int(row["Customer"])]
        assert float(row["Total (kWh)"]) == round(raw_row["wh"] / 1000, 3)
        assert float(row["Coverage (%)"]) == round(100 * raw_row["n"] / (48 * 61), 2)

    weekly = client.get("/summary/chart.json", {"granularity": "week", "tariff": ["t1", "t3"]}).json()
    by_week = {}
    for row in Reading.objects.filter(customer__tariff__in=["t1", "t3"]).values("timestamp", "wh").iterator():
        monday = row["timestamp"].date() - timedelta(days=row["timestamp"].weekday())
        by_week[monday.isoformat()] = by_week.get(monday.isoformat(), 0.0) + row["wh"]
    assert weekly["labels"] == sorted(by_week)
    assert weekly["datasets"][0]["data"] == [round(by_week[week] / 1000, 3) for week in weekly["labels"]]
