"""The work on one customer's file that needs no database: read, hash, parse, compute its rows and
encode them for the writer. It runs in a worker thread, one file ahead of the thread that writes."""
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..alerts import Thresholds, find_alerts
from ..parsing import FileRejected, ParsedReadings, prepare_file
from .rows import (
    DailyRow, History, Readings, alert_rows, block_rows, daily_rows, history, profile_rows, with_customer,
)
from .writer import Encoded, Writer


@dataclass
class PreparedFile:
    sha256: str
    outcome: ParsedReadings | FileRejected | OSError | None  # None: unchanged since the last import
    readings: Readings = field(default_factory=lambda: Readings([], []))
    days: list[DailyRow] = field(default_factory=list)
    history: History | None = None
    encoded_readings: Encoded | None = None  # None: nothing to store
    encoded_days: Encoded = None
    encoded_profiles: Encoded = None
    encoded_blocks: Encoded = None
    encoded_alerts: Encoded = None

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
            file.encoded_readings = writer.encode_readings(customer_id, outcome.lines())
        file.encoded_days = writer.encode_rows(with_customer(customer_id, file.days))
        file.encoded_profiles = writer.encode_rows(with_customer(customer_id, profile_rows(readings)))
        file.encoded_blocks = writer.encode_rows(with_customer(customer_id, block_rows(file.days)))
        found = find_alerts(readings, file.days, thresholds, len(outcome.rejected),
                            [duplicate.timestamp for duplicate in outcome.superseded])
        file.encoded_alerts = writer.encode_rows(alert_rows(customer_id, found.alerts))
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
