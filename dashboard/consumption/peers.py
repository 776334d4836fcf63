"""Peers' figures for the detail page, computed once per area, period and import.

A customer's medians need every peer's own figures, which grow with the number of customers; they
change only when an import completes, so they are cached under the last completed import run.
"""
import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

from .models import ImportRun

PEER_CACHE_SECONDS = 3600
T = TypeVar("T")


def data_version() -> str:
    """Names the state of the data: the last completed import run, or none yet."""
    run = (
        ImportRun.objects.filter(status=ImportRun.Status.COMPLETED)
        .order_by("-pk")
        .values_list("pk", "finished_at")
        .first()
    )
    return "none" if run is None else f"{run[0]}@{run[1].isoformat()}"


def cached(version: str, name: str, key: tuple, compute: Callable[[], T]) -> T:
    """compute(), or what it gave for the same name and key under the same data version."""
    digest = hashlib.sha256(repr((version, key)).encode()).hexdigest()
    cache_key = f"peers:{name}:{digest}"
    found = cache.get(cache_key)
    if found is None:
        found = compute()
        cache.set(cache_key, found, PEER_CACHE_SECONDS)
    return found
