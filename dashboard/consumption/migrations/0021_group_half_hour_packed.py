"""GroupHalfHour: a row per group and day, holding its 48 half hours' Wh and readings as two packed
arrays, where there was a row per half hour.

Going forward the old table is renamed away, the new one made and filled from it, and the old one
dropped. Going back the same in reverse: a row per half hour with readings.
"""
from datetime import datetime, time, timedelta
from importlib import import_module

from django.db import migrations, models

# 0020's copy of the arrays' format, which does not change with consumption.packed.
profile_packing = import_module("consumption.migrations.0020_profile_month_packed")
FLOAT64, INT32, SLOTS = profile_packing.FLOAT64, profile_packing.INT32, profile_packing.SLOTS
pack, unpack = profile_packing.pack, profile_packing.unpack


def pack_half_hours(apps, schema_editor) -> None:
    """A group at a time: memory holds one group's half hours, whatever the table's size."""
    Slot = apps.get_model("consumption", "GroupHalfHourSlot")
    GroupHalfHour = apps.get_model("consumption", "GroupHalfHour")
    for area, tariff in Slot.objects.values_list("area", "tariff").distinct().order_by():
        days = {}
        for timestamp, wh, readings in Slot.objects.filter(area=area, tariff=tariff, readings__gt=0).values_list(
            "timestamp", "wh", "readings"
        ):
            day_wh, day_readings = days.setdefault(timestamp.date(), ([0.0] * SLOTS, [0] * SLOTS))
            slot = timestamp.hour * 2 + timestamp.minute // 30
            day_wh[slot], day_readings[slot] = wh, readings
        GroupHalfHour.objects.bulk_create(
            GroupHalfHour(area=area, tariff=tariff, date=day, wh=pack(FLOAT64, wh), readings=pack(INT32, readings))
            for day, (wh, readings) in days.items()
        )


def unpack_half_hours(apps, schema_editor) -> None:
    Slot = apps.get_model("consumption", "GroupHalfHourSlot")
    GroupHalfHour = apps.get_model("consumption", "GroupHalfHour")
    for area, tariff in GroupHalfHour.objects.values_list("area", "tariff").distinct().order_by():
        Slot.objects.bulk_create(
            Slot(area=area, tariff=tariff, timestamp=datetime.combine(row.date, time.min) + timedelta(minutes=30 * slot),
                 wh=wh, readings=readings)
            for row in GroupHalfHour.objects.filter(area=area, tariff=tariff)
            for slot, (wh, readings) in enumerate(zip(unpack(FLOAT64, row.wh), unpack(INT32, row.readings)))
            if readings
        )


class Migration(migrations.Migration):

    dependencies = [
        ('consumption', '0020_profile_month_packed'),
    ]

    operations = [
        migrations.RenameModel("GroupHalfHour", "GroupHalfHourSlot"),
        migrations.CreateModel(
            name='GroupHalfHour',
            fields=[
                ('pk', models.CompositePrimaryKey('area', 'tariff', 'date', blank=True, editable=False, primary_key=True, serialize=False)),
                ('area', models.CharField(max_length=100)),
                ('tariff', models.CharField(max_length=100)),
                ('date', models.DateField()),
                ('wh', models.BinaryField(help_text='Wh per half hour, as little-endian float64 values')),
                ('readings', models.BinaryField(help_text='readings per half hour, as little-endian int32 values')),
            ],
        ),
        migrations.RunPython(pack_half_hours, unpack_half_hours, elidable=False),
        migrations.DeleteModel("GroupHalfHourSlot"),
    ]
