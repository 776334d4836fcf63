"""The import's writer for SQLite.

Readings and summed rows go in one INSERT … SELECT over a JSON array per batch: one call into SQLite
for the whole batch, during which SQLite releases the GIL (executemany takes it back after every
row) so the worker thread parses on. Other rows are fewer and wider, and executemany binds their
columns faster than SQLite extracts them from JSON, one extraction per column.
"""
import json
from collections.abc import Iterable, Sequence

from ..models import Reading
from ..parsing import ParsedReadings
from .writer import Writer


class SQLiteWriter(Writer):
    def encode_readings(self, customer_id: int, readings: ParsedReadings) -> tuple[int, str]:
        # '[["timestamp",wh],...]' built with whole-string operations, never a format per row.
        return customer_id, '[["' + "\n".join(readings.lines()).replace(",", '",').replace("\n", '],["') + "]]"

    def write_readings(self, encoded: tuple[int, str]) -> None:
        with self.cursor() as cursor:
            cursor.cursor.execute(
                f"INSERT INTO {self.tables[Reading]} (customer_id, timestamp, wh) "
                "SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)",
                list(encoded),
            )

    def insert(self, model, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        with self.cursor() as cursor:
            cursor.cursor.executemany(
                f"INSERT INTO {self.tables[model]} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows
            )

    def add(self, model, columns: Sequence[str], key_count: int, rows: list[tuple]) -> None:
        table = self.tables[model]
        # SQLite's upsert runs row by row, so a key repeated in `rows` adds to its first row.
        on_conflict = f" ON CONFLICT ({', '.join(columns[:key_count])}) DO UPDATE SET " + ", ".join(
            f"{name} = {table}.{name} + excluded.{name}" for name in columns[key_count:]
        )
        self._insert_json(model, columns, json.dumps(rows, allow_nan=False), on_conflict)

    def _insert_json(self, model, columns: Sequence[str], document: str, on_conflict: str = "") -> None:
        # json_extract rather than ->>, which needs SQLite 3.38
        fields = ", ".join(f"json_extract(value, '$[{index}]')" for index in range(len(columns)))
        with self.cursor() as cursor:
            # "WHERE true" lets SQLite tell the upsert clause from a join constraint.
            cursor.cursor.execute(
                f"INSERT INTO {self.tables[model]} ({', '.join(columns)}) "
                f"SELECT {fields} FROM json_each(?) WHERE true{on_conflict}",
                [document],
            )

    def timestamp_as_text(self, column: str) -> str:
        return f"{column} || ''"  # stored as that text already
