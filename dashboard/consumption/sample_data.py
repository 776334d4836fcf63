"""A realistic, deterministic data set in the import format, for demos, tests and benchmarks.

Each customer has a base load, morning and evening peaks, a weekend shape, a winter rise and noise;
a few customers have gaps, and a few files repeat a timestamp with a different value.
"""
import math
import random
from datetime import date, datetime
from pathlib import Path

from .units import HALF_HOUR, HALF_HOURS_PER_DAY, HOURS_PER_READING

GROUPS = [("a1", "t1"), ("a1", "t2"), ("a2", "t3"), ("a2", "t1"), ("a3", "t2")]


def generate_sample_data(
    out: Path, customers: int = 60, days: int = 170, seed: int = 1, start: date = date(2016, 7, 15),
    first_id: int = 3000,
) -> int:
    """Write out/user_data.csv and out/consumption/<id>.csv; returns the number of rows written."""
    rng = random.Random(seed)
    (out / "consumption").mkdir(parents=True, exist_ok=True)
    customer_rows = ["id,area,tariff"]
    written = 0
    for index in range(customers):
        customer_id = first_id + index
        area, tariff = GROUPS[rng.randrange(len(GROUPS))]
        customer_rows.append(f"{customer_id},{area},{tariff}")
        lines = _customer_lines(rng, start, days)
        written += len(lines)
        (out / "consumption" / f"{customer_id}.csv").write_text("datetime,consumption\n" + "\n".join(lines) + "\n")
    (out / "user_data.csv").write_text("\n".join(customer_rows) + "\n")
    return written


def _customer_lines(rng: random.Random, start: date, days: int) -> list[str]:
    base = rng.uniform(40, 160)  # Wh per half hour
    morning = rng.uniform(60, 250)
    evening = rng.uniform(150, 500)
    weekend = rng.uniform(1.0, 1.4)
    noise = rng.uniform(0.08, 0.25)
    gap_start = rng.randrange(days * HALF_HOURS_PER_DAY) if rng.random() < 0.2 else -1
    gap_length = rng.randrange(4, 2 * HALF_HOURS_PER_DAY)
    lines = []
    moment = datetime.combine(start, datetime.min.time())
    step = HALF_HOUR
    for slot in range(days * HALF_HOURS_PER_DAY):
        if 0 <= gap_start <= slot < gap_start + gap_length:
            moment += step
            continue
        hour = slot % HALF_HOURS_PER_DAY * HOURS_PER_READING
        day_of_year = moment.timetuple().tm_yday
        winter = 1 + 0.35 * math.cos(2 * math.pi * (day_of_year - 15) / 365.25)
        shape = (
            base
            + morning * math.exp(-((hour - 7.5) ** 2) / 2)
            + evening * math.exp(-((hour - 19) ** 2) / 4)
        )
        if moment.weekday() >= 5:
            shape *= weekend
        value = max(0.0, shape * winter * rng.gauss(1, noise))
        text = moment.strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{text},{value:.1f}")
        moment += step
    # A meter that sends one half hour twice, with a different value the second time.
    if lines and rng.random() < 0.1:
        position = rng.randrange(len(lines))
        timestamp, value = lines[position].split(",")
        lines.insert(position + 1, f"{timestamp},{float(value) + rng.uniform(1, 50):.1f}")
    return lines
