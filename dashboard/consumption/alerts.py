"""What makes a customer worth a look, found in one customer's readings: pure functions, no database.

Each rule returns alerts with a kind, a start and end, a magnitude and one sentence a person can
check against the chart. A rule that compares with the past needs that past: where a customer's
history is too short for it, the rule says so (`Findings.unjudged`) instead of guessing.
"""
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import compress, islice, repeat
from operator import le, ne, sub
from typing import NamedTuple

from typing import TYPE_CHECKING

from .units import HALF_HOUR, HOURS_PER_READING, bucket_start, kw, kwh

if TYPE_CHECKING:  # the import package, which runs these rules, needs the models, which need ALERT_KINDS
    from .imports.rows import DailyRow, Readings

BASE_LOAD_JUMP = "base_load_jump"
SPIKE_DAY = "spike_day"
FLAT_LINE = "flat_line"
ZERO_RUN = "zero_run"
GAP = "gap"
REJECTED_ROWS = "rejected_rows"
SUPERSEDED = "superseded"
# Each kind's code, as stored, and its name on the pages.
ALERT_KINDS = {
    BASE_LOAD_JUMP: "base-load jump", SPIKE_DAY: "spike day", FLAT_LINE: "flat line", ZERO_RUN: "zero run",
    GAP: "gap", REJECTED_ROWS: "rejected rows", SUPERSEDED: "superseded duplicates",
}


@dataclass(frozen=True)
class Thresholds:
    """Where each rule draws its line; settings.ALERT_THRESHOLDS overrides any of them."""

    base_load_ratio: float = 1.5  # a week's mean daily base load against the previous weeks'
    base_load_rise_kw: float = 0.1
    spike_ratio: float = 2.0  # a day against the mean of the same weekday in the previous weeks
    spike_rise_kwh: float = 5.0
    flat_line_half_hours: int = 12  # the same non-zero reading, again and again: a stuck meter
    zero_run_half_hours: int = 48
    gap_days: int = 1  # whole days without a reading, between the first and the last
    history_weeks: int = 4  # the past the base-load and spike rules compare with

    @classmethod
    def configured(cls) -> "Thresholds":
        """The defaults, with settings.ALERT_THRESHOLDS's overrides."""
        from django.conf import settings

        return cls(**settings.ALERT_THRESHOLDS)


class AlertRow(NamedTuple):
    """One alert, as found in a customer's readings."""

    kind: str
    start: str  # a date 'YYYY-MM-DD', or a half hour 'YYYY-MM-DD HH:MM:SS'
    end: str
    # How far past the line: the rise in kW (base load) or kWh (spike day); half hours, days or rows
    # for the others. Always finite, so alerts sort by it.
    magnitude: float
    explanation: str


@dataclass
class Findings:
    alerts: list[AlertRow] = field(default_factory=list)
    unjudged: list[str] = field(default_factory=list)  # kinds the history is too short for


def find_alerts(readings: "Readings", days: "list[DailyRow]", thresholds: Thresholds = Thresholds(),
                rejected_rows: int = 0, superseded: Sequence[str] = ()) -> Findings:
    """Every alert in one customer's readings (in time order) and their daily rows, given how many
    rows their file had rejected and the half hours it gave more than once (`superseded`)."""
    findings = Findings()
    for rule in (_base_load_jumps, _spike_days):
        alerts = rule(days, thresholds)
        if alerts is None:
            findings.unjudged.append(rule.kind)
        else:
            findings.alerts += alerts
    findings.alerts += _runs(readings, thresholds)
    findings.alerts += _gaps(days, thresholds)
    if days and rejected_rows:
        findings.alerts.append(AlertRow(REJECTED_ROWS, days[0].date, days[-1].date, rejected_rows,
                                     f"The import rejected {rejected_rows} row(s) of this customer's file."))
    if superseded:
        # Over the days the duplicated half hours fall on, where a person would look for them.
        first, last = min(superseded)[:10], max(superseded)[:10]
        findings.alerts.append(AlertRow(SUPERSEDED, first, last, len(superseded),
                                     f"{len(superseded)} half hour(s) of this customer's file were given more than "
                                     "once with different values; the duplicate policy kept one of each."))
    return findings


def _base_load_jumps(days: "list[DailyRow]", thresholds: Thresholds) -> list[AlertRow] | None:
    """Weeks (from Monday) whose mean daily base load rose by the ratio and the kW against the mean
    over the previous weeks' days; None if no week has a full past to compare with."""
    weeks: dict[date, list[float]] = {}
    for day in days:
        if day.base_wh is not None:
            weeks.setdefault(bucket_start(date.fromisoformat(day.date), "week"), []).append(day.base_wh)
    alerts, judged = [], False
    for monday, bases in sorted(weeks.items()):
        past = [weeks.get(monday - timedelta(weeks=back)) for back in range(1, thresholds.history_weeks + 1)]
        if not all(past):
            continue
        judged = True
        before = kw(_mean([base for week in past for base in week]))
        now = kw(_mean(bases))
        if now >= thresholds.base_load_ratio * before and now - before >= thresholds.base_load_rise_kw:
            alerts.append(AlertRow(
                BASE_LOAD_JUMP, monday.isoformat(), (monday + timedelta(days=6)).isoformat(), now - before,
                f"Base load rose from {before:.2f} kW to {now:.2f} kW in the week of {_day_text(monday)} "
                f"({_against(now, before)} the previous {thresholds.history_weeks} weeks).",
            ))
    return alerts if judged else None


_base_load_jumps.kind = BASE_LOAD_JUMP


def _spike_days(days: "list[DailyRow]", thresholds: Thresholds) -> list[AlertRow] | None:
    """Days whose consumption is the ratio and the kWh above the mean of the same weekday in the
    previous weeks; None if no day has all of those to compare with."""
    by_date = {date.fromisoformat(day.date): day.wh for day in days}
    alerts, judged = [], False
    for when, wh in sorted(by_date.items()):
        past = [by_date.get(when - timedelta(weeks=back)) for back in range(1, thresholds.history_weeks + 1)]
        if None in past:
            continue
        judged = True
        usual = kwh(_mean(past))
        today = kwh(wh)
        if today >= thresholds.spike_ratio * usual and today - usual >= thresholds.spike_rise_kwh:
            alerts.append(AlertRow(
                SPIKE_DAY, when.isoformat(), when.isoformat(), today - usual,
                f"{today:.1f} kWh on {when:%A} {_day_text(when)}, {_against(today, usual)} the mean of the "
                f"previous {thresholds.history_weeks} {when:%A}s ({usual:.1f} kWh).",
            ))
    return alerts if judged else None


_spike_days.kind = SPIKE_DAY


def _runs(readings: "Readings", thresholds: Thresholds) -> list[AlertRow]:
    """Runs of consecutive half hours with one value: zero for long enough, or any other value for
    long enough to be a stuck meter."""
    timestamps, values = readings
    shortest = min(thresholds.zero_run_half_hours, thresholds.flat_line_half_hours)
    # Where each run of equal values starts and how long it is, found pairwise in C; only a long run
    # is looked at in Python, and has its half hours checked for gaps.
    starts = [0, *compress(range(1, len(values)), map(ne, values, islice(values, 1, None)))]
    lengths = list(map(sub, [*starts[1:], len(values)], starts))
    long_enough = list(map(le, repeat(shortest), lengths))
    alerts = []
    for start, length in zip(compress(starts, long_enough), compress(lengths, long_enough)):
        alerts += _run_alerts(values[start], timestamps[start:start + length], thresholds)
    return alerts


def _run_alerts(value: float, timestamps: list[str], thresholds: Thresholds) -> list[AlertRow]:
    """Alerts for one run of equal readings, split where a half hour is missing."""
    alerts = []
    for stretch in _unbroken(timestamps):
        start, end, length = stretch[0], stretch[-1], len(stretch)
        if value == 0 and length >= thresholds.zero_run_half_hours:
            alerts.append(AlertRow(ZERO_RUN, start, end, length,
                                f"No consumption for {length} half hours ({length * HOURS_PER_READING:g} h) "
                                f"from {_moment_text(start)} to {_moment_text(end)}."))
        elif value != 0 and length >= thresholds.flat_line_half_hours:
            alerts.append(AlertRow(FLAT_LINE, start, end, length,
                                f"The same reading, {value:g} Wh, for {length} half hours in a row from "
                                f"{_moment_text(start)} to {_moment_text(end)}: a stuck meter?"))
    return alerts


def _unbroken(timestamps: list[str]) -> list[list[str]]:
    """`timestamps` (in time order) cut wherever the next is not the following half hour."""
    stretches, previous = [], None
    for timestamp in timestamps:
        moment = datetime.fromisoformat(timestamp)
        if previous is None or moment - previous != HALF_HOUR:
            stretches.append([])
        stretches[-1].append(timestamp)
        previous = moment
    return stretches


def _gaps(days: "list[DailyRow]", thresholds: Thresholds) -> list[AlertRow]:
    alerts = []
    dates = [date.fromisoformat(day.date) for day in days]
    for before, after in zip(dates, dates[1:]):
        missing = (after - before).days - 1
        if missing >= thresholds.gap_days:
            first, last = before + timedelta(days=1), after - timedelta(days=1)
            alerts.append(AlertRow(GAP, first.isoformat(), last.isoformat(), missing,
                                f"No reading on {missing} day(s), from {_day_text(first)} to {_day_text(last)}."))
    return alerts


def _against(now: float, before: float) -> str:
    """'2.8×', or 'against' where the past was nothing and a ratio would mean nothing."""
    return f"{now / before:.1f}×" if before else "against"


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _day_text(when: date) -> str:
    return f"{when.day} {when:%b %Y}"


def _moment_text(timestamp: str) -> str:
    moment = datetime.fromisoformat(timestamp)
    return f"{_day_text(moment.date())} {moment:%H:%M}"
