"""Day blocks keyed by one integer per block (blocks.block_key) instead of (level, first_day).

A period's blocks were looked up as a list of levels and a list of first days, and the databases
tried every level with every first day for each customer; one key per block is one lookup each.
Django cannot change a composite primary key in place, so the table is made anew and the stored
blocks copied into it with their keys computed in SQL.
"""
import django.db.models.deletion
from functools import partial
from importlib import import_module

from django.db import migrations, models

clustering = import_module("consumption.migrations.0005_clustered_tables_on_sqlite")

# blocks.LEVELS_PER_DAY as it is when this migration is written: the key is first_day's ordinal
# times 16, plus the level.
LEVELS_PER_DAY = 16
COLUMNS = ("customer_id", "level", "first_day", "wh", "readings", "days", "peak_wh", "peak_at", "base_wh", "base_days")


def ordinal(vendor: str) -> str:
    """SQL giving first_day's proleptic Gregorian ordinal, as date.toordinal() does."""
    if vendor == "postgresql":
        return "(first_day - DATE '0001-01-01' + 1)"
    return "(CAST(julianday(first_day) - julianday('0001-01-01') AS INTEGER) + 1)"


def copy(apps, schema_editor, source: str, target: str, with_key: bool) -> None:
    quote = schema_editor.quote_name
    source_table = quote(apps.get_model("consumption", source)._meta.db_table)
    target_table = quote(apps.get_model("consumption", target)._meta.db_table)
    columns = ", ".join(quote(column) for column in COLUMNS)
    if with_key:
        key = f"{ordinal(schema_editor.connection.vendor)} * {LEVELS_PER_DAY} + level"
        schema_editor.execute(
            f"INSERT INTO {target_table} (block, {columns}) SELECT {key}, {columns} FROM {source_table}"
        )
    else:
        schema_editor.execute(f"INSERT INTO {target_table} ({columns}) SELECT {columns} FROM {source_table}")


class Migration(migrations.Migration):

    dependencies = [
        ("consumption", "0011_customer_history_rank"),
    ]

    operations = [
        migrations.RenameModel("DayBlock", "DayBlockByLevel"),
        migrations.CreateModel(
            name="DayBlock",
            fields=[
                ("pk", models.CompositePrimaryKey("customer", "block", blank=True, editable=False, primary_key=True, serialize=False)),
                ("block", models.PositiveIntegerField(help_text="blocks.block_key(level, first_day)")),
                ("level", models.PositiveSmallIntegerField(help_text="the block holds 2**level days")),
                ("first_day", models.DateField()),
                ("wh", models.FloatField()),
                ("readings", models.PositiveIntegerField()),
                ("days", models.PositiveIntegerField(help_text="days with readings")),
                ("peak_wh", models.FloatField()),
                ("peak_at", models.DateTimeField()),
                ("base_wh", models.FloatField(help_text="sum of the days' base_wh, over the days that have one")),
                ("base_days", models.PositiveIntegerField()),
                ("customer", models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, to="consumption.customer")),
            ],
        ),
        migrations.RunPython(
            partial(clustering.rebuild, clustered=True, names=("DayBlock",)),
            partial(clustering.rebuild, clustered=False, names=("DayBlock",)),
            elidable=False,
        ),
        migrations.RunPython(
            partial(copy, source="DayBlockByLevel", target="DayBlock", with_key=True),
            partial(copy, source="DayBlock", target="DayBlockByLevel", with_key=False),
            elidable=False,
        ),
        migrations.DeleteModel("DayBlockByLevel"),
    ]
