"""Rebuild every aggregate from the readings: for test fixtures built with factories, and repairs.

The importer keeps aggregates in step incrementally; this is the slow, obvious way to the same tables.
"""
from django.db import transaction
from django.db.models import Count, F, Sum

from .importer import as_columns, daily_totals, monthly_profiles, whole_history
from .models import Customer, DailyConsumption, GroupDaily, GroupHalfHour, ProfileMonth, Reading


@transaction.atomic
def rebuild_aggregates() -> None:
    DailyConsumption.objects.all().delete()
    ProfileMonth.objects.all().delete()
    GroupDaily.objects.all().delete()
    GroupHalfHour.objects.all().delete()
    for customer in Customer.objects.all():
        readings = customer.reading_set.order_by("timestamp").values_list("timestamp", "wh")
        timestamps, values = as_columns(readings)
        days = daily_totals(timestamps, values)
        ProfileMonth.objects.bulk_create(
            ProfileMonth(customer=customer, month=month, weekend=weekend, slot=slot, wh=wh, readings=n)
            for month, weekend, slot, wh, n in monthly_profiles(timestamps, values)
        )
        DailyConsumption.objects.bulk_create(
            DailyConsumption(customer=customer, date=d, wh=wh, readings=n, peak_wh=p, peak_at=at, base_wh=b)
            for d, wh, n, p, at, b in days
        )
        for name, value in whole_history(timestamps, values, days).items():
            setattr(customer, name, value)
        customer.save()
    GroupDaily.objects.bulk_create(
        GroupDaily(**row)
        for row in DailyConsumption.objects.values("date", area=F("customer__area"), tariff=F("customer__tariff"))
        .annotate(wh=Sum("wh"), readings=Sum("readings"), customers=Count("customer"))
        .values("area", "tariff", "date", "wh", "readings", "customers")
        .order_by()
    )
    GroupHalfHour.objects.bulk_create(
        GroupHalfHour(**row)
        for row in Reading.objects.values("timestamp", area=F("customer__area"), tariff=F("customer__tariff"))
        .annotate(wh=Sum("wh"), readings=Count("timestamp"))
        .values("area", "tariff", "timestamp", "wh", "readings")
        .order_by()
    )
