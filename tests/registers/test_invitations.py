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
from registers.models import Delivery, Invitation, Membership, Notice, NoticeKind, Role, User
from registers.services.invitations import (
    ALREADY_HAS_ACCOUNT,
    ALREADY_MEMBER,
    EMAIL_TOO_LONG,
    invitation_accept,
    invitation_for_token,
    invitation_resend,
    invitation_send,
    invitation_withdraw,
)
from tests.factories import PASSWORD, MembershipFactory

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


# An organisation never adds someone else's account to itself: an address with an account, a
# member of another organisation or of none, is invited and joins only by accepting, signed in
# as itself (decision 113).


@pytest.mark.parametrize("elsewhere", [True, False], ids=["member-elsewhere", "no-organisation"])
def test_an_existing_account_is_invited_not_added(
    organisation, other_organisation, admin, send_queued_email, elsewhere
):
    from tests.factories import UserFactory

    if elsewhere:
        person = MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user
    else:
        person = UserFactory()
    with send_queued_email() as outbox:
        result = invitation_send(
            organisation=organisation,
            email=person.email.upper(),
            role=Role.ADMIN,
            invited_by=admin,
        )
    assert not Membership.objects.filter(user=person, organisation=organisation).exists()
    invitation = result.invitation
    assert invitation.email == person.email.lower() and invitation.role == Role.ADMIN
    assert invitation.accepted_at is None
    (sent,) = outbox
    assert sent.to == [person.email.lower()]
    assert sent.subject == f"You are invited to {organisation.display_name} on riskreg"
    assert acceptance_links(sent)
    assert "If you already use riskreg with this address, sign in as usual" in " ".join(
        sent.body.split()
    )


def test_an_invited_account_joins_only_by_accepting_signed_in_as_itself(
    organisation, other_organisation, admin, send_queued_email
):
    person = MembershipFactory(organisation=other_organisation, role=Role.VIEWER).user
    with send_queued_email() as outbox:
        invitation_send(
            organisation=organisation, email=person.email, role=Role.OWNER, invited_by=admin
        )
    path = urlsplit(acceptance_links(outbox[0])[0]).path
    stranger = Client()
    page = stranger.get(path)
    assert ALREADY_HAS_ACCOUNT.format(email=person.email) in page_text(page)
    stranger.post(path, accept_form())  # no password form for an address with an account
    someone_else = Client()
    someone_else.force_login(admin)  # the inviting admin cannot accept it for them
    assert someone_else.post(path).status_code == 403
    assert not Membership.objects.filter(user=person, organisation=organisation).exists()
    owner = Client()
    owner.force_login(person)
    assert owner.post(path).url == reverse("organisation", args=[organisation.slug])
    assert Membership.objects.get(user=person, organisation=organisation).role == Role.OWNER
    person.refresh_from_db()
    assert person.check_password(PASSWORD)  # the account as it was


def test_an_account_made_after_the_invitation_is_sent_it_again(
    organisation, admin, send_queued_email
):
    from tests.factories import UserFactory

    stale = invite_by_service(organisation, "later@example.org")
    person = UserFactory(email="later@example.org")
    with send_queued_email() as outbox:
        result = invitation_send(
            organisation=organisation, email="later@example.org", role=Role.OWNER, invited_by=admin
        )
    assert result.invitation.pk == stale.pk and result.invitation.role == Role.OWNER
    assert not person.memberships.exists()
    (sent,) = outbox
    assert "You are invited" in sent.subject and acceptance_links(sent)


def test_an_overlong_address_is_refused_in_words(organisation):
    email = "a" * 249 + "@x.org"  # 255 characters: Django's format check allows up to 320
    with pytest.raises(ValidationError) as refused:
        invitation_send(organisation=organisation, email=email, role=Role.VIEWER)
    assert refused.value.message_dict["email"] == [EMAIL_TOO_LONG.format(length=255, limit=254)]
    assert not Invitation.objects.exists()


def invite_by_service(organisation, email: str) -> Invitation:
    return invitation_send(organisation=organisation, email=email, role=Role.VIEWER).invitation


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


def test_add_member_invite_invites_an_existing_account_too(
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
    assert f"invitation sent to {person.email} as audit panel member (panel)" in (
        capsys.readouterr().out
    )
    assert not person.memberships.filter(organisation=organisation).exists()
    (sent,) = outbox
    assert "You are invited" in sent.subject and acceptance_links(sent)


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


# --- the members pages ---------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def coordinator(organisation):
    return MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, user__full_name="Cora Coordinator"
    ).user


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def invite(organisation, email, role=Role.VIEWER, by=None) -> Invitation:
    return invitation_send(
        organisation=organisation, email=email, role=role, invited_by=by
    ).invitation


def page_text(response) -> str:
    return response.content.decode()


def test_the_members_page_lists_pending_invitations(admin_client, organisation, admin):
    invitation = invite(organisation, "waiting@example.org", Role.OWNER, by=admin)
    old = invite(organisation, "late@example.org", Role.PANEL)
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    invitation_withdraw(invitation=invite(organisation, "gone@example.org"))
    page = page_text(admin_client.get(reverse("members", args=[organisation.slug])))
    assert "2 invitations waiting" in page
    assert "waiting@example.org" in page and "late@example.org" in page
    assert "gone@example.org" not in page
    assert "Risk owner or manager" in page and "Ada Admin" in page
    assert "A system administrator" in page  # sent by the command
    assert page.count('govuk-tag--red">Expired') == 1
    expires = timezone.localtime(invitation.expires_at)
    assert f"{expires.day} {expires:%b %Y, %H:%M}" in page
    resend = reverse("member_invitation_resend", args=[organisation.slug, invitation.pk])
    assert f'action="{resend}"' in page
    assert reverse("member_invitation_withdraw", args=[organisation.slug, invitation.pk]) in page


def test_the_members_page_query_count_does_not_grow_with_invitations(
    admin_client, organisation, admin
):
    from tests.queries import assert_same_queries

    url = reverse("members", args=[organisation.slug])
    invite(organisation, "one@example.org", by=admin)
    counter = iter(range(100))

    def grow():
        for _ in range(10):
            invite(organisation, f"grown{next(counter)}@example.org", by=admin)

    _, after = assert_same_queries(lambda: admin_client.get(url), grow)
    assert "11 invitations waiting" in page_text(after)


def test_the_invitations_page_query_count_does_not_grow(coordinator_client, organisation, admin):
    from tests.queries import assert_same_queries

    url = reverse("member_invitations", args=[organisation.slug])
    invite(organisation, "one@example.org", Role.OWNER, by=admin)
    counter = iter(range(100))

    def grow():
        for _ in range(10):
            invite(organisation, f"grown{next(counter)}@example.org", Role.VIEWER, by=admin)

    _, after = assert_same_queries(lambda: coordinator_client.get(url), grow)
    assert "11 invitations waiting" in page_text(after)


def test_admin_adds_a_new_address_by_invitation(admin_client, organisation, send_queued_email):
    with send_queued_email() as outbox:
        response = admin_client.post(
            reverse("member_add", args=[organisation.slug]),
            {"email": "new@example.org", "role": Role.ADMIN},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == reverse("members", args=[organisation.slug])
    page = page_text(response)
    assert "An invitation to join as an organisation admin has been sent to new@example.org" in page
    assert "1 invitation waiting" in page
    (sent,) = outbox
    assert acceptance_links(sent)
    assert not User.objects.filter(email="new@example.org").exists()


def test_adding_an_invited_address_again_resends(admin_client, organisation, send_queued_email):
    invite(organisation, "again@example.org", Role.VIEWER)
    with send_queued_email() as outbox:
        response = admin_client.post(
            reverse("member_add", args=[organisation.slug]),
            {"email": "again@example.org", "role": Role.PANEL},
            follow=True,
        )
    assert "had already been invited: the invitation has been sent again, as an audit panel" in (
        page_text(response)
    )
    assert Invitation.objects.get().role == Role.PANEL
    assert len(outbox) == 1


def test_a_coordinator_is_offered_owners_and_viewers_only(coordinator_client, organisation):
    page = page_text(coordinator_client.get(reverse("member_add", args=[organisation.slug])))
    assert 'value="owner"' in page and 'value="viewer"' in page
    for refused in ("admin", "coordinator", "coordinator-limited", "panel"):
        assert f'value="{refused}"' not in page


def test_a_coordinator_invites_a_viewer(
    coordinator_client, organisation, coordinator, send_queued_email
):
    with send_queued_email() as outbox:
        response = coordinator_client.post(
            reverse("member_add", args=[organisation.slug]),
            {"email": "viewer@example.org", "role": Role.VIEWER},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == reverse("member_invitations", args=[organisation.slug])
    assert "viewer@example.org" in page_text(response)
    invitation = Invitation.objects.get()
    assert invitation.invited_by == coordinator and invitation.role == Role.VIEWER
    (sent,) = outbox
    assert "Cora Coordinator" in sent.body


@pytest.mark.parametrize("role", ["admin", "coordinator", "coordinator-limited", "panel"])
def test_a_coordinator_inviting_another_role_is_refused_403(coordinator_client, organisation, role):
    response = coordinator_client.post(
        reverse("member_add", args=[organisation.slug]),
        {"email": "boss@example.org", "role": role},
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()
    assert not Membership.objects.filter(user__email="boss@example.org").exists()


def test_a_coordinator_cannot_change_an_admins_invitation(coordinator_client, organisation, admin):
    invite(organisation, "boss@example.org", Role.ADMIN, by=admin)
    response = coordinator_client.post(
        reverse("member_add", args=[organisation.slug]),
        {"email": "boss@example.org", "role": Role.VIEWER},
    )
    assert response.status_code == 400
    assert "already been invited as organisation admin; only an organisation admin" in (
        page_text(response)
    )
    assert Invitation.objects.get().role == Role.ADMIN


def test_a_coordinator_sees_and_acts_on_only_the_invitations_of_their_roles(
    coordinator_client, organisation, admin
):
    mine = invite(organisation, "owner@example.org", Role.OWNER, by=admin)
    theirs = invite(organisation, "boss@example.org", Role.ADMIN, by=admin)
    page = page_text(
        coordinator_client.get(reverse("member_invitations", args=[organisation.slug]))
    )
    assert "owner@example.org" in page and "boss@example.org" not in page
    for name in ("member_invitation_resend", "member_invitation_withdraw"):
        url = reverse(name, args=[organisation.slug, theirs.pk])
        assert coordinator_client.get(url).status_code == 403
        assert coordinator_client.post(url).status_code == 403
        assert (
            coordinator_client.get(reverse(name, args=[organisation.slug, mine.pk])).status_code
            == 200
        )
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None
    # The rest of the members pages stay the admins'.
    assert coordinator_client.get(reverse("members", args=[organisation.slug])).status_code == 403


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER, Role.PANEL])
def test_other_members_invite_nobody(client, organisation, admin, role):
    client.force_login(MembershipFactory(organisation=organisation, role=role).user)
    invitation = invite(organisation, "someone@example.org", Role.VIEWER, by=admin)
    slug = organisation.slug
    urls = [
        reverse("member_add", args=[slug]),
        reverse("member_invitations", args=[slug]),
        reverse("member_invite_many", args=[slug]),
        reverse("member_invitation_resend", args=[slug, invitation.pk]),
        reverse("member_invitation_withdraw", args=[slug, invitation.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"email": "x@example.org", "role": "viewer"}).status_code == 403
    assert Invitation.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is None


def test_another_organisations_invitation_is_404(admin_client, organisation, other_organisation):
    theirs = invite(other_organisation, "theirs@example.org", Role.VIEWER)
    for name in ("member_invitation_resend", "member_invitation_withdraw"):
        url = reverse(name, args=[organisation.slug, theirs.pk])
        assert admin_client.get(url).status_code == 404
        assert admin_client.post(url).status_code == 404
        # Under its own organisation's slug: not a member there.
        url = reverse(name, args=[other_organisation.slug, theirs.pk])
        assert admin_client.get(url).status_code == 404
        assert admin_client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None


def test_resend_from_the_list(admin_client, organisation, admin, send_queued_email, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    invitation = invite(organisation, "resend@example.org", by=admin)
    old_hash = invitation.token_hash
    url = reverse("member_invitation_resend", args=[organisation.slug, invitation.pk])
    confirm = page_text(admin_client.get(url))
    assert "Resend the invitation to resend@example.org?" in confirm
    with send_queued_email() as outbox:
        response = admin_client.post(url, follow=True)
    assert "The invitation has been sent again to resend@example.org" in page_text(response)
    invitation.refresh_from_db()
    assert invitation.token_hash != old_hash
    (sent,) = outbox
    assert invitation_for_token(token_of(sent)) == invitation
    assert any(
        r.getMessage().startswith(f"invitation sent again: invitation={invitation.pk}")
        and r.getMessage().endswith(f"by={admin.pk}")
        for r in caplog.records
    )


def test_withdraw_asks_first(admin_client, organisation, admin, caplog):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    invitation = invite(organisation, "withdraw@example.org", by=admin)
    url = reverse("member_invitation_withdraw", args=[organisation.slug, invitation.pk])
    page = page_text(admin_client.get(url))
    assert "Withdraw the invitation to withdraw@example.org?" in page
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is None
    response = admin_client.post(url, follow=True)
    assert "The invitation to withdraw@example.org has been withdrawn" in page_text(response)
    invitation.refresh_from_db()
    assert invitation.withdrawn_by == admin
    assert (
        f"invitation withdrawn: invitation={invitation.pk} organisation={organisation.slug} "
        f"by={admin.pk}"
    ) in [r.getMessage() for r in caplog.records]
    # Again: it is no longer open, and the page says so instead of failing.
    again = admin_client.post(url, follow=True)
    assert again.status_code == 200
    assert "is no longer open: it has been withdrawn" in page_text(again)


def test_every_post_is_csrf_checked(organisation, admin):
    invitation = invite(organisation, "csrf@example.org", by=admin)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    slug = organisation.slug
    urls = [
        reverse("member_add", args=[slug]),
        reverse("member_invite_many", args=[slug]),
        reverse("member_invitation_resend", args=[slug, invitation.pk]),
        reverse("member_invitation_withdraw", args=[slug, invitation.pk]),
    ]
    for url in urls:
        response = client.post(url, {"email": "x@example.org", "role": "viewer", "rows": "a,b"})
        assert response.status_code == 403, url
        assert "Your form could not be sent" in page_text(response), url
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is None
    assert Invitation.objects.count() == 1


# --- bulk ----------------------------------------------------------------------------------------


def bulk_url(organisation) -> str:
    return reverse("member_invite_many", args=[organisation.slug])


def send_field(page: str, name: str = "rows") -> str:
    """A hidden field of the preview's send form (unescaped): the checked list, or its key."""
    import html

    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', page)
    return html.unescape(match[1]) if match else ""


def send_data(page: str) -> dict:
    return {"rows": send_field(page), "key": send_field(page, "key"), "action": "send"}


def test_bulk_preview_says_what_happens_to_every_row_then_sends(
    admin_client, organisation, other_organisation, admin, send_queued_email, caplog
):
    caplog.set_level(logging.INFO, logger="riskreg.security")
    invite(organisation, "invited@example.org", Role.VIEWER)
    existing = MembershipFactory(
        organisation=other_organisation, role=Role.VIEWER, user__email="has.account@example.org"
    ).user
    text = (
        "email,role\n"
        "new.one@example.org,viewer\n"
        "\n"
        "New.Two@Example.org , Risk owner or manager\n"
        "invited@example.org,owner\n"
        "has.account@example.org,panel\n"
    )
    with send_queued_email() as outbox:
        preview = admin_client.post(bulk_url(organisation), {"rows": text, "action": "preview"})
    page = page_text(preview)
    assert preview.status_code == 200 and not outbox
    # An address with an account (here, a member of another organisation) reads as any other:
    # the preview does not tell a coordinator who has an account anywhere (decision 113).
    assert "4 rows: 3 to invite, 1 already invited" in page
    assert page.count("Will be invited") == 3
    assert "Already invited: will be sent again" in page
    assert "has an account" not in page.lower() and "at once" not in page
    assert 'id="row-4"' in page  # the text's own line numbers (a blank line is line 3)
    assert Invitation.objects.count() == 1

    with send_queued_email() as outbox:
        response = admin_client.post(bulk_url(organisation), send_data(page), follow=True)
    assert response.redirect_chain[-1][0] == reverse("members", args=[organisation.slug])
    assert "4 people are being invited" in page_text(response)
    assert set(
        Invitation.objects.filter(accepted_at=None, withdrawn_at=None).values_list("email", "role")
    ) == {
        ("new.one@example.org", "viewer"),
        ("new.two@example.org", "owner"),
        ("invited@example.org", "owner"),
        ("has.account@example.org", "panel"),
    }
    assert not existing.memberships.filter(organisation=organisation).exists()
    assert sorted(message.to[0] for message in outbox) == [
        "has.account@example.org",
        "invited@example.org",
        "new.one@example.org",
        "new.two@example.org",
    ]
    lines = [r.getMessage() for r in caplog.records]
    assert f"invitations queued in bulk: organisation={organisation.slug} rows=4 by={admin.pk}" in (
        lines
    )
    assert (
        f"invitations sent in bulk: organisation={organisation.slug} rows=4 by={admin.pk}"
    ) in lines

    # The same confirmation again (a second click) sends nothing more.
    outbox.clear()
    with send_queued_email() as outbox:
        again = admin_client.post(bulk_url(organisation), send_data(page), follow=True)
    assert "This list has already been sent" in page_text(again)
    assert not outbox


def test_bulk_is_all_or_nothing(coordinator_client, organisation, admin, send_queued_email):
    invite(organisation, "boss@example.org", Role.ADMIN, by=admin)
    text = "\n".join(
        [
            "fine@example.org,viewer",
            "not-an-address,viewer",
            f"{admin.email},viewer",
            "fine@example.org,owner",
            "big@example.org,admin",
            "odd@example.org,chief",
            "boss@example.org,viewer",
            "no-role@example.org",
            "three@example.org,viewer,extra",
        ]
    )
    preview = coordinator_client.post(bulk_url(organisation), {"rows": text, "action": "preview"})
    page = page_text(preview)
    assert "Nothing was sent: 8 rows of the list need changing first" in page
    for expected in (
        "Row 2: &#x27;not-an-address&#x27; is not a valid e-mail address",
        f"Row 3: {admin.email} is already a member of {organisation.display_name}",
        "Row 4: fine@example.org is also on row 1",
        "Row 5: you cannot invite people as organisation admin; you can invite owner, viewer",
        "Row 6: &#x27;chief&#x27; is not a role; use one of owner, viewer",
        "Row 7: boss@example.org has already been invited as organisation admin",
        "Row 8: put an e-mail address and a role, separated by a comma",
        "Row 9: put an e-mail address and a role",
    ):
        assert expected in page
    assert 'href="#row-2"' in page  # the error summary links each row
    assert send_field(page) == ""  # no send button
    # Posting the list to send anyway (a crafted form) sends nothing either.
    with send_queued_email() as outbox:
        response = coordinator_client.post(
            bulk_url(organisation), {"rows": text, "action": "send", "key": "k" * 22}
        )
    assert response.status_code == 400
    assert "Nothing was sent" in page_text(response)
    assert not outbox
    assert Invitation.objects.count() == 1


def test_bulk_checks_again_when_sending(coordinator_client, organisation, admin):
    page = page_text(
        coordinator_client.post(
            bulk_url(organisation), {"rows": "late@example.org,viewer", "action": "preview"}
        )
    )
    assert send_field(page)
    invite(organisation, "late@example.org", Role.ADMIN, by=admin)  # meanwhile
    response = coordinator_client.post(bulk_url(organisation), send_data(page))
    assert "has already been invited as organisation admin" in page_text(response)
    assert Invitation.objects.get().role == Role.ADMIN


def test_bulk_preview_refuses_an_overlong_address_by_row(admin_client, organisation):
    from registers.services.invitation_batches import ROW_EMAIL_TOO_LONG

    long_address = "a" * 250 + "@example.org"  # 262 characters; Django's format check passes it
    text = f"fine@example.org,viewer\n{long_address},viewer\n"
    response = admin_client.post(bulk_url(organisation), {"rows": text, "action": "preview"})
    page = page_text(response)
    assert response.status_code == 400  # as any list with a problem row
    assert ROW_EMAIL_TOO_LONG.format(line=2, length=262, limit=254) in page
    assert "Nothing was sent: 1 row of the list needs changing first" in page
    assert page.count("Will be invited") == 1
    assert send_field(page) == ""  # no send button
    # Sent anyway (a crafted form): refused again, nothing sent, never a 500.
    response = admin_client.post(
        bulk_url(organisation), {"rows": text, "action": "send", "key": "k" * 22}
    )
    assert response.status_code == 400
    assert ROW_EMAIL_TOO_LONG.format(line=2, length=262, limit=254) in page_text(response)
    assert not Invitation.objects.exists()


def test_the_batch_task_tells_the_sender_of_an_overlong_address_rather_than_raising(
    organisation, admin, send_queued_email
):
    """A batch queued before the preview checked lengths (or by a crafted form) reached the
    worker, whose invitation_send refused the address twice, uncaught: no sender ever heard."""
    from registers.services.invitation_batches import ROW_EMAIL_TOO_LONG, invitation_batch_run

    long_address = "a" * 250 + "@example.org"
    kwargs = batch_kwargs(
        organisation, admin, [[1, "fine@example.org", "viewer"], [2, long_address, "viewer"]]
    )
    with send_queued_email() as outbox:
        assert invitation_batch_run(**kwargs) == 0
    assert not Invitation.objects.exists()
    (message,) = outbox
    assert message.to == [admin.email]
    assert ROW_EMAIL_TOO_LONG.format(line=2, length=262, limit=254) in message.body
    (notice,) = Notice.objects.filter(user=admin, kind=NoticeKind.INVITATIONS_NOT_SENT)
    assert ROW_EMAIL_TOO_LONG.format(line=2, length=262, limit=254) in notice.body


def test_a_batch_the_service_refuses_twice_tells_the_sender_rather_than_raising(
    organisation, admin, send_queued_email, monkeypatch, caplog
):
    """The worker's retry (after a send undone by a change a moment ago) was unguarded: a second
    refusal raised out of the task, to be retried and raised again, the sender never told."""
    from registers.services import invitation_batches
    from registers.services.invitation_batches import ROW_NOT_SENT, invitation_batch_run

    def refuses(**kwargs):
        raise ValidationError({"email": "refused by a rule the preview does not check"})

    monkeypatch.setattr(invitation_batches, "invitation_send", refuses)
    caplog.set_level(logging.INFO, logger="riskreg.security")
    kwargs = batch_kwargs(organisation, admin, [[3, "one@example.org", "viewer"]])
    with send_queued_email() as outbox:
        assert invitation_batch_run(**kwargs) == 0
    (message,) = outbox
    line = ROW_NOT_SENT.format(line=3, problem="refused by a rule the preview does not check")
    assert f"{line} (one@example.org)" in message.body
    assert (
        f"bulk invitations not sent: organisation={organisation.slug} rows=1 refused=1 "
        f"by={admin.pk}"
    ) in [r.getMessage() for r in caplog.records]
    outbox.clear()
    with send_queued_email() as outbox:  # the task run again: the sender is not told twice
        assert invitation_batch_run(**kwargs) == 0
    assert not outbox


def test_bulk_upload_a_csv_file(admin_client, organisation, send_queued_email):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = "\ufeffEmail,Role\r\nfile.one@example.org,viewer\r\nfile.two@example.org,owner\r\n"
    upload = SimpleUploadedFile("people.csv", data.encode("utf-8"), content_type="text/csv")
    preview = admin_client.post(bulk_url(organisation), {"file": upload, "action": "preview"})
    page = page_text(preview)
    assert page.count("Will be invited") == 2
    assert "file.one@example.org,viewer" in page  # in the box, to correct and check again
    with send_queued_email() as outbox:
        admin_client.post(bulk_url(organisation), send_data(page))
    assert len(outbox) == 2 and Invitation.objects.count() == 2


def test_bulk_pasted_from_a_spreadsheet(admin_client, organisation):
    page = page_text(
        admin_client.post(
            bulk_url(organisation),
            {"rows": "tab.one@example.org\tViewer\ntab.two@example.org\tpanel\t\t", "action": "x"},
        )
    )
    assert page.count("Will be invited") == 2


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"rows": "   \n\n"}, "Paste the list, one e-mail address and role a line"),
        ({}, "Paste the list, one e-mail address and role a line"),
        ({"rows": "email,role\n"}, "Paste the list, one e-mail address and role a line"),
        (
            {"rows": "".join(f"p{n}@example.org,viewer\n" for n in range(501))},
            "The list has more than 500 rows",
        ),
        ({"rows": "x" * (200 * 1024 + 1)}, "The list is larger than 200 KB"),
        ({"rows": "a\x00b,viewer"}, "Null characters are not allowed"),
        ({"rows": '"unclosed@example.org,viewer\nnext@example.org,owner'}, "Row "),
    ],
)
def test_bulk_bad_lists_get_a_clear_message_never_a_500(admin_client, organisation, data, expected):
    response = admin_client.post(bulk_url(organisation), {**data, "action": "preview"})
    assert response.status_code == 400
    assert expected in page_text(response)
    assert "There is a problem" in page_text(response)
    assert not Invitation.objects.exists()


def test_bulk_500_rows_preview_in_few_queries(admin_client, organisation):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    text = "".join(f"p{n}@example.org,viewer\n" for n in range(500))
    with CaptureQueriesContext(connection) as queries:
        page = page_text(admin_client.post(bulk_url(organisation), {"rows": text}))
    assert page.count("Will be invited") == 500
    assert len(queries) < 20


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("big.csv", b"a@example.org,viewer\n" * 11_000, "The list is larger than 200 KB"),
        ("sheet.xlsx", b"PK\x03\x04\x00\x00\x08\x00\xff\xfe", "The file is not a CSV text file"),
        ("latin.csv", "caf\u00e9@example.org,viewer".encode("latin-1"), "not a CSV text file"),
    ],
)
def test_bulk_bad_files_get_a_clear_message(admin_client, organisation, name, content, expected):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, content)
    response = admin_client.post(bulk_url(organisation), {"file": upload})
    assert response.status_code == 400
    assert expected in page_text(response)
    assert not Invitation.objects.exists()


def test_bulk_paste_or_file_not_both(admin_client, organisation):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registers.forms_invitations import PASTE_OR_FILE

    upload = SimpleUploadedFile("a.csv", b"a@example.org,viewer")
    response = admin_client.post(
        bulk_url(organisation), {"file": upload, "rows": "b@example.org,viewer"}
    )
    assert PASTE_OR_FILE in page_text(response)


def test_the_batch_task_checks_again_and_runs_once(organisation, admin, caplog, send_queued_email):
    from registers.services.invitation_batches import invitation_batch_run

    caplog.set_level(logging.INFO, logger="riskreg.security")
    confirmed = (timezone.now() - timedelta(seconds=1)).isoformat()
    rows = [[1, "one@example.org", "viewer"], [2, "two@example.org", "admin"]]
    kwargs = {
        "organisation_id": organisation.pk,
        "invited_by_id": admin.pk,
        "rows": rows,
        "confirmed_at": confirmed,
    }
    with send_queued_email() as outbox:
        assert invitation_batch_run(**kwargs) == 2
        assert invitation_batch_run(**kwargs) == 0  # run again: already sent
    assert sorted(message.to[0] for message in outbox) == ["one@example.org", "two@example.org"]

    # Someone no longer allowed to invite an admin by the time the worker runs: nothing sent.
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    outbox.clear()
    with send_queued_email() as outbox:
        sent = invitation_batch_run(
            **{
                **kwargs,
                "invited_by_id": coordinator.pk,
                "rows": [[1, "three@example.org", "admin"]],
            }
        )
    assert sent == 0
    assert [message.to for message in outbox] == [[coordinator.email]]  # told why, nothing sent
    assert not Invitation.objects.filter(email="three@example.org").exists()
    assert (
        f"bulk invitations not sent: organisation={organisation.slug} rows=1 problems=1 "
        f"by={coordinator.pk}"
    ) in [r.getMessage() for r in caplog.records]


def batch_kwargs(organisation, by, rows) -> dict:
    """What the view queues for the worker: a batch confirmed a moment ago."""
    return {
        "organisation_id": organisation.pk,
        "invited_by_id": by.pk,
        "rows": rows,
        "confirmed_at": (timezone.now() - timedelta(seconds=1)).isoformat(),
    }


def test_a_batch_whose_row_became_a_problem_tells_the_sender_row_by_row(
    organisation, admin, coordinator, coordinator_client, send_queued_email, caplog
):
    from registers.services.invitation_batch_refusals import BATCH_CHECK_AGAIN
    from registers.services.invitation_batches import (
        ROW_INVITED_AS_OTHER_ROLE,
        invitation_batch_run,
    )

    caplog.set_level(logging.INFO, logger="riskreg.security")
    kwargs = batch_kwargs(
        organisation,
        coordinator,
        [[2, "fine@example.org", "viewer"], [3, "late@example.org", "owner"]],
    )
    invite(organisation, "late@example.org", Role.ADMIN, by=admin)  # after the preview
    with send_queued_email() as outbox:
        assert invitation_batch_run(**kwargs) == 0
    (message,) = outbox  # nobody on the list: only the sender
    assert message.to == [coordinator.email]
    assert "not sent" in message.subject
    problem = ROW_INVITED_AS_OTHER_ROLE.format(
        line=3, email="late@example.org", role="organisation admin"
    )
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "Row 3" in part and "late@example.org" in part
        assert "Nobody on the list was invited" in part
        assert BASE_URL + bulk_url(organisation) in part
    assert problem in message.body
    assert BATCH_CHECK_AGAIN in message.body
    assert "fine@example.org" not in message.body  # only the rows to change are listed
    assert not Invitation.objects.filter(email="fine@example.org").exists()
    assert Invitation.objects.get(email="late@example.org").role == Role.ADMIN
    assert (
        f"bulk invitations not sent: organisation={organisation.slug} rows=2 problems=1 "
        f"by={coordinator.pk}"
    ) in [r.getMessage() for r in caplog.records]
    # And on their Notifications page, linking to where the list is checked again.
    (notice,) = Notice.objects.filter(user=coordinator)
    assert notice.kind == NoticeKind.INVITATIONS_NOT_SENT
    assert notice.organisation == organisation and notice.url == bulk_url(organisation)
    assert notice.title.startswith("Your list of 2 invitations was not sent: 1 row")
    assert problem in notice.body and BATCH_CHECK_AGAIN in notice.body
    assert "fine@example.org" not in notice.body
    page = page_text(coordinator_client.get(reverse("notifications")))
    assert "Your list of 2 invitations was not sent" in page
    assert "late@example.org has already been invited as organisation admin" in page
    # The task run again (a retry): nothing sent, and the sender is not told twice.
    outbox.clear()
    with send_queued_email() as outbox:
        assert invitation_batch_run(**kwargs) == 0
    assert not outbox
    assert Notice.objects.filter(user=coordinator).count() == 1


def test_a_batch_not_sent_follows_the_senders_email_choice(
    organisation, coordinator, send_queued_email
):
    from registers.services.invitation_batches import invitation_batch_run
    from registers.services.notices import notice_preferences_set

    notice_preferences_set(
        user=coordinator, deliveries={NoticeKind.INVITATIONS_NOT_SENT: Delivery.DIGEST}
    )
    kwargs = batch_kwargs(organisation, coordinator, [[1, "boss@example.org", "admin"]])
    with send_queued_email() as outbox:
        assert invitation_batch_run(**kwargs) == 0
    assert not outbox  # in tomorrow's digest instead
    notice = Notice.objects.get(user=coordinator, kind=NoticeKind.INVITATIONS_NOT_SENT)
    assert notice.delivery == Delivery.DIGEST and notice.emailed_at is None
    assert "Row 1: you cannot invite people as organisation admin" in notice.body


def test_a_batch_from_someone_no_longer_a_member_tells_them_only_that(
    organisation, admin, coordinator, send_queued_email, caplog
):
    from registers.services.invitation_batch_refusals import BATCH_NO_ACCESS
    from registers.services.invitation_batches import invitation_batch_run
    from registers.services.organisations import membership_remove

    caplog.set_level(logging.INFO, logger="riskreg.security")
    kwargs = batch_kwargs(
        organisation,
        coordinator,
        [[1, "joined@example.org", "viewer"], [2, "x@example.org", "owner"]],
    )
    MembershipFactory(organisation=organisation, role=Role.VIEWER, user__email="joined@example.org")
    membership_remove(membership=coordinator.memberships.get(organisation=organisation))
    with send_queued_email() as outbox:
        assert invitation_batch_run(**kwargs) == 0
    (message,) = outbox
    assert message.to == [coordinator.email]
    assert BATCH_NO_ACCESS.format(organisation=organisation.display_name) in message.body
    for part in (message.subject, message.body, message.alternatives[0][0]):
        # Nothing of the organisation's members or invitations, nor the rows' fate.
        assert "joined@example.org" not in part and "x@example.org" not in part
        assert "already" not in part and "Row" not in part
    assert not Invitation.objects.exists()
    outbox.clear()
    with send_queued_email() as outbox:
        assert invitation_batch_run(**kwargs) == 0
    assert not outbox  # told once

    # The account gone: nobody to tell, the log line only.
    caplog.clear()
    gone = batch_kwargs(organisation, admin, [[1, "y@example.org", "viewer"]])
    admin_pk = admin.pk
    admin.delete()
    outbox.clear()
    with send_queued_email() as outbox:
        assert invitation_batch_run(**gone) == 0
    assert not outbox and not Invitation.objects.exists()
    assert (
        f"bulk invitations not sent: organisation={organisation.pk} by={admin_pk}: "
        "no longer a member"
    ) in [r.getMessage() for r in caplog.records]


def test_a_batch_from_someone_who_may_no_longer_invite_tells_them_so(
    organisation, admin, coordinator, send_queued_email
):
    from registers.services.invitation_batch_refusals import BATCH_CANNOT_INVITE
    from registers.services.invitation_batches import invitation_batch_run
    from registers.services.organisations import membership_change

    kwargs = batch_kwargs(organisation, coordinator, [[1, "z@example.org", "viewer"]])
    membership_change(
        membership=coordinator.memberships.get(organisation=organisation), role=Role.VIEWER
    )
    with send_queued_email() as outbox:
        assert invitation_batch_run(**kwargs) == 0
    (message,) = outbox
    assert message.to == [coordinator.email]
    assert BATCH_CANNOT_INVITE.format(organisation=organisation.display_name) in message.body
    assert "z@example.org" not in message.body
    assert not Invitation.objects.exists()


def test_sending_a_batch_says_what_happens_if_a_row_can_no_longer_be_sent(
    coordinator_client, organisation, send_queued_email
):
    page = page_text(
        coordinator_client.post(
            bulk_url(organisation), {"rows": "one@example.org,viewer", "action": "preview"}
        )
    )
    with send_queued_email():
        response = coordinator_client.post(bulk_url(organisation), send_data(page), follow=True)
    text = page_text(response)
    assert "1 person is being invited" in text
    assert "nothing on the list is sent and you are e-mailed which rows and why" in text


def test_the_batch_task_is_registered_by_its_name():
    from celery import current_app

    from registers.services.invitation_batches import SEND_BATCH

    assert SEND_BATCH in current_app.tasks


@pytest.mark.parametrize(
    ("role", "link"),
    [
        (Role.ADMIN, "members"),
        (Role.COORDINATOR, "member_invitations"),
        (Role.OWNER, None),
        (Role.VIEWER, None),
    ],
)
def test_the_menu_leads_whoever_may_invite_to_their_page(client, organisation, member, role, link):
    client.force_login(member(role))
    page = client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    for name in ("members", "member_invitations"):
        href = f'href="{reverse(name, args=[organisation.slug])}"'
        assert (href in page) == (name == link), (role, name)
