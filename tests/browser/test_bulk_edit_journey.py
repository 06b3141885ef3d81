"""Bulk reassignment in Chromium: a coordinator ticks three risks on the register, sets a new
owner with a reason, checks the preview, confirms; the register shows the new owner, a risk's
history shows the reason, and the new owner has a notice naming them. The pages pass axe-core."""

import pytest
from playwright.sync_api import expect

from registers.models import Notice, NoticeKind, Register, Risk, Role
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import MembershipFactory, OrganisationFactory, RiskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Finance directorate restructure: risks move to the new Director of Finance"


def test_coordinator_gives_three_risks_a_new_owner(page):
    organisation = OrganisationFactory(name="Example Police", slug="example")
    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    coordinator = MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, user__full_name="Cora Coordinator"
    ).user
    old = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__full_name="Olga Old"
    ).user
    new = MembershipFactory(
        organisation=organisation, role=Role.OWNER, user__full_name="Nadia New"
    ).user
    for n, title in enumerate(("Budget gap", "Pension costs", "Procurement fraud", "Fleet"), 1):
        RiskFactory(register=corporate, ref=f"CRR{n}", title=title, owner=old)

    sign_in(page, coordinator.email)
    page.goto("/o/example/registers/corporate/")
    for ref in ("CRR1", "CRR2", "CRR3"):
        page.get_by_label(f"Select {ref}", exact=True).check()
    # With JavaScript, a box ticks every risk on the page (partly ticked now: three of four).
    every = page.get_by_label("Select every risk on this page")
    expect(every).not_to_be_checked()
    assert every.evaluate("box => box.indeterminate")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Change selected risks").click()

    expect(page.get_by_role("heading", name="Change selected risks")).to_be_visible()
    expect(page.get_by_text("3 risks chosen")).to_be_visible()
    page.get_by_label("Owner", exact=True).check()
    page.get_by_label("New owner").select_option(label="Nadia New")
    page.get_by_label("Reason for the change").fill(REASON)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Preview the changes").click()

    expect(page.get_by_role("heading", name="Check the changes")).to_be_visible()
    table = page.get_by_role("table")
    for ref in ("CRR1", "CRR2", "CRR3"):
        row = table.get_by_role("row").filter(has_text=ref)
        expect(row).to_contain_text("Olga Old")
        expect(row).to_contain_text("Nadia New")
    expect(table).not_to_contain_text("CRR4")
    assert axe_violations(page) == []
    assert set(Risk.objects.values_list("owner_id", flat=True)) == {old.pk}  # nothing yet
    page.get_by_role("button", name="Change 3 risks").click()

    expect(page.get_by_text("Owner changed on 3 risks: CRR1, CRR2, CRR3")).to_be_visible()
    register = page.get_by_role("table")
    for ref in ("CRR1", "CRR2", "CRR3"):
        expect(register.get_by_role("row").filter(has_text=ref)).to_contain_text("Nadia New")
    expect(register.get_by_role("row").filter(has_text="CRR4")).to_contain_text("Olga Old")

    page.goto("/o/example/risks/CRR2/history/")
    expect(page.get_by_text(REASON)).to_be_visible()
    # One notice for the three (the assignment notices group a bulk change).
    (notice,) = Notice.objects.filter(user=new, kind=NoticeKind.ASSIGNED)
    assert all(ref in notice.title for ref in ("CRR1", "CRR2", "CRR3"))
