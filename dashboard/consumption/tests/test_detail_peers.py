"""The detail page's peer figures, read from the import's day blocks and median windows, against the
same figures computed the long way from every peer's readings: at a size where a bug would show
(hundreds of peers, odd and even group sizes, gaps, days too short for a base load)."""
import random
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from consumption.units import next_month

from . import population
from .population import imported

FIRST_DAY = date(2016, 7, 25)
DAYS = 40  # to 2 September: three months, six weeks cut at both ends
SLOTS_READ = range(0, 48, 4)  # twelve half hours a day keep the import small; eight make a base load
AREAS = {"odd": 201, "even": 200}


def people() -> dict[int, tuple[str, str]]:
    return population.people(AREAS, first_id=5000)


def readings_of(customer_id: int) -> list[tuple[datetime, float]]:
    """Seeded readings with gaps: some customers start late or stop early, skip days, or read too few
    half hours in a day to have a base load."""
    rng = random.Random(customer_id)
    first, last = rng.choice([0, 0, 0, 9]), DAYS - rng.choice([0, 0, 0, 12])
    rows = []
    for day in range(first, last):
        if rng.random() < 0.1:
            continue  # a missing day
        slots = SLOTS_READ if rng.random() > 0.1 else SLOTS_READ[:5]
        for slot in slots:
            moment = datetime.combine(FIRST_DAY + timedelta(days=day), datetime.min.time()) + timedelta(minutes=30 * slot)
            rows.append((moment, round(rng.uniform(5, 900) * (1 + customer_id % 7), 3)))
    return rows


@pytest.fixture(scope="module")
def peers_data(django_db_setup, django_db_blocker, tmp_path_factory):
    """Imported once for the module: every customer's area and tariff, and readings as written."""
    everyone = people()
    with imported(tmp_path_factory.mktemp("peers") / "data", everyone, readings_of, django_db_blocker) as written:
        yield everyone, written

def in_period(rows, start: date, end: date):
    return [(moment, wh) for moment, wh in rows if start <= moment.date() <= end]


def figures(rows) -> dict:
    """One customer's compared statistics, the long way."""
    by_day = defaultdict(list)
    for moment, wh in rows:
        by_day[moment.date()].append(wh)
    total = sum(wh for _, wh in rows)
    peak = max(wh for _, wh in rows)
    bases = [sum(sorted(values)[:8]) / 8 for values in by_day.values() if len(values) >= 8]
    mean_kw = total / 1000 / (len(rows) / 2)
    return {
        "total_kwh": total / 1000, "average_daily_kwh": total / 1000 / len(by_day), "peak_kw": peak * 2 / 1000,
        "base_load_kw": sum(bases) / len(bases) * 2 / 1000 if bases else None, "load_factor": mean_kw / (peak * 2 / 1000),
    }


def median_of(values) -> float | None:
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def bucket_of(day: date, granularity: str) -> date:
    return {"day": day, "week": day - timedelta(days=day.weekday()), "month": day.replace(day=1)}[granularity]


def mean_profile(rows) -> dict[tuple[bool, int], float]:
    sums = defaultdict(list)
    for moment, wh in rows:
        sums[moment.weekday() >= 5, moment.hour * 2 + moment.minute // 30].append(wh)
    return {key: sum(values) / len(values) for key, values in sums.items()}


@pytest.mark.django_db
def test_a_customer_without_readings_is_compared_with_peers_over_all_the_data(client, peers_data):
    everyone, written = peers_data
    from consumption.models import Customer

    Customer.objects.create(id=9999, area="odd", tariff="t2")
    response = client.get("/detail/9999/")
    comparison = response.context["peer_figures"]
    assert comparison.customer.readings == 0
    odd = [figures(rows) for pk, rows in written.items() if everyone[pk][0] == "odd"]
    assert comparison.area.peers == len(odd)
    assert comparison.area.total_kwh == pytest.approx(median_of(peer["total_kwh"] for peer in odd), rel=1e-9)
    assert response.context["peers_profile"].peers == len(odd)


def assert_close(found: list, expected: list) -> None:
    """The same list, None where expected is None, and otherwise equal to within rounding."""
    assert [value is None for value in found] == [value is None for value in expected]
    assert [value for value in found if value is not None] == pytest.approx(
        [value for value in expected if value is not None], rel=1e-9)


# (customer, from, to): an odd area and an even one, a customer with gaps, periods cutting weeks and
# months, one day, and a period reaching past the data.
CASES = [
    (5000, "2016-07-25", "2016-09-02"),
    (5003, "2016-08-03", "2016-08-27"),
    (5250, "2016-07-27", "2016-08-16"),
    (5251, "2016-08-10", "2016-08-10"),
    (5390, "2016-06-01", "2016-12-31"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("customer_id, start, end", CASES)
def test_the_statistics_medians_are_those_of_the_peers_over_exactly_the_period(client, peers_data, customer_id, start, end):
    everyone, written = peers_data
    start_day, end_day = date.fromisoformat(start), date.fromisoformat(end)
    comparison = client.get(f"/detail/{customer_id}/", {"from": start, "to": end}).context["peer_figures"]
    area, tariff = everyone[customer_id]
    for group, key, index in ((comparison.area, area, 0), (comparison.tariff, tariff, 1)):
        peers = [
            figures(rows) for pk, rows in ((pk, in_period(written[pk], start_day, end_day)) for pk in everyone)
            if pk != customer_id and everyone[pk][index] == key and rows
        ]
        assert group.peers == len(peers) > 100
        for name in ("total_kwh", "average_daily_kwh", "peak_kw", "base_load_kw", "load_factor"):
            assert getattr(group, name) == pytest.approx(median_of(peer[name] for peer in peers), rel=1e-9), name


@pytest.mark.django_db
@pytest.mark.parametrize("granularity", ["day", "week", "month"])
@pytest.mark.parametrize("customer_id, start, end", CASES)
def test_the_series_median_is_that_of_the_area_peers_over_the_same_days(client, peers_data, customer_id, start, end, granularity):
    everyone, written = peers_data
    start_day, end_day = date.fromisoformat(start), date.fromisoformat(end)
    body = client.get(f"/detail/{customer_id}/chart.json", {"from": start, "to": end, "granularity": granularity}).json()
    by_bucket = defaultdict(lambda: defaultdict(float))
    for pk, rows in written.items():
        if everyone[pk][0] == everyone[customer_id][0] and pk != customer_id:
            for moment, wh in in_period(rows, start_day, end_day):
                by_bucket[bucket_of(moment.date(), granularity)][pk] += wh
    period_format = "%Y-%m" if granularity == "month" else "%Y-%m-%d"
    own = {bucket_of(moment.date(), granularity).strftime(period_format) for moment, _ in in_period(written[customer_id], start_day, end_day)}
    assert body["labels"] == sorted(own)
    expected = {bucket.strftime(period_format): median_of(sums.values()) / 1000 for bucket, sums in by_bucket.items()}
    assert body["datasets"][1]["data"] == pytest.approx([expected[label] for label in body["labels"]], rel=1e-9)


@pytest.mark.django_db
@pytest.mark.parametrize("customer_id, start, end", CASES)
def test_the_profile_median_is_that_of_the_area_peers_over_the_whole_months_the_period_touches(client, peers_data, customer_id, start, end):
    everyone, written = peers_data
    response = client.get(f"/detail/{customer_id}/", {"from": start, "to": end})
    last_day = FIRST_DAY + timedelta(days=DAYS - 1)
    first_month = max(date.fromisoformat(start), FIRST_DAY).replace(day=1)
    last_month = min(date.fromisoformat(end), last_day).replace(day=1)
    months_end = next_month(last_month) - timedelta(days=1)
    profiles = [
        mean_profile(in_period(rows, first_month, months_end)) for pk, rows in written.items()
        if everyone[pk][0] == everyone[customer_id][0] and pk != customer_id
    ]
    chart = response.context["profile_chart"]
    for weekend, dataset in ((False, chart["datasets"][2]), (True, chart["datasets"][3])):
        expected = [median_of(profile.get((weekend, slot)) for profile in profiles) for slot in range(48)]
        assert_close(dataset["data"], [None if wh is None else wh * 2 / 1000 for wh in expected])
    # The page says which months the peers' profile is taken over.
    months = f"{first_month:%B %Y}" + (f" to {last_month:%B %Y}" if last_month != first_month else "")
    assert f"taken over the whole months the period touches ({months})" in " ".join(response.content.decode().split())
    # The customer's own profile is over exactly the period.
    own = mean_profile(in_period(written[customer_id], date.fromisoformat(start), date.fromisoformat(end)))
    assert_close(chart["datasets"][0]["data"], [own[False, slot] * 2 / 1000 if (False, slot) in own else None for slot in range(48)])
