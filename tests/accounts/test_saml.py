"""Single sign-on with SAML 2.0 (issue 14): an organisation whose identity provider speaks only
SAML, through allauth's SAML provider and python3-saml.

There is no SAML identity provider on this machine, so the test is the identity provider: it
makes an RSA key and a self-signed certificate, registers the certificate as the connection's,
starts the sign-in on riskreg's sign-in page (which sends a SAML AuthnRequest to the identity
provider's single sign-on URL), reads the request's ID and ACS URL, answers with a Response
whose Assertion it signs with xmlsec (python3-saml's ``add_sign``), and posts it to riskreg's
ACS URL as the person's browser would. Nothing inside riskreg, allauth or python3-saml is
mocked: the signature, issuer, audience, destination, time window and InResponseTo checks are
the real ones.

riskreg's own key pair (decision 111) is made the same way and set as the installation's
(``sp_key``); the test identity provider then checks the AuthnRequest's signature against its
certificate, as one that requires signed requests does, and encrypts its assertion to it with
xmlsec (``encrypted``), as a Shibboleth identity provider does for a service provider whose
metadata offers an encryption certificate."""

from __future__ import annotations

import base64
import datetime
import http.server
import io
import logging
import socket
import threading
import uuid
from html import unescape
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
import xmlsec
from allauth.socialaccount.models import SocialAccount
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from defusedxml import ElementTree
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils.text import capfirst
from onelogin.saml2.constants import OneLogin_Saml2_Constants
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

from accounts import saml_keys, services_sso, sso
from accounts.management.commands.sso_provider import (
    CERTIFICATE_UNREADABLE,
    OIDC_ONLY,
    SAML_NEEDS,
    SAML_ONLY,
)
from accounts.models import Protocol, SingleSignOnProvider
from accounts.saml_endpoints import ASSERTION_NOT_DECRYPTED
from accounts.sso_settings import ADMINS_ONLY
from accounts.sso_sign_in import (
    ACCOUNT_BEYOND_CONNECTION,
    DOMAIN_NOT_COVERED,
    NOT_INVITED,
    SAML_EMAIL_MISSING,
)
from accounts.views import PROVIDER_UNREACHABLE
from registers.models import Membership, Role
from registers.services.invitations import invitation_send
from riskreg.settings.base import env_pem
from tests import factories

pytestmark = pytest.mark.django_db

ENTITY_ID = "https://idp.example.test/adfs/services/trust"
SSO_URL = "https://idp.example.test/adfs/ls/"
EMAIL_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
HOST = "127.0.0.1:8000"  # the tests' RISKREG_BASE_URL's
NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
}


def text(response) -> str:
    return unescape(response.content.decode())


def reason(response) -> str:
    """Why python3-saml refused the answer (allauth's error page's context)."""
    return response.context["saml_last_error_reason"] or ""


def signed_in_user(client):
    user = client.get("/").wsgi_request.user
    return user if user.is_authenticated else None


class IdentityProvider:
    """The test's SAML identity provider: its key, its certificate, and the answers it signs."""

    def __init__(self, common_name: str = "idp.example.test"):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(self.key, hashes.SHA256())
        )
        self.certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
        self.key_pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()

    def response(
        self,
        request: dict,
        email: str,
        *,
        entity_id: str = ENTITY_ID,
        attribute: str = EMAIL_CLAIM,
        sign: bool = True,
        in_response_to: str | None = None,
        audience: str | None = None,
        minutes_ago: int = 0,
        encrypt_to: str | None = None,
    ) -> str:
        """A SAML Response to ``request`` (from ``authn_request``) asserting ``email``, its
        Assertion signed with this provider's key (then encrypted to the certificate
        ``encrypt_to``, if given); base64 as the browser posts it."""
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        now -= datetime.timedelta(minutes=minutes_ago)

        def instant(delta: int = 0) -> str:
            return (now + datetime.timedelta(minutes=delta)).strftime("%Y-%m-%dT%H:%M:%SZ")

        answering = request["id"] if in_response_to is None else in_response_to
        assertion_id = f"_{uuid.uuid4().hex}"
        assertion = (
            f'<saml:Assertion xmlns:saml="{NS["saml"]}" ID="{assertion_id}" Version="2.0" '
            f'IssueInstant="{instant()}">'
            f"<saml:Issuer>{entity_id}</saml:Issuer>"
            "<saml:Subject>"
            '<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">'
            f"subject-{uuid.uuid5(uuid.NAMESPACE_URL, email).hex}</saml:NameID>"
            '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData InResponseTo="{answering}" '
            f'NotOnOrAfter="{instant(5)}" Recipient="{request["acs_url"]}"/>'
            "</saml:SubjectConfirmation>"
            "</saml:Subject>"
            f'<saml:Conditions NotBefore="{instant(-1)}" NotOnOrAfter="{instant(5)}">'
            f"<saml:AudienceRestriction><saml:Audience>{audience or request['sp_entity_id']}"
            "</saml:Audience></saml:AudienceRestriction>"
            "</saml:Conditions>"
            f'<saml:AuthnStatement AuthnInstant="{instant()}" SessionIndex="{assertion_id}">'
            "<saml:AuthnContext><saml:AuthnContextClassRef>"
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            "</saml:AuthnContextClassRef></saml:AuthnContext>"
            "</saml:AuthnStatement>"
            "<saml:AttributeStatement>"
            f'<saml:Attribute Name="{attribute}">'
            f"<saml:AttributeValue>{email}</saml:AttributeValue></saml:Attribute>"
            '<saml:Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname">'
            "<saml:AttributeValue>Sam</saml:AttributeValue></saml:Attribute>"
            '<saml:Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname">'
            "<saml:AttributeValue>Example</saml:AttributeValue></saml:Attribute>"
            "</saml:AttributeStatement>"
            "</saml:Assertion>"
        )
        if sign:
            assertion = OneLogin_Saml2_Utils.add_sign(
                assertion,
                self.key_pem,
                self.certificate_pem,
                sign_algorithm=OneLogin_Saml2_Constants.RSA_SHA256,
                digest_algorithm=OneLogin_Saml2_Constants.SHA256,
            ).decode()
        if encrypt_to:
            assertion = encrypted(assertion, encrypt_to)
        response = (
            f'<samlp:Response xmlns:samlp="{NS["samlp"]}" xmlns:saml="{NS["saml"]}" '
            f'ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{instant()}" '
            f'Destination="{request["acs_url"]}" InResponseTo="{answering}">'
            f"<saml:Issuer>{entity_id}</saml:Issuer>"
            '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
            "</samlp:Status>"
            f"{assertion}"
            "</samlp:Response>"
        )
        return base64.b64encode(response.encode()).decode()


def encrypted(assertion: str, certificate_pem: str) -> str:
    """``assertion`` as an EncryptedAssertion to ``certificate_pem``, as Shibboleth's identity
    provider sends it by default: the assertion AES-128-GCM encrypted under a fresh key, that key
    RSA-OAEP encrypted to the certificate and carried in the EncryptedData's KeyInfo."""
    wrapper = OneLogin_Saml2_XML.to_etree(
        f'<saml:EncryptedAssertion xmlns:saml="{NS["saml"]}">{assertion}</saml:EncryptedAssertion>'
    )
    template = xmlsec.template.encrypted_data_create(
        wrapper,
        xmlsec.constants.TransformAes128Gcm,
        type=xmlsec.constants.TypeEncElement,
        ns="xenc",
    )
    xmlsec.template.encrypted_data_ensure_cipher_value(template)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="ds")
    session_key = xmlsec.template.add_encrypted_key(key_info, xmlsec.constants.TransformRsaOaep)
    xmlsec.template.encrypted_data_ensure_cipher_value(session_key)
    manager = xmlsec.KeysManager()
    manager.add_key(
        xmlsec.Key.from_memory(
            certificate_pem.encode(), xmlsec.constants.KeyDataFormatCertPem, None
        )
    )
    context = xmlsec.EncryptionContext(manager)
    context.key = xmlsec.Key.generate(
        xmlsec.constants.KeyDataAes, 128, xmlsec.constants.KeyDataTypeSession
    )
    context.encrypt_xml(template, wrapper[0])  # the assertion, replaced by its EncryptedData
    return OneLogin_Saml2_XML.to_string(wrapper).decode()


@pytest.fixture(autouse=True)
def no_sp_key(settings):
    """riskreg has no SAML key pair of its own unless a test gives it one (``sp_key``), whatever
    the environment running the tests holds."""
    settings.RISKREG_SAML_SP_CERTIFICATE = ""
    settings.RISKREG_SAML_SP_PRIVATE_KEY = ""


@pytest.fixture(scope="module")
def sp():
    """riskreg's SAML key pair, made as the test identity provider's is."""
    return IdentityProvider("riskreg.example.test")


@pytest.fixture
def sp_key(settings, sp):
    """The key pair set as the installation's (RISKREG_SAML_SP_CERT and RISKREG_SAML_SP_KEY)."""
    settings.RISKREG_SAML_SP_CERTIFICATE = sp.certificate_pem
    settings.RISKREG_SAML_SP_PRIVATE_KEY = sp.key_pem
    return sp


@pytest.fixture
def client():
    """A browser: unlike Django's test client by default, it sends a Host header, from which
    python3-saml builds the address it checks the answer's Destination against (a host with a
    dot: python3-saml refuses single-label ones such as "testserver")."""
    return Client(HTTP_HOST=HOST)


@pytest.fixture(scope="module")
def idp():
    return IdentityProvider()


@pytest.fixture
def domain():
    return f"saml-{uuid.uuid4().hex[:10]}.example.gov.uk"


@pytest.fixture
def connected(organisation, idp, domain):
    provider, created = services_sso.sso_saml_provider_add(
        organisation=organisation,
        entity_id=ENTITY_ID,
        sso_url=SSO_URL,
        certificate=idp.certificate_pem,
        domains=[domain],
        name="Example AD FS",
        check_domain_owners=False,
    )
    assert created
    return provider


def authn_request(location: str) -> dict:
    """The AuthnRequest riskreg sent to the identity provider (HTTP-Redirect binding): its ID,
    the ACS URL it asks the answer be posted to, and riskreg's entity ID (its Issuer)."""
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == SSO_URL
    query = parse_qs(parts.query)
    xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(query["SAMLRequest"][0])
    root = ElementTree.fromstring(xml)
    assert root.tag == f"{{{NS['samlp']}}}AuthnRequest"
    return {
        "id": root.get("ID"),
        "acs_url": root.get("AssertionConsumerServiceURL"),
        "sp_entity_id": root.find("saml:Issuer", NS).text,
        "relay_state": query.get("RelayState", [""])[0],
        "location": location,
    }


def start_sign_in(client, email: str) -> dict:
    """The sign-in page, given the address, moves on to the identity provider."""
    response = client.post("/login/", {"login": email})
    assert response.status_code == 200
    return authn_request(response.context["provider_url"])


def post_to_acs(client, request: dict, saml_response: str):
    """The person's browser posts the identity provider's answer to riskreg's ACS URL; allauth
    moves it on to its finishing view (the session cookie does not come with a cross-site
    POST)."""
    acs_path = urlsplit(request["acs_url"]).path
    response = client.post(
        acs_path, {"SAMLResponse": saml_response, "RelayState": request["relay_state"]}
    )
    assert response.status_code == 302
    return client.get(response["Location"])


# --- who gets in ---------------------------------------------------------------------------------


def test_an_invited_person_comes_in_with_a_signed_assertion_as_the_invited_role(
    client, organisation, connected, idp, domain, caplog
):
    email = f"sam@{domain}"
    invitation = invitation_send(organisation=organisation, email=email, role=Role.OWNER)

    request = start_sign_in(client, email)
    assert request["acs_url"] == f"http://{HOST}" + urlsplit(sso.saml_acs_url(connected)).path
    assert request["sp_entity_id"] == sso.saml_entity_id(connected)
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = post_to_acs(client, request, idp.response(request, email))

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = signed_in_user(client)
    assert user is not None and user.email == email
    assert user.full_name == "Sam Example"
    assert Membership.objects.get(user=user, organisation=organisation).role == Role.OWNER
    invitation.invitation.refresh_from_db()
    assert invitation.invitation.accepted_by == user
    account = SocialAccount.objects.get(user=user)
    assert account.provider == connected.key
    assert account.uid.startswith("subject-")
    lines = [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]
    assert any(f"single sign-on accepted: provider={connected.key}" in x for x in lines)


def test_a_member_signs_in_again_with_a_new_assertion(client, organisation, connected, idp, domain):
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.VIEWER)
    request = start_sign_in(client, email)
    post_to_acs(client, request, idp.response(request, email))
    first = signed_in_user(client)
    client.logout()

    request = start_sign_in(client, email)
    response = post_to_acs(client, request, idp.response(request, email))

    assert response.status_code == 302
    assert signed_in_user(client) == first
    assert SocialAccount.objects.filter(user=first).count() == 1


def test_an_unsigned_response_is_refused(client, organisation, connected, idp, domain):
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)

    response = post_to_acs(client, request, idp.response(request, email, sign=False))

    assert response.status_code == 401
    assert reason(response).startswith("No Signature found")
    assert signed_in_user(client) is None
    assert not Membership.objects.filter(user__email=email).exists()


def test_a_response_signed_by_another_key_is_refused(client, organisation, connected, domain):
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)
    impostor = IdentityProvider()  # same name, its own key

    response = post_to_acs(client, request, impostor.response(request, email))

    assert response.status_code == 401
    assert reason(response).startswith("Signature validation failed")
    assert signed_in_user(client) is None


def test_a_signed_response_from_another_entity_id_is_refused(
    client, organisation, connected, idp, domain
):
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)

    saml_response = idp.response(request, email, entity_id="https://elsewhere.example.test/")
    response = post_to_acs(client, request, saml_response)

    assert response.status_code == 401
    assert reason(response).startswith("Invalid issuer")
    assert signed_in_user(client) is None


def test_a_response_for_another_service_provider_is_refused(
    client, organisation, connected, idp, domain
):
    """An answer the identity provider made for another application (its audience) cannot be
    replayed to riskreg."""
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)

    saml_response = idp.response(request, email, audience="https://other-app.example.test/")
    response = post_to_acs(client, request, saml_response)

    assert response.status_code == 401
    assert "is not a valid audience" in reason(response)
    assert signed_in_user(client) is None


def test_an_expired_response_is_refused(client, organisation, connected, idp, domain):
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)

    response = post_to_acs(client, request, idp.response(request, email, minutes_ago=10))

    assert response.status_code == 401
    assert "expired" in reason(response)
    assert signed_in_user(client) is None


def test_an_answer_to_no_request_of_ours_is_refused(client, organisation, connected, idp, domain):
    """An identity-provider-initiated or replayed answer: its InResponseTo names no sign-in this
    browser started."""
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)

    saml_response = idp.response(request, email, in_response_to="_not-a-request-of-ours")
    response = post_to_acs(client, request, saml_response)

    assert response.status_code == 403  # allauth: no sign-in of ours is waiting for it
    assert signed_in_user(client) is None
    assert not Membership.objects.filter(user__email=email).exists()


def test_a_used_answer_cannot_be_posted_again(client, organisation, connected, idp, domain):
    """Someone who caught an answer on its way (or from the browser's history) cannot sign in
    with it once it has been used: the sign-in it answered is over."""
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)
    saml_response = idp.response(request, email)
    assert post_to_acs(client, request, saml_response).status_code == 302
    client.logout()

    response = post_to_acs(client, request, saml_response)

    assert response.status_code == 403
    assert signed_in_user(client) is None


def test_an_uninvited_address_is_refused_with_the_refusal_page(
    client, organisation, connected, idp, domain, caplog
):
    email = f"nobody@{domain}"
    request = start_sign_in(client, email)

    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = post_to_acs(client, request, idp.response(request, email))

    assert response.status_code == 403
    assert NOT_INVITED.format(email=email, organisation=organisation.display_name) in text(response)
    assert signed_in_user(client) is None
    lines = [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]
    assert any("reason=not-invited" in x for x in lines)


def test_a_member_of_another_organisation_is_not_signed_in_by_the_assertion(
    client, organisation, other_organisation, connected, idp, domain, caplog
):
    """A signed assertion vouches for the address only to the connection's organisation: an
    account another organisation also relies on is refused (decision 114)."""
    email = f"sam@{domain}"
    sam = factories.MembershipFactory(
        organisation=organisation, user__email=email, role=Role.VIEWER
    ).user
    factories.MembershipFactory(organisation=other_organisation, user=sam, role=Role.ADMIN)
    # Straight to the connection's login URL: the sign-in page asks sam for a password.
    started = client.post(sso.login_url(connected))
    request = authn_request(started["Location"])

    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = post_to_acs(client, request, idp.response(request, email))

    assert response.status_code == 403
    page = text(response)
    message = ACCOUNT_BEYOND_CONNECTION.format(email=email, organisation=organisation.display_name)
    assert message in page
    assert other_organisation.name not in page
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.filter(user=sam).exists()
    lines = [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]
    assert any(f"reason=account-beyond-connection user={sam.pk}" in x for x in lines)


def test_an_address_of_another_domain_is_refused(client, organisation, connected, idp, domain):
    """The identity provider signed it, but for a domain this connection does not cover: an
    organisation's provider cannot sign in people of someone else's domain."""
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    other = "sam@another-body.example.gov.uk"
    invitation_send(organisation=organisation, email=other, role=Role.OWNER)
    request = start_sign_in(client, email)

    response = post_to_acs(client, request, idp.response(request, other))

    assert response.status_code == 403
    assert DOMAIN_NOT_COVERED.format(email=other, organisation=organisation.display_name) in text(
        response
    )
    assert signed_in_user(client) is None


def test_an_answer_without_the_email_attribute_is_refused(
    client, organisation, connected, idp, domain
):
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)

    response = post_to_acs(client, request, idp.response(request, email, attribute="mail"))

    assert response.status_code == 403
    assert SAML_EMAIL_MISSING.format(attribute=EMAIL_CLAIM) in text(response)
    assert signed_in_user(client) is None


def test_the_connection_names_its_own_email_attribute(client, organisation, idp, domain):
    provider, _ = services_sso.sso_saml_provider_add(
        organisation=organisation,
        entity_id=ENTITY_ID,
        sso_url=SSO_URL,
        certificate=idp.certificate_pem,
        domains=[domain],
        email_attribute="mail",
        check_domain_owners=False,
    )
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)

    response = post_to_acs(client, request, idp.response(request, email, attribute="mail"))

    assert response.status_code == 302
    assert signed_in_user(client).email == email
    assert provider.protocol == Protocol.SAML


def test_the_saml_login_url_starts_the_same_sign_in(client, connected):
    """allauth's own login URL for the connection (a POST, as its GET asks to confirm)."""
    response = client.post(sso.login_url(connected))

    assert response.status_code == 302
    request = authn_request(response["Location"])
    assert request["sp_entity_id"] == sso.saml_entity_id(connected)


def test_riskregs_metadata_for_the_identity_provider(client, connected):
    response = client.get(urlsplit(sso.saml_metadata_url(connected)).path)

    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    assert root.get("entityID") == sso.saml_entity_id(connected)
    assert "AssertionConsumerService" in response.content.decode()


def test_an_unknown_connection_key_is_not_found(client):
    assert client.get("/accounts/saml/no-such-connection/metadata/").status_code == 404
    assert client.post("/accounts/saml/no-such-connection/login/").status_code == 404


# --- the sso_provider command --------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("sso_provider", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def certificate_file(tmp_path, idp):
    path = tmp_path / "idp.pem"
    path.write_text(idp.certificate_pem)
    return path


def test_the_command_connects_a_saml_provider_and_lists_what_to_give_it(
    organisation, certificate_file, domain
):
    out = run(
        "add",
        "--org", organisation.slug,
        "--saml",
        "--entity-id", ENTITY_ID,
        "--sso-url", SSO_URL,
        "--certificate-file", str(certificate_file),
        "--domain", domain,
        "--only",
    )  # fmt: skip

    provider = SingleSignOnProvider.objects.get(organisation=organisation)
    assert provider.protocol == Protocol.SAML
    assert provider.issuer == ENTITY_ID
    assert provider.saml_sso_url == SSO_URL
    assert provider.saml_certificate.startswith("-----BEGIN CERTIFICATE-----")
    assert provider.only_way_in
    assert list(provider.domains.values_list("domain", flat=True)) == [domain]
    assert f"connected: {organisation.slug} signs in with {ENTITY_ID} (SAML 2.0)" in out

    listing = run("list", "--org", organisation.slug)
    assert "protocol: SAML 2.0" in listing
    assert f"ACS URL (reply URL): {sso.saml_acs_url(provider)}" in listing
    assert f"entity ID (identifier): {sso.saml_entity_id(provider)}" in listing
    assert f"or riskreg's metadata: {sso.saml_metadata_url(provider)}" in listing
    assert "CN=idp.example.test, valid until" in listing
    assert "client secret" not in listing

    out = run("remove", "--org", organisation.slug, "--entity-id", ENTITY_ID)
    assert "removed" in out
    assert not SingleSignOnProvider.objects.filter(organisation=organisation).exists()


def test_the_command_takes_a_metadata_url_instead(organisation, domain):
    run(
        "add", "--org", organisation.slug, "--saml", "--entity-id", ENTITY_ID,
        "--metadata-url", "https://idp.example.test/FederationMetadata.xml",
        "--domain", domain, "--email-attribute", "mail",
    )  # fmt: skip

    provider = SingleSignOnProvider.objects.get(organisation=organisation)
    assert provider.saml_metadata_url == "https://idp.example.test/FederationMetadata.xml"
    assert provider.saml_certificate == "" and provider.saml_sso_url == ""
    assert provider.saml_email_attribute == "mail"
    settings = sso.social_app(provider).settings
    assert settings["idp"] == {
        "entity_id": ENTITY_ID,
        "metadata_url": "https://idp.example.test/FederationMetadata.xml",
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--sso-url", SSO_URL], "--certificate-file: " + services_sso.CERTIFICATE_NEEDED),
        (
            ["--sso-url", "http://idp.example.test/sso", "--certificate-file", "{cert}"],
            "--sso-url: " + services_sso.SAML_URL_INVALID.format(url="http://idp.example.test/sso"),
        ),
        (["--certificate-file", "{bad}", "--sso-url", SSO_URL], services_sso.CERTIFICATE_INVALID),
        ([], "--sso-url: " + services_sso.SAML_IDP_NEEDED),
        (
            ["--metadata-url", "https://idp.example.test/m", "--sso-url", SSO_URL],
            services_sso.SAML_IDP_GIVEN_TWICE,
        ),
    ],
)
def test_the_command_refuses_an_incomplete_saml_provider(
    organisation, domain, certificate_file, tmp_path, arguments, message
):
    bad = tmp_path / "bad.pem"
    bad.write_text(
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
    )
    arguments = [
        a.format(cert=certificate_file, bad=bad) if a.startswith("{") else a for a in arguments
    ]

    with pytest.raises(CommandError) as refused:
        run(
            "add", "--org", organisation.slug, "--saml", "--entity-id", ENTITY_ID,
            "--domain", domain, *arguments,
        )  # fmt: skip

    assert message in str(refused.value)
    assert not SingleSignOnProvider.objects.filter(organisation=organisation).exists()


def test_the_command_keeps_the_protocols_options_apart(organisation, domain):
    with pytest.raises(CommandError) as refused:
        run("add", "--org", organisation.slug, "--saml", "--issuer", ENTITY_ID, "--domain", domain)
    assert OIDC_ONLY.format(options="--issuer") in str(refused.value)

    with pytest.raises(CommandError) as refused:
        run("add", "--org", organisation.slug, "--entity-id", ENTITY_ID, "--domain", domain)
    assert SAML_ONLY.format(options="--entity-id") in str(refused.value)

    with pytest.raises(CommandError) as refused:
        run("add", "--org", organisation.slug, "--saml", "--domain", domain)
    assert SAML_NEEDS in str(refused.value)


def test_a_missing_certificate_file_is_a_clear_error(organisation, domain, tmp_path):
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(CommandError) as refused:
        run(
            "add", "--org", organisation.slug, "--saml", "--entity-id", ENTITY_ID,
            "--sso-url", SSO_URL, "--certificate-file", str(missing), "--domain", domain,
        )  # fmt: skip
    assert CERTIFICATE_UNREADABLE.format(path=missing, error="FileNotFoundError") in str(
        refused.value
    )


def test_a_saml_entity_id_need_not_be_a_url(organisation, idp, domain):
    provider, _ = services_sso.sso_saml_provider_add(
        organisation=organisation,
        entity_id="urn:example:idp",
        sso_url=SSO_URL,
        certificate=idp.certificate_pem,
        domains=[domain],
    )
    assert provider.issuer == "urn:example:idp"
    assert provider.name == "urn:example:idp"


# --- the settings page ---------------------------------------------------------------------------


def settings_url(organisation, *rest) -> str:
    return f"/o/{organisation.slug}/settings/single-sign-on/" + "".join(f"{r}/" for r in rest)


def saml_form(idp, domain, **changes) -> dict:
    data = {
        "name": "Example AD FS",
        "entity_id": ENTITY_ID,
        "sso_url": SSO_URL,
        "certificate": idp.certificate_pem,
        "metadata_url": "",
        "email_attribute": "",
        "domains": domain,
        "only_way_in": "no",
        "new_members_role": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def admin_client(client, member):
    client.force_login(member(Role.ADMIN))
    return client


def test_an_admin_connects_a_saml_provider_on_the_page_and_sees_what_to_give_it(
    admin_client, organisation, idp, domain, caplog
):
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = admin_client.post(
            settings_url(organisation, "add-saml"), saml_form(idp, domain, only_way_in="yes")
        )

    assert response.status_code == 302
    assert response["Location"] == settings_url(organisation)
    provider = organisation.sign_in_providers.get()
    assert provider.protocol == Protocol.SAML
    assert provider.issuer == ENTITY_ID and provider.only_way_in
    assert provider.saml_certificate.split() == idp.certificate_pem.split()
    assert any(
        f"single sign-on provider added: organisation={organisation.slug} protocol=saml" in x
        for x in caplog.messages
    )

    page = text(admin_client.get(settings_url(organisation)))
    assert "SAML 2.0" in page and ENTITY_ID in page and SSO_URL in page
    assert sso.saml_acs_url(provider) in page
    assert sso.saml_entity_id(provider) in page
    assert "CN=idp.example.test" in page
    assert "Client secret" not in page.split("Example AD FS", 1)[1]


def test_the_settings_page_offers_both_protocols(admin_client, organisation):
    page = text(admin_client.get(settings_url(organisation)))

    assert f'href="{settings_url(organisation, "add")}"' in page
    assert f'href="{settings_url(organisation, "add-saml")}"' in page
    assert admin_client.get(settings_url(organisation, "add-saml")).status_code == 200


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"certificate": "not a certificate"}, "certificate", services_sso.CERTIFICATE_INVALID),
        (
            {"sso_url": "http://idp.example.test/sso"},
            "sso_url",
            services_sso.SAML_URL_INVALID.format(url="http://idp.example.test/sso"),
        ),
        ({"entity_id": ""}, "entity_id", None),
        ({"entity_id": "two words"}, "entity_id", services_sso.ENTITY_ID_INVALID),
        ({"sso_url": "", "certificate": ""}, "sso_url", services_sso.SAML_IDP_NEEDED),
        ({"domains": "not a domain"}, "domains", None),
    ],
)
def test_bad_answers_are_refused_beside_their_field(
    admin_client, organisation, idp, domain, changes, field, message
):
    response = admin_client.post(
        settings_url(organisation, "add-saml"), saml_form(idp, domain, **changes)
    )

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    if message:
        assert message in response.context["form"].errors[field]
        assert message in text(response)
    assert not organisation.sign_in_providers.exists()


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_an_admin_cannot_take_a_domain_of_a_system_administrator(
    admin_client, organisation, idp, domain, flag
):
    """Decision 133: the sign-in page would send them to this identity provider."""
    factories.UserFactory(email=f"root@{domain}", **{flag: True})

    response = admin_client.post(settings_url(organisation, "add-saml"), saml_form(idp, domain))

    assert response.status_code == 400
    assert services_sso.DOMAIN_MEMBERS_ELSEWHERE.format(domain=domain) in text(response)
    assert not organisation.sign_in_providers.exists()


def test_the_change_page_keeps_the_certificate_when_left_blank(
    admin_client, organisation, connected, idp, domain
):
    url = settings_url(organisation, connected.pk)
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "Leave blank to keep the current certificate (CN=idp.example.test" in text(page)
    assert page.context["form"].initial["entity_id"] == ENTITY_ID

    response = admin_client.post(
        url, saml_form(idp, domain, certificate="", name="Renamed AD FS", only_way_in="yes")
    )

    assert response.status_code == 302
    connected.refresh_from_db()
    assert connected.name == "Renamed AD FS" and connected.only_way_in
    assert connected.saml_certificate.split() == idp.certificate_pem.split()
    assert connected.protocol == Protocol.SAML


def test_changing_the_entity_id_forgets_peoples_links(
    client, organisation, connected, idp, domain, member
):
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)
    post_to_acs(client, request, idp.response(request, email))
    assert SocialAccount.objects.filter(provider=connected.key).exists()

    services_sso.sso_saml_provider_change(
        provider=connected,
        entity_id="https://other-idp.example.test/",
        sso_url=SSO_URL,
        domains=[domain],
    )

    assert not SocialAccount.objects.filter(provider=connected.key).exists()


def test_the_page_does_not_add_a_second_connection_to_the_same_entity_id(
    admin_client, organisation, connected, idp, domain
):
    response = admin_client.post(
        settings_url(organisation, "add-saml"), saml_form(idp, "other.example.gov.uk")
    )

    assert response.status_code == 400
    assert services_sso.ENTITY_ID_TAKEN.format(
        organisation=organisation.display_name, entity_id=ENTITY_ID
    ) in text(response)
    assert organisation.sign_in_providers.count() == 1


def test_the_remove_page_shows_the_saml_connection(admin_client, organisation, connected):
    url = settings_url(organisation, connected.pk, "remove")
    assert ENTITY_ID in text(admin_client.get(url))

    response = admin_client.post(url)

    assert response.status_code == 302
    assert not organisation.sign_in_providers.exists()


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL])
def test_only_admins_reach_the_saml_form(client, organisation, member, role, idp, domain):
    client.force_login(member(role))
    url = settings_url(organisation, "add-saml")

    for response in (client.get(url), client.post(url, saml_form(idp, domain))):
        assert response.status_code == 403
        assert ADMINS_ONLY in text(response)
    assert not SingleSignOnProvider.objects.exists()


def test_another_organisations_admin_gets_not_found(
    client, organisation, other_organisation, connected, idp, domain
):
    client.force_login(
        factories.MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user
    )

    for url in (
        settings_url(organisation, "add-saml"),
        settings_url(organisation, connected.pk),
        settings_url(other_organisation, connected.pk),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, saml_form(idp, domain, name="Taken")).status_code == 404, url
    connected.refresh_from_db()
    assert connected.name == "Example AD FS"


def test_an_openid_connect_key_is_not_a_saml_connection(client, organisation, idp):
    """allauth's SAML URLs find only SAML connections: an OpenID Connect one's key is unknown
    there."""
    oidc = SingleSignOnProvider.objects.create(
        organisation=organisation,
        key="oidc-conn",
        name="OIDC",
        issuer="https://login.example.test/v2.0",
        client_id="c",
        client_secret_encrypted="x",
    )
    assert client.get(f"/accounts/saml/{oidc.key}/metadata/").status_code == 404
    assert client.post(f"/accounts/saml/{oidc.key}/login/").status_code == 404


# --- the identity provider's metadata URL --------------------------------------------------------


def idp_metadata(idp: IdentityProvider, entity_id: str = ENTITY_ID) -> bytes:
    body = "".join(
        line for line in idp.certificate_pem.splitlines() if not line.startswith("-----")
    )
    return (
        '<?xml version="1.0"?>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'entityID="{entity_id}">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data>"
        "</ds:KeyInfo></md:KeyDescriptor>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        f'Location="{SSO_URL}"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    ).encode()


@pytest.fixture
def metadata_server():
    """A real HTTP server on 127.0.0.1 serving whatever ``server.body`` is."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "application/samlmetadata+xml")
            self.end_headers()
            self.wfile.write(server.body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.body = b""
    server.url = f"http://127.0.0.1:{server.server_address[1]}/FederationMetadata.xml"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def connect_by_metadata(organisation, domain, url):
    provider, _ = services_sso.sso_saml_provider_add(
        organisation=organisation,
        entity_id=ENTITY_ID,
        metadata_url=url,
        domains=[domain],
        check_domain_owners=False,
    )
    return provider


def test_a_connection_by_metadata_url_signs_people_in(
    client, organisation, idp, domain, metadata_server
):
    metadata_server.body = idp_metadata(idp)
    connect_by_metadata(organisation, domain, metadata_server.url)
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)

    request = start_sign_in(client, email)
    response = post_to_acs(client, request, idp.response(request, email))

    assert response.status_code == 302
    assert signed_in_user(client).email == email


@pytest.mark.parametrize("body", ["not metadata", "another entity"])
def test_metadata_that_cannot_be_used_is_a_clear_page_not_an_error(
    client, organisation, idp, domain, metadata_server, body
):
    metadata_server.body = (
        b"<html>not metadata</html>"
        if body == "not metadata"
        else idp_metadata(idp, entity_id="https://someone-else.example.test/")
    )
    connect_by_metadata(organisation, domain, metadata_server.url)

    response = client.post("/login/", {"login": f"sam@{domain}"})

    assert response.status_code == 503
    assert PROVIDER_UNREACHABLE.format(
        organisation=organisation.display_name, issuer=ENTITY_ID
    ) in text(response)


def test_an_unreachable_metadata_url_is_a_clear_page(client, organisation, domain):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    connect_by_metadata(organisation, domain, f"http://127.0.0.1:{port}/metadata.xml")

    response = client.post("/login/", {"login": f"sam@{domain}"})

    assert response.status_code == 503
    assert signed_in_user(client) is None


# --- riskreg's own key pair: signed requests, encrypted assertions (decision 111) --------------


def pem_body(certificate_pem: str) -> str:
    return "".join(line for line in certificate_pem.splitlines() if not line.startswith("-----"))


def request_signature_verifies(request: dict, certificate_pem: str) -> bool:
    """What an identity provider that requires signed requests checks (SAML bindings 3.4.4.1):
    the signature over the query's SAMLRequest, RelayState and SigAlg, exactly as sent."""
    raw = dict(part.split("=", 1) for part in urlsplit(request["location"]).query.split("&"))
    if "Signature" not in raw:
        return False
    assert unquote_plus(raw["SigAlg"]) == OneLogin_Saml2_Constants.RSA_SHA256
    signed = "&".join(f"{n}={raw[n]}" for n in ("SAMLRequest", "RelayState", "SigAlg") if n in raw)
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    try:
        certificate.public_key().verify(
            base64.b64decode(unquote_plus(raw["Signature"])),
            signed.encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except InvalidSignature:
        return False
    return True


def sp_metadata(client, provider):
    response = client.get(urlsplit(sso.saml_metadata_url(provider)).path)
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    descriptor = root.find("md:SPSSODescriptor", NS)
    keys = {
        key.get("use"): key.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS).text
        for key in descriptor.findall("md:KeyDescriptor", NS)
    }
    return descriptor, keys


def test_without_a_key_pair_requests_are_unsigned_and_the_metadata_offers_no_certificate(
    client, connected, domain
):
    request = start_sign_in(client, f"sam@{domain}")
    query = parse_qs(urlsplit(request["location"]).query)
    assert "Signature" not in query and "SigAlg" not in query

    descriptor, keys = sp_metadata(client, connected)
    assert keys == {}
    assert descriptor.get("AuthnRequestsSigned") == "false"


def test_with_a_key_pair_the_metadata_offers_its_certificate_for_signing_and_encryption(
    client, connected, sp_key
):
    descriptor, keys = sp_metadata(client, connected)

    body = pem_body(sp_key.certificate_pem)
    assert keys == {"signing": body, "encryption": body}
    assert descriptor.get("AuthnRequestsSigned") == "true"


def test_with_a_key_pair_the_authn_request_is_signed_with_riskregs_key(
    client, connected, domain, sp_key, idp
):
    request = start_sign_in(client, f"sam@{domain}")

    assert request_signature_verifies(request, sp_key.certificate_pem)
    assert not request_signature_verifies(request, idp.certificate_pem)
    altered = request | {"location": request["location"].replace("RelayState=", "RelayState=x")}
    assert not request_signature_verifies(altered, sp_key.certificate_pem)


def test_an_identity_provider_that_requires_signed_requests_and_encrypts_signs_people_in(
    client, organisation, connected, idp, domain, sp_key
):
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)
    assert request_signature_verifies(request, sp_key.certificate_pem)  # else it answers nothing

    saml_response = idp.response(request, email, encrypt_to=sp_key.certificate_pem)
    assert b"EncryptedAssertion" in base64.b64decode(saml_response)
    assert email.encode() not in base64.b64decode(saml_response)
    response = post_to_acs(client, request, saml_response)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user(client).email == email
    assert Membership.objects.get(user__email=email, organisation=organisation).role == Role.OWNER


def test_with_a_key_pair_a_plain_assertion_is_still_accepted(
    client, organisation, connected, idp, domain, sp_key
):
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)

    response = post_to_acs(client, request, idp.response(request, email))

    assert response.status_code == 302
    assert signed_in_user(client).email == email


def test_an_assertion_encrypted_to_another_certificate_is_refused_with_the_refusal_page(
    client, organisation, connected, idp, domain, sp_key, caplog
):
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)
    someone_else = IdentityProvider("riskreg.example.test")  # same name, its own key

    saml_response = idp.response(request, email, encrypt_to=someone_else.certificate_pem)
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = post_to_acs(client, request, saml_response)

    assert response.status_code == 401
    assert reason(response) == ASSERTION_NOT_DECRYPTED
    assert "Signing in through your organisation did not work" in text(response)
    assert signed_in_user(client) is None
    assert not Membership.objects.filter(user__email=email).exists()
    assert any(
        f"single sign-on refused: provider={connected.key} reason=assertion-not-decrypted" in m
        for m in caplog.messages
    )


def test_without_a_key_pair_an_encrypted_assertion_is_refused(
    client, organisation, connected, idp, domain, sp
):
    email = f"sam@{domain}"
    invitation_send(organisation=organisation, email=email, role=Role.OWNER)
    request = start_sign_in(client, email)

    response = post_to_acs(
        client, request, idp.response(request, email, encrypt_to=sp.certificate_pem)
    )

    assert response.status_code == 401
    assert reason(response).startswith("No private key available")
    assert signed_in_user(client) is None


@pytest.mark.parametrize("with_key", [False, True])
def test_the_page_and_the_command_say_whether_requests_are_signed_and_encryption_taken(
    admin_client, organisation, connected, settings, sp, with_key
):
    if with_key:
        settings.RISKREG_SAML_SP_CERTIFICATE = sp.certificate_pem
        settings.RISKREG_SAML_SP_PRIVATE_KEY = sp.key_pem
        signed = saml_keys.REQUESTS_SIGNED.format(certificate=saml_keys.key_pair().words)
        encryption = saml_keys.ENCRYPTED_ACCEPTED
        assert "CN=riskreg.example.test, valid until" in signed
    else:
        signed, encryption = saml_keys.REQUESTS_UNSIGNED, saml_keys.ENCRYPTED_NOT_ACCEPTED

    page = text(admin_client.get(settings_url(organisation)))
    assert capfirst(signed) in page and capfirst(encryption) in page

    listing = run("list", "--org", organisation.slug)
    assert f"riskreg's sign-in requests: {signed}" in listing
    assert f"encrypted assertions: {encryption}" in listing


def other_key_pem() -> str:
    return IdentityProvider().key_pem


@pytest.mark.parametrize(
    ("certificate", "key", "message"),
    [
        ("sp", "", saml_keys.HALF_A_PAIR.format(missing="RISKREG_SAML_SP_KEY")),
        ("", "sp", saml_keys.HALF_A_PAIR.format(missing="RISKREG_SAML_SP_CERT")),
        ("not a certificate", "sp", saml_keys.CERTIFICATE_UNREADABLE),
        ("sp", "not a key", saml_keys.KEY_UNREADABLE),
        ("sp", "with a passphrase", saml_keys.KEY_UNREADABLE),
        ("sp", "another key", saml_keys.KEY_NOT_THE_CERTIFICATES),
    ],
)
def test_a_key_pair_that_cannot_be_used_stops_start_up_with_its_reason(
    settings, sp, connected, certificate, key, message
):
    keys = {
        "sp": sp.key_pem,
        "another key": other_key_pem(),
        "with a passphrase": sp.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        ).decode(),
    }
    settings.RISKREG_SAML_SP_CERTIFICATE = (
        sp.certificate_pem if certificate == "sp" else certificate
    )
    settings.RISKREG_SAML_SP_PRIVATE_KEY = keys.get(key, key)

    errors = saml_keys.saml_key_pair()

    assert [(e.id, e.msg) for e in errors] == [("accounts.E001", message)]
    assert "accounts.E001" in [e.id for e in checks.run_checks(tags=[checks.Tags.security])]
    with pytest.raises(ImproperlyConfigured):
        saml_keys.key_pair()
    assert saml_keys.requests_words() == saml_keys.PAIR_UNUSABLE.format(problem=message)
    # Should it slip past the check, sign-in goes on without it, as with none.
    advanced = sso.saml_app(connected).settings["advanced"]
    assert "private_key" not in advanced and "authn_request_signed" not in advanced


def test_a_usable_key_pair_or_none_passes_the_start_up_check(settings, sp_key):
    assert saml_keys.saml_key_pair() == []
    settings.RISKREG_SAML_SP_CERTIFICATE = settings.RISKREG_SAML_SP_PRIVATE_KEY = ""
    assert saml_keys.saml_key_pair() == []
    assert saml_keys.key_pair() is None


def test_the_key_pair_comes_from_a_variable_or_the_file_its_file_variable_names(
    monkeypatch, tmp_path, sp
):
    monkeypatch.delenv("RISKREG_SAML_SP_KEY", raising=False)
    monkeypatch.delenv("RISKREG_SAML_SP_KEY_FILE", raising=False)
    assert env_pem("RISKREG_SAML_SP_KEY") == ""

    monkeypatch.setenv("RISKREG_SAML_SP_KEY", sp.key_pem)
    assert env_pem("RISKREG_SAML_SP_KEY") == sp.key_pem

    path = tmp_path / "riskreg-saml.key"
    path.write_text(sp.key_pem)
    monkeypatch.setenv("RISKREG_SAML_SP_KEY_FILE", str(path))
    with pytest.raises(
        ImproperlyConfigured, match="set RISKREG_SAML_SP_KEY or RISKREG_SAML_SP_KEY_FILE, not both"
    ):
        env_pem("RISKREG_SAML_SP_KEY")

    monkeypatch.delenv("RISKREG_SAML_SP_KEY")
    assert env_pem("RISKREG_SAML_SP_KEY") == sp.key_pem

    monkeypatch.setenv("RISKREG_SAML_SP_KEY_FILE", str(tmp_path / "nowhere.key"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read \\(FileNotFoundError\\)"):
        env_pem("RISKREG_SAML_SP_KEY")
