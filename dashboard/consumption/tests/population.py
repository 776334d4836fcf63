"""A generated population shared by the tests of comparisons, spreads and rankings: 41 customers in
an odd and an even area over twenty months, with missing days and late starters, imported once
per test module; tests compute every figure again from `written`, the readings as written."""
import random
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from consumption.imports import import_data
from consumption.imports.run import IMPORT_TABLES

FIRST_DAY = date(2015, 1, 15)
DAYS = 600  # to early September 2016: a year earlier holds data for most periods, 29 February included
SLOTS_READ = (2, 17, 30, 41)  # four half hours a day keep the import small
AREAS = {"odd": 21, "even": 20}
LATE_START = date(2016, 6, 1)  # customers who start here have nothing in most compared periods
PERIOD = (date(2016, 7, 10), date(2016, 8, 20))


def people(areas: dict[str, int] = AREAS, first_id: int = 7000) -> dict[int, tuple[str, str]]:
    """{id: (area, tariff)}: `areas` gives each area's number of customers; two in three are on t1."""
    found, pk = {}, first_id
    for area, count in areas.items():
        for n in range(count):
            found[pk] = (area, "t1" if n % 3 else "t2")
            pk += 1
    return found


def readings_of(customer_id: int) -> list[tuple[datetime, float]]:
    """Seeded readings with gaps: missing days, and every seventh customer starting late."""
    rng = random.Random(customer_id)
    first = (LATE_START - FIRST_DAY).days if customer_id % 7 == 0 else 0
    rows = []
    for day in range(first, DAYS):
        if rng.random() < 0.1:
            continue
        for slot in SLOTS_READ:
            moment = datetime.combine(FIRST_DAY + timedelta(days=day), datetime.min.time()) + timedelta(minutes=30 * slot)
            rows.append((moment, round(rng.uniform(5, 900) * (1 + customer_id % 5), 3)))
    return rows


@contextmanager
def imported(folder: Path, everyone: dict[int, tuple[str, str]], readings_of, django_db_blocker):
    """Write `everyone` (id: (area, tariff)) and each one's readings_of(id) into `folder`, import it,
    and give the readings as written; every imported table is emptied afterwards. For fixtures that
    import once for a whole module."""
    (folder / "consumption").mkdir(parents=True)
    (folder / "user_data.csv").write_text(
        "id,area,tariff\n" + "".join(f"{pk},{area},{tariff}\n" for pk, (area, tariff) in everyone.items())
    )
    readings = {}
    for pk in everyone:
        readings[pk] = readings_of(pk)
        (folder / "consumption" / f"{pk}.csv").write_text(
            "datetime,consumption\n" + "".join(f"{moment:%Y-%m-%d %H:%M:%S},{wh}\n" for moment, wh in readings[pk])
        )
    with django_db_blocker.unblock():
        import_data(folder)
    try:
        yield readings
    finally:
        with django_db_blocker.unblock():
            for model in IMPORT_TABLES:
                model.objects.all().delete()


@pytest.fixture(scope="module")
def written(django_db_setup, django_db_blocker, tmp_path_factory):
    """The population, imported once for the module: every customer's readings as written."""
    with imported(tmp_path_factory.mktemp("population") / "data", people(), readings_of, django_db_blocker) as rows:
        yield rows

def wh_between(rows, start: date, end: date) -> float | None:
    """The Wh of the readings on start..end; None when there are none."""
    found = [wh for moment, wh in rows if start <= moment.date() <= end]
    return sum(found) if found else None
