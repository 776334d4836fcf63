"""The summary page, its fragments, chart.json and the CSV export: figures checked against sums made here."""
import csv
import io
import json
import re
from datetime import datetime, timedelta

import pytest
from django.test import Client

from consumption.imports import import_data
from consumption.tests.factories import START

pytestmark = pytest.mark.django_db

DAY = 48
# Three customers over two days (2016-07-15 and 16), in three area/tariff groups:
#   5001 a1/t1: 96 readings, 100 Wh then 200 Wh a half hour, one 900 Wh spike at 2016-07-16 19:00;
#   5002 a1/t2: 24 readings of 50 Wh on the first day only (half a day missing);
#   5003 a2/t1: 96 readings of 10 Wh.
CUSTOMER_1 = [100.0] * DAY + [200.0] * 38 + [900.0] + [200.0] * 9
CUSTOMER_2 = [50.0] * 24
CUSTOMER_3 = [10.0] * (2 * DAY)


def readings_csv(values: list[float], start: datetime = START) -> str:
    return "datetime,consumption\n" + "".join(
        f"{start + timedelta(minutes=30 * i):%Y-%m-%d %H:%M:%S},{wh}\n" for i, wh in enumerate(values))


@pytest.fixture
def load(data_dir):
    """Import customers given as {id: (area, tariff, readings CSV text)} through the real importer."""

    def load(customers: dict[int, tuple[str, str, str]]) -> None:
        lines = "".join(f"{id},{area},{tariff}\n" for id, (area, tariff, _) in customers.items())
        files = {f"{id}.csv": text for id, (_, _, text) in customers.items()}
        import_data(data_dir(customers="id,area,tariff\n" + lines, files=files))

    return load


@pytest.fixture
def customers(load):
    load({
        5001: ("a1", "t1", readings_csv(CUSTOMER_1)),
        5002: ("a1", "t2", readings_csv(CUSTOMER_2)),
        5003: ("a2", "t1", readings_csv(CUSTOMER_3)),
    })
    return {5001: CUSTOMER_1, 5002: CUSTOMER_2, 5003: CUSTOMER_3}


def get(client: Client, url: str = "/summary/", htmx_target: str | None = None, **params):
    headers = {"HX-Request": "true", "HX-Target": htmx_target} if htmx_target else {}
    return client.get(url, params, headers=headers)


def chart(client: Client, **params) -> dict:
    response = client.get("/summary/chart.json", params)
    assert response.status_code == 200
    return response.json()


def csv_rows(client: Client, **params) -> list[dict]:
    response = client.get("/summary/", {**params, "_export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming  # the first line leaves before every customer is read
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def ids_in_table(response) -> list[int]:
    """The customers the table shows, in order, read from their links to the detail page."""
    return [int(found) for found in re.findall(r'<td><a href="/detail/(\d+)/">', response.content.decode())]


# The full page and its fragments

def test_it_shows_the_headline_figures_of_all_customers(client, customers):
    response = get(client)
    assert response.status_code == 200
    figures = response.context["figures"]
    total_wh = sum(map(sum, customers.values()))
    assert figures["customers"] == 3
    assert figures["total_kwh"] == pytest.approx(total_wh / 1000)
    # Customer-days with data: 2 + 1 + 2.
    assert figures["avg_daily_kwh"] == pytest.approx(total_wh / 5 / 1000)
    # Combined demand peaks at 2016-07-16 19:00: 900 Wh + 10 Wh in the half hour.
    assert figures["peak_kw"] == pytest.approx(910 * 2 / 1000)
    assert figures["peak_at"] == datetime(2016, 7, 16, 19, 0)
    assert figures["coverage_pct"] == "75.00"  # (96 + 24 + 96) / (48 × 2 days × 3 customers)
    html = response.content.decode()
    assert f"{total_wh / 1000:,.1f} kWh" in html
    assert "1.82 kW" in html
    assert "75.00 %" in html
    assert "Sat 16 Jul 2016, 19:00–19:30" in html


def test_it_serves_the_same_page_at_the_root(client, customers):
    response = client.get("/")
    assert response.status_code == 200
    assert "Consumption summary" in response.content.decode()


def test_it_lists_every_customer_with_its_totals(client, customers):
    response = get(client)
    html = response.content.decode()
    assert ids_in_table(response) == [5001, 5002, 5003]
    assert 'href="/detail/5001/"' in html
    assert f"{sum(CUSTOMER_1) / 1000:,.1f}" in html
    assert f"{sum(CUSTOMER_1) / 2 / 1000:,.2f}" in html  # average daily kWh
    assert "1.80" in html  # 5001's peak, 900 Wh in a half hour, in kW
    assert "25.0" in html  # 5002's coverage: 24 of 96 readings


@pytest.mark.parametrize("period", [{"from": "2016-08-01", "to": "2016-08-31"}, {"from": "2016-06-01", "to": "2016-06-30"}])
def test_it_lists_every_customer_with_nothing_for_a_period_outside_the_data(client, customers, period):
    response = get(client, compare="previous", **period)
    assert ids_in_table(response) == [5001, 5002, 5003]
    assert response.context["figures"]["customers"] == 3
    rows = csv_rows(client, compare="previous", **period)
    assert [int(row["Customer"]) for row in rows] == [5001, 5002, 5003]
    assert {(row["Total (kWh)"], row["Peak (kW)"], row["Days with data"]) for row in rows} == {("0.0", "", "0")}


def test_it_filters_on_area_and_tariff_with_several_values(client, customers):
    response = get(client, area=["a1"])
    assert ids_in_table(response) == [5001, 5002]
    assert response.context["figures"]["total_kwh"] == pytest.approx((sum(CUSTOMER_1) + sum(CUSTOMER_2)) / 1000)
    assert ids_in_table(get(client, tariff=["t1"])) == [5001, 5003]
    assert ids_in_table(get(client, area=["a1", "a2"], tariff=["t2"])) == [5002]


def test_it_takes_filter_choices_from_the_data(client, customers):
    form = get(client).context["filter"].form
    assert [value for value, _ in form.fields["area"].choices] == ["a1", "a2"]
    assert [value for value, _ in form.fields["tariff"].choices] == ["t1", "t2"]


def test_it_filters_on_one_customer_from_its_daily_figures(client, customers):
    response = get(client, customer="5001")
    figures = response.context["figures"]
    assert ids_in_table(response) == [5001]
    assert figures["total_kwh"] == pytest.approx(sum(CUSTOMER_1) / 1000)
    assert figures["peak_kw"] == pytest.approx(1.8)
    assert figures["peak_at"] == datetime(2016, 7, 16, 19, 0)
    assert figures["coverage_pct"] == "100.00"


def test_it_sums_a_period_from_the_daily_aggregates(client, customers):
    response = get(client, **{"from": "2016-07-16", "to": "2016-07-16"})
    figures = response.context["figures"]
    assert figures["total_kwh"] == pytest.approx((sum(CUSTOMER_1[DAY:]) + sum(CUSTOMER_3[DAY:])) / 1000)
    assert figures["customers"] == 3
    assert figures["customers_with_data"] == 2
    assert figures["coverage_pct"] == "66.66"  # 96 of 144, rounded down
    rows = {row.record.id: row.record for row in response.context["table"].paginated_rows}
    assert rows[5001].period_wh == pytest.approx(sum(CUSTOMER_1[DAY:]))
    assert rows[5001].period_peak_at == datetime(2016, 7, 16, 19, 0)
    assert rows[5002].period_wh == 0 and rows[5002].period_days == 0 and rows[5002].period_peak_wh is None
    assert "0.0" in response.content.decode()  # 5002's coverage in a period it has no readings


def test_it_renders_the_results_fragment_for_a_filter_change(client, customers):
    response = get(client, htmx_target="results", area=["a2"])
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html and 'id="filters"' not in html
    assert 'id="customer-table"' in html and 'id="summary-chart"' in html
    assert response["Vary"] == "HX-Request"


def test_it_renders_the_table_fragment_for_sorting_and_paging(client, customers):
    response = get(client, htmx_target="customer-table", sort="-total_kwh")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="customer-table"')
    assert "summary-chart" not in html
    assert ids_in_table(response) == [5001, 5002, 5003]


def test_it_renders_the_full_page_for_a_history_restore(client, customers):
    response = client.get("/summary/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true",
                                                "HX-Target": "results"})
    assert "<html" in response.content.decode()
    assert response["Vary"] == "HX-Request"


# Sorting and paging

@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("total_kwh", [5003, 5002, 5001]),
        ("-total_kwh", [5001, 5002, 5003]),
        ("-id", [5003, 5002, 5001]),
        ("area", [5001, 5002, 5003]),
        ("-tariff", [5002, 5003, 5001]),  # ties by id, in the same direction
        ("avg_daily_kwh", [5003, 5002, 5001]),
        ("-peak_kw", [5001, 5002, 5003]),
        ("coverage", [5002, 5001, 5003]),
        ("-days", [5003, 5001, 5002]),
    ],
)
def test_it_sorts_on_every_column(client, customers, sort, expected):
    assert ids_in_table(get(client, sort=sort)) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # On 2016-07-16: 5001 10,300 Wh, peak 900 Wh at 19:00; 5002 nothing; 5003 480 Wh, peak 10 Wh at 00:00.
        ("total_kwh", [5002, 5003, 5001]),
        ("-peak_kw", [5001, 5003, 5002]),
        ("peak_at", [5003, 5001, 5002]),
        ("-peak_at", [5001, 5003, 5002]),
        ("-avg_daily_kwh", [5001, 5003, 5002]),
        ("group_percentile", [5001, 5002, 5003]),  # each alone in their group: no rank, ties by id
        ("-group_percentile", [5003, 5002, 5001]),
        (["area", "-total_kwh"], [5001, 5002, 5003]),  # the first the most significant
        (["-area", "total_kwh"], [5003, 5002, 5001]),
    ],
)
def test_it_sorts_a_period_on_every_column(client, customers, sort, expected):
    period = {"from": "2016-07-16", "to": "2016-07-16"}
    assert ids_in_table(get(client, sort=sort, **period)) == expected
    assert [int(row["Customer"]) for row in csv_rows(client, sort=sort, **period)] == expected


@pytest.mark.parametrize("period", [{}, {"from": "2016-07-15", "to": "2016-07-16"}])
def test_it_lists_a_customer_without_any_readings_with_nothing_and_last(client, load, period):
    load({5001: ("a1", "t1", readings_csv(CUSTOMER_1)), 5004: ("a1", "t1", readings_csv([])),
          5005: ("a1", "t1", readings_csv(CUSTOMER_3))})
    rows = {int(row["Customer"]): row for row in csv_rows(client, **period)}
    assert rows[5004] | {"Customer": "", "Area": "", "Tariff": ""} == {
        "Customer": "", "Area": "", "Tariff": "", "Total (kWh)": "0.0", "Percentile in group": "",
        "Average daily (kWh/day)": "", "Peak (kW)": "", "Peak at": "", "Days with data": "0",
        "Coverage (%)": "0.0", "Alerts": "0"}
    assert (rows[5001]["Percentile in group"], rows[5005]["Percentile in group"]) == ("100.0", "0.0")  # of two
    assert ids_in_table(get(client, sort="-peak_kw", **period)) == [5001, 5005, 5004]
    assert ids_in_table(get(client, sort="avg_daily_kwh", **period)) == [5005, 5001, 5004]
    assert ids_in_table(get(client, sort="total_kwh", **period)) == [5004, 5005, 5001]
    assert get(client, **period).context["figures"]["customers"] == 3
    assert get(client, **period).context["figures"]["customers_with_data"] == 2
    assert ids_in_table(get(client, customer="5004", **period)) == [5004]


def test_it_sorts_by_alerts_in_the_period(client, customers):
    from consumption.models import Alert

    counts = {pk: Alert.objects.filter(customer=pk).for_period(START.date(), START.date()).count()
              for pk in customers}
    expected = sorted(customers, key=lambda pk: (counts[pk], pk), reverse=True)
    assert ids_in_table(get(client, sort="-alerts", **{"from": "2016-07-15", "to": "2016-07-15"})) == expected


def test_it_sorts_customers_without_readings_last_both_ways(client, customers):
    period = {"from": "2016-07-16", "to": "2016-07-16"}
    assert ids_in_table(get(client, sort="peak_kw", **period))[-1] == 5002
    assert ids_in_table(get(client, sort="-peak_kw", **period))[-1] == 5002


def test_it_pages_the_table(client, customers):
    response = get(client, per_page="2", page="2")
    assert ids_in_table(response) == [5003]
    html = response.content.decode()
    assert "Page 2 of 2" in html
    assert 'hx-get="/summary/?per_page=2&amp;page=1"' in html


def test_it_keeps_filters_in_sort_and_page_links(client, customers):
    html = get(client, area=["a1"], per_page="1").content.decode()
    assert 'href="/summary/?area=a1&amp;per_page=1&amp;sort=-total_kwh"' not in html  # not yet sorted
    assert 'href="/summary/?area=a1&amp;per_page=1&amp;sort=total_kwh"' in html
    assert 'hx-get="/summary/?area=a1&amp;per_page=1&amp;page=2"' in html


# Bad input: a notice and a default, never an error

@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"sort": "password"}, "cannot be sorted by “password”"),
        ({"sort": "x" * 5000}, f"cannot be sorted by “{'x' * 40}…”"),  # named, never echoed at any length
        ({"page": "99"}, "There is no page 99: showing the last page, 1."),
        ({"page": "abc"}, "The page must be a whole number"),
        ({"page": "-1"}, "The page must be a whole number"),
        ({"per_page": "0"}, "Rows per page must be a whole number from 1 to 500: showing 25."),
        ({"per_page": "-1"}, "Rows per page must be a whole number from 1 to 500"),
        ({"per_page": str(10**9)}, "Rows per page must be a whole number from 1 to 500"),
        ({"per_page": "lots"}, "Rows per page must be a whole number from 1 to 500"),
        ({"granularity": "hour"}, "Granularity “hour” is not day, week or month: showing days."),
        ({"breakdown": "colour"}, "Breakdown “colour” is not area or tariff"),
        ({"from": "2016-02-30"}, "“From” must be a date from 1900-01-01 to 2999-12-31, written like 2016-07-15"),
        ({"to": "yesterday"}, "“To” must be a date from 1900-01-01 to 2999-12-31"),
        ({"to": "9999-12-31"}, "“To” must be a date from 1900-01-01 to 2999-12-31"),
        ({"from": "0001-01-01"}, "“From” must be a date from 1900-01-01 to 2999-12-31"),
        ({"customer": "99999999999999999999"}, "Customer must be a customer id"),
        ({"customer": "-5"}, "Customer must be a customer id"),
        ({"from": "2016-07-16", "to": "2016-07-15"}, "the two dates were swapped"),
        ({"area": ["a1", "a9"]}, "No area “a9” in the data: ignored."),
        ({"tariff": "<b>t9</b>"}, "No tariff “&lt;b&gt;t9&lt;/b&gt;” in the data: ignored."),
        ({"customer": "x1"}, "Customer must be a customer id (a whole number): showing all customers."),
    ],
)
def test_it_explains_bad_input_and_carries_on(client, customers, params, notice):
    response = get(client, **params)
    assert response.status_code == 200
    assert notice in response.content.decode()
    assert ids_in_table(response)
    assert chart(client, **params)["labels"]


def test_it_applies_the_valid_values_beside_a_bad_one(client, customers):
    assert ids_in_table(get(client, area=["a2", "nowhere"])) == [5003]


def test_it_shows_an_empty_table_for_an_unknown_customer(client, customers):
    response = get(client, customer="4242")
    assert response.status_code == 200
    assert ids_in_table(response) == []
    assert "No customers match these filters." in response.content.decode()
    assert "No readings for these customers in this period." in response.content.decode()


def test_it_shows_a_period_beyond_the_data_as_empty(client, customers):
    response = get(client, **{"from": "2030-01-01"})
    assert response.status_code == 200
    assert response.context["figures"]["total_kwh"] == 0
    assert chart(client, **{"from": "2030-01-01"})["labels"] == []


def test_it_explains_how_to_import_when_the_database_is_empty(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "No readings have been imported yet" in html
    assert "python dashboard/manage.py import --data-dir DIR" in html and "make run" in html
    assert chart(client)["labels"] == []
    export = client.get("/", {"_export": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    assert b"".join(export.streaming_content).decode().startswith("Customer,Area,Tariff,Total (kWh),")


# chart.json

def test_it_returns_the_chart_data_by_day(client, customers):
    data = chart(client)
    day_1 = (sum(CUSTOMER_1[:DAY]) + sum(CUSTOMER_2) + sum(CUSTOMER_3[:DAY])) / 1000
    day_2 = (sum(CUSTOMER_1[DAY:]) + sum(CUSTOMER_3[DAY:])) / 1000
    assert data["unit"] == "kWh" and data["granularity"] == "day"
    assert data["labels"] == ["2016-07-15", "2016-07-16"]
    assert data["datasets"][0]["label"] == "Total"
    assert data["datasets"][0]["data"] == pytest.approx([day_1, day_2])
    assert data["datasets"][1]["label"] == "Average per customer"
    # Rounded to the watt-hour.
    assert data["datasets"][1]["data"] == pytest.approx([day_1 / 3, day_2 / 3], abs=0.0005)


def test_it_groups_the_chart_by_week_and_month(client, customers):
    total = sum(map(sum, customers.values())) / 1000
    weekly = chart(client, granularity="week")
    assert weekly["labels"] == ["2016-07-11"]  # the Monday starting the week of 15 July
    assert weekly["datasets"][0]["data"] == pytest.approx([total])
    monthly = chart(client, granularity="month")
    assert monthly["labels"] == ["2016-07"]
    assert monthly["datasets"][0]["data"] == pytest.approx([total])


def test_it_breaks_the_chart_down_by_area_and_tariff(client, customers):
    data = chart(client, breakdown="area", granularity="month")
    assert [d["label"] for d in data["datasets"]] == ["Total", "Average per customer", "Area a1", "Area a2"]
    assert data["datasets"][2]["data"] == pytest.approx([(sum(CUSTOMER_1) + sum(CUSTOMER_2)) / 1000])
    assert data["datasets"][3]["data"] == pytest.approx([sum(CUSTOMER_3) / 1000])
    by_tariff = chart(client, breakdown="tariff", granularity="month", area="a1")
    assert [d["label"] for d in by_tariff["datasets"]][2:] == ["Tariff t1", "Tariff t2"]


def test_it_divides_the_average_by_customers_with_readings_in_the_period(client, customers):
    data = chart(client, **{"from": "2016-07-16"})
    day_2 = (sum(CUSTOMER_1[DAY:]) + sum(CUSTOMER_3[DAY:])) / 1000
    assert data["customers_with_data"] == 2
    assert data["datasets"][1]["data"] == pytest.approx([day_2 / 2])


def test_it_charts_one_customer_from_its_own_days(client, customers):
    data = chart(client, customer="5002")
    assert data["labels"] == ["2016-07-15"]
    assert data["datasets"][0]["data"] == pytest.approx([sum(CUSTOMER_2) / 1000])


def test_it_leaves_a_gap_for_a_day_without_readings(client, load):
    load({5010: ("a1", "t1", readings_csv([100.0] * DAY) + readings_csv([100.0] * DAY, START + timedelta(days=2))
                 .removeprefix("datetime,consumption\n"))})
    data = chart(client)
    assert data["labels"] == ["2016-07-15", "2016-07-16", "2016-07-17"]
    assert data["datasets"][0]["data"] == [4.8, None, 4.8]


def test_it_puts_the_chart_data_in_the_page(client, customers):
    html = get(client, granularity="week").content.decode()
    start = html.index('<script id="summary-chart" type="application/json">') + len(
        '<script id="summary-chart" type="application/json">')
    spec = json.loads(html[start:html.index("</script>", start)])
    assert spec["labels"] == chart(client, granularity="week")["labels"]


# CSV export

def test_it_exports_every_filtered_sorted_row_with_units(client, customers):
    rows = csv_rows(client, sort="-total_kwh", per_page="1", page="1")
    assert [row["Customer"] for row in rows] == ["5001", "5002", "5003"]
    assert list(rows[0]) == ["Customer", "Area", "Tariff", "Total (kWh)", "Percentile in group",
                             "Average daily (kWh/day)", "Peak (kW)", "Peak at", "Days with data", "Coverage (%)",
                             "Alerts"]
    # Each customer is alone in their area and tariff: nobody to rank against.
    assert {row["Percentile in group"] for row in rows} == {""}
    assert float(rows[0]["Total (kWh)"]) == pytest.approx(sum(CUSTOMER_1) / 1000)
    assert rows[0]["Peak (kW)"] == "1.8" and rows[0]["Peak at"] == "2016-07-16 19:00"
    assert float(rows[1]["Coverage (%)"]) == 25.0
    assert [row["Customer"] for row in csv_rows(client, area="a1")] == ["5001", "5002"]


def test_it_leaves_empty_cells_for_customers_without_readings_in_the_period(client, customers):
    rows = {row["Customer"]: row for row in csv_rows(client, **{"from": "2016-07-16"})}
    assert rows["5002"]["Total (kWh)"] == "0.0"
    assert rows["5002"]["Peak (kW)"] == "" and rows["5002"]["Peak at"] == ""


def test_it_escapes_names_from_files_everywhere(client, load):
    load({5020: ("=HYPERLINK(1)", "<script>alert(1)</script>", readings_csv([100.0] * DAY))})
    html = get(client).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    [row] = csv_rows(client)
    assert row["Area"] == "'=HYPERLINK(1)"
    assert row["Tariff"] == "<script>alert(1)</script>"
    data = chart(client, breakdown="tariff")
    assert data["datasets"][2]["label"] == "Tariff <script>alert(1)</script>"  # JSON-escaped, never HTML
    assert "<script>alert" not in get(client, breakdown="tariff").content.decode()


# Speed: a fixed number of queries whatever the number of customers

@pytest.fixture
def many_customers(load):
    def many_customers(count: int) -> None:
        load({6000 + index: (f"a{index % 3}", f"t{index % 2}", readings_csv([float(index)] * 4))
              for index in range(count)})

    return many_customers


@pytest.mark.parametrize("count", [2, 30])
@pytest.mark.parametrize(
    ("params", "target", "queries"),
    [
        ({}, None, 11),
        ({"from": "2016-07-15", "area": "a1", "breakdown": "tariff"}, None, 11),
        ({"customer": "6001"}, None, 12),  # their area and tariff first: ranked among their whole group
        ({"customer": "6001", "from": "2016-07-15"}, None, 12),
        ({"area": "a1"}, "results", 11),
        ({"sort": "-total_kwh"}, "customer-table", 7),
        ({"_export": "csv", "from": "2016-07-15"}, None, 7),
        ({"page": "99", "per_page": "1"}, "customer-table", 7),
        # a period after the data beside one with data: its totals and series, every customer with nothing
        ({"from": "2016-07-16", "compare": "previous"}, None, 14),
        ({"compare": "year", "sort": "-change_pct"}, None, 12),
        ({"compare": "previous", "sort": "-change_pct"}, "customer-table", 7),  # no day before the data
    ],
)
def test_it_makes_a_fixed_number_of_queries(client, django_assert_num_queries, many_customers, count, params, target,
                                           queries):
    many_customers(count)
    # Bounds and filter choices; the table's figures from the groups' peak blocks and running totals
    # (two queries), the customers without readings, and the peak times and alert counts of the
    # page's customers (exported: of each chunk of rows); for the results, the totals, peak,
    # customers with alerts (in all and by kind, one query) and chart.
    # ATOMIC_REQUESTS adds a savepoint and its release inside the test's transaction.
    with django_assert_num_queries(queries + 2):
        response = get(client, htmx_target=target, **params)
        assert response.status_code == 200
        if response.streaming:  # the CSV export reads its rows as it is sent
            b"".join(response.streaming_content)


@pytest.mark.parametrize("count", [2, 30])
def test_it_makes_a_fixed_number_of_queries_for_chart_json(client, django_assert_num_queries, many_customers, count):
    many_customers(count)
    with django_assert_num_queries(4 + 2):
        chart(client, area="a1", granularity="week")


def test_it_never_rounds_incomplete_coverage_up_to_complete():
    from consumption.tables import percent_text

    assert percent_text(99.97) == "99.9"
    assert percent_text(99.999, 2) == "99.99"
    assert percent_text(100.0) == "100.0"


def test_ties_share_a_percentile_and_a_customer_alone_has_none(client, data_dir):
    """Two customers of a1/t1 with the same readings, a third below them, and one alone on a2/t9."""
    def readings(wh: float) -> str:
        return "datetime,consumption\n" + "".join(f"2016-07-15 {h:02d}:00:00,{wh}\n" for h in range(10))

    import_data(data_dir("id,area,tariff\n1,a1,t1\n2,a1,t1\n3,a1,t1\n4,a2,t9\n",
                         {"1.csv": readings(50.0), "2.csv": readings(50.0), "3.csv": readings(20.0), "4.csv": readings(9.0)}))
    response = client.get("/summary/", {"_export": "csv", "sort": "-group_percentile"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["Customer"], row["Percentile in group"]) for row in rows] == [
        ("2", "50.0"), ("1", "50.0"), ("3", "0.0"), ("4", "")]  # ties by id, the same way round
    one = client.get("/summary/", {"customer": "1"}).context["table"].page.object_list[0].record
    assert one.group_rank == 0.5  # ranked in their whole group, as in the window
    standing = client.get("/detail/1/").context["peer_figures"].standing
    assert (standing.area, standing.tariff, standing.base) == (50.0, 50.0, 200 / 3)
