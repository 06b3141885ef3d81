"""Template helpers for the account pages and allauth's e-mails: how long a reset link works
and how long a "Confirm it is you" counts, a page's absolute address (from ``RISKREG_BASE_URL``, as every e-mail link is), a
session's browser in a few words instead of its user-agent string, and the issuer and account an
authenticator app shows for an ``otpauth://`` address."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from allauth.mfa.adapter import get_adapter
from django import template
from django.conf import settings
from django.urls import reverse

from riskreg import mail

from ..password_reset import duration_words

register = template.Library()


@register.simple_tag
def reset_link_lasts() -> str:
    return duration_words(settings.PASSWORD_RESET_TIMEOUT)


@register.simple_tag
def reauthentication_lasts() -> str:
    """How long a confirmation ("Confirm it is you") counts before allauth asks again
    (``ACCOUNT_REAUTHENTICATION_TIMEOUT``, allauth's default 5 minutes)."""
    from allauth.account import app_settings as account_settings

    return duration_words(account_settings.REAUTHENTICATION_TIMEOUT)


@register.simple_tag
def absolute_url(name: str, *args) -> str:
    """``{% absolute_url 'account' %}``: the page's address for an e-mail, never the request's
    host (a request can carry any Host header)."""
    return mail.absolute(reverse(name, args=args))


@dataclass(frozen=True)
class OtpauthAccount:
    issuer: str
    label: str


@register.simple_tag
def otpauth_account(url: str) -> OtpauthAccount:
    """``{% otpauth_account totp_url as account %}``: the issuer and the account name the
    address carries (what the app will list), so the set-up page names what the QR code and
    link hold (``MFA_TOTP_ISSUER``, from ``RISKREG_TOTP_ISSUER``), never a name of its own. A
    label "Issuer:account" (the key URI format's other way) gives the issuer when no
    ``issuer`` parameter does."""
    parts = urlsplit(url or "")
    label = unquote(parts.path.lstrip("/"))
    prefix, colon, account = label.partition(":")
    issuer = (parse_qs(parts.query).get("issuer") or [""])[0]
    if colon:
        issuer, label = issuer or prefix.strip(), account.strip()
    return OtpauthAccount(issuer=issuer, label=label)


@register.simple_tag
def totp_issuer() -> str:
    """The name an authenticator app lists riskreg's entry under (allauth's, as in the address
    the set-up page gave it), for the page that turns the app off."""
    return get_adapter().get_totp_issuer()


# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|CriOS|HeadlessChrome)/")),
    ("Safari", re.compile(r"\bSafari/")),
)
SYSTEMS = (
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("Mac", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)


@register.filter
def browser_name(user_agent: str) -> str:
    """ "Chrome on Windows", "Safari on iPhone"; "Unknown browser" when the string says neither."""
    user_agent = user_agent or ""
    browser = next((name for name, pattern in BROWSERS if pattern.search(user_agent)), "")
    system = next((name for name, pattern in SYSTEMS if pattern.search(user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "Unknown browser")
