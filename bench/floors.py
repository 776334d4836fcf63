"""Raw insert floors: the fastest plain way to store the same readings the importer stores.

The files are parsed with the importer's own parser (listed customers only, the later of two
duplicate rows wins), one customer at a time so memory stays bounded. Parsing and formatting are
not timed; only the inserts and the final commit are:
- SQLite: plain `sqlite3` `executemany` into a fresh file, one transaction, the app's pragmas;
  also, for information, into a table clustered on the key (WITHOUT ROWID) as the app's own
  readings table is on SQLite (migration 0005), so both comparisons can be read;
- PostgreSQL: plain psycopg `COPY ... FROM STDIN` of a preformatted text block per customer, then
  one commit. Each customer's COPY completes on the server before the clock stops.
"""
import sqlite3
import sys
import time
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "dashboard"))
from consumption.parsing import CUSTOMER_FILE_NAME, parse_customers, parse_readings  # noqa: E402

SQLITE_TABLE = (
    "CREATE TABLE reading (customer_id integer, timestamp text, wh real, "
    "PRIMARY KEY (customer_id, timestamp))"
)
SQLITE_CLUSTERED_TABLE = SQLITE_TABLE + " WITHOUT ROWID"
POSTGRES_TABLE = (
    "CREATE TABLE reading (customer_id integer, timestamp timestamp, wh double precision, "
    "PRIMARY KEY (customer_id, timestamp))"
)


def customer_readings(data_dir: Path, zone: str = "UTC") -> Iterator[tuple[int, list[tuple[str, float]]]]:
    """(customer id, [(timestamp, wh), ...]) per consumption file the importer would store."""
    listed = parse_customers((data_dir / "user_data.csv").read_bytes(), "user_data.csv").customers
    meter_zone = zoneinfo.ZoneInfo(zone)
    for path in sorted((data_dir / "consumption").iterdir()):
        match = CUSTOMER_FILE_NAME.match(path.name)
        if match is None or int(match[1]) not in listed:
            continue
        yield int(match[1]), parse_readings(path.read_bytes(), "last", meter_zone).rows


def measure_floors(data_dir: Path, sqlite_path: Path, postgres_url: str | None) -> dict:
    """Seconds spent inserting every reading of `data_dir` into each raw table, and the row count."""
    clustered_path = sqlite_path.with_name(f"{sqlite_path.stem}-clustered{sqlite_path.suffix}")
    lite = fresh_sqlite_table(sqlite_path, SQLITE_TABLE)
    clustered = fresh_sqlite_table(clustered_path, SQLITE_CLUSTERED_TABLE)
    pg = pg_cursor = None
    if postgres_url:
        import psycopg

        pg = psycopg.connect(postgres_url)
        pg_cursor = pg.cursor()
        pg_cursor.execute(POSTGRES_TABLE)
        pg.commit()

    rows_total = 0
    sqlite_seconds = postgres_seconds = clustered_seconds = 0.0
    for customer_id, rows in customer_readings(data_dir):
        rows_total += len(rows)
        params = [(customer_id, timestamp, wh) for timestamp, wh in rows]
        started = time.perf_counter()
        lite.executemany("INSERT INTO reading (customer_id, timestamp, wh) VALUES (?, ?, ?)", params)
        sqlite_seconds += time.perf_counter() - started
        started = time.perf_counter()
        clustered.executemany("INSERT INTO reading (customer_id, timestamp, wh) VALUES (?, ?, ?)", params)
        clustered_seconds += time.perf_counter() - started
        del params
        if pg_cursor is not None:
            prefix = f"{customer_id}\t"
            block = "".join(f"{prefix}{timestamp}\t{wh!r}\n" for timestamp, wh in rows)
            started = time.perf_counter()
            with pg_cursor.copy("COPY reading (customer_id, timestamp, wh) FROM STDIN") as copy:
                copy.write(block)
            postgres_seconds += time.perf_counter() - started

    result = {"rows": rows_total}
    for name, database, path, seconds in (
        ("sqlite", lite, sqlite_path, sqlite_seconds), ("sqlite_clustered", clustered, clustered_path, clustered_seconds),
    ):
        started = time.perf_counter()
        database.execute("COMMIT")
        seconds += time.perf_counter() - started
        stored = database.execute("SELECT count(*) FROM reading").fetchone()[0]
        database.close()
        remove_sqlite(path)
        result[name] = {"seconds": seconds, "rows_stored": stored}
    if pg is not None:
        started = time.perf_counter()
        pg.commit()
        postgres_seconds += time.perf_counter() - started
        stored = pg_cursor.execute("SELECT count(*) FROM reading").fetchone()[0]
        pg.close()
        result["postgres"] = {"seconds": postgres_seconds, "rows_stored": stored}
    return result


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def fresh_sqlite_table(path: Path, create: str) -> sqlite3.Connection:
    """A new database file holding the empty table, in WAL mode like the app's, a transaction open."""
    remove_sqlite(path)
    database = sqlite3.connect(path, isolation_level=None)
    database.execute("PRAGMA journal_mode=WAL")
    database.execute("PRAGMA synchronous=NORMAL")
    database.execute(create)
    database.execute("BEGIN")
    return database
