"""Peers' figures for the detail page, read from what the import precomputed: a fixed number of
queries and rows per peer, whatever the period and the number of customers.

- Statistics and standing: every customer's totals over exactly the period, from the groups'
  running totals at either end of it and their peaks in the few day blocks covering it (a few rows
  per group), or over all of the data from the customer's own row (one row per customer).
- Over-time series: each whole day, week or month from the area's median windows; a week or month
  that the period cuts from the area's running totals at either end of that part of it.
- Average day: the area's median window of each half hour over the whole months the period touches.
"""
from dataclasses import dataclass
from datetime import date

import numpy

from . import statistics as stats
from .models import (
    AreaProfileMedian, AreaSeriesMedian, Customer, GroupDaily, GroupPeakBlocks, GroupRunningTotals, ProfileMonth,
)
from .queries import PERIOD_WH_DECIMALS, RUNNING_SUMS
from .units import bucket_end


def data_bounds() -> tuple[date | None, date | None]:
    """The first and last day with readings of any customer: no peer has a figure outside them."""
    return GroupDaily.objects.bounds()


def _within(bounds: tuple, start: date | None, end: date | None) -> tuple[date, date] | None:
    """The period start..end (None: open on that side) cut to the data's bounds; None when nothing
    of it is left."""
    first, last = bounds
    if first is None:
        return None
    start, end = max(start or first, first), min(end or last, last)
    return (start, end) if start <= end else None


def figures(customer: Customer, start: date | None, end: date | None, bounds: tuple) -> stats.PeerFigures:
    """The customer's statistics over the period beside the medians of their area and tariff peers,
    and where they stand among those and among every customer: everyone's totals are read."""
    period = _within(bounds, start, end)
    rows = stats.PeerColumns([], [], [], [], [], [], [], [])
    if period == bounds:  # every reading: each customer's own whole-history figures
        rows = stats.PeerColumns.of_rows(Customer.objects.history_figures())
    elif period is not None:
        rows = _period_figures(*period)
    return stats.compare_with_peers(customer.pk, customer.area, customer.tariff, rows)


def _period_figures(start: date, end: date) -> stats.PeerColumns:
    """Every customer with readings in start..end, with their totals over it, from the group tables."""
    peaks = GroupPeakBlocks.objects.period_peak_arrays(start, end)
    columns = stats.PeerColumns([], [], [], [], [], [], [], [])
    for group in GroupRunningTotals.objects.period_arrays(start, end, tuple(RUNNING_SUMS)):
        if (group.area, group.tariff) not in peaks:  # no block of its area's days: no readings in the period
            continue
        kept = group.readings > 0
        count = int(numpy.count_nonzero(kept))
        columns.customer_id.extend(group.customer_ids[kept].tolist())
        columns.area.extend([group.area] * count)
        columns.tariff.extend([group.tariff] * count)
        # Python's round, as the peers' other figures (series_median) and the tests' checks round
        columns.wh.extend(round(wh, PERIOD_WH_DECIMALS) for wh in group.wh[kept].tolist())
        columns.readings.extend(group.readings[kept].tolist())
        columns.days.extend(group.days[kept].tolist())
        columns.peak_wh.extend(peaks[group.area, group.tariff][kept].tolist())  # the group's customers, in order
        columns.base_wh.extend(base / days if days else None
                               for base, days in zip(group.base_wh[kept].tolist(), group.base_days[kept].tolist()))
    return columns


def series_median(customer: Customer, granularity: str, own: list[dict], start: date, end: date) -> list[float | None]:
    """For each of the customer's buckets (`own`: period and wh), the median Wh of their area peers
    over the same days: the bucket's days within start..end."""
    periods = [row["period"] for row in own]
    windows = AreaSeriesMedian.objects.windows(customer.area, granularity, periods)
    medians = []
    for row in own:
        first, last = row["period"], bucket_end(row["period"], granularity)
        if start <= first and last <= end:
            window = windows.get(first, stats.MedianWindow(0))
            medians.append(stats.median_excluding(window, row["wh"]))
        else:  # the first or last bucket, cut by the period: at most two such
            area = (GroupRunningTotals.objects.for_groups([customer.area], [])
                    .period_totals(max(start, first), min(end, last)))
            values = sorted(round(wh, PERIOD_WH_DECIMALS) for pk, wh in zip(area.customer_ids, area.wh)
                            if pk != customer.pk)
            medians.append(stats.median_excluding(stats.MedianWindow.of(values)))
    return medians


@dataclass(frozen=True)
class ProfileMedian:
    """The area peers' median mean Wh per slot of weekdays and weekends, over whole months."""

    profile: stats.Profile
    peers: int
    first_month: date | None = None
    last_month: date | None = None


def profile_median(customer: Customer, start: date | None, end: date | None, bounds: tuple) -> ProfileMedian:
    """The median of the area peers' average days over the whole months the period touches: the
    month is the unit the import keeps them in, so a period cutting a month takes all of it."""
    period = _within(bounds, start, end)
    if period is None:
        return ProfileMedian(stats.empty_profile(), 0)
    first_month, last_month = period[0].replace(day=1), period[1].replace(day=1)
    run = AreaProfileMedian.objects.widest_run(customer.area, first_month, last_month)
    if run is None:
        return ProfileMedian(stats.empty_profile(), 0, first_month, last_month)
    own = stats.average_profiles(
        ProfileMonth.objects.filter(customer=customer).for_months(first_month, last_month).profile_sums()
    ).get(customer.pk, stats.empty_profile())
    windows = AreaProfileMedian.objects.windows(customer.area, *run)
    profile = stats.empty_profile()
    peers = 0
    for (weekend, slot), window in windows.items():
        value = own[weekend][slot]
        profile[weekend][slot] = stats.median_excluding(window, value)
        peers = max(peers, window.count - (value is not None))
    return ProfileMedian(profile, peers, first_month, last_month)
