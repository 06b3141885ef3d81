"""What ``organisation_create`` costs, and the proofs that let it skip Django's constraint queries
(decision 97): every organisation of every test is made by it, so its queries are pinned, and
each constraint it no longer asks the database about is shown to be checked another way, with
the same errors as ``full_clean()``."""

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from simple_history.models import HistoricalRecords

from appetite.models import AppetiteLevel
from appetite.presets import APPETITE_PRESETS
from appetite.services import appetite_levels_install
from registers import caching
from registers.models import Organisation, Register
from registers.services.organisations import organisation_create, register_create
from scoring.models import Scheme
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The organisation, its scheme and version, five appetite levels, its register and their history
# rows, the coordinators' group and grant, the register's address checked against old addresses,
# the test's own savepoint and each step's (scheme, levels, register, grant: each service keeps
# its own atomic block): 39; none of them a constraint check. It was 110 (decision 97). Two more
# since decision 108: register_create takes the tree's lock and checks the name under it for
# every register, the top one too (here the organisation is this transaction's own, so the lock
# never waits): about 0.7 ms of 17 ms, measured on a busy machine.
ORGANISATION_CREATE_QUERIES = 41


def _messages(build) -> dict:
    with pytest.raises(ValidationError) as refused:
        build()
    return refused.value.message_dict


def test_organisation_create_stays_within_its_queries(django_assert_max_num_queries):
    organisation_create(slug="first", name="First")  # content types cached, as in any process
    with django_assert_max_num_queries(ORGANISATION_CREATE_QUERIES):
        organisation = organisation_create(slug="second", name="Second")
    assert organisation.appetite_levels.count() == 5
    assert organisation.registers.get().slug == "corporate"


# Each of Organisation's CheckConstraints, with values that break it; a field check (validators
# or choices) refuses each, which is why organisation_create does not ask the database.
ORGANISATION_CONSTRAINTS = {
    "organisation_review_months_range": [
        {"default_review_months": 0},
        {"default_review_months": 61},
    ],
    "organisation_second_factor_rule_valid": [{"second_factor_required": "sometimes"}],
    "organisation_default_marking_valid": [{"default_marking": "SECRET"}],
    "organisation_pack_order_valid": [{"pack_order": "random"}],
    "organisation_deep_dive_quarters_range": [
        {"deep_dive_quarters": 0},
        {"deep_dive_quarters": 13},
    ],
    "organisation_acceptance_authority_valid": [{"acceptance_authority": "anyone"}],
    "organisation_reminder_notice_days_range": [
        {"reminder_notice_days": 0},
        {"reminder_notice_days": 366},
    ],
}
MODEL_CONSTRAINTS = {constraint.name for constraint in Organisation._meta.constraints}


def test_every_organisation_constraint_is_one_a_field_check_covers():
    """A new constraint fails this: organisation_create must then validate it, or a field check
    must refuse everything it refuses, shown by adding it above with values that break it."""
    assert not MODEL_CONSTRAINTS - set(ORGANISATION_CONSTRAINTS)


@pytest.mark.parametrize(
    "values",
    [
        values
        for name, cases in ORGANISATION_CONSTRAINTS.items()
        if name in MODEL_CONSTRAINTS
        for values in cases
    ]
    + [{"default_review_months": 0, "pack_order": "x", "name": ""}],
)
def test_organisation_create_refuses_as_full_clean_does(values):
    fields = {"slug": "bad", "name": "Bad", **values}
    expected = _messages(lambda: Organisation(**fields).full_clean())
    assert _messages(lambda: organisation_create(**fields)) == expected
    assert not Organisation.objects.filter(slug="bad").exists()


def test_register_constraints_are_proven_or_field_checks(organisation):
    assert {c.name for c in Register._meta.constraints} == {
        "register_unique_slug",  # register_create refuses a taken slug itself
        "register_level_valid",
        "register_review_months_range",
        "register_not_own_parent",  # a register not yet saved is nobody's parent
    }
    for values in ({"level": "galaxy"}, {"review_months": 0}, {"review_months": 61}):
        fields = {"organisation": organisation, "slug": "extra", "name": "Extra", **values}
        expected = _messages(lambda fields=fields: Register(**fields).full_clean())
        assert _messages(lambda fields=fields: register_create(**fields)) == expected


def test_scheme_constraints_are_the_ones_scheme_save_proves():
    assert {c.name for c in Scheme._meta.constraints} == {
        "scheme_unique_name",  # scheme_save reads the organisation's scheme of that name
        "scheme_one_default_per_organisation",  # and whether it has a default
    }


def test_appetite_level_constraints_are_the_ones_the_install_proves():
    assert {c.name for c in AppetiteLevel._meta.constraints} == {
        "appetite_level_name",
        "appetite_level_position",
        "appetite_level_range_ordered",
    }
    for levels in APPETITE_PRESETS.values():
        assert len({level["name"] for level in levels}) == len(levels)


def test_a_preset_whose_position_is_taken_is_refused_as_full_clean_refuses(organisation):
    """Aberdeen's "Avoid" would be level 1, which the Orange Book's "Averse" already is."""
    avoid = {"organisation": organisation, "position": 1, **APPETITE_PRESETS["aberdeen"][0]}
    expected = _messages(lambda: AppetiteLevel(**avoid).full_clean())
    assert "__all__" in expected
    refused = _messages(
        lambda: appetite_levels_install(organisation=organisation, preset="aberdeen")
    )
    assert refused == expected
    assert list(organisation.appetite_levels.values_list("name", flat=True)) == [
        "Averse",
        "Minimal",
        "Cautious",
        "Open",
        "Eager",
    ]


def test_installing_again_keeps_the_levels_and_writes_nothing(
    organisation, django_assert_num_queries
):
    before = list(organisation.appetite_levels.all())
    with django_assert_num_queries(3):  # the savepoint, the levels read
        after = appetite_levels_install(organisation=organisation)
    assert after == before
    assert AppetiteLevel.history.filter(organisation=organisation).count() == 5


def test_every_history_row_is_the_saves_own_with_the_requests_user():
    person = UserFactory()
    request = RequestFactory().get("/")
    request.user = person
    HistoricalRecords.context.request = request
    try:
        organisation = organisation_create(slug="audited", name="Audited")
    finally:
        del HistoricalRecords.context.request
    histories = [
        Organisation.history.filter(id=organisation.id),
        Scheme.history.filter(organisation=organisation),
        AppetiteLevel.history.filter(organisation=organisation),
        Register.history.filter(organisation=organisation),
    ]
    rows = [row for history in histories for row in history.order_by("history_id")]
    assert len(rows) == 1 + 2 + 5 + 1  # the scheme's second: its first version
    assert [(row.history_type, row.history_change_reason) for row in rows] == [
        ("+", None),
        ("+", None),
        ("~", "version 1"),
        *[("+", None)] * 6,
    ]
    assert {row.history_user for row in rows} == {person}
    levels = AppetiteLevel.history.filter(organisation=organisation).order_by("history_id")
    assert [(row.name, row.position, row.id) for row in levels] == list(
        organisation.appetite_levels.values_list("name", "position", "id")
    )


def test_installing_levels_drops_what_was_kept_of_the_organisation(organisation):
    """The levels are written in one insert, which sends no signal: the service says so."""
    organisation.appetite_levels.all().delete()
    kept = caching.generation(organisation.id)
    appetite_levels_install(organisation=organisation)
    assert caching.generation(organisation.id) != kept
