"""The alerts page: filtered by kind, area, tariff, customer and period, sorted and paged in SQL,
exported as CSV; bad parameters get a notice and a default."""
import csv
import io
import re
from datetime import datetime

import pytest

from consumption.imports import import_data
from consumption.statistics import epoch_ms

from .test_import_alerts import stuck, varied
from .test_import_command import readings_csv

pytestmark = pytest.mark.django_db

CUSTOMERS = "id,area,tariff\n3000,a1,t1\n3001,a2,t2\n3002,a2,t1\n"


@pytest.fixture
def alerts(data_dir):
    """3000: a flat line on 16 Jul and a gap on 17 Jul; 3001: a flat line on 20 Jul; 3002: none."""
    import_data(data_dir(CUSTOMERS, {
        "3000.csv": readings_csv(*varied("2016-07-15"), *stuck("2016-07-16"), *varied("2016-07-18")),
        "3001.csv": readings_csv(*varied("2016-07-19"), *stuck("2016-07-20")),
        "3002.csv": readings_csv(*varied("2016-07-15")),
    }))


def rows(client, **params) -> list[list[str]]:
    html = client.get("/alerts/", params).content.decode()
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_it_lists_every_alert_newest_first_linked_to_the_customer_over_its_days(client, alerts):
    html = client.get("/alerts/").content.decode()
    assert [row[:4] for row in rows(client)] == [
        ["3001", "flat line", "2016-07-20 05:00", "2016-07-20 10:30"],
        ["3000", "gap", "2016-07-17", "2016-07-17"],
        ["3000", "flat line", "2016-07-16 05:00", "2016-07-16 10:30"],
    ]
    assert 'href="/detail/3000/?from=2016-07-17&amp;to=2016-07-17"' in html
    assert 'aria-current="page">Alerts</a>' in html


def test_it_filters_by_kind_area_tariff_customer_and_period(client, alerts):
    assert [row[0] for row in rows(client, kind="flat_line")] == ["3001", "3000"]
    assert [row[1] for row in rows(client, area="a1")] == ["gap", "flat line"]
    assert [row[0] for row in rows(client, tariff="t2")] == ["3001"]
    assert [row[1] for row in rows(client, customer="3000", kind=["gap", "flat_line"])] == ["gap", "flat line"]
    # An alert shows when its days meet the period.
    assert [row[1] for row in rows(client, **{"from": "2016-07-17", "to": "2016-07-19"})] == ["gap"]


def test_a_period_given_end_first_is_swapped_with_the_same_notice_as_on_the_other_pages(client, alerts):
    reversed_period = {"from": "2016-07-19", "to": "2016-07-17"}
    assert [row[1] for row in rows(client, **reversed_period)] == ["gap"]
    html = client.get("/alerts/", reversed_period).content.decode()
    assert "The period’s start was after its end: the two dates were swapped." in html
    # The form shows the period as applied.
    assert 'name="from" value="2016-07-17"' in html and 'name="to" value="2016-07-19"' in html


def test_it_sorts_by_magnitude_customer_and_date(client, alerts):
    assert [row[4] for row in rows(client, sort="magnitude")] == ["1.00", "12.00", "12.00"]
    assert [row[0] for row in rows(client, sort="customer")] == ["3000", "3000", "3001"]
    assert [row[2][:10] for row in rows(client, sort="first_day")] == ["2016-07-16", "2016-07-17", "2016-07-20"]


def test_it_exports_the_filtered_sorted_alerts_as_csv(client, alerts):
    response = client.get("/alerts/", {"_export": "csv", "sort": "customer"})
    assert response.streaming
    exported = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert exported[0][:6] == ["Customer", "Kind", "From", "To", "Magnitude", "Explanation"]
    assert [row[:5] for row in exported[1:]] == [
        ["3000", "flat_line", "2016-07-16 05:00", "2016-07-16 10:30", "12.0"],
        ["3000", "gap", "2016-07-17", "2016-07-17", "1.0"],
        ["3001", "flat_line", "2016-07-20 05:00", "2016-07-20 10:30", "12.0"],
    ]


def test_hostile_parameters_get_notices_and_defaults(client, alerts):
    html = client.get("/alerts/", {"kind": "<script>x</script>", "sort": "nope", "page": "0", "from": "yesterday",
                                   "customer": "-1"}).content.decode()
    assert "<script>x" not in html
    assert "cannot be sorted by “nope”: newest first instead" in html
    assert "The page must be a whole number from 1" in html
    assert "“From” must be a date from 1900-01-01 to 2999-12-31, written like 2016-07-15" in html
    assert "Customer must be a customer id" in html
    assert len(rows(client, kind="<script>x</script>")) == 3
    assert "There is no page 9: showing the last page, 1." in client.get("/alerts/", {"page": "9"}).content.decode()


def test_a_filter_change_swaps_the_results_alone(client, alerts):
    response = client.get("/alerts/", {"kind": "gap"}, headers={"HX-Request": "true", "HX-Target": "alert-results"})
    assert response.content.decode().lstrip().startswith('<section id="alert-results"')
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("count", [1, 30])
def test_it_makes_a_fixed_number_of_queries(client, data_dir, django_assert_num_queries, count):
    customers = "id,area,tariff\n" + "".join(f"{3000 + n},a{n % 3},t1\n" for n in range(count))
    import_data(data_dir(customers, {f"{3000 + n}.csv": readings_csv(*stuck("2016-07-16")) for n in range(count)}))
    # Areas and tariffs for the filters, the alerts' count and page; ATOMIC_REQUESTS adds a savepoint
    # and its release inside the test's transaction.
    with django_assert_num_queries(3 + 2):
        assert client.get("/alerts/", {"area": "a1", "sort": "-magnitude"}).status_code == 200


def test_the_detail_page_lists_the_customers_alerts_in_the_period_and_marks_them_on_the_chart(client, alerts):
    response = client.get("/detail/3000/", {"from": "2016-07-15", "to": "2016-07-18"})
    html = response.content.decode()
    section = re.search(r'<section class="card" id="alerts".*?</section>', html, re.S)[0]
    assert "Flat line" in section and "2016-07-16 05:00 to 2016-07-16 10:30" in section and "Gap" in section
    assert "span too little time to judge them" in section  # four days of readings
    [marks] = [dataset for dataset in response.context["overtime_chart"]["datasets"] if dataset["label"] == "Alerts"]
    labels = response.context["overtime_chart"]["labels"]
    assert [label for label, value in zip(labels, marks["data"]) if value is not None] == ["2016-07-16"]
    # By the half hour: a mark where each alert starts, on the line or, in the gap, at 0.
    halfhours = client.get("/detail/3000/", {"from": "2016-07-15", "to": "2016-07-18", "granularity": "halfhour"})
    [marks] = [dataset for dataset in halfhours.context["overtime_chart"]["datasets"] if dataset["label"] == "Alerts"]
    readings = dict(zip(halfhours.context["overtime_chart"]["x"], halfhours.context["overtime_chart"]["datasets"][0]["data"]))
    flat_start, gap_start = epoch_ms(datetime(2016, 7, 16, 5)), epoch_ms(datetime(2016, 7, 17))
    assert marks["points"] == [[flat_start, readings[flat_start]], [gap_start, 0.0]]
    assert gap_start not in readings
    later = client.get("/detail/3000/", {"from": "2016-07-18", "to": "2016-07-18"}).content.decode()
    assert "No alert in this period." in later


def test_the_summary_counts_customers_with_alerts_by_kind_and_sorts_customers_by_their_alerts(client, alerts):
    html = client.get("/summary/", {"from": "2016-07-15", "to": "2016-07-20", "area": "a1"}).content.decode()
    figure = re.search(r"<dt>Customers with alerts</dt>.*?</dd>", html, re.S)[0]
    assert '">1</a>' in figure  # customer 3000 alone in area a1
    assert re.search(r'href="/alerts/\?from=2016-07-15&amp;to=2016-07-20&amp;area=a1&amp;customer=&amp;kind=gap">1 gap</a>',
                     figure)
    unfiltered = client.get("/summary/", {"from": "2016-07-15", "to": "2016-07-20"}).content.decode()
    figure = re.search(r"<dt>Customers with alerts</dt>.*?</dd>", unfiltered, re.S)[0]
    assert '">2</a>' in figure and ">2 flat line</a>" in figure and ">1 gap</a>" in figure  # 3000 and 3001
    whole = client.get("/summary/", {"sort": "-alerts"})
    ids = [int(found) for found in re.findall(r'<td><a href="/detail/(\d+)/">', whole.content.decode())]
    assert ids == [3000, 3001, 3002]
    exported = list(csv.DictReader(io.StringIO(b"".join(
        client.get("/summary/", {"_export": "csv", "sort": "alerts"}).streaming_content).decode())))
    assert [(row["Customer"], row["Alerts"]) for row in exported] == [("3002", "0"), ("3001", "1"), ("3000", "2")]


def test_the_pages_name_the_weeks_of_history_the_rules_are_set_to(client, alerts, settings):
    assert "over the previous 4 weeks;" in client.get("/alerts/").content.decode()
    settings.ALERT_THRESHOLDS = {"history_weeks": 2}
    assert "over the previous 2 weeks;" in client.get("/alerts/").content.decode()
    detail = client.get("/detail/3000/").content.decode()
    assert "compare with the 2 weeks before: this customer's readings" in detail
