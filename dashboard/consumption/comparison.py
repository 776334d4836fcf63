"""A period set beside another: which days it is, and where each of them is drawn.

"previous" is the days of the same length that end the day before the period; "year" is the same
dates a year earlier. On a chart, each compared day sits beside the day of the period as far from
its start ("previous") or on the same date ("year"), and is summed into that day's bucket, so a
week or month of the period is compared with the days drawn into it, whatever the calendar did.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .units import bucket_start

LABELS = {"previous": "the period before", "year": "a year earlier"}


def compared_period(start: date, end: date, compare: str) -> tuple[date, date]:
    """The days compared with start..end (see the module's docstring)."""
    if compare == "previous":
        return start - (end - start) - timedelta(days=1), start - timedelta(days=1)
    return _moved_a_year(start, -1), _moved_a_year(end, -1)


def beside(day: date, compare: str, start: date, compared_start: date) -> date:
    """The day of the period that `day`, of the period compared with it, is drawn beside. A year
    on, 29 February is drawn beside the 28th: its month stays the same."""
    if compare == "previous":
        return start + (day - compared_start)
    return _moved_a_year(day, 1)


def _moved_a_year(day: date, years: int) -> date:
    return day.replace(year=day.year + years, day=28 if (day.month, day.day) == (2, 29) else day.day)


@dataclass
class ComparedBucket:
    """The compared days drawn into one bucket of the period: their Wh and their first and last date."""

    wh: float
    first: date
    last: date

    @property
    def dates(self) -> str:
        return self.first.isoformat() if self.first == self.last else f"{self.first} to {self.last}"


def compared_buckets(
    days: Iterable[tuple[date, float]], compare: str, granularity: str, period: tuple[date, date],
    compared_start: date,
) -> dict[date, ComparedBucket]:
    """Per bucket of the period, the (date, Wh) `days` of the compared period drawn into it."""
    buckets: dict[date, ComparedBucket] = {}
    for day, wh in sorted(days):
        drawn = beside(day, compare, period[0], compared_start)
        if not period[0] <= drawn <= period[1]:
            continue
        bucket = buckets.setdefault(bucket_start(drawn, granularity), ComparedBucket(0.0, day, day))
        bucket.wh += wh
        bucket.last = day
    return buckets


def drawn_series(drawn: dict[date, ComparedBucket], buckets: list[date]) -> tuple[list[str | None], list[float | None]]:
    """For each of the chart's `buckets`: the dates of the compared days drawn into it, and their Wh
    (None for both where none is)."""
    return ([drawn[bucket].dates if bucket in drawn else None for bucket in buckets],
            [drawn[bucket].wh if bucket in drawn else None for bucket in buckets])
