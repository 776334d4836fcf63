"""The detail page in Debian's Chromium: charts drawn with data, the granularity switch, the period form,
back and forward. Every test ends with no console error, uncaught exception or CSP violation (see `page`)."""
import pytest

from conftest import assert_accessible

from .test_detail import CUSTOMER, make_customers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHART = "window.Chart && Chart.getChart(document.querySelector('canvas[data-chart-source={source}]'))"


def chart(page, source: str) -> dict:
    """The drawn chart's type, dataset sizes and the options that matter here."""
    return page.evaluate(
        """(source) => {
            const chart = Chart.getChart(document.querySelector(`canvas[data-chart-source=${source}]`));
            if (!chart) { return null; }
            const options = chart.options;
            return {
                type: chart.config.type,
                points: chart.data.datasets.map((d) => d.data.length),
                labels: chart.data.labels.length,
                xType: options.scales.x.type,
                parsing: options.parsing,
                decimation: options.plugins.decimation.enabled && options.plugins.decimation.algorithm,
                drawn: chart.getDatasetMeta(0).data.length,
            };
        }""",
        source,
    )


def wait_for_chart(page, source: str) -> None:
    page.wait_for_function("() => " + CHART.format(source=source))


@pytest.fixture
def detail(page, live_server, data_dir):
    make_customers(data_dir)
    xhr = []
    page.on("request", lambda request: request.resource_type in ("xhr", "fetch") and xhr.append(request))
    page.xhr = xhr
    page.goto(f"{live_server.url}/detail/{CUSTOMER}/")
    for source in ("overtime-data", "profile-data", "heatmap-data", "duration-data"):
        wait_for_chart(page, source)
    return page


def test_it_draws_every_chart_with_data(detail):
    overtime = chart(detail, "overtime-data")
    assert overtime["type"] == "line" and overtime["points"] == [4, 4] and overtime["drawn"] == 4
    profile = chart(detail, "profile-data")
    assert profile["points"] == [48, 48, 48, 48] and profile["drawn"] == 48
    heatmap = chart(detail, "heatmap-data")
    assert heatmap["type"] == "matrix" and heatmap["points"] == [149] and heatmap["drawn"] == 149
    duration = chart(detail, "duration-data")
    assert duration["points"] == [101, 101] and duration["drawn"] == 101
    assert detail.external_requests == []
    assert_accessible(detail)


def test_it_switches_granularity_through_xhr_and_pushes_the_url(detail, live_server):
    detail.evaluate("window.marker = 'still the same page'")
    detail.get_by_role("link", name="Week", exact=True).click()
    detail.wait_for_url("**/detail/7001/?granularity=week")
    detail.wait_for_function("() => Chart.getChart(document.querySelector('canvas[data-chart-source=overtime-data]'))"
                             "?.config.type === 'bar'")
    assert chart(detail, "overtime-data")["labels"] == 2
    assert detail.evaluate("window.marker") == "still the same page"
    assert [r.headers.get("hx-target") for r in detail.xhr] == ["overtime"]
    assert detail.locator(".segmented a[aria-current=true]").inner_text() == "Week"
    # The other charts were not touched by the swap.
    assert chart(detail, "heatmap-data")["drawn"] == 149

    detail.get_by_role("link", name="Half-hour").click()
    detail.wait_for_url("**/detail/7001/?granularity=halfhour")
    detail.wait_for_function("() => Chart.getChart(document.querySelector('canvas[data-chart-source=overtime-data]'))"
                             "?.config.type === 'line'")
    halfhour = chart(detail, "overtime-data")
    assert halfhour["points"] == [149]
    assert (halfhour["xType"], halfhour["parsing"], halfhour["decimation"]) == ("linear", False, "lttb")
    assert detail.evaluate("window.marker") == "still the same page"
    assert detail.external_requests == []


def test_it_changes_the_period_through_xhr_keeping_the_granularity(detail):
    detail.evaluate("window.marker = 1")
    detail.get_by_role("link", name="Month", exact=True).click()
    detail.wait_for_url("**granularity=month")
    # htmx pushes the URL before it swaps: wait for the month chart itself before the next request.
    detail.wait_for_function(f"() => {CHART.format(source='overtime-data')}?.config.type === 'bar'")
    detail.fill("#period-from", "2016-07-16")
    detail.fill("#period-to", "2016-07-17")
    detail.get_by_role("button", name="Show period").click()
    detail.wait_for_url("**from=2016-07-16**")
    assert "granularity=month" in detail.url and "to=2016-07-17" in detail.url
    detail.wait_for_function("() => document.querySelector('#statistics-heading').textContent.includes('16 Jul 2016')")
    detail.wait_for_function(f"() => {CHART.format(source='heatmap-data')}?.getDatasetMeta(0).data.length === 96")
    wait_for_chart(detail, "overtime-data")
    assert chart(detail, "heatmap-data")["drawn"] == 96
    assert chart(detail, "overtime-data")["type"] == "bar"
    assert detail.evaluate("window.marker") == 1
    assert [r.headers.get("hx-target") for r in detail.xhr] == ["overtime", "period"]
    assert detail.external_requests == []


def overtime_type_is(chart_type: str) -> str:
    return f"() => {CHART.format(source='overtime-data')}?.config.type === '{chart_type}'"


def test_it_restores_the_previous_granularity_and_period_on_back_and_forward(detail):
    detail.get_by_role("link", name="Week", exact=True).click()
    detail.wait_for_url("**granularity=week")
    detail.wait_for_function(overtime_type_is("bar"))
    detail.fill("#period-from", "2016-07-16")
    detail.fill("#period-to", "2016-07-17")
    detail.get_by_role("button", name="Show period").click()
    detail.wait_for_function(f"() => {CHART.format(source='heatmap-data')}?.getDatasetMeta(0).data.length === 96")

    detail.go_back()
    detail.wait_for_url(f"**/detail/{CUSTOMER}/?granularity=week")
    detail.wait_for_function(f"() => {CHART.format(source='heatmap-data')}?.getDatasetMeta(0).data.length === 149")
    assert chart(detail, "overtime-data")["type"] == "bar"
    detail.go_back()
    detail.wait_for_url(f"**/detail/{CUSTOMER}/")
    detail.wait_for_function(overtime_type_is("line"))
    assert detail.locator(".segmented a[aria-current=true]").inner_text() == "Day"

    detail.go_forward()
    detail.wait_for_url("**granularity=week")
    detail.wait_for_function(overtime_type_is("bar"))
    assert detail.locator(".segmented a[aria-current=true]").inner_text() == "Week"
    detail.go_forward()
    detail.wait_for_url("**from=2016-07-16**")
    detail.wait_for_function(f"() => {CHART.format(source='heatmap-data')}?.getDatasetMeta(0).data.length === 96")
    assert detail.input_value("#period-from") == "2016-07-16"
    assert detail.external_requests == []


def test_it_compares_with_the_period_before_through_xhr(detail):
    detail.fill("#period-from", "2016-07-17")
    detail.fill("#period-to", "2016-07-18")
    detail.select_option("#period-compare", "previous")
    detail.get_by_role("button", name="Show period").click()
    detail.wait_for_url("**compare=previous**")
    detail.wait_for_function("() => document.querySelector('#changes-heading')?.textContent.includes('15 Jul 2016')")
    rows = detail.locator("table.changes tbody th").all_text_contents()
    assert rows[0] == f"Customer {CUSTOMER}"
    detail.wait_for_function(f"() => {CHART.format(source='overtime-data')}?.data.datasets.some(d => d.dates)")
    assert chart(detail, "overtime-data")["points"][:3] == [2, 2, 2]
    assert [r.headers.get("hx-target") for r in detail.xhr] == ["period"]
    assert detail.external_requests == []
    assert_accessible(detail)
