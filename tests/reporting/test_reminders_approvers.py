"""Reminders of updates awaiting sign-off (decision 110): each approver's digest lists the updates
waiting for their sign-off, oldest first, with how long each has waited and a link to the page
where they decide it; as the review lines, by their preference, without another organisation's,
an archived register's or a closed risk's, and with the title withheld from an approver not
cleared for the risk."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from registers.models import Marking, Review, ReviewState, Risk, RiskStatus
from registers.models.organisations import Role
from registers.permissions import (
    OrganisationAccess,
    prime_named_approver_register_ids,
    register_grant,
    register_grant_defaults,
)
from registers.services.organisations import member_add
from registers.services.register_archive import register_archive
from registers.services.reviews import review_record
from registers.services.sign_off import review_send_back, review_sign_off, review_withdraw
from registers.withholding import WITHHELD_SHORT
from reporting.models import DigestFrequency, ReminderPreference
from reporting.reminders.selection import DAILY, SIGN_OFF_DAYS, base_url, digests_for
from reporting.reminders.sending import send_reminders
from tests.factories import (
    MembershipFactory,
    RegisterFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 6, 1)
TUESDAY = dt.date(2026, 6, 2)
TITLE = "Flooding at the depot"


def person(organisation, role, name, **membership):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    made = member_add(organisation=organisation, email=email, role=role, full_name=name)
    if membership:
        for field, value in membership.items():
            setattr(made, field, value)
        made.save()
    return made.user


@pytest.fixture
def register(organisation):
    register = corporate_register_of(organisation)
    register.sign_off_required = True
    register.save()
    return register


@pytest.fixture
def people(organisation, register):
    people = {
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "admin": person(organisation, Role.ADMIN, "Ada Admin"),
        "approver": person(organisation, Role.OWNER, "Abe Approver"),
        "bystander": person(organisation, Role.OWNER, "Bea Bystander"),
        "viewer": person(organisation, Role.VIEWER, "Vic Viewer", sensitive_access=True),
    }
    register.sign_off_approvers.add(people["approver"], people["viewer"])
    return people


def school_of(register):
    """A register below ``register`` that requires sign-off, edited by the unlimited
    coordinators (as ``register_add`` grants)."""
    school = RegisterFactory(
        organisation=register.organisation, parent=register, sign_off_required=True
    )
    register_grant_defaults(school)
    return school


def limited_coordinator(organisation, register):
    """A coordinator who edits ``register`` only."""
    limited = MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, registers_limited=True
    ).user
    register_grant(user=limited, register=register)
    return limited


def waiting(register, owner, *, ref="CRR09", days=10, title=TITLE, **fields) -> Review:
    """An update of a new risk ``ref``, submitted by ``owner`` ``days`` before MONDAY."""
    risk = RiskFactory(register=register, ref=ref, title=title, owner=owner, **fields)
    risk.refresh_from_db()
    review = review_record(
        risk=risk,
        user=owner,
        expected_version=risk.version,
        note="Water over the sill twice",
        positions={"current": (4, 4)},
    )
    assert review.state == ReviewState.SUBMITTED
    submitted = dt.datetime.combine(MONDAY - dt.timedelta(days=days), dt.time(11), dt.UTC)
    Review.objects.filter(pk=review.pk).update(created_at=submitted)
    review.refresh_from_db()
    return review


def sign_off_lines(organisation, user, today=MONDAY) -> list:
    for digest in digests_for(organisation=organisation, today=today):
        if digest.user.id == user.id and digest.kind == DAILY:
            return digest.sign_offs
    return []


def e_mail_to(user):
    """The text and HTML of the one e-mail ``user`` was sent (or None, None)."""
    sent = [message for message in mail.outbox if user.email in message.to]
    assert len(sent) <= 1
    if not sent:
        return None, None
    (message,) = sent
    return message.body, message.alternatives[0][0]


def decide_url(review) -> str:
    risk = review.risk
    return base_url() + reverse("review_decide", args=[risk.organisation.slug, risk.ref, review.pk])


def test_approvers_are_e_mailed_the_updates_awaiting_their_sign_off(organisation, register, people):
    review = waiting(register, people["owner"])
    mail.outbox = []
    send_reminders(today=MONDAY, organisations=[organisation])

    line = f"Sign off Owen Owner's update of CRR09: {TITLE}"
    link = decide_url(review)
    for who in ("coordinator", "admin", "approver"):
        text, html = e_mail_to(people[who])
        assert text is not None, who
        assert "AWAITING YOUR SIGN-OFF" in text
        assert f"- {line}\n  Submitted 22 May 2026, waiting 10 days (overdue)\n  {link}\n" in text
        assert "Awaiting your sign-off</h2>" in html
        assert f'<a href="{link}">{escape(line)}</a>' in html
        assert "Submitted 22 May 2026, waiting 10 days" in html
    # The sign-off page the link names is where this approver decides it.
    assert link.endswith(f"/o/{organisation.slug}/risks/CRR09/sign-off/{review.pk}/")


def test_nobody_else_hears_of_it(organisation, register, people):
    """A risk owner who is not an approver, a named viewer (a viewer approves nothing), a
    coordinator limited to another register, and the update's own author."""
    limited = limited_coordinator(organisation, school_of(register))
    # An approver named after submitting: nobody decides their own update (decision 51).
    waiting(register, people["bystander"], ref="CRR10")
    register.sign_off_approvers.add(people["bystander"])

    for who in (people["owner"], people["viewer"], limited, people["bystander"]):
        assert sign_off_lines(organisation, who) == [], who.email
    assert [line.ref for line in sign_off_lines(organisation, people["approver"])] == ["CRR10"]
    mail.outbox = []
    send_reminders(today=MONDAY, organisations=[organisation])
    for who in (people["viewer"], limited, people["bystander"]):
        text, _ = e_mail_to(who)
        assert text is None or "sign-off" not in text.lower(), who.email


def test_a_sensitive_risks_line_is_its_ref_and_title_for_every_approver(
    organisation, register, people
):
    """A risk's ref and title are shown to every member, as on every page (README, handling
    marking) and in the ``sign_off_awaiting`` notice the same approver got: the line carries
    nothing of the risk's detail, nor the update's note."""
    cleared = person(organisation, Role.OWNER, "Cleo Cleared", sensitive_access=True)
    register.sign_off_approvers.add(cleared)
    waiting(register, people["owner"], marking=Marking.OFFICIAL_SENSITIVE)
    mail.outbox = []
    send_reminders(today=MONDAY, organisations=[organisation])
    for who in (people["approver"], people["coordinator"], cleared):
        text, html = e_mail_to(who)
        assert f"Sign off Owen Owner's update of CRR09: {TITLE}" in text and TITLE in html
        assert WITHHELD_SHORT not in text and "Water over the sill" not in text + html


def test_an_archived_registers_updates_are_left_out(organisation, register, people):
    school = school_of(register)
    school.sign_off_approvers.add(people["approver"])
    waiting(school, people["owner"], ref="S1")
    assert [line.ref for line in sign_off_lines(organisation, people["approver"])] == ["S1"]

    register_archive(register=school, reason="School merged", by=people["admin"])

    for who in ("approver", "coordinator", "admin"):
        assert sign_off_lines(organisation, people[who]) == [], who
    mail.outbox = []
    send_reminders(today=MONDAY, organisations=[organisation])
    assert all("S1" not in message.body for message in mail.outbox)


def test_a_closed_risks_update_is_left_out(organisation, register, people):
    review = waiting(register, people["owner"])
    assert [line.ref for line in sign_off_lines(organisation, people["coordinator"])] == ["CRR09"]
    closed_at = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    Risk.objects.filter(pk=review.risk_id).update(
        status=RiskStatus.CLOSED, closed_reason="Fully mitigated", closed_at=closed_at
    )
    assert sign_off_lines(organisation, people["coordinator"]) == []


def test_an_update_signed_off_sent_back_or_withdrawn_no_longer_appears(
    organisation, register, people
):
    signed = waiting(register, people["owner"], ref="A1")
    sent_back = waiting(register, people["owner"], ref="A2")
    withdrawn = waiting(register, people["owner"], ref="A3")
    waiting(register, people["owner"], ref="A4")
    refs = [line.ref for line in sign_off_lines(organisation, people["approver"])]
    assert refs == ["A1", "A2", "A3", "A4"]

    review_sign_off(review=signed, user=people["coordinator"])
    review_send_back(review=sent_back, user=people["approver"], reason="Say what changed")
    review_withdraw(review=withdrawn, user=people["owner"])

    for who in ("approver", "coordinator", "admin"):
        assert [line.ref for line in sign_off_lines(organisation, people[who])] == ["A4"], who


def test_oldest_first_with_how_long_each_has_waited(organisation, register, people):
    waiting(register, people["owner"], ref="NEW", days=0)
    waiting(register, people["owner"], ref="OLD", days=40)
    waiting(register, people["owner"], ref="MID", days=1)
    lines = sign_off_lines(organisation, people["approver"])
    assert [(line.ref, line.waiting_text, line.overdue) for line in lines] == [
        ("OLD", "Submitted 22 April 2026, waiting 40 days", True),
        ("MID", "Submitted 31 May 2026, waiting 1 day", False),
        ("NEW", "Submitted today", False),
    ]


def test_the_approvers_preference_is_respected(organisation, register, people):
    """Daily: every day. Weekly: Mondays. Only when overdue: once it has waited more than
    ``SIGN_OFF_DAYS`` days."""
    for who, frequency in (("coordinator", DigestFrequency.WEEKLY), ("admin", "never")):
        ReminderPreference.objects.create(
            membership=people[who].memberships.get(), frequency=frequency
        )
    waiting(register, people["owner"], ref="FRESH", days=SIGN_OFF_DAYS - 1)  # 6 days on Tuesday
    old = SIGN_OFF_DAYS + 1

    def refs(who, today):
        return [line.ref for line in sign_off_lines(organisation, people[who], today)]

    assert refs("approver", TUESDAY) == ["FRESH"]
    assert refs("coordinator", TUESDAY) == [] and refs("coordinator", MONDAY) == ["FRESH"]
    assert refs("admin", MONDAY) == []
    waiting(register, people["owner"], ref="STALE", days=old)
    assert refs("admin", MONDAY) == ["STALE"]


def test_an_update_submitted_after_the_day_is_not_yet_listed(organisation, register, people):
    """``send_reminders --today`` an earlier day: the updates as they awaited then."""
    waiting(register, people["owner"], ref="LATER", days=-1)  # on Tuesday
    assert sign_off_lines(organisation, people["approver"], MONDAY) == []
    (line,) = sign_off_lines(organisation, people["approver"], TUESDAY)
    assert (line.ref, line.waiting_text) == ("LATER", "Submitted today")


def test_named_approvers_primed_at_once_are_the_propertys_answer(organisation, register, people):
    memberships = list(organisation.memberships.select_related("user"))
    primed = [OrganisationAccess(organisation, m) for m in memberships]
    prime_named_approver_register_ids(primed)
    for access, membership in zip(primed, memberships, strict=True):
        alone = OrganisationAccess(organisation, membership)
        assert access.named_approver_register_ids == alone.named_approver_register_ids
    approver = next(a for a in primed if a.user.id == people["approver"].id)
    assert approver.named_approver_register_ids == {register.id}


@pytest.mark.parametrize("today", [MONDAY, TUESDAY], ids=["monday", "tuesday"])
def test_query_count_does_not_grow_with_updates_or_approvers(organisation, register, people, today):
    """1 update awaiting sign-off, then 20 (on two registers) with four more approvers of each
    kind: the same queries, on a Monday (the coordinators' digests too) and on another day."""
    school = school_of(register)
    waiting(register, people["owner"], ref="W0")

    def grow():
        for n in range(1, 20):
            waiting(register if n % 2 else school, people["owner"], ref=f"W{n}", days=n)
        for n in range(4):
            school.sign_off_approvers.add(person(organisation, Role.OWNER, f"Named Approver{n}"))
            person(organisation, Role.COORDINATOR, f"Extra Coordinator{n}")
            person(organisation, Role.ADMIN, f"Extra Admin{n}")
            limited_coordinator(organisation, school)

    digests_for(organisation=organisation, today=today)  # content types and the like cached
    _, after = assert_same_queries(
        # 10: the updates sent back that stand, one query (decision 136)
        lambda: digests_for(organisation=organisation, today=today),
        grow,
        at_most=10,
    )
    approvers = {d.user.id: d.sign_offs for d in after if d.kind == DAILY and d.sign_offs}
    by_name = {d.user.email: len(d.sign_offs) for d in after if d.kind == DAILY and d.sign_offs}
    assert by_name[people["approver"].email] == 11  # W0 and the odd ones: the corporate register's
    assert by_name[f"named.approver0@{organisation.slug}.test"] == 9  # the school's
    assert by_name[people["coordinator"].email] == by_name[people["admin"].email] == 20
    assert sorted(by_name.values()).count(9) == 8  # named approvers and limited coordinators
    assert people["owner"].id not in approvers and people["viewer"].id not in approvers
    assert all(re.fullmatch(r"W\d+", line.ref) for d in after for line in d.sign_offs)
