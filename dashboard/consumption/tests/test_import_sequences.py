"""Random sequences of imports keep every aggregate in step with the readings.

Each seed runs six imports over one folder, changing it between them the way real deliveries do:
customers move between areas and tariffs, drop out of user_data.csv and come back, and their files
change, turn bad, become unreadable or disappear; the duplicate policy changes too. The importer's
held-row limits are set low at random, so rows are often written in the middle of a group.
"""
import random

import pytest

from consumption.imports import Limits, import_data
from consumption.models import Customer, GroupDaily, GroupHalfHour
from consumption.packed import FLOAT64, INT32, unpack

from .test_import_command import assert_aggregates_match_readings, day, readings_csv, unreadable

AREAS = ["a", "b", "c"]
TARIFFS = ["t", "u"]
CUSTOMER_IDS = range(3000, 3008)
DATES = ["2016-07-15", "2016-07-16", "2016-07-17"]
IMPORTS = 6
SEEDS = 12

pytestmark = pytest.mark.django_db(transaction=True)


def random_file(rng: random.Random) -> str:
    """A rejected file now and then; otherwise one or two days, some partial, maybe a duplicate."""
    kind = rng.random()
    if kind < 0.12:
        return "no header\n1,2\n"
    if kind < 0.18:
        return ""
    rows = []
    for date in rng.sample(DATES, rng.randint(1, 2)):
        start, count = rng.choice([0, 0, 3]), rng.choice([48, 48, 47, 10, 1])
        rows += day(date, [float(rng.choice([0, 1, 2, 3, 5])) for _ in range(48)])[start:start + count]
    if rows and rng.random() < 0.25:
        rows.append((rows[0][0], "7"))
    return readings_csv(*rows)


@pytest.mark.parametrize("seed", range(SEEDS))
def test_random_import_sequences_keep_the_aggregates_in_step(data_dir, monkeypatch, seed):
    rng = random.Random(seed)
    limits = Limits(
        files=rng.choice([1, 2, 3, 100]), group_rows=rng.choice([1, 20, 60, 50_000]), records=rng.choice([1, 2, 4, 500])
    )
    unreadable_files: set[str] = set()
    unreadable(monkeypatch, unreadable_files)
    folder = data_dir("id,area,tariff\n", {})
    groups: dict[int, tuple[str, str]] = {}
    for _ in range(IMPORTS):
        for customer_id in CUSTOMER_IDS:
            if customer_id not in groups or rng.random() < 0.4:
                groups[customer_id] = (rng.choice(AREAS), rng.choice(TARIFFS))
        listed = [customer_id for customer_id in CUSTOMER_IDS if rng.random() < 0.9]
        (folder / "user_data.csv").write_text(
            "id,area,tariff\n" + "".join(f"{pk},{groups[pk][0]},{groups[pk][1]}\n" for pk in listed)
        )
        unreadable_files.clear()
        for customer_id in CUSTOMER_IDS:
            path, change = folder / "consumption" / f"{customer_id}.csv", rng.random()
            if change < 0.3:
                path.write_text(random_file(rng))
            elif change < 0.38:
                path.unlink(missing_ok=True)
            elif change < 0.46:
                unreadable_files.add(path.name)
        import_data(folder, on_duplicate=rng.choice(["last", "first", "error", "last"]), limits=limits)
        groups.update({customer.pk: (customer.area, customer.tariff) for customer in Customer.objects.all()})
        assert_aggregates_match_readings()
        assert not GroupDaily.objects.filter(readings__lte=0).exists()
        for day in GroupHalfHour.objects.all():  # no day without readings, no half hour with fewer than none
            readings, wh = unpack(INT32, day.readings), unpack(FLOAT64, day.wh)
            assert max(readings) > 0 and min(readings) >= 0
            assert all(total == 0.0 for total, count in zip(wh, readings) if count == 0)
