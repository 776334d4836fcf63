"""Day blocks: a customer's days summed over aligned runs of 1, 2, 4, ... 2**MAX_LEVEL days.

Any period of days is a handful of blocks (at most two per level), so a peer's total over any period
is read from a few precomputed rows rather than from every day in it: the pages read a fixed
number of rows per peer whatever the period's length.
"""
from datetime import date

# Blocks of up to 1,024 days: longer periods take two such blocks per 1,024 days.
MAX_LEVEL = 10
# A block's key is its first day's ordinal times this, plus its level: one integer, so a customer's
# blocks of a period are found by equality on the key, one index lookup each. Looked up as two
# lists (levels, first days), every level would be tried with every first day.
LEVELS_PER_DAY = 16


def block_key(level: int, first_day: date) -> int:
    """The key of the block of 2**level days starting on `first_day`."""
    return first_day.toordinal() * LEVELS_PER_DAY + level


def block_start(day: date, level: int) -> date:
    """The first day of the block of 2**level days holding `day` (blocks aligned on day 1 of year 1)."""
    ordinal = day.toordinal() - 1
    return date.fromordinal(ordinal - ordinal % (1 << level) + 1)


def split_period(start: date, end: date) -> list[tuple[int, date]]:
    """The blocks, as (level, first day), that exactly cover the days `start` to `end`, both inclusive."""
    blocks = []
    day, last = start.toordinal() - 1, end.toordinal() - 1  # counted from day 1 of year 1, as blocks are
    while day <= last:
        level = MAX_LEVEL
        while level and (day % (1 << level) or day + (1 << level) - 1 > last):
            level -= 1
        blocks.append((level, date.fromordinal(day + 1)))
        day += 1 << level
    return blocks
