"""The import's writer: one interface, tested here on whichever database the suite runs against
(SQLite's and PostgreSQL's implementations each pass the same checks), plus each one's own."""
from datetime import date

import pytest
from django.db import connection, transaction

from consumption.imports.groups import GroupDailyRow
from consumption.imports.held import DAILY_COLUMNS
from consumption.imports.postgres import PostgresWriter
from consumption.imports.rows import Readings
from consumption.imports.sqlite import SQLiteWriter
from consumption.imports.writer import writer_for
from consumption.models import DailyConsumption, GroupDaily, Reading

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

GROUP_DAILY_COLUMNS = GroupDailyRow._fields


def test_it_is_the_writer_of_the_database_in_use():
    expected = {"sqlite": SQLiteWriter, "postgresql": PostgresWriter}[connection.vendor]
    assert type(writer_for(connection)) is expected


def test_it_stores_readings_of_several_customers_and_reads_each_back_as_written():
    first, second = CustomerFactory(), CustomerFactory()
    with transaction.atomic(), writer_for(connection) as writer:
        writer.write_readings(writer.encode_readings(first.pk, ["2016-07-15 00:30:00,1.5", "2016-07-15 00:00:00,0.1"]))
        writer.write_readings(writer.encode_readings(second.pk, ["0002-01-01 23:30:00,1e-07"]))
        # Read back while the readings may still be streaming: the writer ends what it left open.
        assert writer.stored_readings(first.pk) == Readings(
            ["2016-07-15 00:00:00", "2016-07-15 00:30:00"], [0.1, 1.5]
        )
        assert writer.stored_readings(second.pk) == Readings(["0002-01-01 23:30:00"], [1e-07])
    assert Reading.objects.count() == 3


def test_it_inserts_several_batches_of_rows_in_one_call():
    customer = CustomerFactory()
    batches = [
        [(customer.pk, f"2016-07-{day}", 10.0 * day, 48, 1.0, f"2016-07-{day} 12:00:00", None)] for day in (15, 16)
    ]
    with transaction.atomic(), writer_for(connection) as writer:
        writer.insert(DailyConsumption, DAILY_COLUMNS, [writer.encode_rows(rows) for rows in batches])
        writer.insert(DailyConsumption, DAILY_COLUMNS, [writer.encode_rows([])])  # nothing, and no error
        assert [(str(day.date), day.wh) for day in writer.stored_days(customer.pk)] == [
            ("2016-07-15", 150.0), ("2016-07-16", 160.0)]
    assert DailyConsumption.objects.filter(base_wh__isnull=True).count() == 2


def test_add_sums_onto_stored_rows_and_sums_a_key_repeated_in_one_call():
    with transaction.atomic(), writer_for(connection) as writer:
        writer.add(GroupDaily, GROUP_DAILY_COLUMNS, 3, [("a", "t", "2016-07-15", 10.0, 48, 1)])
        writer.add(GroupDaily, GROUP_DAILY_COLUMNS, 3, [
            ("a", "t", "2016-07-15", 5.0, 48, 1),
            ("a", "t", "2016-07-15", -2.0, -1, 0),  # the same key again, in the same call
            ("a", "u", "2016-07-15", 1.0, 1, 1),
        ])
    assert sorted(GroupDaily.objects.values_list("tariff", "wh", "readings", "customers")) == [
        ("t", 13.0, 95, 2), ("u", 1.0, 1, 1)]


def test_it_deletes_a_customers_rows_and_the_group_rows_left_empty():
    kept, gone = CustomerFactory(), CustomerFactory()
    with transaction.atomic(), writer_for(connection) as writer:
        for customer in (kept, gone):
            writer.write_readings(writer.encode_readings(customer.pk, ["2016-07-15 00:00:00,1"]))
        writer.add(GroupDaily, GROUP_DAILY_COLUMNS, 3, [("a", "t", "2016-07-15", 1.0, 1, 1),
                                                        ("a", "t", "2016-07-16", 1.0, 1, 1)])
        writer.add(GroupDaily, GROUP_DAILY_COLUMNS, 3, [("a", "t", "2016-07-16", -1.0, -1, -1)])
        writer.delete_customer_rows(gone.pk)
        writer.delete_empty_group_rows([("a", "t")])
    assert list(Reading.objects.values_list("customer_id", flat=True)) == [kept.pk]
    assert list(GroupDaily.objects.values_list("date", flat=True)) == [date(2016, 7, 15)]


def test_an_error_while_readings_stream_ends_them_with_it_and_rolls_everything_back():
    customer = CustomerFactory()
    with pytest.raises(ZeroDivisionError):
        with transaction.atomic(), writer_for(connection) as writer:
            writer.write_readings(writer.encode_readings(customer.pk, ["2016-07-15 00:00:00,1"]))
            1 / 0
    assert not Reading.objects.exists()  # and the connection is usable again


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's writer")
def test_sqlite_binds_each_customers_readings_as_one_json_array():
    assert SQLiteWriter(connection).encode_readings(7, ["2016-07-15 00:00:00,1", "2016-07-15 00:30:00,2.5"]) == (
        7, '[["2016-07-15 00:00:00",1],["2016-07-15 00:30:00",2.5]]')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's writer")
def test_postgresql_streams_readings_as_copy_text_and_a_malformed_one_fails_the_run():
    customer = CustomerFactory()
    writer = PostgresWriter(connection)
    assert writer.encode_readings(7, ["2016-07-15 00:00:00,1"]) == "7\t2016-07-15 00:00:00\t1\n"
    with pytest.raises(Exception, match="invalid input syntax"):
        with transaction.atomic(), writer:
            writer.write_readings(writer.encode_readings(customer.pk, ["2016-07-15 00:00:00,not a number"]))
    assert not Reading.objects.exists()
