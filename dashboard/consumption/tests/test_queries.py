"""The pages' querysets: every `for_period` means the days start to end, both inclusive, None open."""
from datetime import date

import pytest

from consumption.aggregates import rebuild_aggregates
from consumption.models import DailyConsumption, GroupDaily, GroupHalfHour, Reading

from .factories import CustomerFactory, readings_for

# Readings from 2016-07-15 00:00 to 2016-07-18 23:30: four whole days.
DAYS = 4
PERIODS = {
    (date(2016, 7, 16), date(2016, 7, 17)): 2,  # both ends inclusive
    (date(2016, 7, 17), date(2016, 7, 17)): 1,
    (None, date(2016, 7, 16)): 2,  # open at the start
    (date(2016, 7, 18), None): 1,  # open at the end
    (None, None): DAYS,
    (date(2016, 7, 19), None): 0,
    (date.min, date.max): DAYS,  # the calendar's own ends
}
# Rows per day in each model, for one customer.
MODELS = {DailyConsumption: 1, GroupDaily: 1, Reading: 48, GroupHalfHour: 48}


@pytest.fixture
def one_customer(db):
    readings_for(CustomerFactory(), [100.0] * DAYS * 48)
    rebuild_aggregates()


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("period, days", PERIODS.items(), ids=str)
def test_it_keeps_the_days_of_the_period_on_every_model(one_customer, model, period, days):
    assert model.objects.for_period(*period).count() == days * MODELS[model]
