"""ProfileMonth: a row per customer, month and weekdays or weekends, holding the 48 slots' Wh and
readings as two packed arrays, where there was a row per slot.

Going forward the old table is renamed away, the new one made and filled from it, and the old one
dropped; the new table is an ordinary one on SQLite, its rows too wide to cluster. Going back the
same in reverse, and the old table clustered again on SQLite (0005), since Django makes it as an
ordinary table.
"""
import struct
from functools import partial
from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models


clustering = import_module("consumption.migrations.0005_clustered_tables_on_sqlite")
cluster = partial(clustering.rebuild, clustered=True, names=("ProfileMonth",))
SLOTS = 48

# The arrays' format (consumption.packed's), kept here so that this migration does not change with it.
FLOAT64, INT32 = "d", "i"


def pack(code: str, values) -> bytes:
    return struct.pack(f"<{len(values)}{code}", *values)


def unpack(code: str, data) -> tuple:
    data = bytes(data)
    return struct.unpack(f"<{len(data) // struct.calcsize(code)}{code}", data)


def pack_slots(apps, schema_editor) -> None:
    """A customer at a time: memory holds one customer's rows, whatever the table's size."""
    Slot = apps.get_model("consumption", "ProfileSlot")
    ProfileMonth = apps.get_model("consumption", "ProfileMonth")
    for customer_id in Slot.objects.values_list("customer_id", flat=True).distinct().order_by():
        arrays = {}
        for month, weekend, slot, wh, readings in Slot.objects.filter(customer_id=customer_id).values_list(
            "month", "weekend", "slot", "wh", "readings"
        ):
            month_wh, month_readings = arrays.setdefault((month, weekend), ([0.0] * SLOTS, [0] * SLOTS))
            month_wh[slot], month_readings[slot] = wh, readings
        ProfileMonth.objects.bulk_create(
            ProfileMonth(customer_id=customer_id, month=month, weekend=weekend, wh=pack(FLOAT64, wh),
                         readings=pack(INT32, readings))
            for (month, weekend), (wh, readings) in arrays.items()
        )


def unpack_slots(apps, schema_editor) -> None:
    Slot = apps.get_model("consumption", "ProfileSlot")
    ProfileMonth = apps.get_model("consumption", "ProfileMonth")
    for customer_id in ProfileMonth.objects.values_list("customer_id", flat=True).distinct().order_by():
        Slot.objects.bulk_create(
            Slot(customer_id=customer_id, month=row.month, weekend=row.weekend, slot=slot, wh=wh, readings=readings)
            for row in ProfileMonth.objects.filter(customer_id=customer_id)
            for slot, (wh, readings) in enumerate(zip(unpack(FLOAT64, row.wh), unpack(INT32, row.readings)))
            if readings
        )


class Migration(migrations.Migration):

    dependencies = [
        ('consumption', '0019_remove_daily_running_totals'),
    ]

    # Going back runs these last to first.
    operations = [
        migrations.RunPython(migrations.RunPython.noop, cluster, elidable=False),
        migrations.RenameModel("ProfileMonth", "ProfileSlot"),
        migrations.CreateModel(
            name='ProfileMonth',
            fields=[
                ('pk', models.CompositePrimaryKey('customer', 'month', 'weekend', blank=True, editable=False, primary_key=True, serialize=False)),
                ('month', models.DateField(help_text='first day of the month')),
                ('weekend', models.BooleanField()),
                ('wh', models.BinaryField(help_text='Wh summed per slot, as little-endian float64 values')),
                ('readings', models.BinaryField(help_text='readings per slot, as little-endian int32 values')),
                ('customer', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, to='consumption.customer')),
            ],
        ),
        migrations.RunPython(pack_slots, unpack_slots, elidable=False),
        migrations.DeleteModel("ProfileSlot"),
    ]
