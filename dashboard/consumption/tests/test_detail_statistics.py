"""The detail page's pure computations: statistics, peer medians, profiles, heatmap, coverage."""
import statistics
from datetime import date, datetime, timedelta

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from consumption import statistics as stats
from consumption.packed import FLOAT64, INT32, pack


def test_it_computes_every_statistic_from_period_totals():
    # 96 readings (two days) totalling 9,600 Wh, largest 400 Wh, mean daily base 50 Wh.
    figures = stats.PeriodStatistics.from_totals(wh=9600, readings=96, days=2, peak_wh=400, base_wh=50)
    assert figures.total_kwh == 9.6
    assert figures.average_daily_kwh == 4.8
    assert figures.peak_kw == 0.8
    assert figures.base_load_kw == 0.1
    assert figures.mean_kw == pytest.approx(9.6 / 48)  # 9.6 kWh over 48 hours
    assert figures.load_factor == pytest.approx(0.2 / 0.8)


def test_it_takes_the_mean_over_the_hours_covered_so_a_gap_does_not_lower_it():
    # 24 readings cover 12 hours, whatever the span of days they fall on.
    figures = stats.PeriodStatistics.from_totals(wh=2400, readings=24, days=3, peak_wh=100, base_wh=None)
    assert figures.mean_kw == pytest.approx(0.2)
    assert figures.load_factor == pytest.approx(1.0)
    assert figures.base_load_kw is None


def test_it_leaves_empty_statistics_empty():
    figures = stats.PeriodStatistics.from_totals(None, None, None, None, None)
    assert figures.total_kwh == 0
    assert figures.average_daily_kwh is figures.peak_kw is figures.mean_kw is figures.load_factor is None


def totals(customer_id, area, tariff, wh, peak_wh=100.0, base_wh=10.0):
    return {"customer_id": customer_id, "area": area, "tariff": tariff, "wh": wh, "readings": 48, "days": 1,
            "peak_wh": peak_wh, "base_wh": base_wh}


def test_it_takes_medians_over_the_other_customers_of_the_area_and_of_the_tariff():
    rows = [
        totals(1, "a1", "t1", 1000),
        totals(2, "a1", "t2", 2000),
        totals(3, "a1", "t1", 4000),
        totals(4, "a1", "t2", 8000, base_wh=None),
        totals(5, "a2", "t1", 16000),
    ]
    comparison = stats.compare_with_peers(1, "a1", "t1", stats.PeerColumns.of_rows(rows))
    assert comparison.customer.total_kwh == 1
    assert comparison.area.peers == 3 and comparison.area.total_kwh == 4  # median of 2, 4, 8
    assert comparison.tariff.peers == 2 and comparison.tariff.total_kwh == 10  # median of 4, 16
    assert comparison.area.base_load_kw == pytest.approx(0.02)  # the peer without a base load is left out


def test_it_has_no_medians_without_peers():
    comparison = stats.compare_with_peers(1, "a1", "t1", stats.PeerColumns.of_rows([totals(1, "a1", "t1", 1000)]))
    assert comparison.area.peers == 0 and comparison.area.total_kwh is None


def test_it_averages_profiles_slot_by_slot_and_splits_weekends():
    def month(weekend, slot: int, wh: float, readings: int) -> dict:  # a ProfileMonth row with one slot's readings
        slots = [0] * 48
        slots[slot] = readings
        wh_slots = [wh if n == slot else 0.0 for n in range(48)]
        return {"customer_id": 1, "weekend": weekend, "wh": pack(FLOAT64, wh_slots), "readings": pack(INT32, slots)}

    rows = [month(False, 0, 300, 3), month(1, 47, 50, 2), month(False, 0, 500, 1)]  # the last another month's
    profile = stats.average_profiles(rows)[1]
    assert profile[False][0] == 200
    assert profile[True][47] == 25
    assert profile[False][1] is None and profile[True][0] is None


def test_it_averages_one_customers_readings_slot_by_slot():
    friday, saturday = datetime(2016, 7, 15), datetime(2016, 7, 16)
    readings = [(friday, 100.0), (friday + timedelta(days=7), 300.0), (saturday + timedelta(minutes=30), 40.0)]
    profile = stats.average_profile(readings)
    assert profile[False][0] == 200 and profile[True][1] == 40
    assert profile[False][1] is None and profile[True][0] is None


def test_it_lays_the_heatmap_out_day_by_day_with_blank_gaps():
    start = datetime(2016, 7, 15)
    readings = [(start + timedelta(minutes=30 * n), float(n)) for n in range(50)]
    readings.append((datetime(2016, 7, 18, 12, 0), 9.0))  # two days without data before it
    dates, values = stats.heatmap(readings)
    assert dates == [date(2016, 7, 15), date(2016, 7, 16), date(2016, 7, 17), date(2016, 7, 18)]
    assert values[0] == [float(n) for n in range(48)]
    assert values[1][:2] == [48.0, 49.0] and values[1][2] is None
    assert values[2] == [None] * 48
    assert values[3][24] == 9.0


def test_it_scales_heatmap_colours_from_the_lowest_reading_to_the_99th_percentile():
    values = [[float(n) for n in range(100)], [None, 10_000.0]]
    assert stats.colour_scale(values) == (0.0, 99.0)
    assert stats.colour_scale([]) == (0.0, 0.0)


def test_it_measures_coverage_against_48_readings_a_day():
    assert stats.coverage_percent(96, date(2016, 7, 15), date(2016, 7, 16)) == 100
    assert stats.coverage_percent(48, date(2016, 7, 15), date(2016, 7, 18)) == 25
    assert stats.coverage_percent(0, None, None) is None


def test_it_reads_naive_timestamps_as_utc_for_the_time_axis():
    assert stats.epoch_ms(datetime(1970, 1, 2)) == 86_400_000


@given(values=st.lists(st.floats(0, 1e6, allow_nan=False), max_size=30), leave_out=st.integers(0, 40),
       rounding=st.sampled_from([1.0, 1 + 1e-15, 1 - 1e-15]))
def test_a_median_window_gives_the_median_with_any_one_value_left_out(values, leave_out, rounding):
    ordered = sorted(values)
    window = stats.MedianWindow.of(ordered)
    assert window.count == len(values) and len(window.values) <= 3
    assert stats.median_excluding(window) == (statistics.median(ordered) if ordered else None)
    if leave_out < len(ordered):
        # The customer's own value, summed in another order than the window's copy of it.
        others = ordered[:leave_out] + ordered[leave_out + 1:]
        found = stats.median_excluding(window, ordered[leave_out] * rounding)
        if others:
            assert found == pytest.approx(statistics.median(others), rel=1e-12)
        else:
            assert found is None


@given(st.lists(st.integers(min_value=0, max_value=20), max_size=30))
def test_shares_below_ranks_each_value_among_the_others_as_percent_below_does(values):
    shares = stats.shares_below(numpy.array(values, dtype=float))
    for index, value in enumerate(values):
        others = values[:index] + values[index + 1:]
        expected = stats.percent_below(value, others)
        if expected is None:  # a value alone
            assert numpy.isnan(shares[index])
        else:
            assert shares[index] * 100 == pytest.approx(expected)
