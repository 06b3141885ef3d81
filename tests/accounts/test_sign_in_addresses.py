"""Every account has its sign-in address in django-allauth's table, verified and primary, from the
moment it is made, whichever path made it; migration accounts.0004 made the rows missing from
before, and removed the verified rows of old addresses an admin's change left (decision 96). Without the row allauth made an unverified copy when one of its pages
first read it (a GET that wrote), and the copy stopped the person adding a second factor."""

from __future__ import annotations

import importlib

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.core.management import call_command
from django.db import connection, migrations
from django.test import Client
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
    moved_pending = EmailAddress.objects.create(user=moved, email="changing@example.test")
    blank = UserFactory(sign_in_address=False)
    User.objects.filter(pk=blank.pk).update(email="")
    held = UserFactory(sign_in_address=False, email="held@example.test")
    # Held by an account the migration leaves alone (its own address blank); a row held by one
    # it processes is stale and goes (test_an_address_freed_by_a_stale_row_...).
    EmailAddress.objects.create(user=blank, email="held@example.test", verified=True)
    invited_rows = rows(invited)

    done = migration().sign_in_addresses_add(apps, None, batch_size=2)

    assert addresses(plain) == [(plain.email, True, True)]
    assert rows(invited) == invited_rows
    assert rows(lazily) == [(copy.pk, lazily.email, True, True)]
    assert rows(moved)[0] == (moved_pending.pk, "changing@example.test", False, False)
    assert addresses(moved)[1:] == [(moved.email, True, True)]
    assert addresses(blank) == [("held@example.test", True, False)] and rows(held) == []
    assert done["made"] == 2 and done["copy verified"] == 1
    assert done["stale verified removed"] == 1
    assert done["blank"] == 1 and done["held by another account"] == 1

    everything = list(EmailAddress.objects.order_by("pk").values_list())
    again = migration().sign_in_addresses_add(apps, None, batch_size=3)
    assert list(EmailAddress.objects.order_by("pk").values_list()) == everything
    assert again["made"] == 0 and again["copy verified"] == 0
    assert again["stale verified removed"] == 0


@pytest.mark.django_db
def test_an_admins_change_from_before_leaves_only_the_new_address_verified_and_primary(capsys):
    """An admin changed these addresses before decision 100: the old address kept its verified
    (primary) row, so it still signed in as the account and got its reset links. The outcome
    is what ``sign_in_address_change`` leaves: the sign-in address the one verified, primary
    row; other verified rows gone; a change the person asked for (unverified) kept."""
    moved = UserFactory(sign_in_address=False, email="ann.jones@example.test")
    EmailAddress.objects.create(
        user=moved, email="ann.smith@example.test", verified=True, primary=True
    )
    EmailAddress.objects.create(user=moved, email="ann.older@example.test", verified=True)
    pending = EmailAddress.objects.create(user=moved, email="ann.next@example.test")
    copied = UserFactory(sign_in_address=False, email="bo.new@example.test")  # allauth's copy too
    EmailAddress.objects.create(
        user=copied, email="bo.old@example.test", verified=True, primary=True
    )
    copy = EmailAddress.objects.create(user=copied, email="bo.new@example.test")
    ran = UserFactory(email="cy.new@example.test")  # made primary once; verified, not primary
    EmailAddress.objects.filter(user=ran).update(primary=False)
    EmailAddress.objects.create(user=ran, email="cy.old@example.test", verified=True, primary=True)
    odd = UserFactory(sign_in_address=False, email="di.new@example.test")  # unverified primary
    EmailAddress.objects.create(user=odd, email="di.pending@example.test", primary=True)
    capsys.readouterr()

    done = migration().sign_in_addresses_add(apps, None, batch_size=2)

    assert rows(moved)[0] == (pending.pk, "ann.next@example.test", False, False)
    assert addresses(moved)[1:] == [("ann.jones@example.test", True, True)]
    assert rows(copied) == [(copy.pk, "bo.new@example.test", True, True)]
    assert addresses(ran) == [("cy.new@example.test", True, True)]
    assert sorted(addresses(odd)) == [
        ("di.new@example.test", True, True),
        ("di.pending@example.test", False, False),
    ]
    assert done["stale verified removed"] == 4
    assert done["made"] == 2 and done["copy verified"] == 1 and done["made primary"] == 1
    assert "stale verified removed 4" in capsys.readouterr().out

    everything = list(EmailAddress.objects.order_by("pk").values_list())
    again = migration().sign_in_addresses_add(apps, None, batch_size=3)
    assert list(EmailAddress.objects.order_by("pk").values_list()) == everything
    assert again["stale verified removed"] == again["made"] == again["made primary"] == 0
    assert "stale verified removed" not in capsys.readouterr().out


@pytest.mark.django_db
def test_an_address_freed_by_a_stale_row_is_given_to_its_account_in_the_same_run():
    """Ann's address was changed from the one Bo now signs in with: her stale verified row held
    Bo's address, which would have left Bo without a row, and Bo's own stale row in place.
    Both in one batch."""
    ann = UserFactory(sign_in_address=False, email="ann@example.test")
    EmailAddress.objects.create(user=ann, email="bo@example.test", verified=True, primary=True)
    bo = UserFactory(sign_in_address=False, email="bo@example.test")
    EmailAddress.objects.create(user=bo, email="bo.old@example.test", verified=True)
    done = migration().sign_in_addresses_add(apps, None)
    assert addresses(ann) == [("ann@example.test", True, True)]
    assert addresses(bo) == [("bo@example.test", True, True)]
    assert done["held by another account"] == 0 and done["stale verified removed"] == 2


@pytest.mark.django_db
def test_after_the_migration_a_reset_for_an_address_an_admin_changed_before_sends_nothing(
    send_queued_email,
):
    person = UserFactory(sign_in_address=False, email="ann.jones@example.test")
    EmailAddress.objects.create(
        user=person, email="ann.smith@example.test", verified=True, primary=True
    )
    client = Client()
    with send_queued_email() as outbox:
        request_reset(client, "ann.smith@example.test")
    assert [message.to for message in outbox] == [["ann.smith@example.test"]]  # the defect
    outbox.clear()

    migration().sign_in_addresses_add(apps, None)

    with send_queued_email() as outbox:
        request_reset(client, "ann.smith@example.test")
    assert outbox == []
    refused = Client().post("/login/", {"login": "ann.smith@example.test", "password": PASSWORD})
    assert "_auth_user_id" not in refused.wsgi_request.session
    with send_queued_email() as outbox:
        request_reset(client, "ann.jones@example.test")
    (message,) = outbox
    assert message.to == ["ann.jones@example.test"]
    link_from(message)


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
