"""factory_boy factories for model rows. After creating readings, call rebuild_aggregates()."""
from datetime import datetime, timedelta

import factory

from consumption.models import Customer, Reading

START = datetime(2016, 7, 15)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    id = factory.Sequence(lambda n: 5000 + n)
    area = "a1"
    tariff = "t1"


class ReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reading

    customer = factory.SubFactory(CustomerFactory)
    timestamp = factory.Sequence(lambda n: START + timedelta(minutes=30 * n))
    wh = 100.0


def readings_for(customer: Customer, values: list[float], start: datetime = START) -> list[Reading]:
    """Half-hourly readings for `customer`, one per value, from `start`."""
    return Reading.objects.bulk_create(
        Reading(customer=customer, timestamp=start + timedelta(minutes=30 * i), wh=wh) for i, wh in enumerate(values)
    )
