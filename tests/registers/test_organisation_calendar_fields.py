"""Committee months and the reminder notice period agree on every path: the model (full_clean and
the database), the profile service and form, the scoped Django admin and the API.

No committee months (``[]``) means no committee packs are scheduled (``reporting.packs.schedule``)
and "the last report" is the last quarter end (``registers.calendar``); a coordinator can still
request a committee pack for any date. The reminder notice period is 1 to 365 days, in the
database too (migration 0019)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from registers.models import Organisation, Role
from registers.models.organisations import (
    MONTHS_INVALID,
    QUARTER_END_REQUIRED,
    REMINDER_NOTICE_MAX,
    REMINDER_NOTICE_MIN,
    REMINDER_NOTICE_RANGE,
)
from registers.services import profile
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


def _errors(organisation: Organisation) -> dict:
    try:
        organisation.full_clean()
    except ValidationError as exc:
        return exc.message_dict
    return {}


# --- the model ------------------------------------------------------------------------------------


def test_no_committee_months_is_valid_and_months_are_checked(organisation):
    organisation.committee_months = []
    assert _errors(organisation) == {}
    organisation.save()
    organisation.committee_months = [5, 11, 5]
    assert _errors(organisation) == {}
    assert organisation.committee_months == [5, 11]  # each once, in calendar order
    for bad in ([13], ["3"], [True], "3", {"3": 1}):
        organisation.committee_months = bad
        assert _errors(organisation) == {"committee_months": [MONTHS_INVALID]}, bad
    organisation.committee_months = [3]
    organisation.quarter_end_months = []
    assert _errors(organisation) == {"quarter_end_months": [QUARTER_END_REQUIRED]}


def test_the_reminder_notice_period_is_bounded_in_the_model_and_the_database(organisation):
    for days in (REMINDER_NOTICE_MIN, REMINDER_NOTICE_MAX):
        organisation.reminder_notice_days = days
        assert _errors(organisation) == {}
    for days in (0, REMINDER_NOTICE_MAX + 1):
        organisation.reminder_notice_days = days
        assert _errors(organisation) == {"reminder_notice_days": [REMINDER_NOTICE_RANGE]}
        with pytest.raises(IntegrityError), transaction.atomic():
            Organisation.objects.filter(pk=organisation.pk).update(reminder_notice_days=days)


def test_the_service_and_the_model_share_the_bounds_and_messages():
    from registers.models import organisations as model

    assert model.REMINDER_NOTICE_RANGE == profile.REMINDER_NOTICE_RANGE
    assert (model.REMINDER_NOTICE_MIN, model.REMINDER_NOTICE_MAX) == (1, 365)
    assert model.MONTHS_INVALID == profile.MONTHS_INVALID
    assert model.QUARTER_END_REQUIRED == profile.QUARTER_END_REQUIRED


# --- the scoped Django admin ------------------------------------------------------------------------


def _admin_data(organisation, **changes) -> dict:
    data = {
        "name": organisation.name,
        "short_name": organisation.short_name,
        "slug": organisation.slug,
        "timezone": organisation.timezone,
        "panel_name": organisation.panel_name,
        "response_options": '["Treat", "Tolerate", "Transfer", "Terminate"]',
        "quarter_end_months": "[3, 6, 9, 12]",
        "committee_months": "[3, 9]",
        "default_review_months": organisation.default_review_months,
        "reminder_notice_days": organisation.reminder_notice_days,
        "second_factor_required": organisation.second_factor_required,
        "source": organisation.source,
        "default_marking": organisation.default_marking,
        "pack_order": organisation.pack_order,
        "deep_dive_quarters": organisation.deep_dive_quarters,
        "acceptance_authority": organisation.acceptance_authority,
    }
    return {**data, **changes}


@pytest.mark.parametrize("months", ["[]", ""])
def test_the_admin_saves_an_organisation_without_committee_months(
    client, organisation, admin, months
):
    client.force_login(admin)
    url = reverse("admin:registers_organisation_change", args=[organisation.pk])
    response = client.post(url, _admin_data(organisation, committee_months=months))
    assert response.status_code == 302, response.context["adminform"].form.errors
    organisation.refresh_from_db()
    assert organisation.committee_months == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reminder_notice_days": "0"}, "reminder_notice_days", REMINDER_NOTICE_RANGE),
        ({"reminder_notice_days": "400"}, "reminder_notice_days", REMINDER_NOTICE_RANGE),
        ({"committee_months": "[13]"}, "committee_months", MONTHS_INVALID),
        ({"quarter_end_months": "[]"}, "quarter_end_months", QUARTER_END_REQUIRED),
    ],
)
def test_the_admin_refuses_out_of_range_values_as_field_errors(
    client, organisation, admin, changes, field, message
):
    client.force_login(admin)
    url = reverse("admin:registers_organisation_change", args=[organisation.pk])
    response = client.post(url, _admin_data(organisation, **changes))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    organisation.refresh_from_db()
    assert (organisation.reminder_notice_days, organisation.committee_months) == (14, [3, 9])


# --- migration 0019 -------------------------------------------------------------------------------

BEFORE_0019 = [("registers", "0018_withheld_risk_indexes")]
AT_0019 = [("registers", "0019_organisation_calendar_bounds")]


@pytest.mark.django_db(transaction=True)
def test_migration_0019_brings_notice_periods_into_range_before_adding_its_constraint():
    """Rows the admin could save before 0019 (0, 400 days) reach the nearest bound, those in range
    stay, and the constraint is then added over them: the migration run back to 0018 and forward,
    on rows written in between without the constraint."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    days = {"zero": 0, "low": 1, "usual": 14, "high": 365, "over": 400, "far": 32767}
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE_0019)
        before = executor.loader.project_state(BEFORE_0019).apps
        for slug, notice in days.items():
            before.get_model("registers", "Organisation").objects.create(
                slug=slug, name=slug, reminder_notice_days=notice
            )

        MigrationExecutor(connection).migrate(AT_0019)

        clamped = dict(Organisation.objects.values_list("slug", "reminder_notice_days"))
        assert clamped == {"zero": 1, "low": 1, "usual": 14, "high": 365, "over": 365, "far": 365}
        with pytest.raises(IntegrityError), transaction.atomic():
            Organisation.objects.filter(slug="usual").update(reminder_notice_days=0)
    finally:
        # Whatever happened, the database ends fully migrated for the tests after this one: the
        # rows go first, so that a failed clamp does not also stop the constraint's re-adding.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM registers_organisation WHERE slug = ANY(%s)", [list(days)])
        MigrationExecutor(connection).migrate(leaves)
