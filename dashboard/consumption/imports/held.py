"""What the import holds in memory between writes, and the limits that bound it.

Rows are written a batch at a time, a few bulk statements for many files: the daily and profile
rows of recent files, the rows of the groups summed so far, and each file's records (ImportFile,
its rejected and superseded rows, the customer it is now the source of).
"""
from dataclasses import dataclass, field
from itertools import chain, groupby
from operator import add, itemgetter

from ..models import (
    Alert, Customer, DailyConsumption, DayBlock, GroupDaily, GroupHalfHour, ImportFile, ProfileMonth, RejectedRow, SupersededReading,
)
from ..packed import FLOAT64, INT32, pack, unpack
from ..parsing import Rejected, Superseded
from .groups import KEY_FIELDS, Group, GroupDailyRow, GroupHalfHourRow, GroupSums
from .prepare import CustomerTables
from .rows import ALERT_COLUMNS, BLOCK_COLUMNS, DAILY_COLUMNS, PROFILE_COLUMNS, History
from .writer import Writer

# Where each of CustomerTables' rows go.
CUSTOMER_TABLES = CustomerTables(
    (DailyConsumption, DAILY_COLUMNS), (ProfileMonth, PROFILE_COLUMNS), (DayBlock, BLOCK_COLUMNS), (Alert, ALERT_COLUMNS),
)
# What an imported file sets on its customer: the whole-history summary and where it came from.
CUSTOMER_SOURCE_FIELDS = [*History._fields, "source_file", "source_sha256", "source_policy"]


@dataclass(frozen=True)
class Limits:
    """How much is held before it is written: memory stays bounded whatever the folder's size."""

    files: int = 50  # files whose daily, profile, block and alert rows are held
    group_rows: int = 5_000  # group-days of half hours; checked after each file, so one group's may go past it
    records: int = 500  # files whose records are held
    record_rows: int = 20_000  # rejected and superseded rows held


@dataclass
class FileRecord:
    record: ImportFile
    rejected: list[Rejected] = field(default_factory=list)
    superseded: list[Superseded] = field(default_factory=list)
    source_of: Customer | None = None  # the customer whose readings now come from this file


class HeldRows:
    def __init__(self, writer: Writer, limits: Limits) -> None:
        self.writer = writer
        self.limits = limits
        self.customer_tables: list[CustomerTables] = []
        self.group_half_hours: list[GroupHalfHourRow] = []
        self.group_days: list[GroupDailyRow] = []
        self.shrunk_groups: set[Group] = set()
        self.records: list[FileRecord] = []
        self.record_rows = 0

    def add_customer_tables(self, tables: CustomerTables) -> None:
        self.customer_tables.append(tables)

    def add_group(self, sums: GroupSums) -> None:
        self.group_half_hours += sums.half_hour_rows()
        self.group_days += sums.daily_rows()
        if sums.shrinks:
            self.shrunk_groups.add(sums.group)

    def add_record(self, record: FileRecord) -> None:
        self.records.append(record)
        self.record_rows += len(record.rejected) + len(record.superseded)

    @property
    def full(self) -> bool:
        limits = self.limits
        return (
            len(self.customer_tables) >= limits.files
            or len(self.group_half_hours) >= limits.group_rows
            or len(self.records) >= limits.records
            or self.record_rows >= limits.record_rows
        )

    def write(self) -> None:
        """Write everything held; then drop the daily group rows that shrank to nothing (the half-hour
        days are dropped as they are written)."""
        writer = self.writer
        if self.customer_tables:
            for (model, columns), files in zip(CUSTOMER_TABLES, zip(*self.customer_tables)):
                writer.insert(model, columns, chain.from_iterable(files))
        if self.group_half_hours:
            _add_half_hours(writer, self.group_half_hours)
        if self.group_days:
            writer.add(GroupDaily, GroupDailyRow._fields, KEY_FIELDS, self.group_days)
        if self.shrunk_groups:
            writer.delete_empty_group_rows(sorted(self.shrunk_groups))
        _write_records(writer, self.records)
        self.customer_tables = []
        self.group_half_hours, self.group_days = [], []
        self.shrunk_groups, self.records, self.record_rows = set(), [], 0


def _add_half_hours(writer: Writer, changes: list[GroupHalfHourRow]) -> None:
    """Add changes to the groups' half hours: the stored arrays of the days changed are read, added
    to, and written back; a half hour left without readings goes back to 0 and 0, and a day with
    none at all is deleted. (Neither database adds arrays in SQL.)"""
    days: dict[tuple[str, str, str], GroupHalfHourRow] = {}
    for change in changes:  # a group may have been held more than once since the last write
        key = (change.area, change.tariff, change.date)
        if key in days:
            days[key] = change._replace(wh=list(map(add, days[key].wh, change.wh)),
                                        readings=list(map(add, days[key].readings, change.readings)))
        else:
            days[key] = change
    stored_keys = []
    for (area, tariff), group_days in groupby(sorted(days), key=itemgetter(0, 1)):
        dates = [date for _, _, date in group_days]
        for date, (wh, readings) in writer.stored_half_hours(area, tariff, dates[0], dates[-1]).items():
            change = days.get((area, tariff, date))
            if change is not None:
                stored_keys.append((area, tariff, date))
                days[area, tariff, date] = change._replace(
                    wh=list(map(add, unpack(FLOAT64, wh), change.wh)),
                    readings=list(map(add, unpack(INT32, readings), change.readings)),
                )
    writer.delete_group_days(GroupHalfHour, stored_keys)
    rows = []
    for day in days.values():
        if any(count > 0 for count in day.readings):
            wh = [total if count > 0 else 0.0 for total, count in zip(day.wh, day.readings)]
            readings = [max(count, 0) for count in day.readings]
            rows.append((day.area, day.tariff, day.date, pack(FLOAT64, wh), pack(INT32, readings)))
    writer.insert(GroupHalfHour, GroupHalfHourRow._fields, rows)


def _write_records(writer: Writer, held: list[FileRecord]) -> None:
    if not held:
        return
    writer.flush()  # the records go through the ORM
    records = ImportFile.objects.bulk_create([item.record for item in held], batch_size=500)
    if any(record.pk is None for record in records):  # every supported backend returns the keys
        raise RuntimeError("the database did not return the new ImportFile keys")
    RejectedRow.objects.bulk_create(
        [
            RejectedRow(file=item.record, line_number=row.line_number, raw=row.raw, reason=row.reason)
            for item in held
            for row in item.rejected
        ],
        batch_size=500,
    )
    SupersededReading.objects.bulk_create(
        [
            SupersededReading(
                file=item.record, customer_id=item.record.customer_id, timestamp=row.timestamp,
                superseded_wh=row.superseded_wh, superseded_line=row.superseded_line,
                kept_wh=row.kept_wh, kept_line=row.kept_line,
            )
            for item in held
            for row in item.superseded
        ],
        batch_size=500,
    )
    sources = []
    for item in held:
        if item.source_of is not None:
            item.source_of.source_file = item.record
            sources.append(item.source_of)
    _update_customers(writer, sources, CUSTOMER_SOURCE_FIELDS)


def _update_customers(writer: Writer, customers: list[Customer], names: list[str]) -> None:
    """Save `names` of each customer with one prepared UPDATE run for all of them: Django's
    bulk_update would build a CASE expression per field and customer."""
    if not customers:
        return
    connection = writer.connection
    fields = [Customer._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(Customer._meta.db_table)} SET {assignments} WHERE {quote(Customer._meta.pk.column)} = %s"
    rows = [
        [field.get_db_prep_save(getattr(customer, field.attname), connection) for field in fields] + [customer.pk]
        for customer in customers
    ]
    with writer.cursor() as cursor:
        cursor.executemany(sql, rows)
