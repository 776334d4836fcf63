"""The import finds each changed customer's alerts and keeps them with the customer's other rows:
replaced when the file changes, untouched when it does not, kept when a new file is rejected."""
from collections import Counter
from datetime import date

import pytest

from consumption.imports import import_data
from consumption.models import Alert

from .test_import_command import day, readings_csv

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMERS = "id,area,tariff\n3000,a1,t1\n3001,a1,t1\n"


def varied(date: str) -> list[tuple[str, str]]:
    return day(date, [100.0 + slot % 5 for slot in range(48)])


def stuck(date: str) -> list[tuple[str, str]]:
    """A day whose readings stick at 150 Wh from 05:00 for six hours."""
    return day(date, [150.0 if 10 <= slot < 22 else 100.0 + slot % 5 for slot in range(48)])


def stored() -> list[tuple]:
    return sorted(Alert.objects.values_list("customer_id", "kind", "first_day", "last_day", "starts_at", "ends_at",
                                            "magnitude"))


def test_it_stores_each_customers_alerts_with_their_days_and_half_hours(data_dir):
    files = {
        "3000.csv": readings_csv(*varied("2016-07-15"), *stuck("2016-07-16"), *varied("2016-07-18")),
        "3001.csv": readings_csv(*varied("2016-07-15"), ("2016-07-15 00:00:00", "7")),
    }
    import_data(data_dir(CUSTOMERS, files))
    rows = [(pk, kind, str(first), str(last), starts and str(starts), ends and str(ends), magnitude)
            for pk, kind, first, last, starts, ends, magnitude in stored()]
    assert rows == [
        (3000, "flat_line", "2016-07-16", "2016-07-16", "2016-07-16 05:00:00", "2016-07-16 10:30:00", 12.0),
        (3000, "gap", "2016-07-17", "2016-07-17", None, None, 1.0),
        (3001, "superseded", "2016-07-15", "2016-07-15", None, None, 1.0),
    ]
    flat = Alert.objects.get(kind="flat_line")
    assert flat.explanation == ("The same reading, 150 Wh, for 12 half hours in a row from 16 Jul 2016 05:00 "
                                "to 16 Jul 2016 10:30: a stuck meter?")


def test_a_changed_file_replaces_only_its_customers_alerts_and_a_rerun_touches_none(data_dir):
    files = {"3000.csv": readings_csv(*stuck("2016-07-15")), "3001.csv": readings_csv(*stuck("2016-07-15"))}
    folder = data_dir(CUSTOMERS, files)
    import_data(folder)
    before = dict(Alert.objects.values_list("customer_id", "pk"))
    import_data(folder)
    assert dict(Alert.objects.values_list("customer_id", "pk")) == before  # unchanged: untouched
    (folder / "consumption" / "3000.csv").write_text(readings_csv(*varied("2016-07-15")))
    import_data(folder)
    assert dict(Alert.objects.values_list("customer_id", "pk")) == {3001: before[3001]}


def test_a_rejected_file_leaves_the_customers_alerts_as_they_were(data_dir):
    folder = data_dir(CUSTOMERS, {"3000.csv": readings_csv(*stuck("2016-07-15"))})
    import_data(folder)
    before = stored()
    (folder / "consumption" / "3000.csv").write_text("no header\n")
    assert import_data(folder).files_skipped == 1
    assert stored() == before


def test_smap_data_raises_alerts_of_each_kind_it_holds(smap_dir):
    import_data(smap_dir)
    counts = Counter(Alert.objects.values_list("kind", flat=True))
    # Every file repeats one or both of two half hours of 26 Oct 2016.
    assert counts["superseded"] == 60 and counts["rejected_rows"] == 0
    assert set(Alert.objects.filter(kind="superseded").values_list("first_day", "last_day")) == {
        (date(2016, 10, 26), date(2016, 10, 26))}
    assert set(counts) <= {"superseded", "spike_day", "base_load_jump", "flat_line", "zero_run", "gap"}
