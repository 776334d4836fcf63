"""Pending changes to the area-and-tariff groups' sums (GroupHalfHour, GroupDaily).

Changes are signed: a customer's readings are added to the group they join and subtracted from
the group they leave, so the stored sums are updated by addition, never recomputed.
"""
from collections.abc import Iterable
from operator import add, neg
from typing import NamedTuple

from ..units import HALF_HOURS_PER_DAY, slot_of
from .rows import DailyRow, Readings


class Group(NamedTuple):
    """Customers of one area on one tariff: the unit the group tables sum over."""

    area: str
    tariff: str


class DayTotal(NamedTuple):
    """What the group sums take of a customer's day; a DailyRow is one too."""

    date: str
    wh: float
    readings: int


class GroupHalfHourRow(NamedTuple):
    """A change to one group's half hours of one day, slot by slot (GroupHalfHour's arrays, unpacked)."""

    area: str
    tariff: str
    date: str
    wh: list[float]
    readings: list[int]


class GroupDailyRow(NamedTuple):
    area: str
    tariff: str
    date: str
    wh: float
    readings: int
    customers: int


# The key of a group row: area, tariff and its time; the other fields are summed.
KEY_FIELDS = 3


class GroupSums:
    """Pending changes to one group's half-hourly and daily sums.

    Customers of a group mostly share one grid of timestamps: while they do, their values are
    added element-wise in C (`map(add, ...)`) rather than one dictionary update per reading.
    """

    def __init__(self, group: Group) -> None:
        self.group = group
        self.grid: list[str] = []  # timestamps shared by every reading added so far
        self.grid_wh: list[float] = []
        self.grid_readings = 0  # readings added at each grid timestamp
        self.other: dict[str, list] = {}  # timestamp -> [wh, readings], off the grid
        self.days: dict[str, list] = {}  # date -> [wh, readings, customers]
        self.shrinks = False  # readings were taken out: some stored rows may be left empty

    def add(self, readings: Readings, days: Iterable[DayTotal | DailyRow], sign: int) -> None:
        """Add (sign +1) or take out (-1) one customer's readings and their days."""
        timestamps, values = readings
        self.shrinks = self.shrinks or sign < 0
        if not self.grid and not self.other:
            self.grid = timestamps
            self.grid_wh = [sign * wh for wh in values]
            self.grid_readings = sign
        elif timestamps == self.grid:
            self.grid_wh = list(map(add, self.grid_wh, values if sign > 0 else map(neg, values)))
            self.grid_readings += sign
        else:
            other = self.other
            for timestamp, wh in zip(timestamps, values):
                sums = other.get(timestamp)
                if sums is None:
                    other[timestamp] = [sign * wh, sign]
                else:
                    sums[0] += sign * wh
                    sums[1] += sign
        for day in days:
            sums = self.days.get(day.date)
            if sums is None:
                self.days[day.date] = [sign * day.wh, sign * day.readings, sign]
            else:
                sums[0] += sign * day.wh
                sums[1] += sign * day.readings
                sums[2] += sign

    def half_hour_rows(self) -> list[GroupHalfHourRow]:
        merged = {timestamp: [wh, self.grid_readings] for timestamp, wh in zip(self.grid, self.grid_wh)}
        for timestamp, (wh, readings) in self.other.items():
            sums = merged.setdefault(timestamp, [0.0, 0])
            sums[0] += wh
            sums[1] += readings
        days: dict[str, GroupHalfHourRow] = {}
        for timestamp, (wh, readings) in merged.items():
            if readings or wh:
                date = timestamp[:10]
                day = days.get(date)
                if day is None:
                    day = days[date] = GroupHalfHourRow(
                        *self.group, date, [0.0] * HALF_HOURS_PER_DAY, [0] * HALF_HOURS_PER_DAY
                    )
                slot = slot_of(timestamp)
                day.wh[slot], day.readings[slot] = wh, readings
        return list(days.values())

    def daily_rows(self) -> list[GroupDailyRow]:
        return [
            GroupDailyRow(*self.group, date, wh, readings, customers)
            for date, (wh, readings, customers) in self.days.items()
            if readings or customers or wh
        ]
