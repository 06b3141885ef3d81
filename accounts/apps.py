from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Signing in: invitations' acceptance, password reset, two-factor, single sign-on and the
    account page, on django-allauth. Reads ``registers`` (organisations, memberships, the access
    functions); ``registers`` knows nothing of it."""

    name = "accounts"
    verbose_name = "Accounts and sign-in"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import middleware, password_reset

        user_logged_in.connect(middleware.on_signed_in, dispatch_uid="riskreg-second-factor")
        password_reset.connect_receivers()
        # The writes that change who must set up a second factor reach open sessions at once.
        middleware.connect_receivers()
        # A person's own second factors added, removed and replaced, in the security log.
        from . import second_factor_log

        second_factor_log.connect_receivers()
        # riskreg's SAML key pair checked at start-up (a system check).
        from . import saml_keys  # noqa: F401
