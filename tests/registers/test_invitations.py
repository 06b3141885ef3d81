"""Invitations (issue 14): sending, resending and withdrawing them (services, the members pages,
``add_member --invite``), who may invite whom, bulk invitations, and the security log."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registers.management.commands.add_member import NAME_WITH_INVITE
from registers.models import Invitation, Membership, Role, User
from registers.services.invitations import (
    ALREADY_MEMBER,
    invitation_accept,
    invitation_for_token,
    invitation_resend,
    invitation_send,
    invitation_withdraw,
)
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

BASE_URL = "https://riskreg.example.gov.uk"
NEW_PASSWORD = "Heron-lantern-47-quay"  # noqa: S105


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.RISKREG_BASE_URL = BASE_URL


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth counts attempts in the cache: no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin(organisation):
    return MembershipFactory(
        organisation=organisation, role=Role.ADMIN, user__full_name="Ada Admin"
    ).user


def acceptance_links(message) -> list[str]:
    """Lines of the e-mail's text part that are an acceptance link and nothing else."""
    pattern = re.compile(rf"^{re.escape(BASE_URL)}/invitations/[A-Za-z0-9_-]+/$")
    return [line for line in message.body.splitlines() if pattern.match(line)]


def token_of(message) -> str:
    (link,) = acceptance_links(message)
    return urlsplit(link).path.rstrip("/").rsplit("/", 1)[1]


def accept_form(**fields) -> dict:
    return {
        "full_name": "Nia New",
        "job_title": "Head of Assurance",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **fields,
    }


# --- services ------------------------------------------------------------------------------------


def test_sending_stores_only_a_hash_and_emails_the_link(organisation, admin, send_queued_email):
    with send_queued_email() as outbox:
        result = invitation_send(
            organisation=organisation,
            email=" New.Person@Example.org ",
            role=Role.VIEWER,
            invited_by=admin,
        )
    invitation = result.invitation
    assert result.membership is None
    assert invitation.email == "new.person@example.org"
    assert not User.objects.filter(email="new.person@example.org").exists()
    (sent,) = outbox
    assert sent.to == ["new.person@example.org"]
    token = token_of(sent)
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert invitation_for_token(token) == invitation
    assert organisation.display_name in sent.subject
    text = " ".join(sent.body.split())
    assert f"Ada Admin ({admin.email}) has invited you to join {organisation.name}" in text
    assert "as a viewer." in text
    expires = timezone.localtime(invitation.expires_at)
    assert expires.strftime("%-d %B %Y") in text
    html = sent.alternatives[0][0]
    assert sent.alternatives[0][1] == "text/html"
    assert f'href="{BASE_URL}/invitations/{token}/"' in html
    assert "Ada Admin" in html and "a viewer" in html


def test_expiry_follows_the_setting(organisation, settings):
    settings.RISKREG_INVITATION_DAYS = 3
    before = timezone.now()
    invitation = invitation_send(
        organisation=organisation, email="x@example.org", role=Role.OWNER
    ).invitation
    assert before + timedelta(days=3) <= invitation.expires_at
    assert invitation.expires_at <= timezone.now() + timedelta(days=3)


def test_an_existing_account_is_added_at_once_and_told(
    organisation, other_organisation, admin, send_queued_email
):
    person = MembershipFactory(organisation=other_organisation, role=Role.PANEL).user
    with send_queued_email() as outbox:
        result = invitation_send(
            organisation=organisation,
            email=person.email.upper(),
            role=Role.OWNER,
            invited_by=admin,
        )
    assert result.invitation is None
    assert result.membership.user == person and result.membership.role == Role.OWNER
    assert not Invitation.objects.exists()
    (sent,) = outbox
    assert "You have been added" in sent.subject
    assert "as a risk owner or manager" in " ".join(sent.body.split())
    assert not acceptance_links(sent)


def test_a_member_is_not_invited_again(organisation, admin):
    with pytest.raises(ValidationError) as caught:
        invitation_send(organisation=organisation, email=admin.email, role=Role.VIEWER)
    assert caught.value.message_dict["email"] == [
        ALREADY_MEMBER.format(email=admin.email, organisation=organisation.display_name)
    ]


def test_inviting_an_invited_address_again_resends_with_a_new_link(organisation, send_queued_email):
    with send_queued_email() as outbox:
        first = invitation_send(organisation=organisation, email="a@example.org", role=Role.VIEWER)
        again = invitation_send(organisation=organisation, email="A@example.org", role=Role.OWNER)
    assert first.invitation.pk == again.invitation.pk
    assert Invitation.objects.count() == 1
    assert again.invitation.role == Role.OWNER
    old, new = (token_of(message) for message in outbox)
    assert invitation_for_token(old) is None
    assert invitation_for_token(new) == again.invitation


def test_resend_gives_a_new_link_and_expiry(organisation, send_queued_email):
    with send_queued_email() as outbox:
        invitation = invitation_send(
            organisation=organisation, email="b@example.org", role=Role.VIEWER
        ).invitation
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(days=1)
        )
        invitation_resend(invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    old, new = (token_of(message) for message in outbox)
    assert invitation_for_token(old) is None and invitation_for_token(new) == invitation


def test_withdrawn_and_accepted_invitations_cannot_be_resent(organisation):
    invitation = invitation_send(
        organisation=organisation, email="c@example.org", role=Role.VIEWER
    ).invitation
    invitation_withdraw(invitation=invitation)
    with pytest.raises(ValidationError):
        invitation_resend(invitation=invitation)


def test_accepting_makes_the_account_and_membership(organisation, admin):
    invitation = invitation_send(
        organisation=organisation,
        email="d@example.org",
        role=Role.COORDINATOR,
        registers_limited=True,
        invited_by=admin,
    ).invitation
    membership = invitation_accept(
        invitation=invitation, full_name="Dee", password=NEW_PASSWORD, job_title="Bursar"
    )
    user = membership.user
    assert user.check_password(NEW_PASSWORD) and user.full_name == "Dee"
    assert user.job_title == "Bursar"
    assert membership.role == Role.COORDINATOR and membership.registers_limited
    assert user.emailaddress_set.get().verified
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    with pytest.raises(ValidationError):
        invitation_accept(invitation=invitation, full_name="Again", password=NEW_PASSWORD)


# --- security log --------------------------------------------------------------------------------


def test_the_security_log_records_each_step_never_the_token(
    organisation, admin, caplog, send_queued_email
):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    with send_queued_email() as outbox:
        invitation = invitation_send(
            organisation=organisation, email="e@example.org", role=Role.VIEWER, invited_by=admin
        ).invitation
        invitation_resend(invitation=invitation, sent_by=admin)
        other = invitation_send(
            organisation=organisation, email="f@example.org", role=Role.VIEWER, invited_by=admin
        ).invitation
        invitation_withdraw(invitation=other, withdrawn_by=admin)
    tokens = [token_of(message) for message in outbox]
    invitation_accept(
        invitation=invitation_for_token(tokens[1]), full_name="Eve", password=NEW_PASSWORD
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]
    assert (
        f"invitation sent: invitation={invitation.pk} organisation={organisation.slug} role=viewer by={admin.pk}"
        in lines
    )
    assert (
        f"invitation sent again: invitation={invitation.pk} organisation={organisation.slug} by={admin.pk}"
        in lines
    )
    assert (
        f"invitation withdrawn: invitation={other.pk} organisation={organisation.slug} by={admin.pk}"
        in lines
    )
    user = User.objects.get(email="e@example.org")
    assert (
        f"invitation accepted: invitation={invitation.pk} organisation={organisation.slug} user={user.pk}"
        in lines
    )
    for token in tokens:
        assert not any(token in line for line in lines)
        assert not any(token[:12] in r.getMessage() for r in caplog.records)


# --- add_member --invite -------------------------------------------------------------------------


def test_add_member_invite_emails_a_link_on_its_own_line_that_works(
    organisation, send_queued_email, capsys
):
    with send_queued_email() as outbox:
        call_command(
            "add_member",
            "--org",
            organisation.slug,
            "--email",
            "Cmd@Example.org",
            "--role",
            "owner",
            "--invite",
        )
    out = capsys.readouterr().out
    assert out.startswith("invitation sent to cmd@example.org as risk owner or manager (owner)")
    (sent,) = outbox
    (link,) = acceptance_links(sent)
    assert link.startswith(BASE_URL + "/invitations/")
    assert link not in out  # the link is in the e-mail alone

    path = urlsplit(link).path
    client = Client()
    page = client.get(path)
    assert page.status_code == 200
    assert organisation.display_name in page.content.decode()
    response = client.post(path, accept_form())
    assert response.status_code == 302
    assert response.url == reverse("organisation", args=[organisation.slug])
    dashboard = client.get(response.url)
    assert dashboard.status_code == 200
    assert dashboard.wsgi_request.user.email == "cmd@example.org"
    membership = Membership.objects.get(user__email="cmd@example.org")
    assert membership.organisation == organisation and membership.role == Role.OWNER


def test_add_member_invite_again_says_so(organisation, capsys):
    for _ in range(2):
        call_command(
            "add_member",
            "--org",
            organisation.slug,
            "--email",
            "twice@example.org",
            "--role",
            "viewer",
            "--invite",
        )
    assert "invitation sent again to twice@example.org" in capsys.readouterr().out
    assert Invitation.objects.count() == 1


def test_add_member_invite_adds_an_existing_account_at_once(
    organisation, other_organisation, send_queued_email, capsys
):
    person = MembershipFactory(organisation=other_organisation, role=Role.VIEWER).user
    with send_queued_email() as outbox:
        call_command(
            "add_member",
            "--org",
            organisation.slug,
            "--email",
            person.email,
            "--role",
            "panel",
            "--invite",
        )
    assert "already has an account: now audit panel member (panel)" in capsys.readouterr().out
    assert person.memberships.get(organisation=organisation).role == Role.PANEL
    (sent,) = outbox
    assert "You have been added" in sent.subject


def test_add_member_invite_refuses_a_password_or_a_name(organisation):
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command(
            "add_member",
            "--org",
            organisation.slug,
            "--email",
            "p@example.org",
            "--role",
            "viewer",
            "--invite",
            "--password",
            NEW_PASSWORD,
        )
    with pytest.raises(CommandError) as caught:
        call_command(
            "add_member",
            "--org",
            organisation.slug,
            "--email",
            "p@example.org",
            "--role",
            "viewer",
            "--invite",
            "--name",
            "Pat",
        )
    assert str(caught.value) == NAME_WITH_INVITE
    with pytest.raises(CommandError, match="already a member"):
        admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
        call_command(
            "add_member",
            "--org",
            organisation.slug,
            "--email",
            admin.email,
            "--role",
            "viewer",
            "--invite",
        )
    assert not Invitation.objects.exists()
