from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services_second_factor import second_factor_reset
from riskreg.commands import organisation_or_error, validation_message


class Command(BaseCommand):
    help = (
        "Reset a member's two-factor sign-in (authenticator app, security keys, recovery codes), "
        "for when nobody in the organisation can do it on the member's page: the person is "
        "e-mailed, the reset logged with by=command, and they set up a new one at their next "
        "sign-in where the organisation requires it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--email", required=True, help="the member's e-mail address")

    def handle(self, *args, **options):
        organisation = organisation_or_error(options["org"])
        user = get_user_model().objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"no account has the address {options['email']!r}")
        try:
            deleted = second_factor_reset(user=user, organisation=organisation, by=None)
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        if deleted:
            self.stdout.write(f"reset {user.email}'s two-factor sign-in in {organisation.slug}")
        else:
            self.stdout.write(f"{user.email} had no two-factor sign-in to reset")
