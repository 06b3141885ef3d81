"""django-allauth's models in the admin: read here, changed where riskreg's rules are kept.

allauth registers an admin of its own for each of its models on the default site, which is ours
(``riskreg.apps.RiskregAdminConfig``), and those admins saved rows plainly, a superuser's save
past every service that keeps riskreg's rules about accounts (decision 128). They are replaced
here; only superusers see them (no role group holds a permission on allauth's models).

- Sign-in addresses (``EmailAddress``) are read here, never added, changed, verified or deleted:
  every account has exactly one verified, primary address, its ``User.email`` (decisions 96 and
  100), which a superuser changes on the account's own page here, whose save is
  ``sign_in_address_change``. A row changed here alone left ``User.email`` and the row apart
  (the person could no longer sign in by the address they were told, or two accounts claimed
  one address: allauth signs in, and sends reset links, by its verified rows).
- Second factors (``Authenticator``) are read here, never their secrets; never added or changed.
  Deleting one resets the account's two-factor sign-in
  (``second_factor_reset_by_system_administrator``): every factor goes, as from a member's page,
  with the same security log line and the e-mail telling the person. Superusers are riskreg's
  system administrators, who may reset anyone's (decision 114); a plain delete was not logged
  and nobody was told, and could leave recovery codes without the factor they back up.
- Single sign-on connections are the organisations' own (``SingleSignOnProvider``: the settings
  page and ``sso_provider``, with their checks). allauth's ``SocialApp`` rows are never read
  (``accounts.adapters.SocialAccountAdapter.list_apps``) and its tokens never stored
  (``SOCIALACCOUNT_STORE_TOKENS``), so neither is shown: a connection made there did nothing. A
  person's link to a provider's subject (``SocialAccount``) is read here, without the claims the
  provider sent, and may be deleted (their next sign-in there links it again, through the
  sign-in's checks), logged (``sso_link_remove``, decision 131); never added or changed, which
  handed the account to another subject.
- Sessions (``UserSession``) are read here, without their key (the session cookie's value);
  deleting one signs it out, as the person's own sessions list does (a row deleted alone left
  the session signed in and off the list); never added or changed.
"""

from __future__ import annotations

# allauth registers its admins when these modules are first imported; import them now so that
# ours replace them whichever is imported first.
import allauth.account.admin  # noqa: F401
import allauth.mfa.admin  # noqa: F401
import allauth.socialaccount.admin  # noqa: F401
import allauth.usersessions.admin  # noqa: F401
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from allauth.usersessions.models import UserSession
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from accounts.services_second_factor import second_factor_reset_by_system_administrator
from accounts.services_sso_links import sso_link_remove

from .read_only import ChangedOnItsPage

for model in (
    EmailAddress,
    EmailConfirmation,
    Authenticator,
    SocialApp,
    SocialToken,
    SocialAccount,
    UserSession,
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class SuperusersOnly:
    """Mixed in first: nobody but a superuser sees these, whatever model permissions a staff
    account was given; never added or changed here."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


def _account_admin_url(obj) -> str:
    return reverse("admin:registers_user_change", args=[obj.user_id])


@admin.register(EmailAddress)
class SignInAddressAdmin(SuperusersOnly, ChangedOnItsPage, admin.ModelAdmin):
    list_display = ("email", "user", "primary", "verified")
    list_filter = ("primary", "verified")
    list_select_related = ("user",)
    search_fields = ("email", "user__email", "user__full_name")
    fields = ("email", "user", "primary", "verified", "product_page")
    actions = None  # allauth's "mark as verified" too
    page_words = "the account's page (its e-mail address)"

    def page_url(self, obj) -> str:
        return _account_admin_url(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Authenticator)
class SecondFactorAdmin(SuperusersOnly, admin.ModelAdmin):
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type",)
    list_select_related = ("user",)
    search_fields = ("user__email", "user__full_name")
    fields = ("user", "type", "created_at", "last_used_at", "deleting")
    readonly_fields = ("deleting",)

    @admin.display(description="Deleting")
    def deleting(self, obj) -> str:
        return (
            "Deleting any of a person's second factors resets their two-factor sign-in: every "
            "factor goes, it is logged, and they are e-mailed to say so."
        )

    def get_deleted_objects(self, objs, request):
        """The confirmation page lists every factor of the accounts, since every one goes."""
        users = {obj.user_id for obj in objs}
        return super().get_deleted_objects(
            Authenticator.objects.filter(user_id__in=users).select_related("user"), request
        )

    def delete_model(self, request, obj) -> None:
        self._reset(request, [obj.user])

    def delete_queryset(self, request, queryset) -> None:
        users = get_user_model()._default_manager.filter(pk__in=queryset.values("user_id"))
        self._reset(request, list(users))

    def _reset(self, request, users) -> None:
        for user in users:
            if second_factor_reset_by_system_administrator(user=user, by=request.user):
                self.message_user(
                    request,
                    f"{user.get_full_name()}'s two-factor sign-in was reset. They have been "
                    "e-mailed to say so.",
                    messages.SUCCESS,
                )


@admin.register(SocialAccount)
class SingleSignOnLinkAdmin(SuperusersOnly, admin.ModelAdmin):
    list_display = ("user", "provider", "uid", "last_login")
    list_filter = ("provider",)
    list_select_related = ("user",)
    search_fields = ("uid", "user__email", "user__full_name")
    fields = ("user", "provider", "uid", "date_joined", "last_login")

    def delete_model(self, request, obj) -> None:
        sso_link_remove(link=obj, by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for link in queryset.order_by("pk"):
                sso_link_remove(link=link, by=request.user)


@admin.register(UserSession)
class SessionAdmin(SuperusersOnly, admin.ModelAdmin):
    list_display = ("user", "created_at", "last_seen_at", "ip", "user_agent")
    list_select_related = ("user",)
    search_fields = ("user__email", "ip")
    fields = ("user", "created_at", "last_seen_at", "ip", "user_agent")

    def delete_model(self, request, obj) -> None:
        obj.end()

    def delete_queryset(self, request, queryset) -> None:
        for session in queryset:
            session.end()
