"""``api_token create|revoke``: API tokens from the command line (DESIGN.md's contract).

``create`` prints the token alone on its last line (shown once: only its hash is kept).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from api.models import ApiToken
from api.services import MAX_DAYS, api_token_create, api_token_revoke
from registers.models import Organisation


class Command(BaseCommand):
    help = "Create or revoke a person's API token."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token; prints it on the last line.")
        create.add_argument("--email", required=True)
        create.add_argument("--org", action="append", required=True, dest="orgs")
        create.add_argument("--read-only", action="store_true")
        create.add_argument("--expires-days", type=int, default=90)
        create.add_argument("--name", default="")
        revoke = sub.add_parser("revoke", help="Revoke a person's token by its name.")
        revoke.add_argument("--email", required=True)
        revoke.add_argument("--name", required=True)

    def _user(self, email):
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No person with the e-mail address {email!r}.")
        return user

    def handle(self, *args, **options):
        user = self._user(options["email"])
        if options["action"] == "revoke":
            token = ApiToken.objects.filter(
                user=user, name=options["name"], revoked_at__isnull=True
            ).first()
            if token is None:
                raise CommandError(
                    f"{options['email']} has no live token named {options['name']!r}."
                )
            api_token_revoke(token=token, by=None)
            self.stdout.write(f"Revoked {token.name!r} ({token.prefix}…).")
            return
        organisations = []
        for slug in options["orgs"]:
            organisation = Organisation.objects.filter(slug=slug).first()
            if organisation is None:
                raise CommandError(f"No organisation {slug!r}.")
            organisations.append(organisation)
        if options["expires_days"] > MAX_DAYS:
            raise CommandError(f"--expires-days is at most {MAX_DAYS}.")
        name = options["name"] or f"command line {len(ApiToken.objects.filter(user=user)) + 1}"
        try:
            token, secret = api_token_create(
                user=user,
                name=name,
                organisations=organisations,
                read_only=options["read_only"],
                expires_days=options["expires_days"],
            )
        except ValidationError as error:
            raise CommandError(
                " ".join(m for ms in error.message_dict.values() for m in ms)
            ) from error
        self.stdout.write(
            f"Token {token.name!r} for {user.email}: "
            f"{'read-only' if token.read_only else 'read-write'}, "
            f"{', '.join(o.slug for o in organisations)}, expires {token.expires_at:%Y-%m-%d}. "
            "It is shown once: keep it now."
        )
        self.stdout.write(secret)
