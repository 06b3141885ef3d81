"""Every account has its sign-in address in django-allauth's table, verified and primary, from the
moment it is made, whichever path made it; migration accounts.0004 made the rows missing from
before (decision 96). Without the row allauth made an unverified copy when one of its pages
first read it (a GET that wrote), and the copy stopped the person adding a second factor."""

from __future__ import annotations

import importlib

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.core.management import call_command
from django.db import connection, migrations
from django.urls import reverse

from demo.seeding import _demo_user
from registers.models import Role, User
from registers.services.organisations import member_add
from tests.accounts.test_password_reset import (
    BASE_URL,
    NEW_PASSWORD,
    link_from,
    request_reset,
    reset_with,
)
from tests.accounts.test_second_factor import activate_totp, recently_signed_in
from tests.factories import PASSWORD, OrganisationFactory, UserFactory


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.RISKREG_BASE_URL = BASE_URL
    from django.core.cache import cache

    cache.clear()  # allauth's rate limits count in the cache
    yield
    cache.clear()


def migration():
    return importlib.import_module("accounts.migrations.0004_sign_in_addresses")


def rows(user) -> list[tuple]:
    return list(
        EmailAddress.objects.filter(user=user)
        .order_by("pk")
        .values_list("pk", "email", "verified", "primary")
    )


def addresses(user) -> list[tuple]:
    return [row[1:] for row in rows(user)]


# --- every path that makes an account --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("password", [None, "violet-harbour-lantern-42"])
def test_a_member_added_by_member_add_has_a_primary_verified_address(password):
    organisation = OrganisationFactory()
    membership = member_add(
        organisation=organisation,
        email=" Ann.Smith@Example.test",
        role=Role.VIEWER,
        password=password,
    )
    assert addresses(membership.user) == [("ann.smith@example.test", True, True)]


@pytest.mark.django_db
def test_the_add_member_command_makes_the_address():
    organisation = OrganisationFactory()
    call_command(
        "add_member", "--org", organisation.slug, "--email", "bo@example.test", "--role", "owner"
    )
    assert addresses(User.objects.get(email="bo@example.test")) == [("bo@example.test", True, True)]


@pytest.mark.django_db
def test_adding_an_existing_account_to_another_organisation_leaves_its_addresses_alone():
    person = UserFactory()
    before = rows(person)
    member_add(organisation=OrganisationFactory(), email=person.email, role=Role.VIEWER)
    assert rows(person) == before


@pytest.mark.django_db
def test_createsuperuser_create_user_and_the_demo_make_the_address(monkeypatch):
    call_command("createsuperuser", "--noinput", "--email", "root@example.test", verbosity=0)
    made = User.objects.create_user(email="Coord@Example.test", password="x")
    demo = _demo_user("Demo.Person@Example.demo", "Demo Person", "Director", "!unusable")
    assert addresses(User.objects.get(email="root@example.test")) == [
        ("root@example.test", True, True)
    ]
    assert addresses(made) == [("coord@example.test", True, True)]
    assert addresses(demo) == [("demo.person@example.demo", True, True)]


@pytest.mark.django_db
def test_an_account_added_in_the_django_admin_has_the_address(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:registers_user_add"),
        {
            "email": "New.Person@Example.test",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    person = User.objects.get(email="new.person@example.test")
    assert addresses(person) == [("new.person@example.test", True, True)]


@pytest.mark.django_db
def test_a_member_added_by_member_add_resets_their_password_then_adds_a_second_factor(
    client, send_queued_email
):
    """The defect as people met it: the reset link's check made allauth write an unverified
    copy of the address, and allauth refuses a second factor while an address is unverified.
    Opening the link writes nothing now."""
    organisation = OrganisationFactory()
    person = member_add(
        organisation=organisation, email="cat@example.test", role=Role.OWNER, password=PASSWORD
    ).user
    before = rows(person)
    with send_queued_email() as outbox:
        request_reset(client, person.email)
    assert rows(person) == before
    reset_with(client, link_from(outbox[0]))
    assert rows(person) == before
    assert client.post(reverse("login"), {"login": person.email, "password": NEW_PASSWORD})
    assert "_auth_user_id" in client.session
    recently_signed_in(client, person)
    activate_totp(client)
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    assert rows(person) == before


# --- the migration -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_migration_makes_missing_rows_and_leaves_existing_ones_alone():
    plain = UserFactory(sign_in_address=False)
    invited = UserFactory()  # verified and primary, as an invitation's acceptance makes it
    EmailAddress.objects.create(user=invited, email="changing.to@example.test")  # pending
    lazily = UserFactory(sign_in_address=False)  # allauth's unverified copy, made by a GET
    copy = EmailAddress.objects.create(user=lazily, email=lazily.email)
    moved = UserFactory(sign_in_address=False)  # address changed outside allauth
    EmailAddress.objects.create(user=moved, email="old@example.test", verified=True, primary=True)
    blank = UserFactory(sign_in_address=False)
    User.objects.filter(pk=blank.pk).update(email="")
    held = UserFactory(sign_in_address=False, email="held@example.test")
    EmailAddress.objects.create(user=UserFactory(), email="held@example.test", verified=True)
    invited_rows = rows(invited)

    done = migration().sign_in_addresses_add(apps, None, batch_size=2)

    assert addresses(plain) == [(plain.email, True, True)]
    assert rows(invited) == invited_rows
    assert rows(lazily) == [(copy.pk, lazily.email, True, True)]
    assert addresses(moved) == [("old@example.test", True, True), (moved.email, True, False)]
    assert rows(blank) == [] and rows(held) == []
    assert done["made"] == 2 and done["copy verified"] == 1
    assert done["blank"] == 1 and done["held by another account"] == 1

    everything = list(EmailAddress.objects.order_by("pk").values_list())
    again = migration().sign_in_addresses_add(apps, None, batch_size=3)
    assert list(EmailAddress.objects.order_by("pk").values_list()) == everything
    assert again["made"] == 0 and again["copy verified"] == 0


def test_the_migration_reverses_as_a_no_op():
    (operation,) = migration().Migration.operations
    assert operation.reversible and operation.reverse_code is migrations.RunPython.noop


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="drops a constraint in the test")
def test_accounts_sharing_an_address_but_for_case_are_left_without_a_row():
    """Only a database loaded around user_email_ci_unique has them; neither gets the address,
    since which of them it belongs to is for an admin to settle."""
    constraint = next(c for c in User._meta.constraints if c.name == "user_email_ci_unique")
    with connection.schema_editor() as editor:  # rolled back with the test's transaction
        editor.remove_constraint(User, constraint)
    first = UserFactory(sign_in_address=False, email="dup@example.test")
    second = UserFactory(sign_in_address=False, email="DUP@example.test ")
    other = UserFactory(sign_in_address=False)
    done = migration().sign_in_addresses_add(apps, None)
    assert rows(first) == [] and rows(second) == []
    assert addresses(other) == [(other.email, True, True)]
    assert done["shared"] == 2


@pytest.mark.django_db
def test_an_account_from_before_signs_in_resets_its_password_and_adds_a_second_factor(
    client, send_queued_email
):
    """As before the migration, and without the refusal a lazily made copy brought: the
    person had asked for a reset link once, so allauth had copied the address, unverified."""
    person = UserFactory(email="dan@example.test", sign_in_address=False)
    with send_queued_email():
        request_reset(client, person.email)
    assert addresses(person) == [(person.email, False, False)]
    migration().sign_in_addresses_add(apps, None)
    before = rows(person)
    assert [row[1:] for row in before] == [(person.email, True, True)]

    response = client.post(reverse("login"), {"login": person.email, "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    client.post(reverse("logout"))
    with send_queued_email() as outbox:
        request_reset(client, person.email)
    reset_with(client, link_from(outbox[-1]))  # the outbox holds the first request's too
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    client.post(reverse("login"), {"login": person.email, "password": NEW_PASSWORD})
    assert "_auth_user_id" in client.session
    recently_signed_in(client, person)
    activate_totp(client)
    assert Authenticator.objects.filter(user=person, type=Authenticator.Type.TOTP).exists()
    assert rows(person) == before
