"""The Django admin writes as the product's pages do, or not at all (decision 118): risk links,
appetite statements, categories, objectives and the organisation's profile through their
services; escalations, schemes and their versions, appetite levels, memberships and register
grants read there, by superusers too; a risk is never deleted there."""

import json

import pytest
from django.urls import reverse

from appetite.models import AppetiteLevel, AppetiteStatement
from appetite.services import appetite_statement_set
from registers.forms import RiskForm
from registers.models import (
    Category,
    Escalation,
    EscalationStatus,
    Marking,
    Membership,
    Organisation,
    Register,
    Risk,
    RiskLink,
    RiskStatus,
    Role,
)
from registers.services.categories import category_add
from registers.services.escalation import escalation_request
from registers.services.profile import PROFILE_FIELDS, TIMEZONE_UNKNOWN
from registers.services.risks import EDITABLE_FIELDS, RISK_EDITABLE_FIELDS
from riskreg.admin.risks import RISK_EDITABLE
from riskreg.admin.saving import CHANGED_IN_ADMIN_REASON, REMOVED_IN_ADMIN_REASON
from scoring.models import Scheme, SchemeVersion
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    RegisterFactory,
    RiskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation_admin(organisation):
    user = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def risk(corporate_register):
    return RiskFactory(register=corporate_register, ref="CRR17", title="Data loss")


def url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def reason_of(obj) -> str:
    return obj.history.first().history_change_reason


# --- risks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["organisation_admin", "superuser"])
def test_a_risk_is_not_deleted_in_the_admin_but_closed_on_its_page(client, request, risk, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(url("registers_risk_delete", risk.pk), {"post": "yes"}, follow=True)
    assert Risk.objects.filter(pk=risk.pk).exists()
    assert response.redirect_chain[-1][0] == url("registers_risk_change", risk.pk)
    page = response.content.decode()
    assert "CRR17 was not deleted" in page
    assert f'href="/o/{risk.organisation.slug}/risks/CRR17/"' in page
    changelist = client.get(url("registers_risk_changelist")).content.decode()
    assert 'value="delete_selected"' not in changelist


def test_a_risk_added_in_the_admin_takes_its_organisations_marking(
    client, organisation_admin, organisation, corporate_register
):
    Organisation.objects.filter(pk=organisation.pk).update(
        default_marking=Marking.OFFICIAL_SENSITIVE
    )
    client.force_login(organisation_admin)
    page = client.get(url("registers_risk_add"))
    marking = page.context["adminform"].form["marking"].value() or ""
    response = client.post(
        url("registers_risk_add"),
        {
            "register": corporate_register.pk,
            "ref": "NEW-2",
            "title": "Left as the form opened",
            "kind": "threat",
            "marking": marking,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert corporate_register.risks.get(ref="NEW-2").marking == Marking.OFFICIAL_SENSITIVE


def test_a_marking_chosen_in_the_admin_is_kept(client, organisation_admin, corporate_register):
    client.force_login(organisation_admin)
    response = client.post(
        url("registers_risk_add"),
        {
            "register": corporate_register.pk,
            "ref": "NEW-3",
            "title": "Chosen",
            "kind": "threat",
            "marking": Marking.OFFICIAL_SENSITIVE,
        },
    )
    assert response.status_code == 302
    assert corporate_register.risks.get(ref="NEW-3").marking == Marking.OFFICIAL_SENSITIVE


def test_the_form_the_admin_and_the_service_change_one_list_of_risk_fields():
    assert set(RISK_EDITABLE_FIELDS) == EDITABLE_FIELDS
    assert [name for name in RISK_EDITABLE if name in EDITABLE_FIELDS] == list(RISK_EDITABLE_FIELDS)
    assert [name for name in RISK_EDITABLE_FIELDS if name in RiskForm.base_fields] == list(
        RiskForm.SERVICE_FIELDS
    )


# --- escalations, schemes, appetite levels, memberships: read here ----------------------------


@pytest.fixture
def escalation(organisation, organisation_admin):
    school = RegisterFactory(organisation=organisation)
    moving = RiskFactory(register=school, ref="SCH-1")
    return escalation_request(risk=moving, user=organisation_admin, reason="Too big for us")


@pytest.mark.parametrize("who", ["organisation_admin", "superuser"])
def test_an_escalation_is_decided_on_its_page_not_in_the_admin(client, request, escalation, who):
    client.force_login(request.getfixturevalue(who))
    change = url("registers_escalation_change", escalation.pk)
    page = client.get(change).content.decode()
    register = escalation.to_register
    assert f'href="/o/{register.organisation.slug}/registers/{register.slug}/escalations/"' in page
    response = client.post(
        change,
        {
            "organisation": escalation.organisation_id,
            "risk": escalation.risk_id,
            "direction": escalation.direction,
            "from_register": escalation.from_register_id,
            "to_register": escalation.to_register_id,
            "reason": escalation.reason,
            "status": EscalationStatus.ACCEPTED,
        },
    )
    assert response.status_code == 403
    assert client.post(url("registers_escalation_delete", escalation.pk)).status_code == 403
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.PENDING
    assert escalation.risk.status == RiskStatus.ESCALATED
    assert Escalation.objects.filter(pk=escalation.pk).exists()


def test_a_scheme_is_changed_on_the_scheme_settings_not_in_the_admin(
    client, superuser, organisation
):
    scheme = Scheme.objects.get(organisation=organisation, is_default=True)
    client.force_login(superuser)
    page = client.get(url("scoring_scheme_change", scheme.pk)).content.decode()
    assert f'href="/o/{organisation.slug}/settings/scheme/"' in page
    response = client.post(
        url("scoring_scheme_change", scheme.pk),
        {"organisation": organisation.pk, "name": "Renamed", "current_version": ""},
    )
    assert response.status_code == 403
    assert client.post(url("scoring_scheme_delete", scheme.pk), {"post": "yes"}).status_code == 403
    version = scheme.current_version
    deleting = client.post(url("scoring_schemeversion_delete", version.pk), {"post": "yes"})
    assert deleting.status_code == 403
    scheme.refresh_from_db()
    assert scheme.name != "Renamed" and scheme.current_version_id == version.pk
    assert SchemeVersion.objects.filter(pk=version.pk).exists()


@pytest.mark.parametrize("who", ["organisation_admin", "superuser"])
def test_appetite_levels_are_saved_together_on_their_page_not_one_by_one(
    client, request, organisation, who
):
    level = AppetiteLevel.objects.filter(organisation=organisation).order_by("position").first()
    client.force_login(request.getfixturevalue(who))
    page = client.get(url("appetite_appetitelevel_change", level.pk)).content.decode()
    assert f'href="/o/{organisation.slug}/appetite/levels/"' in page
    response = client.post(
        url("appetite_appetitelevel_change", level.pk),
        {
            "organisation": organisation.pk,
            "name": level.name,
            "position": level.position,
            "min_score": 1,
            "max_score": 25,  # over every other level's range
        },
    )
    assert response.status_code == 403
    level.refresh_from_db()
    assert level.max_score != 25


def test_a_superuser_changes_memberships_on_the_members_pages(
    client, superuser, organisation, organisation_admin
):
    membership = Membership.objects.get(user=organisation_admin, organisation=organisation)
    client.force_login(superuser)
    response = client.post(
        url("registers_membership_change", membership.pk),
        {"user": organisation_admin.pk, "organisation": organisation.pk, "role": Role.VIEWER},
    )
    assert response.status_code == 403  # the organisation's last admin, left as one
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


# --- risk links --------------------------------------------------------------------------------


@pytest.fixture
def other_risk(corporate_register):
    return RiskFactory(register=corporate_register, ref="CRR18", title="Supplier failure")


def test_a_link_added_in_the_admin_is_written_into_both_risks_history(
    client, organisation_admin, risk, other_risk
):
    client.force_login(organisation_admin)
    response = client.post(
        url("registers_risklink_add"),
        {"from_risk": risk.pk, "to_risk": other_risk.pk, "note": "Same supplier"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    link = RiskLink.objects.get()
    assert link.organisation_id == risk.organisation_id
    assert reason_of(risk) == "linked to CRR18: Same supplier"
    assert reason_of(other_risk) == "linked to CRR17: Same supplier"


def test_a_link_the_service_refuses_is_the_forms_error_not_a_second_link(
    client, organisation_admin, risk, other_risk
):
    client.force_login(organisation_admin)
    first = {"from_risk": risk.pk, "to_risk": other_risk.pk, "note": ""}
    assert client.post(url("registers_risklink_add"), first).status_code == 302
    reversed_pair = {"from_risk": other_risk.pk, "to_risk": risk.pk, "note": ""}
    response = client.post(url("registers_risklink_add"), reversed_pair)
    assert response.status_code == 200
    assert "already linked" in str(response.context["adminform"].form.errors)
    assert RiskLink.objects.count() == 1


def test_a_link_deleted_in_the_admin_is_removed_with_its_history(
    client, organisation_admin, risk, other_risk
):
    client.force_login(organisation_admin)
    client.post(url("registers_risklink_add"), {"from_risk": risk.pk, "to_risk": other_risk.pk})
    link = RiskLink.objects.get()
    response = client.post(url("registers_risklink_delete", link.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not RiskLink.objects.exists()
    assert reason_of(risk) == "unlinked from CRR18"
    assert reason_of(other_risk) == "unlinked from CRR17"


# --- appetite statements -----------------------------------------------------------------------


@pytest.fixture
def statement(organisation):
    return appetite_statement_set(organisation=organisation, tolerance=12, warning=8)


def statement_data(statement, **changes) -> dict:
    data = {
        "loaded_version": statement.version,
        "level": statement.level_id or "",
        "tolerance": statement.tolerance,
        "warning": statement.warning if statement.warning is not None else "",
        "rationale": statement.rationale,
    }
    data.update(changes)
    return data


def test_a_tolerance_no_risk_could_breach_is_refused_in_the_admin(
    client, organisation_admin, statement
):
    client.force_login(organisation_admin)
    response = client.post(
        url("appetite_appetitestatement_change", statement.pk),
        statement_data(statement, tolerance=30),  # the default 5x5 scheme's highest is 25
    )
    assert response.status_code == 200
    assert "tolerance" in response.context["adminform"].form.errors
    statement.refresh_from_db()
    assert statement.tolerance == 12


def test_a_statement_changed_in_the_admin_has_a_new_version_and_a_reason(
    client, organisation_admin, statement
):
    client.force_login(organisation_admin)
    response = client.post(
        url("appetite_appetitestatement_change", statement.pk),
        statement_data(statement, tolerance=15),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    statement.refresh_from_db()
    assert (statement.tolerance, statement.version) == (15, 2)
    assert reason_of(statement) == CHANGED_IN_ADMIN_REASON


def test_a_statement_changed_by_someone_else_meanwhile_is_not_written_over(
    client, organisation_admin, statement, organisation
):
    client.force_login(organisation_admin)
    opened = statement_data(statement, tolerance=15)
    appetite_statement_set(
        organisation=organisation, tolerance=10, warning=8, expected_version=statement.version
    )
    response = client.post(url("appetite_appetitestatement_change", statement.pk), opened)
    assert response.status_code == 200
    statement.refresh_from_db()
    assert statement.tolerance == 10


def test_a_statement_deleted_in_the_admin_is_removed_with_a_reason(
    client, organisation_admin, statement
):
    client.force_login(organisation_admin)
    response = client.post(url("appetite_appetitestatement_delete", statement.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not AppetiteStatement.objects.filter(pk=statement.pk).exists()
    removed = AppetiteStatement.history.filter(id=statement.pk).first()
    assert removed.history_type == "-"
    assert removed.history_change_reason == REMOVED_IN_ADMIN_REASON


# --- categories and objectives ----------------------------------------------------------------


def test_a_category_added_in_the_admin_goes_at_the_end_with_its_reason(
    client, organisation_admin, organisation
):
    category_add(organisation=organisation, name="Finance")
    client.force_login(organisation_admin)
    response = client.post(
        url("registers_category_add"),
        {"organisation": organisation.pk, "name": "  Cyber  ", "description": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    added = Category.objects.get(organisation=organisation, name="Cyber")
    last = Category.objects.filter(organisation=organisation).exclude(pk=added.pk)
    assert added.position > max(last.values_list("position", flat=True))
    assert reason_of(added) == "added"


def test_a_category_renamed_in_the_admin_says_so_in_its_history(
    client, organisation_admin, organisation
):
    category = category_add(organisation=organisation, name="Cyber")
    client.force_login(organisation_admin)
    response = client.post(url("registers_category_change", category.pk), {"name": "Cyber risk"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    category.refresh_from_db()
    assert category.name == "Cyber risk"
    assert reason_of(category) == "renamed from Cyber"


def test_a_category_name_taken_in_another_case_is_refused(client, organisation_admin, organisation):
    category_add(organisation=organisation, name="Cyber")
    category = category_add(organisation=organisation, name="Fraud")
    client.force_login(organisation_admin)
    response = client.post(url("registers_category_change", category.pk), {"name": "CYBER"})
    assert response.status_code == 200
    assert "name" in response.context["adminform"].form.errors
    category.refresh_from_db()
    assert category.name == "Fraud"


def test_a_category_is_retired_or_merged_on_its_page_not_deleted_in_the_admin(
    client, organisation_admin, organisation
):
    category = category_add(organisation=organisation, name="Cyber")
    appetite_statement_set(organisation=organisation, category=category, tolerance=12)
    client.force_login(organisation_admin)
    response = client.post(
        url("registers_category_delete", category.pk), {"post": "yes"}, follow=True
    )
    assert "Cyber was not deleted" in response.content.decode()
    assert Category.objects.filter(pk=category.pk).exists()
    assert AppetiteStatement.objects.filter(category=category).exists()


# --- the organisation --------------------------------------------------------------------------


def profile_data(organisation, **changes) -> dict:
    data = {}
    for name in (*PROFILE_FIELDS, "response_options"):
        value = getattr(organisation, name)
        data[name] = json.dumps(value) if isinstance(value, list) else value
    data.update(changes)
    return data


def test_the_profile_changed_in_the_admin_is_checked_as_on_the_profile_page(
    client, organisation_admin, organisation
):
    client.force_login(organisation_admin)
    response = client.post(
        url("registers_organisation_change", organisation.pk),
        profile_data(organisation, timezone="Mars/Olympus"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["timezone"] == [TIMEZONE_UNKNOWN.format(zone="Mars/Olympus")]
    organisation.refresh_from_db()
    assert organisation.timezone == "Europe/London"


def test_the_profile_changed_in_the_admin_names_what_changed_in_its_history(
    client, organisation_admin, organisation
):
    client.force_login(organisation_admin)
    response = client.post(
        url("registers_organisation_change", organisation.pk),
        profile_data(organisation, panel_name="Audit Committee"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    organisation.refresh_from_db()
    assert organisation.panel_name == "Audit Committee"
    assert reason_of(organisation) == "profile changed: committee or panel"


def test_the_organisations_address_and_other_pages_settings_are_read_only_in_the_admin(
    client, organisation_admin, organisation
):
    client.force_login(organisation_admin)
    form = (
        client.get(url("registers_organisation_change", organisation.pk)).context["adminform"].form
    )
    for name in ("slug", "second_factor_required", "acceptance_authority", "pack_registers"):
        assert name not in form.fields
    assert (
        f'href="/o/{organisation.slug}/settings/"'
        in client.get(url("registers_organisation_change", organisation.pk)).content.decode()
    )


def test_response_options_that_are_not_a_list_of_names_are_refused(
    client, organisation_admin, organisation
):
    client.force_login(organisation_admin)
    response = client.post(
        url("registers_organisation_change", organisation.pk),
        profile_data(organisation, response_options='"Treat"'),
    )
    assert response.status_code == 200
    assert "response_options" in response.context["adminform"].form.errors


def test_an_organisation_a_superuser_adds_in_the_admin_can_rate_risks(client, superuser):
    client.force_login(superuser)
    data = profile_data(OrganisationFactory.build(), name="Newtown Council")
    data.update(slug="newtown", quarter_end_months="[3, 6, 9, 12]", committee_months="[]")
    response = client.post(url("registers_organisation_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    added = Organisation.objects.get(slug="newtown")
    assert Scheme.objects.filter(organisation=added, is_default=True).exists()
    assert Register.objects.filter(organisation=added, slug="corporate").exists()
