"""My work: the risks a member owns, manages or leads and the actions they own, overdue first, what
is due within 30 days, and empty states written for a person; scoped to one organisation."""

import datetime as dt

import pytest
from django.urls import reverse

from registers import selectors
from registers.models import Action, ActionStatus, Review, ReviewState, Risk, RiskStatus, Role
from tests.factories import (
    ActionFactory,
    MembershipFactory,
    OrganisationFactory,
    RiskFactory,
    UserFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries
from tests.registers.test_register_page import bulk_risks

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(organisation):
    return MembershipFactory(organisation=organisation, role=Role.OWNER).user


@pytest.fixture
def work(client, me, organisation):
    client.force_login(me)
    return lambda: client.get(reverse("my_work", args=[organisation.slug]))


def due(risk, days, today):
    Risk.objects.filter(pk=risk.pk).update(next_review_due=today + dt.timedelta(days=days))


def test_url():
    assert reverse("my_work", args=["met"]) == "/o/met/my-work/"


def test_lists_risks_i_own_manage_or_lead_overdue_first(work, me, organisation):
    top = corporate_register_of(organisation)
    someone = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    today = selectors.organisation_today(organisation)
    due(RiskFactory(register=top, ref="OWN", owner=me), 40, today)
    due(RiskFactory(register=top, ref="MAN", manager=me, owner=someone), -10, today)
    due(RiskFactory(register=top, ref="LEAD", leads=[me, someone]), 5, today)
    RiskFactory(register=top, ref="NODATE", owner=me)
    RiskFactory(register=top, ref="THEIRS", owner=someone)
    RiskFactory(register=top, ref="SHUT", owner=me, status=RiskStatus.CLOSED, closed_reason="x")
    response = work()
    rows = response.context["rows"]
    assert [row.risk.ref for row in rows] == ["MAN", "LEAD", "OWN", "NODATE"]
    assert [row.risk.my_part for row in rows] == ["Manager", "Working lead", "Owner", "Owner"]
    html = response.content.decode()
    assert "THEIRS" not in html and "SHUT" not in html
    assert "Overdue" in html and "1 review" in html and "Not scheduled" in html


def test_lists_my_open_actions_earliest_due_first(work, me, organisation):
    someone = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    risk = RiskFactory(register=corporate_register_of(organisation), ref="R1", owner=someone)
    today = selectors.organisation_today(organisation)
    ActionFactory(risk=risk, owner=me, description="Later", due_date=today + dt.timedelta(60))
    ActionFactory(risk=risk, owner=me, description="Late", due_date=today - dt.timedelta(3))
    ActionFactory(risk=risk, owner=me, description="Undated")
    ActionFactory(risk=risk, owner=me, description="Done", status=ActionStatus.COMPLETED)
    ActionFactory(risk=risk, owner=me, description="Dropped", status=ActionStatus.CANCELLED)
    ActionFactory(risk=risk, owner=someone, description="Not mine")
    response = work()
    assert [a.description for a in response.context["actions"]] == ["Late", "Later", "Undated"]
    assert response.context["actions_overdue"] == 1
    html = response.content.decode()
    assert "Not mine" not in html and "Done" not in html and "Dropped" not in html
    # an action owner sees the risk their action belongs to, though the risk is not theirs
    assert response.context["rows"] == [] and "R1" in html


def test_due_within_30_days_merges_reviews_and_actions_by_date(work, me, organisation):
    top = corporate_register_of(organisation)
    today = selectors.organisation_today(organisation)
    r1 = RiskFactory(register=top, ref="R1", owner=me)
    due(r1, 10, today)
    due(RiskFactory(register=top, ref="R2", owner=me), 31, today)
    due(RiskFactory(register=top, ref="R3", owner=me), -1, today)  # overdue, not "due soon"
    ActionFactory(risk=r1, owner=me, description="Ring the insurer", due_date=today)
    ActionFactory(risk=r1, owner=me, description="Far off", due_date=today + dt.timedelta(31))
    response = work()
    soon = [(kind, risk.ref, date) for kind, date, risk, _ in response.context["due_soon"]]
    assert soon == [
        ("action", "R1", today),
        ("review", "R1", today + dt.timedelta(10)),
    ]
    html = response.content.decode()
    assert "Ring the insurer" in html and "Today" in html


def test_empty_states_speak_to_a_person(work):
    html = work().content.decode()
    assert "Nothing in " in html and "is assigned to you at the moment" in html
    assert "You do not own, manage or lead any open risk." in html
    assert "No open action is yours or on a risk you own or manage." in html
    assert "Nothing of yours is due in the next 30 days" in html
    assert "queryset" not in html.lower() and "None" not in html


def test_only_this_organisations_work(client, me, organisation):
    theirs = OrganisationFactory()
    MembershipFactory(organisation=theirs, user=me, role=Role.OWNER)
    their_risk = RiskFactory(register=corporate_register_of(theirs), ref="ELSEWHERE", owner=me)
    ActionFactory(risk=their_risk, owner=me, description="Elsewhere action")
    client.force_login(me)
    html = client.get(reverse("my_work", args=[organisation.slug])).content.decode()
    assert "ELSEWHERE" not in html and "Elsewhere action" not in html
    html = client.get(reverse("my_work", args=[theirs.slug])).content.decode()
    assert "ELSEWHERE" in html and "Elsewhere action" in html


def test_another_organisation_is_404_and_login_is_required(client, organisation):
    other = OrganisationFactory()
    url = reverse("my_work", args=[other.slug])
    assert client.get(url).status_code == 302
    client.force_login(MembershipFactory(organisation=organisation).user)
    assert client.get(url).status_code == 404
    client.force_login(UserFactory())
    assert client.get(reverse("my_work", args=[organisation.slug])).status_code == 404


def test_dashboard_links_to_my_work(client, me, organisation):
    client.force_login(me)
    html = client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    assert f'href="{reverse("my_work", args=[organisation.slug])}"' in html


def _bulk(organisation, me, count, prefix):
    risks = bulk_risks(corporate_register_of(organisation), count, prefix=prefix, owner=me)
    Action.objects.bulk_create(
        Action(organisation=organisation, risk=risk, description="Do it", owner=me)
        for risk in risks
    )
    Risk.leads.through.objects.bulk_create(
        Risk.leads.through(risk_id=risk.id, user_id=me.id) for risk in risks
    )


def test_query_count_is_the_same_for_10_and_500_risks(client, me, organisation):
    _bulk(organisation, me, 10, "A")
    client.force_login(me)
    url = reverse("my_work", args=[organisation.slug])
    few, response = assert_same_queries(
        lambda: client.get(url), lambda: _bulk(organisation, me, 490, "B"), at_most=12
    )
    assert few.status_code == 200
    # the page stops at 200 of each and says so
    assert len(response.context["rows"]) == 200 and len(response.context["actions"]) == 200
    assert "more than 200 open risks" in response.content.decode()


def warning_of(response) -> str:
    html = response.content.decode()
    start = html.index("Overdue:")
    return " ".join(html[start : html.index("</strong>", start)].split())


def test_the_overdue_warning_agrees_with_its_count(work, me, organisation):
    """'Overdue: 1 action. It is listed first below.', never 'They are' for one."""
    risk = RiskFactory(register=corporate_register_of(organisation), ref="R1")
    today = selectors.organisation_today(organisation)
    ActionFactory(risk=risk, owner=me, description="Late", due_date=today - dt.timedelta(3))
    assert warning_of(work()).endswith("1 action</a>. It is listed first below.")
    ActionFactory(risk=risk, owner=me, description="Later", due_date=today - dt.timedelta(1))
    assert warning_of(work()).endswith("2 actions</a>. They are listed first below.")
    due(RiskFactory(register=risk.register, ref="R2", owner=me), -1, today)
    Action.objects.filter(description="Later").delete()
    text = warning_of(work())
    assert "1 review</a> and" in text and text.endswith("They are listed first below.")


def test_an_update_awaiting_sign_off_is_not_an_overdue_review(work, me, organisation):
    """Its owner has reviewed it (README; the digest and quick update leave it out): not counted
    overdue nor due, and its row says it awaits sign-off instead of 'Overdue'."""
    today = selectors.organisation_today(organisation)
    risk = RiskFactory(register=corporate_register_of(organisation), ref="R1", owner=me)
    due(risk, -5, today)
    Review.objects.create(
        organisation=organisation,
        risk=risk,
        reviewed_by=me,
        reviewed_on=today,
        note="Checked",
        state=ReviewState.SUBMITTED,
        proposed={"positions": {"current": [2, 2]}, "kind": "review"},
        base_version=risk.version,
    )
    response = work()
    html = response.content.decode()
    assert response.context["reviews_overdue"] == 0 and "Overdue:" not in html
    assert "Update awaiting sign-off" in html and "govuk-tag--red" not in html
    due(risk, 3, today)  # nor listed as due soon
    assert not [item for item in work().context["due_soon"] if item[0] == "review"]


def test_the_dashboard_does_not_call_an_update_awaiting_sign_off_overdue(client, me, organisation):
    """The dashboard's own part lists the same risks as My work (``my_risks``), so the same rule."""
    today = selectors.organisation_today(organisation)
    risk = RiskFactory(register=corporate_register_of(organisation), ref="R1", owner=me)
    due(risk, -5, today)
    client.force_login(me)
    page = client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    mine = page.split("Risks you own, manage or lead", 1)[1].split("Actions to chase", 1)[0]
    assert "Overdue" in mine  # the review is overdue until someone reviews it
    Review.objects.create(
        organisation=organisation,
        risk=risk,
        reviewed_by=me,
        reviewed_on=today,
        note="Checked",
        state=ReviewState.SUBMITTED,
        proposed={"positions": {"current": [2, 2]}, "kind": "review"},
        base_version=risk.version,
    )
    page = client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    mine = page.split("Risks you own, manage or lead", 1)[1].split("Actions to chase", 1)[0]
    assert "Update awaiting sign-off" in mine and "Overdue" not in mine
