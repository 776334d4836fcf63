"""`manage.py generate_sample_data`: write a realistic data set in the import format, or one many
times the size of a real one (`--like DIR --scale N`)."""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from consumption.sample_data import generate_sample_data
from consumption.scaled_data import scale_data_set


def positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError
    return value


class Command(BaseCommand):
    help = "Write user_data.csv and consumption/<id>.csv with synthetic half-hourly readings."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=positive, default=60)
        parser.add_argument("--days", type=positive, default=170)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--out", default=str(settings.DATA_DIR), help="folder to write (default: %(default)s)")
        parser.add_argument("--first-id", type=positive, default=3000, help="id of the first customer")
        parser.add_argument("--like", help="a data folder to replay instead: its customers, and --scale - 1 "
                                           "scaled copies of each (--customers and --days are then unused)")
        parser.add_argument("--scale", type=positive, default=1, help="with --like: how many times its customers")

    def handle(self, *args, customers: int, days: int, seed: int, out: str, first_id: int, like: str | None,
               scale: int, **options) -> None:
        folder = Path(out)
        if (folder / "user_data.csv").exists() and any((folder / "consumption").glob("*.csv")):
            raise CommandError(f"{folder} already holds a data set; choose an empty --out folder")
        if like is None:
            rows = generate_sample_data(folder, customers, days, seed, first_id=first_id)
            self.stdout.write(f"Wrote {customers} customers and {rows:,} readings over {days} days to {folder}")
            return
        source = Path(like)
        if not (source / "user_data.csv").is_file():
            raise CommandError(f"{source}: no user_data.csv to replay")
        rows = scale_data_set(source, folder, scale, seed)
        self.stdout.write(f"Wrote {scale} times the customers of {source} ({rows:,} readings rows) to {folder}")
