"""The import history pages: runs newest first, a run's files, a file's rejected and superseded rows."""
import re

import pytest

from consumption.imports import import_data
from consumption.models import ImportFile, ImportRun

from .test_import_command import readings_csv

pytestmark = pytest.mark.django_db

CUSTOMERS = "id,area,tariff\n3000,a1,t1\n3001,a1,t1\nnot a row\n"
HOSTILE_ROW = '2016-07-15 01:00:00,<script>alert(1)</script>'


@pytest.fixture
def runs(data_dir):
    """Two runs: the first imports two files (one with a rejected row and a duplicate), the second finds
    them unchanged, and a third fails on a missing folder before it starts (so it leaves no run)."""
    files = {
        "3000.csv": readings_csv(("2016-07-15 00:00:00", "1"), ("2016-07-15 00:00:00", "2")) + HOSTILE_ROW + "\n",
        "3001.csv": readings_csv(("2016-07-15 00:00:00", "5")),
        "notes.txt": "not a meter file",
    }
    folder = data_dir(CUSTOMERS, files)
    first, second = import_data(folder), import_data(folder)
    return ImportRun.objects.get(pk=first.run_id), ImportRun.objects.get(pk=second.run_id)


def file_of(run: ImportRun, name: str) -> ImportFile:
    return next(record for record in run.files.all() if record.path.endswith(name))


def test_it_lists_runs_newest_first_with_their_figures(client, runs):
    first, second = runs
    html = client.get("/imports/").content.decode()
    assert html.index(f'href="/imports/{second.pk}/"') < html.index(f'href="/imports/{first.pk}/"')
    assert "2 in all" in html and "Completed" in html
    row = re.search(rf'Run {first.pk}</a>.*?</tr>', html, re.S)[0]
    cells = re.findall(r'<td class="number">([^<]*)</td>', row)
    # duration, files imported, unchanged, skipped, rejected, rows read, stored, rejected, superseded
    assert cells[1:] == ["2", "0", "1", "0", "4", "2", "1", "1"]
    assert 'aria-current="page">Imports</a>' in html


def test_an_interrupted_run_shows_its_status_and_no_duration(client, runs):
    ImportRun.objects.filter(pk=runs[1].pk).update(status=ImportRun.Status.INTERRUPTED, finished_at=None)
    html = client.get("/imports/").content.decode()
    assert "Interrupted" in html and '<td class="number">—</td>' in html


def test_a_run_lists_its_files_and_links_to_their_turned_away_rows(client, runs):
    first, _ = runs
    html = client.get(f"/imports/{first.pk}/").content.decode()
    record = file_of(first, "3000.csv")
    assert f'href="/imports/{first.pk}/files/{record.pk}/#rejected">1</a>' in html
    assert f'href="/imports/{first.pk}/files/{record.pk}/#superseded">1</a>' in html
    assert 'href="/detail/3000/"' in html
    assert "notes.txt" in html and "not named &lt;customer id&gt;.csv" in html
    assert "user_data.csv: 1 row(s) rejected" in html  # the run's notes


def test_a_run_filters_its_files_by_status(client, runs):
    first, _ = runs
    html = client.get(f"/imports/{first.pk}/", {"status": "ignored"}).content.decode()
    assert "notes.txt" in html and "3001.csv" not in html
    assert '1 ignored' in html


def test_bad_parameters_get_a_notice_and_a_default(client, runs):
    first, _ = runs
    html = client.get(f"/imports/{first.pk}/", {"status": "<b>bogus</b>" * 20, "page": "x"}).content.decode()
    assert "is not a file status: showing every file" in html and "<b>bogus" not in html
    assert "The page must be a whole number from 1" in html and "3001.csv" in html
    html = client.get("/imports/", {"page": "99"}).content.decode()
    assert "There is no page 99: showing the last page, 1." in html


def test_a_files_page_lists_its_rejected_rows_escaped_and_its_superseded_duplicates(client, runs):
    first, _ = runs
    record = file_of(first, "3000.csv")
    html = client.get(f"/imports/{first.pk}/files/{record.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "consumption is not a number" in html
    superseded = re.search(r'id="superseded".*?</section>', html, re.S)[0]
    assert "2016-07-15 00:00" in superseded and ">1.0<" in superseded and ">2.0<" in superseded


def test_unknown_runs_and_files_are_not_found(client, runs):
    first, second = runs
    assert client.get("/imports/999/").status_code == 404
    other_runs_file = file_of(second, "3000.csv")
    assert client.get(f"/imports/{first.pk}/files/{other_runs_file.pk}/").status_code == 404


def test_the_rows_of_a_long_file_are_paged_each_table_on_its_own(client, data_dir):
    bad = "".join(f"2016-07-15 00:00:00,bad{n}\n" for n in range(150))
    run = ImportRun.objects.get(pk=import_data(data_dir(CUSTOMERS, {"3000.csv": readings_csv() + bad})).run_id)
    record = file_of(run, "3000.csv")
    page = client.get(f"/imports/{run.pk}/files/{record.pk}/", {"page": "2"}).content.decode()
    assert "bad149" in page and "bad0<" not in page and "Page 2 of 2" in page
    fragment = client.get(f"/imports/{run.pk}/files/{record.pk}/", {"page": "2"},
                          headers={"HX-Request": "true", "HX-Target": "rejected"})
    assert fragment.content.decode().lstrip().startswith('<section id="rejected"')
    assert "HX-Target" in fragment["Vary"]


@pytest.mark.parametrize("count", [1, 30])
def test_each_page_makes_a_fixed_number_of_queries(client, data_dir, django_assert_num_queries, count):
    customers = "id,area,tariff\n" + "".join(f"{3000 + n},a1,t1\n" for n in range(count))
    files = {f"{3000 + n}.csv": readings_csv(("2016-07-15 00:00:00", "1"), ("x", "y")) for n in range(count)}
    run = ImportRun.objects.get(pk=import_data(data_dir(customers, files)).run_id)
    record = file_of(run, "3000.csv")
    # The runs: count and page. A run: it, its files' count and page. A file: it with its run, its rejected
    # rows' count and page, its superseded rows' count (none here, so no page). ATOMIC_REQUESTS adds a
    # savepoint and its release inside the test's transaction.
    for url, queries in (("/imports/", 2), (f"/imports/{run.pk}/", 3), (f"/imports/{run.pk}/files/{record.pk}/", 4)):
        with django_assert_num_queries(queries + 2):
            assert client.get(url).status_code == 200


def test_rejected_files_are_counted_apart_from_the_others_skipped(client, data_dir):
    import_data(data_dir(CUSTOMERS, {"3000.csv": "no header\n", "3001.csv": readings_csv(("2016-07-15 00:00:00", "1")),
                                      "notes.txt": "x"}))
    html = client.get("/imports/").content.decode()
    cells = re.findall(r'<td class="number">([^<]*)</td>', re.search(r"Run \d+</a>.*?</tr>", html, re.S)[0])
    assert cells[1:5] == ["1", "0", "1", "1"]  # imported, unchanged, skipped (notes.txt), rejected (3000.csv)
