"""Drop DailyConsumption's per-customer running totals: the pages take a period's sums from the
group tables' running totals (GroupRunningTotals), and nothing reads these any more.

Going forward the columns are dropped in place, which keeps the SQLite table clustered (SQLite 3.35
or later). Going back they come back as 0014 made them: added (which rebuilds the table on
SQLite, unclustered), filled by 0014's window, and clustered again.
"""
from functools import partial
from importlib import import_module

from django.db import migrations, models

running_totals = import_module("consumption.migrations.0014_daily_running_totals")
clustering = import_module("consumption.migrations.0005_clustered_tables_on_sqlite")
cluster = partial(clustering.rebuild, clustered=True, names=("DailyConsumption",))
FIELDS = {
    "wh_to_date": models.FloatField(default=0),
    "readings_to_date": models.PositiveIntegerField(default=0),
    "days_to_date": models.PositiveIntegerField(default=0, help_text="days with readings"),
}


class Migration(migrations.Migration):

    dependencies = [
        ('consumption', '0018_summary_table_indexes'),
    ]

    # Going back runs these last to first: the columns come back with a default for the rows there
    # are, then are filled and the table clustered.
    operations = [
        migrations.RunPython(migrations.RunPython.noop, cluster, elidable=False),
        migrations.RunPython(migrations.RunPython.noop, running_totals.analyze_on_postgresql, elidable=False),
        migrations.RunSQL(migrations.RunSQL.noop, running_totals.FILL, elidable=False),
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(model_name="dailyconsumption", name=name, field=field)
            for name, field in FIELDS.items()
        ]),
        *(migrations.RemoveField(model_name="dailyconsumption", name=name) for name in FIELDS),
    ]
