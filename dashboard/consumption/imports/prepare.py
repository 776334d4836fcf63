"""The work on one customer's file that needs no database: read, hash, parse, compute its rows and
encode its readings for the writer. It runs in a worker thread, one file ahead of the thread that writes."""
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ..alerts import Thresholds, find_alerts
from ..parsing import FileRejected, ParsedReadings, prepare_file
from .rows import (
    DailyRow, History, Readings, alert_rows, block_rows, daily_rows, history, profile_rows, with_customer,
)
from .writer import Encoded, Writer


class CustomerTables(NamedTuple):
    """A customer's rows of the tables computed from their readings alone, each led by their id."""

    daily: list[tuple]  # DAILY_COLUMNS
    profiles: list[tuple]  # PROFILE_COLUMNS
    blocks: list[tuple]  # BLOCK_COLUMNS
    alerts: list[tuple]  # ALERT_COLUMNS


@dataclass
class PreparedFile:
    sha256: str
    outcome: ParsedReadings | FileRejected | OSError | None  # None: unchanged since the last import
    readings: Readings = field(default_factory=lambda: Readings([], []))
    days: list[DailyRow] = field(default_factory=list)
    history: History | None = None
    encoded_readings: Encoded | None = None  # None: nothing to store
    tables: CustomerTables | None = None

    @property
    def unchanged(self) -> bool:
        """The file is the one the customer's readings came from, under the same duplicate policy."""
        return self.outcome is None


def prepare(customer_id: int, path: Path, known_sha256: str | None, on_duplicate: str, zone: str,
            writer: Writer, thresholds: Thresholds) -> PreparedFile:
    """`path` read, hashed and, unless its SHA-256 is `known_sha256`, parsed under the duplicate policy."""
    sha256, outcome = prepare_file(path, known_sha256, on_duplicate, zone)
    file = PreparedFile(sha256, outcome)
    if isinstance(outcome, ParsedReadings):
        file.readings = readings = Readings(outcome.timestamps, outcome.values)
        file.days = daily_rows(readings)
        file.history = history(readings, file.days)
        if readings.timestamps:
            file.encoded_readings = writer.encode_readings(customer_id, outcome)
        found = find_alerts(readings, file.days, thresholds, len(outcome.rejected),
                            [duplicate.timestamp for duplicate in outcome.superseded])
        file.tables = CustomerTables(
            with_customer(customer_id, file.days), with_customer(customer_id, profile_rows(readings)),
            with_customer(customer_id, block_rows(file.days)), alert_rows(customer_id, found.alerts),
        )
    return file


def read_ahead(function: Callable, argument_lists: Iterable[tuple], depth: int = 1) -> Iterator:
    """function(*arguments) for each of `argument_lists`, in order, computed in one worker thread up
    to `depth` calls ahead of the consumer: the next file is parsed while this one is written (the
    database releases the GIL as it works), and memory holds at most depth + 1 results."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read") as pool:
        pending = deque()
        for arguments in argument_lists:
            pending.append(pool.submit(function, *arguments))
            if len(pending) > depth:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
