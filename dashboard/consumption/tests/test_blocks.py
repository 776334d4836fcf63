"""Day blocks: any period is exactly covered by a few aligned blocks."""
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from consumption.blocks import MAX_LEVEL, block_key, block_start, split_period


@given(start=st.dates(date(1, 1, 1), date(9000, 12, 31)), days=st.integers(0, 5000))
def test_the_blocks_of_a_period_cover_each_of_its_days_once_and_no_other(start, days):
    end = start + timedelta(days=days)
    blocks = split_period(start, end)
    day = start
    for level, first_day in blocks:
        assert first_day == day and block_start(first_day, level) == first_day  # next in line, and aligned
        day = first_day + timedelta(days=2**level)
    assert day == end + timedelta(days=1)
    # At most two blocks a level, plus the longest ones between.
    assert len(blocks) <= 2 * MAX_LEVEL + 2 + (days + 1) // 2**MAX_LEVEL


def test_a_year_takes_a_handful_of_blocks_and_the_calendars_ends_are_blocks_too():
    assert len(split_period(date(2016, 8, 3), date(2017, 8, 2))) <= 20
    assert split_period(date(2016, 8, 3), date(2016, 8, 3)) == [(0, date(2016, 8, 3))]
    assert split_period(date(2016, 8, 4), date(2016, 8, 3)) == []
    assert split_period(date.max, date.max) == [(0, date.max)]
    assert split_period(date.min, date.min) == [(0, date.min)]


@given(first=st.dates(date(1, 1, 1), date(9999, 12, 31)), second=st.dates(date(1, 1, 1), date(9999, 12, 31)),
       levels=st.tuples(st.integers(0, MAX_LEVEL), st.integers(0, MAX_LEVEL)))
def test_a_blocks_key_is_its_own_and_fits_the_column(first, second, levels):
    keys = block_key(levels[0], first), block_key(levels[1], second)
    assert (keys[0] == keys[1]) == ((levels[0], first) == (levels[1], second))
    assert 0 < min(keys) and max(keys) < 2**31  # a PositiveIntegerField on every database
