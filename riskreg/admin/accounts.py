"""Accounts, memberships and register grants in the admin.

Accounts are not an organisation's to manage (issue 11): a person may be a member of several
organisations, so an organisation admin who could set the password or e-mail of a member could
take over the account of another organisation's admin, or a superuser's. Only superusers see the
user admin. Memberships (role, grants, clearance) are changed on the members pages, through the
services that keep the last-admin rule, the register grants and the security log; everyone reads
them here.

Deleting an account (superusers) takes its second factors and single sign-on links with it, each
in the security log (decision 131), beside the "account deleted" and "membership removed" lines
the signals write (``riskreg.security``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from api.models import ApiToken
from registers.models import (
    Membership,
    RegisterGroupObjectPermission,
    RegisterUserObjectPermission,
    User,
)
from registers.services.accounts import (
    sign_in_address_add,
    sign_in_address_change,
    sign_in_address_clean,
)

from .read_only import ChangedOnItsPage, DeletedWithItsRows
from .scoping import BY_ORGANISATION, OrganisationScoped, OrganisationScopedAdmin

log = logging.getLogger("riskreg.security")


class ReadOnlyForOrganisationAdmins:
    """Mixed in before ``OrganisationScopedAdmin``: organisation admins read their own rows;
    changes go through the members pages (and their services); superusers may change."""

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


class SuperuserOnlyAdmin(ReadOnlyForOrganisationAdmins):
    """Mixed in before ``OrganisationScoped``: nobody but a superuser sees these at all."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


def _sign_in_address_field(form) -> str:
    """The address field as the sign-in address rule has it (lowered; not another account's),
    the rule's refusal as the field's error rather than a 500 at save."""
    instance = form.instance if form.instance.pk is not None else None
    try:
        return sign_in_address_clean(email=form.cleaned_data["email"], user=instance)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict["email"]) from exc


class AccountChangeForm(UserChangeForm):
    def clean_email(self) -> str:
        return _sign_in_address_field(self)


class AccountAddForm(AdminUserCreationForm):
    def clean_email(self) -> str:
        return _sign_in_address_field(self)


@contextmanager
def _their_sign_in_logged(accounts, *, by) -> Iterator[None]:
    """Around the delete of ``accounts``: log the second factors, single sign-on links and
    live API tokens that go with them, as their own deletes are logged and a cascade was not (by kind and
    connection, never a secret, a key's name or the provider's subject). The accounts' rows are
    locked first, so a factor or link added meanwhile is either read here or refused."""
    with transaction.atomic():
        ids = list(
            User._default_manager.select_for_update()
            .filter(pk__in=accounts)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        factors = list(
            Authenticator.objects.filter(user_id__in=ids)
            .order_by("user_id", "type", "pk")
            .values_list("user_id", "type")
        )
        links = list(
            SocialAccount.objects.filter(user_id__in=ids)
            .order_by("user_id", "provider", "pk")
            .values_list("user_id", "provider")
        )
        tokens = list(
            ApiToken.objects.filter(user_id__in=ids, revoked_at__isnull=True)
            .order_by("user_id", "pk")
            .values_list("user_id", "pk", "name")
        )
        yield
    for user_id, kind in factors:
        log.warning(
            "second factor removed with the account: user=%s type=%s by=%s", user_id, kind, by.pk
        )
    for user_id, provider in links:
        log.warning(
            "single sign-on link removed with the account: user=%s provider=%s by=%s",
            user_id,
            provider,
            by.pk,
        )
    for user_id, token_id, name in tokens:  # as api_token_revoke logs a token's end
        log.warning(
            "api token removed with the account: token=%s name=%r user=%s by=%s",
            token_id,
            name,
            user_id,
            by.pk,
        )


@admin.register(User)
class RiskregUserAdmin(DeletedWithItsRows, SuperuserOnlyAdmin, OrganisationScoped, UserAdmin):
    """Superusers only; every change is written to the security log (riskreg.security).
    Accounts keep no simple-history table, so this uses Django's own history view (the
    admin's log), not simple-history's, which answered 500 here."""

    organisation_path = "memberships__organisation"
    ordering = ("email",)
    list_display = ("email", "full_name", "job_title", "is_staff", "is_active")
    search_fields = ("email", "full_name", "job_title")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "job_title")}),
        ("Status", {"fields": ("is_active", "is_staff", "is_superuser", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ("last_login",)
    filter_horizontal = ()
    list_filter = ("is_staff", "is_active")
    form = AccountChangeForm
    add_form = AccountAddForm

    def save_model(self, request, obj, form, change) -> None:
        """A new account gets its sign-in address as every other path makes one (decision 96);
        a changed one replaces the account's allauth addresses (``sign_in_address_change``,
        decision 100), so the old address no longer signs in or gets reset links. An address
        typed here is kept in lower case (the forms' ``clean_email``), as every other path keeps
        it, since allauth matches its own rows to ``User.email`` exactly. The admin's view runs
        in one transaction, so the account and its addresses are saved together or not at all."""
        new_address = change and "email" in form.changed_data
        email = obj.email
        if new_address:
            obj.email = form.initial["email"]  # the service changes it, with its rows
        super().save_model(request, obj, form, change)
        if new_address:
            sign_in_address_change(user=obj, email=email, by=request.user)
        elif not change:
            sign_in_address_add(user=obj)

    # No service deletes an account; these are the admin's only deletes of one (its page and
    # "delete selected"), so they log what the cascade takes (decision 131).
    def delete_model(self, request, obj) -> None:
        with _their_sign_in_logged([obj.pk], by=request.user):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        with _their_sign_in_logged(queryset.values("pk"), by=request.user):
            super().delete_queryset(request, queryset)


# Memberships and register grants are changed on the members pages, superusers' too (decision
# 118): their services keep the last admin, the role groups and the grants in step
# (``membership_sync``), and keep a grant to a member of the register's own organisation. A
# superuser's plain save skipped all three. New members come from the pages or add_member.
@admin.register(Membership)
class MembershipAdmin(ChangedOnItsPage, OrganisationScopedAdmin):
    list_display = ("user", "organisation", "role")
    list_filter = ("role", BY_ORGANISATION)
    list_select_related = ("user", "organisation")
    page_words = "the organisation's members"

    def page_url(self, obj: Membership) -> str:
        return reverse("members", args=[obj.organisation.slug])


class RegisterGrantAdmin(ChangedOnItsPage, OrganisationScopedAdmin):
    organisation_path = "content_object__organisation"
    page_words = "the organisation's members"

    def page_url(self, obj) -> str:
        return reverse("members", args=[obj.content_object.organisation.slug])


@admin.register(RegisterUserObjectPermission)
class RegisterUserPermissionAdmin(RegisterGrantAdmin):
    pass


@admin.register(RegisterGroupObjectPermission)
class RegisterGroupPermissionAdmin(RegisterGrantAdmin):
    pass
