"""The summary's customers with alerts, in all and by kind, read from the groups' alert bitmaps
(GroupAlertBlocks), against the same counts from the alerts themselves, on a generated population."""
from datetime import date

import pytest

from consumption.models import Alert, Customer

from .population import PERIOD, people, written  # noqa: F401 (written: the fixture)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("period", [PERIOD, (date(2015, 1, 15), date(2016, 9, 6)), (date(2016, 3, 1), date(2016, 3, 1)),
                                    (date(2016, 2, 27), date(2016, 3, 3)), (date(2010, 1, 1), date(2010, 2, 1))])
@pytest.mark.parametrize("filters", [{}, {"area": "even"}, {"tariff": "t2"}, {"area": "odd", "tariff": "t1"}])
def test_the_summary_counts_the_customers_with_alerts_in_the_period(client, written, period, filters):
    chosen = [pk for pk, (area, tariff) in people().items()
              if filters.get("area", area) == area and filters.get("tariff", tariff) == tariff]
    alerts = Alert.objects.filter(customer__in=chosen, last_day__gte=period[0], first_day__lte=period[1])
    by_kind = {}
    for kind, customer_id in alerts.values_list("kind", "customer_id").distinct():
        by_kind.setdefault(kind, set()).add(customer_id)
    figures = client.get("/summary/", {"from": period[0], "to": period[1], **filters}).context["figures"]["alerts"]
    assert figures["customers"] == len({customer for customers in by_kind.values() for customer in customers})
    assert {link.split("kind=")[1]: count for _, count, link in figures["kinds"]} == {
        kind: len(customers) for kind, customers in by_kind.items()}


def test_the_population_has_alerts_of_several_kinds_to_count_and_short_periods_leave_customers_out(written):
    assert Alert.objects.values("kind").distinct().count() >= 2
    one_day = Alert.objects.filter(last_day__gte=date(2016, 3, 1), first_day__lte=date(2016, 3, 1))
    assert 0 < one_day.values("customer").distinct().count() < Customer.objects.count()
