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


def test_like_and_scale_replay_each_real_customer_scaled_in_their_own_area_and_tariff(tmp_path, data_dir):
    source = data_dir("id,area,tariff\n3000,a1,t1\n3005,a2,t2\n", {
        "3000.csv": "datetime,consumption\n2016-07-15 00:00:00,10.0\n2016-07-15 00:30:00,oops\n",
        "3005.csv": "datetime,consumption\n2016-07-15 00:00:00,100\n",
    })
    output = generate(tmp_path / "out", "--like", str(source), "--scale", "3")
    out = tmp_path / "out"
    with (out / "user_data.csv").open() as handle:
        customers = [(row["id"], row["area"], row["tariff"]) for row in csv.DictReader(handle)]
    assert customers == [("3000", "a1", "t1"), ("3006", "a1", "t1"), ("3007", "a1", "t1"),
                         ("3005", "a2", "t2"), ("3008", "a2", "t2"), ("3009", "a2", "t2")]
    assert (out / "consumption" / "3000.csv").read_bytes() == (source / "consumption" / "3000.csv").read_bytes()
    for replica in ("3006", "3007"):
        header, first, bad = (out / "consumption" / f"{replica}.csv").read_text().splitlines()
        assert header == "datetime,consumption" and bad == "2016-07-15 00:30:00,oops"
        assert 6.0 <= float(first.split(",")[1]) <= 14.0
    assert "3 times the customers" in output and "9 readings rows" in output  # (2 + 1) x 3


def test_like_needs_a_data_folder(tmp_path):
    with pytest.raises(CommandError, match="no user_data.csv"):
        generate(tmp_path / "out", "--like", str(tmp_path / "nowhere"), "--scale", "2")
