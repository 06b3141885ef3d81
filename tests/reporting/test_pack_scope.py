"""A pack is about the registers it covers, in every section (decision 124): a committee pack
for the corporate register named a school's new risks under "Significant changes", counted them
among "added", and its exposure charts counted every register of the organisation. Each
section now reads the one selection of ``PackData.register_ids``; the public edition's
identifier is told apart from the full edition's. Read from the pack's HTML (render_html) and
its Word edition's text, as the other pack tests do."""

import datetime as dt
import html
import io
import re
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from docx import Document

from appetite.services import appetite_statement_set
from registers.models import Register
from registers.services.risks import action_add, risk_close, risk_update
from reporting.models import Pack, PackStatus
from reporting.movement import (
    MOVED,
    EscalationStep,
    Movement,
    RiskEvent,
    RiskInfo,
    movement_on_registers,
)
from reporting.packs.data import pack_data
from reporting.packs.docx import render_docx
from reporting.packs.proof import PUBLIC_SUFFIX, pack_identifier
from reporting.packs.render import render_html
from tests.factories import RegisterFactory, RiskFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
AS_OF = dt.date(2026, 12, 31)


def on(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=LONDON)


EARLY = on(dt.date(2026, 2, 1))  # before the comparison date of either pack kind
DURING = on(dt.date(2026, 11, 2))  # after it
SCHOOL_REFS = ("SCH-7", "SCH-8", "SCH-9")
SCHOOL_WORDS = "Business school only"


@contextmanager
def at(when):
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def text_of(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return " ".join(" ".join(parts).split())


def rescore(risk, when, current):
    risk.refresh_from_db()
    with at(when):
        return risk_update(risk=risk, expected_version=risk.version, positions={"current": current})


@pytest.fixture
def school(organisation, corporate_register):
    return RegisterFactory(
        organisation=organisation, parent=corporate_register, name="Business School register"
    )


@pytest.fixture
def world(organisation, corporate_register, school):
    """On the corporate register one risk re-scored in the period; on the school's register
    (below it) a risk re-scored into breach with an overdue action, one added and one closed
    in the period: all the school's business, none the corporate register's."""
    with at(on(dt.date(2025, 12, 1))):
        appetite_statement_set(organisation=organisation, tolerance=12)
    with at(EARLY):
        corporate = RiskFactory(
            register=corporate_register, ref="CRR1", positions={"current": (2, 3)}
        )
        breach = RiskFactory(
            register=school,
            ref="SCH-7",
            title=f"{SCHOOL_WORDS}: recruitment",
            positions={"current": (2, 2)},
        )
        closing = RiskFactory(register=school, ref="SCH-9", title=f"{SCHOOL_WORDS}: partner")
        action_add(risk=breach, description="School action", due_date=dt.date(2026, 6, 30))
    rescore(corporate, DURING, (3, 3))
    rescore(breach, DURING, (5, 5))
    with at(DURING):
        RiskFactory(register=school, ref="SCH-8", title=f"{SCHOOL_WORDS}: new")
        closing.refresh_from_db()
        risk_close(risk=closing, expected_version=closing.version, reason="Done")
    return corporate


def assert_only_the_corporate_register(text: str) -> None:
    for ref in SCHOOL_REFS:
        assert ref not in text, ref
    assert SCHOOL_WORDS not in text
    assert "Business School register" not in text
    assert "all the organisation's registers" not in text
    assert "(all registers)" not in text


@pytest.mark.parametrize("kind", ["committee", "quarterly"])
def test_a_pack_names_and_counts_nothing_of_a_register_it_does_not_cover(
    world, organisation, corporate_register, kind
):
    data = pack_data(
        organisation=organisation, kind=kind, as_of=AS_OF, registers=[corporate_register]
    )
    assert [risk.ref for risk in data.risks] == ["CRR1"]
    movement = data.movement
    assert (movement.added, movement.closed, movement.reopened) == ([], [], [])
    assert [change.risk.ref for change in movement.rating_changes] == ["CRR1"]
    assert data.overdue_actions == [] and data.breaches == []
    text = text_of(render_html(data))
    assert_only_the_corporate_register(text)
    assert re.search(r"\b0 added\b", text)  # the school's new risk is not the pack's
    assert_only_the_corporate_register(docx_text(render_docx(data)))
    if kind == "committee":
        # The exposure counts the risks on the corporate register only, and says so.
        bands, breaches = data.exposure_charts
        assert bands.table.rows[-1][-1] == "1"  # open risks at the end of December 2026
        assert breaches.table.rows[-1][1] == "0"  # the school's breach is not counted
        assert f"Open risks on the {corporate_register.name} at each quarter end" in text
        assert [row.register for row in data.health] == [corporate_register]


def test_a_pack_of_a_register_below_the_top_is_about_it_alone(
    world, organisation, corporate_register, school
):
    data = pack_data(organisation=organisation, kind="committee", as_of=AS_OF, registers=[school])
    assert [risk.ref for risk in data.risks] == ["SCH-7", "SCH-8"]
    assert [event.risk.ref for event in data.movement.added] == ["SCH-8"]
    assert [event.risk.ref for event in data.movement.closed] == ["SCH-9"]
    assert "CRR1" not in text_of(render_html(data))
    # Its own review health, though its parent register is not in the pack.
    assert [(row.register, row.depth) for row in data.health] == [(school, 0)]
    assert data.exposure_charts[0].table.rows[-1][-1] == "2"


def test_an_escalation_into_or_out_of_the_packs_registers_is_its_business():
    top, school, other = (Register(id=n, name=f"R{n}") for n in (1, 2, 3))
    risk = {
        n: RiskInfo(id=n, ref=f"R{n}", title="", register=r, marking="")
        for n, r in ((1, top), (2, school), (3, other))
    }

    def step(n, frm, to):
        return EscalationStep(
            risk=risk[n],
            direction="up",
            step=MOVED,
            from_register=frm,
            to_register=to,
            when=None,
            by=None,
        )

    movement = Movement(since=EARLY, until=DURING)
    movement.added = [RiskEvent(risk=risk[n], when=None, by=None) for n in (1, 2, 3)]
    movement.escalation_steps = [step(1, school, top), step(2, top, school), step(3, other, school)]
    kept = movement_on_registers(movement, register_ids={top.id})
    assert [event.risk.ref for event in kept.added] == ["R1"]
    assert [s.risk.ref for s in kept.escalation_steps] == ["R1", "R2"]  # into it, out of it


def test_the_public_editions_identifier_is_not_the_full_editions(organisation):
    full, public = (
        Pack.objects.create(
            organisation=organisation,
            kind="committee",
            edition=edition,
            as_of=dt.date(2026, 12, 7),
            status=PackStatus.READY,
        )
        for edition in ("full", "public")
    )
    slug = organisation.slug.upper()
    assert pack_identifier(full) == f"{slug}-COMMITTEE-2026-12-07"
    assert pack_identifier(public) == f"{slug}-COMMITTEE-2026-12-07{PUBLIC_SUFFIX}"
