"""The pages' querysets: every `for_period` means the days start to end, both inclusive, None open."""
from dataclasses import fields
from datetime import date, datetime

import pytest

from consumption.aggregates import rebuild_aggregates
from consumption.customer_rows import DETAILS, CustomerColumns, CustomerRow, CustomerRows, Period, customer_columns
from consumption.models import Customer, DailyConsumption, GroupDaily, GroupHalfHour, Reading

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
MODELS = {DailyConsumption: 1, GroupDaily: 1, Reading: 48, GroupHalfHour: 1}


@pytest.fixture
def one_customer(db):
    readings_for(CustomerFactory(), [100.0] * DAYS * 48)
    rebuild_aggregates()


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("period, days", PERIODS.items(), ids=str)
def test_it_keeps_the_days_of_the_period_on_every_model(one_customer, model, period, days):
    assert model.objects.for_period(*period).count() == days * MODELS[model]


@pytest.fixture
def days_apart(db):
    """Customer 5000's days 15, 17 and 19 July 2016, each 48 readings of 1, 2 and 3 Wh."""
    customer = CustomerFactory(id=5000)
    for day, wh in ((15, 1.0), (17, 2.0), (19, 3.0)):
        readings_for(customer, [wh] * 48, start=datetime(2016, 7, day))
    rebuild_aggregates()


@pytest.mark.parametrize("first, last, expected", [
    (16, 16, (0.0, 0, 0)),  # a day between two with readings
    (16, 18, (96.0, 48, 1)),
    (19, 25, (144.0, 48, 1)),  # past the last day
    (10, 14, (0.0, 0, 0)),  # before the first
    (10, 15, (48.0, 48, 1)),
    (15, 19, (288.0, 144, 3)),
])
def test_period_totals_are_the_days_in_the_period_whatever_lies_around_it(days_apart, first, last, expected):
    [customer] = rows_over(date(2016, 7, first), date(2016, 7, last)).values()
    assert (customer.period_wh, customer.period_readings, customer.period_days) == expected


def rows_over(start: date, end: date, compared: tuple[date, date] | None = None) -> dict:
    """The summary table's rows of every customer over start..end, by id."""
    period = Period(start, end, start, end)
    columns = customer_columns(Customer.objects.all(), [], [], None, period, compared)
    return {row.id: row for row in CustomerRows(columns, Customer.objects.all(), period)}


def test_a_compared_period_of_zero_wh_is_zero_and_one_without_readings_is_none(db):
    customer = CustomerFactory(id=5000)
    readings_for(customer, [0.0] * 48, start=datetime(2016, 7, 15))
    readings_for(customer, [1.0] * 48, start=datetime(2016, 7, 16))
    rebuild_aggregates()
    day = date(2016, 7, 16)
    [zero] = rows_over(day, day, (date(2016, 7, 15), date(2016, 7, 15))).values()
    assert (zero.compared_wh, zero.change_wh, zero.change_pct) == (0.0, 48.0, None)
    [nothing] = rows_over(day, day, (date(2016, 7, 14), date(2016, 7, 14))).values()
    assert (nothing.compared_wh, nothing.change_wh, nothing.change_pct) == (None, None, None)


def test_customers_with_the_same_readings_in_a_period_tie_whatever_came_before(db):
    """Running totals carry each customer's history in their float rounding: the period's totals
    must not, or sorts and ranks would part customers who used the same."""
    same, noisy, other = CustomerFactory(id=5000), CustomerFactory(id=5001), CustomerFactory(id=5002)
    readings_for(noisy, [0.2] * 48, start=datetime(2016, 7, 14))  # a day whose sum is inexact
    for customer, wh in ((same, 0.7), (noisy, 0.7), (other, 0.9)):
        readings_for(customer, [wh] * 48, start=datetime(2016, 7, 15))
    rebuild_aggregates()
    customers = rows_over(date(2016, 7, 15), date(2016, 7, 15))
    assert customers[5000].period_wh == customers[5001].period_wh == pytest.approx(0.7 * 48)
    assert customers[5000].group_rank == customers[5001].group_rank == 0.0
    assert customers[5002].group_rank == 1.0


def test_the_columns_and_the_details_hold_every_field_of_a_row():
    arrays = {column.name for column in fields(CustomerColumns)} - {"groups", "group"}
    assert arrays | {"area", "tariff"} | set(DETAILS) == set(CustomerRow._fields)


def test_the_table_rows_are_taken_by_position_from_either_end(db):
    for pk in (5000, 5001, 5002):
        readings_for(CustomerFactory(id=pk), [1.0] * 48, start=datetime(2016, 7, 15))
    rebuild_aggregates()
    period = Period(date(2016, 7, 15), date(2016, 7, 15), date(2016, 7, 15), date(2016, 7, 15))
    rows = CustomerRows(customer_columns(Customer.objects.all(), [], [], None, period, None), Customer.objects.all(), period)
    assert [rows[0].id, rows[-1].id, rows[1].id] == [5000, 5002, 5001]
    assert [row.id for row in rows[1:]] == [5001, 5002]
