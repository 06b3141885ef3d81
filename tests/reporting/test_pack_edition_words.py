"""Who is told of a pack is who may read its edition (decision 142): a full edition reaches only
the panel members cleared for OFFICIAL-SENSITIVE, so the Correct page and the Reports page say
so, as the release page does, and never that the panel is sent or shown a full edition."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from registers.models import Role
from tests.factories import RiskFactory
from tests.reporting.test_pack_release import member, released

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(organisation, corporate_register):
    RiskFactory(register=corporate_register, ref="R1", title="Cyber attack")
    return organisation


def text_of(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.mark.parametrize(
    ("edition", "cleared", "said", "help_said"),
    [
        (
            "full",
            False,
            "No panel member sees it or this version: none is cleared for OFFICIAL-SENSITIVE, "
            "so nobody is e-mailed.",
            "Printed on the new version's first page.",
        ),
        (
            "full",
            True,
            "the panel members cleared for OFFICIAL-SENSITIVE see it and this version listed as "
            "replaced by it: 1 panel member may read this edition",
            "in the release e-mail to the panel member who may read it",
        ),
        (
            "public",
            False,
            "the panel sees it and this version listed as replaced by it: 1 panel member may "
            "read this edition",
            "in the release e-mail to the panel member who may read it",
        ),
    ],
)
def test_the_correct_page_says_who_sees_the_correction(
    client, org, edition, cleared, said, help_said
):
    pack = released(org, edition=edition, as_of="2026-12-07")
    member(org, Role.PANEL, sensitive_access=cleared)
    client.force_login(member(org, Role.COORDINATOR))
    page = text_of(client.get(reverse("pack_correct", args=[org.slug, pack.pk])).content.decode())
    assert said in page and help_said in page
    assert "sent to the panel" not in page
    assert ("other panel members see neither" in page) is (edition == "full" and cleared)
    if edition == "full":
        assert "the panel sees" not in page


def test_the_reports_page_says_a_full_edition_reaches_only_cleared_members(client, org):
    member(org, Role.PANEL)
    client.force_login(member(org, Role.COORDINATOR))
    page = text_of(client.get(reverse("packs", args=[org.slug])).content.decode())
    assert "the panel is e-mailed a link" not in page
    assert (
        "the panel members who may read its edition are told, with a link: every panel member "
        "for the public edition, only those cleared for OFFICIAL-SENSITIVE for the full edition"
    ) in page
