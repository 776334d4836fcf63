"""The rows an import computes from one customer's readings, named, and how each is computed.

A new daily figure is a field of DailyRow, computed in daily_rows(), plus the field of the
DailyConsumption model with its migration: every writer and reader takes the columns from here.
"""
from bisect import bisect_left
from datetime import date as date_type
from datetime import datetime
from operator import add
from typing import NamedTuple

from ..alerts import AlertRow
from ..blocks import MAX_LEVEL, block_key
from ..packed import FLOAT64, INT32, pack
from ..parsing import timestamp_text
from ..units import BASE_LOAD_READINGS, HALF_HOURS_PER_DAY, slot_of

# "~" sorts after every "YYYY-MM-DD hh:mm:ss": bisecting for date + END_OF_DAY finds the next day.
END_OF_DAY = "~"


class DailyRow(NamedTuple):
    """One customer's day (a DailyConsumption row without its customer)."""

    date: str
    wh: float
    readings: int
    peak_wh: float
    peak_at: str  # the earliest half hour holding the day's peak
    base_wh: float | None  # None on a day with fewer than BASE_LOAD_READINGS readings


class ProfileRow(NamedTuple):
    """One customer's readings in one month, summed per half-hour slot of weekdays or of weekends."""

    month: str  # its first day
    weekend: bool
    wh: bytes  # per slot, packed FLOAT64
    readings: bytes  # per slot, packed INT32


class BlockRow(NamedTuple):
    """One customer's days in one block of 2**level days (consumption.blocks), summed."""

    block: int  # blocks.block_key(level, first_day)
    level: int
    first_day: str
    wh: float
    readings: int
    days: int  # days with readings
    peak_wh: float
    peak_at: str  # the earliest half hour holding the block's peak
    base_wh: float  # the days' base_wh summed, over the days that have one
    base_days: int


class History(NamedTuple):
    """The Customer fields that summarise all of a customer's readings."""

    readings_count: int
    total_wh: float
    days_with_data: int
    first_reading_at: str | None
    last_reading_at: str | None
    peak_wh: float | None
    peak_at: str | None
    base_wh: float | None  # the mean of the days' base_wh, over the days that have one


class Readings(NamedTuple):
    """A customer's readings in time order, as two parallel lists: the parser's and the sums' shape."""

    timestamps: list[str]  # 'YYYY-MM-DD HH:MM:SS'
    values: list[float]  # Wh


# The tables' columns for these rows: the customer, then the row's own fields.
DAILY_COLUMNS = ("customer_id", *DailyRow._fields)
PROFILE_COLUMNS = ("customer_id", *ProfileRow._fields)
BLOCK_COLUMNS = ("customer_id", *BlockRow._fields)
ALERT_COLUMNS = ("customer_id", "kind", "first_day", "last_day", "starts_at", "ends_at", "magnitude", "explanation")


def with_customer(customer_id: int, rows: list[tuple]) -> list[tuple]:
    """Rows as the tables take them (DAILY_COLUMNS, PROFILE_COLUMNS)."""
    return [(customer_id, *row) for row in rows]


def alert_rows(customer_id: int, alerts: list[AlertRow]) -> list[tuple]:
    """Alerts as the Alert table takes them (ALERT_COLUMNS): the days they span, and their first and
    last half hour when they are about half hours."""
    return [
        (customer_id, alert.kind, alert.start[:10], alert.end[:10],
         alert.start if len(alert.start) > 10 else None, alert.end if len(alert.end) > 10 else None,
         alert.magnitude, alert.explanation)
        for alert in alerts
    ]


def daily_rows(readings: Readings) -> list[DailyRow]:
    """One row per day with readings; `readings` in time order, all of the customer's."""
    timestamps, values = readings
    days = []
    start, count = 0, len(timestamps)
    while start < count:
        date = timestamps[start][:10]
        end = bisect_left(timestamps, date + END_OF_DAY, start)
        day = values[start:end]
        wh = float(sum(day))
        peak = max(day)
        lowest = sorted(day)[:BASE_LOAD_READINGS]
        base = sum(lowest) / BASE_LOAD_READINGS if len(lowest) == BASE_LOAD_READINGS else None
        days.append(DailyRow(date, wh, end - start, peak, timestamps[start + day.index(peak)], base))
        start = end
    return days


def block_rows(days: list[DailyRow]) -> list[BlockRow]:
    """Every block, at each level up to MAX_LEVEL, holding any of `days` (daily_rows(), in date order).

    Each level's blocks are the level below taken in pairs, so the work is twice the days, not the
    days times the levels.
    """
    # [block number, wh, readings, days, peak_wh, peak_at, base_wh, base_days]: blocks of 2**level
    # days numbered from day 1 of year 1, as block_start() aligns them
    level = [
        [date_type.fromisoformat(day.date).toordinal() - 1, day.wh, day.readings, 1, day.peak_wh, day.peak_at,
         day.base_wh or 0.0, int(day.base_wh is not None)]
        for day in days
    ]
    rows = []
    for number in range(MAX_LEVEL + 1):
        for block, *sums in level:
            first_day = date_type.fromordinal((block << number) + 1)
            rows.append(BlockRow(block_key(number, first_day), number, first_day.isoformat(), *sums))
        merged = []
        for block, wh, readings, count, peak_wh, peak_at, base_wh, base_days in level:
            block >>= 1
            if merged and merged[-1][0] == block:
                pair = merged[-1]
                pair[1] += wh
                pair[2] += readings
                pair[3] += count
                if peak_wh > pair[4]:  # on a tie the earlier peak stays
                    pair[4], pair[5] = peak_wh, peak_at
                pair[6] += base_wh
                pair[7] += base_days
            else:
                merged.append([block, wh, readings, count, peak_wh, peak_at, base_wh, base_days])
        level = merged
    return rows


def profile_rows(readings: Readings) -> list[ProfileRow]:
    """One row per month and weekdays or weekends with readings; `readings` in time order."""
    timestamps, values = readings
    sums: dict[tuple[str, bool], tuple[list[float], list[int]]] = {}
    full_day = [1] * HALF_HOURS_PER_DAY
    start, count = 0, len(timestamps)
    while start < count:
        date = timestamps[start][:10]
        end = bisect_left(timestamps, date + END_OF_DAY, start)
        key = (date[:8] + "01", date_type.fromisoformat(date).weekday() >= 5)
        wh, counts = sums.setdefault(key, ([0.0] * HALF_HOURS_PER_DAY, [0] * HALF_HOURS_PER_DAY))
        if end - start == HALF_HOURS_PER_DAY:  # a complete day: added slot by slot in C
            wh[:] = map(add, wh, values[start:end])
            counts[:] = map(add, counts, full_day)
        else:
            for timestamp, value in zip(timestamps[start:end], values[start:end]):
                slot = slot_of(timestamp)
                wh[slot] += value
                counts[slot] += 1
        start = end
    return [
        ProfileRow(month, weekend, pack(FLOAT64, wh), pack(INT32, counts))
        for (month, weekend), (wh, counts) in sums.items()
    ]


def history(readings: Readings, days: list[DailyRow]) -> History:
    """The whole-history fields of `readings`, in time order, and their daily_rows()."""
    timestamps, values = readings
    if not timestamps:
        return History(readings_count=0, total_wh=0.0, days_with_data=0, first_reading_at=None,
                       last_reading_at=None, peak_wh=None, peak_at=None, base_wh=None)
    peak_wh = max(values)
    bases = [day.base_wh for day in days if day.base_wh is not None]
    return History(
        readings_count=len(values),
        total_wh=float(sum(values)),
        days_with_data=len(days),
        first_reading_at=timestamps[0],
        last_reading_at=timestamps[-1],
        peak_wh=peak_wh,
        peak_at=timestamps[values.index(peak_wh)],  # index() finds the earliest of equal peaks
        base_wh=sum(bases) / len(bases) if bases else None,
    )


def as_readings(rows) -> Readings:
    """(timestamp, wh) rows as fetched from the database, as Readings."""
    return Readings([as_text(timestamp) for timestamp, _ in rows], [wh for _, wh in rows])


def as_text(moment: str | datetime) -> str:
    """A stored timestamp as the parser writes it."""
    return moment if isinstance(moment, str) else timestamp_text(moment)
