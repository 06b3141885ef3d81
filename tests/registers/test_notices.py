"""The one way people are told of an event (registers.services.notices.notify)."""

from __future__ import annotations

import pytest

from registers.models import Delivery, Marking, Notice, NoticeKind, NoticePreference, Role
from registers.services.notices import notify
from registers.withholding import WITHHELD
from tests.factories import MembershipFactory, RiskFactory


def _tell(risk, recipients, *, actor=None, key="event-1", body="What the comment said"):
    return notify(
        kind=NoticeKind.COMMENT,
        organisation=risk.organisation,
        recipients=recipients,
        event_key=key,
        title=f"{risk.ref}: a comment",
        url=f"/o/{risk.organisation.slug}/risks/{risk.ref}/",
        body=body,
        risk=risk,
        actor=actor,
    )


@pytest.fixture
def risk(corporate_register):
    return RiskFactory(register=corporate_register)


def test_each_person_is_told_once_per_event_and_e_mailed_through_the_queue(
    risk, member, send_queued_email
):
    ann, bob = member(Role.OWNER), member(Role.VIEWER)
    with send_queued_email() as outbox:
        made = _tell(risk, [ann, bob, ann, None])
        again = _tell(risk, [ann, bob])
    assert {notice.user for notice in made} == {ann, bob}
    assert again == []
    assert Notice.objects.filter(event_key="event-1").count() == 2
    assert sorted(message.to[0] for message in outbox) == sorted([ann.email, bob.email])
    assert f"/o/{risk.organisation.slug}/risks/{risk.ref}/" in outbox[0].body
    assert all(n.emailed_at is not None for n in Notice.objects.all())


def test_nobody_is_told_of_what_they_did_nor_of_another_organisation(
    risk, member, other_organisation, send_queued_email
):
    ann = member(Role.OWNER)
    outsider = MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user
    with send_queued_email() as outbox:
        made = _tell(risk, [ann, outsider], actor=ann)
    assert made == []
    assert outbox == []


def test_a_closed_risk_tells_nobody(risk, member):
    risk.status, risk.closed_reason = "closed", "Fully mitigated"
    risk.save()
    assert _tell(risk, [member(Role.OWNER)]) == []


def test_an_uncleared_person_gets_the_title_but_never_sensitive_text(risk, member):
    risk.marking = Marking.OFFICIAL_SENSITIVE
    risk.save()
    viewer, coordinator = member(Role.VIEWER), member(Role.COORDINATOR)
    _tell(risk, [viewer, coordinator])
    assert Notice.objects.get(user=viewer).body == WITHHELD
    assert Notice.objects.get(user=coordinator).body == "What the comment said"


def test_a_digest_or_never_preference_sends_no_e_mail_now(risk, member, send_queued_email):
    ann, bob = member(Role.OWNER), member(Role.OWNER)
    NoticePreference.objects.create(user=ann, kind=NoticeKind.COMMENT, delivery=Delivery.DIGEST)
    NoticePreference.objects.create(user=bob, kind=NoticeKind.COMMENT, delivery=Delivery.NEVER)
    with send_queued_email() as outbox:
        _tell(risk, [ann, bob])
    assert outbox == []
    assert set(Notice.objects.values_list("delivery", flat=True)) == {"digest", "never"}
