"""The domain's units and calendar rules, written once: half hours, their slots, Wh, kWh and kW.

A reading is the energy in Wh used in the half hour starting at its timestamp, so a day holds
HALF_HOURS_PER_DAY readings, energy in kWh is Wh / 1000, and mean demand over a half hour in kW
is its Wh / 1000 / 0.5 h.
"""
from datetime import date, timedelta

HALF_HOURS_PER_DAY = 48
HOURS_PER_READING = 0.5
HALF_HOUR = timedelta(hours=HOURS_PER_READING)  # from a reading's start to its end
# A day's base load is the mean of its lowest readings: a household's standing demand, taken over
# enough half hours (four hours) that one odd reading does not decide it.
BASE_LOAD_READINGS = 8
# Each slot's start as "HH:MM": slot 0 is 00:00, slot 47 is 23:30.
SLOTS = [f"{slot // 2:02d}:{slot % 2 * 30:02d}" for slot in range(HALF_HOURS_PER_DAY)]


# The energy axis's unit for each bucket a series is summed by.
KWH_PER_BUCKET = {"halfhour": "kWh per half hour", "day": "kWh per day", "week": "kWh per week",
                  "month": "kWh per month"}


def kwh(wh: float | None) -> float | None:
    """Energy in kWh of `wh` Wh."""
    return None if wh is None else wh / 1000


def kw(wh: float | None, readings: int = 1) -> float | None:
    """Mean demand in kW over `readings` half hours that used `wh` Wh in all."""
    return None if wh is None or not readings else wh / 1000 / (readings * HOURS_PER_READING)


def slot(hour: int, minute: int) -> int:
    """The half-hour slot of the day (0 = 00:00, 47 = 23:30) of a reading starting at hour:minute."""
    return int(hour) * 2 + int(minute) // 30


def slot_of(timestamp: str) -> int:
    """The half-hour slot of a 'YYYY-MM-DD HH:MM:SS' timestamp."""
    return slot(timestamp[11:13], timestamp[14:16])


def next_month(month: date) -> date:
    """The first day of the month after `month`'s."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def bucket_start(day: date, granularity: str) -> date:
    """The first day of the day, week (from Monday) or month holding `day`."""
    if granularity == "month":
        return day.replace(day=1)
    return day - timedelta(days=day.weekday() if granularity == "week" else 0)


def next_bucket(bucket: date, granularity: str) -> date:
    """The first day of the day, week or month after the one starting on `bucket`."""
    if granularity == "month":
        return next_month(bucket)
    return bucket + timedelta(days=7 if granularity == "week" else 1)


def bucket_end(bucket: date, granularity: str) -> date:
    """The last day of the day, week or month starting on `bucket`."""
    return next_bucket(bucket, granularity) - timedelta(days=1)
