"""Packs remember when they were sent to the queue (the beat sweep sends a lost one again), and
at most one build per pack (organisation, kind, edition, as-at) is queued or building at once."""

import django.utils.timezone
from django.db import migrations, models

DUPLICATE_REASON = (
    "An identical pack was requested while this one was waiting; that one is built instead."
)


def fail_duplicate_active_packs(apps, schema_editor):
    """Rows made before the constraint: keep the earliest active pack of each kind, fail the rest
    (retry is offered on a failed pack), so the constraint can be added."""
    Pack = apps.get_model("reporting", "Pack")
    seen = set()
    duplicates = []
    active = Pack.objects.filter(status__in=("queued", "building")).order_by("created_at", "pk")
    for pack in active.only("pk", "organisation_id", "kind", "edition", "as_of"):
        key = (pack.organisation_id, pack.kind, pack.edition, pack.as_of)
        if key in seen:
            duplicates.append(pack.pk)
        seen.add(key)
    if duplicates:
        Pack.objects.filter(pk__in=duplicates).update(
            status="failed", error=DUPLICATE_REASON, file=""
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0002_packs_and_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="pack",
            name="queue_sends",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="How often the build was sent to the queue since it was requested.",
            ),
        ),
        migrations.AddField(
            model_name="pack",
            name="queued_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                help_text="When the build was last sent to the queue.",
            ),
        ),
        migrations.RunPython(fail_duplicate_active_packs, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="pack",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ("queued", "building"))),
                fields=("organisation", "kind", "edition", "as_of"),
                name="pack_one_active_build",
            ),
        ),
    ]
