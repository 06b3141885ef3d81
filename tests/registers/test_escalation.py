"""Escalation and de-escalation between registers (MOPAC 1.6, Aberdeen 3.6).

A school coordinator or a risk's owner asks to move it up to the parent register with a reason;
the parent register's coordinators accept (the risk moves, remembers its origin, gets the owner
they choose) or decline with a reason; the requester may withdraw; de-escalation works the other
way. Every step is in the risk's history. Only the right people may ask and decide (403 for the
rest, 404 for other organisations); a second pending request and stale decisions are refused."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from registers import history, permissions
from registers.models import (
    Escalation,
    EscalationDirection,
    EscalationStatus,
    Risk,
    RiskStatus,
    Role,
)
from registers.services.escalation import (
    escalation_accept,
    escalation_decline,
    escalation_request,
    escalation_withdraw,
)
from registers.services.organisations import member_add, membership_change
from registers.services.risks import risk_close, risk_update
from registers.views.escalation import WITHDRAW_NOT_YOURS
from scoring.presets import preset
from scoring.services import scheme_save
from tests.factories import OrganisationFactory, RegisterFactory, RiskFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


def person(organisation, role, name, *, limited_to=None):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    membership = member_add(organisation=organisation, email=email, role=role, full_name=name)
    if limited_to is not None:
        membership_change(membership=membership, role=Role.COORDINATOR, registers_limited=True)
        permissions.register_grant(user=membership.user, register=limited_to)
    return membership.user


@pytest.fixture
def school(organisation, corporate_register):
    return RegisterFactory(
        organisation=organisation, slug="business-school", name="Business School register"
    )


@pytest.fixture
def people(organisation, corporate_register, school):
    return {
        "admin": person(organisation, Role.ADMIN, "Ada Admin"),
        "corporate_coordinator": person(
            organisation, Role.COORDINATOR, "Cora Corporate", limited_to=corporate_register
        ),
        "school_coordinator": person(
            organisation, Role.COORDINATOR, "Sam School", limited_to=school
        ),
        "head": person(organisation, Role.OWNER, "Hana Head"),
        "vp": person(organisation, Role.OWNER, "Victor Vice"),
        "other_owner": person(organisation, Role.OWNER, "Olga Other"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer"),
        "panel": person(organisation, Role.PANEL, "Pat Panel"),
    }


@pytest.fixture
def risk(school, people):
    return RiskFactory(
        register=school,
        ref="BS3",
        title="Fall in postgraduate recruitment",
        description="Visa changes cut applications.",
        owner=people["head"],
        positions={"inherent": (5, 4), "current": (4, 4), "target": (2, 3)},
    )


def url(name, organisation, *args):
    return reverse(name, args=[organisation.slug, *args])


def ask(client, risk, user, reason="Affects the whole University's income", direction="up"):
    client.force_login(user)
    target = risk.register.parent if direction == "up" else None
    return client.post(
        url("risk_escalate", risk.organisation, risk.ref),
        {
            "destination": f"{direction}:{target.slug}" if target else "",
            "reason": reason,
            "version": risk.version,
        },
    )


def entries_text(risk) -> list[str]:
    return [
        " | ".join([entry.who, entry.summary, *entry.lines, entry.reason])
        for entry in history.risk_history(risk)
    ]


# --- the whole journey, through the pages -----------------------------------------------------


def test_escalation_accepted_moves_the_risk_to_the_parent_register(
    client, organisation, corporate_register, school, people, risk
):
    response = ask(client, risk, people["school_coordinator"])
    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.status, risk.register, risk.version) == (RiskStatus.ESCALATED, school, 2)
    escalation = Escalation.objects.get(risk=risk)
    assert (escalation.direction, escalation.from_register, escalation.to_register) == (
        EscalationDirection.UP,
        school,
        corporate_register,
    )
    page = client.get(url("risk", organisation, risk.ref)).content.decode()
    assert "Escalation waiting for a decision" in page and "Escalated" in page

    # The corporate register's coordinator sees it waiting, and accepts choosing the owner.
    client.force_login(people["corporate_coordinator"])
    waiting = client.get(url("register_escalations", organisation, corporate_register.slug))
    assert waiting.status_code == 200
    assert "BS3 Fall in postgraduate recruitment" in waiting.content.decode()
    decide = client.get(url("escalation_decide", organisation, escalation.pk)).content.decode()
    assert "Accept and move BS3" in decide and "Victor Vice" in decide
    response = client.post(
        url("escalation_decide", organisation, escalation.pk),
        {
            "decision": "accept",
            "accept-new_owner": people["vp"].pk,
            "accept-note": "Strategic area: student recruitment",
            "accept-version": risk.version,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url("risk", organisation, "BS3")
    risk.refresh_from_db()
    assert risk.register == corporate_register
    assert risk.origin_register == school
    assert risk.owner == people["vp"]
    assert (risk.status, risk.version) == (RiskStatus.OPEN, 3)
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.ACCEPTED
    assert (escalation.decided_by, escalation.new_owner) == (
        people["corporate_coordinator"],
        people["vp"],
    )

    # It shows on the corporate register's page with its origin, and every step is in history.
    page = client.get(url("risk", organisation, "BS3")).content.decode()
    assert "escalated from Business School register" in page
    assert "Escalated from" in page
    lines = entries_text(risk)
    assert any(
        line.startswith("Cora Corporate | Escalated from Business School register to")
        and "Register: Business School register → " in line
        and "Owner: Hana Head → Victor Vice" in line
        and "Affects the whole University's income (note on acceptance: Strategic area" in line
        for line in lines
    ), lines
    assert any(
        line.startswith("Sam School | Escalation requested to ")
        and "Status: Open → Escalated" in line
        and line.endswith("Affects the whole University's income")
        for line in lines
    ), lines
    register_page = client.get(
        url("register", organisation, corporate_register.slug)
    ).content.decode()
    assert "BS3" in register_page


def test_escalation_declined_stays_with_the_reason_in_history(
    client, organisation, corporate_register, school, people, risk
):
    ask(client, risk, people["head"])  # the risk's owner may ask too
    escalation = Escalation.objects.get(risk=risk)
    client.force_login(people["corporate_coordinator"])
    target = url("escalation_decide", organisation, escalation.pk)
    # A reason is required.
    response = client.post(
        target, {"decision": "decline", "decline-note": " ", "decline-version": 2}
    )
    assert response.status_code == 400
    assert "Say why the request is declined" in response.content.decode()
    assert Escalation.objects.get(pk=escalation.pk).status == EscalationStatus.PENDING

    response = client.post(
        target,
        {
            "decision": "decline",
            "decline-note": "Managed well at school level",
            "decline-version": 2,
        },
    )
    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.register, risk.status, risk.owner) == (school, RiskStatus.OPEN, people["head"])
    assert risk.origin_register is None
    escalation.refresh_from_db()
    assert (escalation.status, escalation.decision_note) == (
        EscalationStatus.DECLINED,
        "Managed well at school level",
    )
    lines = entries_text(risk)
    assert any(
        line.startswith("Cora Corporate | Escalation to ")
        and "declined" in line
        and "Status: Escalated → Open" in line
        and line.endswith("Managed well at school level")
        for line in lines
    ), lines
    history_page = client.get(url("risk_history", organisation, risk.ref)).content.decode()
    assert "Managed well at school level" in history_page


def test_deescalation_moves_the_risk_down_to_a_child_register(
    client, organisation, corporate_register, school, people
):
    risk = RiskFactory(
        register=corporate_register, ref="SRR9", title="Local timetabling", owner=people["vp"]
    )
    client.force_login(people["corporate_coordinator"])
    form = client.get(url("risk_escalate", organisation, risk.ref) + "?direction=down")
    assert "De-escalate SRR9" in form.content.decode()
    response = client.post(
        url("risk_escalate", organisation, risk.ref),
        {"destination": f"down:{school.slug}", "reason": "A school matter now", "version": 1},
    )
    assert response.status_code == 302
    escalation = Escalation.objects.get(risk=risk)
    assert escalation.direction == EscalationDirection.DOWN
    # The corporate coordinator does not edit the school register, so cannot decide.
    forbidden = client.post(
        url("escalation_decide", organisation, escalation.pk),
        {"decision": "accept", "accept-new_owner": people["head"].pk, "accept-version": 2},
    )
    assert forbidden.status_code == 403
    client.force_login(people["school_coordinator"])
    response = client.post(
        url("escalation_decide", organisation, escalation.pk),
        {"decision": "accept", "accept-new_owner": people["head"].pk, "accept-version": 2},
    )
    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.register, risk.origin_register, risk.owner) == (
        school,
        corporate_register,
        people["head"],
    )
    lines = entries_text(risk)
    assert any("De-escalated from " in line and "A school matter now" in line for line in lines)
    assert any("De-escalation requested to Business School register" in line for line in lines)
    page = client.get(url("risk", organisation, risk.ref)).content.decode()
    assert "de-escalated from" in page


def test_withdrawn_by_the_requester(client, organisation, school, people, risk):
    ask(client, risk, people["head"])
    escalation = Escalation.objects.get(risk=risk)
    withdraw = url("escalation_withdraw", organisation, escalation.pk)
    client.force_login(people["viewer"])
    assert client.post(withdraw).status_code == 403
    client.force_login(people["other_owner"])
    refused = client.post(withdraw)
    assert refused.status_code == 403
    # Whose it is to withdraw, not "your role does not let you ... ask your coordinator".
    assert WITHDRAW_NOT_YOURS.format(register=escalation.from_register.name) in (
        refused.content.decode()
    )
    assert "Your role" not in refused.content.decode()
    client.force_login(people["head"])
    assert client.get(withdraw).status_code == 302  # GET only shows the request
    response = client.post(withdraw)
    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.status, risk.register) == (RiskStatus.OPEN, school)
    escalation.refresh_from_db()
    assert (escalation.status, escalation.decided_by) == (
        EscalationStatus.WITHDRAWN,
        people["head"],
    )
    assert any(
        "Hana Head | Escalation to " in line and "withdrawn" in line for line in entries_text(risk)
    )
    # Withdrawn is final: a decision afterwards is refused.
    with pytest.raises(ValidationError, match="already withdrawn"):
        escalation_accept(escalation=escalation, user=people["admin"], new_owner=people["vp"])


# --- who may do what --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "panel", "other_owner", "corporate_coordinator"])
def test_only_editors_of_the_risk_may_ask(client, organisation, people, risk, who):
    client.force_login(people[who])
    target = url("risk_escalate", organisation, risk.ref)
    assert client.get(target).status_code == 403
    assert ask(client, risk, people[who]).status_code == 403
    assert not Escalation.objects.exists()


@pytest.mark.parametrize("who", ["viewer", "panel", "head", "school_coordinator", "vp"])
def test_only_the_receiving_registers_editors_may_decide(client, organisation, people, risk, who):
    escalation = escalation_request(risk=risk, user=people["head"], reason="Too big for us")
    client.force_login(people[who])
    target = url("escalation_decide", organisation, escalation.pk)
    assert client.get(target).status_code == 200  # members may read the request
    for decision in (
        {"decision": "accept", "accept-new_owner": people["vp"].pk, "accept-version": 2},
        {"decision": "decline", "decline-note": "no", "decline-version": 2},
    ):
        refused = client.post(target, decision)
        assert refused.status_code == 403
        text = refused.content.decode()
        if who == "school_coordinator":  # a coordinator, of another register
            assert "You do not coordinate " + escalation.to_register.name in text
            assert "Your role" not in text
        else:
            assert "Your role does not let you decide on requests" in text
    assert Escalation.objects.get(pk=escalation.pk).status == EscalationStatus.PENDING


def test_other_organisations_get_404(client, organisation, corporate_register, people, risk):
    escalation = escalation_request(risk=risk, user=people["head"], reason="Too big for us")
    other = OrganisationFactory()
    outsider = person(other, Role.ADMIN, "Oscar Outsider")
    client.force_login(outsider)
    for target in (
        url("risk_escalate", organisation, risk.ref),
        url("register_escalations", organisation, corporate_register.slug),
        url("escalation_decide", organisation, escalation.pk),
        url("escalation_withdraw", organisation, escalation.pk),
        # Their own organisation's slug with this organisation's escalation: no such thing.
        url("escalation_decide", other, escalation.pk),
        url("escalation_withdraw", other, escalation.pk),
    ):
        assert client.get(target).status_code == 404, target
        posted = client.post(target, {"decision": "decline", "decline-note": "x"})
        assert posted.status_code in (404, 405), target  # the list only answers GET
    assert Escalation.objects.get(pk=escalation.pk).status == EscalationStatus.PENDING


def test_admin_and_full_coordinators_decide_everywhere(organisation, people, risk):
    escalation = escalation_request(risk=risk, user=people["head"], reason="Too big")
    access = permissions.organisation_for_user(user=people["admin"], slug=organisation.slug)
    assert access.can_decide_escalation(escalation)
    moved = escalation_accept(escalation=escalation, user=people["admin"], new_owner=people["vp"])
    assert moved.register.slug == "corporate"


# --- the rules --------------------------------------------------------------------------------


def test_a_second_pending_request_is_refused(client, organisation, people, risk):
    escalation_request(risk=risk, user=people["head"], reason="First")
    with pytest.raises(ValidationError, match="already has a pending escalation"):
        escalation_request(risk=risk, user=people["school_coordinator"], reason="Second")
    risk.refresh_from_db()
    response = ask(client, risk, people["school_coordinator"], reason="Second")
    assert response.status_code == 400
    page = response.content.decode()
    assert "already has a pending escalation" in page  # the error summary
    assert "already waiting for a decision" in page  # and no form is offered
    assert "Send the request" not in page
    assert Escalation.objects.filter(risk=risk).count() == 1
    # Once decided, a new request may be made.
    escalation_decline(
        escalation=Escalation.objects.get(risk=risk), user=people["admin"], note="No"
    )
    escalation_request(risk=risk, user=people["head"], reason="Now it is worse")
    assert Escalation.objects.filter(risk=risk, status=EscalationStatus.PENDING).count() == 1


def test_stale_decisions_are_refused(client, organisation, people, risk):
    escalation = escalation_request(risk=risk, user=people["head"], reason="Too big")
    loaded = Risk.objects.get(pk=risk.pk).version
    # Someone re-scores the risk after the decider opened the page.
    risk_update(risk=risk, expected_version=loaded, positions={"current": (5, 5)}, reason="worse")
    with pytest.raises(ValidationError, match="changed after you opened this page"):
        escalation_accept(
            escalation=escalation,
            user=people["admin"],
            new_owner=people["vp"],
            expected_version=loaded,
        )
    client.force_login(people["corporate_coordinator"])
    target = url("escalation_decide", organisation, escalation.pk)
    response = client.post(
        target,
        {"decision": "accept", "accept-new_owner": people["vp"].pk, "accept-version": loaded},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "changed after you opened this page" in page
    # The form now carries the latest version, so sending it again decides knowingly.
    assert re.search(rf'name="accept-version" value="{loaded + 1}"', page)

    escalation_decline(escalation=escalation, user=people["admin"], note="No")
    response = client.post(
        target,
        {"decision": "accept", "accept-new_owner": people["vp"].pk, "accept-version": loaded + 2},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "already declined by Ada Admin" in page
    assert "Accept and move" not in page
    with pytest.raises(ValidationError, match="already declined"):
        escalation_decline(escalation=escalation, user=people["admin"], note="Again")
    with pytest.raises(ValidationError, match="already declined"):
        escalation_withdraw(escalation=escalation, user=people["head"])


def test_moves_go_only_up_to_the_parent_or_down_to_a_child(
    organisation, corporate_register, school, people, risk
):
    elsewhere = RegisterFactory(organisation=organisation, slug="project", name="Project register")
    with pytest.raises(ValidationError, match="escalates only to its parent register"):
        escalation_request(risk=risk, user=people["head"], reason="x", to_register=elsewhere)
    top = RiskFactory(register=corporate_register, ref="SRR1", title="Top")
    with pytest.raises(ValidationError, match="has no parent register"):
        escalation_request(risk=top, user=people["admin"], reason="x")
    with pytest.raises(ValidationError, match="not a register under"):
        escalation_request(
            risk=risk,
            user=people["admin"],
            reason="x",
            direction="down",
            to_register=corporate_register,
        )
    other_school = RegisterFactory(organisation=OrganisationFactory(), slug="x-school")
    with pytest.raises(ValidationError, match="not a register under"):
        escalation_request(
            risk=top, user=people["admin"], reason="x", direction="down", to_register=other_school
        )
    with pytest.raises(ValidationError, match="say why"):
        escalation_request(risk=risk, user=people["head"], reason="   ")
    assert not Escalation.objects.exists()


def test_a_closed_risk_cannot_be_escalated(organisation, people, risk):
    risk_close(risk=risk, expected_version=risk.version, reason="Mitigated")
    with pytest.raises(ValidationError, match="is closed"):
        escalation_request(risk=risk, user=people["head"], reason="x")


def test_the_new_owner_must_be_a_member_who_can_own_risks(organisation, people, risk):
    escalation = escalation_request(risk=risk, user=people["head"], reason="Too big")
    stranger = person(OrganisationFactory(), Role.OWNER, "Stan Stranger")
    with pytest.raises(ValidationError, match="not a member"):
        escalation_accept(escalation=escalation, user=people["admin"], new_owner=stranger)
    with pytest.raises(ValidationError, match="only reads the registers"):
        escalation_accept(escalation=escalation, user=people["admin"], new_owner=people["viewer"])
    with pytest.raises(ValidationError, match="choose who will own"):
        escalation_accept(escalation=escalation, user=people["admin"], new_owner=None)
    assert Escalation.objects.get(pk=escalation.pk).status == EscalationStatus.PENDING


def test_ratings_are_rerated_under_the_receiving_registers_scheme(
    organisation, corporate_register, school, people, risk
):
    # Same scales, another scheme (ESPO's 5x5 under another name): levels carry across.
    same_size = scheme_save(
        organisation=organisation, definition=preset("espo-5x5"), name="Alt 5x5"
    )
    corporate_register.scheme = same_size.scheme
    corporate_register.save()
    escalation = escalation_request(risk=risk, user=people["head"], reason="Too big")
    moved = escalation_accept(escalation=escalation, user=people["admin"], new_owner=people["vp"])
    assert moved.scheme_version == same_size.version
    assert (moved.current_likelihood, moved.current_impact, moved.current_score) == (4, 4, 16)


def test_a_scheme_whose_scales_do_not_fit_is_refused_clearly(
    organisation, corporate_register, school, people, risk
):
    small = scheme_save(organisation=organisation, definition=preset("mopac-3x3"), name="3x3")
    corporate_register.scheme = small.scheme
    corporate_register.save()
    with pytest.raises(ValidationError, match="the scales do not fit"):
        escalation_request(risk=risk, user=people["head"], reason="Too big")
    # A request made before the parent changed scheme is refused at acceptance, unchanged.
    corporate_register.scheme = None
    corporate_register.save()
    escalation = escalation_request(risk=risk, user=people["head"], reason="Too big")
    corporate_register.scheme = small.scheme
    corporate_register.save()
    with pytest.raises(ValidationError, match=r"5 likelihood by 5 impact levels.*3 by 3"):
        escalation_accept(escalation=escalation, user=people["admin"], new_owner=people["vp"])
    risk.refresh_from_db()
    assert (risk.register, risk.status) == (school, RiskStatus.ESCALATED)


def test_escalation_form_shows_errors_and_keeps_what_was_typed(client, organisation, people, risk):
    client.force_login(people["school_coordinator"])
    response = client.post(
        url("risk_escalate", organisation, risk.ref),
        {"destination": "", "reason": "Kept text", "version": risk.version},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and 'href="#destination_0"' in page
    assert "Kept text" in page
    assert not Escalation.objects.exists()


def test_risk_page_offers_the_moves_the_member_may_ask_for(client, organisation, people, risk):
    client.force_login(people["school_coordinator"])
    page = client.get(url("risk", organisation, risk.ref)).content.decode()
    assert "Escalate to Strategic" in page or "Escalate to " in page
    assert "De-escalate" not in page  # the school register has no registers under it
    client.force_login(people["viewer"])
    page = client.get(url("risk", organisation, risk.ref)).content.decode()
    assert "Escalate to" not in page


def test_register_escalations_query_count_does_not_grow(
    client, organisation, corporate_register, school, people
):
    def build(n, prefix):
        for i in range(n):
            risk = RiskFactory(register=school, ref=f"{prefix}{i}", title=f"Title {prefix}{i}")
            escalation_request(risk=risk, user=people["school_coordinator"], reason=f"Reason {i}")

    build(3, "A")
    target = url("register_escalations", organisation, corporate_register.slug)
    client.force_login(people["corporate_coordinator"])
    client.get(target)

    def grow():
        build(27, "B")
        for escalation in Escalation.objects.filter(risk__ref__startswith="B")[:10]:
            escalation_decline(escalation=escalation, user=people["admin"], note="Not now")

    _, response = assert_same_queries(lambda: client.get(target), grow)
    page = response.content.decode()
    assert "Title B26" in page and "Not now" in page
