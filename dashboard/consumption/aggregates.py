"""Rebuild every aggregate from the readings: for test fixtures built with factories, and repairs.

The import keeps aggregates in step incrementally; this is the slow, obvious way to the same tables,
computing each customer's rows with the same named rows (imports.rows) the import writes.
"""
from django.db import connection, transaction
from django.db.models import Count, F, Sum

from .imports.medians import rebuild_area_aggregates
from .imports.rows import as_readings, block_rows, daily_rows, history, profile_rows
from .imports.writer import writer_for
from .models import (
    AreaProfileMedian, AreaSeriesMedian, Customer, DailyConsumption, DayBlock, GroupBucketTotals, GroupDaily,
    GroupAlertBlocks, GroupHalfHour, GroupPeakBlocks, GroupRunningTotals, ProfileMonth, Reading,
)
from .packed import FLOAT64, INT32, pack
from .units import HALF_HOURS_PER_DAY, slot


@transaction.atomic
def rebuild_aggregates() -> None:
    DailyConsumption.objects.all().delete()
    ProfileMonth.objects.all().delete()
    DayBlock.objects.all().delete()
    GroupDaily.objects.all().delete()
    GroupHalfHour.objects.all().delete()
    for customer in Customer.objects.all():
        readings = as_readings(customer.reading_set.order_by("timestamp").values_list("timestamp", "wh"))
        days = daily_rows(readings)
        ProfileMonth.objects.bulk_create(
            ProfileMonth(customer=customer, **row._asdict()) for row in profile_rows(readings)
        )
        DailyConsumption.objects.bulk_create(DailyConsumption(customer=customer, **day._asdict()) for day in days)
        DayBlock.objects.bulk_create(DayBlock(customer=customer, **block._asdict()) for block in block_rows(days))
        for name, value in history(readings, days)._asdict().items():
            setattr(customer, name, value)
        customer.save()
    GroupDaily.objects.bulk_create(
        GroupDaily(**row)
        for row in DailyConsumption.objects.values("date", area=F("customer__area"), tariff=F("customer__tariff"))
        .annotate(wh=Sum("wh"), readings=Sum("readings"), customers=Count("customer"))
        .values("area", "tariff", "date", "wh", "readings", "customers")
        .order_by()
    )
    half_hours: dict[tuple, tuple[list[float], list[int]]] = {}
    for row in (Reading.objects.values("timestamp", area=F("customer__area"), tariff=F("customer__tariff"))
                .annotate(wh=Sum("wh"), readings=Count("timestamp")).order_by()):
        wh, readings = half_hours.setdefault((row["area"], row["tariff"], row["timestamp"].date()),
                                             ([0.0] * HALF_HOURS_PER_DAY, [0] * HALF_HOURS_PER_DAY))
        index = slot(row["timestamp"].hour, row["timestamp"].minute)
        wh[index], readings[index] = row["wh"], row["readings"]
    GroupHalfHour.objects.bulk_create(
        GroupHalfHour(area=area, tariff=tariff, date=day, wh=pack(FLOAT64, wh), readings=pack(INT32, readings))
        for (area, tariff, day), (wh, readings) in half_hours.items()
    )
    AreaSeriesMedian.objects.all().delete()
    AreaProfileMedian.objects.all().delete()
    GroupBucketTotals.objects.all().delete()
    GroupRunningTotals.objects.all().delete()
    GroupPeakBlocks.objects.all().delete()
    GroupAlertBlocks.objects.all().delete()
    with writer_for(connection) as writer:
        rebuild_area_aggregates(GroupDaily.objects.values_list("area", flat=True).distinct().order_by(), writer)
