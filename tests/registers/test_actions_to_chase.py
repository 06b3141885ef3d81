"""Owners see everything that is theirs to chase (issue 12): every open action on the risks a person
owns or manages, whoever owns it and including actions with nobody, overdue first, on My work and
the dashboard; an action with no owner says so wherever actions are listed; OFFICIAL-SENSITIVE
detail still withheld from an action owner of somebody else's marked risk."""

import datetime as dt

import pytest
from django.urls import reverse

from registers import selectors
from registers.models import Action, ActionStatus, Marking, Membership, Risk, Role
from registers.models.risks import NO_OWNER
from registers.withholding import WITHHELD_SHORT
from tests.factories import (
    ActionFactory,
    RiskFactory,
    UserFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries
from tests.registers.test_register_page import bulk_risks

pytestmark = pytest.mark.django_db


def days(today, n):
    return today + dt.timedelta(days=n)


@pytest.fixture
def people(member):
    return {
        "me": member(),
        "colleague": member(),
        "coordinator": member(Role.COORDINATOR),
    }


@pytest.fixture
def today(organisation):
    return selectors.organisation_today(organisation)


@pytest.fixture
def my_risk(organisation, people, today):
    """vp-people's case: a risk they own whose actions belong to others, months overdue, and one
    to nobody."""
    risk = RiskFactory(
        register=corporate_register_of(organisation), ref="SRR04", owner=people["me"]
    )
    ActionFactory(
        risk=risk, owner=people["colleague"], description="Fieldwork", due_date=days(today, -60)
    )
    ActionFactory(
        risk=risk, owner=people["colleague"], description="Recruit", due_date=days(today, -180)
    )
    ActionFactory(risk=risk, owner=None, description="Nobody's", due_date=days(today, 90))
    ActionFactory(
        risk=risk,
        owner=people["colleague"],
        description="Finished",
        due_date=days(today, -200),
        status=ActionStatus.COMPLETED,
    )
    return risk


def descriptions(actions):
    return [action.description for action in actions]


# --- the rule ----------------------------------------------------------------------------------


def test_actions_to_chase_are_mine_and_every_open_one_on_risks_i_own_or_manage(
    organisation, people, my_risk, today
):
    me, colleague = people["me"], people["colleague"]
    top = corporate_register_of(organisation)
    managed = RiskFactory(register=top, ref="M1", owner=colleague, manager=me)
    ActionFactory(risk=managed, owner=colleague, description="Managed", due_date=days(today, 5))
    theirs = RiskFactory(register=top, ref="T1", owner=colleague)
    ActionFactory(risk=theirs, owner=me, description="Mine elsewhere", due_date=days(today, -1))
    ActionFactory(risk=theirs, owner=colleague, description="Not mine", due_date=days(today, -300))
    led = RiskFactory(register=top, ref="L1", owner=colleague, leads=[me])
    ActionFactory(risk=led, owner=colleague, description="Led only")
    shut = RiskFactory(register=top, ref="C1", owner=me)
    Risk.objects.filter(pk=shut.pk).update(status="closed", closed_reason="Mitigated")
    ActionFactory(risk=shut, owner=None, description="On a closed risk", due_date=days(today, -9))

    chased = selectors.actions_to_chase(user=me, organisation=organisation)
    assert descriptions(chased) == ["Recruit", "Fieldwork", "Mine elsewhere", "Managed", "Nobody's"]


def test_the_digest_form_of_the_rule_agrees_with_the_list_form(organisation, people, my_risk):
    top = corporate_register_of(organisation)
    everyone = [people["me"], people["colleague"], people["coordinator"]]
    for n, (owner, manager, doer) in enumerate(
        [(everyone[0], everyone[1], None), (everyone[1], None, everyone[0]), (None, None, None)]
    ):
        ActionFactory(
            risk=RiskFactory(register=top, ref=f"X{n}", owner=owner, manager=manager), owner=doer
        )
    actions = list(selectors.chaseable_actions(organisation))
    for person in everyone:
        by_rule = {a.pk for a in actions if person.id in selectors.chasers(a)}
        listed = set(
            selectors.actions_to_chase(user=person, organisation=organisation).values_list(
                "pk", flat=True
            )
        )
        assert by_rule == listed


def test_nothing_of_another_organisation(organisation, other_organisation, people):
    Membership.objects.create(organisation=other_organisation, user=people["me"], role=Role.OWNER)
    theirs = RiskFactory(register=corporate_register_of(other_organisation), owner=people["me"])
    ActionFactory(risk=theirs, owner=None, description="Elsewhere")
    assert not selectors.actions_to_chase(user=people["me"], organisation=organisation).exists()


# --- My work ------------------------------------------------------------------------------------


def test_my_work_lists_overdue_actions_on_my_risks_first_and_flags_no_owner(
    client, organisation, people, my_risk, today
):
    client.force_login(people["me"])
    response = client.get(reverse("my_work", args=[organisation.slug]))
    assert descriptions(response.context["actions"]) == ["Recruit", "Fieldwork", "Nobody's"]
    assert response.context["actions_overdue"] == 2
    html = response.content.decode()
    assert "2 actions</a>" in html and "(overdue items are listed below)" in html
    assert NO_OWNER in html and "Finished" not in html
    assert people["colleague"].display_name in html


def test_an_action_owner_still_sees_their_action_on_somebody_elses_risk(
    client, organisation, people, my_risk
):
    client.force_login(people["colleague"])
    response = client.get(reverse("my_work", args=[organisation.slug]))
    assert descriptions(response.context["actions"]) == ["Recruit", "Fieldwork"]


def test_due_soon_flags_an_action_with_no_owner(client, organisation, people, today):
    risk = RiskFactory(register=corporate_register_of(organisation), ref="R9", owner=people["me"])
    ActionFactory(risk=risk, owner=None, description="Book the drill", due_date=days(today, 3))
    client.force_login(people["me"])
    response = client.get(reverse("my_work", args=[organisation.slug]))
    assert [(kind, item.description) for kind, _, _, item in response.context["due_soon"]] == [
        ("action", "Book the drill")
    ]
    html = response.content.decode()
    due_soon = html[html.index('id="due-soon"') : html.index('id="my-risks"')]
    assert NO_OWNER in due_soon


# --- dashboard ----------------------------------------------------------------------------------


def test_dashboard_lists_and_counts_what_i_chase(client, organisation, people, my_risk):
    client.force_login(people["me"])
    response = client.get(reverse("organisation", args=[organisation.slug]))
    assert descriptions(response.context["my_actions"]) == ["Recruit", "Fieldwork", "Nobody's"]
    assert response.context["actions"]["to_chase"] == 3
    assert response.context["actions"]["to_chase_overdue"] == 2
    html = response.content.decode()
    assert NO_OWNER in html and "3 open actions" in html


def test_dashboard_overdue_list_flags_an_action_with_no_owner(client, organisation, people, today):
    risk = RiskFactory(register=corporate_register_of(organisation), owner=people["colleague"])
    ActionFactory(risk=risk, owner=None, description="Orphan", due_date=days(today, -3))
    client.force_login(people["coordinator"])
    response = client.get(reverse("organisation", args=[organisation.slug]))
    assert descriptions(response.context["actions_overdue"]) == ["Orphan"]
    assert NO_OWNER in response.content.decode()


# --- the risk page ------------------------------------------------------------------------------


def test_risk_page_action_list_says_no_owner(client, organisation, people, my_risk):
    client.force_login(people["coordinator"])
    html = client.get(reverse("risk", args=[organisation.slug, my_risk.ref])).content.decode()
    assert NO_OWNER in html


# --- OFFICIAL-SENSITIVE -------------------------------------------------------------------------


def test_sensitive_detail_reaches_the_risks_owner_not_another_risks_action_owner(
    client, organisation, people, today
):
    me, colleague = people["me"], people["colleague"]
    marked = RiskFactory(
        register=corporate_register_of(organisation),
        ref="S1",
        owner=me,
        marking=Marking.OFFICIAL_SENSITIVE,
    )
    ActionFactory(
        risk=marked, owner=colleague, description="Move the sources", due_date=days(today, -1)
    )
    client.force_login(me)
    html = client.get(reverse("my_work", args=[organisation.slug])).content.decode()
    assert "Move the sources" in html and WITHHELD_SHORT not in html
    client.force_login(colleague)
    for name in ("my_work", "organisation"):
        html = client.get(reverse(name, args=[organisation.slug])).content.decode()
        assert "Move the sources" not in html and WITHHELD_SHORT in html


# --- query counts -------------------------------------------------------------------------------


def _bulk(organisation, me, colleague, count, prefix, today):
    """``count`` risks I own, each with an overdue action of a colleague's and one of nobody's (the
    longer overdue, so the dashboard's first few show it), and as many of a colleague's risks with
    an action of mine."""
    top = corporate_register_of(organisation)
    mine = bulk_risks(top, count, prefix=f"{prefix}M", owner=me)
    theirs = bulk_risks(top, count, prefix=f"{prefix}T", owner=colleague)
    Action.objects.bulk_create(
        [
            Action(
                organisation=organisation,
                risk=r,
                owner=colleague,
                due_date=days(today, -5),
                description="Late",
            )
            for r in mine
        ]
        + [
            Action(
                organisation=organisation, risk=r, due_date=days(today, -9), description="Nobody's"
            )
            for r in mine
        ]
        + [Action(organisation=organisation, risk=r, owner=me, description="Mine") for r in theirs]
    )


@pytest.mark.parametrize("page", ["my_work", "organisation"])
def test_query_count_does_not_grow_with_actions_to_chase(client, organisation, people, today, page):
    me, colleague = people["me"], people["colleague"]
    _bulk(organisation, me, colleague, 5, "A", today)
    client.force_login(me)
    url = reverse(page, args=[organisation.slug])

    def grow():
        _bulk(organisation, me, colleague, 150, "B", today)
        UserFactory.create_batch(3)

    client.get(url)  # warm caches: the dashboard's exposure at past quarter ends
    few, response = assert_same_queries(lambda: client.get(url), grow, at_most=40)
    assert few.status_code == 200
    assert NO_OWNER in response.content.decode()
    if page == "organisation":
        assert response.context["actions"]["to_chase"] == 3 * 155
