"""Hostile query strings on every page and JSON endpoint: never a 500, never an unescaped echo.

SQL fragments, script tags, enormous and special values, NUL characters and repeated parameters go
into every parameter of the public contract, one at a time and all at once, as a browser would send
them and as an htmx swap would. Area and tariff names that are themselves hostile come from the data.
"""
import csv
import html
import io
import json
from urllib.parse import urlencode

import pytest
from django.conf import settings

from consumption.imports import import_data

SCRIPT = '<script>alert("pwned")</script>'
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
PAYLOADS = [
    "' OR '1'='1' --",
    "1; DROP TABLE consumption_reading; --",
    "a1' UNION SELECT id, area, tariff FROM consumption_customer --",
    SCRIPT,
    ATTRIBUTE,
    "javascript:alert(1)",
    "9" * 5000,
    "99999999999999999999",
    "-1",
    "0",
    "1e309",
    "NaN",
    "2016-02-30",
    "0001-01-01",
    "9999-12-31",
    "-2016-07-15",
    "2016-07-15T00:00:00+99:00",
    "\x00",
    "a1\x00' --",
    "\u202e\ufeff\U0001f600",
    "../../../etc/passwd",
    "%s%s%s%n",
    "{{ settings.SECRET_KEY }}",
    "",
    " ",
]
SUMMARY_PARAMS = ["area", "tariff", "customer", "from", "to", "granularity", "breakdown", "sort", "page", "per_page",
                  "compare", "spread"]
DETAIL_PARAMS = ["granularity", "from", "to", "compare"]
# What a page may answer to a bad query string: itself with a notice, a default, a redirect or a 4xx.
ACCEPTABLE = {200, 301, 302, 400, 404}
HOSTILE_AREA = f"a1{SCRIPT}"
FORMULA_TARIFF = "=cmd|' /C calc'!A0"


@pytest.fixture
def customers(db, data_dir):
    """Two customers imported from files, one with an area and a tariff an attacker chose."""
    rows = "".join(f"2016-07-{15 + i // 48} {i % 48 // 2:02d}:{30 * (i % 2):02d}:00,{100 + i % 48}\n" for i in range(48 * 3))
    import_data(data_dir(
        f"id,area,tariff\n3000,a1,t1\n3001,{HOSTILE_AREA},{FORMULA_TARIFF}\n",
        {"3000.csv": "datetime,consumption\n" + rows, "3001.csv": "datetime,consumption\n" + rows},
    ))


def query_strings(params: list[str], share: int = 1, offset: int = 0) -> list[str]:
    """Each payload in each parameter alone (or every `share`-th pair of them), all together, repeated."""
    single = [
        urlencode({name: value})
        for i, name in enumerate(params) for j, value in enumerate(PAYLOADS) if (i + j + offset) % share == 0
    ]
    together = [urlencode({name: value for name in params}) for value in PAYLOADS]
    repeated = [
        "&".join(f"{name}={value}" for name in params for value in ("a1", "t1", "2016-07-15", "2", "x") * 40),
        urlencode([(name, value) for name in params for value in PAYLOADS], doseq=True),
    ]
    return single + together + repeated


def problems_with(response) -> list[str]:
    """What is wrong with a response to a hostile request; empty when it is safe."""
    if response.status_code not in ACCEPTABLE:
        return [f"status {response.status_code}"]
    content_type = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    body = content.decode("utf-8", errors="replace")
    found = []
    if "Traceback" in body or settings.SECRET_KEY in body:
        found.append("internal detail in the body")
    if content_type.startswith("text/html"):
        found += [f"{raw!r} echoed unescaped" for raw in (SCRIPT, ATTRIBUTE, "<img src=x") if raw in body]
    elif content_type.startswith("application/json"):
        json.loads(body)
    elif content_type.startswith("text/csv"):
        cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
        found += [f"spreadsheet formula {cell!r}" for cell in cells if cell.startswith(("=", "+", "@"))]
    return found


# The renderings of one page share its validation: each takes a different share of the
# parameter-and-payload pairs, so that together they cover every pair and the suite stays quick.
PAGES = [
    ("/", SUMMARY_PARAMS, {}),
    ("/summary/", SUMMARY_PARAMS, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}),
    ("/summary/", SUMMARY_PARAMS, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "customer-table"}),
    ("/summary/chart.json", SUMMARY_PARAMS, {}),
    ("/summary/?_export=csv&", SUMMARY_PARAMS, {}),
    ("/detail/3001/", DETAIL_PARAMS, {}),
    ("/detail/3001/", DETAIL_PARAMS, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "overtime"}),
    ("/detail/3001/", DETAIL_PARAMS, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "period"}),
    ("/detail/3001/chart.json", DETAIL_PARAMS, {}),
    ("/detail/3001/?_export=csv&", DETAIL_PARAMS, {}),
]


@pytest.mark.parametrize("path, params, headers", PAGES, ids=[f"{p} {h.get('HTTP_HX_TARGET', '')}" for p, _, h in PAGES])
def test_it_answers_every_hostile_query_string_without_a_500_or_an_unescaped_echo(
    client, customers, path, params, headers
):
    client.raise_request_exception = False
    failures = {}
    share = 3 if params is SUMMARY_PARAMS else 2
    for query in query_strings(params, share, offset=PAGES.index((path, params, headers))):
        url = path + ("" if path.endswith("&") else "?") + query
        if found := problems_with(client.get(url, **headers)):
            failures[url[:200]] = found
    assert failures == {}


@pytest.mark.parametrize(
    "path",
    ["/detail/99999999999999999999/", "/detail/99999999999999999999/chart.json", "/detail/0/", "/detail/-1/",
     "/detail/3001x/", "/detail/%3Cscript%3E/", "/summary/chart.json/extra", "/%00/"],
)
def test_a_hostile_path_is_a_friendly_404(client, customers, path):
    client.raise_request_exception = False
    response = client.get(path)
    assert response.status_code == 404
    assert "<script>" not in response.content.decode()


def test_area_and_tariff_names_from_the_data_are_escaped_everywhere(client, customers):
    for url in ("/summary/", "/summary/?breakdown=area", "/detail/3001/", f"/summary/?{urlencode({'area': HOSTILE_AREA})}"):
        body = client.get(url).content.decode()
        assert SCRIPT not in body, url
        assert "a1&lt;script&gt;" in body or "a1\\u003Cscript" in body, url
    chart = client.get("/summary/chart.json?breakdown=area").json()
    assert any(HOSTILE_AREA in dataset["label"] for dataset in chart["datasets"])  # data, not markup
    export = b"".join(client.get("/summary/?_export=csv").streaming_content).decode()
    cells = [cell for row in csv.reader(io.StringIO(export)) for cell in row]
    assert FORMULA_TARIFF not in cells and any(cell.endswith(FORMULA_TARIFF) for cell in cells)


# The summary and the detail page validate the period with one form: the same notice, the same outcome.
PERIOD_PAGES = ["/summary/", "/detail/3000/"]


@pytest.mark.parametrize("path", ["/", "/summary/chart.json", "/detail/3001/", "/detail/3001/chart.json", "/alerts/",
                                  "/imports/"])
def test_every_page_answers_head_as_get_and_refuses_post(client, customers, path):
    """HEAD is what link checkers and monitors send; the pages change nothing, so POST has no place."""
    assert client.head(path).status_code == 200
    assert client.post(path).status_code == 405


@pytest.mark.parametrize("path", PERIOD_PAGES)
def test_a_reversed_period_is_swapped_with_the_same_notice_on_every_page(client, customers, path):
    response = client.get(path, {"from": "2016-07-17", "to": "2016-07-16"})
    assert response.status_code == 200
    assert "The period’s start was after its end: the two dates were swapped." in response.content.decode()
    assert "16 Jul 2016 – 17 Jul 2016" in response.content.decode()
    # The period form shows the dates as applied.
    assert 'name="from" value="2016-07-16"' in response.content.decode()
    assert 'name="to" value="2016-07-17"' in response.content.decode()


@pytest.mark.parametrize("path", PERIOD_PAGES)
@pytest.mark.parametrize(("params", "notice"), [
    ({"from": "2016-02-30"}, "“From” must be a date from 1900-01-01 to 2999-12-31, written like 2016-07-15: "
                             "the period starts with the data."),
    ({"to": "0001-01-01"}, "“To” must be a date from 1900-01-01 to 2999-12-31, written like 2016-07-15: "
                           "the period ends with the data."),
    ({"granularity": "fortnight"}, "Granularity “fortnight” is not"),
])
def test_a_malformed_period_gets_the_same_notice_on_every_page(client, customers, path, params, notice):
    response = client.get(path, params)
    assert response.status_code == 200
    assert notice in html.unescape(response.content.decode())
    assert "15 Jul 2016 – 17 Jul 2016" in response.content.decode()  # the whole period instead
