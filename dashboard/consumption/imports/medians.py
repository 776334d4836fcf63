"""The areas' median windows (AreaSeriesMedian, AreaProfileMedian), rebuilt for the areas an import touched.

A detail page compares a customer with the median of their area's other customers. Taking that
median from every peer's rows would make the page grow with the area, so the import keeps, per area,
the middle of each sorted set of customers' values (statistics.MedianWindow): per whole day, week
and month for the over-time chart, and per half-hour slot over every run of the area's months with
readings for the average-day profile (so these grow with the square of the months of history). The page then leaves its own customer out of a window of three values.

numpy sorts these sets column by column in C; it is imported only when there is something to rebuild.
"""
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import transaction

from ..models import AreaProfileMedian, AreaSeriesMedian, DailyConsumption, ProfileMonth
from ..statistics import MedianWindow
from ..units import HALF_HOURS_PER_DAY

BATCH = 2000


def bucket_starts(day: date) -> dict[str, date]:
    """The first day of the day, week (from Monday) and month holding `day`."""
    return {"day": day, "week": day - timedelta(days=day.weekday()), "month": day.replace(day=1)}


@transaction.atomic
def rebuild_area_medians(areas: Iterable[str]) -> None:
    """Rebuild the median windows of `areas` from their customers' daily and monthly profile rows."""
    areas = sorted(set(areas))
    if not areas:
        return
    import numpy

    AreaSeriesMedian.objects.filter(area__in=areas).delete()
    AreaProfileMedian.objects.filter(area__in=areas).delete()
    for area in areas:
        AreaSeriesMedian.objects.bulk_create(_series_windows(numpy, area), batch_size=BATCH)
        AreaProfileMedian.objects.bulk_create(_profile_windows(numpy, area), batch_size=BATCH)


def _series_windows(numpy, area: str) -> list[AreaSeriesMedian]:
    rows = DailyConsumption.objects.filter(customer__area=area).values_list("customer_id", "date", "wh").order_by()
    customers: dict[int, int] = {}
    days: dict[date, int] = {}
    cells = [(customers.setdefault(customer, len(customers)), days.setdefault(day, len(days)), wh)
             for customer, day, wh in rows.iterator(chunk_size=BATCH)]
    if not cells:
        return []
    wh = numpy.full((len(customers), len(days)), numpy.nan)
    index = numpy.array([(customer, day) for customer, day, _ in cells])
    wh[index[:, 0], index[:, 1]] = [value for _, _, value in cells]
    windows = []
    for granularity in ("day", "week", "month"):
        buckets: dict[date, list[int]] = {}
        for day, column in days.items():
            buckets.setdefault(bucket_starts(day)[granularity], []).append(column)
        for period, columns in sorted(buckets.items()):
            chunk = wh[:, columns]
            present = ~numpy.isnan(chunk).all(axis=1)
            values = numpy.sort(numpy.nansum(chunk[present], axis=1))
            windows.append(AreaSeriesMedian(
                area=area, granularity=granularity, period=period, **_window(values.tolist()),
            ))
    return windows


def _profile_windows(numpy, area: str) -> list[AreaProfileMedian]:
    """Over each run of the area's months with readings: a month without any adds nothing, so the
    page asks for the widest run within the months its period touches."""
    rows = list(
        ProfileMonth.objects.filter(customer__area=area)
        .values_list("customer_id", "month", "weekend", "slot", "wh", "readings").order_by()
    )
    months = sorted({row[1] for row in rows})
    month_index = {month: index for index, month in enumerate(months)}
    customers: dict[int, int] = {}
    cells = [(customers.setdefault(customer, len(customers)), month_index[month], int(weekend) * HALF_HOURS_PER_DAY + slot,
              wh, readings)
             for customer, month, weekend, slot, wh, readings in rows]
    if not cells:
        return []
    shape = (len(customers), len(months), 2 * HALF_HOURS_PER_DAY)
    wh, readings = numpy.zeros(shape), numpy.zeros(shape)
    where = tuple(numpy.array([cell[:3] for cell in cells]).T)
    wh[where] = [cell[3] for cell in cells]
    readings[where] = [cell[4] for cell in cells]
    windows = []
    for first in range(len(months)):  # each run of months first..last, its sums grown a month at a time
        summed_wh, summed_readings = numpy.zeros((shape[0], shape[2])), numpy.zeros((shape[0], shape[2]))
        for last in range(first, len(months)):
            summed_wh += wh[:, last]
            summed_readings += readings[:, last]
            with numpy.errstate(invalid="ignore", divide="ignore"):
                means = numpy.sort(summed_wh / summed_readings, axis=0)  # no reading: NaN, sorted last
            counts = (summed_readings > 0).sum(axis=0)
            for column in range(means.shape[1]):
                if counts[column]:
                    windows.append(AreaProfileMedian(
                        area=area, first_month=months[first], last_month=months[last],
                        weekend=column >= HALF_HOURS_PER_DAY, slot=column % HALF_HOURS_PER_DAY,
                        **_window(means[:counts[column], column].tolist()),
                    ))
    return windows


def _window(ordered: list[float]) -> dict:
    window = MedianWindow.of(ordered)
    return {"count": window.count, "low": window.low, "middle": window.middle, "high": window.high}
