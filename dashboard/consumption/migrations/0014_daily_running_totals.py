from functools import partial
from importlib import import_module

from django.db import migrations, models

clustering = import_module("consumption.migrations.0005_clustered_tables_on_sqlite")
# Adding these columns rebuilds the table on SQLite, unclustered: cluster it again after. (Going
# back drops them in place, which keeps it clustered, on SQLite 3.35 or later.)
cluster = partial(clustering.rebuild, clustered=True, names=("DailyConsumption",))

# Days imported before the fields: each customer's days summed in date order by a window, in one
# statement. SQLite 3.33 or later (Debian 12 has 3.40) and PostgreSQL both take this UPDATE ... FROM.
FILL = """
UPDATE consumption_dailyconsumption
SET wh_to_date = running.wh_to_date, readings_to_date = running.readings_to_date,
    days_to_date = running.days_to_date
FROM (
    SELECT customer_id, date,
           SUM(wh) OVER days AS wh_to_date, SUM(readings) OVER days AS readings_to_date,
           COUNT(*) OVER days AS days_to_date
    FROM consumption_dailyconsumption
    WINDOW days AS (PARTITION BY customer_id ORDER BY date ROWS UNBOUNDED PRECEDING)
) AS running
WHERE consumption_dailyconsumption.customer_id = running.customer_id
  AND consumption_dailyconsumption.date = running.date
"""


def analyze_on_postgresql(apps, schema_editor) -> None:
    """Every row was rewritten: until autovacuum gets to it, PostgreSQL's planner would work from
    the figures of the table as it was."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE consumption_dailyconsumption")


class Migration(migrations.Migration):

    dependencies = [
        ('consumption', '0013_customer_base_load'),
    ]

    operations = [
        migrations.AddField(
            model_name='dailyconsumption',
            name='wh_to_date',
            field=models.FloatField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='dailyconsumption',
            name='readings_to_date',
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='dailyconsumption',
            name='days_to_date',
            field=models.PositiveIntegerField(default=0, help_text='days with readings'),
            preserve_default=False,
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=False),
        migrations.RunPython(cluster, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(analyze_on_postgresql, migrations.RunPython.noop, elidable=False),
    ]
