"""A pack whose period starts before the first record on its registers says so (decision 143):
the demo's Met pack as at its paper's day, and an adopter's first pack after importing on day
one, called every risk "added" since a comparison date nothing was recorded on, and drew its
exposure as 0 risks at every quarter end. And no pack is as at a day before the organisation's
records begin: the form, the service, ``build_pack`` and the scheduled packs refuse it, or
skip it."""

import datetime as dt
import html
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from registers.models import Organisation
from reporting.models import Pack
from reporting.packs.changes import RECORDS_BEGIN
from reporting.packs.data import pack_data
from reporting.packs.docx import render_docx
from reporting.packs.render import render_html
from reporting.packs.schedule import request_scheduled_packs
from reporting.packs.services import PACK_BEFORE_RECORDS, pack_as_of_check, pack_request
from reporting.packs.summary import summary_draft
from tests.factories import MembershipFactory, OrganisationFactory, RiskFactory
from tests.reporting.test_pack_scope import at, docx_text, text_of

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
FIRST_DAY = dt.date(2026, 5, 11)  # records begin: three risks imported that day
LATER_DAY = dt.date(2026, 6, 1)  # a risk added afterwards, in the period


def on(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=LONDON)


@pytest.fixture
def imported(organisation, corporate_register):
    """Three risks recorded on the register's first day, one added three weeks later."""
    with at(on(FIRST_DAY)):
        first = [
            RiskFactory(register=corporate_register, ref=f"R{n}", title=f"Imported {n}")
            for n in (1, 2, 3)
        ]
    with at(on(LATER_DAY)):
        added = RiskFactory(register=corporate_register, ref="R4", title="Added later")
    return first, added


def test_a_quarterly_pack_before_records_begin_says_so_and_counts_first_recorded(imported):
    first, added = imported
    organisation = added.organisation
    # As at 15 June: compared with 31 March, before anything was recorded.
    data = pack_data(organisation=organisation, kind="quarterly", as_of=dt.date(2026, 6, 15))
    assert data.records_begin == FIRST_DAY
    assert data.before_records
    assert [event.risk.id for event in data.first_recorded] == [risk.id for risk in first]
    assert [event.risk.id for event in data.movement.added] == [added.id]
    note = RECORDS_BEGIN.format(day="11 May 2026")
    assert note == (
        "Records on riskreg begin on 11 May 2026: there is no earlier position to compare with."
    )
    page = text_of(render_html(data))
    assert note in page
    assert "Compared with nothing earlier: records on riskreg begin on 11 May 2026" in page
    assert "the position at 31 March 2026" not in page
    assert "3 first recorded" in page and "1 added" in page
    assert "4 added" not in page
    word = docx_text(render_docx(data))
    assert note in word
    assert "nothing earlier: records on riskreg begin on 11 May 2026" in word
    assert "First recorded" in word
    # The summary's draft names the risk added in the period as new, not the imported ones.
    draft = summary_draft(data)
    assert "New since 31 March 2026: R4 Added later." in draft
    assert "Imported" not in draft


def test_a_pack_whose_period_starts_after_records_begin_says_nothing_of_it(imported):
    _first, added = imported
    data = pack_data(organisation=added.organisation, kind="quarterly", as_of=dt.date(2026, 9, 30))
    assert not data.before_records  # compared with 30 June: records began before it
    assert data.records_note == ""
    assert data.first_recorded == []
    assert "Records on riskreg begin" not in text_of(render_html(data))


def test_the_exposure_starts_at_the_first_quarter_end_with_records(imported):
    organisation = imported[1].organisation
    data = pack_data(organisation=organisation, kind="committee", as_of=dt.date(2026, 11, 5))
    bands = data.exposure_charts[0]
    assert [row[0] for row in bands.table.rows] == ["Q1 2026/27", "Q2 2026/27"]
    assert "It starts at the end of Q1 2026/27, the first quarter end with records" in (
        data.exposure_lead_in
    )
    page = text_of(render_html(data))
    assert "Q4 2025/26" not in page  # no quarter end before records began drawn as 0


def test_the_exposure_is_left_out_with_fewer_than_two_quarter_ends_with_records(imported):
    organisation = imported[1].organisation
    data = pack_data(organisation=organisation, kind="committee", as_of=dt.date(2026, 7, 10))
    assert data.exposure_charts == ()
    left_out = (
        "Left out: records on riskreg of the Corporate risk register begin on 11 May 2026, so "
        "fewer than two of the last eight quarter ends have records to count."
    )
    assert data.exposure_left_out == left_out.replace(
        "Corporate risk register", data.register_names
    )
    assert data.exposure_left_out in text_of(render_html(data))
    assert data.exposure_left_out in docx_text(render_docx(data))


def dated(organisation, created: dt.date) -> Organisation:
    Organisation.objects.filter(pk=organisation.pk).update(created_at=on(created))
    organisation.refresh_from_db()
    return organisation


def test_a_pack_as_at_a_day_before_records_begin_is_refused_everywhere(client, imported, settings):
    organisation = dated(imported[1].organisation, dt.date(2026, 12, 1))
    refusal = PACK_BEFORE_RECORDS.format(organisation=organisation.name, day="11 May 2026")
    for day in (dt.date(1900, 1, 1), dt.date(2026, 5, 10)):
        with pytest.raises(ValidationError) as refused:
            pack_request(organisation=organisation, kind="quarterly", as_of=day)
        assert refused.value.message_dict == {"as_of": [refusal]}
    assert pack_as_of_check(organisation=organisation, as_of=FIRST_DAY) == FIRST_DAY
    # The Reports page: a form error, 400, the earliest day named.
    user = MembershipFactory(organisation=organisation, role="coordinator").user
    client.force_login(user)
    response = client.post(
        reverse("packs", args=[organisation.slug]),
        {"kind": "committee", "edition": "full", "as_of": "1900-01-01"},
    )
    assert response.status_code == 400
    assert html.escape(refusal) in response.content.decode() or refusal in text_of(
        response.content.decode()
    )
    assert not Pack.objects.filter(organisation=organisation).exists()
    with pytest.raises(CommandError, match="begin on 11 May 2026"):
        call_command(
            "build_pack",
            "--org",
            organisation.slug,
            "--kind",
            "committee",
            "--as-of",
            "1900-01-01",
            "--out",
            "/tmp/never.pdf",  # noqa: S108
        )


def test_an_organisation_with_no_records_begins_on_its_creation(organisation):
    organisation = dated(organisation, dt.date(2026, 12, 1))
    with pytest.raises(ValidationError, match="begin on 1 December 2026"):
        pack_as_of_check(organisation=organisation, as_of=dt.date(2026, 11, 30))
    assert pack_as_of_check(organisation=organisation, as_of=dt.date(2026, 12, 1))


def test_a_scheduled_pack_before_records_begin_is_skipped_not_a_crash(caplog):
    # Set up on 1 October: the quarter that ended on 30 September was before it.
    dated(OrganisationFactory(quarter_end_months=[3, 6, 9, 12]), dt.date(2026, 10, 1))
    assert request_scheduled_packs(today=dt.date(2026, 10, 1)) == []
    assert not Pack.objects.exists()
    assert "refused" in caplog.text and "begin on 1 October 2026" in caplog.text
