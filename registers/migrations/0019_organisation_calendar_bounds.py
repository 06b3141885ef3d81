"""The organisation's calendar fields, bounded as the profile page bounds them.

- ``reminder_notice_days``: 1 to 365 days, a CHECK constraint (the form and the profile service
  had the bounds; the Django admin and the database did not). A row outside them (set through
  the admin before this) is first brought to the nearest bound (0 -> 1, 400 -> 365), so that
  the constraint can be added; the demo's organisations all have the default, 14.
- ``committee_months`` (and ``quarter_end_months``): ``blank=True``, so that an organisation
  with no committee months ([]: no committee packs scheduled) passes ``full_clean``; the model's
  ``clean()`` says what a month is and that a quarter end is required. No SQL for these.

On migrate: the organisations table is small (one row per tenant). On PostgreSQL the UPDATE and
``ADD CONSTRAINT ... CHECK`` take a short exclusive lock on it while it is scanned once; on SQLite
Django rebuilds the table (copy and rename) to add the constraint.
"""

import django.core.validators
import registers.models.organisations
from django.db import migrations, models

NOTICE_MIN, NOTICE_MAX = 1, 365  # registers.models.organisations.REMINDER_NOTICE_MIN / _MAX


def notice_days_into_range(apps, schema_editor):
    organisation = apps.get_model("registers", "Organisation")
    organisation.objects.filter(reminder_notice_days__lt=NOTICE_MIN).update(
        reminder_notice_days=NOTICE_MIN
    )
    organisation.objects.filter(reminder_notice_days__gt=NOTICE_MAX).update(
        reminder_notice_days=NOTICE_MAX
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registers", "0018_withheld_risk_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalorganisation",
            name="committee_months",
            field=models.JSONField(
                blank=True, default=registers.models.organisations.default_committee_months
            ),
        ),
        migrations.AlterField(
            model_name="historicalorganisation",
            name="quarter_end_months",
            field=models.JSONField(
                blank=True, default=registers.models.organisations.default_quarter_end_months
            ),
        ),
        migrations.AlterField(
            model_name="historicalorganisation",
            name="reminder_notice_days",
            field=models.PositiveSmallIntegerField(
                default=14,
                validators=[
                    django.core.validators.MinValueValidator(
                        1, message="the reminder notice period is from 1 to 365 days"
                    ),
                    django.core.validators.MaxValueValidator(
                        365, message="the reminder notice period is from 1 to 365 days"
                    ),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="organisation",
            name="committee_months",
            field=models.JSONField(
                blank=True, default=registers.models.organisations.default_committee_months
            ),
        ),
        migrations.AlterField(
            model_name="organisation",
            name="quarter_end_months",
            field=models.JSONField(
                blank=True, default=registers.models.organisations.default_quarter_end_months
            ),
        ),
        migrations.AlterField(
            model_name="organisation",
            name="reminder_notice_days",
            field=models.PositiveSmallIntegerField(
                default=14,
                validators=[
                    django.core.validators.MinValueValidator(
                        1, message="the reminder notice period is from 1 to 365 days"
                    ),
                    django.core.validators.MaxValueValidator(
                        365, message="the reminder notice period is from 1 to 365 days"
                    ),
                ],
            ),
        ),
        migrations.RunPython(notice_days_into_range, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="organisation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("reminder_notice_days__gte", 1), ("reminder_notice_days__lte", 365)
                ),
                name="organisation_reminder_notice_days_range",
                violation_error_message="the reminder notice period is from 1 to 365 days",
            ),
        ),
    ]
