"""The summary page in Debian's Chromium: chart drawn, filters, sorting and paging swapped in by htmx,
history kept. Every test ends with no console error, uncaught exception or CSP violation (see `page`)."""
import re

import pytest

from conftest import assert_accessible
from consumption.imports import import_data
from consumption.sample_data import generate_sample_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHART = "Chart.getChart(document.querySelector('canvas[data-chart-source=summary-chart]'))"
CHART_POINTS = f"() => {{ const c = {CHART}; return c ? c.data.datasets[0].data.length : 0; }}"
FIRST_TOTAL = f"() => {{ const c = {CHART}; return c ? c.data.datasets[0].data[0] : null; }}"


def first_total_is(value, equal: bool = True) -> str:
    """A wait condition: the chart is drawn and its first total is (or is not) `value`."""
    # A function, not an expression: the page's Content-Security-Policy forbids eval.
    return f"() => {{ const v = ({FIRST_TOTAL})(); return v !== null && v {'===' if equal else '!=='} {value}; }}"


@pytest.fixture
def sample_data(tmp_path):
    generate_sample_data(tmp_path / "data", customers=40, days=21, seed=3)
    import_data(tmp_path / "data")


def table_column(page, index: int) -> list[str]:
    return page.locator(f"#customer-table tbody tr td:nth-child({index})").all_inner_texts()


def open_summary(page, live_server) -> None:
    page.goto(f"{live_server.url}/summary/")
    page.wait_for_function(f"() => ({CHART_POINTS})() > 0")
    # A full page load would drop this; htmx swaps keep it.
    page.evaluate("window.loadedOnce = true")


def test_it_draws_the_chart_without_errors_or_outside_requests(page, live_server, sample_data):
    open_summary(page, live_server)
    assert page.evaluate(CHART_POINTS) == 21
    assert page.locator("h1").inner_text() == "Consumption summary"
    assert page.locator("#customer-table tbody tr").count() == 25
    assert page.external_requests == []
    assert_accessible(page)


def test_it_filters_by_area_through_htmx_and_goes_back_and_forward(page, live_server, sample_data):
    open_summary(page, live_server)
    all_areas_total = page.evaluate(FIRST_TOTAL)
    assert set(table_column(page, 2)) > {"a1"}

    with page.expect_response(lambda response: "area=a1" in response.url) as swap:
        page.check("input[name=area][value=a1]")
    assert swap.value.request.resource_type == "xhr"
    page.wait_for_function(first_total_is(all_areas_total, equal=False))
    assert set(table_column(page, 2)) == {"a1"}
    assert page.url.endswith("/summary/?area=a1&granularity=day")  # empty fields left out
    assert page.evaluate("window.loadedOnce") is True
    assert_accessible(page)

    page.go_back()
    page.wait_for_function(first_total_is(all_areas_total))
    assert "area=a1" not in page.url
    assert set(table_column(page, 2)) > {"a1"}
    assert not page.is_checked("input[name=area][value=a1]")
    assert page.evaluate("window.loadedOnce") is True

    page.go_forward()
    page.wait_for_function(first_total_is(all_areas_total, equal=False))
    assert set(table_column(page, 2)) == {"a1"}
    assert page.is_checked("input[name=area][value=a1]")
    assert page.external_requests == []


def test_it_sorts_by_total_and_keeps_the_sort_when_filtering(page, live_server, sample_data):
    open_summary(page, live_server)
    with page.expect_response(lambda response: "sort=total_kwh" in response.url):
        page.click("#customer-table th >> text=Total (kWh)")
    page.wait_for_selector("#customer-table th.asc")
    totals = [float(value.replace(",", "")) for value in table_column(page, 4)]
    assert totals == sorted(totals)
    assert "sort=total_kwh" in page.url

    with page.expect_response(lambda response: "sort=-total_kwh" in response.url):
        page.click("#customer-table th >> text=Total (kWh)")
    page.wait_for_selector("#customer-table th.desc")
    totals = [float(value.replace(",", "")) for value in table_column(page, 4)]
    assert totals == sorted(totals, reverse=True)

    with page.expect_response(lambda response: "area=a2" in response.url and "sort=-total_kwh" in response.url):
        page.check("input[name=area][value=a2]")
    page.wait_for_function("() => [...document.querySelectorAll('#customer-table tbody td:nth-child(2)')]"
                           ".every(td => td.textContent === 'a2')")
    totals = [float(value.replace(",", "")) for value in table_column(page, 4)]
    assert totals == sorted(totals, reverse=True)
    assert page.evaluate("window.loadedOnce") is True


def test_it_pages_through_htmx_and_goes_back_and_forward(page, live_server, sample_data):
    open_summary(page, live_server)
    first_page = table_column(page, 1)
    with page.expect_response(lambda response: "page=2" in response.url):
        page.click("nav.pagination >> text=Next ›")
    page.wait_for_selector("nav.pagination >> text=Page 2 of 2")
    assert page.url.endswith("/summary/?page=2")
    second_page = table_column(page, 1)
    assert len(second_page) == 15 and not set(second_page) & set(first_page)

    page.go_back()
    page.wait_for_selector("nav.pagination >> text=Page 1 of 2")
    assert table_column(page, 1) == first_page
    page.go_forward()
    page.wait_for_selector("nav.pagination >> text=Page 2 of 2")
    assert table_column(page, 1) == second_page
    assert page.evaluate("window.loadedOnce") is True
    assert page.external_requests == []


def test_it_switches_the_chart_to_weeks_and_back_to_days(page, live_server, sample_data):
    open_summary(page, live_server)
    with page.expect_response(lambda response: "granularity=week" in response.url):
        page.select_option("select[name=granularity]", "week")
    # 21 days from Friday 15 July 2016 touch four weeks starting on a Monday.
    page.wait_for_function(f"() => ({CHART_POINTS})() === 4")
    assert page.url.endswith("/summary/?granularity=week")

    page.go_back()
    page.wait_for_function(f"() => ({CHART_POINTS})() === 21")
    assert page.input_value("select[name=granularity]") == "day"
    page.go_forward()
    page.wait_for_function(f"() => ({CHART_POINTS})() === 4")
    assert page.input_value("select[name=granularity]") == "week"
    assert page.evaluate("window.loadedOnce") is True


def test_it_opens_a_customer_from_the_table_and_comes_back(page, live_server, sample_data):
    open_summary(page, live_server)
    link = page.locator("#customer-table tbody tr:first-child td:first-child a")
    customer_id = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(rf"/detail/{customer_id}/$"))
    assert customer_id in page.locator("h1").inner_text()
    page.wait_for_function("() => window.Chart && Chart.getChart("
                           "document.querySelector('canvas[data-chart-source=heatmap-data]'))")

    page.go_back()
    page.wait_for_url(re.compile(r"/summary/$"))
    page.wait_for_function(f"() => ({CHART_POINTS})() === 21")
    assert page.external_requests == []


def test_it_filters_sorts_and_pages_without_javascript(browser, live_server, sample_data):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/summary/?per_page=10")
        page.check("input[name=area][value=a1]")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"area=a1"))
        assert set(table_column(page, 2)) == {"a1"}
        assert "per_page=10" in page.url

        page.click("#customer-table th >> text=Total (kWh)")
        page.wait_for_url(re.compile(r"sort=total_kwh"))
        totals = [float(value.replace(",", "")) for value in table_column(page, 4)]
        assert totals == sorted(totals) and len(totals) <= 10

        page.click("nav.pagination >> text=Next ›")
        page.wait_for_url(re.compile(r"page=2"))
        assert "Page 2 of" in page.locator("nav.pagination").inner_text()
        assert set(table_column(page, 2)) == {"a1"}
        assert "sort=total_kwh" in page.url
    finally:
        context.close()


def test_it_compares_with_the_period_before_and_sorts_by_change(page, live_server, sample_data):
    # The last eleven of the 21 days, beside the ten before them.
    page.goto(f"{live_server.url}/summary/?from=2016-07-25&to=2016-08-04")
    page.wait_for_function(f"() => ({CHART_POINTS})() === 11")
    page.evaluate("window.loadedOnce = true")
    assert page.locator("#customer-table th >> text=Change (%)").count() == 0

    with page.expect_response(lambda response: "compare=previous" in response.url) as swap:
        page.select_option("select[name=compare]", "previous")
    assert swap.value.request.resource_type == "xhr"
    page.wait_for_function(f"() => {{ const c = {CHART}; return c && c.data.datasets.some("
                           "d => d.borderDash && d.label === 'Total, the period before'); }")
    dashed = page.evaluate(f"() => {CHART}.data.datasets.find(d => d.borderDash).data.length")
    assert dashed == 11
    headers = page.locator("#customer-table thead th").all_text_contents()
    headers = [header.strip() for header in headers]
    assert headers[3:7] == ["Total (kWh)", "Previous (kWh)", "Change (kWh)", "Change (%)"]
    assert "Changes are against 14 Jul 2016 – 24 Jul 2016" in page.locator("p.period").inner_text()

    # Biggest risers first: two clicks on the column, each swapping the table alone.
    for sort in ("sort=change_pct", "sort=-change_pct"):
        with page.expect_response(lambda response: sort in response.url):
            page.click("#customer-table th >> text=Change (%)")
        page.wait_for_url(re.compile(re.escape(sort)))
    changes = [float(value.replace(",", "").replace("\N{MINUS SIGN}", "-")) for value in table_column(page, 7)
               if value != "—"]
    assert changes == sorted(changes, reverse=True) and len(changes) > 1
    assert "compare=previous" in page.url
    assert page.evaluate("window.loadedOnce") is True
    assert_accessible(page)

    # The biggest riser's page, its load-duration curve beside the median area peer's.
    link = page.locator("#customer-table tbody tr:first-child td:first-child a")
    customer_id = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(rf"/detail/{customer_id}/$"))
    page.wait_for_function("() => window.Chart && Chart.getChart("
                           "document.querySelector('canvas[data-chart-source=duration-data]'))")
    points = page.evaluate("() => Chart.getChart(document.querySelector('canvas[data-chart-source=duration-data]'))"
                           ".data.datasets.map(d => d.data.length)")
    assert points == [101, 101]
    assert "Above half its peak" in page.locator("#duration-summary").inner_text()
    assert_accessible(page)


def test_it_draws_the_spread_across_customers_as_a_band(page, live_server, sample_data):
    open_summary(page, live_server)
    with page.expect_response(lambda response: "spread=1" in response.url) as swap:
        page.check("input[name=spread]")
    assert swap.value.request.resource_type == "xhr"
    page.wait_for_function(f"() => {{ const c = {CHART}; return c && c.data.datasets.some("
                           "d => d.label === 'Median customer'); }")
    band = page.evaluate(f"() => {CHART}.data.datasets.filter(d => d.label.includes('percentile'))"
                         ".map(d => [d.data.length, d.fill])")
    assert band == [[21, False], [21, "-1"]]
    assert "spread=1" in page.url
    assert page.evaluate("window.loadedOnce") is True
    assert_accessible(page)
