"""The import's rules, file by file, and the guarantees they keep.

- All or nothing: a run is one transaction, with every aggregate written beside the readings it
  summarises. Readers see the data as it was before or as it is after; a run killed at any moment
  leaves the database as it was, and the next run marks it interrupted.
- Nothing lost: every row read is stored, rejected (with its line and reason) or superseded by a
  duplicate timestamp (with the value kept); every file is recorded with what became of it.
- Re-runnable: a customer's readings come from their one file. A file with the SHA-256 and
  duplicate policy of the one stored is skipped; a changed file replaces the customer's readings.

For each customer's file:
- unchanged (the SHA-256 and duplicate policy of the file the customer's readings came from, and
  the customer in the same group): recorded, and nothing else;
- parsed: replaces the customer's readings and the rows computed from them (daily, monthly
  profile, day blocks, alerts), and moves their sums from the group they were in to the group they
  are in; the median windows and group tables of every area touched are rebuilt at the end;
- rejected or unreadable: recorded; the customer's readings stay as they were.
A customer who changed area or tariff takes the sums of their stored readings to the new group,
with or without a new file.
"""
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from ..alerts import Thresholds
from ..models import Customer, ImportFile, ImportRun
from ..parsing import DUPLICATE_POLICIES, FileRejected, ParsedReadings
from .folder import FatalImportError, Folder, read_folder
from .groups import Group, GroupSums
from .held import FileRecord, HeldRows, Limits
from .medians import rebuild_area_aggregates
from .prepare import PreparedFile, prepare, read_ahead
from .run import ImportReport, check_tables, fail_run, finish_run, log_completed, start_run
from .writer import Writer, writer_for

Progress = Callable[[int, int, str], None]  # (files done, files in all, name of the last)


def import_data(
    data_dir: Path | str, on_duplicate: str = "last", progress: Progress | None = None, limits: Limits = Limits()
) -> ImportReport:
    """Import `data_dir`; raises FatalImportError, with nothing written, if it cannot be read at all."""
    started = time.perf_counter()
    if on_duplicate not in DUPLICATE_POLICIES:
        raise FatalImportError(f"--on-duplicate must be one of {', '.join(DUPLICATE_POLICIES)}")
    data_dir = Path(data_dir)
    folder = read_folder(data_dir)
    check_tables()
    run, report = start_run(data_dir, on_duplicate)
    try:
        with transaction.atomic():
            with writer_for(connection) as writer:
                _Import(run, report, on_duplicate, writer, limits).run(folder, progress)
            finish_run(run, report)
    except BaseException as problem:
        fail_run(run, problem)
        raise
    report.seconds = time.perf_counter() - started  # the commit included
    log_completed(report)
    return report


class _Import:
    """One run: its customers, the groups' pending sums, and the rows held to be written."""

    def __init__(self, run: ImportRun, report: ImportReport, on_duplicate: str, writer: Writer, limits: Limits):
        self.run_record = run
        self.report = report
        self.on_duplicate = on_duplicate
        self.writer = writer
        self.held = HeldRows(writer, limits)
        self.customers: dict[int, Customer] = {}
        self.moved: dict[int, Group] = {}  # customer -> the group they were in
        self.groups: dict[Group, GroupSums] = {}  # pending sums of the groups touched
        self.changed_areas: set[str] = set()  # whose median windows and group tables are rebuilt at the end

    def run(self, folder: Folder, progress: Progress | None) -> None:
        self._import_customers(folder)
        for entry in folder.skipped:
            self._record_skipped(entry.path, entry.status, entry.note, customer_id=entry.customer_id)
            self._write_if_full()
        with_file = {file.customer_id for file in folder.files}
        for customer_id in self.moved:  # in user_data.csv's order, so sums add up the same way each run
            if customer_id not in with_file:
                self._move_group(self.customers[customer_id])
        prepared = read_ahead(
            partial(prepare, on_duplicate=self.on_duplicate, zone=settings.TIME_ZONE, writer=self.writer,
                    thresholds=Thresholds.configured()),
            ((file.customer_id, file.path, self._known_sha256(file.customer_id)) for file in folder.files),
        )
        group = None
        for done, (file, prepared_file) in enumerate(zip(folder.files, prepared), start=1):
            customer = self.customers[file.customer_id]
            if group_of(customer) != group:  # files come group by group
                self._hold_groups()
                group = group_of(customer)
            self._import_file(customer, file.path, prepared_file)
            self._write_if_full()
            if progress:
                progress(done, len(folder.files), file.path.name)
        self._hold_groups()
        self.held.write()
        rebuild_area_aggregates(self.changed_areas, self.writer)
        if self.changed_areas:  # some customer's readings or group changed
            self.writer.refresh_statistics()

    # The rules ------------------------------------------------------------------------------------

    def _import_customers(self, folder: Folder) -> None:
        parsed = folder.customers
        self.held.add_record(FileRecord(
            ImportFile(
                run=self.run_record, path=str(folder.customers_path), sha256=folder.customers_sha256,
                status=ImportFile.Status.IMPORTED, rows_read=parsed.rows_read, readings_stored=0,
                rows_rejected=len(parsed.rejected),
            ),
            parsed.rejected,
        ))
        existing = {customer.pk: customer for customer in Customer.objects.all()}
        new, changed = [], []
        for customer_id, (area, tariff) in parsed.customers.items():
            customer = existing.get(customer_id)
            if customer is None:
                customer = Customer(id=customer_id, area=area, tariff=tariff)
                new.append(customer)
            elif (customer.area, customer.tariff) != (area, tariff):
                self.moved[customer_id] = group_of(customer)
                # Both areas' group tables are rebuilt, even for a customer without readings: their alerts move.
                self.changed_areas.update({customer.area, area})
                customer.area, customer.tariff = area, tariff
                changed.append(customer)
            self.customers[customer_id] = customer
        Customer.objects.bulk_create(new, batch_size=500)
        Customer.objects.bulk_update(changed, ["area", "tariff"], batch_size=500)
        unlisted = len(existing.keys() - parsed.customers.keys())
        if unlisted:
            self.report.notes.append(
                f"{unlisted} customer(s) in the database are not in {folder.customers_path.name}; their data is kept"
            )
        if parsed.rejected:
            self.report.notes.append(f"{folder.customers_path.name}: {len(parsed.rejected)} row(s) rejected")
        if not folder.consumption_found:
            self.report.notes.append(
                f"{folder.consumption_path}: folder not found; customers are imported with no readings"
            )

    def _known_sha256(self, customer_id: int) -> str | None:
        """The hash under which the customer's file is unchanged: none once the policy or group changed."""
        customer = self.customers[customer_id]
        if customer.source_policy != self.on_duplicate or customer_id in self.moved:
            return None
        return customer.source_sha256 or None

    def _import_file(self, customer: Customer, path: Path, file: PreparedFile) -> None:
        outcome = file.outcome
        if file.unchanged:
            self.report.files_unchanged += 1
            self.held.add_record(FileRecord(ImportFile(
                run=self.run_record, path=str(path), customer_id=customer.pk, sha256=file.sha256,
                status=ImportFile.Status.UNCHANGED, note="same content as the last import; skipped",
            )))
        elif isinstance(outcome, ParsedReadings):
            self._replace_readings(customer, path, file)
        elif isinstance(outcome, FileRejected):
            self._record_skipped(
                path, ImportFile.Status.REJECTED, f"{outcome}; the customer's readings are left as they were",
                customer_id=customer.pk, sha256=file.sha256, rows_read=outcome.rows_read,
                rows_rejected=outcome.rows_read, rejected=outcome.rows,
            )
            self.report.rows_read += outcome.rows_read
            self.report.rows_rejected += outcome.rows_read
            self._move_group(customer)
        else:  # OSError
            self._record_skipped(path, ImportFile.Status.REJECTED, f"cannot be read ({outcome.strerror})",
                                 customer_id=customer.pk)
            self._move_group(customer)

    def _replace_readings(self, customer: Customer, path: Path, file: PreparedFile) -> None:
        parsed = file.outcome
        if customer.readings_count:
            old_group = self.moved.get(customer.pk, group_of(customer))
            self._group(old_group).add(self.writer.stored_readings(customer.pk), self.writer.stored_days(customer.pk), -1)
            self.writer.delete_customer_rows(customer.pk)
        if file.encoded_readings is not None:
            self.writer.write_readings(file.encoded_readings)
        self.held.add_customer_tables(file.tables)
        self._group(group_of(customer)).add(file.readings, file.days, +1)
        for name, value in file.history._asdict().items():
            setattr(customer, name, value)
        customer.source_sha256 = file.sha256
        customer.source_policy = self.on_duplicate
        record = ImportFile(
            run=self.run_record, path=str(path), customer_id=customer.pk, sha256=file.sha256,
            status=ImportFile.Status.IMPORTED, rows_read=parsed.rows_read,
            readings_stored=len(parsed.timestamps), rows_rejected=len(parsed.rejected),
            rows_superseded=len(parsed.superseded),
        )
        self.held.add_record(FileRecord(record, parsed.rejected, parsed.superseded, source_of=customer))
        report = self.report
        report.files_imported += 1
        report.rows_read += parsed.rows_read
        report.readings_stored += len(parsed.timestamps)
        report.rows_rejected += len(parsed.rejected)
        report.rows_superseded += len(parsed.superseded)

    def _move_group(self, customer: Customer) -> None:
        """Move the sums of a customer's stored readings to their new group, if they changed group."""
        if customer.pk not in self.moved or not customer.readings_count:
            return
        readings, days = self.writer.stored_readings(customer.pk), self.writer.stored_days(customer.pk)
        self._group(self.moved[customer.pk]).add(readings, days, -1)
        self._group(group_of(customer)).add(readings, days, +1)

    def _record_skipped(self, path: Path, status: str, note: str, rejected=(), **fields) -> None:
        self.report.files_skipped += 1
        self.report.files_rejected += status == ImportFile.Status.REJECTED
        self.report.notes.append(f"{path}: {note}")
        self.held.add_record(FileRecord(ImportFile(run=self.run_record, path=str(path), status=status, note=note,
                                                   **fields), list(rejected)))

    # Groups and held rows -----------------------------------------------------------------------

    def _group(self, group: Group) -> GroupSums:
        self.changed_areas.add(group.area)
        return self.groups.setdefault(group, GroupSums(group))

    def _hold_groups(self) -> None:
        """Hold the pending groups' sums as rows, written with the other held rows."""
        for sums in self.groups.values():
            self.held.add_group(sums)
        self.groups = {}

    def _write_if_full(self) -> None:
        if self.held.full:
            self.held.write()


def group_of(customer: Customer) -> Group:
    return Group(customer.area, customer.tariff)
