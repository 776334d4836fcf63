"""On SQLite, store the per-customer tables clustered on their primary key (WITHOUT ROWID).

A composite primary key on an ordinary SQLite table is a second B-tree beside the rowid table, so
every reading was written twice. Clustered, the table is the key's B-tree: half the pages, a
quarter less time to insert the real data set, and a customer's readings lie together on disk.
PostgreSQL has no such distinction and is left alone.

Django cannot declare WITHOUT ROWID, and its SQLite schema editor rebuilds a table from the model
when a later migration alters it, which would silently drop the clause: the tests check that these
tables stay clustered (test_import_command.py), and such a migration must re-apply `cluster`. (0020 packs ProfileMonth into rows too wide to cluster,
and leaves it an ordinary table.)
"""
from django.db import migrations

CLUSTERED_MODELS = ("Reading", "DailyConsumption", "ProfileMonth")


def rebuild(apps, schema_editor, clustered: bool, names: tuple[str, ...] = CLUSTERED_MODELS) -> None:
    """Rebuild the tables of the models `names`, clustered on their primary key or not."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    quote = schema_editor.quote_name
    for name in names:
        model = apps.get_model("consumption", name)
        table = model._meta.db_table
        staging = f"{table}__rebuild"
        # The key's columns first, in the key's order: SQLite 3.40.0 to 3.41.0 have integrity_check
        # report false NULLs in a clustered table whose columns are declared in another order.
        key = list(model._meta.pk_fields)
        fields = key + [field for field in model._meta.local_concrete_fields if field not in key]
        definitions = []
        for field in fields:
            definition, params = schema_editor.column_sql(model, field)
            if params:  # these tables have no database defaults; one would need binding here
                raise ValueError(f"{table}.{field.column}: column SQL with parameters is not supported")
            check = field.db_parameters(connection=connection)["check"]
            if check:  # as Django's own table_sql() adds it
                definition += " " + schema_editor.sql_check_constraint % {"check": check}
            definitions.append(f"{quote(field.column)} {definition}")
        definitions.append(f"PRIMARY KEY ({', '.join(quote(field.column) for field in key)})")
        columns = ", ".join(quote(field.column) for field in fields)
        schema_editor.execute(
            f"CREATE TABLE {quote(staging)} ({', '.join(definitions)})" + (" WITHOUT ROWID" if clustered else "")
        )
        schema_editor.execute(f"INSERT INTO {quote(staging)} ({columns}) SELECT {columns} FROM {quote(table)}")
        schema_editor.execute(f"DROP TABLE {quote(table)}")
        schema_editor.execute(f"ALTER TABLE {quote(staging)} RENAME TO {quote(table)}")


def cluster(apps, schema_editor) -> None:
    rebuild(apps, schema_editor, clustered=True)


def uncluster(apps, schema_editor) -> None:
    rebuild(apps, schema_editor, clustered=False)


class Migration(migrations.Migration):
    dependencies = [
        ("consumption", "0004_grouphalfhour_by_time"),
    ]

    operations = [
        migrations.RunPython(cluster, uncluster, elidable=False),
    ]
