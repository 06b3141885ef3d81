"""Registers a relying party (an OpenID Connect client) at the local provider, or replaces the one
with that client id: a confidential client using the authorization code flow, allowed the scopes
openid, email and profile, that skips the consent screen."""

from allauth.idp.oidc.models import Client
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--secret", required=True)
        parser.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        parser.add_argument(
            "--post-logout-redirect-uri",
            action="append",
            default=[],
            dest="post_logout_redirect_uris",
        )
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--ask-consent",
            action="store_true",
            help="show the consent screen instead of skipping it",
        )

    @transaction.atomic
    def handle(
        self,
        *,
        client_id,
        secret,
        redirect_uris,
        post_logout_redirect_uris,
        name,
        ask_consent,
        **options,
    ):
        client = Client.objects.filter(id=client_id).first() or Client(id=client_id)
        client.name = name or client_id
        client.type = Client.Type.CONFIDENTIAL
        client.set_secret(secret)
        client.set_scopes(["openid", "email", "profile"])
        client.set_default_scopes(["openid", "email", "profile"])
        client.set_grant_types(
            [Client.GrantType.AUTHORIZATION_CODE, Client.GrantType.REFRESH_TOKEN]
        )
        client.set_response_types([Client.ResponseType.CODE])
        client.set_redirect_uris(redirect_uris)
        client.set_post_logout_redirect_uris(post_logout_redirect_uris)
        client.skip_consent = not ask_consent
        client.full_clean()
        client.save()
