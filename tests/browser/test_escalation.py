"""Escalation in the browser: a school coordinator escalates a risk to the parent register, the
corporate register's coordinator accepts it choosing the new owner, and the risk then shows on the
corporate register with its origin. The escalation pages pass axe-core; a related risk is linked
from the risk page."""

import pytest
from playwright.sync_api import expect

from registers import permissions
from registers.models import Escalation, EscalationStatus, Register, Risk, RiskLink, Role
from registers.services.organisations import member_add, membership_change, register_create
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def member(organisation, role, name, *, register=None):
    email = f"{name.split()[0].lower()}@{organisation.slug}.test"
    membership = member_add(
        organisation=organisation, email=email, role=role, full_name=name, password=PASSWORD
    )
    if register is not None:
        membership_change(membership=membership, role=Role.COORDINATOR, registers_limited=True)
        permissions.register_grant(user=membership.user, register=register)
    return membership.user


@pytest.fixture
def world():
    organisation = OrganisationFactory(name="Example University", slug="example")
    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    corporate.name = "Strategic Risk Register"
    corporate.save()
    school = register_create(
        organisation=organisation,
        slug="business-school",
        name="Business School risk register",
        level="school",
        parent=corporate,
    )
    head = member(organisation, Role.OWNER, "Hana Head")
    vp = member(organisation, Role.OWNER, "Victor Vice-Principal")
    risk = RiskFactory(
        register=school,
        ref="BS3",
        title="Fall in postgraduate taught recruitment",
        description="Visa changes cut international applications.",
        owner=head,
        positions={"inherent": (5, 5), "current": (4, 5), "target": (2, 3)},
    )
    RiskFactory(register=corporate, ref="SRR10", title="Student recruitment", owner=vp)
    return {
        "organisation": organisation,
        "corporate": corporate,
        "school": school,
        "risk": risk,
        "vp": vp,
        "school_coordinator": member(
            organisation, Role.COORDINATOR, "Sam School-Coordinator", register=school
        ),
        "corporate_coordinator": member(
            organisation, Role.COORDINATOR, "Cora Corporate-Coordinator", register=corporate
        ),
    }


def switch_user(page, email):
    page.context.clear_cookies()
    sign_in(page, email)


def test_school_escalates_and_corporate_accepts_choosing_an_owner(page, world):
    sign_in(page, world["school_coordinator"].email)
    page.goto("/o/example/risks/BS3/")
    page.get_by_role("link", name="Escalate to Strategic Risk Register").click()
    expect(page.get_by_role("heading", name="Escalate BS3")).to_be_visible()
    assert axe_violations(page) == []

    # Sending without a reason shows an error summary linked to the field.
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Say why the risk should move").click()
    page.get_by_label("Why should it move?").fill(
        "Recruitment shortfall now threatens the University's income, not just the School's."
    )
    expect(
        page.get_by_label("Escalate up to Strategic Risk Register (the parent register)")
    ).to_be_checked()
    page.get_by_role("button", name="Send the request").click()

    expect(
        page.get_by_role("heading", name="BS3 Fall in postgraduate taught recruitment")
    ).to_be_visible()
    expect(page.get_by_text("Escalation waiting for a decision")).to_be_visible()
    expect(page.locator(".govuk-tag", has_text="Escalated")).to_be_visible()
    assert axe_violations(page) == []
    escalation = Escalation.objects.get()

    switch_user(page, world["corporate_coordinator"].email)
    page.goto("/o/example/registers/corporate/escalations/")
    expect(page.get_by_role("heading", name="Escalations and de-escalations")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Decide the request for BS3").click()
    expect(
        page.get_by_role(
            "heading",
            name="Move BS3 from Business School risk register to Strategic Risk Register",
        )
    ).to_be_visible()
    assert axe_violations(page) == []

    # Accepting without an owner is refused with a clear message.
    page.get_by_role("button", name="Accept and move BS3").click()
    expect(page.get_by_role("link", name="Choose who will own the risk")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Who will own the risk?").select_option(label="Victor Vice-Principal")
    page.get_by_label("Note (optional)").fill("Joins the student recruitment strategic area.")
    page.get_by_role("button", name="Accept and move BS3").click()

    expect(
        page.get_by_text("BS3 is now on Strategic Risk Register, owned by Victor Vice-Principal.")
    ).to_be_visible()
    expect(page.locator(".govuk-caption-l")).to_contain_text(
        "escalated from Business School risk register"
    )
    history = page.locator("#history")
    expect(history).to_contain_text(
        "Escalated from Business School risk register to Strategic Risk Register"
    )
    expect(history).to_contain_text("Owner: Hana Head → Victor Vice-Principal")
    assert axe_violations(page) == []

    risk = Risk.objects.get(ref="BS3")
    assert (risk.register, risk.origin_register, risk.owner) == (
        world["corporate"],
        world["school"],
        world["vp"],
    )
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.ACCEPTED

    page.goto("/o/example/registers/corporate/")
    expect(page.get_by_role("link", name="BS3")).to_be_visible()


def test_link_a_related_risk_from_the_risk_page(page, world):
    sign_in(page, world["corporate_coordinator"].email)
    page.goto("/o/example/risks/SRR10/")
    page.get_by_text("Link a related risk").click()
    page.get_by_label("Reference of the related risk").fill("BS3")
    page.get_by_label("How are they related? (optional)").fill("The School's shortfall feeds this")
    page.get_by_role("button", name="Add the link").click()
    expect(page.get_by_text("SRR10 is now linked to BS3.")).to_be_visible()
    links = page.locator("#links")
    expect(links).to_contain_text("BS3 Fall in postgraduate taught recruitment")
    expect(links).to_contain_text("The School's shortfall feeds this")
    assert axe_violations(page) == []
    assert RiskLink.objects.count() == 1
    page.goto("/o/example/risks/BS3/")
    expect(page.locator("#links")).to_contain_text("SRR10 Student recruitment")
