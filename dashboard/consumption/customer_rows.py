"""The summary's customer table: every filtered customer's figures over the period, sorted in Python,
with what only a customer's own rows hold read for the rows shown.

A sort on a figure over a period needs that figure for every customer. In SQL each customer would
be joined to its own daily rows; the group tables hold the same sums for a whole area and tariff in
a few rows (two running totals, a few peak blocks), so here a sort of thousands of customers is a
sort of a list. The peak's time and the alert count have no group table: they are read for the
page's customers only (or the export's, a chunk at a time), and for everyone only when the table is
sorted on one of them.
"""
from datetime import date, datetime
from typing import NamedTuple

from django_tables2.data import TableData
from django_tables2.utils import OrderBy

from .models import Customer, GroupPeakBlocks, GroupRunningTotals
from .queries import PERIOD_WH_DECIMALS, CustomerQuerySet
from .statistics import shares_below


class CustomerRow(NamedTuple):
    """A customer's row of the table, in Wh as stored: the figures over the period (the whole history
    when there is none); beside a compared period its Wh (None without readings in it) and the
    change from it, in Wh and in percent of it."""

    id: int
    area: str
    tariff: str
    period_wh: float
    period_readings: int
    period_days: int
    period_avg_daily_wh: float | None
    period_peak_wh: float | None
    group_rank: float | None  # the customer's share, 0 to 1, of the others of their group who used less
    compared_wh: float | None = None
    change_wh: float | None = None
    change_pct: float | None = None
    # Read from the customer's own rows (CustomerRows.with_details): None until read.
    period_peak_at: datetime | None = None
    period_alerts: int | None = None


DETAILS = ("period_peak_at", "period_alerts")


class Period(NamedTuple):
    """The table's days: `start`..`end` for the figures, within the data's days (None: the whole
    history); `alerts_start`..`alerts_end` for the alerts that meet the period as asked."""

    start: date | None
    end: date | None
    alerts_start: date
    alerts_end: date


class Figures(NamedTuple):
    """A customer's sums over the period, their largest reading and their rank in their group."""

    wh: float
    readings: int
    days: int
    peak_wh: float | None
    group_rank: float | None


NO_FIGURES = Figures(0.0, 0, 0, None, None)


def customer_rows(customers: CustomerQuerySet, period: Period, compared: tuple[date, date] | None) -> list[CustomerRow]:
    """Every customer of `customers`, in id order, with its figures over `period` and beside
    `compared` (None: no comparison). A customer's percentile is taken among all of their area and
    tariff with readings in the period, whether or not the filter takes the others."""
    if period.start is None:
        listed, figures = _history_figures(customers)
    else:
        listed, figures = _period_figures(customers, period.start, period.end)
    compared_wh = _compared_wh(listed, *compared) if compared else {}
    rows = []
    for pk, area, tariff in listed:
        wh, readings, days, peak, rank = figures.get(pk, NO_FIGURES)
        rows.append(CustomerRow(pk, area, tariff, wh, readings, days, wh / days if days else None, peak, rank,
                                *_change(wh, compared_wh.get(pk))))
    return rows


def _history_figures(customers: CustomerQuerySet) -> tuple[list[tuple], dict[int, Figures]]:
    """The customers (id, area, tariff) in id order, and the figures of their whole history, which
    their own rows hold, the rank in their group included."""
    listed, figures = [], {}
    for pk, area, tariff, *own in customers.order_by("pk").values_list(
        "pk", "area", "tariff", "total_wh", "readings_count", "days_with_data", "peak_wh", "history_rank"
    ):
        listed.append((pk, area, tariff))
        figures[pk] = Figures(*own)
    return listed, figures


def _period_figures(customers: CustomerQuerySet, start: date, end: date) -> tuple[list[tuple], dict[int, Figures]]:
    """The customers (id, area, tariff) in id order, and the figures over start..end of everyone in
    their groups with readings in it: sums from the running totals at either end of the period,
    peaks from the blocks covering it."""
    listed = list(customers.order_by("pk").values_list("pk", "area", "tariff"))
    figures = {}
    if not listed or start > end:
        return listed, figures
    areas, tariffs = _groups(listed)
    peaks = GroupPeakBlocks.objects.for_groups(areas, tariffs).period_peaks(start, end)
    for group in GroupRunningTotals.objects.for_groups(areas, tariffs).period_sums(start, end):
        kept = [index for index, readings in enumerate(group.readings) if readings > 0]
        if not kept:
            continue
        group_peaks = peaks[group.area, group.tariff]  # the group's customers, in the same order
        wh = [round(group.wh[index], PERIOD_WH_DECIMALS) for index in kept]
        for index, total, rank in zip(kept, wh, shares_below(wh)):
            figures[group.customer_ids[index]] = Figures(total, group.readings[index], group.days[index],
                                                         group_peaks[index], rank)
    return listed, figures


def _groups(listed: list[tuple]) -> tuple[list[str], list[str]]:
    """The areas and the tariffs of the `listed` customers: all of their groups are among the pairs,
    whole, so that a customer is ranked among all of their group."""
    return sorted({area for _, area, _ in listed}), sorted({tariff for _, _, tariff in listed})


def _compared_wh(listed: list[tuple], start: date | None, end: date | None) -> dict[int, float]:
    """The Wh over start..end (None: no day of it holds data) of each customer of the `listed`
    customers' groups with readings in it."""
    if not listed or start is None or start > end:
        return {}
    totals = GroupRunningTotals.objects.for_groups(*_groups(listed)).period_totals(start, end)
    return {pk: round(wh, PERIOD_WH_DECIMALS) for pk, wh in zip(totals.customer_ids, totals.wh)}


def _change(wh: float, compared_wh: float | None) -> tuple[float | None, float | None, float | None]:
    """The compared Wh, and the change from it in Wh and in percent of it (None from nothing)."""
    if compared_wh is None:
        return None, None, None
    return compared_wh, wh - compared_wh, (wh - compared_wh) * 100 / compared_wh if compared_wh else None


class CustomerRows(TableData):
    """django-tables2's data for the customer table: the rows sorted in Python, the same way as SQL
    with NULLS LAST (customers without a figure last either way, ties by id in the sort's
    direction); the DETAILS of the rows taken (a page, an export's chunk) read as they are taken."""

    CHUNK = 500  # the export's rows read at a time: the download starts before every row is read

    def __init__(self, rows: list[CustomerRow], customers: CustomerQuerySet, period: Period) -> None:
        super().__init__(rows)
        self.customers, self.period = customers, period
        self.details_read = False

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self.with_details(self.data[key])
        return self.with_details([self.data[key]])[0]

    def __iter__(self):
        for start in range(0, len(self.data), self.CHUNK):
            yield from self.with_details(self.data[start:start + self.CHUNK])

    def order_by(self, aliases) -> None:
        """Sort by each alias's column (its accessor, a CustomerRow field), the first the most significant."""
        fields = [(str(self.table.columns[OrderBy(alias).bare].accessor), alias.startswith("-")) for alias in aliases]
        if not fields:
            return
        if any(field in DETAILS for field, _ in fields) and not self.details_read:
            self.data, self.details_read = self._read_details(self.data, self.customers), True
        rows = sorted(self.data, key=lambda row: row.id, reverse=fields[0][1])
        for field, descending in reversed(fields):  # stable sorts, the least significant first
            valued = [row for row in rows if getattr(row, field) is not None]
            valued.sort(key=lambda row: getattr(row, field), reverse=descending)
            rows = valued + [row for row in rows if getattr(row, field) is None]
        self.data = rows

    def with_details(self, rows: list[CustomerRow]) -> list[CustomerRow]:
        """`rows` with their DETAILS, read in one query (none once every row has them)."""
        if self.details_read or not rows:
            return rows
        return self._read_details(rows, Customer.objects.filter(pk__in=[row.id for row in rows]))

    def _read_details(self, rows: list[CustomerRow], customers: CustomerQuerySet) -> list[CustomerRow]:
        details = {pk: (peak_at, alerts) for pk, peak_at, alerts in customers.period_details(*self.period)}
        return [row._replace(period_peak_at=details[row.id][0], period_alerts=details[row.id][1]) for row in rows]
