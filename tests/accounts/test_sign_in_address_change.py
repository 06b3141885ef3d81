"""Changing an account's sign-in address other than by allauth's own change flow (the Django
admin's user page) replaces its allauth addresses: the new one is the only verified one, the old
one is gone, so a password reset for the old address sends nothing (decision 100). A refusal
because another account holds an address is a field error, on the admin's page and on the
person's own e-mail page, never a 500."""

from __future__ import annotations

import logging

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.forms_account import ADDRESS_NOT_YOURS_ALONE
from registers.models import User
from registers.services.accounts import (
    ADDRESS_HELD,
    ADDRESS_TAKEN,
    sign_in_address_change,
)
from tests.accounts.test_password_reset import BASE_URL, link_from, request_reset
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

OLD = "ann.smith@example.test"
NEW = "ann.jones@example.test"


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.RISKREG_BASE_URL = BASE_URL
    cache.clear()  # allauth's rate limits count in the cache
    yield
    cache.clear()


@pytest.fixture
def person():
    return UserFactory(email=OLD, full_name="Ann Smith")


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


def addresses(user) -> list[tuple]:
    return list(
        EmailAddress.objects.filter(user=user)
        .order_by("email")
        .values_list("email", "verified", "primary")
    )


def admin_change(client: Client, user: User, **changes):
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "job_title": user.job_title,
        "is_active": "on",
        "_save": "Save",
    } | changes
    return client.post(reverse("admin:registers_user_change", args=[user.pk]), data)


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]


# --- the Django admin ----------------------------------------------------------------------


def test_after_an_admin_changes_the_address_a_reset_for_the_old_one_sends_nothing(
    client, person, superuser, send_queued_email, caplog
):
    client.force_login(superuser)
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = admin_change(client, person, email=" Ann.Jones@Example.test ")
    assert response.status_code == 302, response.content.decode()[:2000]
    person.refresh_from_db()
    assert person.email == NEW
    assert addresses(person) == [(NEW, True, True)]
    lines = security_lines(caplog)
    assert any(
        f"account changed: user={person.pk}: email: '{OLD}' -> '{NEW}' by={superuser.pk}" in line
        for line in lines
    ), lines
    assert f"sign-in address replaced: user={person.pk} removed=1 by={superuser.pk}" in lines

    anonymous = Client()
    with send_queued_email() as outbox:
        old = request_reset(anonymous, OLD)
        unknown = request_reset(anonymous, "nobody@example.test")
    assert outbox == []
    assert (old.status_code, old["Location"]) == (unknown.status_code, unknown["Location"])
    with send_queued_email() as outbox:
        request_reset(anonymous, NEW)
    (message,) = outbox
    assert message.to == [NEW]
    link_from(message)
    # The old address no longer signs in as the account; the new one does.
    refused = Client().post("/login/", {"login": OLD, "password": PASSWORD})
    assert refused.status_code == 400 and "_auth_user_id" not in refused.wsgi_request.session
    signs_in = Client()
    assert signs_in.post("/login/", {"login": NEW, "password": PASSWORD}).status_code == 302
    assert signs_in.session["_auth_user_id"] == str(person.pk)


def test_the_admins_change_drops_every_other_address_confirmed_or_not(
    client, person, superuser, caplog
):
    """An admin's change is a recovery: a change asked for on the e-mail page and not confirmed
    (whoever held the session, or a typo) goes, as do a verified address other than the sign-in
    one (left by an admin's change before this rule) and the old sign-in address."""
    EmailAddress.objects.create(user=person, email="stale@example.test", verified=True)
    EmailAddress.objects.create(user=person, email="asked@example.test", verified=False)
    client.force_login(superuser)
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        assert admin_change(client, person, email=NEW).status_code == 302
    assert addresses(person) == [(NEW, True, True)]
    assert f"sign-in address replaced: user={person.pk} removed=3 by={superuser.pk}" in (
        security_lines(caplog)
    )


def test_the_admin_changes_to_the_address_the_person_asked_for(client, person, superuser):
    EmailAddress.objects.create(user=person, email=NEW, verified=False)
    client.force_login(superuser)
    assert admin_change(client, person, email=NEW).status_code == 302
    assert addresses(person) == [(NEW, True, True)]


def test_saving_the_admin_page_without_changing_the_address_leaves_the_rows(
    client, person, superuser
):
    client.force_login(superuser)
    before = addresses(person)
    assert admin_change(client, person, full_name="Ann Jones").status_code == 302
    assert addresses(person) == before


@pytest.mark.parametrize("held_as", ["verified-row", "sign-in-address"])
def test_the_admin_refuses_an_address_another_account_holds_as_a_field_error(
    client, person, superuser, held_as
):
    other = UserFactory(email="other@example.test")
    if held_as == "verified-row":  # another account's address left from before
        EmailAddress.objects.create(user=other, email=NEW, verified=True)
        message = ADDRESS_HELD.format(email=NEW)
    else:
        other.email = NEW
        other.save(update_fields=["email"])
        message = ADDRESS_TAKEN.format(email=NEW)
    client.force_login(superuser)
    response = admin_change(client, person, email=NEW.upper())
    assert response.status_code == 200  # the admin's own answer to an invalid form
    assert response.context["adminform"].form.errors["email"] == [message]
    person.refresh_from_db()
    assert person.email == OLD
    assert addresses(person) == [(OLD, True, True)]


def test_the_admin_add_page_refuses_an_address_another_account_holds_as_a_field_error(
    client, superuser
):
    other = UserFactory(email="other@example.test")
    EmailAddress.objects.create(user=other, email=NEW, verified=True)
    client.force_login(superuser)
    response = client.post(
        reverse("admin:registers_user_add"),
        {
            "email": NEW,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
            "_save": "Save",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [ADDRESS_HELD.format(email=NEW)]
    assert not User.objects.filter(email=NEW).exists()


# --- the service -----------------------------------------------------------------------------


def test_the_service_refuses_and_changes_nothing(person):
    other = UserFactory(email="other@example.test")
    for email, message in (
        ("", "an account needs an e-mail address"),
        ("Other@Example.test", ADDRESS_TAKEN.format(email="other@example.test")),
    ):
        with pytest.raises(ValidationError) as refused:
            sign_in_address_change(user=person, email=email, by=None)
        assert refused.value.message_dict == {"email": [message]}
    person.refresh_from_db()
    assert person.email == OLD and addresses(person) == [(OLD, True, True)]
    assert addresses(other) == [("other@example.test", True, True)]


def test_the_service_by_a_command_is_logged_as_one(person, caplog):
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        sign_in_address_change(user=person, email=NEW, by=None)
    assert f"sign-in address replaced: user={person.pk} removed=1 by=command" in (
        security_lines(caplog)
    )
    assert addresses(person) == [(NEW, True, True)]


# --- the person's own e-mail page ----------------------------------------------------------


def test_the_e_mail_page_explains_an_address_another_account_also_holds(
    send_queued_email,
):
    """An account from before decision 96 whose address another account holds as a verified
    allauth row (an admin's change before this rule left it there): the migration left it
    without its row, and the change form's keeping of it was refused with a 500."""
    person = UserFactory(email=OLD, sign_in_address=False)
    client = Client(raise_request_exception=False)
    assert client.post("/login/", {"login": OLD, "password": PASSWORD}).status_code == 302
    # After signing in: the other account's row also makes allauth sign that account in by
    # this address, so the person now signs in only by single sign-on or a session kept.
    other = UserFactory(email="other@example.test")
    EmailAddress.objects.create(user=other, email=OLD, verified=True)
    with send_queued_email() as outbox:
        response = client.post(reverse("account_email"), {"email": NEW, "action_add": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [ADDRESS_NOT_YOURS_ALONE.format(email=OLD)]
    assert outbox == []
    person.refresh_from_db()
    assert person.email == OLD
    # No change started (allauth's page itself copies the address, unverified, for an account
    # without its row, as decision 96 describes).
    assert addresses(person) in ([], [(OLD, False, False)])
    assert addresses(other) == [(OLD, True, False), ("other@example.test", True, True)]
