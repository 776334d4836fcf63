"""Time one URL in a fresh process: its first request (cold) and then warm requests; prints JSON.

`scale_pages.py URL [HEADERS-JSON]`, against DATABASE_URL with DEBUG=0. Django is set up and one
unrelated request (/healthz) is made before the clock starts, so "cold" is the page's own first
run in this process (nothing of it cached), not the interpreter's start-up. A streamed download
also gives when its first chunk was ready (first_byte_ms).
"""
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "dashboard"), str(REPO / "bench")]
WARM_REQUESTS = int(os.environ.get("BENCH_WARM_REQUESTS", 10))


def main() -> None:
    url = sys.argv[1]
    headers = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.get("/healthz")
    started = time.perf_counter()
    first_byte_ms = None
    with CaptureQueriesContext(connection) as queries:
        first = client.get(url, headers=headers)
        if first.streaming:  # a download: when its first line could leave, then the whole of it
            chunks = iter(first.streaming_content)
            body = next(chunks, b"")
            first_byte_ms = (time.perf_counter() - started) * 1000
            body += b"".join(chunks)
        else:
            body = first.content
    cold_ms = (time.perf_counter() - started) * 1000
    query_count = len(queries.captured_queries)
    samples = []
    for _ in range(WARM_REQUESTS):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        if response.streaming:
            b"".join(response.streaming_content)
        samples.append((time.perf_counter() - started) * 1000)
    print(json.dumps({
        "url": url, "status": first.status_code, "bytes": len(body), "queries": query_count,
        "cold_ms": cold_ms, "warm_p50_ms": statistics.median(samples),
        **({"first_byte_ms": first_byte_ms} if first_byte_ms is not None else {}),
    }))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
    main()
