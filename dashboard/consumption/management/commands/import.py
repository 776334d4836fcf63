"""`manage.py import`: read the data folder into the database (see consumption.imports)."""
import logging

from django.conf import settings
from django.core import checks
from django.core.management.base import BaseCommand, CommandError

from consumption.imports import FatalImportError, ImportReport, import_data
from consumption.parsing import DUPLICATE_POLICIES


class Command(BaseCommand):
    help = "Import data/user_data.csv and data/consumption/<id>.csv into the database."
    # The import renders no page: the URL and template checks, which load every view, are not its concern.
    requires_system_checks = [checks.Tags.models]

    def add_arguments(self, parser) -> None:
        parser.add_argument("--data-dir", default=str(settings.DATA_DIR), help="folder to import (default: %(default)s)")
        parser.add_argument(
            "--on-duplicate", choices=DUPLICATE_POLICIES, default="last",
            help="which row wins when a timestamp repeats in a file; 'error' rejects the file (default: last)",
        )

    def handle(self, *args, data_dir: str, on_duplicate: str, verbosity: int, **options) -> None:
        show_bar = verbosity > 0 and self.stdout.isatty()
        if verbosity == 0:  # quiet means quiet: the run's log lines go too, warnings and errors stay
            logging.getLogger("consumption.import").setLevel(logging.WARNING)
        try:
            report = import_data(data_dir, on_duplicate, progress=self._draw_bar if show_bar else None)
        except FatalImportError as problem:
            raise CommandError(str(problem)) from None
        if show_bar:
            self.stdout.write("")
        if verbosity > 0:
            self._write_report(report, verbosity)

    def _draw_bar(self, done: int, total: int, name: str) -> None:
        width = 30
        filled = width * done // total if total else width
        bar = "#" * filled + "-" * (width - filled)
        self.stdout.write(f"\r[{bar}] {done}/{total} files  {name:<16}", ending="")
        self.stdout.flush()

    def _write_report(self, report: ImportReport, verbosity: int) -> None:
        write = self.stdout.write
        write(
            f"Import run {report.run_id}: {report.files_imported} file(s) imported, "
            f"{report.files_unchanged} unchanged, {report.files_skipped} skipped"
        )
        write(
            f"  rows read {report.rows_read:,}; readings stored {report.readings_stored:,}; "
            f"rejected {report.rows_rejected:,}; superseded duplicates {report.rows_superseded:,}"
        )
        write(f"  {report.seconds:.2f} s, {report.rows_per_second:,.0f} rows/s")
        notes = report.notes if verbosity > 1 else report.notes[:10]
        for note in notes:
            write(f"  note: {note}")
        if len(report.notes) > len(notes):
            write(f"  ... {len(report.notes) - len(notes)} more note(s); -v 2 lists them all")
