"""The import's writer: one interface, tested here on whichever database the suite runs against
(SQLite's and PostgreSQL's implementations each pass the same checks), plus each one's own."""
import math
import struct
from datetime import date

import pytest
from django.db import connection, transaction
from django.test import override_settings

from consumption.imports.groups import GroupDailyRow
from consumption.imports.postgres import PostgresWriter
from consumption.imports.rows import DAILY_COLUMNS, PROFILE_COLUMNS, DailyRow, Readings, with_customer
from consumption.imports.sqlite import SQLiteWriter
from consumption.parsing import ParsedReadings
from consumption.imports.writer import writer_for
from consumption.imports.medians import AlertBlocksRow, BucketTotalsRow, PeakBlocksRow, RunningTotalsRow
from consumption.models import (
    Customer, DailyConsumption, GroupAlertBlocks, GroupBucketTotals, GroupDaily, GroupPeakBlocks, GroupRunningTotals,
    ProfileMonth, Reading,
)

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

GROUP_DAILY_COLUMNS = GroupDailyRow._fields


def test_it_is_the_writer_of_the_database_in_use():
    expected = {"sqlite": SQLiteWriter, "postgresql": PostgresWriter}[connection.vendor]
    assert type(writer_for(connection)) is expected


def test_it_stores_readings_of_several_customers_and_reads_each_back_as_written():
    first, second = CustomerFactory(), CustomerFactory()
    with transaction.atomic(), writer_for(connection) as writer:
        writer.write_readings(writer.encode_readings(first.pk, parsed("2016-07-15 00:30:00,1.5", "2016-07-15 00:00:00,0.1")))
        writer.write_readings(writer.encode_readings(second.pk, parsed("0002-01-01 23:30:00,1e-07")))
        # Read back while the readings may still be streaming: the writer ends what it left open.
        assert writer.stored_readings(first.pk) == Readings(
            ["2016-07-15 00:00:00", "2016-07-15 00:30:00"], [0.1, 1.5]
        )
        assert writer.stored_readings(second.pk) == Readings(["0002-01-01 23:30:00"], [1e-07])
    assert Reading.objects.count() == 3


def test_it_inserts_rows_each_column_in_its_place():
    customer = CustomerFactory()
    rows = with_customer(customer.pk, [DailyRow("2016-07-15", 150.0, 48, 9.5, "2016-07-15 12:00:00", 1.25),
                                       DailyRow("2016-07-16", 160.0, 7, 9.0, "2016-07-16 00:30:00", None)])
    with transaction.atomic(), writer_for(connection) as writer:
        writer.insert(DailyConsumption, DAILY_COLUMNS, iter(rows))  # any iterable
        writer.insert(ProfileMonth, PROFILE_COLUMNS, [(customer.pk, "2016-07-01", True, b"\x00\xff", b"\x03\x00")])
        writer.insert(ProfileMonth, PROFILE_COLUMNS, [])
    assert [
        (str(day.date), day.wh, day.readings, day.peak_wh, str(day.peak_at), day.base_wh)
        for day in DailyConsumption.objects.order_by("date")
    ] == [("2016-07-15", 150.0, 48, 9.5, "2016-07-15 12:00:00", 1.25),
          ("2016-07-16", 160.0, 7, 9.0, "2016-07-16 00:30:00", None)]
    assert [(*row[:2], bytes(row[2]), bytes(row[3])) for row in ProfileMonth.objects.values_list(
        "month", "weekend", "wh", "readings")] == [(date(2016, 7, 1), True, b"\x00\xff", b"\x03\x00")]


def test_it_inserts_rows_holding_binary_values_byte_for_byte():
    row = BucketTotalsRow("a", "t", "week", "2016-07-11", 3, b"\x00\x01\\\xff" * 3)
    with transaction.atomic(), writer_for(connection) as writer:
        writer.insert(GroupBucketTotals, BucketTotalsRow._fields, [row, row._replace(tariff="u", wh=b"")])
    stored = sorted((total.tariff, total.period, total.count, bytes(total.wh)) for total in GroupBucketTotals.objects.all())
    assert stored == [("t", date(2016, 7, 11), 3, b"\x00\x01\\\xff" * 3), ("u", date(2016, 7, 11), 3, b"")]


@pytest.mark.parametrize("row_type, model", [
    (BucketTotalsRow, GroupBucketTotals), (RunningTotalsRow, GroupRunningTotals), (PeakBlocksRow, GroupPeakBlocks),
    (AlertBlocksRow, GroupAlertBlocks),
])
def test_each_group_table_row_names_every_column_of_its_table(row_type, model):
    assert set(row_type._fields) == {field.column for field in model._meta.local_concrete_fields}


def test_readings_stream_again_after_other_statements_and_are_kept_when_the_writer_closes():
    first, second = CustomerFactory(), CustomerFactory()
    with transaction.atomic(), writer_for(connection) as writer:
        writer.write_readings(writer.encode_readings(first.pk, parsed("2016-07-15 00:00:00,1")))
        writer.flush()
        Customer.objects.filter(pk=first.pk).update(readings_count=1)  # the connection, used by others
        writer.write_readings(writer.encode_readings(second.pk, parsed("2016-07-15 00:00:00,2")))
        writer.write_readings(writer.encode_readings(first.pk, parsed("2016-07-15 00:30:00,3")))
        # The block ends with readings still streaming.
    assert sorted(Reading.objects.values_list("customer_id", "wh")) == [(first.pk, 1.0), (first.pk, 3.0), (second.pk, 2.0)]


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
            writer.write_readings(writer.encode_readings(customer.pk, parsed("2016-07-15 00:00:00,1")))
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
            writer.write_readings(writer.encode_readings(customer.pk, parsed("2016-07-15 00:00:00,1")))
            1 / 0
    assert not Reading.objects.exists()  # and the connection is usable again


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's writer")
def test_sqlite_binds_each_customers_readings_as_one_json_array():
    assert SQLiteWriter(connection).encode_readings(7, parsed("2016-07-15 00:00:00,1", "2016-07-15 00:30:00,2.5")) == (
        7, '[["2016-07-15 00:00:00",1],["2016-07-15 00:30:00",2.5]]')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's writer")
def test_postgresql_streams_readings_in_binary_when_the_meters_zone_is_utc():
    writer = PostgresWriter(connection)
    assert writer.binary
    encoded = writer.encode_readings(7, parsed("2016-07-15 00:00:00,1.5"))
    # Three fields: 4 bytes of customer, 8 of µs since 2000-01-01, 8 of float64; all big-endian.
    assert encoded == struct.pack(">hiiiqid", 3, 4, 7, 8, 521_856_000_000_000, 8, 1.5)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's writer")
@override_settings(TIME_ZONE="Europe/London")
def test_postgresql_streams_readings_as_copy_text_in_another_zone_and_a_malformed_one_fails_the_run():
    from psycopg.errors import InvalidTextRepresentation

    customer = CustomerFactory()
    writer = PostgresWriter(connection)
    assert not writer.binary
    assert writer.encode_readings(7, parsed("2016-07-15 00:00:00,1")) == "7\t2016-07-15 00:00:00\t1\n"
    with transaction.atomic(), writer:  # a local time in summer, read back as written
        writer.write_readings(writer.encode_readings(customer.pk, parsed("2016-07-15 00:30:00,2.5")))
        assert writer.stored_readings(customer.pk) == Readings(["2016-07-15 00:30:00"], [2.5])
        transaction.set_rollback(True)
    with pytest.raises(InvalidTextRepresentation):
        with transaction.atomic(), writer:
            writer.write_readings(writer.encode_readings(customer.pk, parsed("2016-07-15 00:00:00,not a number")))
    assert not Reading.objects.exists()


def parsed(*lines: str) -> ParsedReadings:
    """Readings as the parser gives them, from 'timestamp,wh' lines kept as written (a value that is
    no number, which the parser would have turned away, comes through as the text only)."""

    def number(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return math.nan

    return ParsedReadings([line[:19] for line in lines], [number(line[20:]) for line in lines], len(lines),
                          clean_lines=list(lines))
