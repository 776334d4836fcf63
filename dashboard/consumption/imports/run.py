"""An import run's record and report: the ImportRun row, the figures the command prints, the log."""
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import connection

from ..models import (
    Alert, AreaProfileMedian, AreaSeriesMedian, Customer, DailyConsumption, DayBlock, GroupAlertBlocks,
    GroupBucketTotals, GroupDaily, GroupHalfHour, GroupPeakBlocks, GroupRunningTotals, ImportFile, ImportRun,
    ProfileMonth, Reading, RejectedRow, SupersededReading,
)
from .folder import FatalImportError

log = logging.getLogger("consumption.import")
IMPORT_TABLES = (
    Customer, Reading, DailyConsumption, ProfileMonth, DayBlock, Alert, GroupDaily, GroupHalfHour, AreaSeriesMedian,
    AreaProfileMedian, GroupBucketTotals, GroupRunningTotals, GroupPeakBlocks, GroupAlertBlocks, ImportRun, ImportFile,
    RejectedRow, SupersededReading,
)
COUNTS = ("files_imported", "files_unchanged", "files_skipped", "files_rejected", "rows_read", "readings_stored",
          "rows_rejected", "rows_superseded")


@dataclass
class ImportReport:
    run_id: int
    files_imported: int = 0
    files_unchanged: int = 0
    files_skipped: int = 0
    files_rejected: int = 0
    rows_read: int = 0
    readings_stored: int = 0
    rows_rejected: int = 0
    rows_superseded: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0


def check_tables() -> None:
    """The database must have been migrated: say so plainly rather than fail on the first query."""
    missing = sorted({model._meta.db_table for model in IMPORT_TABLES} - set(connection.introspection.table_names()))
    if missing:
        raise FatalImportError(
            f"{connection.settings_dict['NAME']}: the database lacks the table(s) {', '.join(missing)}; "
            "run `python dashboard/manage.py migrate` first"
        )


def start_run(data_dir: Path, on_duplicate: str) -> tuple[ImportRun, ImportReport]:
    """A new run's record, outside the run's transaction so that it outlives a failure; a run that
    is still `running` died before it finished."""
    ImportRun.objects.filter(status=ImportRun.Status.RUNNING).update(
        status=ImportRun.Status.INTERRUPTED, message="the run stopped before it finished"
    )
    run = ImportRun.objects.create(started_at=datetime.now(), data_dir=str(data_dir.resolve()), on_duplicate=on_duplicate)
    log.info("import started run=%s data_dir=%s on_duplicate=%s", run.pk, data_dir, on_duplicate)
    return run, ImportReport(run_id=run.pk)


def finish_run(run: ImportRun, report: ImportReport) -> None:
    run.status = ImportRun.Status.COMPLETED
    run.finished_at = datetime.now()
    for name in COUNTS:
        setattr(run, name, getattr(report, name))
    run.message = "\n".join(report.notes)
    run.save()


def fail_run(run: ImportRun, problem: BaseException) -> None:
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.FAILED, finished_at=datetime.now(), message=repr(problem)[:2000]
    )
    log.error("import failed run=%s error=%r", run.pk, problem)


def log_completed(report: ImportReport) -> None:
    log.info(
        "import completed run=%s %s seconds=%.2f",
        report.run_id, " ".join(f"{name}={getattr(report, name)}" for name in COUNTS), report.seconds,
    )
