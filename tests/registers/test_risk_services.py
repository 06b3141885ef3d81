import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from registers.models import Risk
from registers.services.risks import (
    CURRENT_NOT_LOWER,
    next_review_due,
    risk_create,
    risk_warnings,
)
from scoring.presets import preset
from scoring.services import scheme_save
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    OrganisationFactory,
    RiskFactory,
    corporate_register_of,
)

pytestmark = pytest.mark.django_db


def test_rating_is_made_by_the_engine_and_names_the_scheme_version(organisation):
    risk = risk_create(
        register=corporate_register_of(organisation),
        ref="R1",
        title="Fire",
        positions={"inherent": ("H", "VS"), "current": (3, "Serious"), "target": ("L", 2)},
    )
    assert (risk.inherent_score, risk.current_score, risk.target_score) == (20, 12, 4)
    assert risk.current_band == "Medium"
    assert risk.scheme_version.scheme.organisation == organisation
    assert (risk.current_likelihood, risk.current_impact) == (3, 4)


def test_off_scale_position_is_rejected_and_nothing_is_saved(organisation):
    with pytest.raises(ValidationError) as excinfo:
        risk_create(
            register=corporate_register_of(organisation),
            ref="R1",
            title="Fire",
            positions={"current": (9, 2)},
        )
    assert "likelihood 9 is not on the scheme" in str(excinfo.value.message_dict)
    assert not Risk.objects.filter(organisation=organisation).exists()


def test_duplicate_ref_in_organisation_is_refused_but_other_organisation_may_reuse_it():
    first = RiskFactory(ref="CRR01")
    with pytest.raises(ValidationError, match="already has a risk"):
        risk_create(register=first.register, ref="crr01", title="Again")
    other = OrganisationFactory()
    assert (
        risk_create(register=corporate_register_of(other), ref="CRR01", title="Theirs").ref
        == "CRR01"
    )


def test_database_enforces_unique_ref_per_organisation():
    risk = RiskFactory(ref="X1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.create(
            organisation=risk.organisation, register=risk.register, ref="X1", title="Dup"
        )


def test_database_rejects_half_a_position_and_out_of_range_levels(organisation):
    register = corporate_register_of(organisation)
    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.create(
            organisation=organisation, register=register, ref="A", title="t", current_likelihood=3
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.create(
            organisation=organisation,
            register=register,
            ref="B",
            title="t",
            current_likelihood=11,
            current_impact=1,
        )


def test_database_requires_a_reason_to_close(organisation):
    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.create(
            organisation=organisation,
            register=corporate_register_of(organisation),
            ref="C",
            title="t",
            status="closed",
        )


def test_category_and_owner_must_belong_to_the_organisation(organisation, other_organisation):
    foreign_category = CategoryFactory(organisation=other_organisation)
    with pytest.raises(ValidationError, match="belongs to another organisation"):
        risk_create(
            register=corporate_register_of(organisation),
            ref="R1",
            title="t",
            category=foreign_category,
        )
    outsider = MembershipFactory(organisation=other_organisation).user
    with pytest.raises(ValidationError, match="is not a member"):
        risk_create(
            register=corporate_register_of(organisation), ref="R1", title="t", owner=outsider
        )


def test_response_must_be_one_of_the_organisations_options(organisation):
    with pytest.raises(ValidationError, match="is not one of Treat, Tolerate, Transfer, Terminate"):
        risk_create(
            register=corporate_register_of(organisation), ref="R1", title="t", response="Ignore"
        )


def test_aberdeen_rule_current_not_lower_than_initial_warns_but_saves(organisation):
    risk = risk_create(
        register=corporate_register_of(organisation),
        ref="R1",
        title="t",
        positions={"inherent": (3, 3), "current": (3, 3)},
    )
    assert Risk.objects.filter(pk=risk.pk).exists()
    assert risk_warnings(risk) == [CURRENT_NOT_LOWER]
    lower = risk_create(
        register=corporate_register_of(organisation),
        ref="R2",
        title="t",
        positions={"inherent": (3, 3), "current": (2, 3)},
    )
    assert risk_warnings(lower) == []


@pytest.mark.parametrize(
    ("position", "months"),
    [((1, 5), 12), ((2, 4), 12), ((3, 4), 12), ((3, 5), 6), ((4, 5), 6), ((5, 5), 3)],
)
def test_espo_next_review_follows_the_band_of_the_current_score(position, months):
    organisation = OrganisationFactory()
    scheme_save(organisation=organisation, definition=preset("espo-5x5"), make_default=True)
    risk = risk_create(
        register=corporate_register_of(organisation),
        ref="R1",
        title="t",
        positions={"current": position},
        reviewed_on=dt.date(2026, 1, 31),
    )
    assert risk.next_review_due == dt.date(2026, 1, 31) + relativedelta(months=months)


def test_register_and_risk_override_the_band_period(organisation):
    register = corporate_register_of(organisation)
    register.review_months = 6
    register.save()
    risk = risk_create(register=register, ref="R1", title="t", positions={"current": (1, 1)})
    scheme = risk.scheme_version.parsed
    assert next_review_due(risk=risk, scheme=scheme, reviewed_on=dt.date(2026, 3, 1)) == dt.date(
        2026, 9, 1
    )
    risk.review_months = 1
    assert next_review_due(risk=risk, scheme=scheme, reviewed_on=dt.date(2026, 3, 1)) == dt.date(
        2026, 4, 1
    )


def test_history_records_creation_with_reason(organisation):
    risk = risk_create(
        register=corporate_register_of(organisation), ref="R1", title="t", reason="imported"
    )
    record = risk.history.get()
    assert record.history_type == "+" and record.history_change_reason == "imported"
