"""The risks withheld from an uncleared member, found from two small indexes (issue 20).

``permissions.sensitive_risk_ids`` reads, for every page an uncleared member reads that withholds
risks (a search of the register among them), the organisation's risks marked OFFICIAL-SENSITIVE
and its deleted risks whose last record was. Without these PostgreSQL read every history record
of the organisation to find a handful of deleted risks (80,800 at 10,000 risks: 166 ms on a busy
machine, where the page's own list took 27; 0.1 ms with the index) and every risk to find the
marked ones. Both are partial indexes: a row per deleted risk (``history_type = '-'``), a row per
marked risk.

Built CONCURRENTLY on PostgreSQL, so that edits (each writes a risk and a history record) go on
while they are built (hence ``atomic = False``; an invalid index left by a failed build is dropped
first, on SQLite too). A concurrent build waits for every transaction open on the table when
it starts: a session left "idle in transaction" holds ``migrate`` until it ends (docs/deploy.md).
Elsewhere (the demo's SQLite) Django's own ``CREATE INDEX``.
"""

from django.db import migrations, models

DELETED = models.Index(
    condition=models.Q(("history_type", "-")), fields=["organisation"], name="risk_history_deleted"
)
SENSITIVE = models.Index(
    condition=models.Q(("marking", "OFFICIAL-SENSITIVE")),
    fields=["organisation"],
    name="risk_sensitive",
)
INDEXES = (("HistoricalRisk", DELETED), ("Risk", SENSITIVE))


def indexes_create(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for model_name, index in INDEXES:
        model = apps.get_model("registers", model_name)
        if not postgresql:
            # Not atomic: an index built before a failure is there when migrate runs again.
            schema_editor.execute(f"DROP INDEX IF EXISTS {index.name}")
            schema_editor.add_index(model, index)
            continue
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index.name}")
        schema_editor.add_index(model, index, concurrently=True)


def indexes_drop(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for model_name, index in INDEXES:
        model = apps.get_model("registers", model_name)
        if postgresql:
            schema_editor.remove_index(model, index, concurrently=True)
        else:
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("registers", "0017_search_index_owner_sort_name"),
        ("scoring", "0002_history_reason_text"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name="historicalrisk", index=DELETED),
                migrations.AddIndex(model_name="risk", index=SENSITIVE),
            ],
            database_operations=[
                migrations.RunPython(indexes_create, indexes_drop, elidable=False)
            ],
        ),
    ]
