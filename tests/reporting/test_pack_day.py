"""A pack's as-of date, the scheduled packs and a spreadsheet's readings are judged by the
organisation's day (``calendar.organisation_today``), not the server's (decision 129): a pack as
at today where the organisation is was refused as "in the future" in Auckland, while Los Angeles
got one as at a day it was still living through.

The clock is held (``timezone.now``) at an instant when the organisation's day and the
server's (Europe/London) differ."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from registers.models import IndicatorReading, Role
from registers.services.indicators import indicator_add
from registers.services.organisations import member_add
from reporting.forms import PackRequestForm
from reporting.models import Pack, PackEdition, PackKind
from reporting.packs.services import pack_request
from reporting.packs.tasks import request_scheduled_packs_task
from reporting.spreadsheets.importing import import_apply, import_plan
from reporting.spreadsheets.indicator_sheets import READING_COLUMNS
from tests.factories import OrganisationFactory, RiskFactory, corporate_register_of
from tests.reporting.test_import_indicators import problems, workbook

pytestmark = pytest.mark.django_db

# 12:30 on 7 December in London (the server's zone) is 01:30 on 8 December in Auckland.
AUCKLAND_MORNING = dt.datetime(2026, 12, 7, 12, 30, tzinfo=dt.UTC)
# 03:00 on 8 December in London is 19:00 on 7 December in Los Angeles.
LONDON_NIGHT = dt.datetime(2026, 12, 8, 3, 0, tzinfo=dt.UTC)
DEC_8 = dt.date(2026, 12, 8)
FUTURE = "Choose a date that is not in the future"


def held_at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def auckland(db):
    with held_at(AUCKLAND_MORNING):
        assert timezone.localdate() == DEC_8 - dt.timedelta(days=1)  # the server's day
        yield OrganisationFactory(timezone="Pacific/Auckland")


@pytest.fixture
def los_angeles(db):
    with held_at(LONDON_NIGHT):
        assert timezone.localdate() == DEC_8
        yield OrganisationFactory(timezone="America/Los_Angeles")


def coordinator_of(organisation):
    return member_add(
        organisation=organisation,
        email=f"cora@{organisation.slug}.test",
        role=Role.COORDINATOR,
        full_name="Cora Coordinator",
    ).user


def as_of_errors(organisation, day: dt.date) -> list[str]:
    form = PackRequestForm(
        {"as_of": day.strftime("%d/%m/%Y")}, editions=["full"], organisation=organisation
    )
    form.is_valid()
    return form.errors.get("as_of", [])


def test_the_pack_form_takes_the_organisations_today(auckland):
    assert as_of_errors(auckland, DEC_8) == []


def test_the_pack_form_refuses_a_day_still_to_come_where_the_organisation_is(los_angeles):
    assert as_of_errors(los_angeles, DEC_8) == [FUTURE]


def test_a_pack_as_at_the_organisations_today_is_requested(auckland):
    pack = pack_request(organisation=auckland, kind=PackKind.QUARTERLY, as_of=DEC_8)
    assert pack.as_of == DEC_8


def test_a_pack_as_at_a_day_still_to_come_there_is_refused(los_angeles):
    with pytest.raises(ValidationError) as refused:
        pack_request(organisation=los_angeles, kind=PackKind.QUARTERLY, as_of=DEC_8)
    assert "not in the future" in refused.value.message_dict["as_of"][0]


def test_the_reports_page_offers_a_pack_as_at_the_organisations_today(client, auckland):
    client.force_login(coordinator_of(auckland))
    page = client.get(reverse("packs", args=[auckland.slug])).content.decode()
    (field,) = re.findall(r'<input[^>]*name="as_of"[^>]*>', page)
    assert 'value="08/12/2026"' in field


def test_the_command_refuses_a_day_still_to_come_where_the_organisation_is(los_angeles, tmp_path):
    with pytest.raises(CommandError, match="is in the future"):
        call_command(
            "build_pack",
            "--org",
            los_angeles.slug,
            "--kind",
            "quarterly",
            "--as-of",
            DEC_8.isoformat(),
            "--out",
            str(tmp_path / "missing" / "pack.pdf"),  # refused before anything is built
        )


def test_scheduled_packs_wait_for_the_quarter_to_end_where_the_organisation_is(db):
    # 05:00 on 1 October in London (06:00 BST, beat's hour) is 18:00 on 1 October in Auckland
    # and 22:00 on 30 September in Los Angeles: its quarter has two hours to go.
    with held_at(dt.datetime(2026, 10, 1, 5, 0, tzinfo=dt.UTC)):
        ahead = OrganisationFactory(timezone="Pacific/Auckland")
        behind = OrganisationFactory(timezone="America/Los_Angeles")
        request_scheduled_packs_task()
    made = Pack.objects.filter(organisation=ahead, kind=PackKind.QUARTERLY)
    assert sorted(made.values_list("edition", flat=True)) == [
        PackEdition.FULL,
        PackEdition.PUBLIC,
    ]
    assert {pack.as_of for pack in made} == {dt.date(2026, 9, 30)}
    assert not Pack.objects.filter(organisation=behind).exists()


def test_a_spreadsheets_reading_of_the_organisations_today_is_imported(auckland):
    owner = coordinator_of(auckland)
    register = corporate_register_of(auckland)
    risk = RiskFactory(register=register, ref="R1", owner=owner)
    indicator = indicator_add(
        user=owner, risk=risk, name="Ferry delays", amber_from=D(5), red_from=D(10), owner=owner
    )
    data = workbook(
        [["ref", "title"], ["R1", ""]],
        readings=[list(READING_COLUMNS), ["R1", "Ferry delays", DEC_8, 3, ""]],
    )
    plan = import_plan(register=register, data=data, filename="kri.xlsx")
    assert problems(plan) == []
    import_apply(plan=plan, by=owner)
    assert IndicatorReading.objects.get(indicator=indicator).taken_on == DEC_8
