"""Reminders and updates sent back (decision 136): an author whose update an approver sent back
is told in their reminder e-mail, a line per update that still stands (``stands_sent_back``: the
quick update's and My work's "Update sent back"), with the first words of the reason, withheld
from an author no longer cleared for a marked risk's detail."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from registers.models import Marking, Register, Risk, RiskStatus
from registers.models.organisations import Role
from registers.services.sign_off import review_send_back
from registers.withholding import WITHHELD_SHORT
from reporting.reminders.selection import DAILY, base_url, digests_for
from reporting.reminders.sending import send_reminders
from tests.factories import RiskFactory
from tests.queries import assert_same_queries
from tests.registers import test_sign_off as sign_off
from tests.registers.test_sign_off import person
from tests.reporting.test_reminders_sign_off import submit

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 6, 1)
REASON = "Say what changed since the flood defences were raised last spring and who checked"


@pytest.fixture
def people(organisation):
    return {
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "manager": person(organisation, Role.OWNER, "Mina Manager"),
        "other": person(organisation, Role.OWNER, "Oscar Other"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
    }


register = sign_off.register  # the sign-off tests' register, requiring sign-off


def risk_of(register, people, ref, *, due=MONDAY + dt.timedelta(days=200)):
    """A risk whose review is not due for months: nothing else to remind anybody of."""
    risk = RiskFactory(register=register, ref=ref, owner=people["owner"], manager=people["manager"])
    Risk.objects.filter(pk=risk.pk).update(next_review_due=due)
    risk.refresh_from_db()
    return risk


def sent_back(risk, people, reason=REASON):
    return review_send_back(
        review=submit(risk, people["owner"]), user=people["coordinator"], reason=reason
    )


def lines_of(organisation, user, kind="sent_back"):
    return [
        line
        for digest in digests_for(organisation=organisation, today=MONDAY)
        if digest.user.id == user.id and digest.kind == DAILY
        for line in digest.lines
        if line.kind == kind
    ]


def e_mail_to(user):
    found = [m for m in mail.outbox if user.email in m.to]
    if not found:
        return None, None
    assert len(found) == 1
    return found[0].body, found[0].alternatives[0][0]


def test_the_author_is_told_of_their_update_sent_back_and_nobody_else(
    organisation, register, people
):
    risk = risk_of(register, people, "SRR01")
    sent_back(risk, people)

    lines = lines_of(organisation, people["owner"])
    assert [line.ref for line in lines] == ["SRR01"]
    on = timezone.localdate().strftime("%-d %B %Y")
    assert lines[0].text.startswith(
        f"Cora Coordinator sent back your SRR01 update of {on}: Say what changed since"
    )
    assert lines[0].text.endswith("…")  # the first words of the reason
    # Put right on the risk's review page, where the sent-back words wait pre-filled.
    review_page = reverse("risk_review", kwargs={"org": organisation.slug, "ref": "SRR01"})
    assert lines[0].url == base_url() + review_page
    for who in ("manager", "other", "coordinator"):
        assert lines_of(organisation, people[who]) == [], who

    # Nothing else due: the e-mail is still sent, with its own section.
    mail.outbox = []
    send_reminders(today=MONDAY, organisations=[organisation])
    text, html = e_mail_to(people["owner"])
    assert text is not None
    assert "SENT BACK TO YOU" in text and "Say what changed since" in text
    assert "Sent back to you" in html and lines[0].url in html
    for who in ("manager", "other"):
        assert e_mail_to(people[who]) == (None, None), who


def test_no_line_once_something_later_is_made(organisation, register, people):
    again = risk_of(register, people, "SRR01")
    sent_back(again, people)
    submit(again, people["owner"])  # submitted again: awaiting sign-off, not sent back
    recorded = risk_of(register, people, "SRR02")
    sent_back(recorded, people)
    submit(recorded, people["coordinator"])  # a coordinator's review is recorded at once
    standing = risk_of(register, people, "SRR03")
    sent_back(standing, people)

    assert [line.ref for line in lines_of(organisation, people["owner"])] == ["SRR03"]


def test_the_reason_is_withheld_from_an_author_not_cleared_for_a_marked_risk(
    organisation, register, people
):
    theirs = risk_of(register, people, "SRR01")
    sent_back(theirs, people)
    handed_on = risk_of(register, people, "SRR02")
    sent_back(handed_on, people)
    Risk.objects.filter(pk__in=[theirs.pk, handed_on.pk]).update(marking=Marking.OFFICIAL_SENSITIVE)
    # The author is no longer its owner or manager: not cleared for its detail.
    Risk.objects.filter(pk=handed_on.pk).update(owner=people["other"], manager=people["other"])

    lines = {line.ref: line.text for line in lines_of(organisation, people["owner"])}
    assert "Say what changed" in lines["SRR01"]  # still its owner: cleared for it
    assert "Say what changed" not in lines["SRR02"]
    assert lines["SRR02"].endswith(f": {WITHHELD_SHORT}")

    mail.outbox = []
    send_reminders(today=MONDAY, organisations=[organisation])
    text, html = e_mail_to(people["owner"])
    assert text.count("Say what changed") == 1 and html.count("Say what changed") == 1


def test_closed_risks_and_archived_registers_are_left_out(organisation, register, people):
    closed = risk_of(register, people, "SRR01")
    sent_back(closed, people)
    Risk.objects.filter(pk=closed.pk).update(status=RiskStatus.CLOSED, closed_reason="Treated")
    assert lines_of(organisation, people["owner"]) == []

    archived = risk_of(register, people, "SRR02")
    sent_back(archived, people)
    assert [line.ref for line in lines_of(organisation, people["owner"])] == ["SRR02"]
    Register.objects.filter(pk=register.pk).update(archived_at=timezone.now())
    assert lines_of(organisation, people["owner"]) == []


def test_query_count_does_not_grow_with_updates_sent_back(organisation, register, people):
    for number in range(3):
        sent_back(risk_of(register, people, f"A{number}"), people)

    def grow():
        for number in range(3, 15):
            sent_back(risk_of(register, people, f"A{number}"), people)
        sent_back(risk_of(register, people, "B1"), people)
        Risk.objects.filter(ref="B1").update(marking=Marking.OFFICIAL_SENSITIVE)

    digests_for(organisation=organisation, today=MONDAY)  # content types and the like cached
    _, after = assert_same_queries(
        lambda: digests_for(organisation=organisation, today=MONDAY), grow
    )
    owner_lines = [
        line.ref
        for digest in after
        if digest.user.id == people["owner"].id and digest.kind == DAILY
        for line in digest.lines
        if line.kind == "sent_back"
    ]
    assert sorted(owner_lines) == sorted([f"A{number}" for number in range(15)] + ["B1"])


def test_a_risk_due_and_sent_back_is_one_line_saying_both(organisation, register, people):
    """Decision 137: a risk due for review whose reader's update was sent back is one line, under
    "Sent back to you" (where the reason is), saying when the review is due; the reader's review
    line of it is left out. Whoever else is chased for the review (the manager) still is."""
    late = MONDAY - dt.timedelta(days=10)
    overdue = risk_of(register, people, "SRR01", due=late)
    sent_back(overdue, people)
    soon = risk_of(register, people, "SRR02", due=MONDAY + dt.timedelta(days=3))
    sent_back(soon, people)
    # A marked risk handed on: its author is no longer cleared, nor chased for its review.
    handed_on = risk_of(register, people, "SRR03", due=late)
    sent_back(handed_on, people)
    Risk.objects.filter(pk=handed_on.pk).update(
        marking=Marking.OFFICIAL_SENSITIVE, owner=people["other"], manager=people["other"]
    )

    owner = [
        (line.kind, line.ref, line.overdue, line.review_due)
        for digest in digests_for(organisation=organisation, today=MONDAY)
        if digest.user.id == people["owner"].id and digest.kind == DAILY
        for line in digest.lines
    ]
    assert sorted(owner) == [
        ("sent_back", "SRR01", True, True),
        ("sent_back", "SRR02", False, True),
        ("sent_back", "SRR03", True, False),  # not theirs to review: no review line to stand for
    ]
    assert sorted(line.ref for line in lines_of(organisation, people["manager"], "review")) == [
        "SRR01",
        "SRR02",
    ]
    assert [line.ref for line in lines_of(organisation, people["other"], "review")] == ["SRR03"]

    mail.outbox = []
    send_reminders(today=MONDAY, organisations=[organisation])
    text, html = e_mail_to(people["owner"])
    on = timezone.localdate().strftime("%-d %B %Y")
    for body in (text, html):
        assert "Review risk SRR01" not in body and "Review risk SRR02" not in body
        assert body.count(f"sent back your SRR01 update of {on}") == 1
        assert body.count(f"sent back your SRR02 update of {on}") == 1
        assert "Cora Coordinator sent back your SRR01" in body
        assert "Review overdue: was due 22 May 2026. Put it right" in body
        assert "Review due 4 June 2026. Put it right" in body
        assert body.count("Say what changed since") == 2  # SRR01 and SRR02, not SRR03
        assert f"sent back your SRR03 update of {on}: {WITHHELD_SHORT}" in body
    assert "OVERDUE\n" not in text and "DUE SOON\n" not in text  # nothing else to do
    # Their reviews due are on the quick update, as when each had its review line.
    quick_update = base_url() + reverse("quick_update", kwargs={"org": organisation.slug})
    assert quick_update in text and quick_update in html
    manager_text, _ = e_mail_to(people["manager"])
    assert "Review risk SRR01" in manager_text and "Review risk SRR02" in manager_text


def test_each_kind_of_update_links_where_its_author_puts_it_right(
    client, organisation, register, people
):
    """A review sent back links to the review page, which starts from its words; a change of
    rating made on the edit form to the risk page's sign-off panel (where My work's and the
    dashboard's rows lead), which says why and offers the risk's Edit."""
    from registers.models import Review, ReviewState
    from registers.services.risks import risk_update

    reviewed = risk_of(register, people, "SRR01")
    sent_back(reviewed, people)
    rated = risk_of(register, people, "SRR02")
    risk_update(
        risk=rated,
        expected_version=rated.version,
        positions={"current": (5, 5)},
        user=people["owner"],
    )
    submitted = Review.objects.get(risk=rated, state=ReviewState.SUBMITTED)
    assert submitted.proposed["kind"] == "rating"
    review_send_back(review=submitted, user=people["coordinator"], reason=REASON)

    urls = {line.ref: line.url for line in lines_of(organisation, people["owner"])}
    slug = organisation.slug
    assert urls["SRR01"] == base_url() + reverse(
        "risk_review", kwargs={"org": slug, "ref": "SRR01"}
    )
    risk_page = reverse("risk", kwargs={"org": slug, "ref": "SRR02"})
    assert urls["SRR02"] == base_url() + risk_page + "#sign-off"

    # What each link reaches, for the author: the update sent back and a way to put it right.
    client.force_login(people["owner"])
    page = client.get(risk_page).content.decode()
    assert 'id="sign-off"' in page and "Update sent back" in page and "Say what changed" in page
    assert reverse("risk_edit", kwargs={"org": slug, "ref": "SRR02"}) in page
    review_page = client.get(reverse("risk_review", kwargs={"org": slug, "ref": "SRR01"}))
    assert "Water over the sill twice" in review_page.content.decode()  # pre-filled
