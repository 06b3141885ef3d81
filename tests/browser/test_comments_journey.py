"""A comment with a mention in Chromium (issue 17): a coordinator opens the comment form from a
control's row, finds the risk's owner with the finder and adds the comment in place (htmx); the
owner's e-mail arrives (locmem) with a link to the comment; the owner signs in, sees the
header's count, opens the notice and reads the comment on the risk page. axe-clean on a desktop
and a 390 px phone."""

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from registers.models import NoticeKind
from registers.models.comments import Comment
from registers.services.organisations import member_add
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import (
    PASSWORD,
    ControlFactory,
    OrganisationFactory,
    RiskFactory,
    corporate_register_of,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COORDINATOR = "cora.coordinator@epa.example"
OWNER = "olu.owner@epa.example"


def check_looks_right(page, label) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, label
        assert axe_violations(page) == [], f"{label} at {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_mention_reaches_the_owners_inbox_and_notifications(page, eager_tasks):
    organisation = OrganisationFactory(name="Example Police Authority", slug="epa")
    member_add(
        organisation=organisation,
        email=COORDINATOR,
        role="coordinator",
        full_name="Cora Coordinator",
        password=PASSWORD,
    )
    owner = member_add(
        organisation=organisation,
        email=OWNER,
        role="owner",
        full_name="Olu Owner",
        password=PASSWORD,
    ).user
    risk = RiskFactory(
        register=corporate_register_of(organisation), ref="R1", title="Cyber attack", owner=owner
    )
    ControlFactory(risk=risk, description="Firewall rules reviewed monthly")

    sign_in(page, COORDINATOR)
    page.goto("/o/epa/risks/R1/")
    page.get_by_role("link", name="Comment on control: Firewall rules reviewed monthly").click()
    expect(page.get_by_label("About")).to_have_value(f"control-{risk.controls.get().pk}")
    page.get_by_label("Comment", exact=True).fill("Is this still monthly? ")
    page.get_by_label("Find someone to mention").fill("Olu")
    page.get_by_role("button", name=f"Olu Owner ({OWNER})").click()
    expect(page.get_by_label("Comment", exact=True)).to_have_value(
        f"Is this still monthly? @{OWNER} "
    )
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_text("Comment added.")).to_be_visible()
    comment = Comment.objects.get()
    thread = page.locator(f"#comment-{comment.pk}")
    expect(thread).to_contain_text("Is this still monthly?")
    expect(thread).to_contain_text("On the control Firewall rules reviewed monthly")
    check_looks_right(page, "risk page with a comment")

    (message,) = [m for m in mail.outbox if m.to == [OWNER] and "mentioned" in m.subject]
    assert message.subject.endswith("Cora Coordinator mentioned you on R1 Cyber attack")
    assert f"/o/epa/risks/R1/#comment-{comment.pk}" in message.body
    assert "Is this still monthly?" in message.body

    # Being made the risk's owner was a notice of its own: read already.
    owner.notices.exclude(kind=NoticeKind.MENTIONED).update(read_at=timezone.now())
    page.context.clear_cookies()
    sign_in(page, OWNER)
    page.get_by_role("link", name="Notifications 1 unread").click()
    page.get_by_role(
        "button", name="Cora Coordinator mentioned you on R1 Cyber attack", exact=True
    ).click()
    expect(page.get_by_role("heading", name="R1 Cyber attack")).to_be_visible()
    expect(page.locator(f"#comment-{comment.pk}")).to_contain_text("Is this still monthly?")
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
