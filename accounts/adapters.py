"""riskreg's rules in django-allauth's flows (``ACCOUNT_ADAPTER``, ``SOCIALACCOUNT_ADAPTER``).

- Nobody signs themselves up: an account begins with an invitation or an admin's ``add_member``.
- allauth's e-mails (password reset, address confirmation, two-factor changes) go out in the
  house style through the queue (``riskreg.mail``), with links from ``RISKREG_BASE_URL``.
- Sign-in throttling counts client addresses the way django-axes does (``riskreg.security``).
- Single sign-on providers are organisations' own rows (``accounts.sso``), and signing in with
  one never makes an account or a membership by itself (``accounts.sso_sign_in``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from riskreg import mail
from riskreg.security import client_ip

from . import sso
from .password_reset import duration_words


def _absolute(url: str) -> str:
    """allauth builds links from the request's host; e-mails use RISKREG_BASE_URL's, so a link
    never points at whatever Host header a request carried."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return mail.absolute(path)


SIGN_IN_FAILED = "The e-mail address or password is not right. Check them and try again."


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": SIGN_IN_FAILED,
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        return client_ip(request) or "0.0.0.0"  # noqa: S104  only a rate-limit key

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        context = {"email": email, **context}
        for key in ("password_reset_url", "activate_url"):
            if context.get(key):
                context[key] = _absolute(context[key])
        message = self.render_mail(template_prefix, email, context)
        html = next(
            (
                content
                for content, kind in getattr(message, "alternatives", [])
                if kind == "text/html"
            ),
            "",
        )
        mail.send_later(subject=message.subject, text=message.body, html=html, to=message.to)

    def send_password_reset_mail(self, user, email: str, context: dict) -> None:
        """The reset link; or, for an address of a domain whose organisation lets its people in
        only through its own sign-in service, an e-mail saying so with no link (a password set
        here could not be used to sign in). An account the provider may not sign in (decision
        114) gets the link."""
        provider = sso.provider_for_email(email)
        if provider is not None and sso.beyond_connection(provider, user):
            provider = None
        if provider is not None and provider.only_way_in:
            self.send_mail(
                "account/email/password_reset_sso_only",
                email,
                {
                    "user": user,
                    "organisation": provider.organisation,
                    "provider": provider,
                    "sign_in_url": mail.absolute(reverse("login")),
                },
            )
            return
        context = {
            **context,
            "link_lasts": duration_words(settings.PASSWORD_RESET_TIMEOUT),
            "reset_request_url": mail.absolute(reverse("account_reset_password")),
        }
        super().send_password_reset_mail(user, email, context)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request: HttpRequest, provider=None, client_id=None):
        """Organisations' providers, from our table instead of allauth's ``SocialApp`` rows."""
        providers = sso.providers_for_allauth(provider=provider, client_id=client_id)
        return [sso.social_app(row) for row in providers]

    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        from .sso_sign_in import may_sign_up

        return may_sign_up(request, sociallogin)

    def pre_social_login(self, request: HttpRequest, sociallogin) -> None:
        from .sso_sign_in import check_sign_in

        check_sign_in(request, sociallogin)
