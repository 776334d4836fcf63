"""`make bench`: import speed and memory against raw floors, re-run speed, and page latency.

For smap-data (if present) and a generated set ten times its size, on SQLite and PostgreSQL:
`manage.py import` is timed as a subprocess (wall seconds, peak RSS of that process), then run
again on the unchanged data, several times (the median kept); the same readings are inserted with
plain sqlite3 `executemany` and plain psycopg `COPY` for the floor; then page latency is measured
on each SQLite database. Prints a table with PASS/FAIL per target and writes everything to
.bench/results.json. Environment: SMAP_DATA (folder of smap-data), BENCH_PG_URL (PostgreSQL
server, no database name), BENCH_REPEATS (attempts at smap-data size, default 3), BENCH_RERUNS
(re-runs per attempt, default 5), BENCH_PAGE_REQUESTS (default 100), BENCH_KEEP_DATABASES=1 to
keep the imported SQLite files in .bench/ afterwards.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from floors import measure_floors
from pages import percentile

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / ".bench"
PYTHON = sys.executable
MANAGE = str(REPO / "dashboard" / "manage.py")
SMAP_DATA = Path(os.environ.get("SMAP_DATA", REPO.parent / "shared" / "smap-data"))
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
GENERATED = {"customers": 600, "days": 170, "seed": 7}
PAGE_REQUESTS = int(os.environ.get("BENCH_PAGE_REQUESTS", 100))
# Pages are timed in rounds that alternate between the data sets, so a slow spell on this shared
# machine falls on both sizes alike instead of on whichever happened to run then.
PAGE_ROUNDS = 3
# Attempts per import and floor at smap-data size (the median is kept: this machine is shared);
# the ten-times set is measured once.
SMALL_REPEATS = int(os.environ.get("BENCH_REPEATS", 3))
# A re-run of unchanged files is short, so one sample swings widely with the machine's noise:
# each attempt times several and keeps the median.
RERUNS = int(os.environ.get("BENCH_RERUNS", 5))

# The imports run as in production: DEBUG off (no query log kept in memory).
APP_ENV = {**os.environ, "DEBUG": "0", "SECRET_KEY": "bench-only-secret-key", "PYTHONUNBUFFERED": "1"}

SQLITE_FLOOR_RATIO = 1.5
POSTGRES_FLOOR_RATIO = 2.0
PEAK_RSS_MB = 150
# A re-import of unchanged data may take the bare start-up (`import --help`) plus this share of the
# first import: what it does beyond starting is judged, not how fast Python and Django start.
RERUN_BEYOND_STARTUP = 0.1
SCALED_PAGE_RATIO = 2.0
SUMMARY_PAGE_MS = 50


def say(text: str = "") -> None:
    print(text, flush=True)


# Data sets ---------------------------------------------------------------------------------------

def data_sets() -> list[tuple[str, Path]]:
    sets = []
    if (SMAP_DATA / "user_data.csv").is_file():
        sets.append(("smap-data", SMAP_DATA))
    else:
        say(f"smap-data skipped: {SMAP_DATA}/user_data.csv not found (set SMAP_DATA to its folder)")
    sets.append((f"generated-{GENERATED['customers']}", generated_data()))
    return sets


def generated_data() -> Path:
    """The generated set, made once and kept in .bench/ beside a note of its parameters."""
    folder = BENCH / f"data-{GENERATED['customers']}"
    stamp = BENCH / f"data-{GENERATED['customers']}.json"
    if folder.is_dir() and stamp.is_file() and json.loads(stamp.read_text()) == GENERATED:
        say(f"generated data: reusing {folder.relative_to(REPO)} {GENERATED}")
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    stamp.unlink(missing_ok=True)
    partial = BENCH / f"data-{GENERATED['customers']}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    say(f"generated data: writing {folder.relative_to(REPO)} {GENERATED} (once; about half a minute)")
    run_checked(
        [PYTHON, MANAGE, "generate_sample_data", "--out", str(partial)]
        + [f"--{name}={value}" for name, value in GENERATED.items()]
    )
    partial.rename(folder)
    stamp.write_text(json.dumps(GENERATED))
    return folder


def repeats(name: str) -> int:
    return SMALL_REPEATS if name == "smap-data" else 1


# Databases ---------------------------------------------------------------------------------------

class StepFailed(Exception):
    pass


def run_checked(command: list[str], env: dict | None = None) -> str:
    done = subprocess.run(command, env=env or APP_ENV, capture_output=True, text=True, cwd=REPO)
    if done.returncode:
        last_lines = "\n".join((done.stdout + done.stderr).strip().splitlines()[-4:])
        raise StepFailed(f"{' '.join(command)} failed:\n{last_lines}")
    return done.stdout


def postgres_available() -> str | None:
    """None if the PostgreSQL server answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=5):
            return None
    except Exception as problem:  # any failure means: no PostgreSQL figures this run
        return f"{type(problem).__name__}: {str(problem).strip().splitlines()[0] if str(problem) else ''}"


def fresh_postgres(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_sqlite(path: Path) -> str:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


# Import ------------------------------------------------------------------------------------------

def timed_import(data_dir: Path, database_url: str, label: str) -> dict:
    """One `manage.py import` in its own process, launched by bench/measure.py (see why there)."""
    out, log = BENCH / f"{label}.json", BENCH / f"{label}.log"
    command = [PYTHON, MANAGE, "import", "--data-dir", str(data_dir), "-v", "1"]
    subprocess.run(
        [PYTHON, str(REPO / "bench" / "measure.py"), str(out), str(log), "--", *command],
        env={**APP_ENV, "DATABASE_URL": database_url}, cwd=REPO, check=True,
    )
    result = json.loads(out.read_text())
    text = log.read_text()
    stored = re.search(r"readings stored ([\d,]+)", text)
    internal = re.search(r"^\s+([\d.]+) s, [\d,]+ rows/s", text, re.M)
    result["readings_stored"] = int(stored[1].replace(",", "")) if stored else None
    result["importer_seconds"] = float(internal[1]) if internal else None
    if result["returncode"]:
        result["error"] = text.strip().splitlines()[-1] if text.strip() else "no output"
    return result


def startup_seconds() -> float:
    """Median wall time of `manage.py import --help`: Python, Django set-up and the command, no work."""
    times = []
    for _ in range(3):
        out, log = BENCH / "startup.json", BENCH / "startup.log"
        subprocess.run(
            [PYTHON, str(REPO / "bench" / "measure.py"), str(out), str(log), "--", PYTHON, MANAGE, "import", "--help"],
            env=APP_ENV, cwd=REPO, check=True,
        )
        times.append(json.loads(out.read_text())["seconds"])
    return sorted(times)[1]


def import_attempt(name: str, data_dir: Path, backend: str, attempt: int) -> dict:
    """Fresh database, migrate, import, then import the unchanged data again."""
    if backend == "sqlite":
        database_url = fresh_sqlite(BENCH / f"import-{name}.sqlite3")
    else:
        database_url = fresh_postgres("bench_import")
    run_checked([PYTHON, MANAGE, "migrate", "--no-input", "-v", "0"], {**APP_ENV, "DATABASE_URL": database_url})
    first = timed_import(data_dir, database_url, f"import-{name}-{backend}-first")
    rerun = median_rerun([
        timed_import(data_dir, database_url, f"import-{name}-{backend}-rerun-{number}") for number in range(RERUNS)
    ])
    say(
        f"  #{attempt + 1} import {name} {backend}: {first['seconds']:.2f} s (importer's own clock "
        f"{first['importer_seconds']} s), peak RSS {first['peak_rss_mb']:.0f} MB, process tree PSS "
        f"{first['tree_peak_pss_mb']:.0f} MB in {first['most_processes']} process(es); "
        f"re-run median {rerun['seconds']:.2f} s of {' '.join(f'{seconds:.2f}' for seconds in rerun['all_seconds'])}, "
        f"peak RSS {rerun['peak_rss_mb']:.0f} MB"
        + (f"; ERROR {first.get('error') or rerun.get('error')}" if first["returncode"] or rerun["returncode"] else "")
    )
    return {"database_url": database_url, "first": first, "rerun": rerun}


def median_rerun(reruns: list[dict]) -> dict:
    """The re-run with the median wall time, with the largest memory and first failure of them all."""
    chosen = sorted(reruns, key=lambda run: run["seconds"])[len(reruns) // 2]
    failed = [run for run in reruns if run["returncode"]]
    return {
        **(failed[0] if failed else chosen),
        "peak_rss_mb": max(run["peak_rss_mb"] for run in reruns),
        "tree_peak_pss_mb": max(run["tree_peak_pss_mb"] for run in reruns),
        "all_seconds": [run["seconds"] for run in reruns],
    }


def floor_attempt(name: str, data_dir: Path, backends: list[str], attempt: int) -> dict:
    pg_url = fresh_postgres("bench_floor") if "postgres" in backends else None
    try:
        floor = measure_floors(data_dir, BENCH / f"floor-{name}.sqlite3", pg_url)
    finally:
        fresh_sqlite(BENCH / f"floor-{name}.sqlite3")  # removes the file and its WAL
        if pg_url:
            drop_postgres("bench_floor")
    say(f"  #{attempt + 1} floor {name}: {floor['rows']:,} rows; " + "; ".join(
        f"{backend} {floor[backend]['seconds']:.2f} s" for backend in backends
    ) + f"; sqlite clustered (WITHOUT ROWID) {floor['sqlite_clustered']['seconds']:.2f} s")
    return floor


def benchmark_data_set(name: str, data_dir: Path, backends: list[str]) -> dict:
    """Imports and floors in turn, attempt by attempt, so each import is compared with a floor
    measured under the same load; per database the attempt with the median ratio is kept."""
    attempts: dict[str, list[dict]] = {backend: [] for backend in backends}
    for attempt in range(repeats(name)):
        runs = {backend: import_attempt(name, data_dir, backend, attempt) for backend in backends}
        floor = floor_attempt(name, data_dir, backends, attempt)
        for backend, run in runs.items():
            run.update(rows=floor["rows"], floor=floor[backend],
                       floor_ratio=run["first"]["seconds"] / floor[backend]["seconds"])
            if backend == "sqlite":  # for information: the floor in the app's own table layout
                run["clustered_floor"] = floor["sqlite_clustered"]
                run["clustered_floor_ratio"] = run["first"]["seconds"] / floor["sqlite_clustered"]["seconds"]
            attempts[backend].append(run)
    chosen = {}
    for backend, runs in attempts.items():
        chosen[backend] = {
            **sorted(runs, key=lambda run: run["floor_ratio"])[len(runs) // 2],
            "database_url": runs[-1]["database_url"],  # the last attempt's database, for the page benchmark
            "attempts": runs,
            "peak_rss_mb": max(run[kind]["peak_rss_mb"] for run in runs for kind in ("first", "rerun")),
            "tree_peak_pss_mb": max(run[kind]["tree_peak_pss_mb"] for run in runs for kind in ("first", "rerun")),
            "failed": any(run[kind]["returncode"] for run in runs for kind in ("first", "rerun")),
        }
    return chosen


# Pages -------------------------------------------------------------------------------------------

def page_latency(database_url: str, requests: int) -> dict:
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    try:
        env = {
            **APP_ENV, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "bench_settings",
            "BENCH_STATIC_ROOT": static_root,
        }
        output = run_checked(
            [PYTHON, str(REPO / "bench" / "pages.py"), "--requests", str(requests), "--samples"], env
        )
        return json.loads(output.strip().splitlines()[-1])
    finally:
        shutil.rmtree(static_root, ignore_errors=True)


def merge_page_round(pages: dict, name: str, measured: dict) -> None:
    """Add one round's timed requests of data set `name` to those of earlier rounds."""
    earlier = pages.get(name)
    if earlier is None:
        pages[name] = measured
        return
    for old, new in zip(earlier["pages"], measured["pages"]):
        old.setdefault("samples_ms", []).extend(new.get("samples_ms", []))
        for key in ("error", "skipped", "stopped_early"):
            if key in new:
                old[key] = new[key]


def summarise_samples(entry: dict) -> None:
    """p50, p95 and mean over every round's requests of one URL."""
    samples = entry.pop("samples_ms", None)
    if not samples:
        return
    entry.update(
        requests=len(samples), p50_ms=percentile(samples, 0.50), p95_ms=percentile(samples, 0.95),
        mean_ms=sum(samples) / len(samples),
    )


def profile_import(data_dir: Path, database_url: str) -> dict:
    output = run_checked(
        [PYTHON, str(REPO / "bench" / "profile_import.py"), str(data_dir)], {**APP_ENV, "DATABASE_URL": database_url}
    )
    return json.loads(output.strip().splitlines()[-1])


# Report ------------------------------------------------------------------------------------------

class Targets:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def check(self, name: str, value: float, limit: float, unit: str = "") -> None:
        self.rows.append({"target": name, "value": value, "limit": limit, "unit": unit, "pass": value <= limit})

    def print(self) -> None:
        say("Targets")
        width = max(len(row["target"]) for row in self.rows)
        for row in self.rows:
            verdict = "PASS" if row["pass"] else "FAIL"
            say(f"  {verdict}  {row['target']:<{width}}  {row['value']:8.2f}{row['unit']}  (limit {row['limit']}{row['unit']})")


def table(headers: list[str], rows: list[list]) -> None:
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(header)] + [len(row[i]) for row in cells]) for i, header in enumerate(headers)]
    say("  " + "  ".join(header.rjust(width) if i else header.ljust(width) for i, (header, width) in enumerate(zip(headers, widths))))
    for row in cells:
        say("  " + "  ".join(cell.rjust(width) if i else cell.ljust(width) for i, (cell, width) in enumerate(zip(row, widths))))


def main() -> None:
    BENCH.mkdir(exist_ok=True)
    started = time.perf_counter()
    results: dict = {
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip(),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "load_average_at_start": os.getloadavg()},
        "generated_parameters": GENERATED,
        "imports": {}, "pages": {}, "profiles": {}, "skipped": [],
    }
    sets = data_sets()
    backends = ["sqlite", "postgres"]
    pg_problem = postgres_available()
    if pg_problem:
        backends = ["sqlite"]
        results["skipped"].append(f"PostgreSQL: server at {PG_SERVER} not reachable ({pg_problem})")
        say(f"PostgreSQL skipped: {results['skipped'][-1]}")

    say("\n== Import (manage.py import as a subprocess: wall time, peak RSS) and floors (inserts and commit"
        " timed, parsing not), in turn")
    results["startup_seconds"] = startup = startup_seconds()
    say(f"  process start-up (manage.py import --help, median of 3): {startup:.2f} s")
    for name, data_dir in sets:
        for backend, run in benchmark_data_set(name, data_dir, backends).items():
            results["imports"][f"{name}/{backend}"] = run
    if "postgres" in backends:
        drop_postgres("bench_import")

    targets = Targets()
    import_rows = []
    for name, _ in sets:
        for backend in backends:
            run = results["imports"][f"{name}/{backend}"]
            first, rerun = run["first"], run["rerun"]
            floor, rows, ratio = run["floor"], run["rows"], run["floor_ratio"]
            # Re-runs take well under a second, mostly start-up: the median over the attempts.
            rerun_ratios = sorted(
                (attempt["rerun"]["seconds"] - startup) / attempt["first"]["seconds"] for attempt in run["attempts"]
            )
            rerun_ratio = rerun_ratios[len(rerun_ratios) // 2]
            # For information: the same ratio on the importer's own clock (no process start-up).
            own_ratios = sorted(
                attempt["rerun"]["importer_seconds"] / attempt["first"]["importer_seconds"]
                for attempt in run["attempts"] if attempt["rerun"]["importer_seconds"] and attempt["first"]["importer_seconds"]
            )
            own_rerun_ratio = own_ratios[len(own_ratios) // 2] if own_ratios else None
            clustered_ratio = run.get("clustered_floor_ratio")
            ratio_after_startup = (first["seconds"] - startup) / floor["seconds"]
            run.update(floor_ratio_after_startup=ratio_after_startup, rerun_ratio=rerun_ratio,
                       rerun_ratio_importer_clock=own_rerun_ratio, rows_per_second=rows / first["seconds"])
            import_rows.append([
                f"{name} {backend}", f"{rows:,}",
                f"{first['readings_stored']:,}" if first["readings_stored"] is not None else "?",
                f"{first['seconds']:.2f}", f"{first['importer_seconds']}", f"{rows / first['seconds']:,.0f}",
                f"{floor['seconds']:.2f}", f"{rows / floor['seconds']:,.0f}", f"{ratio:.2f}x", f"{ratio_after_startup:.2f}x",
                f"{clustered_ratio:.2f}x" if clustered_ratio else "-",
                f"{run['peak_rss_mb']:.0f}", f"{run['tree_peak_pss_mb']:.0f}",
                f"{rerun['seconds']:.2f}", f"{rerun['importer_seconds']}", f"{rerun_ratio:.3f}",
                f"{own_rerun_ratio:.3f}" if own_rerun_ratio is not None else "?",
            ])
            if first["readings_stored"] != rows:
                results["skipped"].append(
                    f"{name} {backend}: the importer reports {first['readings_stored']} readings stored, the floor {rows}"
                )
            if run["failed"]:
                results["skipped"].append(f"{name} {backend}: an import failed; see .bench/import-{name}-{backend}-*.log")
            if name == "smap-data" or not any(n == "smap-data" for n, _ in sets):
                limit = SQLITE_FLOOR_RATIO if backend == "sqlite" else POSTGRES_FLOOR_RATIO
                targets.check(f"{name} {backend}: import / floor", ratio, limit, "x")
            targets.check(f"{name} {backend}: peak RSS of the import process", run["peak_rss_mb"], PEAK_RSS_MB, " MB")
            targets.check(f"{name} {backend}: peak PSS of its process tree", run["tree_peak_pss_mb"], PEAK_RSS_MB, " MB")
            targets.check(f"{name} {backend}: (re-run - start-up) / first run", rerun_ratio, RERUN_BEYOND_STARTUP, "x")

    smap = dict(sets).get("smap-data")
    profile_needed = [
        backend for backend in backends
        if smap and results["imports"][f"smap-data/{backend}"]["floor_ratio"]
        > (SQLITE_FLOOR_RATIO if backend == "sqlite" else POSTGRES_FLOOR_RATIO)
    ]
    if profile_needed and smap:
        say("\n== Where the import's time goes (smap-data, timed steps inside import_data; steps marked"
            " (worker) run in the read-ahead thread, overlapping the others, and are not part of the 100 %)")
        for backend in profile_needed:
            url = fresh_sqlite(BENCH / "profile.sqlite3") if backend == "sqlite" else fresh_postgres("bench_profile")
            profile = profile_import(smap, url)
            results["profiles"][backend] = profile
            say(f"  {backend}: import_data {profile['total_seconds']:.2f} s in-process")
            for step, seconds in profile["steps"]:
                say(f"    {seconds:6.2f} s  {100 * seconds / profile['total_seconds']:5.1f}%  {step}")
            if backend == "postgres":
                drop_postgres("bench_profile")
            else:
                fresh_sqlite(BENCH / "profile.sqlite3")

    per_round = max(10, PAGE_REQUESTS // PAGE_ROUNDS)
    say("\n== Page latency (Django test Client in-process, DEBUG=0, SQLite; "
        f"{PAGE_ROUNDS} rounds alternating between the data sets, {per_round} timed requests per URL and round "
        "after up to 10 warm-up; a slow URL stops after 15 s, 10 requests at least)")
    (BENCH / "results.json").write_text(json.dumps(results, indent=2))  # the import figures, should pages fail
    for round_number in range(1, PAGE_ROUNDS + 1):
        for name, _ in sets:
            if results["pages"].get(name, {}).get("error"):
                continue
            try:
                measured = page_latency(results["imports"][f"{name}/sqlite"]["database_url"], per_round)
            except StepFailed as problem:
                say(f"  {name}: page benchmark failed: {problem}")
                results["pages"][name] = {"customers": None, "pages": [], "error": str(problem)}
                results["skipped"].append(f"{name}: page benchmark failed (see above)")
                continue
            merge_page_round(results["pages"], name, measured)
            say(f"  round {round_number}, {name}: measured ({measured['customers']} customers)")
    for measured in results["pages"].values():
        for entry in measured["pages"]:
            summarise_samples(entry)

    say("\n== Results")
    results["machine"]["load_average_at_end"] = os.getloadavg()
    say(
        f"commit {results['commit']}, {results['machine']['cpus']} CPUs, Python {results['machine']['python']}, "
        "load average at start {:.2f} / end {:.2f} (other work on the machine adds noise)".format(
            results["machine"]["load_average_at_start"][0], results["machine"]["load_average_at_end"][0])
    )
    say("Import (seconds are wall time of the `manage.py import` process; rows/s = readings stored / seconds)")
    say(f"  (÷ floor w/o start-up: import seconds less {startup:.2f} s of Python and Django start-up, for information)")
    say("  (÷ clustered floor: SQLite's floor into a WITHOUT ROWID table, the layout of the app's readings table, for information)")
    say("  (re-run ÷ first on the importer's clocks: the closing report's seconds, without process start-up, for information)")
    say("  (the attempt with the median ratio to its floor; peak MB = largest over every run: RSS of the import process, PSS of its tree)")
    table(
        ["data set / database", "readings", "stored", "import s", "importer s", "rows/s",
         "floor s", "floor rows/s", "÷ floor", "÷ floor w/o start-up", "÷ clustered floor", "peak RSS MB", "tree PSS MB",
         "re-run s", "re-run importer s", "(re-run - start-up) ÷ first (median)", "same, importer's clocks"],
        import_rows,
    )
    page_rows = []
    names = [name for name, _ in sets]
    base = results["pages"].get("smap-data")
    for name in names:
        for entry in results["pages"][name]["pages"]:
            if "p50_ms" in entry:
                page_rows.append([f"{name}: {entry['label']}", entry["status"], entry["queries"], entry["requests"],
                                  f"{entry['p50_ms']:.1f}", f"{entry['p95_ms']:.1f}", f"{entry['bytes']:,}"])
            else:
                page_rows.append([f"{name}: {entry['label']}", entry["status"], "-", "-", "-", "-", entry.get("skipped", "")])
    say("Pages (ms per request)")
    table(["page", "status", "SQL queries", "requests", "p50 ms", "p95 ms", "bytes"], page_rows)
    if base:
        for name in names:
            if name == "smap-data":
                continue
            for small, large in zip(base["pages"], results["pages"][name]["pages"]):
                if "p50_ms" in small and "p50_ms" in large:
                    targets.check(f"{large['label'].split(' (customer')[0]} p50 at {name} / smap-data",
                                  large["p50_ms"] / small["p50_ms"], SCALED_PAGE_RATIO, "x")
        summary = base["pages"][0] if base["pages"] else {}
        if "p50_ms" in summary:
            targets.check("summary page p50 at smap-data", summary["p50_ms"], SUMMARY_PAGE_MS, " ms")
    for name in names:
        for entry in results["pages"][name]["pages"]:
            if "p50_ms" not in entry:
                results["skipped"].append(f"{name}: {entry['url']} {entry.get('skipped', '')}")
    targets.print()
    for note in results["skipped"]:
        say(f"  note: {note}")
    if not os.environ.get("BENCH_KEEP_DATABASES"):
        for name, _ in sets:
            fresh_sqlite(BENCH / f"import-{name}.sqlite3")  # removes the file and its WAL
    results["targets"] = targets.rows
    results["seconds"] = time.perf_counter() - started
    (BENCH / "results.json").write_text(json.dumps(results, indent=2))
    say(f"\nbenchmark took {results['seconds']:.0f} s; results in .bench/results.json")


if __name__ == "__main__":
    main()
