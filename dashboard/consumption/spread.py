"""The spread of customers' consumption per day, week or month: the 10th, 50th and 90th percentile of
the filtered customers' totals in each bucket, among those with readings in it.

Exact, read from what the import keeps: each area and tariff's sorted totals of every whole bucket
(GroupBucketTotals), merged across the groups the filter takes. A week or month that the period cuts
is summed for each customer over the part the period holds, from the groups' running totals
(GroupRunningTotals): at most two such.
Percentiles interpolate linearly between the two nearest ranks (numpy's default, Python's
statistics.quantiles with method="inclusive").
"""
from collections import defaultdict
from datetime import date
from typing import NamedTuple

import numpy

from .models import GroupBucketTotals, GroupRunningTotals
from .queries import PERIOD_WH_DECIMALS
from .units import bucket_end, bucket_start

PERCENTILES = (10, 50, 90)


class Spread(NamedTuple):
    """The PERCENTILES of one bucket's customer totals, in Wh."""

    low: float  # the 10th
    median: float
    high: float  # the 90th


def spread_by_bucket(
    areas: list[str], tariffs: list[str], granularity: str, start: date, end: date, bounds: tuple[date, date],
) -> dict[date, Spread]:
    """Per bucket of `granularity` from start to end (cut to the data's `bounds`): the percentiles
    of the customers of the groups of `areas` and `tariffs` (empty: all of them)."""
    start, end = max(start, bounds[0]), min(end, bounds[1])
    if start > end:
        return {}
    first, last = bucket_start(start, granularity), bucket_start(end, granularity)
    cut = [bucket for bucket in {first, last} if _is_cut(bucket, granularity, start, end, bounds)]
    values: dict[date, list] = defaultdict(list)
    whole = (GroupBucketTotals.objects.for_groups(areas, tariffs).for_buckets(granularity, first, last)
             .exclude(period__in=cut).values_list("period", "wh"))
    for period, wh in whole:
        values[period].append(numpy.frombuffer(bytes(wh), dtype="<f8"))
    for bucket in cut:
        part = (max(bucket, start), min(bucket_end(bucket, granularity), end))
        totals = GroupRunningTotals.objects.for_groups(areas, tariffs).period_totals(*part)
        values[bucket].append(numpy.round(totals.wh, PERIOD_WH_DECIMALS))
    spread = {}
    for bucket, arrays in values.items():
        merged = numpy.concatenate(arrays)
        if merged.size:
            spread[bucket] = Spread(*(float(value) for value in numpy.percentile(merged, PERCENTILES)))
    return spread


def _is_cut(bucket: date, granularity: str, start: date, end: date, bounds: tuple[date, date]) -> bool:
    """Whether the period leaves out days of the bucket that hold data: outside the data's bounds
    the bucket has none, so a whole-history period cuts nothing."""
    first_day = max(bucket, bounds[0])
    last_day = min(bucket_end(bucket, granularity), bounds[1])
    return first_day < start or last_day > end
