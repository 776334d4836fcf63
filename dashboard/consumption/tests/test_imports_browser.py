"""The import history in Debian's Chromium: from the list of runs to a run's files, filtered by status
through an htmx swap with the URL pushed, to a file's rejected rows; accessible, and without errors."""
import pytest

from conftest import assert_accessible
from consumption.imports import import_data

from .test_import_command import readings_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def history(data_dir):
    customers = "id,area,tariff\n" + "".join(f"{3000 + n},a1,t1\n" for n in range(60))
    files = {f"{3000 + n}.csv": readings_csv(("2016-07-15 00:00:00", "1")) for n in range(60)}
    files["3007.csv"] = readings_csv(("2016-07-15 00:00:00", "1")) + "2016-07-15 00:30:00,<b>oops</b>\n"
    files["notes.txt"] = "not a meter file"
    return import_data(data_dir(customers, files)).run_id


def test_it_goes_from_the_runs_to_a_files_rejected_rows(page, live_server, history):
    page.goto(f"{live_server.url}/summary/")
    page.click("nav[aria-label=Main] >> text=Imports")
    page.wait_for_url(f"{live_server.url}/imports/")
    assert_accessible(page)

    page.click(f"text=Run {history}")
    page.wait_for_url(f"{live_server.url}/imports/{history}/")
    assert page.locator("#files tbody tr").count() == 50  # 62 files, 50 a page
    assert_accessible(page)

    page.evaluate("window.loadedOnce = true")
    with page.expect_response(lambda response: "status=ignored" in response.url) as swap:
        page.click("#files nav[aria-label='Files by status'] >> text=Ignored")
    assert swap.value.request.resource_type == "xhr"
    page.wait_for_function("() => document.querySelectorAll('#files tbody tr').length === 1")
    assert page.url.endswith(f"/imports/{history}/?status=ignored")
    assert page.locator("#files tbody").inner_text().startswith("notes.txt")
    assert page.evaluate("window.loadedOnce") is True  # swapped, not reloaded

    page.go_back()
    page.wait_for_function("() => document.querySelectorAll('#files tbody tr').length === 50")
    page.click("#files >> text=3007.csv")
    page.wait_for_url(f"{live_server.url}/imports/{history}/files/**")
    rejected = page.locator("#rejected tbody").inner_text()
    assert "<b>oops</b>" in rejected and "consumption is not a number" in rejected  # shown as text
    assert_accessible(page)
    assert page.external_requests == []
