"""Rankings and peaks: the summary's top peaks, checked against the readings as written."""
from collections import defaultdict
from datetime import timedelta

import pytest

from .population import PERIOD, people, written  # noqa: F401 (written: the fixture)

pytestmark = pytest.mark.django_db


def highest_half_hours(written, customers, count: int = 10) -> list[tuple]:
    """(timestamp, kW) of the `count` half hours of PERIOD with the most Wh of `customers` together."""
    combined = defaultdict(float)
    for pk in customers:
        for moment, wh in written[pk]:
            if PERIOD[0] <= moment.date() <= PERIOD[1]:
                combined[moment] += wh
    ranked = sorted(combined.items(), key=lambda item: (-item[1], item[0]))[:count]
    return [(moment, wh * 2 / 1000) for moment, wh in ranked]


@pytest.mark.parametrize("filters", [{}, {"area": "even"}, {"tariff": "t2"}, {"customer": "7003"}])
def test_the_top_peaks_are_the_highest_half_hours_of_the_filtered_customers(client, written, filters):
    everyone = people()
    chosen = [pk for pk, (area, tariff) in everyone.items()
              if filters.get("area", area) == area and filters.get("tariff", tariff) == tariff
              and int(filters.get("customer", pk)) == pk]
    expected = highest_half_hours(written, chosen)
    response = client.get("/summary/", {"from": PERIOD[0], "to": PERIOD[1], **filters})
    peaks = response.context["figures"]["top_peaks"]
    assert [peak["start"] for peak in peaks] == [moment for moment, _ in expected]
    assert [peak["kw"] for peak in peaks] == pytest.approx([kw for _, kw in expected])
    assert peaks[0]["end"] == expected[0][0] + timedelta(minutes=30)
    assert response.context["figures"]["peak_kw"] == pytest.approx(expected[0][1])
    text = response.content.decode()
    first = expected[0][0]
    assert f"{first.day} {first:%b %Y, %H:%M}–" in text and f"<td>{first:%A}</td>" in text
    if "customer" in filters:
        assert f'href="/detail/7003/?from={first:%Y-%m-%d}&amp;to={first:%Y-%m-%d}&amp;granularity=halfhour"' in text
    else:
        assert f"from={first:%Y-%m-%d}&amp;to={first:%Y-%m-%d}" in text
