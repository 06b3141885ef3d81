"""Accounts belong to their people: an organisation admin manages memberships, never
credentials (issue 11, the critical finding).

The walker below visits every URL of the Django admin, as the isolation walker visits the app's,
as an organisation admin, with GETs and with POSTs that try to set a password, an e-mail and the
account flags of people who share the organisation (an admin of another organisation who is
also a viewer here, a joint panel member, a superuser). Whatever the answer, no account changes.
"""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib import admin
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from registers.models import Membership, Role, User
from registers.services.organisations import member_add
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

ACCOUNT_FIELDS = ("password", "email", "is_active", "is_staff", "is_superuser", "full_name")
TAKEOVER = "Takeover-passw0rd-2026"


def account(user: User) -> dict:
    return dict(User.objects.filter(pk=user.pk).values(*ACCOUNT_FIELDS).get())


@pytest.fixture
def world():
    mopac, met = OrganisationFactory(slug="mopac"), OrganisationFactory(slug="met")
    attacker = MembershipFactory(organisation=mopac, role=Role.ADMIN).user
    # Organisation admins were given staff status until now; deployments still hold it.
    attacker.is_staff = True
    attacker.save(update_fields=["is_staff"])
    met_admin = MembershipFactory(organisation=met, role=Role.ADMIN).user
    MembershipFactory(organisation=mopac, user=met_admin, role=Role.VIEWER)
    joint_panel = MembershipFactory(organisation=mopac, role=Role.PANEL).user
    MembershipFactory(organisation=met, user=joint_panel, role=Role.PANEL)
    superuser = UserFactory(is_staff=True, is_superuser=True)
    MembershipFactory(organisation=mopac, user=superuser, role=Role.VIEWER)
    colleague = MembershipFactory(organisation=mopac, role=Role.COORDINATOR).user
    victims = [met_admin, joint_panel, superuser, colleague]
    return {"attacker": attacker, "victims": victims, "mopac": mopac, "met": met}


def admin_patterns(resolver=None, prefix: str = "") -> list[str]:
    """Every admin route, flattened, as a regex-free template such as
    ``registers/user/<id>/password/``."""
    routes = []
    patterns = resolver.url_patterns if resolver is not None else admin.site.get_urls()
    for pattern in patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            routes.extend(admin_patterns(pattern, prefix + route))
        elif isinstance(pattern, URLPattern):
            routes.append(prefix + route)
    return routes


def fill(route: str, value: int) -> str | None:
    """The route with its parameters filled with the victim's id; None for regex routes that
    take no object (the catch-all, the JavaScript catalogue)."""
    if route.startswith("^") or "(?P" in route:
        return None
    return "/admin/" + re.sub(r"<(?:\w+:)?\w+>", str(value), route)


def hostile_post(victim: User) -> dict:
    return {
        "email": "attacker@evil.example",
        "password": TAKEOVER,
        "password1": TAKEOVER,
        "password2": TAKEOVER,
        "usable_password": "true",
        "full_name": "Owned",
        "is_active": "",
        "is_staff": "on",
        "is_superuser": "on",
        "action": "delete_selected",
        "_selected_action": [str(victim.pk)],
        "post": "yes",
        "_save": "Save",
    }


@pytest.fixture
def _sessions_as_in_production(settings):
    """Sessions kept as production keeps them with its shared cache (``cached_db``: written to
    the database, read from the cache), where the test settings read the session from the
    database on every request. The walk below makes about 1,500 requests and asks only what
    each answers and whose session it still is; the session's database row is written as
    before. tests/test_isolation.py's status walk does the same."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


def test_an_organisation_admin_changes_no_account_through_any_admin_url(
    _sessions_as_in_production, world
):
    attacker, victims = world["attacker"], world["victims"]
    client = Client()
    client.force_login(attacker)
    before = {victim.pk: account(victim) for victim in victims}
    # Signing out would end the walk early; the attacker's own password form is theirs to use.
    own = {"logout/", "password_change/", "password_change/done/"}
    routes = [r for r in admin_patterns() if fill(r, 1) is not None and r not in own]
    assert any("password" in route for route in routes), routes  # the walker sees the form
    visited = 0
    for victim in victims:
        for route in routes:
            url = fill(route, victim.pk)
            assert client.get(url).status_code < 500, url
            assert client.post(url, hostile_post(victim)).status_code < 500, url
            visited += 1
            assert int(client.session["_auth_user_id"]) == attacker.pk, url
    assert visited > 100
    for victim in victims:
        assert account(victim) == before[victim.pk], victim.email
    assert not Client().login(email=victims[0].email, password=TAKEOVER)


def test_the_scoped_admin_offers_an_organisation_admin_no_account_forms(world):
    client = Client()
    client.force_login(world["attacker"])
    victim = world["victims"][0]
    assert client.get(reverse("admin:index")).status_code == 200  # still has the scoped admin
    for name in ("admin:registers_user_change", "admin:auth_user_password_change"):
        try:
            url = reverse(name, args=[victim.pk])
        except Exception:  # noqa: BLE001,S112 - the auth app's name only exists for auth.User
            continue
        assert client.get(url).status_code in (302, 403, 404)
    page = client.get(reverse("admin:index")).content.decode()
    assert "/admin/registers/user/" not in page
    password = client.get(f"/admin/registers/user/{victim.pk}/password/")
    assert password.status_code in (302, 403, 404)


def test_an_organisation_admin_reads_memberships_in_the_admin_but_changes_them_on_the_pages(world):
    client = Client()
    client.force_login(world["attacker"])
    membership = Membership.objects.get(user=world["victims"][0], organisation=world["mopac"])
    changelist = client.get(reverse("admin:registers_membership_changelist"))
    assert changelist.status_code == 200
    response = client.post(
        reverse("admin:registers_membership_change", args=[membership.pk]),
        {"user": world["attacker"].pk, "organisation": world["mopac"].pk, "role": "admin"},
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER and membership.user == world["victims"][0]


def test_a_superuser_still_manages_accounts_in_the_admin_and_it_is_logged(world, caplog):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    victim = world["victims"][0]
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = client.post(
            f"/admin/registers/user/{victim.pk}/password/",
            {"password1": TAKEOVER, "password2": TAKEOVER, "usable_password": "true"},
        )
    assert response.status_code == 302
    victim.refresh_from_db()
    assert victim.check_password(TAKEOVER)
    lines = [record.getMessage() for record in caplog.records if record.name == "riskreg.security"]
    assert any(
        f"account changed: user={victim.pk}" in line
        and "password" in line
        and f"by={superuser.pk}" in line
        for line in lines
    ), lines
    assert not any(TAKEOVER in line for line in lines)
    # Accounts keep no simple-history table: their history is the admin's own log.
    assert client.get(f"/admin/registers/user/{victim.pk}/history/").status_code == 200


def test_making_someone_an_organisation_admin_leaves_their_account_flags_alone(world):
    victim = world["victims"][1]
    before = account(victim)
    member_add(organisation=world["mopac"], email=victim.email, role=Role.ADMIN)
    assert account(victim) == before
    client = Client()
    client.force_login(victim)
    assert client.get(reverse("admin:index")).status_code == 200  # admin by membership


def test_adding_another_organisations_admin_only_invites_them_and_gives_no_power_over_it(
    world, client, send_queued_email
):
    """The takeover's first link (decision 113): an admin who adds another organisation's admin
    by address got that account into their organisation at once, and with it powers over it.
    Now the person is only invited, as a new address is, and nothing changes until they accept."""
    attacker = world["attacker"]
    outsider = MembershipFactory(organisation=world["met"], role=Role.ADMIN).user
    before = account(outsider)
    client.force_login(attacker)
    with send_queued_email():
        response = client.post(
            reverse("member_add", args=["mopac"]),
            {"email": outsider.email, "role": Role.VIEWER, "full_name": "Renamed"},
        )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert f"An invitation to join as a viewer has been sent to {outsider.email}" in page
    assert "already had a riskreg account" not in page and "is now a member" not in page
    assert account(outsider) == before
    assert not Membership.objects.filter(user=outsider, organisation=world["mopac"]).exists()
    told = [message for message in mail.outbox if outsider.email in message.to]
    assert [message.subject for message in told] == [
        f"You are invited to {world['mopac'].display_name} on riskreg"
    ]
    assert outsider.memberships.get().organisation == world["met"]


def test_every_membership_change_is_in_the_security_log(world, client, caplog, send_queued_email):
    attacker = world["attacker"]
    newcomer = UserFactory()
    client.force_login(attacker)
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        with send_queued_email() as outbox:
            client.post(
                reverse("member_add", args=["mopac"]),
                {"email": newcomer.email, "role": Role.PANEL},
            )
        # An account is invited, not added (decision 113): it joins by accepting, signed in.
        (sent,) = outbox
        link = re.search(r"/invitations/[\w-]+/", sent.body)[0]
        accepting = Client()
        accepting.force_login(newcomer)
        accepting.post(link)
        membership = Membership.objects.get(user=newcomer, organisation=world["mopac"])
        client.post(reverse("member", args=["mopac", membership.pk]), {"role": Role.VIEWER})
        client.post(
            reverse("member_clearance", args=["mopac", membership.pk]),
            {"sensitive_access": "on"},
        )
        client.post(reverse("member_remove", args=["mopac", membership.pk]))
    lines = [record.getMessage() for record in caplog.records if record.name == "riskreg.security"]
    mine = [line for line in lines if f"user={newcomer.pk}" in line and "membership" in line]
    added = [line for line in mine if "membership added" in line]
    assert added == [
        f"membership added: user={newcomer.pk} organisation=mopac role=panel by={newcomer.pk}"
    ], lines  # by the person, accepting
    assert any("membership changed" in line and "role" in line for line in mine), lines
    assert any("membership changed" in line and "sensitive_access" in line for line in mine)
    assert any("membership removed" in line for line in mine), lines
    changes = [line for line in mine if line not in added]
    assert all(f"by={attacker.pk}" in line and "organisation=mopac" in line for line in changes)


def test_commands_that_change_accounts_are_logged(world, caplog):
    from django.core.management import call_command

    victim = world["victims"][3]
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        call_command(
            "add_member", "--org", "met", "--email", victim.email, "--role", "viewer",
            "--password", TAKEOVER,
        )  # fmt: skip
    lines = [record.getMessage() for record in caplog.records if record.name == "riskreg.security"]
    assert any(
        f"account changed: user={victim.pk}" in line and "password" in line for line in lines
    ), lines
    assert any(f"membership added: user={victim.pk}" in line for line in lines), lines


def test_register_grants_of_a_limited_coordinator_are_in_the_security_log(world, client, caplog):
    from registers.models import Register

    attacker = world["attacker"]
    membership = Membership.objects.get(user=world["victims"][3], organisation=world["mopac"])
    client.force_login(attacker)
    client.post(reverse("member", args=["mopac", membership.pk]), {"role": "coordinator-limited"})
    corporate = Register.objects.get(organisation=world["mopac"], slug="corporate")
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        client.post(
            reverse("member_registers", args=["mopac", membership.pk]),
            {"registers": [corporate.pk]},
        )
        client.post(reverse("member_registers", args=["mopac", membership.pk]), {})
    lines = [record.getMessage() for record in caplog.records if record.name == "riskreg.security"]
    where = f"user={membership.user_id} organisation=mopac: edit_register on register corporate"
    assert f"membership changed: {where} granted by={attacker.pk}" in lines, lines
    assert f"membership changed: {where} revoked by={attacker.pk}" in lines, lines
