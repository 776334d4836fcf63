"""Page latency against the database in DATABASE_URL, in-process with Django's test Client.

Run by bench/run.py with DEBUG=0 and DJANGO_SETTINGS_MODULE=bench_settings; prints one JSON object.
The Client goes through the whole middleware stack and view, but no socket or HTTP server, so the
figures are the application's own time. Each URL is warmed up, then timed request by request.
"""
import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "dashboard"), str(REPO / "bench")]
SUMMARY_TEMPLATE = REPO / "dashboard" / "consumption" / "templates" / "consumption" / "summary.html"


def filter_target() -> str | None:
    """The id the summary page's filter form swaps (its hx-target), read from the template."""
    try:
        template = SUMMARY_TEMPLATE.read_text()
    except OSError:
        return None
    form = re.search(r"<form\b[^>]*>", template, re.S)
    for text in ([form[0]] if form else []) + [template]:
        found = re.search(r'hx-target="#([\w-]+)"', text)
        if found:
            return found[1]
    return None


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    # A slow page is timed for at most this long (but at least --min-requests times).
    parser.add_argument("--budget-seconds", type=float, default=15.0)
    parser.add_argument("--min-requests", type=int, default=10)
    parser.add_argument("--samples", action="store_true", help="also list every request's milliseconds")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from consumption.models import Customer

    call_command("collectstatic", interactive=False, verbosity=0)
    customer = Customer.objects.filter(readings_count__gt=0).order_by("pk").first()
    target = filter_target()
    fragment_headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/summary/"}
    if target:
        fragment_headers["HX-Target"] = target
    pages = [
        ("summary page", "/summary/", {}),
        ("summary filter fragment (area=a1)", "/summary/?area=a1", fragment_headers),
        ("summary chart.json", "/summary/chart.json", {}),
        (f"detail page (customer {customer.pk})", f"/detail/{customer.pk}/", {}),
        (f"detail chart.json (customer {customer.pk})", f"/detail/{customer.pk}/chart.json", {}),
    ]
    client = Client()
    results = {
        "customers": Customer.objects.count(),
        "customers_with_readings": Customer.objects.filter(readings_count__gt=0).count(),
        "hx_target": target,
        "pages": [],
    }
    for label, url, headers in pages:
        first = client.get(url, headers=headers)
        entry = {"label": label, "url": url, "status": first.status_code, "bytes": len(first.content)}
        results["pages"].append(entry)
        if first.status_code != 200:
            entry["skipped"] = f"HTTP {first.status_code}: not built yet or broken"
            continue
        warm_until = time.perf_counter() + 3
        for _ in range(args.warmup):
            if time.perf_counter() > warm_until:
                break
            client.get(url, headers=headers)
        with CaptureQueriesContext(connection) as queries:
            client.get(url, headers=headers)
        # Read now: captured queries are looked up lazily, and the next request clears the log.
        query_count = len(queries.captured_queries)
        samples = []
        budget_ends = time.perf_counter() + args.budget_seconds
        for _ in range(args.requests):
            if len(samples) >= args.min_requests and time.perf_counter() > budget_ends:
                entry["stopped_early"] = f"time budget of {args.budget_seconds:.0f} s per URL spent"
                break
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                entry["error"] = f"HTTP {response.status_code} during the timed requests"
                break
        entry.update(
            queries=query_count,
            requests=len(samples),
            p50_ms=percentile(samples, 0.50),
            p95_ms=percentile(samples, 0.95),
            mean_ms=statistics.fmean(samples),
        )
        if args.samples:
            entry["samples_ms"] = samples
    print(json.dumps(results))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
    main()
