"""Queries the pages make, as QuerySet methods over the precomputed aggregates.

Every `for_period(start, end)` means the same: the days `start` to `end`, both inclusive, None
leaving that side open (day blocks need both); rows keyed by a timestamp are the half hours
starting on those days.
"""
from datetime import date, datetime, time, timedelta
from collections import defaultdict
from collections.abc import Iterable
from functools import reduce
from operator import or_
from typing import NamedTuple

import numpy
from django.conf import settings
from django.db import connections, models
from django.db.models import Count, DateTimeField, Exists, F, Func, Max, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import TruncMonth, TruncWeek

from .blocks import MAX_LEVEL, block_key, block_start, split_period
from .packed import FLOAT64, INT32, INT64, NUMPY_TYPES
from .statistics import MedianWindow
from .units import HALF_HOUR


class CustomerQuerySet(models.QuerySet):
    def period_details(self, start: date, end: date, alerts_start: date, alerts_end: date):
        """Per customer: id, the time of their largest reading over `start`..`end` (the earliest of
        equal ones; from the day blocks covering the period) and how many of their alerts meet
        alerts_start..alerts_end: the summary table's figures that no group table holds, read for
        the rows it shows."""
        peak_block = (
            _related_model(self, "dayblock").objects.filter(customer=OuterRef("pk")).for_period(start, end)
            .order_by("-peak_wh", "peak_at")
        )
        return (self.with_alert_counts(alerts_start, alerts_end)
                .annotate(period_peak_at=Subquery(peak_block.values("peak_at")[:1]))
                .values_list("pk", "period_peak_at", "period_alerts").order_by())

    def history_figures(self) -> "CustomerQuerySet":
        """Per customer with readings: customer_id, area, tariff, Wh, readings, days, largest
        half-hour Wh and mean daily base Wh, over their whole history, read from their own row."""
        return (
            self.filter(readings_count__gt=0)
            .values("area", "tariff", "peak_wh", "base_wh", customer_id=F("pk"), wh=F("total_wh"),
                    readings=F("readings_count"), days=F("days_with_data"))
            .order_by()
        )

    def counts(self, start: date | None = None, end: date | None = None) -> dict:
        """How many customers there are, and how many of them have readings in the period (or ever)."""
        if start is None or end is None:
            has_data = Q(readings_count__gt=0)
        else:
            has_data = Q(Exists(
                _related_model(self, "dailyconsumption").objects.filter(customer=OuterRef("pk")).for_period(start, end)
            ))
        return self.order_by().aggregate(customers=Count("pk"), with_data=Count("pk", filter=has_data))

    def daily(self) -> "DailyConsumptionQuerySet":
        """The daily aggregates of these customers: the summary's source when it filters on customers."""
        return _related_model(self, "dailyconsumption").objects.filter(customer__in=self.order_by().values("pk"))

    # The same figures as GroupDaily's and GroupHalfHour's, from these customers' own days: for a
    # selection that is not a whole area/tariff group, such as one customer.
    def daily_totals(self, start: date, end: date) -> dict:
        found = self.daily().for_period(start, end).aggregate(
            wh=Sum("wh"), readings=Sum("readings"), customer_days=Count("*"))
        return {key: value or 0 for key, value in found.items()}

    def highest_half_hours(self, start: date, end: date, count: int) -> list[dict]:
        """The `count` half hours of the period with the largest combined Wh of these customers, as
        {"timestamp", "wh"}, earliest first on a tie. From their readings: for a selection that is
        not a whole area/tariff group, such as one customer (GroupHalfHour serves whole groups)."""
        readings = _related_model(self, "reading").objects.filter(customer__in=self.order_by().values("pk"))
        return list(
            readings.for_period(start, end).values("timestamp").annotate(wh=Sum("wh")).order_by("-wh", "timestamp")[:count]
        )

    def daily_series(self, start: date, end: date, granularity: str, breakdown: str | None = None):
        keys = {breakdown: F(f"customer__{breakdown}")} if breakdown else {}
        return (self.daily().for_period(start, end).values(**keys, period=_TRUNCATE[granularity])
                .annotate(wh=Sum("wh")).order_by("period", *keys))

    def with_alert_counts(self, start: date, end: date) -> "CustomerQuerySet":
        """Annotate `period_alerts`: how many of each customer's alerts meet the period, from a
        subquery, as a join would repeat the customer's row for each alert. COUNT over no rows
        gives 0, so nothing needs to wrap it."""
        alerts = (
            _related_model(self, "alert").objects.filter(customer=OuterRef("pk")).for_period(start, end)
            .order_by().values(count=Func("pk", function="COUNT"))
        )
        return self.annotate(period_alerts=Subquery(alerts, output_field=models.IntegerField()))

    def areas_and_tariffs(self) -> tuple[list[str], list[str]]:
        """The distinct areas and tariffs present, sorted: the summary filters' choices, from one query."""
        pairs = list(self.order_by().values_list("area", "tariff").distinct())
        return sorted({area for area, _ in pairs}), sorted({tariff for _, tariff in pairs})


# A period's Wh is rounded to a thousandth of a Wh, finer than meters write: the difference of two
# running totals carries the float rounding of each customer's history before the period, which
# would set apart two customers with the same readings in it, in sorts and in ranks.
PERIOD_WH_DECIMALS = 3


def _related_model(customers: models.QuerySet, name: str):
    # The per-customer models are defined after this module is imported; reach them through the relation.
    return customers.model._meta.get_field(name).related_model


class DailyConsumptionQuerySet(models.QuerySet):
    def for_period(self, start: date | None, end: date | None) -> "DailyConsumptionQuerySet":
        """The days `start` to `end`, both inclusive; None leaves that side open."""
        return self.filter(_on_days("date", start, end))

    def peak_day(self) -> dict | None:
        """The day holding the largest half-hourly reading (the earliest on a tie)."""
        return self.order_by("-peak_wh", "peak_at").values("peak_wh", "peak_at").first()

    def series(self, granularity: str) -> "DailyConsumptionQuerySet":
        """Wh per day, week (starting Monday) or month, as (period start, Wh) rows in order."""
        return self.values(period=_TRUNCATE[granularity]).annotate(wh=Sum("wh")).order_by("period")


_TRUNCATE = {"day": F("date"), "week": TruncWeek("date"), "month": TruncMonth("date")}


def _on_days(field: str, start: date | None, end: date | None) -> Q:
    """`field`, a date, on the days `start` to `end`, both inclusive; None leaves that side open."""
    days = Q()
    if start is not None:
        days &= Q(**{f"{field}__gte": start})
    if end is not None:
        days &= Q(**{f"{field}__lte": end})
    return days


def _starting_on_days(field: str, start: date | None, end: date | None) -> Q:
    """`field`, a half hour's start, on the days `start` to `end`, both inclusive; None leaves that side open."""
    half_hours = Q()
    if start is not None:
        half_hours &= Q(**{f"{field}__gte": datetime.combine(start, time.min)})
    if end is not None and end < date.max:  # the day after date.max cannot be written
        half_hours &= Q(**{f"{field}__lt": datetime.combine(end + timedelta(days=1), time.min)})
    return half_hours


class ReadingQuerySet(models.QuerySet):
    def for_period(self, start: date | None, end: date | None) -> "ReadingQuerySet":
        """The half hours starting on the days `start` to `end`, both inclusive; None leaves that side open."""
        return self.filter(_starting_on_days("timestamp", start, end))

    def as_written(self) -> "ReadingQuerySet":
        """(timestamp, wh) pairs in time order, the timestamp naive as the meter wrote it.

        On PostgreSQL the column is a timestamptz, which Django converts row by row in Python (parse,
        convert, strip the zone); turned back into the session zone's wall-clock time in SQL it is a
        plain timestamp, which psycopg loads in C with no Python step per reading.
        """
        readings = self.order_by("timestamp")
        if connections[self.db].vendor == "postgresql":
            written = Func(Value(settings.TIME_ZONE), F("timestamp"), function="timezone", output_field=DateTimeField())
            return readings.annotate(written=written).values_list("written", "wh")
        return readings.values_list("timestamp", "wh")


class ProfileMonthQuerySet(models.QuerySet):
    def for_months(self, first_month: date, last_month: date) -> "ProfileMonthQuerySet":
        """The months first_month to last_month (first days of months), both inclusive."""
        return self.filter(month__gte=first_month, month__lte=last_month)

    def profile_sums(self) -> "ProfileMonthQuerySet":
        """What statistics.average_profiles() sums, in month order so the sums add up the same way each time."""
        return self.order_by("customer_id", "weekend", "month").values("customer_id", "weekend", "wh", "readings")


class DayBlockQuerySet(models.QuerySet):
    def for_period(self, start: date, end: date) -> "DayBlockQuerySet":
        """The blocks that exactly cover the days `start` to `end`, both inclusive (consumption.blocks)."""
        return self.filter(self.covering(start, end))

    @staticmethod
    def covering(start: date, end: date) -> Q:
        """The condition on a day block to be one of those covering start..end.

        Callers cut the period to the data's days first: a day block holds nothing outside them, and
        a period of millennia would be thousands of keys."""
        blocks = split_period(start, end)
        if not blocks:
            return Q(level__lt=0)  # an empty period: no block at all
        return Q(block__in=[block_key(level, first_day) for level, first_day in blocks])


class AreaSeriesMedianQuerySet(models.QuerySet):
    def windows(self, area: str, granularity: str, periods: list[date]) -> dict[date, MedianWindow]:
        """The area's median window of each of `periods` (first days of whole days, weeks or months, in order)."""
        if not periods:
            return {}
        rows = self.filter(area=area, granularity=granularity, period__gte=periods[0], period__lte=periods[-1])
        return {row.period: row.window for row in rows}


class AreaProfileMedianQuerySet(models.QuerySet):
    def widest_run(self, area: str, first_month: date, last_month: date) -> tuple[date, date] | None:
        """The area's first and last month with readings from first_month to last_month, if any."""
        return (
            self.filter(area=area, first_month__gte=first_month, last_month__lte=last_month)
            .order_by("first_month", "-last_month").values_list("first_month", "last_month").first()
        )

    def windows(self, area: str, first_month: date, last_month: date) -> dict[tuple[bool, int], MedianWindow]:
        """The area's median window of each (weekend, slot) over the whole months first_month to last_month."""
        rows = self.filter(area=area, first_month=first_month, last_month=last_month)
        return {(row.weekend, row.slot): row.window for row in rows}


class GroupDailyQuerySet(models.QuerySet):
    def bounds(self) -> tuple[date | None, date | None]:
        """The first and last dates with any reading: the period shown when none is asked for."""
        found = self.aggregate(first=Min("date"), last=Max("date"))
        return found["first"], found["last"]

    def for_groups(self, areas: list[str], tariffs: list[str]) -> "GroupDailyQuerySet":
        """Rows of the given areas and tariffs; an empty list means all of them."""
        return _for_groups(self, areas, tariffs)

    def for_period(self, start: date | None, end: date | None) -> "GroupDailyQuerySet":
        """The days `start` to `end`, both inclusive; None leaves that side open."""
        return self.filter(_on_days("date", start, end))

    def totals(self) -> dict:
        """Wh, readings and customer-days with data (a customer's day counted once) over these rows."""
        found = self.aggregate(wh=Sum("wh"), readings=Sum("readings"), customer_days=Sum("customers"))
        return {key: value or 0 for key, value in found.items()}

    def series(self, granularity: str, breakdown: str | None = None) -> "GroupDailyQuerySet":
        """Wh per day, week (from Monday) or month, and per area or tariff when `breakdown` names one."""
        keys = [breakdown] if breakdown else []
        return self.values(*keys, period=_TRUNCATE[granularity]).annotate(wh=Sum("wh")).order_by("period", *keys)


class GroupBucketTotalsQuerySet(models.QuerySet):
    def for_groups(self, areas: list[str], tariffs: list[str]) -> "GroupBucketTotalsQuerySet":
        return _for_groups(self, areas, tariffs)

    def for_buckets(self, granularity: str, first: date, last: date) -> "GroupBucketTotalsQuerySet":
        """The days, weeks or months starting on `first` to `last`, both inclusive."""
        return self.filter(granularity=granularity, period__gte=first, period__lte=last)


class CustomerTotals(NamedTuple):
    """Customers' Wh over one period, unrounded (the difference of two running totals), an element
    per customer in each list."""

    customer_ids: list[int]
    wh: list[float]


class GroupPeriodArrays(NamedTuple):
    """One group's customers with readings at all, in id order, and each one's sums over one period
    (DayBlock's sums: Wh, readings, days with readings, the days' base_wh and days with one), as
    numpy arrays: None for a sum not asked for."""

    area: str
    tariff: str
    customer_ids: "numpy.ndarray"
    wh: "numpy.ndarray | None"
    readings: "numpy.ndarray | None"
    days: "numpy.ndarray | None"
    base_wh: "numpy.ndarray | None" = None
    base_days: "numpy.ndarray | None" = None


# GroupRunningTotals' arrays and their types, each named for the sum it runs
RUNNING_SUMS = {"wh": FLOAT64, "readings": INT32, "days": INT32, "base_wh": FLOAT64, "base_days": INT32}


class GroupRunningTotalsQuerySet(models.QuerySet):
    def for_groups(self, areas: list[str], tariffs: list[str]) -> "GroupRunningTotalsQuerySet":
        return _for_groups(self, areas, tariffs)

    def period_totals(self, start: date, end: date) -> CustomerTotals:
        """The Wh over `start`..`end` (inclusive) of each customer of these groups with readings in it."""
        totals = CustomerTotals([], [])
        for group in self.period_arrays(start, end, ("wh", "readings")):
            kept = group.readings > 0
            totals.customer_ids.extend(group.customer_ids[kept].tolist())
            totals.wh.extend(group.wh[kept].tolist())
        return totals

    def period_arrays(self, start: date, end: date, sums: tuple[str, ...] = ("wh", "readings", "days")
                      ) -> list[GroupPeriodArrays]:
        """Each group's `sums` (of RUNNING_SUMS) over `start`..`end` (inclusive); those not asked
        are None, their arrays not read."""
        def between(to_end, before, name: str) -> "numpy.ndarray":
            numpy_type = NUMPY_TYPES[RUNNING_SUMS[name]]
            values = numpy.frombuffer(getattr(to_end, f"{name}_to_date"), dtype=numpy_type)
            return values if before is None else values - numpy.frombuffer(getattr(before, f"{name}_to_date"),
                                                                          dtype=numpy_type)

        return [
            GroupPeriodArrays(
                to_end.area, to_end.tariff, numpy.frombuffer(to_end.customer_ids, dtype=NUMPY_TYPES[INT64]),
                **{name: between(to_end, before, name) if name in sums else None for name in RUNNING_SUMS},
            )
            for to_end, before in self._bounding_rows(start, end, sums)
        ]

    def _bounding_rows(self, start: date, end: date, sums: Iterable[str] = tuple(RUNNING_SUMS)) -> list[tuple]:
        """Per group: its last row up to `end`, and its last row before `start` (None if none): their
        sums' differences are the period's. A group whose rows all come after `end` gives its first
        row twice: nothing in the period, for each of its customers. Two queries, two rows per group,
        with the arrays of the running `sums` only: each holds a value per customer."""
        last = (
            self.order_by().values("area", "tariff")
            .annotate(to_end=Max("date", filter=Q(date__lte=end)), before=Max("date", filter=Q(date__lt=start)),
                      first=Min("date"))
        )
        keys = [(row["area"], row["tariff"], row["to_end"], row["before"]) if row["to_end"] else
                (row["area"], row["tariff"], row["first"], row["first"]) for row in last]
        if not keys:
            return []
        wanted = [Q(area=area, tariff=tariff, date__in=[day for day in days if day]) for area, tariff, *days in keys]
        arrays = ["area", "tariff", "date", "customer_ids", *(f"{name}_to_date" for name in sums)]
        rows = {(row.area, row.tariff, row.date): row for row in self.filter(reduce(or_, wanted)).only(*arrays)}
        # One rebuild of an area writes all its rows: both hold the same customers, in the same order.
        return [(rows[area, tariff, to_end], rows[area, tariff, before] if before else None)
                for area, tariff, to_end, before in keys]


class GroupPeakBlocksQuerySet(models.QuerySet):
    def for_groups(self, areas: list[str], tariffs: list[str]) -> "GroupPeakBlocksQuerySet":
        return _for_groups(self, areas, tariffs)

    def period_peak_arrays(self, start: date, end: date) -> dict[tuple[str, str], "numpy.ndarray"]:
        """Per group (area, tariff): the largest half-hour Wh of each of its customers (as in
        GroupRunningTotals) within `start`..`end` (inclusive), -inf for none; from the few blocks
        covering the period."""
        arrays = defaultdict(list)
        for area, tariff, peaks in self._covering(start, end):
            arrays[area, tariff].append(numpy.frombuffer(peaks, dtype=NUMPY_TYPES[FLOAT64]))
        return {group: numpy.maximum.reduce(peaks) for group, peaks in arrays.items()}

    def _covering(self, start: date, end: date):
        """(area, tariff, peak_wh) of each group's blocks covering `start`..`end`."""
        keys = [block_key(level, first_day) for level, first_day in split_period(start, end)]
        return self.filter(block__in=keys).order_by().values_list("area", "tariff", "peak_wh")


class GroupAlertBlocksQuerySet(models.QuerySet):
    def for_groups(self, areas: list[str], tariffs: list[str]) -> "GroupAlertBlocksQuerySet":
        return _for_groups(self, areas, tariffs)

    def customers_by_kind(self, start: date, end: date) -> tuple[int, dict[str, int]]:
        """AlertQuerySet.customers_by_kind() of these groups' alerts meeting `start`..`end`
        (inclusive): per group and kind, the union of the bitmaps of the blocks covering the period
        (alerts in part of them) and of the blocks holding those (alerts over the whole of them)."""
        bitmaps: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        covering = split_period(start, end)
        holding = {block_key(higher, block_start(first_day, higher))
                   for level, first_day in covering for higher in range(level + 1, MAX_LEVEL + 1)}
        wanted = Q(whole=False, block__in=[block_key(level, first_day) for level, first_day in covering])
        for area, tariff, kind, customers in (
            self.filter(wanted | Q(whole=True, block__in=holding)).order_by()
            .values_list("area", "tariff", "kind", "customers")
        ):
            bitmaps[area, tariff][kind] |= int.from_bytes(customers, "little")
        total, by_kind = 0, defaultdict(int)
        for kinds in bitmaps.values():  # the groups hold different customers: their counts add up
            total += reduce(or_, kinds.values()).bit_count()
            for kind, customers in kinds.items():
                by_kind[kind] += customers.bit_count()
        return total, {kind: count for kind, count in by_kind.items() if count}


class GroupHalfHourQuerySet(models.QuerySet):
    def for_groups(self, areas: list[str], tariffs: list[str]) -> "GroupHalfHourQuerySet":
        return _for_groups(self, areas, tariffs)

    def for_period(self, start: date | None, end: date | None) -> "GroupHalfHourQuerySet":
        """The days `start` to `end`, both inclusive; None leaves that side open."""
        return self.filter(_on_days("date", start, end))

    def highest(self, count: int) -> list[dict]:
        """The `count` half hours with readings with the largest combined Wh of these groups, as
        {"timestamp", "wh"}, earliest first on a tie."""
        days: dict[date, list] = {}
        for day, wh, readings in self.values_list("date", "wh", "readings").order_by("date", "area", "tariff"):
            sums = days.setdefault(day, [0.0, 0])
            sums[0] = sums[0] + numpy.frombuffer(wh, NUMPY_TYPES[FLOAT64])
            sums[1] = sums[1] + numpy.frombuffer(readings, NUMPY_TYPES[INT32])
        if not days:
            return []
        ordered = sorted(days)
        wh = numpy.concatenate([days[day][0] for day in ordered])
        with_readings = numpy.flatnonzero(numpy.concatenate([days[day][1] for day in ordered]) > 0)
        # The largest first; on a tie the earlier, whose index in time order is the smaller.
        top = with_readings[numpy.lexsort((with_readings, -wh[with_readings]))][:count]
        slots = len(days[ordered[0]][0])
        return [
            {"timestamp": datetime.combine(ordered[index // slots], time.min) + HALF_HOUR * int(index % slots),
             "wh": float(wh[index])}
            for index in top
        ]


def _for_groups(rows: models.QuerySet, areas: list[str], tariffs: list[str]) -> models.QuerySet:
    if areas:
        rows = rows.filter(area__in=areas)
    if tariffs:
        rows = rows.filter(tariff__in=tariffs)
    return rows


class AlertQuerySet(models.QuerySet):
    def customers_by_kind(self) -> tuple[int, dict[str, int]]:
        """How many customers these alerts concern, in all and for each kind with any: one pass over
        the alerts, a distinct count for each kind beside the total (a customer may have several kinds)."""
        kinds = [kind for kind, _ in self.model._meta.get_field("kind").choices]
        found = self.order_by().aggregate(
            total=Count("customer_id", distinct=True),
            **{kind: Count("customer_id", distinct=True, filter=Q(kind=kind)) for kind in kinds},
        )
        total = found.pop("total")
        return total, {kind: count for kind, count in found.items() if count}

    def for_period(self, start: date | None, end: date | None) -> "AlertQuerySet":
        """Alerts whose days meet the days `start` to `end`, both inclusive; None leaves that side open."""
        alerts = self
        if start is not None:
            alerts = alerts.filter(last_day__gte=start)
        if end is not None:
            alerts = alerts.filter(first_day__lte=end)
        return alerts
