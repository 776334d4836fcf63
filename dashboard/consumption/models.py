"""Customers, their half-hourly readings, the aggregates the pages read, and the import log.

Aggregates (Customer's whole-history fields, DailyConsumption, DayBlock, ProfileMonth, GroupDaily,
GroupHalfHour, GroupBucketTotals, GroupRunningTotals, GroupPeakBlocks, GroupAlertBlocks, the area medians
and Alert)
are written only by the importer, in the same transaction as the readings they summarise.
"""
from pathlib import PurePath

from django.db import models

from . import statistics
from .alerts import ALERT_KINDS
from .queries import (
    AlertQuerySet,
    AreaProfileMedianQuerySet,
    AreaSeriesMedianQuerySet,
    CustomerQuerySet,
    DayBlockQuerySet,
    DailyConsumptionQuerySet,
    GroupAlertBlocksQuerySet,
    GroupBucketTotalsQuerySet,
    GroupDailyQuerySet,
    GroupHalfHourQuerySet,
    GroupPeakBlocksQuerySet,
    GroupRunningTotalsQuerySet,
    ProfileMonthQuerySet,
    ReadingQuerySet,
)


class Customer(models.Model):
    id = models.PositiveIntegerField(primary_key=True)
    area = models.CharField(max_length=100, db_index=True)
    tariff = models.CharField(max_length=100, db_index=True)

    # Whole-history aggregates, kept in step with the readings by the importer.
    readings_count = models.PositiveIntegerField(default=0)
    total_wh = models.FloatField(default=0)
    days_with_data = models.PositiveIntegerField(default=0)
    first_reading_at = models.DateTimeField(null=True, blank=True)
    last_reading_at = models.DateTimeField(null=True, blank=True)
    peak_wh = models.FloatField(null=True, blank=True)
    peak_at = models.DateTimeField(null=True, blank=True)
    base_wh = models.FloatField(
        null=True, blank=True, help_text="the mean of the days' base load (DailyConsumption.base_wh) over the days that have one"
    )

    # Where the readings came from: an unchanged file under the same policy is skipped.
    source_file = models.ForeignKey(
        "ImportFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_sha256 = models.CharField(max_length=64, blank=True)
    source_policy = models.CharField(max_length=8, blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            # The summary's table lists them beside the group tables, which hold everyone else: a
            # scan of every customer for the few without readings reads the whole table from disk.
            models.Index(fields=["id"], condition=models.Q(readings_count=0), name="customer_without_readings"),
        ]

    def __str__(self) -> str:
        return f"Customer {self.id} ({self.area}, {self.tariff})"


class Reading(models.Model):
    """Energy used in the half hour starting at `timestamp`, in Wh, as written in the file."""

    pk = models.CompositePrimaryKey("customer", "timestamp")
    # The primary key's leading column already indexes customer: no second index to maintain.
    # No database-level constraint either: PostgreSQL would check it for every row the import's
    # COPY writes, yet only the importer writes readings, always for a customer it has just
    # written, and the ORM's CASCADE still deletes them with their customer.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, db_index=False, db_constraint=False)
    timestamp = models.DateTimeField()
    wh = models.FloatField()

    objects = ReadingQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.customer_id} {self.timestamp:%Y-%m-%d %H:%M} {self.wh} Wh"


class DailyConsumption(models.Model):
    """One customer's day: total, count, peak and base of its half-hourly readings."""

    pk = models.CompositePrimaryKey("customer", "date")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, db_index=False, db_constraint=False)
    date = models.DateField()
    wh = models.FloatField()
    readings = models.PositiveSmallIntegerField()
    peak_wh = models.FloatField()
    peak_at = models.DateTimeField()
    # Mean of the day's units.BASE_LOAD_READINGS lowest half-hourly readings; null on a day with fewer.
    base_wh = models.FloatField(null=True)

    objects = DailyConsumptionQuerySet.as_manager()


class ProfileMonth(models.Model):
    """One customer's readings in one month, summed per half-hour slot of weekdays or of weekends.

    Average daily profiles of a whole area's customers come from here instead of their readings.
    The slots' values are arrays in one row (consumption.packed), slot 0 (00:00) to 47 (23:30): a
    page or the import reads a month in one row, where a row per slot made 48.
    """

    pk = models.CompositePrimaryKey("customer", "month", "weekend")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, db_index=False, db_constraint=False)
    month = models.DateField(help_text="first day of the month")
    weekend = models.BooleanField()
    wh = models.BinaryField(help_text="Wh summed per slot, as little-endian float64 values")
    readings = models.BinaryField(help_text="readings per slot, as little-endian int32 values")

    objects = ProfileMonthQuerySet.as_manager()


class DayBlock(models.Model):
    """One customer's days summed over one aligned block of 2**level days (consumption.blocks):
    a peer's total over any period is read from a few of these."""

    pk = models.CompositePrimaryKey("customer", "block")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, db_index=False, db_constraint=False)
    block = models.PositiveIntegerField(help_text="blocks.block_key(level, first_day)")
    level = models.PositiveSmallIntegerField(help_text="the block holds 2**level days")
    first_day = models.DateField()
    wh = models.FloatField()
    readings = models.PositiveIntegerField()
    days = models.PositiveIntegerField(help_text="days with readings")
    peak_wh = models.FloatField()
    peak_at = models.DateTimeField()
    base_wh = models.FloatField(help_text="sum of the days' base_wh, over the days that have one")
    base_days = models.PositiveIntegerField()

    objects = DayBlockQuerySet.as_manager()


class MedianWindowRow(models.Model):
    """The middle of a sorted set of customers' values: enough to give its median with any one
    customer left out (statistics.median_excluding), so a page never reads the whole set."""

    count = models.PositiveIntegerField(help_text="customers with a value")
    low = models.FloatField(null=True)
    middle = models.FloatField(null=True)
    high = models.FloatField(null=True)

    class Meta:
        abstract = True

    @property
    def window(self) -> statistics.MedianWindow:
        return statistics.MedianWindow(self.count, self.low, self.middle, self.high)


class AreaSeriesMedian(MedianWindowRow):
    """The Wh of an area's customers in one whole day, week (from Monday) or month."""

    pk = models.CompositePrimaryKey("area", "granularity", "period")
    area = models.CharField(max_length=100)
    granularity = models.CharField(max_length=5)
    period = models.DateField(help_text="its first day")

    objects = AreaSeriesMedianQuerySet.as_manager()


class AreaProfileMedian(MedianWindowRow):
    """The mean Wh of an area's customers in one half-hour slot of weekdays or weekends, over the
    whole months first_month to last_month."""

    pk = models.CompositePrimaryKey("area", "first_month", "last_month", "weekend", "slot")
    area = models.CharField(max_length=100)
    first_month = models.DateField()
    last_month = models.DateField()
    weekend = models.BooleanField()
    slot = models.PositiveSmallIntegerField()

    objects = AreaProfileMedianQuerySet.as_manager()


class GroupDaily(models.Model):
    """All customers of one area and tariff on one day: the summary chart's source."""

    pk = models.CompositePrimaryKey("area", "tariff", "date")
    area = models.CharField(max_length=100)
    tariff = models.CharField(max_length=100)
    date = models.DateField()
    wh = models.FloatField()
    # Plain integers: the importer adds signed changes to these counters in one upsert.
    readings = models.IntegerField()
    customers = models.IntegerField(help_text="customers with at least one reading that day")

    objects = GroupDailyQuerySet.as_manager()


class GroupBucketTotals(models.Model):
    """The Wh of each customer of one area and tariff with readings in one whole day, week (from
    Monday) or month, sorted: the spread across customers (consumption.spread) merges these."""

    pk = models.CompositePrimaryKey("area", "tariff", "granularity", "period")
    area = models.CharField(max_length=100)
    tariff = models.CharField(max_length=100)
    granularity = models.CharField(max_length=5)
    period = models.DateField(help_text="its first day")
    count = models.PositiveIntegerField(help_text="customers with readings in it")
    wh = models.BinaryField(help_text="their Wh, sorted, as little-endian float64 values")

    objects = GroupBucketTotalsQuerySet.as_manager()


class GroupRunningTotals(models.Model):
    """Every customer of one area and tariff with readings, their sums over their days up to and
    including one day with readings in the area (0 before their first), as arrays in customer id
    order. A period's sums of all the group's customers are one row's arrays less another's: two
    rows per group, where the customers' own rows would be two per customer."""

    pk = models.CompositePrimaryKey("area", "tariff", "date")
    area = models.CharField(max_length=100)
    tariff = models.CharField(max_length=100)
    date = models.DateField()
    customer_ids = models.BinaryField(help_text="little-endian int64 values")
    wh_to_date = models.BinaryField(help_text="little-endian float64 values")
    readings_to_date = models.BinaryField(help_text="little-endian int32 values")
    days_to_date = models.BinaryField(help_text="days with readings, as little-endian int32 values")
    base_wh_to_date = models.BinaryField(help_text="sum of the days' base_wh, as little-endian float64 values")
    base_days_to_date = models.BinaryField(help_text="days with a base_wh, as little-endian int32 values")

    objects = GroupRunningTotalsQuerySet.as_manager()


class GroupPeakBlocks(models.Model):
    """Every customer of one area and tariff with readings, their largest half-hour Wh within one
    day block (consumption.blocks) holding a day with readings in the area, as an array in customer
    id order (-inf: no reading in it). A period's peaks are the largest of a few blocks' arrays."""

    pk = models.CompositePrimaryKey("area", "tariff", "block")
    area = models.CharField(max_length=100)
    tariff = models.CharField(max_length=100)
    block = models.PositiveIntegerField(help_text="blocks.block_key(level, first_day)")
    peak_wh = models.BinaryField(help_text="little-endian float64 values")

    objects = GroupPeakBlocksQuerySet.as_manager()

    class Meta:
        indexes = [
            # A period's blocks for every group: without it, a scan of every block's row, whose
            # arrays (a value per customer) make the table large.
            models.Index(fields=["block"], name="grouppeakblocks_by_block"),
        ]


class GroupAlertBlocks(models.Model):
    """Which customers of one area and tariff have alerts of one kind in one day block
    (consumption.blocks), as a bitmap over all the group's customers in id order (bit 0 first).

    Each alert's days are the few blocks that exactly cover them: it is `whole` in those, and in
    part in them and in the blocks holding them. So the customers with alerts in any period are the
    union of the bitmaps of the blocks covering it (in part) and of the blocks holding those (whole):
    a few rows per group and kind, however many customers, and however long an alert."""

    pk = models.CompositePrimaryKey("area", "tariff", "kind", "block", "whole")
    area = models.CharField(max_length=100)
    tariff = models.CharField(max_length=100)
    kind = models.CharField(max_length=16)
    block = models.PositiveIntegerField(help_text="blocks.block_key(level, first_day)")
    whole = models.BooleanField(help_text="the alerts span every day of the block; else, some")
    customers = models.BinaryField(help_text="little-endian bitmap: bit i is the group's i-th customer")

    objects = GroupAlertBlocksQuerySet.as_manager()


class GroupHalfHour(models.Model):
    """All customers of one area and tariff on one day, half hour by half hour: the source of
    combined peak demand. The day's half hours are arrays in one row (consumption.packed), slot 0
    (00:00) to 47 (23:30); a half hour without readings holds 0 and 0."""

    pk = models.CompositePrimaryKey("area", "tariff", "date")
    area = models.CharField(max_length=100)
    tariff = models.CharField(max_length=100)
    date = models.DateField()
    wh = models.BinaryField(help_text="Wh per half hour, as little-endian float64 values")
    readings = models.BinaryField(help_text="readings per half hour, as little-endian int32 values")

    objects = GroupHalfHourQuerySet.as_manager()


class ImportRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        INTERRUPTED = "interrupted"

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    data_dir = models.CharField(max_length=1000)
    on_duplicate = models.CharField(max_length=8)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    message = models.TextField(blank=True)
    files_imported = models.PositiveIntegerField(default=0)
    files_unchanged = models.PositiveIntegerField(default=0)
    files_skipped = models.PositiveIntegerField(default=0, help_text="every file not imported, the rejected included")
    files_rejected = models.PositiveIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    readings_stored = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_superseded = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.status})"

    @property
    def seconds(self) -> float | None:
        """How long the run took, the commit included; None while it has not finished."""
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None


class ImportFile(models.Model):
    class Status(models.TextChoices):
        IMPORTED = "imported"
        UNCHANGED = "unchanged"
        UNKNOWN_CUSTOMER = "unknown_customer", "unknown customer"
        REJECTED = "rejected"
        IGNORED = "ignored"

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=1000)
    customer_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    note = models.TextField(blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    readings_stored = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_superseded = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.path} ({self.status})"

    @property
    def name(self) -> str:
        """The file's name, without the folder it was read from."""
        return PurePath(self.path).name


class RejectedRow(models.Model):
    file = models.ForeignKey(ImportFile, on_delete=models.CASCADE, related_name="rejected_rows")
    line_number = models.PositiveIntegerField()
    raw = models.TextField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["file", "line_number"]


class SupersededReading(models.Model):
    """A duplicate timestamp: the value that lost under the duplicate policy and the one kept."""

    file = models.ForeignKey(ImportFile, on_delete=models.CASCADE, related_name="superseded")
    customer_id = models.PositiveIntegerField()
    timestamp = models.DateTimeField()
    superseded_wh = models.FloatField()
    superseded_line = models.PositiveIntegerField()
    kept_wh = models.FloatField()
    kept_line = models.PositiveIntegerField()

    class Meta:
        ordering = ["file", "superseded_line"]


class Alert(models.Model):
    """Something in a customer's readings worth a look, found by the import (consumption.alerts) and
    replaced, with the customer's other per-customer rows, whenever their file changes."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, db_constraint=False)
    kind = models.CharField(max_length=16, choices=list(ALERT_KINDS.items()))
    # The days it spans, for periods and links; a half-hour kind also keeps its first and last half hour.
    first_day = models.DateField()
    last_day = models.DateField()
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    magnitude = models.FloatField(help_text="the rise in kW or kWh; half hours, days or rows for the other kinds")
    explanation = models.TextField()

    objects = AlertQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["first_day"], name="alert_by_first_day"),
            # Covers counting one kind's alerts in a period, the alerts page's commonest filter.
            models.Index(fields=["kind", "first_day", "last_day"], name="alert_by_kind_and_days"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of customer {self.customer_id} from {self.first_day}"
