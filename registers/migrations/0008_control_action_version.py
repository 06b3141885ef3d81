# Controls and actions get a version for optimistic locking. Existing rows and all their history
# records start at 1: a stale save of an older row merges against its last record before this.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registers", "0007_action_open_by_owner"),
    ]

    operations = [
        migrations.AddField(
            model_name="action",
            name="version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="control",
            name="version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="historicalaction",
            name="version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="historicalcontrol",
            name="version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddConstraint(
            model_name="action",
            constraint=models.CheckConstraint(
                condition=models.Q(("version__gte", 1)), name="action_version_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="control",
            constraint=models.CheckConstraint(
                condition=models.Q(("version__gte", 1)), name="control_version_positive"
            ),
        ),
    ]
