"""A risk added in the period is added, never moved or re-scored (decision 142): it did not
exist at the comparison date, so re-scoring it after it was added is no change since then.
``movement_between`` lists rating changes only of risks there at the start, so the committee
pack's summary and movement section, its "Moved since" words and the movement page agree."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from registers.models import Role
from registers.services.organisations import organisation_create
from registers.services.risks import risk_update
from reporting.movement import movement_between
from reporting.packs.data import pack_data
from reporting.packs.docx import render_docx
from reporting.packs.render import render_html
from reporting.packs.summary import summary_draft
from scoring.presets import preset
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of
from tests.reporting.test_pack_scope import at, docx_text, text_of

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
SINCE = dt.datetime.combine(dt.date(2026, 5, 31), dt.time.max, tzinfo=LONDON)
UNTIL = dt.datetime.combine(dt.date(2026, 10, 31), dt.time.max, tzinfo=LONDON)
AS_OF = dt.date(2026, 10, 31)  # a committee pack: since the committee of 31 May 2026


def on(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=LONDON)


def rescore(risk, when, current):
    risk.refresh_from_db()
    with at(when):
        return risk_update(risk=risk, expected_version=risk.version, positions={"current": current})


@pytest.fixture
def aberdeen(db):
    organisation = organisation_create(
        slug="aberdeen-added",
        name="University of Aberdeen",
        scheme=preset("aberdeen-6x6"),
        appetite_preset="aberdeen",
        committee_months=[5, 11],
        panel_name="Audit Committee",
    )
    top = corporate_register_of(organisation)
    with at(on(dt.date(2026, 4, 1))):
        old = RiskFactory(register=top, ref="SRR01", title="Estates", positions={"current": (2, 2)})
    rescore(old, on(dt.date(2026, 7, 1)), (2, 3))  # 4 to 6: a risk there at the start
    with at(on(dt.date(2026, 7, 1))):
        new = RiskFactory(
            register=top, ref="SRR09", title="Cyber attack", positions={"current": (4, 5)}
        )  # added at 20 (Open)
    rescore(new, on(dt.date(2026, 8, 1)), (3, 4))  # 12 (Averse), in the same period
    return organisation


def test_movement_lists_it_as_added_at_its_rating_at_the_end_never_re_scored(aberdeen):
    result = movement_between(organisation=aberdeen, since=SINCE, until=UNTIL)
    assert [(e.risk.ref, e.rating.label) for e in result.added] == [("SRR09", "12 (Averse)")]
    assert [change.risk.ref for change in result.rating_changes] == ["SRR01"]
    assert result.risks_rescored == 1
    assert "SRR09" not in {move.risk.ref for move in result.level_moves}


def test_the_committee_pack_says_added_not_moved(aberdeen):
    data = pack_data(organisation=aberdeen, kind="committee", as_of=AS_OF)
    assert data.since_label == "31 May 2026"
    draft = summary_draft(data)
    assert "Cyber attack down from" not in draft and "20 (Open)" not in draft
    assert "New since 31 May 2026: SRR09 Cyber attack." in draft
    assert [change.risk.ref for change in data.significant] == ["SRR01"]
    text = text_of(render_html(data))
    assert "20 (Open)" not in text
    assert re.search(r"\b1 added\b", text) and re.search(r"\b1 re-scored\b", text)
    assert "20 (Open)" not in docx_text(render_docx(data))


def test_the_movement_page_agrees(client, aberdeen):
    client.force_login(MembershipFactory(organisation=aberdeen, role=Role.PANEL).user)
    response = client.get(
        reverse("movement", args=[aberdeen.slug]), {"since": "2026-05-31", "until": "2026-10-31"}
    )
    assert response.status_code == 200
    movement = response.context["movement"]
    assert [event.risk.ref for event in movement.added] == ["SRR09"]
    assert [change.risk.ref for change in movement.rating_changes] == ["SRR01"]
    text = text_of(response.content.decode())
    assert "1 change to 1 risk" in text
    assert "20 (Open)" not in text
