"""One customer's statistics, profiles and heatmap, and their peers' medians, from rows the queries return.

Pure computations, no database access. Readings are Wh per half hour, turned into kWh and kW by
`units`.
"""
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import add
from typing import NamedTuple

import numpy

from .packed import FLOAT64, INT32, unpack
from .units import HALF_HOURS_PER_DAY, kw, kwh, slot

EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class PeriodStatistics:
    """What one customer used over a period; None where the period holds too little data."""

    total_kwh: float
    readings: int
    days: int
    average_daily_kwh: float | None
    peak_kw: float | None
    base_load_kw: float | None
    mean_kw: float | None
    load_factor: float | None

    @classmethod
    def from_totals(
        cls, wh: float | None, readings: int | None, days: int | None, peak_wh: float | None,
        base_wh: float | None,
    ) -> "PeriodStatistics":
        """From a period's sums: Wh, readings, days with data, largest half-hour Wh, mean daily base Wh.

        Mean kW is the Wh over the hours the readings cover (half an hour each), so a gap in the
        data neither lowers it nor the load factor (mean kW / peak kW).
        """
        wh, readings, days = wh or 0.0, readings or 0, days or 0
        return cls(
            total_kwh=kwh(wh),
            readings=readings,
            days=days,
            average_daily_kwh=_average_daily_kwh(wh, days),
            peak_kw=kw(peak_wh),
            base_load_kw=kw(base_wh),
            mean_kw=kw(wh, readings),
            load_factor=_load_factor(wh, readings, peak_wh),
        )


def _average_daily_kwh(wh: float, days: int) -> float | None:
    return kwh(wh) / days if days else None


def _load_factor(wh: float, readings: int, peak_wh: float | None) -> float | None:
    """Mean kW over the readings' hours ÷ peak kW."""
    mean_kw, peak_kw = kw(wh, readings), kw(peak_wh)
    return mean_kw / peak_kw if mean_kw is not None and peak_kw else None


EMPTY = PeriodStatistics.from_totals(0, 0, 0, None, None)

# The statistics shown beside the peers' medians.
PEER_STATISTICS = ("total_kwh", "average_daily_kwh", "peak_kw", "base_load_kw", "load_factor")


@dataclass(frozen=True)
class PeerMedians:
    """The median of each compared statistic over a group of peers with data in the period."""

    peers: int
    total_kwh: float | None = None
    average_daily_kwh: float | None = None
    peak_kw: float | None = None
    base_load_kw: float | None = None
    load_factor: float | None = None

    @classmethod
    def of(cls, figures: dict[str, list], peers: list[int]) -> "PeerMedians":
        """Over the customers at the positions `peers` of `figures` (peer_statistics())."""
        medians = {}
        for name, column in figures.items():
            values = [column[peer] for peer in peers if column[peer] is not None]
            medians[name] = statistics.median(values) if values else None
        return cls(peers=len(peers), **medians)


@dataclass(frozen=True)
class Standing:
    """Where a customer's total stands among the others with readings in the period: the percent of
    them who used less, within the area, the tariff and the whole base (None: no one to compare)."""

    area: float | None = None
    tariff: float | None = None
    base: float | None = None


def percent_below(value: float | None, others: list[float]) -> float | None:
    """The percent of `others` below `value`; None without a value or others."""
    if value is None or not others:
        return None
    return 100 * sum(1 for other in others if other < value) / len(others)


def shares_below(values: "numpy.ndarray") -> "numpy.ndarray":
    """Each of one group's `values`' share, 0 to 1, of the others that are less (ties share the
    lower rank); NaN for a value alone. The rule of percent_below, for a whole group at once: the
    others below are counted by bisection."""
    if len(values) < 2:
        return numpy.full(len(values), numpy.nan)
    return numpy.searchsorted(numpy.sort(values), values, side="left") / (len(values) - 1)


@dataclass(frozen=True)
class PeerFigures:
    """A customer's statistics over a period beside their peers' medians, and where they stand."""

    customer: PeriodStatistics
    area: PeerMedians
    tariff: PeerMedians
    # The area peer whose total is the median (the lower middle one of an even count; ties by id).
    area_median_peer: int | None = None
    standing: Standing = Standing()


class PeerColumns(NamedTuple):
    """Per-customer period totals of every customer with readings in a period, as columns: a list
    per field, an element per customer (there may be thousands: lists, not an object each)."""

    customer_id: list[int]
    area: list[str]
    tariff: list[str]
    wh: list[float]
    readings: list[int]
    days: list[int]
    peak_wh: list[float | None]
    base_wh: list[float | None]  # mean daily base Wh; None: no day has one

    @classmethod
    def of_rows(cls, rows: Iterable[Mapping]) -> "PeerColumns":
        """From rows with these fields as keys."""
        rows = list(rows)
        return cls(*([row[name] for row in rows] for name in cls._fields))


def peer_statistics(peers: PeerColumns) -> dict[str, list]:
    """Each of PEER_STATISTICS for every customer of `peers`, by PeriodStatistics.from_totals' rules."""
    wh = [total or 0.0 for total in peers.wh]
    readings = [count or 0 for count in peers.readings]
    return dict(zip(PEER_STATISTICS, (
        [kwh(total) for total in wh],
        [_average_daily_kwh(total, days or 0) for total, days in zip(wh, peers.days)],
        [kw(peak) for peak in peers.peak_wh],
        [kw(base) for base in peers.base_wh],
        [_load_factor(total, count, peak) for total, count, peak in zip(wh, readings, peers.peak_wh)],
    ), strict=True))


def compare_with_peers(customer_id: int, area: str, tariff: str, peers: PeerColumns) -> PeerFigures:
    """The customer's statistics, the medians of the other customers in their area and on their tariff,
    and where the customer's total stands among them and among everyone: `peers` holds every customer
    with readings in the period, the customer among them if they have any."""
    own_index = next((index for index, pk in enumerate(peers.customer_id) if pk == customer_id), None)
    own, own_wh = EMPTY, None
    if own_index is not None:
        own_wh = peers.wh[own_index]
        own = PeriodStatistics.from_totals(own_wh, peers.readings[own_index], peers.days[own_index],
                                           peers.peak_wh[own_index], peers.base_wh[own_index])
    others = [index for index in range(len(peers.customer_id)) if index != own_index]
    in_area = [index for index in others if peers.area[index] == area]
    on_tariff = [index for index in others if peers.tariff[index] == tariff]
    area_totals = sorted((peers.wh[index], peers.customer_id[index]) for index in in_area)
    median_peer = area_totals[(len(area_totals) - 1) // 2][1] if area_totals else None
    standing = Standing(
        area=percent_below(own_wh, [wh for wh, _ in area_totals]),
        tariff=percent_below(own_wh, [peers.wh[index] for index in on_tariff]),
        base=percent_below(own_wh, [peers.wh[index] for index in others]),
    )
    figures = peer_statistics(peers)
    return PeerFigures(own, PeerMedians.of(figures, in_area), PeerMedians.of(figures, on_tariff), median_peer, standing)


@dataclass(frozen=True)
class Change:
    """A figure over the period beside the same figure over the compared period."""

    now: float | None
    before: float | None

    @property
    def difference(self) -> float | None:
        return None if self.now is None or self.before is None else self.now - self.before

    @property
    def percent(self) -> float | None:
        """The difference in percent of the compared figure; None when that is 0 or missing."""
        return None if self.difference is None or not self.before else 100 * self.difference / self.before


def coverage_percent(readings: int, first_day: date | None, last_day: date | None) -> float | None:
    """Readings stored as a percentage of the HALF_HOURS_PER_DAY a day expected from the first day to the last."""
    if first_day is None or last_day is None:
        return None
    expected = ((last_day - first_day).days + 1) * HALF_HOURS_PER_DAY
    return 100 * readings / expected if expected > 0 else None


Profile = dict[bool, list[float | None]]  # weekend? -> mean Wh per slot, None where no reading


def average_profiles(rows: Iterable[Mapping]) -> dict[int, Profile]:
    """Per customer, for weekdays (False) and weekends (True): the mean Wh in each half-hour slot.

    `rows` are ProfileMonth rows: customer_id, weekend, and wh and readings per slot, packed.
    """
    sums: dict[tuple[int, bool], tuple[list[float], list[int]]] = {}
    for row in rows:
        wh, readings = sums.setdefault((row["customer_id"], bool(row["weekend"])),
                                       ([0.0] * HALF_HOURS_PER_DAY, [0] * HALF_HOURS_PER_DAY))
        wh[:] = map(add, wh, unpack(FLOAT64, row["wh"]))
        readings[:] = map(add, readings, unpack(INT32, row["readings"]))
    profiles: dict[int, Profile] = {}
    for (customer_id, weekend), (wh, readings) in sums.items():
        profile = profiles.setdefault(customer_id, empty_profile())
        profile[weekend] = [total / count if count else None for total, count in zip(wh, readings)]
    return profiles


def empty_profile() -> Profile:
    return {False: [None] * HALF_HOURS_PER_DAY, True: [None] * HALF_HOURS_PER_DAY}


def average_profile(readings: Iterable[tuple[datetime, float]]) -> Profile:
    """One customer's mean Wh in each half-hour slot of weekdays and of weekends, from (timestamp, Wh) readings."""
    sums = {weekend: [0.0] * HALF_HOURS_PER_DAY for weekend in (False, True)}
    counts = {weekend: [0] * HALF_HOURS_PER_DAY for weekend in (False, True)}
    for timestamp, wh in readings:
        weekend, index = timestamp.weekday() >= 5, slot(timestamp.hour, timestamp.minute)
        sums[weekend][index] += wh
        counts[weekend][index] += 1
    return {
        weekend: [total / count if count else None for total, count in zip(sums[weekend], counts[weekend])]
        for weekend in (False, True)
    }


class MedianWindow(NamedTuple):
    """The middle of a sorted set of `count` values: the value at index (count - 2) // 2 (`low`), the
    next one (`middle`) and, for an odd count, the one after (`high`); None where there is none.
    A tuple, so the import writes it as the row's columns as it is."""

    count: int
    low: float | None = None
    middle: float | None = None
    high: float | None = None

    @classmethod
    def of(cls, ordered: list[float]) -> "MedianWindow":
        """The window of `ordered`, sorted values (a list, or a numpy array: only the window is read)."""
        count = len(ordered)
        first = max(0, (count - 2) // 2)
        return cls(count, *(float(value) for value in ordered[first:count // 2 + count % 2 + 1]))

    @property
    def values(self) -> list[float]:
        return [value for value in (self.low, self.middle, self.high) if value is not None]


def median_excluding(window: MedianWindow, value: float | None = None) -> float | None:
    """The median of the window's set with one customer's `value` left out (None: they are not in it).

    Only values matter, not whose they are: leaving out one copy of `value` gives the same set
    whichever customer held it. `value` may differ from the stored copy by rounding (it is summed
    in another order): near the window's edges either reading gives the same median.
    """
    values, count = window.values, window.count
    if count <= 1:
        return None if value is not None or not count else values[0]
    first = (count - 2) // 2  # the index of window.low in the whole set
    if value is not None:
        count -= 1
        if value < values[0]:
            first -= 1  # taken out below the window: it moves down one place
        elif value <= values[-1]:
            values = list(values)
            values.remove(min(values, key=lambda kept: abs(kept - value)))
        # above the window: nothing in it moves
    middle = count // 2 - first
    return values[middle] if count % 2 else (values[middle - 1] + values[middle]) / 2


def highest(readings: Iterable[tuple[datetime, float]], count: int) -> list[tuple[datetime, float]]:
    """The `count` readings with the most Wh, earliest first on a tie."""
    return sorted(readings, key=lambda reading: (-reading[1], reading[0]))[:count]


@dataclass(frozen=True)
class LoadDuration:
    """Demand sorted from highest to lowest against the share of the half hours with readings."""

    kw: list[float]  # at each of SHARES
    peak_kw: float
    share_above_half_peak: float  # percent of the half hours whose demand is above half the peak

    SHARES = list(range(101))  # percent

    @classmethod
    def of(cls, readings: Iterable[tuple[datetime, float]]) -> "LoadDuration | None":
        """The curve of (timestamp, Wh) readings; None without readings. At share s the demand is the
        reading at place floor(s × n) of the n readings sorted from highest (s a whole percent, so
        the place is counted in integers): the demand met or exceeded for that share of the time."""
        ordered = sorted((wh for _, wh in readings), reverse=True)
        if not ordered:
            return None
        count = len(ordered)
        at = [kw(ordered[min(count - 1, count * share // 100)]) for share in cls.SHARES]
        above = sum(1 for wh in ordered if wh > ordered[0] / 2)
        return cls(at, kw(ordered[0]), 100 * above / count)


def heatmap(readings: Iterable[tuple[datetime, float]]) -> tuple[list[date], list[list[float | None]]]:
    """Every date from the first reading to the last, each with its half-hourly Wh (None if missing)."""
    by_date: dict[date, list[float | None]] = {}
    for timestamp, wh in readings:
        day = by_date.setdefault(timestamp.date(), [None] * HALF_HOURS_PER_DAY)
        day[slot(timestamp.hour, timestamp.minute)] = wh
    if not by_date:
        return [], []
    first, last = min(by_date), max(by_date)
    dates = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return dates, [by_date.get(day, [None] * HALF_HOURS_PER_DAY) for day in dates]


def epoch_ms(moment: datetime) -> int:
    """A naive meter timestamp as milliseconds since 1970, read as UTC so no browser zone shifts it."""
    return int((moment - EPOCH).total_seconds() * 1000)


def colour_scale(values: Iterable[Iterable[float | None]]) -> tuple[float, float]:
    """The heatmap's colour range in Wh: the lowest reading to the 99th percentile, so one spike cannot wash it out."""
    flat = sorted(wh for row in values for wh in row if wh is not None)
    if not flat:
        return 0.0, 0.0
    return flat[0], flat[min(len(flat) - 1, int(len(flat) * 0.99))]
