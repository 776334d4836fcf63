"""A data set many times the size of a real one, for measuring the dashboard at scale.

Each added customer replays one real customer's file, every reading scaled by a factor drawn for
that customer, in the same area and on the same tariff: the shapes, gaps, duplicates and bad rows
of real meters, at any number of customers.
"""
import random
from pathlib import Path

from .parsing import CUSTOMERS_HEADER

# Far enough from 1 that the added customers spread out; never a customer twice the size of another.
SCALE_FACTORS = (0.6, 1.4)


def scale_data_set(source: Path, out: Path, scale: int, seed: int = 1) -> int:
    """Write `scale` times `source`'s customers to `out`: its own, then scale - 1 replicas of each.

    Returns the number of readings rows written. New customers take the ids after the largest one.
    """
    rng = random.Random(seed)
    customers = [line.split(",") for line in (source / "user_data.csv").read_text().splitlines()[1:] if line.strip()]
    (out / "consumption").mkdir(parents=True, exist_ok=True)
    next_id = max(int(row[0]) for row in customers) + 1
    listing = [",".join(CUSTOMERS_HEADER)]
    written = 0
    for customer_id, area, tariff in customers:
        path = source / "consumption" / f"{customer_id}.csv"
        original = path.read_bytes() if path.is_file() else None
        listing.append(f"{customer_id},{area},{tariff}")
        if original is None:
            continue
        (out / "consumption" / path.name).write_bytes(original)
        header, *rows = original.decode("utf-8", "replace").splitlines()
        pairs = [row.partition(",")[::2] for row in rows]
        written += len(rows)
        for _ in range(scale - 1):
            factor = rng.uniform(*SCALE_FACTORS)
            lines = [header] + [_scaled(timestamp, value, factor) for timestamp, value in pairs]
            (out / "consumption" / f"{next_id}.csv").write_text("\n".join(lines) + "\n")
            listing.append(f"{next_id},{area},{tariff}")
            written += len(rows)
            next_id += 1
    (out / "user_data.csv").write_text("\n".join(listing) + "\n")
    return written


def _scaled(timestamp: str, value: str, factor: float) -> str:
    try:
        return f"{timestamp},{float(value) * factor:.1f}"
    except ValueError:  # a bad row stays as bad as it was
        return f"{timestamp},{value}"
