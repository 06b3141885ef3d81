"""The help of "single sign-on only" names its exception (decision 114, amended): no change to the
database."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_sign_in_addresses"),
    ]

    operations = [
        migrations.AlterField(
            model_name="singlesignonprovider",
            name="only_way_in",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "People of these domains cannot sign in with a password, except anyone who "
                    "also belongs to another organisation on riskreg or runs riskreg (a staff or "
                    "superuser account): the provider never signs them in, so they sign in with "
                    "their riskreg password and must use riskreg's second factor on this "
                    "organisation's pages."
                ),
                verbose_name="single sign-on only",
            ),
        ),
    ]
