"""`make bench SCALE=100`: the dashboard at a hundred times the customers against the same at 1x.

The 1x set is smap-data (or, without it, 60 generated customers); the Nx set is built once by the
project's generator (`generate_sample_data --like SET --scale N`: each added customer replays a
real one's series scaled by a random factor, area and tariff kept) under BENCH_SCALE_DIR, and
reused while its parameters match. Each set is imported into a fresh SQLite and PostgreSQL database
(`manage.py import` as a subprocess: rows per second, peak RSS); then every page, fragment and
JSON endpoint is timed cold (the first request of a fresh process) and warm, at both sizes, and a
re-import with one changed file is timed at Nx on SQLite. Results in .bench/scale-results.json.
BENCH_SCALE_REUSE_DATABASES=1 keeps databases imported by an earlier run of the same commit.
"""
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from run import (
    APP_ENV, BENCH, MANAGE, PYTHON, REPO, SMAP_DATA, Targets, fresh_postgres, fresh_sqlite, postgres_available,
    run_checked, say, table, timed_import,
)

SCALE_DIR = Path(os.environ.get("BENCH_SCALE_DIR", "/tmp/dashboard-bench"))
REUSE_DATABASES = os.environ.get("BENCH_SCALE_REUSE_DATABASES") == "1"
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
PAGE_RATIO = 2.0
IMPORT_RATE_RATIO = 1.25
PEAK_RSS_MB = 150
CHANGED_FILE_REIMPORT_SECONDS = 10
CSV_FIRST_BYTE_SECONDS = 1.0
PERIOD = "from=2016-08-03&to=2016-11-17"


def data_sets(scale: int) -> dict[int, Path]:
    SCALE_DIR.mkdir(parents=True, exist_ok=True)
    if (SMAP_DATA / "user_data.csv").is_file():
        small, like = SMAP_DATA, ["--like", str(SMAP_DATA)]
    else:
        small = built(SCALE_DIR / "generated-60", ["--customers", "60"])
        like = ["--like", str(small)]
    return {1: small, scale: built(SCALE_DIR / f"scale-{scale}", [*like, "--scale", str(scale)])}


def built(folder: Path, arguments: list[str]) -> Path:
    """`generate_sample_data ARGUMENTS` into `folder`, once: reused while the arguments match."""
    stamp = folder.with_suffix(".json")
    if folder.is_dir() and stamp.is_file() and json.loads(stamp.read_text()) == arguments:
        say(f"data: reusing {folder} {' '.join(arguments)}")
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    partial = folder.with_suffix(".partial")
    shutil.rmtree(partial, ignore_errors=True)
    say(f"data: building {folder} {' '.join(arguments)} (once)")
    run_checked([PYTHON, MANAGE, "generate_sample_data", "--out", str(partial), *arguments])
    partial.rename(folder)
    stamp.write_text(json.dumps(arguments))
    return folder


def database(backend: str, size: int) -> tuple[str, bool]:
    """The URL of this size's database, and whether it already holds this commit's import."""
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    stamp = SCALE_DIR / f"{backend}-{size}.imported"
    if REUSE_DATABASES and stamp.is_file() and stamp.read_text() == commit:
        url = str(SCALE_DIR / f"{backend}-{size}.sqlite3") if backend == "sqlite" else f"bench_scale_{size}"
        return (f"sqlite:///{url}" if backend == "sqlite" else f"{PG_SERVER}/{url}"), True
    stamp.unlink(missing_ok=True)
    if backend == "sqlite":
        url = fresh_sqlite(SCALE_DIR / f"{backend}-{size}.sqlite3")
    else:
        url = fresh_postgres(f"bench_scale_{size}")
    run_checked([PYTHON, MANAGE, "migrate", "-v", "0"], {**APP_ENV, "DATABASE_URL": url})
    return url, False


def mark_imported(backend: str, size: int) -> None:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    (SCALE_DIR / f"{backend}-{size}.imported").write_text(commit)


@contextmanager
def largest_size(path: Path):
    """Samples `path`'s size while the block runs; yields a dict whose "bytes" is the largest seen."""
    seen = {"bytes": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            try:
                seen["bytes"] = max(seen["bytes"], path.stat().st_size)
            except OSError:
                pass

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield seen
    finally:
        done.set()
        sampler.join()


def urls(customer_id: int) -> list[tuple[str, str, dict]]:
    """Every page, fragment and JSON endpoint of the summary and detail pages, and the alerts and
    imports pages (run 1 is the database's first import)."""
    htmx = {"HX-Request": "true"}
    summary_fragment = htmx | {"HX-Target": "results", "HX-Current-URL": "http://testserver/summary/"}
    table_fragment = htmx | {"HX-Target": "customer-table", "HX-Current-URL": "http://testserver/summary/"}
    detail = f"/detail/{customer_id}/"
    return [
        ("summary", "/summary/", {}),
        ("summary, period, sorted by period total", f"/summary/?{PERIOD}&sort=-total_kwh", {}),
        ("summary, period beside the one before, biggest risers first",
         f"/summary/?{PERIOD}&compare=previous&sort=-change_pct", {}),
        ("summary, period, sorted by percentile in group", f"/summary/?{PERIOD}&sort=-group_percentile", {}),
        ("summary, breakdown by area", "/summary/?breakdown=area&granularity=week", {}),
        ("summary filter fragment (area)", "/summary/?area=a1", summary_fragment),
        ("summary table fragment (period, sort)", f"/summary/?{PERIOD}&sort=-total_kwh&page=2", table_fragment),
        ("summary chart.json (period)", f"/summary/chart.json?{PERIOD}", {}),
        ("summary chart.json (period, weeks, compared, spread)",
         f"/summary/chart.json?{PERIOD}&granularity=week&compare=previous&spread=1", {}),
        ("summary CSV export (period)", f"/summary/?{PERIOD}&_export=csv", {}),
        ("detail, whole history", detail, {}),
        ("detail, period", f"{detail}?{PERIOD}", {}),
        ("detail, period beside the one before", f"{detail}?{PERIOD}&compare=previous", {}),
        ("detail, half-hour", f"{detail}?granularity=halfhour", {}),
        ("detail, week", f"{detail}?granularity=week", {}),
        ("detail, month, period", f"{detail}?granularity=month&{PERIOD}", {}),
        ("detail period fragment", f"{detail}?{PERIOD}", htmx | {"HX-Target": "period"}),
        ("detail over-time fragment (half-hour)", f"{detail}?granularity=halfhour&{PERIOD}",
         htmx | {"HX-Target": "overtime"}),
        ("detail chart.json (day)", f"{detail}chart.json?granularity=day", {}),
        ("detail chart.json (half-hour, period)", f"{detail}chart.json?granularity=halfhour&{PERIOD}", {}),
        ("alerts", "/alerts/", {}),
        ("alerts of a kind in a period, by magnitude", f"/alerts/?kind=spike_day&{PERIOD}&sort=-magnitude", {}),
        ("imports", "/imports/", {}),
        ("an import's files", "/imports/1/", {}),
    ]


def time_url(database_url: str, url: str, headers: dict) -> dict:
    env = {**APP_ENV, "DATABASE_URL": database_url, "BENCH_STATIC_ROOT": str(BENCH / "static"),
           "DJANGO_SETTINGS_MODULE": "bench_settings"}
    out = run_checked([PYTHON, str(REPO / "bench" / "scale_pages.py"), url, json.dumps(headers)], env)
    return json.loads(out.strip().splitlines()[-1])


def changed_file_reimport(data_dir: Path, database_url: str) -> float:
    """Seconds of `manage.py import` after one customer's file changed (restored afterwards)."""
    path = sorted((data_dir / "consumption").glob("*.csv"))[0]
    original = path.read_bytes()
    try:
        path.write_bytes(original + original.splitlines(keepends=True)[-1])  # a duplicate: superseded
        started = time.perf_counter()
        run_checked([PYTHON, MANAGE, "import", "--data-dir", str(data_dir), "-v", "0"],
                    {**APP_ENV, "DATABASE_URL": database_url})
        return time.perf_counter() - started
    finally:
        path.write_bytes(original)
        run_checked([PYTHON, MANAGE, "import", "--data-dir", str(data_dir), "-v", "0"],
                    {**APP_ENV, "DATABASE_URL": database_url})


def main(scale: int) -> None:
    started = time.perf_counter()
    BENCH.mkdir(exist_ok=True)
    sets = data_sets(scale)
    pg_problem = postgres_available()
    backends = ["sqlite"] + ([] if pg_problem else ["postgres"])
    if pg_problem:
        say(f"PostgreSQL skipped: {pg_problem}")
    run_checked([PYTHON, MANAGE, "collectstatic", "--no-input", "-v", "0", "--pythonpath", str(REPO / "bench")],
                {**APP_ENV, "BENCH_STATIC_ROOT": str(BENCH / "static"), "DJANGO_SETTINGS_MODULE": "bench_settings"})
    results = {"scale": scale, "imports": {}, "pages": {}}
    targets = Targets()
    for backend in backends:
        for size, data_dir in sets.items():
            url, imported = database(backend, size)
            if not imported:
                say(f"import {size}x on {backend} ...")
                # The run is one transaction: on SQLite its WAL holds every page it writes until the end.
                wal = Path(url.removeprefix("sqlite:///") + "-wal") if backend == "sqlite" else Path("/nonexistent")
                with largest_size(wal) as largest_wal:
                    run = timed_import(data_dir, url, f"scale-import-{backend}-{size}")
                if backend == "sqlite":
                    run["largest_wal_mb"] = largest_wal["bytes"] / 2**20
                    run["database_mb"] = Path(url.removeprefix("sqlite:///")).stat().st_size / 2**20
                if run["returncode"]:
                    raise SystemExit(f"the {size}x import on {backend} failed: {run.get('error')}")
                run["rows_per_second"] = run["readings_stored"] / run["seconds"]
                results["imports"][f"{backend}/{size}"] = run
                mark_imported(backend, size)
                say(f"  {run['seconds']:.1f} s, {run['rows_per_second']:,.0f} rows/s, peak RSS {run['peak_rss_mb']:.0f} MB")
            results["pages"][f"{backend}/{size}"] = pages = {}
            for label, page, headers in urls(3000):
                pages[label] = time_url(url, page, headers)
            if backend == "sqlite" and size == scale:
                results["changed_file_reimport_seconds"] = changed_file_reimport(data_dir, url)
    say("\nImport")
    for backend in backends:
        one, many = results["imports"].get(f"{backend}/1"), results["imports"].get(f"{backend}/{scale}")
        if one and many:
            table(["database", "size", "rows", "seconds", "rows/s", "peak RSS MB", "largest WAL MB", "database MB"], [
                [backend, f"{size}x", f"{run['readings_stored']:,}", f"{run['seconds']:.1f}",
                 f"{run['rows_per_second']:,.0f}", f"{run['peak_rss_mb']:.0f}", f"{run.get('largest_wal_mb', 0):.0f}",
                 f"{run.get('database_mb', 0):.0f}"] for size, run in ((1, one), (scale, many))
            ])
            targets.check(f"{backend}: import rows/s at 1x / at {scale}x", one["rows_per_second"] / many["rows_per_second"],
                          IMPORT_RATE_RATIO, "x")
            targets.check(f"{backend}: peak RSS of the {scale}x import", many["peak_rss_mb"], PEAK_RSS_MB, " MB")
    if "changed_file_reimport_seconds" in results:
        targets.check(f"sqlite: re-import with one changed file at {scale}x", results["changed_file_reimport_seconds"],
                      CHANGED_FILE_REIMPORT_SECONDS, " s")
    for backend in backends:
        say(f"\nPages on {backend} (ms; cold = first request of a fresh process)")
        one, many = results["pages"][f"{backend}/1"], results["pages"][f"{backend}/{scale}"]
        rows = []
        for label in one:
            a, b = one[label], many[label]
            rows.append([label, a["status"], b["status"], a["queries"], b["queries"], f"{a['cold_ms']:.0f}",
                         f"{b['cold_ms']:.0f}", f"{a['warm_p50_ms']:.1f}", f"{b['warm_p50_ms']:.1f}"])
            if "CSV" in label:
                # A download of every customer grows with their number, so it is judged by how soon it
                # starts streaming; its whole time is still printed in the table.
                targets.check(f"{backend}: {label}, first byte at {scale}x, cold", b["first_byte_ms"] / 1000,
                              CSV_FIRST_BYTE_SECONDS, " s")
                continue
            for kind in ("cold_ms", "warm_p50_ms"):
                targets.check(f"{backend}: {label}, {kind.split('_')[0]}, {scale}x / 1x", b[kind] / a[kind], PAGE_RATIO, "x")
        table(["page", "status 1x", f"status {scale}x", "queries 1x", f"queries {scale}x", "cold 1x", f"cold {scale}x",
               "warm 1x", f"warm {scale}x"], rows)
    say()
    targets.print()
    results["targets"] = targets.rows
    (BENCH / "scale-results.json").write_text(json.dumps(results, indent=1, default=str))
    say(f"\nscale benchmark took {time.perf_counter() - started:.0f} s; results in .bench/scale-results.json")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
