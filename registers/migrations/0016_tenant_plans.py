from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registers", "0015_indicators_evidence"),
        ("scoring", "0002_history_reason_text"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="historicalrisk",
            index=models.Index(
                fields=["organisation", "history_date"], name="risk_history_org_date"
            ),
        ),
        migrations.AddIndex(
            model_name="risk",
            index=models.Index(fields=["organisation", "owner"], name="risk_org_owner"),
        ),
        # A register belongs to one organisation: without this PostgreSQL multiplies the two
        # selectivities as if independent (834 rows estimated for 9,600 with 40 other
        # organisations) and picks nested loops that suit the wrong size (issue 20).
        migrations.RunSQL(
            sql=[
                "CREATE STATISTICS IF NOT EXISTS risk_organisation_register (dependencies) "
                "ON organisation_id, register_id FROM registers_risk",
                # Statistics are gathered by ANALYZE; autovacuum would, some time later.
                "ANALYZE registers_risk",
            ],
            reverse_sql="DROP STATISTICS IF EXISTS risk_organisation_register",
        ),
    ]
