"""django-allauth's models in the admin (decision 128): a superuser reads sign-in addresses there
but changes an account's address only on the account's page, whose save keeps ``User.email`` and
allauth's row in step; deleting a second factor there resets the account's two-factor sign-in as
a member's page does (logged, the person e-mailed); single sign-on links and sessions are read
there, a session's delete signs it out; allauth's provider and token rows, which riskreg never
reads, are not offered."""

from __future__ import annotations

import logging
from importlib import import_module

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse

from accounts.services_second_factor import RESET_SUBJECT
from registers.models import Role, User
from tests.accounts.test_second_factor import give_totp
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

OLD = "ann.smith@example.test"
NEW = "ann.jones@example.test"


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True, full_name="Sam Super")


@pytest.fixture
def su_client(client, superuser) -> Client:
    client.force_login(superuser)
    return client


@pytest.fixture
def person():
    return UserFactory(email=OLD, full_name="Ann Smith")


def addresses(user) -> list[tuple]:
    return list(
        EmailAddress.objects.filter(user=user)
        .order_by("email")
        .values_list("email", "verified", "primary")
    )


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]


# --- sign-in addresses -------------------------------------------------------------------------


def test_a_superuser_cannot_change_add_delete_or_verify_an_address_in_allauths_admin(
    su_client, person
):
    row = EmailAddress.objects.get(user=person)
    change = reverse("admin:account_emailaddress_change", args=[row.pk])
    page = su_client.get(change)
    assert page.status_code == 200  # read
    text = page.content.decode()
    assert 'name="email"' not in text  # no field to type in
    assert reverse("admin:registers_user_change", args=[person.pk]) in text  # where it changes
    posted = su_client.post(
        change, {"email": "someone.else@example.test", "user": person.pk, "primary": "on"}
    )
    assert posted.status_code == 403
    assert su_client.get(reverse("admin:account_emailaddress_add")).status_code == 403
    assert su_client.post(reverse("admin:account_emailaddress_add"), {}).status_code == 403
    delete = reverse("admin:account_emailaddress_delete", args=[row.pk])
    assert su_client.post(delete, {"post": "yes"}).status_code == 403
    EmailAddress.objects.create(user=person, email="pending@example.test", verified=False)
    pending = EmailAddress.objects.get(email="pending@example.test")
    su_client.post(
        reverse("admin:account_emailaddress_changelist"),
        {"action": "make_verified", "_selected_action": [pending.pk]},
    )
    assert addresses(person) == [(OLD, True, True), ("pending@example.test", False, False)]
    assert User.objects.get(pk=person.pk).email == OLD


def test_the_account_page_changes_the_address_and_allauths_row_together(su_client, person):
    response = su_client.post(
        reverse("admin:registers_user_change", args=[person.pk]),
        {
            "email": NEW,
            "full_name": person.full_name,
            "job_title": person.job_title,
            "is_active": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=person.pk).email == NEW
    assert addresses(person) == [(NEW, True, True)]


def test_an_organisation_admin_sees_none_of_allauths_rows(client, organisation, person):
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    MembershipFactory(organisation=organisation, user=person, role=Role.OWNER)
    client.force_login(admin)
    row = EmailAddress.objects.get(user=person)
    assert client.get(reverse("admin:account_emailaddress_changelist")).status_code == 403
    assert client.get(reverse("admin:account_emailaddress_change", args=[row.pk])).status_code in (
        302,
        403,
    )
    assert client.get(reverse("admin:mfa_authenticator_changelist")).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert "account/emailaddress" not in index and "mfa/authenticator" not in index


# --- second factors ----------------------------------------------------------------------------


def test_deleting_a_second_factor_in_the_admin_resets_them_all_logged_and_told(
    su_client, superuser, person, caplog, send_queued_email
):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    give_totp(person)  # an authenticator app and its recovery codes
    totp = Authenticator.objects.get(user=person, type=Authenticator.Type.TOTP)
    delete = reverse("admin:mfa_authenticator_delete", args=[totp.pk])
    confirm = su_client.get(delete).content.decode()
    assert "Recovery codes" in confirm  # listed: it goes too
    assert Authenticator.objects.filter(user=person).count() == 2  # a GET deletes nothing
    with send_queued_email() as outbox:
        response = su_client.post(delete, {"post": "yes"})
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=person).exists()
    assert (
        f"second factor reset: user={person.pk} organisation=- by={superuser.pk}"
        in security_lines(caplog)
    )
    (email,) = outbox
    assert email.to == [person.email] and email.subject == RESET_SUBJECT
    assert "a system administrator of riskreg" in email.body
    assert superuser.email in email.body


def test_the_admin_neither_adds_nor_changes_a_second_factor_nor_shows_its_secret(su_client, person):
    give_totp(person)
    totp = Authenticator.objects.get(user=person, type=Authenticator.Type.TOTP)
    change = reverse("admin:mfa_authenticator_change", args=[totp.pk])
    page = su_client.get(change)
    assert page.status_code == 200
    assert totp.data["secret"] not in page.content.decode()
    assert 'name="data"' not in page.content.decode()
    assert su_client.post(change, {"user": person.pk, "type": "totp"}).status_code == 403
    assert su_client.get(reverse("admin:mfa_authenticator_add")).status_code == 403
    assert Authenticator.objects.filter(user=person).count() == 2


def test_the_list_action_resets_each_chosen_persons_factors(
    su_client, superuser, person, caplog, send_queued_email
):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    other = UserFactory(full_name="Bob Baker")
    give_totp(person)
    give_totp(other)
    chosen = Authenticator.objects.get(user=person, type=Authenticator.Type.RECOVERY_CODES)
    with send_queued_email() as outbox:
        su_client.post(
            reverse("admin:mfa_authenticator_changelist"),
            {"action": "delete_selected", "_selected_action": [chosen.pk], "post": "yes"},
        )
    assert not Authenticator.objects.filter(user=person).exists()
    assert Authenticator.objects.filter(user=other).count() == 2
    assert [email.to for email in outbox] == [[person.email]]
    assert sum("second factor reset:" in line for line in security_lines(caplog)) == 1


# --- single sign-on and sessions ---------------------------------------------------------------


def test_allauths_provider_and_token_rows_are_not_offered(su_client):
    for name in ("socialapp", "socialtoken"):
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:socialaccount_{name}_changelist")
    assert "socialaccount/socialapp" not in su_client.get(reverse("admin:index")).content.decode()


def test_a_single_sign_on_link_is_read_and_deleted_never_added_or_changed(su_client, person):
    link = SocialAccount.objects.create(
        user=person, provider="oidc-x", uid="subject-1", extra_data={"name": "Ann"}
    )
    change = reverse("admin:socialaccount_socialaccount_change", args=[link.pk])
    assert su_client.get(change).status_code == 200
    assert (
        su_client.post(change, {"user": person.pk, "provider": "oidc-x", "uid": "subject-2"})
    ).status_code == 403
    assert su_client.get(reverse("admin:socialaccount_socialaccount_add")).status_code == 403
    assert SocialAccount.objects.get(pk=link.pk).uid == "subject-1"
    delete = reverse("admin:socialaccount_socialaccount_delete", args=[link.pk])
    assert su_client.post(delete, {"post": "yes"}).status_code == 302
    assert not SocialAccount.objects.filter(pk=link.pk).exists()


def test_deleting_a_single_sign_on_link_is_logged_by_whom(su_client, superuser, person, caplog):
    """Decision 131: the delete wrote no security line; it names the account, the connection
    and who, never the provider's subject."""
    caplog.set_level(logging.INFO, logger="riskreg.security")
    link = SocialAccount.objects.create(user=person, provider="oidc-x", uid="subject-1")
    delete = reverse("admin:socialaccount_socialaccount_delete", args=[link.pk])
    assert su_client.post(delete, {"post": "yes"}).status_code == 302
    assert not SocialAccount.objects.filter(pk=link.pk).exists()
    lines = security_lines(caplog)
    assert (
        f"single sign-on link removed: user={person.pk} provider=oidc-x by={superuser.pk}" in lines
    ), lines
    assert not any("subject-1" in line for line in lines)


def test_delete_selected_single_sign_on_links_logs_each(su_client, superuser, person, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    other = UserFactory(full_name="Bob Baker")
    chosen = [
        SocialAccount.objects.create(user=person, provider="oidc-x", uid="subject-1"),
        SocialAccount.objects.create(user=person, provider="saml-y", uid="subject-2"),
    ]
    kept = SocialAccount.objects.create(user=other, provider="oidc-x", uid="subject-3")
    response = su_client.post(
        reverse("admin:socialaccount_socialaccount_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [link.pk for link in chosen],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert list(SocialAccount.objects.values_list("pk", flat=True)) == [kept.pk]
    removed = [line for line in security_lines(caplog) if "single sign-on link removed" in line]
    assert removed == [
        f"single sign-on link removed: user={person.pk} provider=oidc-x by={superuser.pk}",
        f"single sign-on link removed: user={person.pk} provider=saml-y by={superuser.pk}",
    ]


def test_deleting_a_session_in_the_admin_signs_it_out(su_client, person):
    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore()
    store["_auth_user_id"] = str(person.pk)
    store.create()
    key = store.session_key
    session = UserSession.objects.create(
        user=person, session_key=key, ip="198.51.100.7", user_agent="Firefox"
    )
    change = reverse("admin:usersessions_usersession_change", args=[session.pk])
    page = su_client.get(change)
    assert page.status_code == 200 and key not in page.content.decode()
    assert su_client.post(change, {"ip": "198.51.100.8"}).status_code == 403
    delete = reverse("admin:usersessions_usersession_delete", args=[session.pk])
    assert su_client.post(delete, {"post": "yes"}).status_code == 302
    assert not UserSession.objects.filter(pk=session.pk).exists()
    assert not engine.SessionStore().exists(key)
