"""The one interface through which the import writes to the database, and reads back what it wrote.

Each database has its own implementation (sqlite.py, postgres.py); writer_for() picks one. Readings
are encoded for the database by encode_readings(), which is pure and may run in the worker thread;
everything else runs in the thread that owns the connection.
"""
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from ..models import (
    Alert, AreaProfileMedian, AreaSeriesMedian, DailyConsumption, DayBlock, GroupAlertBlocks, GroupBucketTotals,
    GroupDaily, GroupHalfHour, GroupPeakBlocks, GroupRunningTotals, ProfileMonth, Reading,
)
from ..parsing import ParsedReadings
from .groups import DayTotal, Group
from .rows import Readings, as_readings

# Readings as one database takes them in bulk: only the writer that encoded them reads them.
Encoded = Any


class Writer(ABC):
    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self.tables = {
            model: connection.ops.quote_name(model._meta.db_table)
            for model in (Reading, DailyConsumption, ProfileMonth, DayBlock, Alert, GroupDaily, GroupHalfHour,
                          AreaSeriesMedian, AreaProfileMedian, GroupBucketTotals, GroupRunningTotals, GroupPeakBlocks,
                          GroupAlertBlocks)
        }

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, *exc_info) -> None:
        """End whatever is left open, with the error if there is one, so the transaction can roll back."""
        self.close(*exc_info)

    # Encoding: pure, thread-safe ---------------------------------------------------------------

    @abstractmethod
    def encode_readings(self, customer_id: int, readings: ParsedReadings) -> Encoded:
        """One customer's readings, as parsed, for write_readings()."""

    # Writing ------------------------------------------------------------------------------------

    @abstractmethod
    def write_readings(self, encoded: Encoded) -> None:
        """Store one customer's encode_readings()."""

    @abstractmethod
    def insert(self, model, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        """Insert rows into `model`'s table, each a value per column of `columns` as the column
        stores it (dates as 'YYYY-MM-DD' text, binary values as bytes)."""

    @abstractmethod
    def add(self, model, columns: Sequence[str], key_count: int, rows: list[tuple]) -> None:
        """Add rows to summed rows: where a row's key (its first `key_count` columns) is stored, its
        other columns are added to the stored ones; otherwise it is inserted. A key may repeat."""

    def refresh_statistics(self) -> None:
        """Tell the query planner what the import changed, before the pages ask."""

    def flush(self) -> None:
        """End any statement left open: the caller is about to use the connection itself."""

    def close(self, *exc_info) -> None:
        self.flush()

    @contextmanager
    def cursor(self) -> Iterator:
        self.flush()
        with self.connection.cursor() as cursor:
            yield cursor

    # Reading back and deleting, alike on every database -----------------------------------------

    @abstractmethod
    def timestamp_as_text(self, column: str) -> str:
        """SQL giving a timestamp column as 'YYYY-MM-DD HH:MM:SS' text: no datetime object per reading."""

    def stored_readings(self, customer_id: int) -> Readings:
        with self.cursor() as cursor:
            cursor.execute(
                f"SELECT {self.timestamp_as_text('timestamp')}, wh FROM {self.tables[Reading]} "
                "WHERE customer_id = %s ORDER BY timestamp",
                [customer_id],
            )
            return as_readings(cursor.fetchall())

    def stored_days(self, customer_id: int) -> list[DayTotal]:
        with self.cursor() as cursor:
            cursor.execute(
                f"SELECT date, wh, readings FROM {self.tables[DailyConsumption]} WHERE customer_id = %s",
                [customer_id],
            )
            return [DayTotal(str(date), wh, readings) for date, wh, readings in cursor.fetchall()]

    def delete_customer_rows(self, customer_id: int) -> None:
        """A customer's readings and the rows computed from them alone."""
        with self.cursor() as cursor:
            for model in (Reading, DailyConsumption, ProfileMonth, DayBlock, Alert):
                cursor.execute(f"DELETE FROM {self.tables[model]} WHERE customer_id = %s", [customer_id])

    def delete_empty_group_rows(self, groups: list[Group]) -> None:
        """Daily group rows left with no readings once readings were taken out of these groups."""
        with self.cursor() as cursor:
            cursor.executemany(
                f"DELETE FROM {self.tables[GroupDaily]} WHERE area = %s AND tariff = %s AND readings <= 0", groups
            )

    def stored_half_hours(self, area: str, tariff: str, first: str, last: str) -> dict[str, tuple[bytes, bytes]]:
        """One group's GroupHalfHour arrays (Wh, readings) of the days `first` to `last`, by day."""
        with self.cursor() as cursor:
            cursor.execute(
                f"SELECT date, wh, readings FROM {self.tables[GroupHalfHour]} "
                "WHERE area = %s AND tariff = %s AND date BETWEEN %s AND %s",
                [area, tariff, first, last],
            )
            return {str(date): (wh, readings) for date, wh, readings in cursor.fetchall()}

    def delete_group_days(self, model, keys: list[tuple[str, str, str]]) -> None:
        """The rows of `model`, a group table keyed by area, tariff and date, of these keys."""
        with self.cursor() as cursor:
            cursor.executemany(f"DELETE FROM {self.tables[model]} WHERE area = %s AND tariff = %s AND date = %s", keys)


def writer_for(connection: BaseDatabaseWrapper) -> Writer:
    from .postgres import PostgresWriter
    from .sqlite import SQLiteWriter

    writers = {"sqlite": SQLiteWriter, "postgresql": PostgresWriter}
    if connection.vendor not in writers:
        raise NotImplementedError(f"the import has no writer for {connection.vendor}")
    return writers[connection.vendor](connection)
