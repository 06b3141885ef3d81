"""Two admins changing one appetite statement: a save from a page opened at an older version
applies only what that admin changed; a field both changed to different values is shown with both
values and left to the admin to choose; thresholds are checked as they will be stored."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from appetite.models import AppetiteStatement
from appetite.services import STATEMENT_VERSION_UNKNOWN, StatementConflict, appetite_statement_set
from registers.merging import KEEP_MINE, KEEP_THEIRS
from registers.models import Role
from registers.services.treatments import CHOOSE_A_VALUE
from tests.factories import CategoryFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement(organisation):
    finance = CategoryFactory(organisation=organisation, name="Finance", position=1)
    return appetite_statement_set(
        organisation=organisation, category=finance, tolerance=12, warning=8, rationale="Prudent"
    )


@pytest.fixture
def admins(organisation):
    clients = []
    for name in ("Ann", "Ben"):
        user = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
        user.full_name = f"{name} Admin"
        user.save()
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def url(statement):
    return reverse("appetite_statement_edit", args=[statement.organisation.slug, statement.pk])


def opened(statement):
    statement = AppetiteStatement.objects.get(pk=statement.pk)
    return {
        "level": statement.level_id or "",
        "tolerance": statement.tolerance,
        "warning": statement.warning or "",
        "rationale": statement.rationale,
        "reason": "Review",
        "version": statement.version,
    }


def test_the_edit_page_carries_the_version(admins, statement):
    ann, _ = admins
    assert 'name="version" value="1"' in ann.get(url(statement)).content.decode()


def test_a_stale_save_applies_only_what_that_admin_changed(admins, statement):
    ann, ben = admins
    ann_form, ben_form = opened(statement), opened(statement)
    assert ann.post(url(statement), ann_form | {"tolerance": 14}).status_code == 302
    assert ben.post(url(statement), ben_form | {"rationale": "Board, May"}).status_code == 302
    statement.refresh_from_db()
    assert (statement.tolerance, statement.rationale, statement.version) == (14, "Board, May", 3)
    # Ben's old page saved again does not put the old tolerance back
    ben.post(url(statement), ben_form | {"rationale": "Board, May"})
    statement.refresh_from_db()
    assert statement.tolerance == 14
    assert 12 not in set(
        statement.history.filter(version__gt=1).values_list("tolerance", flat=True)
    )


def test_both_changing_the_tolerance_is_shown_and_resolved_by_choosing(admins, statement):
    ann, ben = admins
    ann_form, ben_form = opened(statement), opened(statement)
    ann.post(url(statement), ann_form | {"tolerance": 14})
    response = ben.post(url(statement), ben_form | {"tolerance": 16, "rationale": "Ben's"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Not saved: someone else changed this appetite statement" in html
    assert "Ann Admin" in html and "You both changed" in html
    assert 'name="keep-tolerance"' in html and 'name="choices_at" value="2"' in html
    statement.refresh_from_db()
    assert statement.tolerance == 14 and statement.rationale == "Prudent"
    resend = ben_form | {"tolerance": 16, "rationale": "Ben's", "choices_at": 2}
    assert (
        CHOOSE_A_VALUE.format(field="tolerance threshold")
        in ben.post(url(statement), resend).content.decode()
    )
    assert ben.post(url(statement), resend | {"keep-tolerance": KEEP_MINE}).status_code == 302
    statement.refresh_from_db()
    assert (statement.tolerance, statement.rationale) == (16, "Ben's")


def test_keeping_theirs(organisation, statement):
    appetite_statement_set(
        organisation=organisation,
        category=statement.category,
        tolerance=14,
        warning=8,
        rationale="Prudent",
        expected_version=1,
    )
    with pytest.raises(StatementConflict):
        appetite_statement_set(
            organisation=organisation,
            category=statement.category,
            tolerance=16,
            warning=8,
            rationale="Prudent",
            expected_version=1,
        )
    kept = appetite_statement_set(
        organisation=organisation,
        category=statement.category,
        tolerance=16,
        warning=10,
        rationale="Prudent",
        expected_version=1,
        choices={"tolerance": KEEP_THEIRS},
        choices_at=2,
    )
    assert (kept.tolerance, kept.warning) == (14, 10)


def test_merged_thresholds_are_checked_as_stored(organisation, statement):
    appetite_statement_set(
        organisation=organisation,
        category=statement.category,
        tolerance=9,
        warning=8,
        rationale="Prudent",
        expected_version=1,
    )
    with pytest.raises(ValidationError, match="must be below the tolerance"):
        appetite_statement_set(
            organisation=organisation,
            category=statement.category,
            tolerance=12,
            warning=10,
            rationale="Prudent",
            expected_version=1,
        )


def test_a_version_from_the_future_is_refused(organisation, statement):
    with pytest.raises(ValidationError, match=STATEMENT_VERSION_UNKNOWN):
        appetite_statement_set(
            organisation=organisation,
            category=statement.category,
            tolerance=11,
            expected_version=5,
        )
