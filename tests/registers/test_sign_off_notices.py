"""An approver's "an update awaits your sign-off" notice is done with once the update is signed
off, sent back, withdrawn or replaced by its author's next: every approver's notice of it is
marked read (``review_submissions.awaiting_notices_resolve``, from the sign-off service), so no
list still shows it unread beside the resubmission's (decision 135). The header's cached count
follows at once."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from registers.models import Notice, NoticeKind, ReviewState, Role
from registers.selectors.notices import notices_for_user
from registers.services.notices import notice_mark_read
from registers.services.reviews import review_record
from registers.services.sign_off import review_send_back, review_sign_off, review_withdraw
from tests.factories import RiskFactory
from tests.registers import test_sign_off as sign_off
from tests.registers.test_sign_off import person

pytestmark = pytest.mark.django_db

AWAITING = NoticeKind.SIGN_OFF_AWAITING
COUNT = re.compile(r'<span class="rr-nav-count">(\d+)<span class="govuk-visually-hidden">')


@pytest.fixture
def people(organisation):
    return {
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "approver": person(organisation, Role.OWNER, "Abe Approver"),
    }


register = sign_off.register  # the sign-off tests' register, requiring sign-off


@pytest.fixture
def risk(register, people):
    register.sign_off_approvers.add(people["approver"])
    return RiskFactory(register=register, ref="CRR09", owner=people["owner"])


def submit(risk, user, note="Water over the sill twice"):
    risk.refresh_from_db()
    review = review_record(risk=risk, user=user, expected_version=risk.version, note=note)
    assert review.state == ReviewState.SUBMITTED
    return review


def unread(user, kind=AWAITING) -> list[str]:
    """The user's unread notices of ``kind``, by the review each asks about."""
    return [
        notice.url.rstrip("/").rsplit("/", 1)[-1]
        for notice in notices_for_user(user=user, unread_only=True).filter(kind=kind)
    ]


def approvers(people):
    return people["coordinator"], people["approver"]


def test_sent_back_then_submitted_again_leaves_only_the_new_one_unread(risk, people):
    first = submit(risk, people["owner"])
    for approver in approvers(people):
        assert unread(approver) == [str(first.pk)]
    review_send_back(review=first, user=people["approver"], reason="Which sill?")
    for approver in approvers(people):  # the one who sent it back and the one who did not
        assert unread(approver) == []
    assert unread(people["owner"], NoticeKind.SIGN_OFF_DECIDED)  # the author's news stands

    again = submit(risk, people["owner"], note="The north sill")
    for approver in approvers(people):
        assert unread(approver) == [str(again.pk)]
    # Every notice is still listed: read, not deleted.
    assert Notice.objects.filter(kind=AWAITING).count() == 4


def test_signed_off_or_withdrawn_it_asks_nobody_any_more(risk, people):
    review_sign_off(review=submit(risk, people["owner"]), user=people["coordinator"])
    assert unread(people["approver"]) == [] and unread(people["coordinator"]) == []
    review_withdraw(review=submit(risk, people["owner"]), user=people["owner"])
    assert unread(people["approver"]) == [] and unread(people["coordinator"]) == []


def test_replaced_by_its_authors_next_update_only_the_next_is_asked_for(risk, people):
    first = submit(risk, people["owner"])
    second = submit(risk, people["owner"], note="Both sills")
    first.refresh_from_db()
    assert first.state == ReviewState.WITHDRAWN
    assert unread(people["approver"]) == [str(second.pk)]


def test_a_notice_read_already_keeps_when_it_was_read(risk, people):
    review = submit(risk, people["owner"])
    notice_mark_read(user=people["approver"])
    read_at = Notice.objects.get(user=people["approver"], kind=AWAITING).read_at
    review_send_back(review=review, user=people["coordinator"], reason="Which sill?")
    assert Notice.objects.get(user=people["approver"], kind=AWAITING).read_at == read_at


def test_the_header_count_drops_at_once(client, risk, people, settings):
    settings.RISKREG_NOTICE_COUNT_CACHE = True  # as in production: the count is cached
    review = submit(risk, people["owner"])
    client.force_login(people["approver"])

    def count() -> int:
        found = COUNT.search(client.get(reverse("account")).content.decode())
        return int(found.group(1)) if found else 0

    assert count() == 1 and count() == 1  # the second from the cache
    review_send_back(review=review, user=people["coordinator"], reason="Which sill?")
    assert count() == 0
