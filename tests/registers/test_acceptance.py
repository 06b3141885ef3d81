"""Risk acceptance (issue 17): who may accept a risk above tolerance, the rules of accepting and
withdrawing, "accepted until" on the register, the risk page and the dashboard, and expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from registers import permissions
from registers.models import (
    AcceptanceAuthority,
    Membership,
    Notice,
    NoticeKind,
    RiskAcceptance,
    Role,
)
from registers.selectors import annotated_rows, risk_list
from registers.selectors.acceptance import acceptances_as_of
from registers.services.acceptance import (
    ACCEPT_ALREADY,
    ACCEPT_NOT_ALLOWED,
    ACCEPT_NOT_IN_BREACH,
    APPROVER_NOT_ALLOWED,
    EXPIRY_NOT_FUTURE,
    EXPIRY_TOO_FAR,
    REASON_REQUIRED,
    acceptance_authority_set,
    latest_expiry,
    long_date,
    risk_accept,
    risk_acceptance_withdraw,
    risk_acceptances_expire,
)
from registers.services.risks import risk_update
from registers.tasks import EXPIRE_ACCEPTANCES, expire_risk_acceptances
from riskreg.beat import BEAT_SCHEDULE
from tests.factories import RegisterFactory, RiskFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 6)
UNTIL = dt.date(2027, 3, 31)


@pytest.fixture
def breach(appetite_setup, corporate_register):
    """A risk of the default category (tolerance 8) at a current score of 12: in breach."""
    return RiskFactory(register=corporate_register, positions={"current": (3, 4)})


def _access(user, organisation):
    membership = Membership.objects.get(user=user, organisation=organisation)
    return permissions.OrganisationAccess(organisation, membership)


def _accept(risk, by, *, until=UNTIL, reason="Treating it further costs more than it saves"):
    return risk_accept(risk=risk, by=by, reason=reason, expires_on=until, today=TODAY)


# --- who may accept ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authority", "role", "named", "allowed"),
    [
        (AcceptanceAuthority.ADMINS, Role.ADMIN, False, True),
        (AcceptanceAuthority.ADMINS, Role.COORDINATOR, False, False),
        (AcceptanceAuthority.ADMINS, Role.COORDINATOR, True, True),
        (AcceptanceAuthority.ADMINS, Role.OWNER, True, True),
        (AcceptanceAuthority.COORDINATORS, Role.COORDINATOR, False, True),
        (AcceptanceAuthority.COORDINATORS, Role.OWNER, False, False),
        (AcceptanceAuthority.NAMED, Role.ADMIN, False, False),
        (AcceptanceAuthority.NAMED, Role.ADMIN, True, True),
        (AcceptanceAuthority.NAMED, Role.OWNER, True, True),
        # A viewer or panel member named is still refused: they read registers, not run them.
        (AcceptanceAuthority.NAMED, Role.VIEWER, True, False),
        (AcceptanceAuthority.ADMINS, Role.PANEL, True, False),
    ],
)
def test_who_may_accept_follows_the_organisation_s_authority(
    breach, organisation, member, authority, role, named, allowed
):
    user = member(role)
    organisation.acceptance_authority = authority
    organisation.save()
    if named:
        organisation.acceptance_approvers.add(user)
    assert _access(user, organisation).can_accept_risk(breach) is allowed


def test_a_limited_coordinator_accepts_by_role_only_on_their_registers(
    breach, organisation, member
):
    organisation.acceptance_authority = AcceptanceAuthority.COORDINATORS
    organisation.save()
    limited = member(Role.COORDINATOR, registers_limited=True)
    other = RegisterFactory(organisation=organisation)
    permissions.register_grant(user=limited, register=other)
    access = _access(limited, organisation)
    assert not access.can_accept_risk(breach)
    assert access.can_accept_risk(RiskFactory(register=other))


def test_only_members_who_can_own_risks_can_be_named(organisation, member):
    admin, viewer = member(Role.ADMIN), member(Role.VIEWER)
    with pytest.raises(ValidationError) as refused:
        acceptance_authority_set(
            organisation=organisation,
            by=admin,
            authority=AcceptanceAuthority.NAMED,
            approvers=[viewer],
        )
    assert APPROVER_NOT_ALLOWED in str(refused.value)


def test_the_authority_page_is_admins_only_and_keeps_its_changes(client, organisation, member):
    admin, owner = member(Role.ADMIN), member(Role.OWNER, user__full_name="Nia Owner")
    url = reverse("settings_acceptance", args=[organisation.slug])
    client.force_login(owner)
    assert client.get(url).status_code == 403
    client.force_login(admin)
    assert client.get(url).status_code == 200
    response = client.post(url, {"authority": "named", "approvers": [owner.pk]})
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.acceptance_authority == AcceptanceAuthority.NAMED
    assert list(organisation.acceptance_approvers.all()) == [owner]
    page = client.get(url).content.decode()
    assert "Only the people named; named: Nia Owner" in page
    assert client.post(url, {"authority": "everyone"}).status_code == 400


# --- accepting --------------------------------------------------------------------------------


def test_accepting_records_the_current_score_reason_and_date(breach, member):
    admin = member(Role.ADMIN)
    acceptance = _accept(breach, admin)
    assert (acceptance.accepted_by, acceptance.accepted_score, acceptance.expires_on) == (
        admin,
        12,
        UNTIL,
    )
    assert acceptance.history.first().history_change_reason.startswith("accepted until 31 March")


def test_only_a_risk_above_tolerance_can_be_accepted(appetite_setup, corporate_register, member):
    within = RiskFactory(register=corporate_register, positions={"current": (1, 2)})
    with pytest.raises(ValidationError, match=ACCEPT_NOT_IN_BREACH):
        _accept(within, member(Role.ADMIN))


def test_someone_without_the_authority_is_refused_by_the_service(breach, member):
    with pytest.raises(ValidationError, match=ACCEPT_NOT_ALLOWED):
        _accept(breach, member(Role.COORDINATOR))


@pytest.mark.parametrize(
    ("reason", "until", "message"),
    [
        ("", UNTIL, REASON_REQUIRED),
        ("Tolerated", TODAY, EXPIRY_NOT_FUTURE),
        ("Tolerated", TODAY - dt.timedelta(days=3), EXPIRY_NOT_FUTURE),
        (
            "Tolerated",
            dt.date(2027, 12, 7),
            EXPIRY_TOO_FAR.format(date=long_date(dt.date(2027, 12, 6))),
        ),
    ],
)
def test_a_reason_and_a_date_within_a_year_are_required(breach, member, reason, until, message):
    with pytest.raises(ValidationError) as refused:
        _accept(breach, member(Role.ADMIN), until=until, reason=reason)
    assert message in str(refused.value)
    assert not RiskAcceptance.objects.exists()


def test_the_latest_date_is_a_year_on_even_from_29_february():
    assert latest_expiry(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)
    assert latest_expiry(TODAY) == dt.date(2027, 12, 6)


def test_a_risk_accepted_and_still_covered_is_not_accepted_twice(breach, member):
    admin = member(Role.ADMIN)
    _accept(breach, admin)
    with pytest.raises(ValidationError, match=ACCEPT_ALREADY.format(date="31 March 2027")):
        _accept(breach, admin)


def test_a_rise_above_the_accepted_score_uncovers_the_risk_and_may_be_accepted_anew(
    breach, member, client, organisation
):
    admin = member(Role.ADMIN)
    first = _accept(breach, admin)
    breach = risk_update(
        risk=breach, user=admin, positions={"current": (4, 4)}, expected_version=breach.version
    )
    client.force_login(admin)
    page = client.get(reverse("risk", args=[organisation.slug, breach.ref])).content.decode()
    assert "Accepted until" not in page
    assert "no longer covers it" in page
    second = _accept(breach, admin)
    first.refresh_from_db()
    assert first.end_reason == "replaced by a new acceptance"
    assert second.accepted_score == 16


def test_withdrawing_ends_it_with_the_reason(breach, member):
    admin = member(Role.ADMIN)
    acceptance = _accept(breach, admin)
    risk_acceptance_withdraw(acceptance=acceptance, by=admin, reason="Funding came through")
    acceptance.refresh_from_db()
    assert acceptance.ended_by == admin
    assert acceptance.end_reason == "withdrawn: Funding came through"


# --- the pages --------------------------------------------------------------------------------


def test_the_risk_page_accepts_with_a_form_and_refuses_bad_input_with_400(
    breach, member, client, organisation
):
    admin = member(Role.ADMIN, user__full_name="Ada Admin")
    client.force_login(admin)
    risk_page = reverse("risk", args=[organisation.slug, breach.ref])
    accept = reverse("risk_accept", args=[organisation.slug, breach.ref])
    assert "Accept this risk above its tolerance" in client.get(risk_page).content.decode()
    bad = client.post(accept, {"reason": "", "expires_on": "31/02/2027"})
    assert bad.status_code == 400
    assert "Say why the risk is accepted above its tolerance" in bad.content.decode()
    future = (timezone.localdate() + dt.timedelta(days=30)).strftime("%d/%m/%Y")
    done = client.post(accept, {"reason": "Tolerated for the term", "expires_on": future})
    assert done.status_code == 302
    page = client.get(risk_page).content.decode()
    assert "Accepted until" in page
    assert "Accepted by Ada Admin" in page
    assert client.get(accept).status_code == 405


def test_the_accept_and_withdraw_urls_refuse_someone_without_the_authority(
    breach, member, client, organisation
):
    client.force_login(member(Role.COORDINATOR))
    for name in ("risk_accept", "risk_acceptance_withdraw"):
        url = reverse(name, args=[organisation.slug, breach.ref])
        assert client.post(url, {"reason": "x", "expires_on": "1/1/2027"}).status_code == 403


def test_withdraw_from_the_page(breach, member, client, organisation):
    admin = member(Role.ADMIN)
    risk_accept(
        risk=breach, by=admin, reason="Tolerated", expires_on=timezone.localdate() + dt.timedelta(9)
    )
    client.force_login(admin)
    url = reverse("risk_acceptance_withdraw", args=[organisation.slug, breach.ref])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Treated after all"}).status_code == 302
    assert RiskAcceptance.objects.get().end_reason == "withdrawn: Treated after all"


def test_the_register_shows_accepted_until_with_a_flat_query_count(
    breach, member, client, organisation, corporate_register
):
    admin = member(Role.ADMIN)
    until = timezone.localdate() + dt.timedelta(days=40)
    risk_accept(risk=breach, by=admin, reason="Tolerated", expires_on=until)
    client.force_login(admin)
    url = reverse("register", args=[organisation.slug, corporate_register.slug])
    client.get(url)

    def grow():
        for _ in range(3):
            risk = RiskFactory(register=corporate_register, positions={"current": (4, 4)})
            risk_accept(risk=risk, by=admin, reason="Tolerated", expires_on=until)

    small, large = assert_same_queries(lambda: client.get(url), grow)
    text = large.content.decode()
    assert text.count(f"Accepted until {long_date(until)}") == 4
    # The breach stays a breach: the filter still finds it.
    breaches = client.get(url, {"appetite": "breach"})
    assert len(breaches.context["rows"]) == 4


def test_the_dashboard_says_how_many_breaches_are_accepted(
    breach, member, client, organisation, corporate_register
):
    admin = member(Role.ADMIN)
    RiskFactory(register=corporate_register, positions={"current": (4, 4)})
    risk_accept(
        risk=breach, by=admin, reason="Tolerated", expires_on=timezone.localdate() + dt.timedelta(9)
    )
    client.force_login(admin)
    page = client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    assert "of which 1 accepted" in page
    # The list of risks outside appetite says which breach is accepted.
    assert page.count("Accepted until") == 1


def test_my_work_shows_an_owner_s_accepted_breach(
    appetite_setup, corporate_register, member, client, organisation
):
    owner, admin = member(Role.OWNER), member(Role.ADMIN)
    risk = RiskFactory(register=corporate_register, owner=owner, positions={"current": (3, 4)})
    until = timezone.localdate() + dt.timedelta(days=9)
    risk_accept(risk=risk, by=admin, reason="Tolerated", expires_on=until)
    client.force_login(owner)
    page = client.get(reverse("my_work", args=[organisation.slug])).content.decode()
    assert f"Accepted until {long_date(until)}" in page


# --- expiry -----------------------------------------------------------------------------------


def test_expiry_ends_it_tells_the_approver_once_and_the_risk_is_in_breach_again(
    breach, member, client, organisation, corporate_register, send_queued_email
):
    admin = member(Role.ADMIN)
    acceptance = _accept(breach, admin)
    assert risk_acceptances_expire(today=UNTIL) == 0  # its last day: still in force
    with send_queued_email() as outbox:
        assert risk_acceptances_expire(today=UNTIL + dt.timedelta(days=1)) == 1
        assert risk_acceptances_expire(today=UNTIL + dt.timedelta(days=2)) == 0
    acceptance.refresh_from_db()
    assert acceptance.end_reason == "expired" and acceptance.ended_at is not None
    notices = Notice.objects.filter(
        user=admin, kind=NoticeKind.ACCEPTANCE_EXPIRED, event_key__startswith="acceptance-expired"
    )
    assert [n.event_key for n in notices] == [f"acceptance-expired:{acceptance.pk}"]
    assert [m.to for m in outbox] == [[admin.email]]
    assert "in breach of appetite again" in outbox[0].body
    client.force_login(admin)
    url = reverse("register", args=[organisation.slug, corporate_register.slug])
    assert "Accepted until" not in client.get(url).content.decode()


def test_the_approver_is_reminded_a_fortnight_before(breach, member):
    admin = member(Role.ADMIN)
    acceptance = _accept(breach, admin)
    risk_acceptances_expire(today=UNTIL - dt.timedelta(days=20))
    assert not Notice.objects.exists()
    risk_acceptances_expire(today=UNTIL - dt.timedelta(days=14))
    risk_acceptances_expire(today=UNTIL - dt.timedelta(days=13))
    assert [n.event_key for n in Notice.objects.all()] == [f"acceptance-expiring:{acceptance.pk}"]


def test_acceptances_as_of_a_day_are_those_in_force_then(breach, member, organisation):
    admin = member(Role.ADMIN)
    acceptance = _accept(breach, admin)
    moment = acceptance.accepted_at + dt.timedelta(hours=1)
    found = acceptances_as_of(
        organisation=organisation, risk_ids=[breach.id], moment=moment, day=UNTIL
    )
    assert found == {breach.id: acceptance}
    after = acceptances_as_of(
        organisation=organisation,
        risk_ids=[breach.id],
        moment=moment,
        day=UNTIL + dt.timedelta(days=1),
    )
    assert after == {}


def test_the_appetite_page_counts_the_accepted_breaches(breach, member, client, organisation):
    admin = member(Role.ADMIN)
    risk_accept(
        risk=breach, by=admin, reason="Tolerated", expires_on=timezone.localdate() + dt.timedelta(9)
    )
    client.force_login(admin)
    page = client.get(reverse("appetite", args=[organisation.slug])).content.decode()
    assert "1 in breach (1 accepted)" in page


def test_the_register_as_it_stood_shows_the_acceptance_in_force_then(
    breach, member, organisation, corporate_register
):
    admin = member(Role.ADMIN)
    today = timezone.localdate()
    acceptance = risk_accept(
        risk=breach, by=admin, reason="Tolerated", expires_on=today + dt.timedelta(9)
    )
    risk_acceptance_withdraw(acceptance=acceptance, by=admin, reason="Treated after all")
    acceptance.refresh_from_db()

    def accepted_at(moment):
        rows = annotated_rows(
            risk_list(
                organisation=organisation,
                register_ids=[corporate_register.id],
                today=today,
                as_of=moment,
            )
        )
        return [row.accepted_until for row in rows]

    between = acceptance.accepted_at + (acceptance.ended_at - acceptance.accepted_at) / 2
    assert accepted_at(between) == [acceptance.expires_on]
    assert accepted_at(acceptance.ended_at + dt.timedelta(seconds=1)) == [None]


def test_the_daily_beat_task_ends_what_has_expired(breach, member):
    admin = member(Role.ADMIN)
    assert BEAT_SCHEDULE["expire-risk-acceptances-daily"]["task"] == EXPIRE_ACCEPTANCES
    RiskAcceptance.objects.create(
        organisation=breach.organisation,
        risk=breach,
        accepted_by=admin,
        reason="Tolerated",
        accepted_score=12,
        expires_on=timezone.localdate() - dt.timedelta(days=1),
    )
    assert expire_risk_acceptances() == 1
    assert expire_risk_acceptances() == 0
    assert RiskAcceptance.objects.get().end_reason == "expired"
