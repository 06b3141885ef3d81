"""The organisation profile (issue 15, "Organisation settings: Profile"): the service that changes
names, the committee, the reporting calendar and the review and reminder periods, with history
saying who and which fields; the admin-only page; and that a changed calendar moves the dashboard's
and the packs' "end of last quarter"."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from registers.calendar import organisation_zone, previous_quarter_end
from registers.forms_profile import (
    NAME_REQUIRED,
    REVIEW_MONTHS_RANGE,
    TIMEZONE_REQUIRED,
)
from registers.models import Organisation, Role
from registers.services.profile import (
    MONTHS_INVALID,
    PROFILE_CHANGED_REASON,
    PROFILE_FIELD_UNKNOWN,
    QUARTER_END_REQUIRED,
    REMINDER_NOTICE_RANGE,
    TIMEZONE_UNKNOWN,
    organisation_profile_set,
)
from registers.views.profile import SAVED_MESSAGE, UNCHANGED_MESSAGE
from reporting.packs.data import pack_data
from reporting.packs.schedule import packs_due
from reporting.periods import last_quarter_report
from riskreg.forms import sentence
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def url_of(organisation) -> str:
    return reverse("organisation_profile", args=[organisation.slug])


def the_form(organisation, **changes) -> dict:
    """The page's form as the browser posts it, filled with what is stored, then ``changes``."""
    data = {
        "name": organisation.name,
        "short_name": organisation.short_name,
        "panel_name": organisation.panel_name,
        "quarter_end_months": [str(m) for m in organisation.quarter_end_months],
        "committee_months": [str(m) for m in organisation.committee_months],
        "timezone": organisation.timezone,
        "default_review_months": str(organisation.default_review_months),
        "reminder_notice_days": str(organisation.reminder_notice_days),
        "default_marking": organisation.default_marking,
        "pack_order": organisation.pack_order,
        "deep_dive_quarters": str(organisation.deep_dive_quarters),
    }
    data.update(changes)
    return data


# --- the service --------------------------------------------------------------------------------


def test_the_service_changes_the_fields_given_with_history_of_who_and_what(organisation, admin):
    changed = organisation_profile_set(
        organisation=organisation,
        by=admin,
        name="  Mayor's Office for Policing and Crime ",
        short_name="MOPAC",
        panel_name="MPS-MOPAC Joint Audit Panel",
        quarter_end_months=[12, 3, 9, 6, 3],
        committee_months=[10, 3],
        timezone="Europe/London",  # as it was: not listed as changed
        default_review_months=1,
        reminder_notice_days=21,
    )
    assert changed == [
        "name",
        "short_name",
        "panel_name",
        "committee_months",
        "default_review_months",
        "reminder_notice_days",
    ]
    stored = Organisation.objects.get(pk=organisation.pk)
    assert stored.name == "Mayor's Office for Policing and Crime"
    assert stored.quarter_end_months == [3, 6, 9, 12]
    assert stored.committee_months == [3, 10]
    assert (stored.default_review_months, stored.reminder_notice_days) == (1, 21)
    assert organisation.short_name == "MOPAC"  # the caller's copy reads as saved
    record = stored.history.latest()
    assert record.history_user == admin
    assert record.history_change_reason == PROFILE_CHANGED_REASON.format(
        fields="name, short name, committee or panel, committee months, default review period, "
        "reminder notice period"
    )


def test_nothing_changed_writes_no_history(organisation, admin):
    before = organisation.history.count()
    assert (
        organisation_profile_set(organisation=organisation, by=admin, name=organisation.name) == []
    )
    assert organisation.history.count() == before


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"quarter_end_months": []}, "quarter_end_months", QUARTER_END_REQUIRED),
        ({"quarter_end_months": [3, 13]}, "quarter_end_months", MONTHS_INVALID),
        ({"committee_months": [0]}, "committee_months", MONTHS_INVALID),
        ({"committee_months": ["3"]}, "committee_months", MONTHS_INVALID),
        (
            {"timezone": "Europe/Londres"},
            "timezone",
            TIMEZONE_UNKNOWN.format(zone="Europe/Londres"),
        ),
        ({"timezone": "localtime"}, "timezone", TIMEZONE_UNKNOWN.format(zone="localtime")),
        ({"reminder_notice_days": 0}, "reminder_notice_days", REMINDER_NOTICE_RANGE),
        ({"reminder_notice_days": 366}, "reminder_notice_days", REMINDER_NOTICE_RANGE),
    ],
)
def test_the_service_refuses_a_bad_calendar(organisation, admin, fields, field, message):
    before = organisation.history.count()
    with pytest.raises(ValidationError) as caught:
        organisation_profile_set(organisation=organisation, by=admin, **fields)
    assert caught.value.message_dict == {field: [message]}
    assert organisation.history.count() == before


def test_the_service_refuses_what_the_model_refuses_and_unknown_fields(organisation, admin):
    with pytest.raises(ValidationError) as caught:
        organisation_profile_set(organisation=organisation, by=admin, default_review_months=61)
    assert "default_review_months" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        organisation_profile_set(organisation=organisation, by=admin, name="  ")
    assert "name" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        organisation_profile_set(organisation=organisation, by=admin, slug="elsewhere")
    assert caught.value.messages == [PROFILE_FIELD_UNKNOWN.format(name="slug")]
    organisation.refresh_from_db()
    assert organisation.default_review_months == 3


def test_committee_months_need_not_be_quarter_ends_and_may_be_none(organisation, admin):
    organisation_profile_set(organisation=organisation, by=admin, committee_months=[5, 11])
    organisation_profile_set(organisation=organisation, by=admin, committee_months=[])
    organisation.refresh_from_db()
    assert organisation.committee_months == []
    # No committee months: no committee packs are scheduled, quarterly ones still are.
    assert [
        kind for kind, _ in packs_due(organisation=organisation, today=dt.date(2026, 4, 2))
    ] == ["quarterly"]


# --- the calendar follows -----------------------------------------------------------------------


def test_a_changed_quarter_end_month_moves_the_end_of_last_quarter(organisation, admin):
    moment = dt.datetime(2026, 5, 15, 12, tzinfo=LONDON)
    before = previous_quarter_end(organisation=organisation, moment=moment)
    assert before.date() == dt.date(2026, 3, 31)
    assert last_quarter_report(organisation=organisation, moment=moment).local_date == before.date()

    # A body whose quarters end in January, April, July and October.
    organisation_profile_set(organisation=organisation, by=admin, quarter_end_months=[1, 4, 7, 10])
    organisation.refresh_from_db()
    after = previous_quarter_end(organisation=organisation, moment=moment)
    assert after.date() == dt.date(2026, 4, 30)
    assert last_quarter_report(organisation=organisation, moment=moment).local_date == after.date()
    # The scheduled quarterly pack follows: due after 30 April, no longer after 31 March.
    assert ("quarterly", dt.date(2026, 4, 30)) in packs_due(
        organisation=organisation, today=dt.date(2026, 5, 3)
    )
    assert "quarterly" not in [
        kind for kind, _ in packs_due(organisation=organisation, today=dt.date(2026, 4, 2))
    ]


def test_a_changed_timezone_is_the_calendars(organisation, admin):
    organisation_profile_set(organisation=organisation, by=admin, timezone="Pacific/Auckland")
    organisation.refresh_from_db()
    assert organisation_zone(organisation) == ZoneInfo("Pacific/Auckland")
    moment = dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC)  # already 1 April in Auckland
    end = previous_quarter_end(organisation=organisation, moment=moment)
    assert end.astimezone(ZoneInfo("Pacific/Auckland")).date() == dt.date(2026, 3, 31)


def test_the_panel_name_is_what_the_pack_is_addressed_to(organisation, admin):
    def addressed_to() -> str:
        fresh = Organisation.objects.get(pk=organisation.pk)
        return pack_data(
            organisation=fresh, kind="quarterly", as_of=dt.date(2026, 3, 31)
        ).panel_name

    organisation_profile_set(organisation=organisation, by=admin, panel_name="")
    assert addressed_to() == "Audit panel"
    organisation_profile_set(
        organisation=organisation, by=admin, panel_name="MPS-MOPAC Joint Audit Panel"
    )
    assert addressed_to() == "MPS-MOPAC Joint Audit Panel"


# --- the page -----------------------------------------------------------------------------------


def test_the_settings_page_links_to_the_profile(admin_client, organisation):
    response = admin_client.get(reverse("settings_home", args=[organisation.slug]))
    assert url_of(organisation) in response.content.decode()


def test_an_admin_sees_the_profile_and_get_changes_nothing(admin_client, organisation):
    before = organisation.history.count()
    response = admin_client.get(url_of(organisation))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Organisation profile" in page
    assert 'name="quarter_end_months" type="checkbox" value="3" checked' in page
    assert 'name="committee_months" type="checkbox" value="9" checked' in page
    assert 'value="Europe/London"' in page
    assert organisation.history.count() == before


def test_an_admin_saves_the_profile(admin_client, organisation, admin):
    data = the_form(
        organisation,
        panel_name="University Court and Audit Committee",
        committee_months=["5", "11"],
        reminder_notice_days="28",
    )
    response = admin_client.post(url_of(organisation), data, follow=True)
    assert response.redirect_chain == [(url_of(organisation), 302)]
    assert (
        SAVED_MESSAGE.format(fields="committee or panel, committee months, reminder notice period")
        in response.content.decode()
    )
    organisation.refresh_from_db()
    assert organisation.panel_name == "University Court and Audit Committee"
    assert organisation.committee_months == [5, 11]
    assert organisation.reminder_notice_days == 28
    assert organisation.history.latest().history_user == admin

    again = admin_client.post(url_of(organisation), the_form(organisation), follow=True)
    assert UNCHANGED_MESSAGE in again.content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, NAME_REQUIRED),
        ({"quarter_end_months": []}, sentence(QUARTER_END_REQUIRED)),
        ({"quarter_end_months": ["3", "13"]}, sentence(MONTHS_INVALID)),
        ({"committee_months": ["March"]}, sentence(MONTHS_INVALID)),
        ({"timezone": ""}, TIMEZONE_REQUIRED),
        ({"timezone": "GMT+1 London"}, sentence(TIMEZONE_UNKNOWN.format(zone="GMT+1 London"))),
        ({"default_review_months": "0"}, REVIEW_MONTHS_RANGE.format(most=60)),
        ({"default_review_months": "61"}, REVIEW_MONTHS_RANGE.format(most=60)),
        ({"default_review_months": "three"}, REVIEW_MONTHS_RANGE.format(most=60)),
        ({"reminder_notice_days": "400"}, sentence(REMINDER_NOTICE_RANGE)),
    ],
)
def test_bad_input_is_answered_400_with_the_error_summary(
    admin_client, organisation, changes, message
):
    before = organisation.history.count()
    response = admin_client.post(url_of(organisation), the_form(organisation, **changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert escape(message) in page
    assert "<title>Error: " in page
    assert organisation.history.count() == before


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL])
def test_only_admins_reach_the_page(client, organisation, member, role):
    client.force_login(member(role))
    response = client.get(url_of(organisation))
    assert response.status_code == 403
    assert (
        client.post(url_of(organisation), the_form(organisation, name="Taken")).status_code == 403
    )
    organisation.refresh_from_db()
    assert organisation.name != "Taken"


def test_another_organisations_admin_gets_404(client, organisation, other_organisation):
    outsider = MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user
    client.force_login(outsider)
    assert client.get(url_of(organisation)).status_code == 404
    response = client.post(url_of(organisation), the_form(organisation, name="Taken"))
    assert response.status_code == 404
    organisation.refresh_from_db()
    assert organisation.name != "Taken"


def test_a_post_without_csrf_is_refused(organisation, admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    response = client.post(url_of(organisation), the_form(organisation, name="Forged"))
    assert response.status_code == 403
    organisation.refresh_from_db()
    assert organisation.name != "Forged"


def test_the_isolation_walker_knows_the_page():
    from tests.test_isolation import url_patterns

    assert "organisation_profile" in {pattern.name for pattern in url_patterns()}


# --- the handling marking of a new risk ---------------------------------------------------------


def test_a_new_risk_gets_the_organisations_marking_unless_one_is_given(
    organisation, corporate_register, admin
):
    from registers.models import Marking
    from registers.services.risks import risk_create
    from registers.services.risks_bulk import NewRisk, risk_create_many

    assert organisation.default_marking == Marking.OFFICIAL
    organisation_profile_set(
        organisation=organisation, by=admin, default_marking=Marking.OFFICIAL_SENSITIVE
    )
    record = organisation.history.latest()
    assert record.history_change_reason == PROFILE_CHANGED_REASON.format(
        fields="handling marking of new risks"
    )
    register = type(corporate_register).objects.get(pk=corporate_register.pk)
    assert risk_create(register=register, ref="M1", title="t").marking == Marking.OFFICIAL_SENSITIVE
    given = risk_create(register=register, ref="M2", title="t", marking=Marking.OFFICIAL)
    assert given.marking == Marking.OFFICIAL
    (bulk,) = risk_create_many(
        organisation=register.organisation,
        new=[NewRisk(register=register, ref="M3", title="t")],
        reason="imported",
    )
    assert bulk.marking == Marking.OFFICIAL_SENSITIVE


def test_an_import_row_with_a_blank_marking_gets_the_default(
    organisation, corporate_register, admin
):
    from registers.models import Marking, Risk
    from reporting.spreadsheets.importing import import_apply, import_plan
    from tests.reporting.conftest import csv_bytes

    organisation_profile_set(
        organisation=organisation, by=admin, default_marking=Marking.OFFICIAL_SENSITIVE
    )
    register = type(corporate_register).objects.get(pk=corporate_register.pk)
    rows = [["ref", "title", "marking"], ["I1", "Blank", ""], ["I2", "Given", "OFFICIAL"]]
    plan = import_plan(register=register, data=csv_bytes(rows), filename="r.csv")
    assert not plan.problems
    import_apply(plan=plan)
    markings = dict(Risk.objects.filter(ref__in=["I1", "I2"]).values_list("ref", "marking"))
    assert markings == {"I1": Marking.OFFICIAL_SENSITIVE, "I2": Marking.OFFICIAL}


def test_the_risk_form_starts_from_the_default_and_the_page_saves_it(
    admin_client, organisation, corporate_register
):
    from registers.models import Marking

    response = admin_client.post(
        url_of(organisation), the_form(organisation, default_marking=Marking.OFFICIAL_SENSITIVE)
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.default_marking == Marking.OFFICIAL_SENSITIVE
    page = admin_client.get(
        reverse("risk_create", args=[organisation.slug, corporate_register.slug])
    ).content.decode()
    assert 'name="marking" type="radio" value="OFFICIAL-SENSITIVE" checked' in page or (
        'value="OFFICIAL-SENSITIVE" selected' in page
    )
    bad = admin_client.post(url_of(organisation), the_form(organisation, default_marking="SECRET"))
    assert bad.status_code == 400


# --- packs: order of risks and quarters red before a deep dive (issue 16) ------------------------


def test_the_page_sets_the_pack_order_and_deep_dive_quarters(admin_client, organisation):
    response = admin_client.post(
        url_of(organisation), the_form(organisation, pack_order="score", deep_dive_quarters="3")
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert (organisation.pack_order, organisation.deep_dive_quarters) == ("score", 3)
    record = organisation.history.latest()
    assert "order of risks in packs" in record.history_change_reason
    assert "quarters red before a deep dive" in record.history_change_reason


@pytest.mark.parametrize("quarters", ["0", "13", "two", ""])
def test_deep_dive_quarters_out_of_range_is_400_with_the_rule(admin_client, organisation, quarters):
    response = admin_client.post(
        url_of(organisation), the_form(organisation, deep_dive_quarters=quarters)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "deep dive" in page
    organisation.refresh_from_db()
    assert organisation.deep_dive_quarters == 2


def test_the_service_refuses_an_unknown_pack_order(organisation, admin):
    with pytest.raises(ValidationError):
        organisation_profile_set(organisation=organisation, by=admin, pack_order="random")
