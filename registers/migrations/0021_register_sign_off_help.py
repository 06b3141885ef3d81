"""The help of "reviews need sign-off" says who signs off and what happens meanwhile as the
settings page does (decisions 51, 110 and 115): no change to the database."""

from django.db import migrations, models

SIGN_OFF_REQUIRED_HELP = (
    "An owner's review or change of current rating waits for an admin, a coordinator of the "
    "register or a named approver to sign it off (an update by one of them applies at once); "
    "until then the register and packs show the rating last signed off, marked 'update "
    "awaiting sign-off', and each approver's reminder e-mails list the update, overdue once it "
    "has waited a week."
)


class Migration(migrations.Migration):
    dependencies = [
        ("registers", "0020_notice_invitations_not_sent"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalregister",
            name="sign_off_required",
            field=models.BooleanField(
                default=False,
                help_text=SIGN_OFF_REQUIRED_HELP,
                verbose_name="reviews need sign-off",
            ),
        ),
        migrations.AlterField(
            model_name="register",
            name="sign_off_required",
            field=models.BooleanField(
                default=False,
                help_text=SIGN_OFF_REQUIRED_HELP,
                verbose_name="reviews need sign-off",
            ),
        ),
    ]
