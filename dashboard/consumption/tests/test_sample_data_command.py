"""`manage.py generate_sample_data`: a realistic data set in the import format, the same for the same seed."""
import csv
import io
from datetime import datetime

import pytest
from django.core.management import CommandError, call_command

from consumption.imports import import_data
from consumption.models import Customer, Reading


def generate(folder, *args: str) -> str:
    out = io.StringIO()
    call_command("generate_sample_data", "--out", str(folder), *args, stdout=out)
    return out.getvalue()


def test_it_writes_customers_and_half_hourly_readings_in_the_import_format(tmp_path):
    output = generate(tmp_path, "--customers", "4", "--days", "3", "--seed", "5")
    with (tmp_path / "user_data.csv").open() as handle:
        customers = list(csv.DictReader(handle))
    assert [row["id"] for row in customers] == ["3000", "3001", "3002", "3003"]
    assert all(row["area"] and row["tariff"] for row in customers)
    with (tmp_path / "consumption" / "3000.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["datetime", "consumption"]
    assert rows[0]["datetime"] == "2016-07-15 00:00:00"
    assert all(float(row["consumption"]) >= 0 for row in rows)
    assert {datetime.fromisoformat(row["datetime"]).minute for row in rows} == {0, 30}
    assert "Wrote 4 customers" in output


def test_the_same_seed_writes_the_same_files_and_another_seed_does_not(tmp_path):
    generate(tmp_path / "a", "--customers", "3", "--days", "2", "--seed", "9")
    generate(tmp_path / "b", "--customers", "3", "--days", "2", "--seed", "9")
    generate(tmp_path / "c", "--customers", "3", "--days", "2", "--seed", "10")
    read = lambda folder: (folder / "consumption" / "3001.csv").read_text()  # noqa: E731
    assert read(tmp_path / "a") == read(tmp_path / "b")
    assert read(tmp_path / "a") != read(tmp_path / "c")


def test_a_larger_set_has_gaps_and_a_duplicate_like_real_meters(tmp_path):
    generate(tmp_path, "--customers", "40", "--days", "20", "--seed", "1")
    short, duplicated = 0, 0
    for path in (tmp_path / "consumption").glob("*.csv"):
        stamps = [row["datetime"] for row in csv.DictReader(path.open())]
        short += len(set(stamps)) < 20 * 48
        duplicated += len(stamps) != len(set(stamps))
    assert short and duplicated


@pytest.mark.django_db(transaction=True)
def test_what_it_writes_imports_without_a_rejected_row(tmp_path):
    generate(tmp_path, "--customers", "5", "--days", "4")
    report = import_data(tmp_path)
    assert Customer.objects.count() == 5
    assert report.rows_rejected == 0
    assert Reading.objects.count() == report.readings_stored > 0


def test_it_refuses_to_write_over_a_data_set(tmp_path):
    generate(tmp_path, "--customers", "1", "--days", "1")
    with pytest.raises(CommandError, match="already holds a data set"):
        generate(tmp_path, "--customers", "1", "--days", "1")


@pytest.mark.parametrize("args", [["--customers", "0"], ["--days", "-1"], ["--customers", "many"]])
def test_it_refuses_counts_that_are_not_positive_whole_numbers(tmp_path, args):
    with pytest.raises(CommandError):
        generate(tmp_path, *args)
