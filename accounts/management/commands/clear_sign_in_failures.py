"""Clear an account's failed sign-ins, ending its pause (django-axes' AccessAttempt rows), with
the line the admin writes (``sign-in failures cleared``, ``by=command``): axes' own
``axes_reset_username`` does the same and logs nothing."""

from axes.models import AccessAttempt
from django.core.management.base import BaseCommand

from riskreg.security import login_username, sign_in_failures_clear


class Command(BaseCommand):
    help = (
        "Clear the failed sign-ins of the account EMAIL (from every address), ending its pause; "
        "logged in riskreg.security as a superuser's clearing in the admin is."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="the address the failed sign-ins named")

    def handle(self, *args, email: str, **options):
        name = login_username(None, {"email": email})  # as the failures were counted
        attempts = AccessAttempt.objects.filter(username=name)
        cleared = sign_in_failures_clear(attempts=attempts, by=None)
        if cleared:
            self.stdout.write(f"cleared {cleared} failed sign-in record(s) for {email}")
        else:
            self.stdout.write(f"no failed sign-ins recorded for {email}: nothing to clear")
