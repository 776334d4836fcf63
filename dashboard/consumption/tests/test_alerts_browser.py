"""The alerts page in Debian's Chromium: filtered by kind through an htmx swap with the URL pushed,
then from an alert to its customer's page over the alert's days; accessible, and without errors."""
import pytest

from conftest import assert_accessible
from consumption.imports import import_data

from .test_import_alerts import stuck, varied
from .test_import_command import readings_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_filters_by_kind_and_opens_the_customer_over_the_alerts_days(page, live_server, data_dir):
    import_data(data_dir("id,area,tariff\n3000,a1,t1\n3001,a2,t2\n", {
        "3000.csv": readings_csv(*varied("2016-07-15"), *stuck("2016-07-16"), *varied("2016-07-18")),
        "3001.csv": readings_csv(*varied("2016-07-19"), *stuck("2016-07-20")),
    }))
    page.goto(f"{live_server.url}/summary/")
    page.click("nav[aria-label=Main] >> text=Alerts")
    page.wait_for_url(f"{live_server.url}/alerts/")
    assert page.locator("#alert-results tbody tr").count() == 3
    assert_accessible(page)

    page.evaluate("window.loadedOnce = true")
    with page.expect_response(lambda response: "kind=gap" in response.url) as swap:
        page.check("input[name=kind][value=gap]")
    assert swap.value.request.resource_type == "xhr"
    page.wait_for_function("() => document.querySelectorAll('#alert-results tbody tr').length === 1")
    assert "kind=gap" in page.url
    assert page.evaluate("window.loadedOnce") is True  # swapped, not reloaded

    page.click("input[name=kind][value=gap]")  # and back to every kind: the flat line of 16 Jul
    page.wait_for_function("() => document.querySelectorAll('#alert-results tbody tr').length === 3")
    page.click("#alert-results tbody tr:last-child a")
    page.wait_for_url(f"{live_server.url}/detail/3000/?from=2016-07-16&to=2016-07-16")
    assert page.locator("h1").inner_text() == "Customer 3000"
    assert "Flat line" in page.locator("#alerts").inner_text()
    marked = page.wait_for_function(
        """() => { const chart = window.Chart && Chart.getChart(document.querySelector('canvas[data-chart-source=overtime-data]'));
                   const marks = chart && chart.data.datasets.find((d) => d.label === "Alerts");
                   return marks && marks.data.filter((v) => v !== null).length; }""")
    assert marked.json_value() == 1

    page.get_by_role("link", name="Half-hour").click()  # the mark follows down to the half hour it starts
    page.wait_for_url("**/detail/3000/?*granularity=halfhour*")
    marked = page.wait_for_function(
        """() => { const chart = window.Chart && Chart.getChart(document.querySelector('canvas[data-chart-source=overtime-data]'));
                   const marks = chart && chart.config.type === "line" && chart.data.datasets.find((d) => d.label === "Alerts");
                   return marks && marks.data.length === 1 && new Date(marks.data[0].x).toISOString(); }""")
    assert marked.json_value() == "2016-07-16T05:00:00.000Z"
    assert_accessible(page)
    assert page.external_requests == []
