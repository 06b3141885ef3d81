from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from registers.models import Role
from registers.services.organisations import member_add
from riskreg.commands import organisation_or_error, validation_message


class Command(BaseCommand):
    help = (
        "Add a person to an organisation with a role (creating their account if new), or change "
        "an existing member's role."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--email", required=True, help="the person's e-mail address (login)")
        parser.add_argument("--role", required=True, help=f"one of: {', '.join(Role.values)}")
        parser.add_argument("--password", help="set this password (checked against the rules)")
        parser.add_argument("--name", default="", help="full name, for a new account")
        parser.add_argument("--job-title", default="", help="post, for a new account")

    def handle(self, *args, **options):
        organisation = organisation_or_error(options["org"])
        if options["role"] not in Role.values:
            raise CommandError(f"unknown role {options['role']!r}; roles: {', '.join(Role.values)}")
        try:
            membership = member_add(
                organisation=organisation,
                email=options["email"],
                role=options["role"],
                password=options["password"],
                full_name=options["name"],
                job_title=options["job_title"],
            )
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        self.stdout.write(
            f"{membership.user.email} is {membership.get_role_display().lower()} "
            f"({membership.role}) in {organisation.slug}"
        )
