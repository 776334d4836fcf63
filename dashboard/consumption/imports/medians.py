"""The areas' median windows (AreaSeriesMedian, AreaProfileMedian) and their groups' sorted bucket
totals (GroupBucketTotals), rebuilt for the areas an import touched.

A detail page compares a customer with the median of their area's other customers. Taking that
median from every peer's rows would make the page grow with the area, so the import keeps, per area,
the middle of each sorted set of customers' values (statistics.MedianWindow): per whole day, week
and month for the over-time chart, and per half-hour slot over every run of the area's months with
readings for the average-day profile (so these grow with the square of the months of history). The
page then leaves its own customer out of those two or three values. The same sorted sets, per area
and tariff and kept whole, give the summary the spread across any choice of groups.

numpy sorts these sets column by column in C. It is imported only when there is something to
rebuild, so a re-run of unchanged data starts no slower.
"""
from collections.abc import Iterable, Iterator
from datetime import date

from django.db.models import CharField
from django.db.models.functions import Cast

from ..blocks import MAX_LEVEL, block_key
from ..models import (
    AreaProfileMedian, AreaSeriesMedian, Customer, DailyConsumption, GroupBucketTotals, GroupDaily, GroupPeakBlocks,
    GroupRunningTotals, ProfileMonth,
)
from ..statistics import MedianWindow
from ..units import HALF_HOURS_PER_DAY, bucket_start
from .writer import Writer

BATCH = 2000
WINDOW_COLUMNS = MedianWindow._fields
SERIES_COLUMNS = ("area", "granularity", "period", *WINDOW_COLUMNS)
PROFILE_COLUMNS = ("area", "first_month", "last_month", "weekend", "slot", *WINDOW_COLUMNS)
TOTALS_BATCH = 50


def rebuild_area_aggregates(areas: Iterable[str], writer: Writer) -> None:
    """Rebuild the median windows and bucket totals of `areas` from their customers' daily and
    monthly profile rows."""
    areas = sorted(set(areas))
    if not areas:
        return
    with writer.cursor():  # the ORM's statements below run after anything the writer left open
        AreaSeriesMedian.objects.filter(area__in=areas).delete()
        AreaProfileMedian.objects.filter(area__in=areas).delete()
        GroupBucketTotals.objects.filter(area__in=areas).delete()
        GroupRunningTotals.objects.filter(area__in=areas).delete()
        GroupPeakBlocks.objects.filter(area__in=areas).delete()
    for area in areas:
        writer.insert(AreaSeriesMedian, SERIES_COLUMNS, [writer.encode_rows(_series_windows(area, writer))])
        writer.insert(AreaProfileMedian, PROFILE_COLUMNS, [writer.encode_rows(_profile_windows(area))])


def _series_windows(area: str, writer: Writer) -> list[tuple]:
    """The area's median window of each whole day, week and month; its groups' sorted totals of
    each are written as they come, a few at a time, each row holding a value per customer."""
    import numpy

    customers = _customers(area)
    tariffs = dict(Customer.objects.filter(area=area).values_list("pk", "tariff"))
    tariff_of_row = numpy.array([tariffs[pk] for pk in customers], dtype=object)
    days = {day: index for index, day in enumerate(GroupDaily.objects.filter(area=area).dates("date", "day"))}
    column_of = {day.isoformat(): index for day, index in days.items()}
    shape = (len(customers), len(days))
    # Per customer and day; NaN where the customer has no such figure that day.
    wh, peak_wh, base_wh = numpy.full(shape, numpy.nan), numpy.full(shape, numpy.nan), numpy.full(shape, numpy.nan)
    readings = numpy.zeros(shape, dtype=numpy.int32)
    rows = (DailyConsumption.objects.filter(customer__area=area).order_by()
            .values_list("customer_id", _as_text("date"), "wh", "readings", "peak_wh", "base_wh"))
    for chunk in _chunks(rows.iterator(chunk_size=BATCH)):
        where = [customers[row[0]] for row in chunk], [column_of[row[1]] for row in chunk]
        wh[where] = [row[2] for row in chunk]
        readings[where] = [row[3] for row in chunk]
        peak_wh[where] = [row[4] for row in chunk]
        base_wh[where] = [numpy.nan if row[5] is None else row[5] for row in chunk]
    _insert_group_columns(area, list(customers), tariff_of_row, list(days), wh, readings, peak_wh, base_wh, writer)
    del readings, peak_wh, base_wh
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
                totals.append(GroupBucketTotals(area=area, tariff=tariff, granularity=granularity, period=period,
                                                count=len(group), wh=group.tobytes()))
                if len(totals) == TOTALS_BATCH:
                    _insert_totals(totals, writer)
                    totals = []
    _insert_totals(totals, writer)
    return windows


def _insert_group_columns(area: str, customer_ids: list[int], tariff_of_row, days: list[date], wh, readings,
                          peak_wh, base_wh, writer: Writer) -> None:
    """GroupRunningTotals of each of the area's tariffs on each of `days`, and GroupPeakBlocks of
    each block holding any of them, from the customers' figures per day (NaN: none that day): a
    tariff at a time, to hold a third of the sums at once. The sums run in day order from 0.0, as
    the import's own running totals do, so they are the same values (0.0 added changes no sum)."""
    import numpy

    ids = numpy.array(customer_ids, dtype="<i8")
    # Customers without readings are left out: they add nothing to any period, and a change of group
    # of theirs, which touches no sums, does not have their area rebuilt.
    with_readings = readings.any(axis=1)
    ordinals = numpy.array([day.toordinal() - 1 for day in days])  # counted from day 1 of year 1, as blocks are
    for tariff in sorted(set(tariff_of_row[with_readings])):
        in_group = with_readings & (tariff_of_row == tariff)
        group_ids = ids[in_group].tobytes()
        sums = {
            "wh_to_date": numpy.cumsum(numpy.nan_to_num(wh[in_group]), axis=1, dtype="<f8"),
            "readings_to_date": numpy.cumsum(readings[in_group], axis=1, dtype="<i4"),
            "days_to_date": numpy.cumsum(readings[in_group] > 0, axis=1, dtype="<i4"),
            "base_wh_to_date": numpy.cumsum(numpy.nan_to_num(base_wh[in_group]), axis=1, dtype="<f8"),
            "base_days_to_date": numpy.cumsum(~numpy.isnan(base_wh[in_group]), axis=1, dtype="<i4"),
        }
        _insert_totals([
            GroupRunningTotals(area=area, tariff=tariff, date=day, customer_ids=group_ids,
                               **{name: values[:, column].tobytes() for name, values in sums.items()})
            for column, day in enumerate(days)
        ], writer)
        del sums
        peaks = numpy.nan_to_num(peak_wh[in_group], nan=-numpy.inf).astype("<f8")
        blocks = []
        for level in range(MAX_LEVEL + 1):
            block_of_day = ordinals >> level
            firsts = numpy.flatnonzero(numpy.diff(block_of_day, prepend=-1))  # each block's first column
            for block, block_peaks in zip(block_of_day[firsts], numpy.maximum.reduceat(peaks, firsts, axis=1).T):
                first_day = date.fromordinal((int(block) << level) + 1)
                blocks.append(GroupPeakBlocks(area=area, tariff=tariff, block=block_key(level, first_day),
                                              peak_wh=block_peaks.tobytes()))
        _insert_totals(blocks, writer)


def _insert_totals(rows: list[GroupBucketTotals] | list[GroupRunningTotals] | list[GroupPeakBlocks],
                   writer: Writer) -> None:
    """Rows of one of these models, which hold binary values: through the ORM, which encodes them
    for each database, a few at a time."""
    with writer.cursor():
        for batch in range(0, len(rows), TOTALS_BATCH):
            type(rows[batch]).objects.bulk_create(rows[batch:batch + TOTALS_BATCH])


def _profile_windows(area: str) -> list[tuple]:
    """Over each run of the area's months with readings: a month without any adds nothing, so the
    page asks for the widest run within the months its period touches. Weekdays and weekends are
    taken one after the other, to hold half the arrays at a time."""
    import numpy

    customers = _customers(area)
    months = list(GroupDaily.objects.filter(area=area).dates("date", "month"))
    month_index = {month.isoformat(): index for index, month in enumerate(months)}
    windows = []
    for weekend in (False, True):
        shape = (len(customers), len(months), HALF_HOURS_PER_DAY)
        wh, readings = numpy.zeros(shape), numpy.zeros(shape, dtype=numpy.int32)
        rows = (
            ProfileMonth.objects.filter(customer__area=area, weekend=weekend)
            .values_list("customer_id", _as_text("month"), "slot", "wh", "readings").order_by()
        )
        for chunk in _chunks(rows.iterator(chunk_size=BATCH)):
            where = (
                [customers[row[0]] for row in chunk], [month_index[row[1]] for row in chunk], [row[2] for row in chunk]
            )
            wh[where] = [row[3] for row in chunk]
            readings[where] = [row[4] for row in chunk]
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
