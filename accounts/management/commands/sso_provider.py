"""``manage.py sso_provider add|list|remove``: an organisation's OpenID Connect or SAML 2.0
sign-in, from the server (a thin interface over ``accounts.services_sso``, as the settings page is)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import saml_keys, services_sso, sso
from accounts.models import SingleSignOnProvider
from registers.models import Role
from riskreg.commands import organisation_or_error, validation_message

HELP = """Connect an organisation to its OpenID Connect identity provider (Microsoft Entra ID,
Google Workspace, Okta, Keycloak...) or its SAML 2.0 one (AD FS, Shibboleth, any that speaks
only SAML), list its connections, or remove one.

  sso_provider add --org SLUG --issuer URL --client-id ID --client-secret-env VAR
                   --domain DOMAIN [--domain DOMAIN2 ...] [--only] [--name NAME]
                   [--new-members-as viewer] [--trust-email]
  sso_provider add --org SLUG --saml --entity-id ID
                   (--sso-url URL --certificate-file FILE.pem | --metadata-url URL)
                   --domain DOMAIN [...] [--email-attribute NAME ...] [--only] [--name NAME]
                   [--new-members-as viewer]
  sso_provider list --org SLUG
  sso_provider remove --org SLUG (--issuer URL | --entity-id ID)

For SAML, give the identity provider the ACS URL and riskreg's entity ID (or its metadata URL)
that `list` prints for the connection.

The client secret is never given on the command line (it would stay in the shell's history and
the process list): --client-secret-env names the environment variable that holds it, and only
that name is stored. The variable must be set where this command runs, or it refuses: sign-in
would fail without it. The web server reads it at every sign-in, so set it in the web server's
environment too (the same .env file or compose env_file). Adding an issuer the organisation
already has changes that connection to exactly what this command says (flags left out are off).
"""

NO_PROVIDERS = "{organisation} has no single sign-on connections"
UNKNOWN_ISSUER = "{organisation} is not connected to {issuer}"


# The service names its fields; the command's user knows its options.
OPTIONS = {
    "issuer": "--issuer",
    "client_id": "--client-id",
    "client_secret": "--client-secret-env",
    "client_secret_env": "--client-secret-env",
    "domains": "--domain",
    "new_members_role": "--new-members-as",
    "name": "--name",
    "entity_id": "--entity-id",
    "sso_url": "--sso-url",
    "certificate": "--certificate-file",
    "metadata_url": "--metadata-url",
    "email_attribute": "--email-attribute",
}
OIDC_NEEDS = "an OpenID Connect connection needs --issuer, --client-id and --client-secret-env"
SAML_NEEDS = "a SAML connection (--saml) needs --entity-id"
SAML_ONLY = "{options} go with --saml"
OIDC_ONLY = "{options} are for OpenID Connect, not --saml"
CERTIFICATE_UNREADABLE = "cannot read the certificate file {path}: {error}"
REMOVE_NEEDS = "give the connection's --issuer (OpenID Connect) or --entity-id (SAML)"


def _message(exc: ValidationError) -> str:
    if not hasattr(exc, "error_dict"):
        return validation_message(exc)
    return "; ".join(
        f"{OPTIONS.get(field, field)}: {message}"
        for field, messages in exc.message_dict.items()
        for message in messages
    )


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def describe(provider: SingleSignOnProvider) -> list[str]:
    """The lines ``list`` prints for a connection (the secret's source, never the secret)."""
    domains = ", ".join(domain.domain for domain in provider.domains.all()) or "(none)"
    members = (
        "anyone of these domains, as a viewer"
        if provider.new_members_role
        else "nobody: only people invited or added"
    )
    if sso.is_saml(provider):
        protocol, settings, after = "SAML 2.0", *_saml_lines(provider)
    else:
        protocol, settings, after = "OpenID Connect", *_oidc_lines(provider)
    return [
        provider.issuer,
        f"  protocol: {protocol}",
        f"  name: {provider.name}",
        f"  key: {provider.key}",
        f"  domains: {domains}",
        *settings,
        f"  single sign-on only: {_yes(provider.only_way_in)}",
        f"  members made at first sign-in: {members}",
        *after,
    ]


def _oidc_lines(provider: SingleSignOnProvider) -> tuple[list[str], list[str]]:
    """(the connection's own settings, what follows the shared ones)."""
    settings = [
        f"  client id: {provider.client_id}",
        f"  client secret: {sso.secret_source(provider)}",
    ]
    after = [
        f"  addresses trusted without email_verified: {_yes(provider.trust_email)}",
        f"  redirect URI to register with the provider: {sso.redirect_uri(provider)}",
    ]
    problem = sso.secret_problem(provider)
    if problem:
        after.append(f"  warning: {problem}")
    return settings, after


def _saml_lines(provider: SingleSignOnProvider) -> tuple[list[str], list[str]]:
    """(the connection's own settings, what follows the shared ones)."""
    if provider.saml_metadata_url:
        idp = [f"  identity provider's metadata URL: {provider.saml_metadata_url}"]
    else:
        idp = [
            f"  identity provider's single sign-on URL: {provider.saml_sso_url}",
            f"  signing certificate: {sso.saml_certificate_words(provider)}",
        ]
    return [
        *idp,
        f"  e-mail attribute: {' or '.join(sso.saml_email_attributes(provider))}",
    ], [
        "  give the identity provider:",
        f"    ACS URL (reply URL): {sso.saml_acs_url(provider)}",
        f"    entity ID (identifier): {sso.saml_entity_id(provider)}",
        f"    or riskreg's metadata: {sso.saml_metadata_url(provider)}",
        f"  riskreg's sign-in requests: {saml_keys.requests_words()}",
        f"  encrypted assertions: {saml_keys.encryption_words()}",
    ]


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        kwargs.setdefault("formatter_class", RawDescriptionHelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", metavar="add|list|remove")
        actions.required = True

        add = actions.add_parser(
            "add", help="connect a provider (or change the connection to this issuer)"
        )
        add.add_argument("--org", required=True, help="organisation slug")
        add.add_argument(
            "--issuer",
            help="the provider's issuer URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0",
        )
        add.add_argument("--client-id", help="the client (application) id")
        add.add_argument(
            "--client-secret-env",
            metavar="VAR",
            help="the environment variable holding the client secret (must be set)",
        )
        add.add_argument(
            "--saml", action="store_true", help="a SAML 2.0 identity provider, not OpenID Connect"
        )
        add.add_argument("--entity-id", help="SAML: the identity provider's entity ID")
        add.add_argument("--sso-url", help="SAML: the identity provider's single sign-on URL")
        add.add_argument(
            "--certificate-file",
            metavar="FILE.pem",
            help="SAML: the identity provider's signing certificate (X.509, PEM)",
        )
        add.add_argument(
            "--metadata-url",
            help="SAML: the identity provider's metadata URL (instead of --sso-url and the file)",
        )
        add.add_argument(
            "--email-attribute",
            action="append",
            default=[],
            help=(
                "SAML: an attribute that holds the e-mail address (repeat for more; default "
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress, then email)"
            ),
        )
        add.add_argument(
            "--domain",
            required=True,
            action="append",
            help="an e-mail domain the provider signs in (repeat for more)",
        )
        add.add_argument(
            "--only",
            action="store_true",
            help="single sign-on is the only way in for these domains (no passwords)",
        )
        add.add_argument("--name", default="", help="what the provider is called on riskreg")
        add.add_argument(
            "--new-members-as",
            choices=[Role.VIEWER.value],
            default="",
            help="let anyone of these domains in at first sign-in, as a viewer",
        )
        add.add_argument(
            "--trust-email",
            action="store_true",
            help=(
                "accept addresses the provider sends without email_verified (or Entra's "
                "xms_edov); one marked unverified is still refused"
            ),
        )

        listing = actions.add_parser("list", help="the organisation's connections")
        listing.add_argument("--org", required=True, help="organisation slug")

        remove = actions.add_parser("remove", help="disconnect a provider")
        remove.add_argument("--org", required=True, help="organisation slug")
        remove.add_argument("--issuer", help="the connection's issuer URL (OpenID Connect)")
        remove.add_argument("--entity-id", help="the connection's entity ID (SAML)")

    def handle(self, *args, **options):
        organisation = organisation_or_error(options["org"])
        getattr(self, f"_{options['action']}")(organisation, options)

    def _add(self, organisation, options):
        saml_options = ["entity_id", "sso_url", "certificate_file", "metadata_url"]
        oidc_options = ["issuer", "client_id", "client_secret_env", "trust_email"]
        if options["saml"]:
            given = [f"--{o.replace('_', '-')}" for o in oidc_options if options[o]]
            if given:
                raise CommandError(OIDC_ONLY.format(options=", ".join(given)))
            if not options["entity_id"]:
                raise CommandError(SAML_NEEDS)
            return self._add_saml(organisation, options)
        given = [f"--{o.replace('_', '-')}" for o in saml_options if options[o]]
        if options["email_attribute"]:
            given.append("--email-attribute")
        if given:
            raise CommandError(SAML_ONLY.format(options=", ".join(given)))
        if not (options["issuer"] and options["client_id"] and options["client_secret_env"]):
            raise CommandError(OIDC_NEEDS)
        self._connect(
            organisation,
            options,
            services_sso.sso_provider_add,
            issuer=options["issuer"],
            client_id=options["client_id"],
            client_secret_env=options["client_secret_env"],
            trust_email=options["trust_email"],
        )

    def _add_saml(self, organisation, options):
        certificate = ""
        if options["certificate_file"]:
            try:
                with open(options["certificate_file"], encoding="ascii") as file:
                    certificate = file.read()
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(
                    CERTIFICATE_UNREADABLE.format(
                        path=options["certificate_file"], error=error.__class__.__name__
                    )
                ) from None
            if not certificate.strip():
                raise CommandError(services_sso.CERTIFICATE_INVALID)
        self._connect(
            organisation,
            options,
            services_sso.sso_saml_provider_add,
            what=" (SAML 2.0)",
            entity_id=options["entity_id"],
            sso_url=options["sso_url"] or "",
            certificate=certificate,
            metadata_url=options["metadata_url"] or "",
            email_attribute=" ".join(options["email_attribute"]),
        )

    def _connect(self, organisation, options, add, *, what="", **settings):
        """Add (or change) a connection of either protocol with the options they share, and
        print it as ``list`` does."""
        try:
            provider, created = add(
                organisation=organisation,
                domains=options["domain"],
                name=options["name"],
                only_way_in=options["only"],
                new_members_role=options["new_members_as"],
                # Whoever runs commands on the server vouches for the domains.
                check_domain_owners=False,
                **settings,
            )
        except ValidationError as exc:
            raise CommandError(_message(exc)) from None
        self.stdout.write(
            f"{'connected' if created else 'changed'}: {organisation.slug} signs in with "
            f"{provider.issuer}{what}"
        )
        for line in describe(provider)[1:]:
            self.stdout.write(line)

    def _list(self, organisation, options):
        providers = organisation.sign_in_providers.prefetch_related("domains").order_by("issuer")
        if not providers:
            self.stdout.write(NO_PROVIDERS.format(organisation=organisation.slug))
            return
        for provider in providers:
            for line in describe(provider):
                self.stdout.write(line)

    def _remove(self, organisation, options):
        if options["entity_id"]:
            issuer = options["entity_id"].strip()
        elif options["issuer"]:
            issuer = services_sso.normalised_issuer(options["issuer"])
        else:
            raise CommandError(REMOVE_NEEDS)
        provider = organisation.sign_in_providers.filter(issuer=issuer).first()
        if provider is None:
            known = ", ".join(
                organisation.sign_in_providers.order_by("issuer").values_list("issuer", flat=True)
            )
            raise CommandError(
                UNKNOWN_ISSUER.format(organisation=organisation.slug, issuer=issuer)
                + (f"; its connections: {known}" if known else "")
            )
        services_sso.sso_provider_remove(provider=provider)
        self.stdout.write(f"removed: {organisation.slug} no longer signs in with {issuer}")
