from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from registers.models import Role
from registers.services.invitations import invitation_send, open_invitations
from registers.services.organisations import member_add
from riskreg.commands import organisation_or_error, validation_message

NAME_WITH_INVITE = (
    "--name and --job-title are for an account made here: an invited person enters their own"
)


class Command(BaseCommand):
    help = (
        "Add a person to an organisation with a role (creating their account if new), or change "
        "an existing member's role. With --invite, e-mail the person an invitation instead: "
        "they become a member when they accept it (someone new sets their own name and "
        "password; someone with an account signs in with it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--email", required=True, help="the person's e-mail address (login)")
        parser.add_argument("--role", required=True, help=f"one of: {', '.join(Role.values)}")
        how = parser.add_mutually_exclusive_group()
        how.add_argument("--password", help="set this password (checked against the rules)")
        how.add_argument(
            "--invite",
            action="store_true",
            help="e-mail an invitation link instead of setting a password",
        )
        parser.add_argument("--name", default="", help="full name, for a new account")
        parser.add_argument("--job-title", default="", help="post, for a new account")

    def handle(self, *args, **options):
        organisation = organisation_or_error(options["org"])
        if options["role"] not in Role.values:
            raise CommandError(f"unknown role {options['role']!r}; roles: {', '.join(Role.values)}")
        if options["invite"]:
            self._invite(organisation, options)
            return
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

    def _invite(self, organisation, options) -> None:
        if options["name"] or options["job_title"]:
            raise CommandError(NAME_WITH_INVITE)
        email = options["email"].strip().lower()
        again = open_invitations(organisation).filter(email=email).exists()
        try:
            result = invitation_send(organisation=organisation, email=email, role=options["role"])
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        invitation = result.invitation
        expires = timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M %Z")
        self.stdout.write(
            f"{'invitation sent again' if again else 'invitation sent'} to {invitation.email} "
            f"as {invitation.get_role_display().lower()} ({invitation.role}) in "
            f"{organisation.slug}; the link works until {expires}"
        )
