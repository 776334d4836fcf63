"""The summary's customer table: every filtered customer's figures over the period, from the group
tables, sorted in Python; what only a customer's own rows hold is read for the rows shown.

A sort on a figure over a period needs that figure for every customer. Read per customer, that is
thousands of index lookups on every sort; the group tables hold the same sums for a whole area and
tariff in a few rows (two running totals, a few peak blocks). So the figures are kept here as a
numpy array per field, built a group at a time, and a sort is a sort of positions. A CustomerRow is
made only for the rows shown or exported. The peak's time and the alert count have no group table: they are
read for those rows, and for everyone only when the table is sorted on one of them.
"""
import math
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import NamedTuple

import numpy
from django_tables2.data import TableData
from django_tables2.utils import OrderBy

from .models import Customer, GroupPeakBlocks, GroupRunningTotals
from .queries import PERIOD_WH_DECIMALS, CustomerQuerySet, GroupPeriodArrays
from .statistics import shares_below


class CustomerRow(NamedTuple):
    """A customer's row of the table, in Wh as stored, None where there is no figure: the sums over
    the period, the largest reading in it and their rank in their group (their share, 0 to 1, of
    the others of their area and tariff with readings in it who used less); beside a compared period
    its Wh and the change from it, in Wh and in percent of it."""

    id: int
    area: str
    tariff: str
    period_wh: float
    period_readings: int
    period_days: int
    period_avg_daily_wh: float | None
    period_peak_wh: float | None
    group_rank: float | None
    compared_wh: float | None
    change_wh: float | None
    change_pct: float | None
    # Read from the customer's own rows (CustomerRows.rows_at): its Details.
    period_peak_at: datetime | None
    period_alerts: int


class Details(NamedTuple):
    """A customer's figures over the period that no group table holds, read from their own rows."""

    period_peak_at: datetime | None
    period_alerts: int


DETAILS = Details._fields


class Period(NamedTuple):
    """The table's days: `start`..`end` for the figures, within the data's days; `alerts_start`..
    `alerts_end` for the alerts, which meet the period as asked."""

    start: date
    end: date
    alerts_start: date
    alerts_end: date


@dataclass
class CustomerColumns:
    """CustomerRow's fields but its Details, of every listed customer: a numpy array per field, of
    the same name (NaN where a figure is None), and a customer is a position. Areas and tariffs are
    positions in `groups`."""

    groups: list[tuple[str, str]]
    group: numpy.ndarray
    id: numpy.ndarray
    period_wh: numpy.ndarray
    period_readings: numpy.ndarray
    period_days: numpy.ndarray
    period_avg_daily_wh: numpy.ndarray
    period_peak_wh: numpy.ndarray
    group_rank: numpy.ndarray
    compared_wh: numpy.ndarray
    change_wh: numpy.ndarray
    change_pct: numpy.ndarray

    @classmethod
    def arrays(cls) -> list[str]:
        """The fields holding a value per customer: all but `groups`."""
        return [column.name for column in fields(cls) if column.name != "groups"]

    @classmethod
    def figure_names(cls) -> list[str]:
        """The arrays of figures over the period: all but the customers' group and id."""
        return [name for name in cls.arrays() if name not in ("group", "id")]

    @classmethod
    def empty(cls) -> "CustomerColumns":
        figures = cls.figure_names()
        return cls(groups=[], **{name: numpy.empty(0, dtype=float if name in figures else int)
                                 for name in cls.arrays()})

    @classmethod
    def joined(cls, parts: list["CustomerColumns"]) -> "CustomerColumns":
        """The customers of every part, in turn."""
        if not parts:
            return cls.empty()
        offsets = numpy.cumsum([0] + [len(part.groups) for part in parts[:-1]])
        arrays = {name: numpy.concatenate([getattr(part, name) for part in parts]) for name in cls.arrays()}
        arrays["group"] = numpy.concatenate([part.group + offset for part, offset in zip(parts, offsets)])
        return cls(groups=[group for part in parts for group in part.groups], **arrays)

    def only(self, kept: numpy.ndarray) -> "CustomerColumns":
        """The customers where `kept` is true."""
        return CustomerColumns(groups=self.groups, **{name: getattr(self, name)[kept] for name in self.arrays()})

    def __len__(self) -> int:
        return len(self.id)

    def with_data(self) -> int:
        """How many of the customers have readings in the period."""
        return int(numpy.count_nonzero(self.period_readings))

    def sort_key(self, name: str) -> numpy.ndarray:
        """The column of CustomerRow's field `name` as numbers that sort as its values (NaN: none)."""
        if name not in ("area", "tariff"):
            return getattr(self, name)
        if not self.groups:
            return numpy.empty(0)
        names = [group[0 if name == "area" else 1] for group in self.groups]
        ranks = {value: rank for rank, value in enumerate(sorted(set(names)))}
        return numpy.array([ranks[value] for value in names], dtype=float)[self.group]

    def figures(self, positions: numpy.ndarray) -> list[dict]:
        """CustomerRow's fields but its DETAILS, by name, of the customers at `positions`."""
        groups = [self.groups[index] for index in self.group[positions].tolist()]
        columns = {"id": self.id[positions].tolist(), "area": [area for area, _ in groups],
                   "tariff": [tariff for _, tariff in groups]}
        for name in self.figure_names():
            values = getattr(self, name)[positions].tolist()
            columns[name] = [None if math.isnan(value) else value for value in values]  # NaN: none
        return [dict(zip(columns, row)) for row in zip(*columns.values())]


def customer_columns(
    customers: CustomerQuerySet, areas: list[str], tariffs: list[str], customer: int | None, period: Period,
    compared: tuple[date, date] | tuple[None, None] | None,
) -> CustomerColumns:
    """The customers of the filter (`customers`, which takes the `areas` and `tariffs`, empty for
    all, and `customer`, None for all) with their figures over `period` and beside `compared` (None:
    no comparison; (None, None): no day of it holds data). A customer is ranked among all of their
    area and tariff, whether or not the filter takes the others."""
    if customer is not None:  # read their own group only
        own = customers.values_list("area", "tariff").first()
        if own is None:
            return CustomerColumns.empty()
        areas, tariffs = [own[0]], [own[1]]
    # A period outside the data (start after end) still lists every customer: the group tables give
    # each of them nothing in it.
    parts = []
    compared_wh = _compared_wh(areas, tariffs, *compared) if compared else {}
    peaks = GroupPeakBlocks.objects.for_groups(areas, tariffs).period_peak_arrays(period.start, period.end)
    for group in GroupRunningTotals.objects.for_groups(areas, tariffs).period_arrays(period.start, period.end):
        key = (group.area, group.tariff)
        parts.append(_group_columns(group, peaks.get(key), compared_wh.get(key)))
    # Customers without any readings are in no group table: nothing in the period, nothing to compare.
    for pk, area, tariff in customers.filter(readings_count=0).values_list("pk", "area", "tariff"):
        nothing = numpy.zeros(1, dtype=int)
        parts.append(_group_columns(GroupPeriodArrays(area, tariff, customer_ids=numpy.array([pk]), wh=numpy.zeros(1),
                                                      readings=nothing, days=nothing)))
    columns = CustomerColumns.joined(parts)
    return columns.only(columns.id == customer) if customer is not None else columns


def _group_columns(sums: GroupPeriodArrays, peaks: numpy.ndarray | None = None,
                   compared: numpy.ndarray | None = None) -> CustomerColumns:
    """A group's customers with their sums, peaks (-inf or None: none) and compared Wh (NaN or None:
    none) in the group's order, and what follows from them."""
    count = len(sums.customer_ids)
    wh = numpy.round(sums.wh, PERIOD_WH_DECIMALS)
    has_data = sums.readings > 0
    ranks = numpy.full(count, numpy.nan)
    ranks[has_data] = shares_below(wh[has_data])  # among those with readings in the period
    peaks = numpy.full(count, numpy.nan) if peaks is None else numpy.where(peaks == -numpy.inf, numpy.nan, peaks)
    compared = numpy.full(count, numpy.nan) if compared is None else compared
    with numpy.errstate(divide="ignore", invalid="ignore"):  # no days, nothing compared: NaN, none
        average = numpy.where(sums.days > 0, wh / sums.days, numpy.nan)
        change_pct = numpy.where(compared != 0, (wh - compared) * 100 / compared, numpy.nan)
    return CustomerColumns(
        groups=[(sums.area, sums.tariff)], group=numpy.zeros(count, dtype=int), id=sums.customer_ids, period_wh=wh,
        period_readings=sums.readings, period_days=sums.days, period_avg_daily_wh=average, period_peak_wh=peaks,
        group_rank=ranks, compared_wh=compared, change_wh=wh - compared, change_pct=change_pct,
    )


def _compared_wh(areas: list[str], tariffs: list[str], start: date | None, end: date | None) -> dict:
    """Per group, each customer's Wh over start..end (None: no day of it holds data) in the group's
    order, NaN for a customer without readings in it."""
    if start is None or start > end:
        return {}
    return {
        (group.area, group.tariff): numpy.where(group.readings > 0, numpy.round(group.wh, PERIOD_WH_DECIMALS), numpy.nan)
        for group in GroupRunningTotals.objects.for_groups(areas, tariffs).period_arrays(start, end, ("wh", "readings"))
    }


class CustomerRows(TableData):
    """django-tables2's data for the customer table: the customers' positions, sorted the way SQL
    sorts with NULLS LAST (no figure last either way, ties by id in the sort's direction); the rows
    taken (a page, an export's chunk) are made with their DETAILS as they are taken."""

    CHUNK = 500  # the export's rows made at a time: the download starts before every row is read

    def __init__(self, columns: CustomerColumns, customers: CustomerQuerySet, period: Period) -> None:
        super().__init__(numpy.argsort(columns.id, kind="stable"))
        self.columns, self.customers, self.period = columns, customers, period
        self.details: dict[int, Details] | None = None  # every customer's, once read for a sort

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self.rows_at(self.data[key])
        return self.rows_at(self.data[[key]])[0]

    def __iter__(self):
        for start in range(0, len(self.data), self.CHUNK):
            yield from self.rows_at(self.data[start:start + self.CHUNK])

    def order_by(self, aliases) -> None:
        """Sort by each alias's column (its accessor names the field), the first the most significant."""
        asked = [(str(self.table.columns[OrderBy(alias).bare].accessor), alias.startswith("-")) for alias in aliases]
        if not asked:
            return
        keys = [-self.columns.id if asked[0][1] else self.columns.id]  # numpy.lexsort: the last key first
        for name, descending in reversed(asked):
            values = self._sort_key(name)
            keys += [-values if descending else values, numpy.isnan(values)]
        self.data = numpy.lexsort(keys)

    def _sort_key(self, name: str) -> numpy.ndarray:
        if name not in DETAILS:
            return self.columns.sort_key(name)
        if self.details is None:
            self.details = self._read_details(self.customers)
        values = [getattr(self.details[pk], name) for pk in self.columns.id.tolist()]
        if name == "period_peak_at":
            values = [numpy.nan if moment is None else moment.timestamp() for moment in values]
        return numpy.array(values, dtype=float)

    def rows_at(self, positions: numpy.ndarray) -> list[CustomerRow]:
        """The CustomerRows of the customers at `positions`, with their DETAILS (read in one query)."""
        ids = self.columns.id[positions].tolist()
        details = self.details or (self._read_details(Customer.objects.filter(pk__in=ids)) if ids else {})
        return [CustomerRow(**figures, **details[pk]._asdict())
                for figures, pk in zip(self.columns.figures(positions), ids)]

    def _read_details(self, customers: CustomerQuerySet) -> dict[int, Details]:
        return {pk: Details(peak_at, alerts) for pk, peak_at, alerts in customers.period_details(*self.period)}
