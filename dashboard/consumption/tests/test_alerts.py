"""The alert rules on planted customers: each kind is found where it was planted, with its start, end
and magnitude, and a near miss just under each line is not; a steady customer raises none."""
from datetime import date, timedelta

import pytest

from consumption.alerts import (
    BASE_LOAD_JUMP, FLAT_LINE, GAP, REJECTED_ROWS, SPIKE_DAY, SUPERSEDED, ZERO_RUN, Thresholds, find_alerts,
)
from consumption.imports.rows import Readings, daily_rows

MONDAY = date(2016, 8, 1)
WEEKS = 8


def steady_day(base: float = 100.0) -> list[float]:
    """A day with no two neighbours equal for long: `base` Wh at least, its base load exactly `base`."""
    return [base + slot % 5 for slot in range(48)]


def customer(days: dict[date, list[float | None]]) -> Readings:
    """Readings for these days, a value per slot; None leaves that half hour out."""
    timestamps, values = [], []
    for day in sorted(days):
        for slot, wh in enumerate(days[day]):
            if wh is not None:
                timestamps.append(f"{day} {slot // 2:02d}:{slot % 2 * 30:02d}:00")
                values.append(wh)
    return Readings(timestamps, values)


def weeks(base: float = 100.0) -> dict[date, list[float]]:
    return {MONDAY + timedelta(days=n): steady_day(base) for n in range(7 * WEEKS)}


def found(days: dict[date, list[float | None]], **counts) -> list:
    readings = customer(days)
    return find_alerts(readings, daily_rows(readings), Thresholds(), **counts).alerts


def test_a_steady_customer_raises_none_and_is_judged_on_every_rule():
    readings = customer(weeks())
    findings = find_alerts(readings, daily_rows(readings))
    assert findings.alerts == [] and findings.unjudged == []


def test_too_short_a_history_is_said_instead_of_judged():
    readings = customer({MONDAY + timedelta(days=n): steady_day() for n in range(27)})
    assert find_alerts(readings, daily_rows(readings)).unjudged == [BASE_LOAD_JUMP, SPIKE_DAY]


@pytest.mark.parametrize(("base", "jumps"), [(200.0, True), (145.0, False)])  # 2x, and 1.45x: under 1.5x
def test_a_week_whose_base_load_rose_by_half_and_a_tenth_of_a_kw(base, jumps):
    days = weeks()
    sixth = MONDAY + timedelta(weeks=5)
    for n in range(7):
        days[sixth + timedelta(days=n)] = steady_day(base)
    alerts = found(days)
    assert [alert.kind for alert in alerts] == ([BASE_LOAD_JUMP] if jumps else [])
    if jumps:
        [alert] = alerts
        assert (alert.start, alert.end) == ("2016-09-05", "2016-09-11")
        assert alert.magnitude == pytest.approx(0.2)  # kW: 0.2 to 0.4
        assert alert.explanation == ("Base load rose from 0.20 kW to 0.40 kW in the week of 5 Sep 2016 "
                                     "(2.0× the previous 4 weeks).")


def test_a_base_load_that_doubles_but_by_less_than_a_tenth_of_a_kw_is_not_a_jump():
    days = weeks(base=20.0)  # 0.04 kW
    for n in range(7):
        days[MONDAY + timedelta(weeks=5, days=n)] = steady_day(45.0)  # 0.09 kW: 2.25x, +0.05 kW
    assert found(days) == []


@pytest.mark.parametrize(("factor", "spikes"), [(2.0, True), (1.99, False)])
def test_a_day_twice_its_weekday_and_five_kwh_above(factor, spikes):
    days = weeks(base=200.0)  # about 9.7 kWh a day
    wednesday = MONDAY + timedelta(weeks=5, days=2)
    days[wednesday] = [wh * factor for wh in steady_day(200.0)]
    alerts = found(days)
    assert [alert.kind for alert in alerts] == ([SPIKE_DAY] if spikes else [])
    if spikes:
        [alert] = alerts
        usual = sum(steady_day(200.0)) / 1000
        assert (alert.start, alert.end) == ("2016-09-07", "2016-09-07")
        assert alert.magnitude == pytest.approx(usual)  # twice the usual: the usual above it
        assert alert.explanation.startswith(f"{2 * usual:.1f} kWh on Wednesday 7 Sep 2016, 2.0× the mean of "
                                            "the previous 4 Wednesdays")


def test_a_day_four_times_its_weekday_but_under_five_kwh_above_is_not_a_spike():
    days = weeks(base=20.0)  # about 1 kWh a day
    days[MONDAY + timedelta(weeks=5, days=2)] = [wh * 4 for wh in steady_day(20.0)]
    assert found(days) == []


@pytest.mark.parametrize(("length", "stuck"), [(12, True), (11, False)])
def test_the_same_non_zero_reading_for_six_hours_is_a_stuck_meter(length, stuck):
    days = weeks()
    day = MONDAY + timedelta(days=10)
    days[day] = steady_day()[:10] + [150.0] * length + steady_day()[10 + length:]
    alerts = found(days)
    assert [(a.kind, a.start, a.end, a.magnitude) for a in alerts] == (
        [(FLAT_LINE, "2016-08-11 05:00:00", f"2016-08-11 {(9 + length) // 2:02d}:{(9 + length) % 2 * 30:02d}:00", length)]
        if stuck else [])


def test_equal_readings_either_side_of_a_missing_half_hour_are_two_runs():
    days = weeks()
    day = MONDAY + timedelta(days=10)
    days[day] = steady_day()[:10] + [150.0] * 6 + [None] + [150.0] * 6 + steady_day()[23:]
    assert found(days) == []


@pytest.mark.parametrize(("length", "alerted"), [(48, True), (47, False)])
def test_a_day_of_zeros_is_a_zero_run(length, alerted):
    days = weeks()
    start = MONDAY + timedelta(days=10)
    days[start] = steady_day()[:24] + [0.0] * 24
    days[start + timedelta(days=1)] = [0.0] * (length - 24) + steady_day()[length - 24:]
    alerts = found(days)
    assert [(a.kind, a.start, a.magnitude) for a in alerts] == (
        [(ZERO_RUN, "2016-08-11 12:00:00", length)] if alerted else [])
    if alerted:
        assert alerts[0].end == "2016-08-12 11:30:00"
        assert alerts[0].explanation == "No consumption for 48 half hours (24 h) from 11 Aug 2016 12:00 to 12 Aug 2016 11:30."


def test_a_whole_day_without_readings_is_a_gap_and_a_part_of_one_is_not():
    days = weeks()
    del days[MONDAY + timedelta(days=20)]
    days[MONDAY + timedelta(days=30)] = steady_day()[:47] + [None]
    alerts = found(days)
    assert [(a.kind, a.start, a.end, a.magnitude) for a in alerts] == [(GAP, "2016-08-21", "2016-08-21", 1)]


def test_rows_the_import_turned_away_are_alerts_over_the_files_period_and_duplicates_over_their_days():
    alerts = found(weeks(), rejected_rows=3, superseded=["2016-08-09 01:00:00", "2016-08-03 01:30:00"])
    assert [(a.kind, a.start, a.end, a.magnitude) for a in alerts] == [
        (REJECTED_ROWS, "2016-08-01", "2016-09-25", 3), (SUPERSEDED, "2016-08-03", "2016-08-09", 2)]


def test_thresholds_can_be_moved():
    days = weeks()
    days[MONDAY + timedelta(days=10)] = steady_day()[:10] + [150.0] * 6 + steady_day()[16:]
    readings = customer(days)
    assert [a.kind for a in find_alerts(readings, daily_rows(readings), Thresholds(flat_line_half_hours=6)).alerts] == [
        FLAT_LINE]
