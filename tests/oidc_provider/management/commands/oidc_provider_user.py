"""Adds a person who can sign in at the local OpenID Connect provider, or replaces the one with
that address, and prints their subject identifier (the ``sub`` claim) as JSON."""

import json

from allauth.account.models import EmailAddress
from allauth.idp.oidc.adapter import get_adapter
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="", help="full name: first word given, rest family")
        parser.add_argument(
            "--unverified",
            action="store_true",
            help="the address is not verified: claims carry email_verified false",
        )

    @transaction.atomic
    def handle(self, *, email, password, name, unverified, **options):
        User = get_user_model()  # noqa: N806
        given, _, family = name.strip().partition(" ")
        user = User.objects.filter(email__iexact=email).first() or User(username=email)
        user.username = email
        user.email = email
        user.first_name = given
        user.last_name = family.strip()
        user.is_active = True
        user.set_password(password)
        user.save()
        # allauth's idp takes the email and email_verified claims from the primary EmailAddress.
        EmailAddress.objects.filter(user=user).delete()
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=not unverified)
        sub = get_adapter().get_user_sub(None, user)
        self.stdout.write(json.dumps({"sub": sub}))
