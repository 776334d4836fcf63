"""An import killed (SIGKILL) at a random moment loses nothing, doubles nothing, and leaves aggregates in step.

The imports run as real `manage.py import` processes against a database of their own (a fresh SQLite
file, or a fresh PostgreSQL database when the suite runs on PostgreSQL); the test reads that database
with the driver alone and compares it with a computation made with the csv module.
"""
import csv
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest
from django.conf import settings

from consumption.packed import FLOAT64, INT32, unpack
from consumption.sample_data import generate_sample_data

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"
# Large enough that a first import takes about a second on SQLite (several on PostgreSQL).
CUSTOMERS, DAYS = 40, 120


class ScratchDatabase:
    """A database for the import subprocesses, queried with the plain driver."""

    def __init__(self, tmp_path: Path) -> None:
        default = settings.DATABASES["default"]
        self.postgres = default["ENGINE"].startswith("django.db.backends.postgresql")
        if self.postgres:
            import psycopg

            self.params = {
                "host": default["HOST"] or "127.0.0.1", "port": default["PORT"] or 5432,
                "user": default["USER"], "password": default["PASSWORD"] or None,
            }
            self.name = f"crash_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(dbname="postgres", autocommit=True, **self.params) as admin:
                admin.execute(f'CREATE DATABASE "{self.name}"')
            password = f":{self.params['password']}" if self.params["password"] else ""
            self.url = (
                f"postgres://{self.params['user']}{password}@{self.params['host']}:{self.params['port']}/{self.name}"
            )
            self.connection = psycopg.connect(dbname=self.name, autocommit=True, **self.params)
        else:
            self.path = tmp_path / "crash.sqlite3"
            self.url = f"sqlite:///{self.path}"
        self.env = {**os.environ, "DATABASE_URL": self.url, "LOG_LEVEL": "WARNING"}
        subprocess.run([sys.executable, str(MANAGE), "migrate", "-v", "0"], env=self.env, check=True, timeout=120)
        if not self.postgres:
            self.connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)

    def rows(self, sql: str) -> list[tuple]:
        return list(self.connection.execute(sql).fetchall())

    def drop(self) -> None:
        self.connection.close()
        if self.postgres:
            import psycopg

            with psycopg.connect(dbname="postgres", autocommit=True, **self.params) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def scratch(tmp_path):
    database = ScratchDatabase(tmp_path)
    yield database
    database.drop()


def text(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:19]


def database_state(db: ScratchDatabase) -> dict:
    return {
        "readings": {
            (customer, text(ts)): wh
            for customer, ts, wh in db.rows("SELECT customer_id, timestamp, wh FROM consumption_reading")
        },
        "customers": {
            row[0]: (row[1], row[2], row[3], row[4], row[5])
            for row in db.rows(
                "SELECT id, area, tariff, readings_count, total_wh, days_with_data FROM consumption_customer"
            )
        },
        "daily": {
            (customer, text(day)): (wh, readings)
            for customer, day, wh, readings in db.rows(
                "SELECT customer_id, date, wh, readings FROM consumption_dailyconsumption"
            )
        },
        "group_daily": {
            (area, tariff, text(day)): (wh, readings, customers)
            for area, tariff, day, wh, readings, customers in db.rows(
                "SELECT area, tariff, date, wh, readings, customers FROM consumption_groupdaily"
            )
        },
        "group_half_hour": {
            (area, tariff, f"{text(day)} {slot // 2:02d}:{slot % 2 * 30:02d}:00"): (wh, readings)
            for area, tariff, day, day_wh, day_readings in db.rows(
                "SELECT area, tariff, date, wh, readings FROM consumption_grouphalfhour"
            )
            for slot, (wh, readings) in enumerate(zip(unpack(FLOAT64, day_wh), unpack(INT32, day_readings)))
            if readings
        },
    }


def fingerprint(db: ScratchDatabase) -> list[tuple]:
    """Row counts and sums of every table the import writes: cheap enough to take after every kill."""
    half_hours = db.rows("SELECT wh, readings FROM consumption_grouphalfhour")  # arrays: summed here
    return [
        db.rows(f"SELECT COUNT(*), SUM({column}) FROM {table}")[0]
        for table, column in [
            ("consumption_reading", "wh"), ("consumption_customer", "total_wh + readings_count + days_with_data"),
            ("consumption_dailyconsumption", "wh + readings"), ("consumption_groupdaily", "wh + readings + customers"),
            ("consumption_rejectedrow", "line_number"), ("consumption_supersededreading", "superseded_wh"),
        ]
    ] + [(len(half_hours), sum(sum(unpack(FLOAT64, wh)) + sum(unpack(INT32, readings)) for wh, readings in half_hours)
          if half_hours else None)]


def same_fingerprint(actual: list[tuple], expected: list[tuple]) -> bool:
    """Counts exactly; sums to float precision (PostgreSQL may add a column up in any order)."""
    return len(actual) == len(expected) and all(
        count == expected_count and (total == expected_total or math.isclose(total, expected_total, rel_tol=1e-12))
        for (count, total), (expected_count, expected_total) in zip(actual, expected)
    )


def expected_state(folder: Path) -> dict:
    """What the database must hold for `folder`, computed with the csv module: the later duplicate wins."""
    with (folder / "user_data.csv").open(newline="") as handle:
        groups = {int(row["id"]): (row["area"], row["tariff"]) for row in csv.DictReader(handle)}
    readings: dict[tuple[int, str], float] = {}
    for path in sorted((folder / "consumption").glob("*.csv")):
        with path.open(newline="") as handle:
            rows = csv.reader(handle)
            next(rows)
            for row in rows:
                try:
                    moment, wh = datetime.fromisoformat(row[0]), float(row[1])
                except (ValueError, IndexError):
                    continue  # the importer rejects it; it must not count anywhere
                ts = row[0] if len(row[0]) == 19 else moment.strftime("%Y-%m-%d %H:%M:%S")
                readings[(int(path.stem), ts)] = wh
    daily: dict = defaultdict(lambda: [0.0, 0])
    group_daily: dict = defaultdict(lambda: [0.0, 0, set()])
    group_half_hour: dict = defaultdict(lambda: [0.0, 0])
    for (customer, ts), wh in readings.items():
        for slot in (daily[(customer, ts[:10])], group_daily[(*groups[customer], ts[:10])],
                     group_half_hour[(*groups[customer], ts)]):
            slot[0] += wh
            slot[1] += 1
        group_daily[(*groups[customer], ts[:10])][2].add(customer)
    per_customer: dict = defaultdict(lambda: [0, 0.0, 0])
    for (customer, _), (wh, n) in daily.items():
        per_customer[customer][0] += n
        per_customer[customer][1] += wh
        per_customer[customer][2] += 1
    customers = {
        customer: (area, tariff, *per_customer.get(customer, (0, 0.0, 0))) for customer, (area, tariff) in groups.items()
    }
    return {
        "readings": readings,
        "customers": customers,
        "daily": {key: tuple(value) for key, value in daily.items()},
        "group_daily": {key: (wh, n, len(who)) for key, (wh, n, who) in group_daily.items()},
        "group_half_hour": {key: tuple(value) for key, value in group_half_hour.items()},
    }


def assert_matches(actual: dict, expected: dict) -> None:
    """Readings exactly; sums to float precision (they are added up in a different order)."""
    assert actual["readings"] == expected["readings"]
    for table in ("customers", "daily", "group_daily", "group_half_hour"):
        assert actual[table].keys() == expected[table].keys(), table
        for key, row in expected[table].items():
            for got, want in zip(actual[table][key], row, strict=True):
                if isinstance(want, float):
                    assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6), (table, key, got, want)
                else:
                    assert got == want, (table, key, got, want)


def import_process(db: ScratchDatabase, folder: Path) -> subprocess.Popen:
    # A session of its own, so that anything the import starts can be found (and cleaned up) after it.
    return subprocess.Popen(
        [sys.executable, str(MANAGE), "import", "--data-dir", str(folder), "-v", "0"],
        env=db.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )


def survivors(process_group: int, wait: float) -> bool:
    """True if a process of the group outlives `wait` seconds (then it is killed)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            os.killpg(process_group, 0)
        except ProcessLookupError:
            return False
        if time.monotonic() > deadline:
            os.killpg(process_group, signal.SIGKILL)
            return True
        time.sleep(0.05)


def latest_run(db: ScratchDatabase) -> tuple[int, str] | None:
    rows = db.rows("SELECT id, status FROM consumption_importrun ORDER BY id DESC LIMIT 1")
    return rows[0] if rows else None


def kill_during_import(db: ScratchDatabase, folder: Path, delay: float) -> bool:
    """Start an import, SIGKILL it `delay` seconds after its run is recorded; True if it died mid-import."""
    before = latest_run(db)
    process = import_process(db, folder)
    deadline = time.monotonic() + 60
    while latest_run(db) == before:
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the import never recorded its run"
        time.sleep(0.005)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)  # the import's own process only, as `kill -9 <pid>` would
    process.wait(timeout=30)
    process.stderr.close()
    # A helper process left running would keep the killed import's connection, and on PostgreSQL its
    # open transaction and row locks, alive: the next import would wait for it forever.
    assert not survivors(process.pid, wait=5), "a process the killed import started is still running"
    return latest_run(db)[1] == "running"


def complete_import(db: ScratchDatabase, folder: Path) -> float:
    started = time.monotonic()
    process = import_process(db, folder)
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors.decode()
    return time.monotonic() - started


def changed_copy(source: Path, target: Path, rng: random.Random) -> Path:
    """Half the files rescaled and a day shorter, a duplicate, a junk row, and one customer moved."""
    (target / "consumption").mkdir(parents=True)
    files = sorted((source / "consumption").glob("*.csv"))
    for index, path in enumerate(files):
        lines = path.read_text().splitlines()
        if index % 2 == 0:
            lines = [lines[0]] + [
                f"{ts},{float(wh) * 1.25:.2f}" for ts, wh in (line.split(",") for line in lines[1:-48])
            ]
        if index == 1:
            lines.append(f"{lines[5].split(',')[0]},{rng.uniform(1, 900):.1f}")  # a later duplicate wins
        if index == 3:
            lines.insert(10, "this is not a reading")
        (target / "consumption" / path.name).write_text("\n".join(lines) + "\n")
    customers = (source / "user_data.csv").read_text().splitlines()
    moved = customers[2].split(",")[0]
    customers[2] = f"{moved},a9,t9"
    (target / "user_data.csv").write_text("\n".join(customers) + "\n")
    return target


def test_it_survives_sigkill_at_random_moments_and_then_completes(scratch, tmp_path):
    rng = random.Random()
    seed = rng.randrange(10**6)
    rng.seed(seed)
    first = tmp_path / "first"
    generate_sample_data(first, customers=CUSTOMERS, days=DAYS, seed=seed)
    second = changed_copy(first, tmp_path / "second", rng)
    empty = fingerprint(scratch)
    killed = 0

    # A first import killed part-way leaves nothing behind.
    for _ in range(2):
        if kill_during_import(scratch, first, rng.uniform(0.05, 0.6)):
            killed += 1
            assert same_fingerprint(fingerprint(scratch), empty), f"seed {seed}"

    seconds = complete_import(scratch, first)
    assert_matches(database_state(scratch), expected_state(first))
    before = fingerprint(scratch)

    # A re-import of changed data killed part-way leaves the previous import exactly as it was.
    for _ in range(3):
        if kill_during_import(scratch, second, rng.uniform(0.05, 0.4) * seconds):
            killed += 1
            assert same_fingerprint(fingerprint(scratch), before), f"seed {seed}"
    assert killed >= 3, f"only {killed} of 5 kills landed during an import (seed {seed})"

    complete_import(scratch, second)
    assert_matches(database_state(scratch), expected_state(second))
    statuses = [status for _, status in scratch.rows("SELECT id, status FROM consumption_importrun ORDER BY id")]
    assert "running" not in statuses
    assert statuses.count("interrupted") == killed
    assert statuses.count("completed") == 2 + (5 - killed)
