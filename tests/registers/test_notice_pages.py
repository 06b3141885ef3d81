"""The Notifications page, its buttons, the preferences page and the header's unread count."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registers.models import Delivery, Marking, Notice, NoticeKind, NoticePreference, Role
from registers.services.notices import PREFERENCES_PATH, notice_mark_read, notify
from registers.views.notices import NOTICES_PER_PAGE
from registers.withholding import WITHHELD
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


def tell(risk, people, *, key, title=None, body="Body text", kind=NoticeKind.COMMENT):
    return notify(
        kind=kind,
        organisation=risk.organisation,
        recipients=people,
        event_key=key,
        title=title or f"{risk.ref}: {key}",
        url=f"/o/{risk.organisation.slug}/risks/{risk.ref}/",
        body=body,
        risk=risk,
    )


@pytest.fixture
def risk(corporate_register):
    return RiskFactory(register=corporate_register, ref="CRR18", title="Cyber attack")


def test_the_preferences_path_is_the_page(client):
    assert reverse("notice_preferences") == PREFERENCES_PATH


def test_one_list_across_organisations_newest_first_each_naming_its_organisation(
    client, risk, member, other_organisation
):
    ann = member(Role.OWNER)
    MembershipFactory(organisation=other_organisation, user=ann, role=Role.VIEWER)
    elsewhere = RiskFactory(register=corporate_register_of(other_organisation), ref="R7")
    tell(risk, [ann], key="first")
    tell(elsewhere, [ann], key="second")
    client.force_login(ann)
    text = client.get(reverse("notifications")).content.decode()
    assert text.index("R7: second") < text.index("CRR18: first")
    assert risk.organisation.display_name in text
    assert other_organisation.display_name in text
    assert "Unread" in text


def test_the_header_counts_unread_notices_with_words_for_screen_readers(client, risk, member):
    ann = member(Role.OWNER)
    for n in range(3):
        tell(risk, [ann], key=f"k{n}")
    client.force_login(ann)
    text = client.get(reverse("account")).content.decode()
    assert '<span class="rr-nav-count">3<span class="govuk-visually-hidden"> unread</span>' in text
    # Through the one service that reads notices: it drops the cached count (decision 68).
    notice_mark_read(user=ann)
    text = client.get(reverse("account")).content.decode()
    assert "rr-nav-count" not in text and "Notifications" in text


def test_following_a_notice_marks_it_read_and_opens_what_it_is_about(client, risk, member):
    ann = member(Role.OWNER)
    (notice,) = tell(risk, [ann], key="k")
    client.force_login(ann)
    response = client.post(reverse("notice_read", args=[notice.pk]), {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"/o/{risk.organisation.slug}/risks/CRR18/"
    notice.refresh_from_db()
    assert notice.read_at is not None


@pytest.mark.parametrize("url", ["//evil.test/", "/\\evil.test/", "https://evil.test/"])
def test_a_notice_never_opens_another_site(client, risk, member, url):
    ann = member(Role.OWNER)
    (notice,) = tell(risk, [ann], key="k")
    Notice.objects.filter(pk=notice.pk).update(url=url)
    client.force_login(ann)
    response = client.post(reverse("notice_read", args=[notice.pk]), {"open": "1"})
    assert response["Location"] == reverse("notifications")
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_mark_read_returns_to_the_list_page_it_was_on_and_never_elsewhere(client, risk, member):
    ann = member(Role.OWNER)
    (one,) = tell(risk, [ann], key="one")
    (two,) = tell(risk, [ann], key="two")
    client.force_login(ann)
    back = reverse("notifications") + "?show=unread"
    response = client.post(reverse("notice_read", args=[one.pk]), {"next": back})
    assert response["Location"] == back
    response = client.post(reverse("notice_read", args=[two.pk]), {"next": "https://evil.test/"})
    assert response["Location"] == reverse("notifications")
    assert Notice.objects.filter(read_at__isnull=True).count() == 0


def test_the_unread_filter_and_mark_all_read(client, risk, member):
    ann = member(Role.OWNER)
    (read,) = tell(risk, [ann], key="read-one")
    tell(risk, [ann], key="unread-one")
    Notice.objects.filter(pk=read.pk).update(read_at="2026-01-01T00:00Z")
    client.force_login(ann)
    text = client.get(reverse("notifications"), {"show": "unread"}).content.decode()
    assert "unread-one" in text and "read-one" not in text.replace("unread-one", "")
    response = client.post(reverse("notices_read_all"), follow=True)
    assert "Every notification is marked as read." in response.content.decode()
    assert not Notice.objects.filter(read_at__isnull=True).exists()
    text = client.get(reverse("notifications"), {"show": "unread"}).content.decode()
    assert "You have no unread notifications." in text


def test_another_persons_notice_is_not_found_and_stays_unread(client, risk, member, caplog):
    ann, bob = member(Role.OWNER), member(Role.OWNER)
    (notice,) = tell(risk, [ann], key="k")
    client.force_login(bob)
    assert client.post(reverse("notice_read", args=[notice.pk]), {"open": "1"}).status_code == 404
    client.post(reverse("notices_read_all"))
    notice.refresh_from_db()
    assert notice.read_at is None
    assert "refused" in caplog.text


def test_a_notice_of_an_organisation_left_is_no_longer_shown(client, risk, member):
    ann = member(Role.OWNER)
    (notice,) = tell(risk, [ann], key="k")
    ann.memberships.all().delete()
    client.force_login(ann)
    assert "CRR18" not in client.get(reverse("notifications")).content.decode()
    assert client.post(reverse("notice_read", args=[notice.pk])).status_code == 404


def test_a_risk_marked_since_withholds_the_notice_text_from_the_uncleared(client, risk, member):
    viewer, coordinator = member(Role.VIEWER), member(Role.COORDINATOR)
    tell(risk, [viewer, coordinator], key="k", body="Qsecretpelican")
    risk.marking = Marking.OFFICIAL_SENSITIVE
    risk.save()
    client.force_login(viewer)
    text = client.get(reverse("notifications")).content.decode()
    assert "Qsecretpelican" not in text and WITHHELD in text
    client.force_login(coordinator)
    assert "Qsecretpelican" in client.get(reverse("notifications")).content.decode()


def test_the_list_is_paginated(client, risk, member):
    ann = member(Role.OWNER)
    for n in range(NOTICES_PER_PAGE + 2):
        tell(risk, [ann], key=f"k{n:03}")
    client.force_login(ann)
    text = client.get(reverse("notifications"), {"page": 2}).content.decode()
    assert "Page 2 of 2" in text
    assert text.count('class="rr-notice ') == 2


def test_the_notifications_page_runs_the_same_queries_for_more_notices(
    client, risk, member, other_organisation
):
    ann = member(Role.OWNER)
    MembershipFactory(organisation=other_organisation, user=ann, role=Role.VIEWER)
    elsewhere = RiskFactory(register=corporate_register_of(other_organisation))
    tell(risk, [ann], key="first")
    client.force_login(ann)
    url = reverse("notifications")
    client.get(url)

    def grow():
        for n in range(10):
            tell(risk if n % 2 else elsewhere, [ann], key=f"more{n}")

    before, after = assert_same_queries(lambda: client.get(url), grow, at_most=10)
    assert after.content.decode().count('class="rr-notice ') == 11


def test_preferences_are_saved_per_kind(client, member):
    ann = member(Role.OWNER)
    client.force_login(ann)
    text = client.get(PREFERENCES_PATH).content.decode()
    for _, label in NoticeKind.choices:
        assert label in text
    data = dict.fromkeys(NoticeKind.values, Delivery.IMMEDIATE)
    data[NoticeKind.COMMENT] = Delivery.DIGEST
    data[NoticeKind.BREACH] = Delivery.NEVER
    response = client.post(PREFERENCES_PATH, data)
    assert response.status_code == 302
    chosen = dict(NoticePreference.objects.filter(user=ann).values_list("kind", "delivery"))
    assert chosen[NoticeKind.COMMENT] == Delivery.DIGEST
    assert chosen[NoticeKind.BREACH] == Delivery.NEVER
    text = client.get(PREFERENCES_PATH).content.decode()
    assert 'value="never" checked' in text


@pytest.mark.parametrize("data", [{}, {"comment": "sometimes"}])
def test_bad_preferences_are_refused_with_a_message(client, member, data):
    ann = member(Role.OWNER)
    client.force_login(ann)
    response = client.post(PREFERENCES_PATH, data)
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert "Choose how to be told when" in response.content.decode()
    assert not NoticePreference.objects.exists()


def test_the_account_page_links_to_notifications_and_preferences(client, member):
    client.force_login(member(Role.VIEWER))
    text = client.get(reverse("account")).content.decode()
    assert f'href="{reverse("notifications")}"' in text
    assert f'href="{PREFERENCES_PATH}"' in text
