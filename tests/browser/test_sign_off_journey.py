"""Sign-off in the browser: on a register whose reviews need sign-off, an owner re-scores a risk
(submitted, the register keeps the rating last signed off, marked), the coordinator sends it back
with a reason, the owner reads the reason and submits again, the coordinator signs it off and the
register shows the new rating. The pages pass axe-core."""

import pytest
from playwright.sync_api import expect

from registers.models import Register, Review, ReviewState, Risk, Role
from registers.services.organisations import member_add
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import PASSWORD, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def member(organisation, role, name):
    email = f"{name.split()[0].lower()}@{organisation.slug}.test"
    return member_add(
        organisation=organisation, email=email, role=role, full_name=name, password=PASSWORD
    ).user


@pytest.fixture
def world():
    organisation = OrganisationFactory(name="Example Force", slug="example")
    register = Register.objects.get(organisation=organisation, slug="corporate")
    register.sign_off_required = True
    register.save()
    owner = member(organisation, Role.OWNER, "Olu Owner")
    RiskFactory(
        register=register,
        ref="CRR7",
        title="Custody suite capacity",
        owner=owner,
        positions={"inherent": (5, 5), "current": (3, 3), "target": (2, 2)},
    )
    return {"owner": owner, "coordinator": member(organisation, Role.COORDINATOR, "Cora Coord")}


def switch_user(page, email):
    page.context.clear_cookies()
    sign_in(page, email)


def rescore(page, likelihood, impact, note):
    page.goto("/o/example/risks/CRR7/review/")
    page.get_by_label("The current rating has changed: re-score it").check()
    page.locator(f"input[name=current_likelihood][value='{likelihood}']").check()
    page.locator(f"input[name=current_impact][value='{impact}']").check()
    page.get_by_label("This period's update: what changed and what is being done").fill(note)
    page.get_by_role("button", name="Record review").click()


def test_sent_back_then_signed_off(page, world):
    sign_in(page, world["owner"].email)
    rescore(page, 4, 4, "Two cells out of use since the flood.")
    expect(page.get_by_text("Review of CRR7 submitted for sign-off")).to_be_visible()
    panel = page.locator("#sign-off")
    expect(panel).to_contain_text("Update awaiting sign-off")
    expect(panel).to_contain_text("Two cells out of use since the flood.")
    assert axe_violations(page) == []
    risk = Risk.objects.get(ref="CRR7")
    assert (risk.current_likelihood, risk.current_impact) == (3, 3)

    switch_user(page, world["coordinator"].email)
    page.goto("/o/example/registers/corporate/")
    expect(page.locator(".rr-awaiting-sign-off")).to_have_count(1)
    page.goto("/o/example/my-work/")
    page.get_by_role("link", name="CRR7 Custody suite capacity").first.click()
    expect(page.get_by_role("heading", name="Sign off the update")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Send back").click()  # no reason: refused, clearly
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Note, or the reason for sending it back").fill("Say when the cells reopen.")
    page.get_by_role("button", name="Send back").click()
    expect(page.get_by_text("The update of CRR7 is sent back.")).to_be_visible()

    switch_user(page, world["owner"].email)
    page.goto("/o/example/risks/CRR7/")
    expect(page.locator("#sign-off")).to_contain_text("Say when the cells reopen.")
    rescore(page, 4, 4, "Two cells out of use until the end of March.")
    expect(page.locator("#sign-off")).to_contain_text("Update awaiting sign-off")

    switch_user(page, world["coordinator"].email)
    page.goto("/o/example/risks/CRR7/")
    page.get_by_role("button", name="Sign off").click()
    expect(page.get_by_text("The update of CRR7 is signed off.")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("Update signed off")
    risk.refresh_from_db()
    assert (risk.current_likelihood, risk.current_impact) == (4, 4)
    assert Review.objects.filter(state=ReviewState.SIGNED_OFF).count() == 1

    page.goto("/o/example/registers/corporate/")
    expect(page.locator(".rr-awaiting-sign-off")).to_have_count(0)
    expect(page.get_by_role("row", name="CRR7")).to_contain_text(str(risk.current_score))
