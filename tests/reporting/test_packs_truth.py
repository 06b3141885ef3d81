"""What the packs say is true (issue 12): progress to target, every top-level register, trends
that do not mislead, no clutter where a thing does not apply. Text is read with pdftotext."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from unittest import mock

import pytest
from django.utils import timezone

from appetite.services import appetite_statement_set
from registers.models import Register, Risk
from registers.selectors import Trend, top_registers, trend_between
from registers.services.risks import risk_update
from reporting.models import Pack
from reporting.packs.data import pack_data
from reporting.packs.render import render_html
from reporting.packs.services import pack_registers_default, pack_render, pack_request
from tests.factories import OrganisationFactory, RegisterFactory, RiskFactory

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(  # noqa: S603
        ["pdftotext", "-layout", "-", "-"],  # noqa: S607
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()


def section(text: str, start: str, end: str) -> str:
    begin = text.rindex(start)
    return text[begin : text.index(end, begin)]


def seeded(slug: str):
    from demo.seeding import seed_demo
    from registers.models import Organisation

    seed_demo(slugs=(slug,))
    return Organisation.objects.get(slug=slug)


# --- progress to target ------------------------------------------------------------------------


def test_met_pack_shows_recorded_judgement_with_its_date_and_compares_positions():
    met = seeded("met")
    today = timezone.localdate()
    data = pack_data(organisation=met, kind="quarterly", as_of=today)
    risks = {risk.ref: risk for risk in data.risks}
    # The paper's judgements (paras 1.4 to 1.9), set on the paper's date.
    assert risks["4"].judgement == "Limited"
    assert risks["9"].judgement == "On track"
    assert risks["4"].judgement_since == dt.date(2021, 10, 4)
    assert risks["2"].judgement == ""
    # H v M now, target M v M: the same band is not the same position.
    for ref in ("2", "4", "8", "9"):
        assert "At or below target" not in risks[ref].progress_to_target, ref
        assert not risks[ref].at_target, ref
    assert "H v M now, target M v M" in risks["2"].progress_to_target
    summary = section(
        pdf_text(pack_render(organisation=met, kind="quarterly", as_of=today).pdf),
        "1. Summary of",
        "2. Heat maps",
    )
    assert "At or below target" not in summary
    assert "Limited" in summary and "On track" in summary
    assert "4 Oct 2021" in summary


def test_at_target_only_when_likelihood_and_impact_are_both_at_or_below(organisation):
    register = Register.objects.get(organisation=organisation, slug="corporate")
    # Same score (4), different position: impact 4 is above the target's 2.
    RiskFactory(register=register, ref="A", positions={"current": (1, 4), "target": (2, 2)})
    RiskFactory(register=register, ref="B", positions={"current": (2, 2), "target": (2, 3)})
    RiskFactory(register=register, ref="C", positions={"current": (2, 2), "target": (2, 2)})
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    risks = {risk.ref: risk for risk in data.risks}
    assert not risks["A"].at_target
    assert "At or below target" not in risks["A"].progress_to_target
    assert risks["B"].at_target and risks["C"].at_target
    assert risks["B"].progress_to_target == "At or below target"


# --- every register the committee owns ---------------------------------------------------------


def baf_organisation():
    """An organisation whose real top register is its board assurance framework (slug ``baf``),
    beside the empty ``corporate`` register create_org made."""
    organisation = OrganisationFactory()
    baf = RegisterFactory(
        organisation=organisation,
        slug="baf",
        name="Board assurance framework",
        parent=None,
        level="corporate",
    )
    RegisterFactory(organisation=organisation, slug="estates", name="Estates", parent=baf)
    appetite_statement_set(organisation=organisation, tolerance=8)
    for number in range(1, 6):
        current = (4, 4) if number <= 2 else (1, 2)  # 16 above tolerance 8; 2 within
        RiskFactory(register=baf, ref=f"BAF{number}", positions={"current": current})
    return organisation, baf


def test_top_registers_are_every_register_without_a_parent():
    organisation, baf = baf_organisation()
    registers = list(Register.objects.filter(organisation=organisation))
    assert {r.slug for r in top_registers(registers)} == {"corporate", "baf"}


def test_pack_covers_every_top_level_register():
    organisation, _ = baf_organisation()
    today = timezone.localdate()
    data = pack_data(organisation=organisation, kind="quarterly", as_of=today)
    assert len(data.risks) == 5
    assert len(data.breaches) == 2
    text = pdf_text(pack_render(organisation=organisation, kind="quarterly", as_of=today).pdf)
    cover = text.split("\f")[0]
    assert "5 (2 in breach of appetite" in cover
    assert "Board assurance framework" in cover


def test_registers_chosen_for_a_pack_are_remembered_for_the_organisation():
    organisation, baf = baf_organisation()
    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    assert set(pack_registers_default(organisation=organisation)) == {corporate, baf}
    day = timezone.localdate() - dt.timedelta(days=1)
    pack = pack_request(organisation=organisation, kind="quarterly", as_of=day, registers=[baf])
    assert list(pack.registers.all()) == [baf]
    assert pack_registers_default(organisation=organisation) == [baf]
    later = pack_request(organisation=organisation, kind="committee", as_of=day)
    assert list(later.registers.all()) == [baf]  # scheduled packs follow the last choice
    data = pack_data(
        organisation=organisation, kind="quarterly", as_of=timezone.localdate(), registers=[baf]
    )
    assert len(data.risks) == 5 and data.registers == [baf]


def test_a_register_of_another_organisation_is_refused(organisation):
    from django.core.exceptions import ValidationError

    other = OrganisationFactory()
    theirs = Register.objects.get(organisation=other, slug="corporate")
    with pytest.raises(ValidationError):
        pack_request(
            organisation=organisation,
            kind="quarterly",
            as_of=timezone.localdate(),
            registers=[theirs],
        )
    assert not Pack.objects.filter(organisation=organisation).exists()


# --- trends ------------------------------------------------------------------------------------


def test_not_rated_then_and_now_has_no_arrow():
    before = {
        "status": "open",
        "current_score": None,
        "current_likelihood": None,
        "current_impact": None,
        "register_id": 1,
    }
    after = dict(before)
    trend = trend_between(before, after)
    assert trend == Trend.NOT_RATED
    assert trend.arrow == ""
    rated_then = dict(before, current_score=4, current_likelihood=2, current_impact=2)
    assert trend_between(rated_then, after).arrow == ""
    assert trend_between(None, after) == Trend.NEW  # added since: New, rated or not


def test_mopac_pack_prints_no_arrow_for_risks_not_rated():
    mopac = seeded("mopac")
    today = timezone.localdate()
    data = pack_data(organisation=mopac, kind="quarterly", as_of=today)
    unrated = [risk for risk in data.risks if risk.current is None]
    assert len(unrated) >= 10
    assert all(risk.trend.arrow == "" for risk in unrated)
    text = pdf_text(pack_render(organisation=mopac, kind="quarterly", as_of=today).pdf)
    summary = section(text, "1. Summary of", "2. Heat maps")
    for line in summary.splitlines():
        if re.search(r"Not rated\s+Not rated", line):
            assert "→" not in line and "Level" not in line, line


def test_a_risk_added_on_the_day_of_the_report_reads_new(organisation):
    register = Register.objects.get(organisation=organisation, slug="corporate")
    # Records began long before (a register whose first records are today has no earlier
    # position: its risks are first recorded, not new, decision 143).
    earlier = dt.datetime(2025, 1, 15, 10, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=earlier):
        RiskFactory(register=register, ref="OLD", positions={"current": (2, 2)})
    RiskFactory(register=register, ref="TODAY", positions={"current": (2, 2)})
    RiskFactory(register=register, ref="BLANK", positions={})
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    trends = {risk.ref: risk.trend for risk in data.risks}
    assert trends == {"OLD": Trend.LEVEL, "TODAY": Trend.NEW, "BLANK": Trend.NEW}
    html = render_html(data)
    for ref in ("TODAY", "BLANK"):  # one line each: the New tag by the ref
        assert f'{ref} <span class="tag-new">New</span></th>' in html


# --- no clutter --------------------------------------------------------------------------------


def test_no_appetite_cards_or_column_without_thresholds(organisation):
    register = Register.objects.get(organisation=organisation, slug="corporate")
    RiskFactory(register=register, ref="R1", positions={"current": (2, 2)})
    today = timezone.localdate()
    data = pack_data(organisation=organisation, kind="quarterly", as_of=today)
    assert not data.uses_appetite
    text = pdf_text(pack_render(organisation=organisation, kind="quarterly", as_of=today).pdf)
    assert "No threshold" not in text
    assert "in breach of appetite" not in text
    assert "at warning" not in text
    committee = pdf_text(pack_render(organisation=organisation, kind="committee", as_of=today).pdf)
    assert "No threshold" not in committee
    assert "above tolerance" not in section(committee, "1. Strategic risks", "Heat maps")


def test_empty_heat_map_cells_print_no_zero_and_say_no_risks(organisation):
    register = Register.objects.get(organisation=organisation, slug="corporate")
    RiskFactory(register=register, ref="R1", positions={"current": (2, 2)})
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    html = render_html(data)
    assert 'font-weight-regular">0</span>' not in html
    assert "No risks" in html  # for screen readers, on the page
    text = pdf_text(
        pack_render(organisation=organisation, kind="quarterly", as_of=timezone.localdate()).pdf
    )
    maps = section(text, "2. Heat maps", "3. Alignment")
    assert not re.search(r"(?<![\d-])0(?![\d%])", maps.split("open risk", 1)[1])


def words_overlap(pdf: bytes) -> list[tuple[str, str]]:
    """Pairs of words on one page drawn over each other (pdftotext -bbox)."""
    html = subprocess.run(  # noqa: S603
        ["pdftotext", "-bbox", "-", "-"],  # noqa: S607
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    clashes = []
    for page in html.split("<page")[1:]:
        boxes = [
            (float(a), float(b), float(c), float(d), word)
            for a, b, c, d, word in re.findall(
                r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', page
            )
        ]
        for i, (x0, y0, x1, y1, word) in enumerate(boxes):
            for u0, v0, u1, v1, other in boxes[i + 1 :]:
                overlap_x = min(x1, u1) - max(x0, u0)
                overlap_y = min(y1, v1) - max(y0, v0)
                if overlap_x > 1 and overlap_y > 2:
                    clashes.append((word, other))
    return clashes


def test_met_quarterly_pack_has_no_overlapping_words():
    met = seeded("met")
    pdf = pack_render(organisation=met, kind="quarterly", as_of=timezone.localdate()).pdf
    assert words_overlap(pdf) == []


# --- one trend rule for the register page as for packs -----------------------------------------


def test_register_page_shows_no_level_arrow_for_a_risk_never_rated(client, organisation):
    from tests.factories import PASSWORD, MembershipFactory

    member = MembershipFactory(organisation=organisation)
    register = Register.objects.get(organisation=organisation, slug="corporate")
    RiskFactory(register=register, ref="BLANK", positions={})
    Risk.history.update(history_date=timezone.now() - dt.timedelta(days=400))
    client.login(email=member.user.email, password=PASSWORD)
    html = client.get(f"/o/{organisation.slug}/registers/corporate/").content.decode()
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*BLANK(?:(?!</tr>).)*</tr>", html, re.S).group(0)
    assert "Not rated" in row
    assert "→" not in row and "level" not in row


def test_updating_progress_dates_the_judgement(organisation):
    register = Register.objects.get(organisation=organisation, slug="corporate")
    risk = RiskFactory(register=register, ref="P1", positions={"current": (3, 3)})
    Risk.history.update(history_date=timezone.now() - dt.timedelta(days=30))
    risk_update(risk=risk, expected_version=1, fields={"progress": "slipped"})
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    assert data.risks[0].judgement == "Slipped"
    assert data.risks[0].judgement_since == timezone.localdate()


def test_reports_form_offers_the_organisations_registers_ticked_as_last_chosen(client):
    from django.urls import reverse

    from reporting.packs.services import PACK_REGISTERS_NONE
    from tests.factories import MembershipFactory

    organisation, baf = baf_organisation()
    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    other = Register.objects.get(organisation=OrganisationFactory(), slug="corporate")
    client.force_login(MembershipFactory(organisation=organisation).user)
    url = reverse("packs", args=[organisation.slug])
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    form = {"kind": "quarterly", "edition": "full", "as_of": day, "registers_shown": "1"}
    response = client.post(url, form)  # nothing ticked
    assert response.status_code == 400 and PACK_REGISTERS_NONE in response.content.decode()
    response = client.post(url, {**form, "registers": [other.pk]})
    assert response.status_code == 400 and not Pack.objects.filter(organisation=organisation)
    response = client.post(url, {**form, "registers": [baf.pk]})
    assert response.status_code == 302
    assert list(Pack.objects.get(organisation=organisation).registers.all()) == [baf]
    html = client.get(url).content.decode()
    assert re.search(rf'value="{baf.pk}" checked', html)
    assert f'value="{corporate.pk}">' in html  # offered, not ticked
