"""What is rebuilt per area for the areas an import touched: the median windows (AreaSeriesMedian,
AreaProfileMedian) and the group tables that hold a value per customer of an area and tariff
(GroupBucketTotals, GroupRunningTotals, GroupPeakBlocks, GroupAlertBlocks).

A detail page compares a customer with the median of their area's other customers. Taking that
median from every peer's rows would make the page grow with the area, so the import keeps, per area,
the middle of each sorted set of customers' values (statistics.MedianWindow): per whole day, week
and month for the over-time chart, and per half-hour slot over every run of the area's months with
readings for the average-day profile (so these grow with the square of the months of history). The
page then leaves its own customer out of those two or three values. The same sorted sets, per area
and tariff and kept whole, give the summary the spread across any choice of groups.

Pages that need every customer of some groups over any period (the summary's counts of customers
with readings or alerts, the spread's cut buckets, the detail page's peers) read the group tables:
a few rows per group, whatever the number of customers, where their own rows are a few per customer.

numpy sorts these sets column by column in C.
"""
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import groupby, islice
from typing import NamedTuple

import numpy
from django.db.models import CharField
from django.db.models.functions import Cast

from ..blocks import MAX_LEVEL, block_key, block_start, split_period
from ..models import (
    Alert, AreaProfileMedian, AreaSeriesMedian, Customer, DailyConsumption, GroupAlertBlocks, GroupBucketTotals,
    GroupDaily, GroupPeakBlocks, GroupRunningTotals, ProfileMonth,
)
from ..packed import FLOAT64, INT32, INT64, NUMPY_TYPES
from ..queries import RUNNING_SUMS
from ..statistics import MedianWindow
from ..units import HALF_HOURS_PER_DAY, bucket_start
from .writer import Writer

BATCH = 2000
WINDOW_COLUMNS = MedianWindow._fields
SERIES_COLUMNS = ("area", "granularity", "period", *WINDOW_COLUMNS)
PROFILE_COLUMNS = ("area", "first_month", "last_month", "weekend", "slot", *WINDOW_COLUMNS)
TOTALS_BATCH = 50
WINDOW_ROWS = 20_000  # the customers' daily rows read at a time for the group tables


# The group tables' rows, column by column, as the writer takes them: the arrays already bytes.
class BucketTotalsRow(NamedTuple):
    area: str
    tariff: str
    granularity: str
    period: str
    count: int
    wh: bytes


class RunningTotalsRow(NamedTuple):
    area: str
    tariff: str
    date: str
    customer_ids: bytes
    wh_to_date: bytes
    readings_to_date: bytes
    days_to_date: bytes
    base_wh_to_date: bytes
    base_days_to_date: bytes


class PeakBlocksRow(NamedTuple):
    area: str
    tariff: str
    block: int
    peak_wh: bytes


class AlertBlocksRow(NamedTuple):
    area: str
    tariff: str
    kind: str
    block: int
    whole: bool
    customers: bytes


def rebuild_area_aggregates(areas: Iterable[str], writer: Writer) -> None:
    """Rebuild the median windows and group tables of `areas` from their customers' daily and
    monthly profile rows and alerts."""
    areas = sorted(set(areas))
    if not areas:
        return
    with writer.cursor():  # the ORM's statements below run after anything the writer left open
        AreaSeriesMedian.objects.filter(area__in=areas).delete()
        AreaProfileMedian.objects.filter(area__in=areas).delete()
        GroupBucketTotals.objects.filter(area__in=areas).delete()
        GroupRunningTotals.objects.filter(area__in=areas).delete()
        GroupPeakBlocks.objects.filter(area__in=areas).delete()
        GroupAlertBlocks.objects.filter(area__in=areas).delete()
    for area in areas:
        writer.insert(AreaSeriesMedian, SERIES_COLUMNS, _series_windows(area, writer))
        writer.insert(AreaProfileMedian, PROFILE_COLUMNS, _profile_windows(area))
        # After the windows, whose arrays are the area's largest: these reuse the memory they freed.
        _group_columns(area, writer)
        _insert_totals(GroupAlertBlocks, _alert_blocks(area), writer)


def _series_windows(area: str, writer: Writer) -> list[tuple]:
    """The area's median window of each whole day, week and month; its groups' sorted totals of
    each are written as they come, a few at a time, each row holding a value per customer."""
    customers = _customers(area)
    tariffs = dict(Customer.objects.filter(area=area).values_list("pk", "tariff"))
    tariff_of_row = numpy.array([tariffs[pk] for pk in customers], dtype=object)
    days = {day: index for index, day in enumerate(GroupDaily.objects.filter(area=area).dates("date", "day"))}
    column_of = {day.isoformat(): index for day, index in days.items()}
    wh = numpy.full((len(customers), len(days)), numpy.nan)  # no reading that day: NaN
    rows = (DailyConsumption.objects.filter(customer__area=area).order_by()
            .values_list("customer_id", _as_text("date"), "wh"))
    for chunk in _chunks(rows.iterator(chunk_size=BATCH)):
        wh[[customers[row[0]] for row in chunk], [column_of[row[1]] for row in chunk]] = [row[2] for row in chunk]
    windows, totals = [], []
    for granularity in ("day", "week", "month"):
        buckets: dict[date, list[int]] = {}
        for day, column in days.items():
            buckets.setdefault(bucket_start(day, granularity), []).append(column)
        for period, columns in sorted(buckets.items()):
            chunk = wh[:, columns]
            present = ~numpy.isnan(chunk).all(axis=1)
            summed = numpy.nansum(chunk, axis=1)
            values = numpy.sort(summed[present])
            windows.append((area, granularity, period.isoformat(), *MedianWindow.of(values)))
            for tariff in sorted(set(tariff_of_row[present])):
                group = numpy.sort(summed[present & (tariff_of_row == tariff)]).astype("<f8")
                totals.append(
                    BucketTotalsRow(area, tariff, granularity, period.isoformat(), len(group), group.tobytes())
                )
                if len(totals) == TOTALS_BATCH:
                    _insert_totals(GroupBucketTotals, totals, writer)
                    totals = []
    _insert_totals(GroupBucketTotals, totals, writer)
    return windows


def _group_columns(area: str, writer: Writer) -> None:
    """GroupRunningTotals of each of the area's tariffs on each day with readings in the area, and
    GroupPeakBlocks of each block holding such a day: the customers' days read in date order and
    summed as they come, so that memory holds a few values per customer, not one per customer and
    day. The sums run in day order from 0, as the import's own running totals do: the same values."""
    days = list(GroupDaily.objects.filter(area=area).dates("date", "day"))
    # Customers without readings are left out: they add nothing to any period, and a change of group
    # of theirs, which touches no sums, does not have their area rebuilt.
    groups = Customer.objects.filter(area=area, readings_count__gt=0).order_by("pk").values_list("tariff", "pk")
    for tariff, members in groupby(sorted(groups), key=lambda row: row[0]):
        ids = numpy.array([pk for _, pk in members], dtype=NUMPY_TYPES[INT64])
        position = {pk: index for index, pk in enumerate(ids.tolist())}
        sums = _RunningSums(len(ids))
        peaks = _BlockPeaks(len(ids))
        window = max(1, WINDOW_ROWS // len(ids))  # days
        for first in range(0, len(days), window):
            # A few days at a time, each few read to the end before their sums are written.
            window_days = days[first:first + window]
            rows = (DailyConsumption.objects.filter(customer__area=area, customer__tariff=tariff,
                                                    date__range=(window_days[0], window_days[-1]))
                    .order_by("date").values_list("date", "customer_id", "wh", "readings", "peak_wh", "base_wh"))
            by_day = groupby(rows.iterator(chunk_size=BATCH), key=lambda row: row[0])
            running_rows, block_rows = [], []
            next_day = next(by_day, None)
            for day in window_days:
                found = []  # none: a day of the area's other tariffs, whose totals stand
                if next_day is not None and next_day[0] == day:
                    found, next_day = list(next_day[1]), next(by_day, None)
                where = numpy.array([position[row[1]] for row in found], dtype=int)
                wh, readings, peak_wh, base_wh = zip(*(row[2:] for row in found)) if found else ([],) * 4
                if found:
                    sums.add(where, wh, readings, base_wh)
                block_rows += peaks.add(day, where, peak_wh)
                running_rows.append(RunningTotalsRow(area, tariff, day.isoformat(), ids.tobytes(), **sums.packed()))
            _insert_totals(GroupRunningTotals, running_rows, writer)
            _insert_totals(GroupPeakBlocks, [PeakBlocksRow(area, tariff, **row) for row in block_rows], writer)
        _insert_totals(GroupPeakBlocks, [PeakBlocksRow(area, tariff, **row) for row in peaks.close()], writer)


class _RunningSums:
    """Each customer's sums over their days so far, in GroupRunningTotals' columns and types."""

    def __init__(self, customers: int) -> None:
        self.sums = {name: numpy.zeros(customers, NUMPY_TYPES[code]) for name, code in RUNNING_SUMS.items()}

    def add(self, where, wh, readings, base_wh) -> None:
        """One day's rows: the customers at `where` and their figures that day (base: None for none)."""
        self.sums["wh"][where] += wh
        self.sums["readings"][where] += readings
        self.sums["days"][where] += 1
        self.sums["base_wh"][where] += [base or 0.0 for base in base_wh]
        self.sums["base_days"][where] += [base is not None for base in base_wh]

    def packed(self) -> dict[str, bytes]:
        return {f"{name}_to_date": values.tobytes() for name, values in self.sums.items()}


class _BlockPeaks:
    """Each customer's largest reading in the open block of each level, days given in date order."""

    def __init__(self, customers: int) -> None:
        self.open: list[tuple[date, object] | None] = [None] * (MAX_LEVEL + 1)  # (first day, peaks) per level
        self.empty = numpy.full(customers, -numpy.inf, dtype=NUMPY_TYPES[FLOAT64])

    def add(self, day: date, where, peak_wh: list[float]) -> list[dict]:
        """Take one day's peaks; give the blocks this day closes, as GroupPeakBlocks fields."""
        closed = []
        for level in range(MAX_LEVEL + 1):
            first_day = block_start(day, level)
            if self.open[level] is None or self.open[level][0] != first_day:
                closed += self._close(level)
                self.open[level] = (first_day, self.empty.copy())
            peaks = self.open[level][1]
            peaks[where] = numpy.maximum(peaks[where], peak_wh)
        return closed

    def close(self) -> list[dict]:
        return [row for level in range(MAX_LEVEL + 1) for row in self._close(level)]

    def _close(self, level: int) -> list[dict]:
        if self.open[level] is None:
            return []
        first_day, peaks = self.open[level]
        self.open[level] = None
        return [{"block": block_key(level, first_day), "peak_wh": peaks.tobytes()}]


def _alert_blocks(area: str) -> list[AlertBlocksRow]:
    """GroupAlertBlocks of each of the area's tariffs and kinds: each alert whole in the blocks that
    exactly cover its days, and in part in those and every block holding them."""
    bit_of, members = {}, defaultdict(int)  # customer id -> (tariff, their bit); tariff -> customers so far
    for customer_id, tariff in Customer.objects.filter(area=area).order_by("pk").values_list("pk", "tariff"):
        bit_of[customer_id] = (tariff, members[tariff])
        members[tariff] += 1
    bitmaps: dict[tuple[str, str, int, bool], int] = defaultdict(int)
    alerts = (Alert.objects.filter(customer__area=area).order_by()
              .values_list("customer_id", "kind", "first_day", "last_day"))
    for customer_id, kind, first_day, last_day in alerts.iterator(chunk_size=BATCH):
        tariff, bit = bit_of[customer_id]
        for level, block_first_day in split_period(first_day, last_day):
            bitmaps[tariff, kind, block_key(level, block_first_day), True] |= 1 << bit
            for higher in range(level, MAX_LEVEL + 1):
                bitmaps[tariff, kind, block_key(higher, block_start(block_first_day, higher)), False] |= 1 << bit
    return [
        AlertBlocksRow(area, tariff, kind, block, whole,
                       customers.to_bytes((customers.bit_length() + 7) // 8, "little"))
        for (tariff, kind, block, whole), customers in sorted(bitmaps.items())
    ]


def _insert_totals(model, rows: Iterable[BucketTotalsRow | RunningTotalsRow | PeakBlocksRow | AlertBlocksRow],
                   writer: Writer) -> None:
    """Rows of one group table, which hold binary values, a few at a time, each few made only when
    the last is written."""
    rows = iter(rows)
    while batch := list(islice(rows, TOTALS_BATCH)):
        writer.insert(model, type(batch[0])._fields, batch)


def _profile_windows(area: str) -> list[tuple]:
    """Over each run of the area's months with readings: a month without any adds nothing, so the
    page asks for the widest run within the months its period touches."""
    customers = _customers(area)
    months = list(GroupDaily.objects.filter(area=area).dates("date", "month"))
    # Weekdays and weekends one after the other: one call's arrays are freed before the next's are made.
    return [window for weekend in (False, True) for window in _profile_windows_of(area, customers, months, weekend)]


def _profile_windows_of(area: str, customers: dict[int, int], months: list[date], weekend: bool) -> list[tuple]:
    """The windows of weekdays or of weekends (`weekend`), from the customers' monthly profile rows."""
    month_index = {month.isoformat(): index for index, month in enumerate(months)}
    shape = (len(customers), len(months), HALF_HOURS_PER_DAY)
    wh, readings = numpy.zeros(shape), numpy.zeros(shape, dtype=numpy.int32)
    rows = (
        ProfileMonth.objects.filter(customer__area=area, weekend=weekend)
        .values_list("customer_id", _as_text("month"), "wh", "readings").order_by()
    )
    for customer_id, month, month_wh, month_readings in rows.iterator(chunk_size=BATCH):
        wh[customers[customer_id], month_index[month]] = numpy.frombuffer(month_wh, NUMPY_TYPES[FLOAT64])
        readings[customers[customer_id], month_index[month]] = numpy.frombuffer(month_readings, NUMPY_TYPES[INT32])
    windows = []
    for first in range(len(months)):  # each run of months first..last, its sums grown a month at a time
        summed_wh = numpy.zeros((shape[0], shape[2]))
        summed_readings = numpy.zeros((shape[0], shape[2]), dtype=numpy.int32)
        for last in range(first, len(months)):
            summed_wh += wh[:, last]
            summed_readings += readings[:, last]
            with numpy.errstate(invalid="ignore", divide="ignore"):
                means = numpy.sort(summed_wh / summed_readings, axis=0)  # no reading: NaN, sorted last
            counts = (summed_readings > 0).sum(axis=0)
            for slot in range(HALF_HOURS_PER_DAY):
                if counts[slot]:
                    windows.append((
                        area, months[first].isoformat(), months[last].isoformat(), weekend, slot,
                        *MedianWindow.of(means[:counts[slot], slot]),
                    ))
    return windows


def _customers(area: str) -> dict[int, int]:
    """The area's customers, each with its row in the arrays, in id order."""
    customers = Customer.objects.filter(area=area).order_by("pk").values_list("pk", flat=True)
    return {pk: index for index, pk in enumerate(customers)}


def _as_text(field: str) -> Cast:
    """A date column as 'YYYY-MM-DD' text: the rows are many, and text needs no conversion per row."""
    return Cast(field, CharField())


def _chunks(rows: Iterator[tuple]) -> Iterator[list[tuple]]:
    """`rows` a BATCH at a time: the arrays are filled a chunk at a time, never from every row at once."""
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
