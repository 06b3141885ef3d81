"""The daily digest of notifications (registers.services.notices.notice_digest_send)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from registers.models import Delivery, Marking, Notice, NoticeKind, NoticePreference, Role
from registers.services.notices import notice_digest_send, notify
from registers.tasks import send_notice_digest
from registers.withholding import WITHHELD
from riskreg.beat import BEAT_SCHEDULE
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db


def daily(user, *kinds):
    for kind in kinds or NoticeKind.values:
        NoticePreference.objects.update_or_create(
            user=user, kind=kind, defaults={"delivery": Delivery.DIGEST}
        )


def tell(risk, people, *, key, body="Body text", kind=NoticeKind.COMMENT):
    return notify(
        kind=kind,
        organisation=risk.organisation,
        recipients=people,
        event_key=key,
        title=f"{risk.ref}: {key}",
        url=f"/o/{risk.organisation.slug}/risks/{risk.ref}/",
        body=body,
        risk=risk,
    )


@pytest.fixture
def risk(corporate_register):
    return RiskFactory(register=corporate_register, ref="CRR18")


def test_one_e_mail_per_person_with_all_their_digest_notices_across_organisations(
    risk, member, other_organisation, send_queued_email
):
    ann, bob, cat = member(Role.OWNER), member(Role.OWNER), member(Role.OWNER)
    MembershipFactory(organisation=other_organisation, user=ann, role=Role.VIEWER)
    elsewhere = RiskFactory(register=corporate_register_of(other_organisation), ref="R7")
    daily(ann)
    daily(bob)
    with send_queued_email() as outbox:
        tell(risk, [ann, bob, cat], key="first")
        tell(elsewhere, [ann], key="second")
        tell(risk, [ann], key="third", kind=NoticeKind.BREACH)
    assert [m.to for m in outbox] == [[cat.email]]  # cat wants e-mail straight away
    with send_queued_email() as outbox:
        outbox.clear()
        assert notice_digest_send() == 2
    by_person = {m.to[0]: m for m in outbox}
    assert set(by_person) == {ann.email, bob.email}
    text = by_person[ann.email].body
    assert "3 notifications" in by_person[ann.email].subject
    for words in ("CRR18: first", "R7: second", "CRR18: third", other_organisation.display_name):
        assert words in text
    assert f"/o/{risk.organisation.slug}/risks/CRR18/" in text
    assert "/notifications/preferences/" in text
    assert "CRR18: first" in by_person[ann.email].alternatives[0][0]
    assert not Notice.objects.filter(delivery=Delivery.DIGEST, emailed_at__isnull=True).exists()


def test_a_second_run_sends_nothing_new(risk, member, send_queued_email):
    ann = member(Role.OWNER)
    daily(ann)
    tell(risk, [ann], key="first")
    with send_queued_email() as outbox:
        notice_digest_send()
        assert notice_digest_send() == 0
    assert len(outbox) == 1
    tell(risk, [ann], key="later")
    with send_queued_email() as outbox:
        outbox.clear()
        assert notice_digest_send() == 1
    assert "CRR18: later" in outbox[0].body and "CRR18: first" not in outbox[0].body


def test_never_and_immediate_notices_are_not_in_the_digest(risk, member, send_queued_email):
    ann, bob = member(Role.OWNER), member(Role.OWNER)
    NoticePreference.objects.create(user=ann, kind=NoticeKind.COMMENT, delivery=Delivery.NEVER)
    tell(risk, [ann, bob], key="first")
    with send_queued_email() as outbox:
        assert notice_digest_send() == 0
    assert outbox == []


def test_the_digest_withholds_text_of_a_risk_marked_since(risk, member, send_queued_email):
    viewer = member(Role.VIEWER)
    daily(viewer)
    tell(risk, [viewer], key="first", body="Qsecretpelican")
    risk.marking = Marking.OFFICIAL_SENSITIVE
    risk.save()
    with send_queued_email() as outbox:
        notice_digest_send()
    assert "Qsecretpelican" not in outbox[0].body and WITHHELD in outbox[0].body


def test_a_notice_read_before_the_digest_is_not_e_mailed(risk, member, send_queued_email):
    """Read in riskreg, or resolved (a sign-off decided, an escalation decided: decision 135),
    before the morning's digest: not e-mailed, and claimed so no later digest sends it."""
    ann = member(Role.OWNER)
    daily(ann)
    tell(risk, [ann], key="first")
    tell(risk, [ann], key="second")
    Notice.objects.filter(user=ann, event_key="first").update(read_at=timezone.now())
    with send_queued_email() as outbox:
        assert notice_digest_send() == 1
    assert "1 notification" in outbox[0].subject
    assert "CRR18: second" in outbox[0].body and "CRR18: first" not in outbox[0].body
    assert not Notice.objects.filter(delivery=Delivery.DIGEST, emailed_at__isnull=True).exists()


def test_an_organisation_left_is_not_in_the_digest(risk, member, send_queued_email):
    ann = member(Role.OWNER)
    daily(ann)
    tell(risk, [ann], key="first")
    ann.memberships.all().delete()
    with send_queued_email() as outbox:
        assert notice_digest_send() == 0
    assert outbox == []


def test_the_task_sends_the_digest_and_beat_runs_it_at_half_past_seven(
    risk, member, send_queued_email
):
    ann = member(Role.OWNER)
    daily(ann)
    tell(risk, [ann], key="first")
    with send_queued_email() as outbox:
        assert send_notice_digest.run() == 1
    assert len(outbox) == 1
    (entry,) = [e for e in BEAT_SCHEDULE.values() if e["task"] == "registers.send_notice_digest"]
    assert entry["schedule"].hour == {7} and entry["schedule"].minute == {30}
