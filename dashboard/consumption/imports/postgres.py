"""The import's writer for PostgreSQL: COPY for every bulk write.

The readings' COPY stays open from one customer's file to the next, so the server reads one stream
instead of waiting on a round trip per file; flush() ends it before any other statement, and an
error ends it with that error so the transaction rolls back.

Readings go in COPY's binary format, made whole by numpy, when the meters' zone is UTC: the server
then parses no text, a quarter of its work on them. In another zone the server must read each naive
timestamp in the session's zone, as text.
"""
from collections.abc import Iterable, Sequence
from contextlib import ExitStack

import numpy

from ..models import Alert, Customer, DailyConsumption, DayBlock, Reading
from ..parsing import ParsedReadings
from .writer import Writer

UTC_ZONES = {"UTC", "Etc/UTC"}
# A binary COPY row of (customer_id, timestamp, wh): the field count, then each field's length and value.
BINARY_ROW = numpy.dtype([
    ("fields", ">i2"), ("customer_length", ">i4"), ("customer", ">i4"), ("timestamp_length", ">i4"),
    ("timestamp", ">i8"), ("wh_length", ">i4"), ("wh", ">f8"),
])
BINARY_EPOCH = numpy.datetime64("2000-01-01T00:00:00", "us")  # of PostgreSQL's timestamps, in µs
BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # the signature, no flags, no extension
BINARY_TRAILER = b"\xff\xff"


class PostgresWriter(Writer):
    def __init__(self, connection) -> None:
        super().__init__(connection)
        self._copy_stack = ExitStack()
        self._readings_copy = None
        self.binary = connection.timezone_name in UTC_ZONES

    def encode_readings(self, customer_id: int, readings: ParsedReadings) -> bytes | str:
        if not self.binary:  # COPY's text format, built with whole-string operations, never a format per row
            prefix = f"{customer_id}\t"
            return prefix + f"\n{prefix}".join(readings.lines()).replace(",", "\t") + "\n"
        rows = numpy.empty(len(readings.timestamps), BINARY_ROW)
        rows["fields"], rows["customer_length"], rows["timestamp_length"], rows["wh_length"] = 3, 4, 8, 8
        rows["customer"] = customer_id
        rows["timestamp"] = (numpy.array(readings.timestamps, dtype="datetime64[us]") - BINARY_EPOCH).astype(numpy.int64)
        rows["wh"] = readings.values
        return rows.tobytes()

    def write_readings(self, encoded: bytes | str) -> None:
        if self._readings_copy is None:
            cursor = self._copy_stack.enter_context(self.connection.cursor())
            binary = " (FORMAT BINARY)" if self.binary else ""
            self._readings_copy = self._copy_stack.enter_context(
                cursor.cursor.copy(f"COPY {self.tables[Reading]} (customer_id, timestamp, wh) FROM STDIN{binary}")
            )
            if self.binary:
                self._readings_copy.write(BINARY_HEADER)
        self._readings_copy.write(encoded)

    def flush(self) -> None:
        if self._readings_copy is not None:
            copy, self._readings_copy = self._readings_copy, None
            try:
                if self.binary:
                    copy.write(BINARY_TRAILER)
            finally:
                self._copy_stack.close()

    def close(self, *exc_info) -> None:
        self._readings_copy = None
        self._copy_stack.__exit__(*(exc_info or (None, None, None)))

    def refresh_statistics(self) -> None:
        # Autovacuum analyzes new rows later, maybe much later; until then the planner may take a
        # table of millions of day blocks for one of a few rows, and scan all of it once per customer.
        # Only the tables the pages join or filter on other columns than their key: the others
        # (the readings first) are always read by key, and sampling them costs the import time.
        tables = [self.tables[model] for model in (DailyConsumption, DayBlock, Alert)]
        tables.append(self.connection.ops.quote_name(Customer._meta.db_table))
        with self.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(tables)}")

    def insert(self, model, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        with self.cursor() as cursor:
            self._copy(cursor, self.tables[model], columns, rows)

    def add(self, model, columns: Sequence[str], key_count: int, rows: list[tuple]) -> None:
        table = self.tables[model]
        key, summed = columns[:key_count], columns[key_count:]
        staging = self.connection.ops.quote_name(f"staging_{model._meta.db_table}")
        with self.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} (LIKE {table}) ON COMMIT DROP")
            cursor.execute(f"TRUNCATE {staging}")
            self._copy(cursor, staging, columns, rows)
            # PostgreSQL's upsert may touch each key once: repeated keys are summed first.
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"SELECT {', '.join([*key, *(f'sum({name})' for name in summed)])} FROM {staging} "
                f"GROUP BY {', '.join(key)} "
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
                + ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in summed)
            )

    @staticmethod
    def _copy(cursor, table: str, columns: Sequence[str], rows) -> None:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def timestamp_as_text(self, column: str) -> str:
        # ::text would add the zone offset: timestamps are timestamptz here.
        return f"to_char({column}, 'YYYY-MM-DD HH24:MI:SS')"
