from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from registers.models import Organisation, Role


class Protocol(models.TextChoices):
    OIDC = "oidc", "OpenID Connect"
    SAML = "saml", "SAML 2.0"


# Where a SAML identity provider puts the e-mail address when nothing else is said: the claim
# Microsoft's (AD FS, Entra) and most others send, then the plain name some send.
SAML_EMAIL_ATTRIBUTES = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress email"


class SingleSignOnProvider(models.Model):
    """An organisation's identity provider, OpenID Connect (Microsoft Entra ID, Google Workspace,
    Okta, Keycloak...) or SAML 2.0 (for bodies whose provider speaks only SAML), and the e-mail
    domains whose people it signs in.

    For SAML, ``issuer`` holds the identity provider's entity ID (the Issuer of its assertions),
    and ``saml_*`` the rest: its single sign-on URL and signing certificate, or the URL of its
    metadata. SAML has no client id or secret.

    The client secret is never stored in clear: either the name of an environment variable that
    holds it (``client_secret_env``, the management command's way) or the secret encrypted with
    the deployment's key (``client_secret_encrypted``, the browser's way; ``accounts.secrets``).
    ``key`` names the provider in allauth's URLs, so the redirect URI registered with the
    provider (``/accounts/oidc/<key>/login/callback/``) survives renaming the organisation.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sign_in_providers"
    )
    key = models.SlugField(max_length=60, unique=True)
    protocol = models.CharField(max_length=4, choices=Protocol.choices, default=Protocol.OIDC)
    name = models.CharField(
        max_length=100, help_text="What the sign-in button says: 'Microsoft Entra ID'."
    )
    # A SAML entity ID need not be a URL (urn:...): the service checks an OIDC issuer is one.
    issuer = models.CharField("issuer URL or entity ID", max_length=300)
    client_id = models.CharField("client id", max_length=300, blank=True)
    client_secret_env = models.CharField(
        "client secret's environment variable", max_length=100, blank=True
    )
    client_secret_encrypted = models.TextField(blank=True)
    only_way_in = models.BooleanField(
        "single sign-on only",
        default=False,
        # Decision 114 (amended): the provider signs in only the organisation's own accounts,
        # so the others keep their password, and its second factor stands in for the provider's.
        help_text=(
            "People of these domains cannot sign in with a password, except anyone who also "
            "belongs to another organisation on riskreg or runs riskreg (a staff or superuser "
            "account): the provider never signs them in, so they sign in with their riskreg "
            "password and must use riskreg's second factor on this organisation's pages."
        ),
    )
    trust_email = models.BooleanField(
        "accept addresses the provider does not mark verified",
        default=False,
        help_text=(
            "For providers that send no email_verified claim (Microsoft Entra ID without the "
            "optional xms_edov claim): their addresses are taken as verified. An address the "
            "provider marks unverified is still refused."
        ),
    )
    new_members_role = models.CharField(
        "members made at first sign-in",
        max_length=20,
        blank=True,
        choices=[("", "Nobody: only people invited or added")]
        + [(Role.VIEWER.value, "Anyone of these domains, as a viewer")],
        default="",
    )
    saml_sso_url = models.URLField("SAML single sign-on URL", max_length=500, blank=True)
    saml_certificate = models.TextField("SAML signing certificate (PEM)", blank=True)
    saml_metadata_url = models.URLField("SAML metadata URL", max_length=500, blank=True)
    saml_email_attribute = models.CharField(
        "SAML e-mail attributes",
        max_length=300,
        blank=True,
        default=SAML_EMAIL_ATTRIBUTES,
        help_text="The attribute names that may hold the e-mail address, separated by spaces.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "issuer"], name="sso_provider_unique_issuer"
            ),
            models.CheckConstraint(
                condition=~models.Q(client_secret_env="")
                | ~models.Q(client_secret_encrypted="")
                | models.Q(protocol="saml"),
                name="sso_provider_has_secret",
            ),
            models.CheckConstraint(
                condition=models.Q(protocol="oidc")
                | ~models.Q(saml_metadata_url="")
                | (~models.Q(saml_sso_url="") & ~models.Q(saml_certificate="")),
                name="sso_provider_saml_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(new_members_role__in=["", Role.VIEWER.value]),
                name="sso_provider_new_members_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.issuer}) – {self.organisation}"


class SingleSignOnDomain(models.Model):
    """An e-mail domain whose people a provider signs in. A domain belongs to one provider, so
    the sign-in page knows where to send an address (home-realm discovery)."""

    provider = models.ForeignKey(
        SingleSignOnProvider, on_delete=models.CASCADE, related_name="domains"
    )
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(domain=Lower("domain")),
                name="sso_domain_lower_case",
            ),
        ]

    def __str__(self) -> str:
        return self.domain
