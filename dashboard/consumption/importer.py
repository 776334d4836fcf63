"""Import a data folder (`user_data.csv` and `consumption/<id>.csv`) into the database.

The whole run is one transaction: readers see the data as it was before or as it is after, never a
half-imported customer, and a run killed at any moment leaves the database as it was. Aggregates are
written beside the readings in that same transaction. Each customer's readings come from one file,
so a changed file replaces that customer's readings, and an unchanged one (same SHA-256, same
duplicate policy) is skipped.
"""
import hashlib
import json
import logging
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date as date_type
from datetime import datetime
from operator import add, neg
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from .models import (
    HALF_HOURS_PER_DAY,
    Customer,
    DailyConsumption,
    GroupDaily,
    GroupHalfHour,
    ImportFile,
    ImportRun,
    ProfileMonth,
    Reading,
    RejectedRow,
    SupersededReading,
)
from .parsing import (
    CUSTOMER_FILE_NAME,
    DUPLICATE_POLICIES,
    FileRejected,
    ParsedReadings,
    Rejected,
    file_sha256,
    parse_customers,
    prepare_file,
    timestamp_text,
)

log = logging.getLogger("consumption.import")
BASE_LOAD_READINGS = 8
# Files whose daily and monthly-profile rows are held back and written together, and group rows
# held back likewise until they reach HELD_GROUP_ROWS (about 8 MB; checked after each file, so
# one group's rows may go past it): memory stays bounded.
HELD_FILES = 100
HELD_GROUP_ROWS = 50_000
DAILY_COLUMNS = ("customer_id", "date", "wh", "readings", "peak_wh", "peak_at", "base_wh")
PROFILE_COLUMNS = ("customer_id", "month", "weekend", "slot", "wh", "readings")
# Key columns, then the columns a held row adds to a stored row of the same key.
GROUP_HALF_HOUR_COLUMNS = ("area", "tariff", "timestamp", "wh", "readings")
GROUP_DAILY_COLUMNS = ("area", "tariff", "date", "wh", "readings", "customers")
Progress = Callable[[int, int, str], None]


class FatalImportError(Exception):
    """A problem that stops the run before anything is written; the message names the file."""


@dataclass
class ImportReport:
    run_id: int
    files_imported: int = 0
    files_unchanged: int = 0
    files_skipped: int = 0
    rows_read: int = 0
    readings_stored: int = 0
    rows_rejected: int = 0
    rows_superseded: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0


def import_data(
    data_dir: Path | str, on_duplicate: str = "last", progress: Progress | None = None
) -> ImportReport:
    """Import `data_dir`; raises FatalImportError, with nothing written, if it cannot be read at all."""
    started = time.perf_counter()
    if on_duplicate not in DUPLICATE_POLICIES:
        raise FatalImportError(f"--on-duplicate must be one of {', '.join(DUPLICATE_POLICIES)}")
    data_dir = Path(data_dir)
    customers_path = data_dir / "user_data.csv"
    parsed_customers = _read_customers(data_dir, customers_path)
    consumption_dir = data_dir / "consumption"
    paths = _consumption_files(consumption_dir)
    files, skipped = _sort_files(paths or [], parsed_customers.customers)
    # The files are hashed from here on, while the database connects and the customers are read:
    # a re-run then finds its unchanged files without waiting for them (see _HashAhead).
    with _HashAhead([path for _, path in files]) as hashes:
        _check_tables()
        ImportRun.objects.filter(status=ImportRun.Status.RUNNING).update(
            status=ImportRun.Status.INTERRUPTED, message="the run stopped before it finished"
        )
        run = ImportRun.objects.create(
            started_at=datetime.now(), data_dir=str(data_dir.resolve()), on_duplicate=on_duplicate
        )
        report = ImportReport(run_id=run.pk)
        log.info("import started run=%s data_dir=%s on_duplicate=%s", run.pk, data_dir, on_duplicate)
        try:
            with transaction.atomic():
                importer = _Importer(run, report, on_duplicate)
                importer.import_customers(customers_path, parsed_customers)
                if paths is None:
                    report.notes.append(
                        f"{consumption_dir}: folder not found; customers are imported with no readings"
                    )
                importer.import_readings(files, skipped, hashes, progress)
                _finish(run, report, ImportRun.Status.COMPLETED)
        except BaseException as problem:
            ImportRun.objects.filter(pk=run.pk).update(
                status=ImportRun.Status.FAILED, finished_at=datetime.now(), message=repr(problem)[:2000]
            )
            log.error("import failed run=%s error=%r", run.pk, problem)
            raise
    report.seconds = time.perf_counter() - started  # the commit included
    log.info(
        "import completed run=%s files_imported=%s files_unchanged=%s files_skipped=%s rows_read=%s "
        "stored=%s rejected=%s superseded=%s seconds=%.2f",
        run.pk, report.files_imported, report.files_unchanged, report.files_skipped, report.rows_read,
        report.readings_stored, report.rows_rejected, report.rows_superseded, report.seconds,
    )
    return report


def _read_customers(data_dir: Path, path: Path):
    if not data_dir.is_dir():
        raise FatalImportError(f"{data_dir}: data folder not found")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FatalImportError(f"{path}: file not found") from None
    except OSError as problem:
        raise FatalImportError(f"{path}: cannot be read ({problem.strerror})") from None
    try:
        parsed = parse_customers(data, path.name)
    except FileRejected as problem:
        raise FatalImportError(f"{path}: {problem}") from None
    parsed.sha256 = hashlib.sha256(data).hexdigest()
    return parsed


IMPORT_TABLES = (
    Customer, Reading, DailyConsumption, ProfileMonth, GroupDaily, GroupHalfHour, ImportRun, ImportFile,
    RejectedRow, SupersededReading,
)


def _check_tables() -> None:
    """The database must have been migrated: say so plainly rather than fail on the first query."""
    missing = sorted({model._meta.db_table for model in IMPORT_TABLES} - set(connection.introspection.table_names()))
    if missing:
        raise FatalImportError(
            f"{connection.settings_dict['NAME']}: the database lacks the table(s) {', '.join(missing)}; "
            "run `python dashboard/manage.py migrate` first"
        )


def _consumption_files(folder: Path) -> list[Path] | None:
    """The folder's entries in name order; None if there is no such folder."""
    if not folder.is_dir():
        return None
    try:
        return sorted(folder.iterdir())
    except OSError as problem:
        raise FatalImportError(f"{folder}: cannot be read ({problem.strerror})") from None


# A consumption-folder entry that is not imported: (path, ImportFile status, note, customer id or None).
Skipped = tuple[Path, str, str, int | None]


def _sort_files(
    paths: list[Path], customers: dict[int, tuple[str, str]]
) -> tuple[list[tuple[int, Path]], list[Skipped]]:
    """The customers' files as (customer id, path) in import order, and the entries skipped. The
    order groups files by area and tariff, so that a single group's half-hourly sums are held in
    memory at a time. Of two names for one customer (3000.csv, 03000.csv) the plain one is imported."""
    by_customer: dict[int, Path] = {}
    skipped: list[Skipped] = []
    for path in paths:
        match = CUSTOMER_FILE_NAME.match(path.name)
        try:
            customer_id = int(match[1]) if match is not None and path.is_file() else None
        except OSError as problem:
            raise FatalImportError(f"{path}: cannot be read ({problem.strerror})") from None
        if customer_id is None:
            skipped.append((path, ImportFile.Status.IGNORED, "not named <customer id>.csv", None))
        elif customer_id not in customers:
            skipped.append((path, ImportFile.Status.UNKNOWN_CUSTOMER,
                            f"customer {customer_id} is not in user_data.csv; file skipped", customer_id))
        elif customer_id in by_customer:
            kept = by_customer[customer_id]
            if path.name == f"{customer_id}.csv":
                by_customer[customer_id], path = path, kept
            skipped.append((path, ImportFile.Status.IGNORED,
                            f"{by_customer[customer_id].name} is customer {customer_id}'s file; this one is skipped",
                            customer_id))
        else:
            by_customer[customer_id] = path
    order = sorted(by_customer, key=lambda pk: (*customers[pk], pk))
    return [(pk, by_customer[pk]) for pk in order], skipped


def _finish(run: ImportRun, report: ImportReport, status: str) -> None:
    run.status = status
    run.finished_at = datetime.now()
    for name in (
        "files_imported", "files_unchanged", "files_skipped", "rows_read", "readings_stored",
        "rows_rejected", "rows_superseded",
    ):
        setattr(run, name, getattr(report, name))
    run.message = "\n".join(report.notes)
    run.save()


class _GroupTotals:
    """Pending changes to one area-and-tariff group's half-hourly and daily sums.

    Customers of a group mostly share one grid of timestamps: while they do, their values are
    added element-wise in C (`map(add, ...)`) rather than one dictionary update per reading.
    """

    def __init__(self) -> None:
        self.grid: list[str] = []  # timestamps shared by every reading added so far
        self.grid_wh: list[float] = []
        self.grid_readings = 0  # readings added at each grid timestamp
        self.other: dict[str, list] = {}  # timestamp -> [wh, readings], off the grid
        self.days: dict[str, list] = {}  # date -> [wh, readings, customers]
        self.shrinks = False  # readings were taken out: some stored rows may be left empty

    def add(self, timestamps: list[str], values: list[float], days: Iterable[tuple], sign: int) -> None:
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
                slot = other.get(timestamp)
                if slot is None:
                    other[timestamp] = [sign * wh, sign]
                else:
                    slot[0] += sign * wh
                    slot[1] += sign
        for date, wh, readings, *_ in days:
            slot = self.days.get(date)
            if slot is None:
                self.days[date] = [sign * wh, sign * readings, sign]
            else:
                slot[0] += sign * wh
                slot[1] += sign * readings
                slot[2] += sign

    def half_hours(self) -> dict[str, list]:
        """timestamp -> [wh, readings] over grid and off-grid changes together."""
        merged = {timestamp: [wh, self.grid_readings] for timestamp, wh in zip(self.grid, self.grid_wh)}
        for timestamp, (wh, readings) in self.other.items():
            slot = merged.setdefault(timestamp, [0.0, 0])
            slot[0] += wh
            slot[1] += readings
        return merged


@dataclass
class _PreparedFile:
    """One consumption file as the read-ahead thread hands it over."""

    sha256: str
    outcome: ParsedReadings | FileRejected | OSError | None  # None: unchanged since the last import
    days: list[tuple] = field(default_factory=list)  # daily_totals()
    history: dict = field(default_factory=dict)  # whole_history(): the Customer's summary fields
    readings: str | None = None  # readings_payload()
    daily_rows: list[tuple] | str = ()  # DailyConsumption rows, as _insert() takes them
    profile_rows: list[tuple] | str = ()  # ProfileMonth rows


class _PendingRecords:
    """Per-file records (ImportFile, its rejected and superseded rows, the customer it is now the
    source of) written a batch at a time: a few bulk statements instead of several per file."""

    MAX_FILES = 500
    MAX_ROWS = 20_000  # rejected and superseded rows held before a flush: memory stays bounded

    def __init__(self) -> None:
        self.files: list[tuple[ImportFile, list[Rejected], list, Customer | None]] = []
        self.rows = 0

    def add(self, record: ImportFile, rejected: list[Rejected] = (), superseded: list = (),
            source_of: Customer | None = None) -> None:
        self.files.append((record, rejected, superseded, source_of))
        self.rows += len(rejected) + len(superseded)

    @property
    def full(self) -> bool:
        return len(self.files) >= self.MAX_FILES or self.rows >= self.MAX_ROWS

    def flush(self) -> None:
        if not self.files:
            return
        records = ImportFile.objects.bulk_create([record for record, *_ in self.files], batch_size=500)
        if any(record.pk is None for record in records):  # every supported backend returns the keys
            raise RuntimeError("the database did not return the new ImportFile keys")
        RejectedRow.objects.bulk_create(
            [
                RejectedRow(file=record, line_number=row.line_number, raw=row.raw, reason=row.reason)
                for record, rejected, _, _ in self.files
                for row in rejected
            ],
            batch_size=500,
        )
        SupersededReading.objects.bulk_create(
            [
                SupersededReading(
                    file=record, customer_id=record.customer_id, timestamp=item.timestamp,
                    superseded_wh=item.superseded_wh, superseded_line=item.superseded_line,
                    kept_wh=item.kept_wh, kept_line=item.kept_line,
                )
                for record, _, superseded, _ in self.files
                for item in superseded
            ],
            batch_size=500,
        )
        sources = []
        for record, _, _, customer in self.files:
            if customer is not None:
                customer.source_file = record
                sources.append(customer)
        _update_customers(sources, CUSTOMER_SOURCE_FIELDS)
        self.files, self.rows = [], 0


def _update_customers(customers: list[Customer], names: list[str]) -> None:
    """Save `names` of each customer with one prepared UPDATE run for all of them: Django's
    bulk_update builds a CASE expression per field and customer, a tenth of a second for 60."""
    if not customers:
        return
    fields = [Customer._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(Customer._meta.db_table)} SET {assignments} WHERE {quote(Customer._meta.pk.column)} = %s"
    rows = [
        [field.get_db_prep_save(getattr(customer, field.attname), connection) for field in fields] + [customer.pk]
        for customer in customers
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# What an imported file sets on its customer: the whole-history summary and where it came from.
CUSTOMER_SOURCE_FIELDS = [
    "readings_count", "total_wh", "days_with_data", "first_reading_at", "last_reading_at", "peak_wh", "peak_at",
    "source_file", "source_sha256", "source_policy",
]


class _Importer:
    def __init__(self, run: ImportRun, report: ImportReport, on_duplicate: str) -> None:
        self.run = run
        self.report = report
        self.on_duplicate = on_duplicate
        self.customers: dict[int, Customer] = {}
        self.moved: dict[int, tuple[str, str]] = {}  # customer -> the group it used to be in
        self.groups: dict[tuple[str, str], _GroupTotals] = {}
        # Rows of the groups summed so far, and the groups that shrank, until _write_held_rows.
        self.group_rows: dict = {GroupHalfHour: [], GroupDaily: []}
        self.shrunk_groups: set[tuple[str, str]] = set()
        self.records = _PendingRecords()
        # Daily and monthly-profile rows of the files written since the last flush, per model.
        self.customer_rows: dict = {DailyConsumption: [], ProfileMonth: []}
        # PostgreSQL: the COPY of readings left open from one file to the next (see _insert_readings).
        self.copy_stack = ExitStack()
        self.readings_copy = None
        self.postgres = connection.vendor == "postgresql"
        self.tables = {
            model: connection.ops.quote_name(model._meta.db_table)
            for model in (Reading, DailyConsumption, ProfileMonth, GroupDaily, GroupHalfHour, Customer)
        }

    # Customers -----------------------------------------------------------------------------

    def import_customers(self, path: Path, parsed) -> None:
        self.records.add(
            ImportFile(
                run=self.run, path=str(path), sha256=parsed.sha256, status=ImportFile.Status.IMPORTED,
                rows_read=parsed.rows_read, readings_stored=0, rows_rejected=len(parsed.rejected),
            ),
            parsed.rejected,
        )
        existing = {customer.pk: customer for customer in Customer.objects.all()}
        new, changed = [], []
        for customer_id, (area, tariff) in parsed.customers.items():
            customer = existing.get(customer_id)
            if customer is None:
                customer = Customer(id=customer_id, area=area, tariff=tariff)
                new.append(customer)
            elif (customer.area, customer.tariff) != (area, tariff):
                self.moved[customer_id] = (customer.area, customer.tariff)
                customer.area, customer.tariff = area, tariff
                changed.append(customer)
            self.customers[customer_id] = customer
        Customer.objects.bulk_create(new, batch_size=500)
        Customer.objects.bulk_update(changed, ["area", "tariff"], batch_size=500)
        unlisted = len(set(existing) - set(parsed.customers))
        if unlisted:
            self.report.notes.append(
                f"{unlisted} customer(s) in the database are not in {path.name}; their data is kept"
            )
        if parsed.rejected:
            self.report.notes.append(f"{path.name}: {len(parsed.rejected)} row(s) rejected")

    # Readings ------------------------------------------------------------------------------

    def import_readings(self, files: list[tuple[int, Path]], skipped: list[Skipped], hashes: "_HashAhead",
                        progress: Progress | None) -> None:
        """Import the customers' `files` and record the entries `skipped` (see _sort_files);
        `hashes` is hashing `files` ahead."""
        for path, status, note, customer_id in skipped:
            self._note_file(path, status, note, customer_id=customer_id)
            if self.records.full:  # a folder of stray files: memory stays bounded here too
                self.records.flush()
        # Readings of a customer who changed group must leave the old group even without a file.
        with_file = {customer_id for customer_id, _ in files}
        for customer_id in self.moved:
            if customer_id not in with_file:
                self._move_group(self.customers[customer_id])
        known = [(customer_id, path, self._known_sha256(self.customers[customer_id])) for customer_id, path in files]
        # Only a file with a known hash can be skipped: the others need no hash ahead (a first
        # import would hash each file twice).
        hashes.narrow_to([path for _, path, sha256 in known if sha256 is not None])
        # The next file to import is read, hashed, parsed, summarised and formatted for the database
        # in a worker thread while this one is written: the database releases the GIL while it
        # works. Few calls per file: readings stream into one open COPY on PostgreSQL (one
        # statement per file on SQLite); daily and profile rows and records are written in bulk.
        prepared = read_ahead(self._prepare, self._to_prepare(known, hashes))
        current_group = None
        # An error while the readings' COPY is open ends it with that error, so the transaction
        # can be rolled back.
        with self.copy_stack:
            for done, ((customer_id, path), file) in enumerate(zip(files, prepared)):
                current_group = self._import_file(customer_id, path, file, current_group)
                if (self.records.full or len(self.customer_rows[DailyConsumption]) >= HELD_FILES
                        or len(self.group_rows[GroupHalfHour]) >= HELD_GROUP_ROWS):
                    self._write_held_rows()
                if progress:
                    progress(done + 1, len(files), path.name)
            self._close_groups()
            self._write_held_rows()

    def _import_file(self, customer_id: int, path: Path, file: "_PreparedFile", current_group):
        """Store one prepared file; returns the group now being summed."""
        customer = self.customers[customer_id]
        sha256, outcome = file.sha256, file.outcome
        if (customer.area, customer.tariff) != current_group:
            self._close_groups()
            current_group = (customer.area, customer.tariff)
        if outcome is None:
            self.report.files_unchanged += 1
            self.records.add(ImportFile(
                run=self.run, path=str(path), customer_id=customer.pk, sha256=sha256,
                status=ImportFile.Status.UNCHANGED, note="same content as the last import; skipped",
            ))
        elif isinstance(outcome, ParsedReadings):
            self._replace_readings(customer, path, file)
        elif isinstance(outcome, FileRejected):
            self._reject_file(customer, path, sha256, outcome)
        else:
            self._note_file(path, ImportFile.Status.REJECTED, f"cannot be read ({outcome.strerror})",
                            customer_id=customer.pk)
            self._move_group(customer)  # the readings stay as they were, in the customer's new group
        return current_group

    def _write_held_rows(self) -> None:
        """Write the daily, monthly-profile and group rows and the records held back so far; then
        drop the group rows that shrank to nothing."""
        for model, columns in ((DailyConsumption, DAILY_COLUMNS), (ProfileMonth, PROFILE_COLUMNS)):
            batches, self.customer_rows[model] = self.customer_rows[model], []
            if batches:
                self._insert(model, columns, self._merged(batches))
        for model, columns in ((GroupHalfHour, GROUP_HALF_HOUR_COLUMNS), (GroupDaily, GROUP_DAILY_COLUMNS)):
            rows, self.group_rows[model] = self.group_rows[model], []
            if rows:
                self._insert(model, columns, rows, key=columns[:3], add=columns[3:])
        self._end_readings_copy()
        if self.shrunk_groups:
            with connection.cursor() as cursor:
                for model in (GroupHalfHour, GroupDaily):
                    cursor.executemany(
                        f"DELETE FROM {self.tables[model]} WHERE area = %s AND tariff = %s AND readings <= 0",
                        sorted(self.shrunk_groups),
                    )
            self.shrunk_groups = set()
        self.records.flush()

    def _to_prepare(self, known: list[tuple[int, Path, str | None]], hashes: "_HashAhead") -> Iterator:
        """read_ahead's work, from (customer id, file, the hash under which it may be skipped): a
        file whose hash ahead is that one is Ready as unchanged, with no call into the thread; the
        others are prepared there, hashed again as they are read, so the hash recorded is always
        that of the bytes stored."""
        for customer_id, path, known_sha256 in known:
            if known_sha256 is not None and hashes.sha256(path) == known_sha256:
                yield Ready(_PreparedFile(known_sha256, None))
            else:
                yield customer_id, path, known_sha256

    def _prepare(self, customer_id: int, path: Path, known_sha256: str | None) -> "_PreparedFile":
        """Everything about one file that needs no database; runs in the read-ahead thread."""
        sha256, outcome = prepare_file(path, known_sha256, self.on_duplicate, settings.TIME_ZONE)
        file = _PreparedFile(sha256, outcome)
        if isinstance(outcome, ParsedReadings):
            timestamps, values = outcome.timestamps, outcome.values
            file.days = daily_totals(timestamps, values)
            file.history = whole_history(timestamps, values, file.days)
            file.readings = readings_payload(customer_id, outcome.lines(), self.postgres) if timestamps else None
            file.daily_rows = self._rows_payload([(customer_id, *day) for day in file.days])
            file.profile_rows = self._rows_payload(
                [(customer_id, *row) for row in monthly_profiles(timestamps, values)]
            )
        return file

    def _rows_payload(self, rows: list[tuple]) -> list[tuple] | str:
        """Rows as _insert() takes them: as they are for PostgreSQL's COPY, a JSON array for SQLite."""
        return rows if self.postgres else json.dumps(rows, allow_nan=False)

    def _merged(self, batches: list) -> list[tuple] | str:
        """Several files' _rows_payload() as one."""
        if self.postgres:
            return [row for rows in batches for row in rows]
        return "[" + ",".join(document[1:-1] for document in batches if document != "[]") + "]"

    def _known_sha256(self, customer: Customer) -> str | None:
        """The hash under which the customer's file may be skipped as unchanged, if any."""
        if customer.source_policy != self.on_duplicate or customer.pk in self.moved:
            return None
        return customer.source_sha256 or None

    def _reject_file(self, customer: Customer, path: Path, sha256: str, problem: FileRejected) -> None:
        self._note_file(
            path, ImportFile.Status.REJECTED, f"{problem}; the customer's readings are left as they were",
            customer_id=customer.pk, sha256=sha256, rows_read=problem.rows_read,
            rows_rejected=problem.rows_read, rejected=problem.rows,
        )
        self.report.rows_read += problem.rows_read
        self.report.rows_rejected += problem.rows_read
        self._move_group(customer)

    def _replace_readings(self, customer: Customer, path: Path, file: "_PreparedFile") -> None:
        parsed, sha256, days = file.outcome, file.sha256, file.days
        old_group = self.moved.get(customer.pk, (customer.area, customer.tariff))
        if customer.readings_count:
            self._subtract_existing(customer, old_group)
        self._insert_readings(customer.pk, file.readings)
        self.customer_rows[DailyConsumption].append(file.daily_rows)
        self.customer_rows[ProfileMonth].append(file.profile_rows)
        self._group(customer.area, customer.tariff).add(parsed.timestamps, parsed.values, days, +1)
        record = ImportFile(
            run=self.run, path=str(path), customer_id=customer.pk, sha256=sha256,
            status=ImportFile.Status.IMPORTED, rows_read=parsed.rows_read,
            readings_stored=len(parsed.timestamps), rows_rejected=len(parsed.rejected),
            rows_superseded=len(parsed.superseded),
        )
        for name, value in file.history.items():
            setattr(customer, name, value)
        customer.source_sha256 = sha256
        customer.source_policy = self.on_duplicate
        self.records.add(record, parsed.rejected, parsed.superseded, source_of=customer)
        report = self.report
        report.files_imported += 1
        report.rows_read += parsed.rows_read
        report.readings_stored += len(parsed.timestamps)
        report.rows_rejected += len(parsed.rejected)
        report.rows_superseded += len(parsed.superseded)

    def _subtract_existing(self, customer: Customer, group: tuple[str, str]) -> None:
        """Take the customer's current readings out of the group sums and out of the tables."""
        self._group(*group).add(*self._stored(customer), -1)
        with connection.cursor() as cursor:
            for model in (Reading, DailyConsumption, ProfileMonth):
                cursor.execute(f"DELETE FROM {self.tables[model]} WHERE customer_id = %s", [customer.pk])

    def _move_group(self, customer: Customer) -> None:
        """Move a customer's unchanged readings from their old group's sums to their new group's,
        if they changed group and have readings."""
        if customer.pk not in self.moved or not customer.readings_count:
            return
        stored = self._stored(customer)
        self._group(*self.moved[customer.pk]).add(*stored, -1)
        self._group(customer.area, customer.tariff).add(*stored, +1)

    def _stored(self, customer: Customer) -> tuple[list[str], list[float], list[tuple]]:
        """The customer's stored readings (timestamps, values) and daily (date, wh, readings) rows."""
        self._end_readings_copy()
        # As text from the database itself: no datetime object per reading, made and formatted back.
        # (PostgreSQL's ::text would add the zone offset: timestamps are timestamptz there.)
        timestamp_sql = "to_char(timestamp, 'YYYY-MM-DD HH24:MI:SS')" if self.postgres else "timestamp || ''"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {timestamp_sql}, wh FROM {self.tables[Reading]} WHERE customer_id = %s ORDER BY timestamp",
                [customer.pk],
            )
            timestamps, values = as_columns(cursor.fetchall())
            cursor.execute(
                f"SELECT date, wh, readings FROM {self.tables[DailyConsumption]} WHERE customer_id = %s",
                [customer.pk],
            )
            days = [(str(date), wh, readings) for date, wh, readings in cursor.fetchall()]
        return timestamps, values, days

    def _insert_readings(self, customer_id: int, payload: str | None) -> None:
        """Store a customer's readings from readings_payload(): on PostgreSQL into a COPY that stays
        open for the next files until another statement is due (_end_readings_copy), so the server
        reads one stream instead of a round trip per file; on SQLite one statement."""
        if not payload:
            return
        table = self.tables[Reading]
        if self.postgres:
            if self.readings_copy is None:
                cursor = self.copy_stack.enter_context(connection.cursor())
                self.readings_copy = self.copy_stack.enter_context(
                    cursor.cursor.copy(f"COPY {table} (customer_id, timestamp, wh) FROM STDIN")
                )
            self.readings_copy.write(payload)
            return
        with connection.cursor() as cursor:
            cursor.cursor.execute(
                f"INSERT INTO {table} (customer_id, timestamp, wh) "
                "SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)",
                [customer_id, payload],
            )

    def _end_readings_copy(self) -> None:
        """Finish the open COPY of readings, if any: every other statement must wait for it."""
        if self.readings_copy is not None:
            self.readings_copy = None
            self.copy_stack.close()

    # Group aggregates ----------------------------------------------------------------------

    def _group(self, area: str, tariff: str) -> _GroupTotals:
        return self.groups.setdefault((area, tariff), _GroupTotals())

    def _close_groups(self) -> None:
        """Hold the pending changes to the group sums as GroupHalfHour and GroupDaily rows for
        _write_held_rows. Writing them here, at every change of group, would end the readings'
        open COPY each time and stall the stream: the import waited for the server to catch up,
        then the server for the next parsed file (three times on smap-data, 0.6 s in all)."""
        for (area, tariff), totals in self.groups.items():
            self.group_rows[GroupHalfHour] += [
                (area, tariff, ts, wh, n) for ts, (wh, n) in totals.half_hours().items() if n or wh
            ]
            self.group_rows[GroupDaily] += [
                (area, tariff, date, wh, n, c) for date, (wh, n, c) in totals.days.items() if n or c or wh
            ]
            if totals.shrinks:
                self.shrunk_groups.add((area, tariff))
        self.groups = {}

    def _insert(self, model, columns: tuple[str, ...], rows: Iterable[tuple] | str, key=(), add=()) -> None:
        """Insert rows in bulk; with `key`, a row whose key exists adds its `add` columns to the stored ones.

        PostgreSQL gets COPY (through a temporary table when adding). SQLite gets one statement that
        reads the rows from a JSON array: a single call into SQLite, which releases the GIL for the
        whole insert (executemany takes it back after every row), and no per-row binding. On SQLite
        `rows` may already be that JSON array (see _rows_payload).
        """
        self._end_readings_copy()
        table = self.tables[model]
        names = ", ".join(columns)
        on_conflict = ""
        if key:
            on_conflict = f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET " + ", ".join(
                f"{name} = {table}.{name} + excluded.{name}" for name in add
            )
        with connection.cursor() as cursor:
            if not self.postgres:
                # json_extract rather than ->>, which needs SQLite 3.38
                fields = ", ".join(f"json_extract(value, '$[{index}]')" for index in range(len(columns)))
                document = rows if isinstance(rows, str) else json.dumps(list(rows), allow_nan=False)
                # "WHERE true" lets SQLite tell the upsert clause from a join constraint.
                cursor.cursor.execute(
                    f"INSERT INTO {table} ({names}) SELECT {fields} FROM json_each(?) WHERE true{on_conflict}",
                    [document],
                )
                return
            target = table
            if key:
                target = connection.ops.quote_name(f"staging_{model._meta.db_table}")
                cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {target} (LIKE {table}) ON COMMIT DROP")
                cursor.execute(f"TRUNCATE {target}")
            with cursor.cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if key:
                # A group summed twice since the last write (a customer's readings leaving it after
                # it was closed) holds two rows of one key: PostgreSQL's upsert takes each key once.
                # (SQLite's, row by row, adds the second to the first.)
                sums = ", ".join([*key, *(f"sum({name})" for name in add)])
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join([*key, *add])}) SELECT {sums} FROM {target} "
                    f"GROUP BY {', '.join(key)}{on_conflict}"
                )

    # Records -------------------------------------------------------------------------------

    def _note_file(self, path: Path, status: str, note: str, rejected: list[Rejected] = (), **fields) -> None:
        self.report.files_skipped += 1
        self.report.notes.append(f"{path}: {note}")
        self.records.add(ImportFile(run=self.run, path=str(path), status=status, note=note, **fields), rejected)


def readings_payload(customer_id: int, lines: list[str], postgres: bool) -> str:
    """'timestamp,wh' lines as one block for the database: COPY text for PostgreSQL, a JSON array of
    [timestamp, wh] pairs for SQLite. Built with whole-string operations, never a format per row."""
    if postgres:
        prefix = f"{customer_id}\t"
        return prefix + f"\n{prefix}".join(lines).replace(",", "\t") + "\n"
    return '[["' + "\n".join(lines).replace(",", '",').replace("\n", '],["') + "]]"


class _HashAhead:
    """The SHA-256 of each of `paths`, computed by two threads from the moment it is made, in order
    and at most WINDOW files ahead of the one asked for (hashlib releases the GIL as it hashes)."""

    WINDOW = 32

    def __init__(self, paths: list[Path]) -> None:
        self._paths = iter(paths)
        self._wanted: set[Path] | None = None  # None: every path
        self._pending: deque[tuple[Path, Future]] = deque()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="import-hash")
        for _ in range(self.WINDOW):
            self._submit()

    def __enter__(self) -> "_HashAhead":
        return self

    def __exit__(self, *exc_info) -> None:
        self._pool.shutdown(cancel_futures=True)

    def narrow_to(self, paths: list[Path]) -> None:
        """Hash only `paths` from now on; a hash already taken or under way for another is dropped."""
        self._wanted = set(paths)
        kept: deque[tuple[Path, Future]] = deque()
        for path, future in self._pending:
            if path in self._wanted:
                kept.append((path, future))
            else:
                future.cancel()  # spares the work if it has not started
        self._pending = kept
        while len(self._pending) < self.WINDOW and self._submit():
            pass

    def _submit(self) -> bool:
        for path in self._paths:
            if self._wanted is None or path in self._wanted:
                self._pending.append((path, self._pool.submit(file_sha256, path)))
                return True
        return False

    def sha256(self, path: Path) -> str | None:
        """`path`'s SHA-256, or None if it could not be read; paths are asked for in their order."""
        if not self._pending or self._pending[0][0] != path:
            raise RuntimeError(f"hash of {path} asked for out of order")
        _, future = self._pending.popleft()
        self._submit()
        return future.result()


@dataclass(frozen=True)
class Ready:
    """An item of read_ahead's argument lists whose result is known without a call."""

    result: object


def read_ahead(function: Callable, argument_lists: Iterable[tuple | Ready], depth: int = 1) -> Iterator:
    """function(*arguments) for each of `argument_lists`, in order, computed in one worker thread
    up to `depth` calls ahead of the consumer (memory stays bounded by depth + 1 results); a Ready
    item is handed out in its turn as it is, sparing the hand-over between threads."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read") as pool:
        pending = deque()
        for arguments in argument_lists:
            if isinstance(arguments, Ready):
                future = Future()
                future.set_result(arguments.result)
            else:
                future = pool.submit(function, *arguments)
            pending.append(future)
            if len(pending) > depth:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def daily_totals(timestamps: list[str], values: list[float]) -> list[tuple]:
    """Per day of time-ordered readings: (date, wh, readings, peak_wh, peak_at, base_wh)."""
    days = []
    start, count = 0, len(timestamps)
    while start < count:
        date = timestamps[start][:10]
        end = bisect_left(timestamps, date + "~", start)  # "~" sorts after every "YYYY-MM-DD hh:mm:ss"
        day = values[start:end]
        peak = max(day)
        lowest = sorted(day)[:BASE_LOAD_READINGS]
        base = sum(lowest) / BASE_LOAD_READINGS if len(lowest) == BASE_LOAD_READINGS else None
        days.append((date, float(sum(day)), end - start, peak, timestamps[start + day.index(peak)], base))
        start = end
    return days


def monthly_profiles(timestamps: list[str], values: list[float]) -> list[tuple]:
    """Per month, weekend or not, and half-hour slot of time-ordered readings: (month, weekend, slot, wh, readings)."""
    sums: dict[tuple[str, bool], tuple[list[float], list[int]]] = {}
    full_day = [1] * HALF_HOURS_PER_DAY
    start, count = 0, len(timestamps)
    while start < count:
        date = timestamps[start][:10]
        end = bisect_left(timestamps, date + "~", start)
        key = (date[:8] + "01", date_type.fromisoformat(date).weekday() >= 5)
        wh, readings = sums.setdefault(key, ([0.0] * HALF_HOURS_PER_DAY, [0] * HALF_HOURS_PER_DAY))
        if end - start == HALF_HOURS_PER_DAY:  # a complete day: add it slot by slot in C
            wh[:] = map(add, wh, values[start:end])
            readings[:] = map(add, readings, full_day)
        else:
            for timestamp, value in zip(timestamps[start:end], values[start:end]):
                slot = int(timestamp[11:13]) * 2 + (timestamp[14:16] == "30")
                wh[slot] += value
                readings[slot] += 1
        start = end
    return [
        (month, weekend, slot, wh[slot], readings[slot])
        for (month, weekend), (wh, readings) in sums.items()
        for slot in range(HALF_HOURS_PER_DAY)
        if readings[slot]
    ]


def whole_history(timestamps: list[str], values: list[float], days: list[tuple]) -> dict:
    """The Customer fields that summarise time-ordered readings and their daily_totals()."""
    peak_wh = max(values, default=None)
    return {
        "readings_count": len(values),
        "total_wh": float(sum(values)),
        "days_with_data": len(days),
        "first_reading_at": timestamps[0] if timestamps else None,
        "last_reading_at": timestamps[-1] if timestamps else None,
        "peak_wh": peak_wh,
        # index() finds the earliest of equal peaks
        "peak_at": timestamps[values.index(peak_wh)] if timestamps else None,
    }


def as_columns(rows: list[tuple]) -> tuple[list[str], list[float]]:
    """(timestamp, wh) rows as fetched, as the importer's parallel lists of text timestamps and Wh."""
    return [as_text(timestamp) for timestamp, _ in rows], [wh for _, wh in rows]


def as_text(moment) -> str:
    """A stored timestamp as the parser writes it."""
    return moment if isinstance(moment, str) else timestamp_text(moment)

