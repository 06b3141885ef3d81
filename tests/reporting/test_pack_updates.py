"""The period's words in packs (issue 16): each risk's latest owner's update within the period
with its date and author, "No update this period", the owners who gave none, the public
edition's withholding, and the emerging risks' own section (read from render_html)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from registers.calendar import end_of_day, organisation_zone, previous_quarter_end
from registers.models import Marking, Review, Risk
from registers.services.reviews import review_record
from reporting.packs.data import pack_data
from reporting.packs.layout import NO_UPDATE
from reporting.packs.render import render_html
from reporting.packs.updates import period_updates
from tests.factories import RiskFactory

pytestmark = pytest.mark.django_db


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def review(risk: Risk, user, note: str, day: dt.date) -> Review:
    # On the register since before the period (a review is never dated before it was added).
    Risk.objects.filter(pk=risk.pk).update(created_at=timezone.now() - dt.timedelta(days=400))
    risk.refresh_from_db()
    return review_record(
        risk=risk, user=user, expected_version=risk.version, note=note, reviewed_on=day
    )


@pytest.fixture
def period(organisation):
    """(first day of the period, the as-at day): the pack as at today looks back to the
    previous quarter end of the organisation's calendar."""
    today = timezone.localdate()
    zone = organisation_zone(organisation)
    since = previous_quarter_end(organisation=organisation, moment=end_of_day(today, zone))
    return since.astimezone(zone).date(), today


@pytest.fixture
def people(member):
    return {
        "ann": member(user__full_name="Ann Owner"),
        "bob": member(user__full_name="Bob Owner"),
    }


def test_latest_update_in_period_with_date_and_author(
    organisation, corporate_register, people, period
):
    quarter_end, today = period
    ann = people["ann"]
    risk = RiskFactory(register=corporate_register, ref="U1", owner=ann)
    review(risk, ann, "Old news from the last quarter.", quarter_end)
    review(risk, ann, "Earlier this period: contract signed.", quarter_end + dt.timedelta(days=1))
    review(risk, ann, "Latest: supplier on site, testing under way.", today)
    data = pack_data(organisation=organisation, kind="quarterly", as_of=today)
    update = data.risks[0].period_update
    assert update.text == "Latest: supplier on site, testing under way."
    assert update.reviewed_on == today and update.author == "Ann Owner"
    text = text_of(render_html(data))
    assert "Latest: supplier on site, testing under way." in text
    assert "Earlier this period" not in text
    assert "Old news" not in text
    assert f"Ann Owner {today:%-d %b %Y}" in text
    assert "Every risk's owner gave an update this period." in text


def test_review_recorded_after_the_as_at_moment_is_not_shown(
    organisation, corporate_register, people, period
):
    quarter_end, today = period
    ann = people["ann"]
    risk = RiskFactory(register=corporate_register, ref="U2", owner=ann)
    kept = review(risk, ann, "Recorded in time.", quarter_end + dt.timedelta(days=1))
    late = review(risk, ann, "Written after the pack's day, dated back.", today)
    zone = organisation_zone(organisation)
    Review.objects.filter(pk=late.pk).update(
        created_at=end_of_day(today, zone) + dt.timedelta(minutes=1)
    )
    data = pack_data(organisation=organisation, kind="quarterly", as_of=today)
    assert data.risks[0].period_update.text == kept.note
    text = text_of(render_html(data))
    assert "Recorded in time." in text
    assert "dated back" not in text


def test_no_update_this_period_and_the_owners_without_one(
    organisation, corporate_register, people, period
):
    quarter_end, today = period
    ann, bob = people["ann"], people["bob"]
    reported = RiskFactory(register=corporate_register, ref="U3", owner=ann)
    RiskFactory(register=corporate_register, ref="U4", owner=bob)
    RiskFactory(register=corporate_register, ref="U5", owner=bob)
    RiskFactory(register=corporate_register, ref="U6")  # no owner
    silent = RiskFactory(register=corporate_register, ref="U7", owner=ann)
    review(reported, ann, "Reported.", today)
    review(silent, ann, "Only last quarter.", quarter_end)
    data = pack_data(organisation=organisation, kind="quarterly", as_of=today)
    rows = [(row.owner, row.refs) for row in data.owners_without_update]
    assert rows == [("Ann Owner", "U7"), ("Bob Owner", "U4, U5"), ("Not assigned", "U6")]
    text = text_of(render_html(data))
    updates = text[text.index("Owners' updates this period") :]
    assert "Owners who gave no update this period" in updates
    assert "Bob Owner 2 U4, U5" in updates
    # The updates table lists the updates given; those without one are the owners' table's.
    start = updates.index("Updates by risk, as at the report date")
    table = updates[start : updates.index("Owners who gave no update this period", start)]
    assert "U3" in table and "Reported." in table
    assert "U4" not in table and "No update this period" not in table
    start = text.rindex("1. Summary of")
    summary = text[start : text.index("2. Heat maps", start)]
    # a full row says "No update this period", a one-line row "· no update" (decision 50)
    assert summary.count("No update this period") + summary.count(f"· {NO_UPDATE}") == 4
    assert "U3" in summary  # updated: no marker


def detail_page(data, ref: str) -> str:
    """A risk's Risk Action Plan page as the pack prints it (whichever risks get one)."""
    risk = next(risk for risk in data.risks if risk.ref == ref)
    html = render_to_string("reporting/pdf/partials/risk_detail.html", {"pack": data, "risk": risk})
    return text_of(html)


def test_update_is_on_the_risk_action_plan_page(organisation, corporate_register, people, period):
    _quarter_end, today = period
    ann = people["ann"]
    reported = RiskFactory(register=corporate_register, ref="U8", owner=ann)
    RiskFactory(register=corporate_register, ref="U9", owner=ann)
    review(reported, ann, "Escalated to the board; extra staff from May.", today)
    data = pack_data(organisation=organisation, kind="quarterly", as_of=today)
    page = detail_page(data, "U8")
    assert "This period's update Escalated to the board; extra staff from May." in page
    assert f"Ann Owner, review of {today:%-d %B %Y}" in page
    assert "No update this period" in detail_page(data, "U9")


def test_public_edition_withholds_the_update_of_a_sensitive_risk(
    organisation, corporate_register, people, period
):
    _quarter_end, today = period
    ann = people["ann"]
    secret = RiskFactory(register=corporate_register, ref="S1", owner=ann)
    open_risk = RiskFactory(register=corporate_register, ref="S2", owner=ann)
    review(secret, ann, "Informant network compromised in the north.", today)
    review(open_risk, ann, "Budget agreed by the board.", today)
    Risk.objects.filter(pk=secret.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    full_data = pack_data(organisation=organisation, kind="quarterly", as_of=today)
    assert "Informant network compromised" in text_of(render_html(full_data))
    assert "Informant network compromised" in detail_page(full_data, "S1")
    public_data = pack_data(
        organisation=organisation, kind="quarterly", as_of=today, edition="public"
    )
    assert public_data.risks[0].period_update.text == ""
    public = text_of(render_html(public_data))
    assert "Informant network" not in public
    assert "Update withheld (OFFICIAL-SENSITIVE)." in public
    assert "Budget agreed by the board." in public  # an OFFICIAL risk's update stays
    page = detail_page(public_data, "S1")
    assert "Informant network" not in page
    assert f"the update of {today:%-d %B %Y} by Ann Owner is left out of the public" in page
    # Who reported is not sensitive: S1 counts as updated, not as an owner without one.
    assert public_data.owners_without_update == []


def test_emerging_risks_have_their_own_section_and_unrated_ones_leave_the_heat_maps(
    organisation, corporate_register, period
):
    _quarter_end, today = period
    RiskFactory(register=corporate_register, ref="E1", title="Rated risk")
    RiskFactory(
        register=corporate_register,
        ref="E2",
        title="Quantum decryption",
        positions={},
        emerging=True,
    )
    RiskFactory(register=corporate_register, ref="E3", title="Heat stress", emerging=True)
    data = pack_data(organisation=organisation, kind="quarterly", as_of=today)
    assert [risk.ref for risk in data.emerging] == ["E2", "E3"]
    current = next(m for m in data.heat_maps if m.position == "current")
    assert current.counted == 2 and current.not_rated == 0  # E2 is listed, not "not rated"
    text = text_of(render_html(data))
    section = text[text.index("8. Emerging risks", text.index("8. Emerging risks") + 1) :]
    assert "E2 Quantum decryption" in section and "Not yet rated" in section
    assert "E3 Heat stress" in section
    assert "E1 Rated risk" not in section
    assert "Quantum decryption (emerging)" in text


def test_no_emerging_risk_says_so(organisation, corporate_register, period):
    _quarter_end, today = period
    RiskFactory(register=corporate_register, ref="N1")
    text = text_of(render_html(pack_data(organisation=organisation, kind="committee", as_of=today)))
    assert "6. Emerging risks" in text
    assert "No risk on the register is flagged as emerging." in text


def test_updates_of_all_the_packs_risks_in_one_query(
    organisation, corporate_register, people, period, django_assert_num_queries
):
    quarter_end, today = period
    ann = people["ann"]
    for number in range(6):
        risk = RiskFactory(register=corporate_register, ref=f"Q{number}", owner=ann)
        review(risk, ann, f"Update {number}.", today)
    data = pack_data(organisation=organisation, kind="quarterly", as_of=today)
    zone = organisation_zone(organisation)
    since = end_of_day(quarter_end, zone)
    with django_assert_num_queries(1):
        updates = period_updates(risks=data.risks, since=since, moment=data.moment)
    assert sorted(update.text for update in updates.values()) == [f"Update {n}." for n in range(6)]
