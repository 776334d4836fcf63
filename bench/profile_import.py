"""Where an import's time goes: `profile_import.py DATA_DIR` against a fresh DATABASE_URL; prints JSON.

The importer's steps are wrapped in timers (not cProfile, whose per-call overhead would inflate
the Python-heavy parts). Each step counts its own time only, without the wrapped steps it calls,
so the parts add up to the whole run. Steps that run in the importer's read-ahead worker thread
overlap the main thread's: they are listed apart, marked "(worker)", and not in the sum.
"""
import functools
import inspect
import json
import os
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "dashboard"))


class StepClock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.stacks = threading.local()  # per thread, per open step: time counted by steps inside it
        self.main = threading.main_thread()

    def wrap(self, owner, name: str, step) -> bool:
        """Replace owner.name by a timed version; `step` is a label or a function of the call's args.

        A generator function is timed step by step (each next()). False if owner has no such name:
        the importer changes, and a step it no longer has is simply not shown.
        """
        original = getattr(owner, name, None)
        if original is None:
            return False

        def timing(label, call):
            stack = self.stacks.__dict__.setdefault("inner", [])
            if threading.current_thread() is not self.main:
                label = f"(worker) {label}"
            stack.append(0.0)
            started = time.perf_counter()
            try:
                return call()
            finally:
                elapsed = time.perf_counter() - started
                inner = stack.pop()
                self.seconds[label] = self.seconds.get(label, 0.0) + elapsed - inner
                self.calls[label] = self.calls.get(label, 0) + 1
                if stack:
                    stack[-1] += elapsed

        if inspect.isgeneratorfunction(original):
            @functools.wraps(original)
            def timed(*args, **kwargs):
                label = step(*args, **kwargs) if callable(step) else step
                steps = original(*args, **kwargs)
                while True:
                    try:
                        item = timing(label, lambda: next(steps))
                    except StopIteration:
                        return
                    yield item
        else:
            @functools.wraps(original)
            def timed(*args, **kwargs):
                label = step(*args, **kwargs) if callable(step) else step
                return timing(label, lambda: original(*args, **kwargs))

        setattr(owner, name, timed)
        return True


def main() -> None:
    data_dir = Path(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import DEFAULT_DB_ALIAS, connection, connections

    from consumption.imports import groups, held, postgres, prepare, rules, sqlite
    from consumption.models import Reading

    call_command("migrate", interactive=False, verbosity=0)
    clock = StepClock()
    Writer = postgres.PostgresWriter if connection.vendor == "postgresql" else sqlite.SQLiteWriter

    def by_model(self, model, *args, **kwargs):
        return f"write {model.__name__} rows"

    steps = [
        (prepare, "prepare_file", "file read + SHA-256 + parse"),
        (rules, "read_ahead", "wait for the next parsed file"),
        (prepare, "daily_rows", "daily aggregates: compute"),
        (prepare, "profile_rows", "monthly profiles: compute"),
        (prepare, "block_rows", "day blocks: compute"),
        (prepare, "find_alerts", "alerts: find"),
        (rules, "rebuild_area_aggregates", "areas' median windows and bucket totals: rebuild"),
        (rules, "rerank_areas", "customers' whole-history ranks: rebuild"),
        (groups.GroupSums, "add", "group aggregates: sum in memory"),
        (held.HeldRows, "add_group", "group aggregates: build rows"),
        (Writer, "write_readings", f"write {Reading.__name__} rows"),
        (Writer, "flush", "end open statements (PostgreSQL: wait for the server to finish the readings' COPY)"),
        (Writer, "insert", by_model),
        (Writer, "add", by_model),
        (Writer, "stored_readings", "read a changed customer's stored readings back"),
        (held, "_write_records", "records: ImportFile, rejected, superseded rows, customer totals (batched)"),
        (rules._Import, "_replace_readings", "rest of replacing readings (delete old readings, build records)"),
        (rules._Import, "_import_customers", "customers (user_data.csv)"),
        (rules, "finish_run", "ImportRun record"),
        # The run's single transaction ends in connection.commit(), called by transaction.atomic;
        # on PostgreSQL that is also when deferred constraint checks run.
        (connections[DEFAULT_DB_ALIAS], "commit", "commit"),
    ]
    missing = [name for owner, name, step in steps if not clock.wrap(owner, name, step)]

    started = time.perf_counter()
    report = rules.import_data(data_dir)
    total = time.perf_counter() - started
    counted = sum(seconds for label, seconds in clock.seconds.items() if not label.startswith("(worker)"))
    clock.seconds["other (setup, ordering, bookkeeping)"] = total - counted
    print(json.dumps({
        "vendor": connection.vendor,
        "total_seconds": total,
        "rows_read": report.rows_read,
        "readings_stored": report.readings_stored,
        "not_found": missing,
        "steps": sorted(clock.seconds.items(), key=lambda item: -item[1]),
    }))


if __name__ == "__main__":
    main()
