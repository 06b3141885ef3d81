"""riskreg's own SAML key pair, the service provider's (decision 111): one certificate and
private key for the installation, from the environment (``RISKREG_SAML_SP_CERT`` and
``RISKREG_SAML_SP_KEY``, or the files their ``_FILE`` variables name), never from the database
or the repository. With it, every SAML connection signs its AuthnRequests (RSA-SHA256), riskreg's
metadata publishes the certificate for signing and for encryption, and an assertion encrypted
to it is decrypted; plain signed assertions are still accepted. Without it, requests are unsigned
and only plain assertions can be read. A pair set by half, unreadable or mismatched stops
``migrate`` and ``runserver`` (a system check) rather than failing at someone's sign-in."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

HALF_A_PAIR = (
    "riskreg's SAML key pair is set by half: {missing} is not set (RISKREG_SAML_SP_CERT and "
    "RISKREG_SAML_SP_KEY, or their _FILE variables, go together)"
)
CERTIFICATE_UNREADABLE = (
    "RISKREG_SAML_SP_CERT is not an X.509 certificate in PEM form (-----BEGIN CERTIFICATE-----)"
)
KEY_UNREADABLE = (
    "RISKREG_SAML_SP_KEY is not an unencrypted private key in PEM form (-----BEGIN PRIVATE "
    "KEY----- or -----BEGIN RSA PRIVATE KEY-----, with no passphrase)"
)
KEY_NOT_RSA = "RISKREG_SAML_SP_KEY must be an RSA key of at least 2048 bits (it signs RSA-SHA256)"
KEY_NOT_THE_CERTIFICATES = (
    "RISKREG_SAML_SP_KEY is not the private key of the certificate in RISKREG_SAML_SP_CERT"
)

REQUESTS_SIGNED = "signed (RSA-SHA256) with riskreg's certificate {certificate}"
REQUESTS_UNSIGNED = (
    "not signed: riskreg has no SAML key pair (RISKREG_SAML_SP_CERT and RISKREG_SAML_SP_KEY)"
)
ENCRYPTED_ACCEPTED = (
    "accepted when encrypted to riskreg's certificate (its metadata publishes it), and plain "
    "ones too"
)
ENCRYPTED_NOT_ACCEPTED = (
    "not accepted: riskreg has no key to decrypt them, so the identity provider must send them "
    "plain (signed)"
)

PAIR_UNUSABLE = "no: riskreg's SAML key pair is left out until this is mended: {problem}"


@dataclass(frozen=True)
class KeyPair:
    certificate: str
    private_key: str
    words: str  # whose certificate and until when, for someone checking it is the right one


def key_pair() -> KeyPair | None:
    """riskreg's SAML key pair, or None when none is set. Raises ImproperlyConfigured for one
    that cannot be used (the system check reports it at start-up)."""
    certificate = settings.RISKREG_SAML_SP_CERTIFICATE.strip()
    private_key = settings.RISKREG_SAML_SP_PRIVATE_KEY.strip()
    if not certificate and not private_key:
        return None
    return _checked(certificate, private_key)


@functools.lru_cache(maxsize=4)
def _checked(certificate: str, private_key: str) -> KeyPair:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if not certificate or not private_key:
        missing = "RISKREG_SAML_SP_CERT" if not certificate else "RISKREG_SAML_SP_KEY"
        raise ImproperlyConfigured(HALF_A_PAIR.format(missing=missing))
    try:
        parsed = x509.load_pem_x509_certificate(certificate.encode("ascii"))
    except ValueError:
        raise ImproperlyConfigured(CERTIFICATE_UNREADABLE) from None
    try:
        key = load_pem_private_key(private_key.encode("ascii"), password=None)
    except (ValueError, TypeError):  # TypeError: it has a passphrase
        raise ImproperlyConfigured(KEY_UNREADABLE) from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ImproperlyConfigured(KEY_NOT_RSA)
    if key.public_key().public_numbers() != parsed.public_key().public_numbers():
        raise ImproperlyConfigured(KEY_NOT_THE_CERTIFICATES)
    words = f"{parsed.subject.rfc4514_string()}, valid until {parsed.not_valid_after_utc:%Y-%m-%d}"
    return KeyPair(certificate=certificate, private_key=private_key, words=words)


def requests_words() -> str:
    """Whether riskreg signs its AuthnRequests, for the settings page and ``sso_provider list``."""
    try:
        pair = key_pair()
    except ImproperlyConfigured as error:
        return PAIR_UNUSABLE.format(problem=error)
    return REQUESTS_SIGNED.format(certificate=pair.words) if pair else REQUESTS_UNSIGNED


def encryption_words() -> str:
    """Whether riskreg can take encrypted assertions, in the same places."""
    try:
        pair = key_pair()
    except ImproperlyConfigured as error:
        return PAIR_UNUSABLE.format(problem=error)
    return ENCRYPTED_ACCEPTED if pair else ENCRYPTED_NOT_ACCEPTED


@checks.register(checks.Tags.security)
def saml_key_pair(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        key_pair()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="accounts.E001")]
    return []
