"""The register page's search and owner sort at 10,000 risks (issue 20, decision 75): a trigram
index for the search, and each person's sort name for the owner sort.

The search compares ``UPPER(field COLLATE "C") LIKE '%WORDS%'`` on a risk's ref, title and
description (``registers.selectors.register_list._searchable``); this index holds the trigrams of
those same three expressions, so PostgreSQL reads only the risks whose text has the words'
trigrams instead of folding every description of the organisation. The expressions must stay
exactly the search's own, or PostgreSQL will not use the index
(``tests/registers/test_register_search_index.py`` checks that it does).

PostgreSQL only (the demo's SQLite searches without it). Built CONCURRENTLY, so a production
database keeps taking writes to its risks while the index is built (the old release serves during
``migrate``); hence ``atomic = False``. A concurrent build that failed leaves an invalid index
behind, so the index is dropped first if it is there. ``pg_trgm`` is a trusted extension from
PostgreSQL 13: the database's owner may create it; otherwise an administrator runs ``CREATE
EXTENSION pg_trgm`` in the database first. Reversing drops the index and keeps the extension,
which other things in the database may use (it may have been there before).

``User.sort_name`` is the owner sort's key (the name the register shows first, lowered), a
generated column the database keeps, added last: a single statement, so a migration stopped
before it can run again from the start. Adding it rewrites the users table under its strongest
lock, and every signed-in request reads a user: waiting behind a long transaction (an import, a
pack build) would queue the whole site behind it. So it waits at most ``LOCK_WAIT`` for the
lock and then fails with PostgreSQL's "lock timeout", leaving nothing changed; run ``migrate``
again. Its type is text: lowering may lengthen a name (an ICU collation's dotted capital I).
"""

import django.db.models.functions.comparison
import django.db.models.functions.text
from django.db import migrations, models

INDEX = "risk_search_trgm"
# Written out: Django's GinIndex takes no COLLATE inside an index expression.
INDEX_CREATE = f"""
CREATE INDEX CONCURRENTLY {INDEX} ON registers_risk USING gin (
    (UPPER(ref COLLATE "C")) gin_trgm_ops,
    (UPPER(title COLLATE "C")) gin_trgm_ops,
    (UPPER(description COLLATE "C")) gin_trgm_ops
)
"""


def index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        installed = cursor.fetchone() is not None
    if not installed:
        try:
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as error:
            raise RuntimeError(
                "The register's search index needs the pg_trgm extension, which this database "
                "role may not create. Ask an administrator to run CREATE EXTENSION pg_trgm; in "
                f"this database, then migrate again. ({error})"
            ) from error
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
    schema_editor.execute(INDEX_CREATE)
    # The planner's estimate of a search's rows comes from the index expressions' statistics.
    schema_editor.execute("ANALYZE registers_risk")


LOCK_WAIT = "5s"


def lock_wait_limited(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"SET lock_timeout = '{LOCK_WAIT}'")


def lock_wait_unlimited(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET lock_timeout = DEFAULT")


def index_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ("registers", "0016_tenant_plans"),
    ]

    operations = [
        migrations.RunPython(index_create, index_drop, elidable=False),
        migrations.RunPython(lock_wait_limited, lock_wait_unlimited, elidable=False),
        migrations.AddField(
            model_name="user",
            name="sort_name",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.comparison.Coalesce(
                    django.db.models.functions.comparison.NullIf(
                        django.db.models.functions.text.Lower("full_name"), models.Value("")
                    ),
                    django.db.models.functions.comparison.NullIf(
                        django.db.models.functions.text.Lower("job_title"), models.Value("")
                    ),
                    django.db.models.functions.text.Lower("email"),
                ),
                output_field=models.TextField(),
            ),
        ),
        migrations.RunPython(lock_wait_unlimited, lock_wait_limited, elidable=False),
    ]
