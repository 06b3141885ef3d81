"""The header's unread count is kept in the cache per person (decision 68): a notice made, read
or no longer theirs shows on the very next page, and one person's count is never another's."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registers.models import Membership, NoticeKind, Role
from registers.selectors import notices as notice_selectors
from registers.services.notices import notice_mark_read, notify
from registers.services.organisations import membership_remove
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _count_cache_on(settings):
    """As in production (the test settings count on every page: see there)."""
    settings.RISKREG_NOTICE_COUNT_CACHE = True


COUNT = re.compile(r'<span class="rr-nav-count">(\d+)<span class="govuk-visually-hidden">')


def tell(risk, people, *, key):
    return notify(
        kind=NoticeKind.COMMENT,
        organisation=risk.organisation,
        recipients=people,
        event_key=key,
        title=f"{risk.ref}: {key}",
        url=f"/o/{risk.organisation.slug}/risks/{risk.ref}/",
        body="Body text",
        risk=risk,
    )


def header_count(client, url=None) -> int:
    """The header's count on a page, and whether the page counted notices in the database."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url or reverse("account"))
    assert response.status_code == 200
    found = COUNT.search(response.content.decode())
    header_count.counted = any(
        "COUNT(*)" in q["sql"] and "registers_notice" in q["sql"] for q in queries.captured_queries
    )
    return int(found.group(1)) if found else 0


@pytest.fixture
def risk(corporate_register):
    return RiskFactory(register=corporate_register, ref="CRR18", title="Cyber attack")


def test_a_repeat_page_does_not_count_again(client, risk, member):
    ann = member(Role.OWNER)
    tell(risk, [ann], key="k1")
    client.force_login(ann)
    assert header_count(client) == 1 and header_count.counted
    assert header_count(client) == 1 and not header_count.counted
    dashboard = reverse("organisation", args=[risk.organisation.slug])
    assert header_count(client, dashboard) == 1 and not header_count.counted


def test_a_new_notice_shows_on_the_next_page(client, risk, member):
    ann = member(Role.OWNER)
    client.force_login(ann)
    assert header_count(client) == 0
    tell(risk, [ann], key="k1")
    assert header_count(client) == 1
    tell(risk, [ann], key="k2")
    tell(risk, [ann], key="k2")  # told once: no second notice
    assert header_count(client) == 2


def test_reading_shows_on_the_next_page(client, risk, member):
    ann = member(Role.OWNER)
    first, *_ = tell(risk, [ann], key="k1") + tell(risk, [ann], key="k2")
    tell(risk, [ann], key="k3")
    client.force_login(ann)
    assert header_count(client) == 3
    assert client.post(reverse("notice_read", args=[first.pk])).status_code == 302
    assert header_count(client) == 2
    assert client.post(reverse("notices_read_all")).status_code == 302
    assert header_count(client) == 0


def test_leaving_an_organisation_drops_its_notices_from_the_count_at_once(
    client, risk, member, other_organisation
):
    ann = member(Role.OWNER)
    elsewhere = MembershipFactory(organisation=other_organisation, user=ann, role=Role.OWNER)
    other_risk = RiskFactory(register=corporate_register_of(other_organisation), ref="R7")
    tell(risk, [ann], key="here")
    tell(other_risk, [ann], key="there")
    client.force_login(ann)
    assert header_count(client) == 2
    # No notice is written: the count follows the memberships the header reads.
    membership_remove(membership=elsewhere)
    assert header_count(client) == 1
    # And back: the notices of an organisation rejoined count again.
    MembershipFactory(organisation=other_organisation, user=ann, role=Role.VIEWER)
    assert header_count(client) == 2


def test_one_persons_count_is_never_anothers(client, risk, member):
    ann, bob = member(Role.OWNER), member(Role.OWNER)
    tell(risk, [ann], key="k1")
    tell(risk, [ann, bob], key="k2")
    ann_client, bob_client = client, type(client)()
    ann_client.force_login(ann)
    bob_client.force_login(bob)
    for _ in range(2):
        assert header_count(ann_client) == 2
        assert header_count(bob_client) == 1
    notice_mark_read(user=bob)
    assert header_count(ann_client) == 2
    assert header_count(bob_client) == 0


def test_without_a_shared_cache_every_page_counts(client, risk, member, settings):
    settings.RISKREG_PAGE_CACHE = False
    ann = member(Role.OWNER)
    tell(risk, [ann], key="k1")
    client.force_login(ann)
    for _ in range(2):
        assert header_count(client) == 1 and header_count.counted


def test_a_write_in_a_transaction_drops_the_count_again_when_it_commits(
    risk, member, django_capture_on_commit_callbacks
):
    """A page that counted between the write and its commit (the old figure, under the shared
    token) cannot leave it for the next page: the token changes on commit."""
    ann = member(Role.OWNER)
    memberships = list(Membership.objects.filter(user=ann))

    def count():
        return notice_selectors.unread_notice_count(user=ann, memberships=memberships)

    assert count() == 0
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        tell(risk, [ann], key="k1")
        generation = notice_selectors._unread_generation(ann.pk)
    assert notice_selectors._unread_generation(ann.pk) != generation
    assert count() == 1


class _RolledBack(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_count_made_in_a_rolled_back_transaction_is_never_shown(risk, member):
    """Notices made, counted, and rolled back: the next page counts none (decision 73)."""
    ann = member(Role.OWNER)
    memberships = list(Membership.objects.filter(user=ann))

    def count():
        return notice_selectors.unread_notice_count(user=ann, memberships=memberships)

    assert count() == 0
    with pytest.raises(_RolledBack), transaction.atomic():
        tell(risk, [ann], key="k1")
        assert count() == 1
        raise _RolledBack
    assert count() == 0


def test_a_notice_to_many_people_renews_their_counts_in_one_cache_write(
    risk, member, django_capture_on_commit_callbacks, monkeypatch
):
    from registers import caching

    people = [member(Role.OWNER) for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tell(risk, people, key="k1")
    renewals = [callback for callback in callbacks if isinstance(callback, caching._AfterCommit)]
    writes = []
    monkeypatch.setattr(caching, "renew_tokens", lambda keys: writes.append(set(keys)))
    for renewal in renewals:
        renewal()
    assert [len(keys) for keys in writes if any("notices" in key for key in keys)] == [5]
