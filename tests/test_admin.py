"""The Django admin is scoped: an organisation admin sees and links only their organisation."""

import re

import pytest
from django.urls import reverse

from registers.models import Register, Role
from tests.factories import MembershipFactory, OrganisationFactory, RiskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orgs():
    mine, theirs = OrganisationFactory(name="Mine"), OrganisationFactory(name="Theirs")
    mine_risk = RiskFactory(
        register=Register.objects.get(organisation=mine, slug="corporate"),
        ref="MINE-1",
        title="My risk",
    )
    their_risk = RiskFactory(
        register=Register.objects.get(organisation=theirs, slug="corporate"),
        ref="THEIRS-1",
        title="Their risk",
    )
    admin_user = MembershipFactory(organisation=mine, role=Role.ADMIN).user
    admin_user.is_staff = True
    admin_user.save()
    return mine, theirs, mine_risk, their_risk, admin_user


def test_org_admin_sees_only_their_organisations_rows(client, two_orgs):
    mine, theirs, mine_risk, their_risk, admin_user = two_orgs
    client.force_login(admin_user)
    page = client.get(reverse("admin:registers_risk_changelist")).content.decode()
    assert "MINE-1" in page and "THEIRS-1" not in page
    orgs = client.get(reverse("admin:registers_organisation_changelist")).content.decode()
    assert "Mine" in orgs and "Theirs" not in orgs
    assert (
        client.get(reverse("admin:registers_risk_change", args=[mine_risk.pk])).status_code == 200
    )
    other = client.get(reverse("admin:registers_risk_change", args=[their_risk.pk]))
    assert other.status_code in (302, 404)  # admin redirects "does not exist" to the index
    add_page = client.get(reverse("admin:registers_risk_add")).content.decode()
    # Only the register select: other selects' options may share the number by chance.
    register_field = re.search(r'<select name="register".*?</select>', add_page, re.S).group(0)
    theirs_pk = Register.objects.get(organisation=theirs, slug="corporate").pk
    mine_pk = Register.objects.get(organisation=mine, slug="corporate").pk
    assert f'value="{mine_pk}"' in register_field
    assert f'value="{theirs_pk}"' not in register_field


def test_member_without_admin_role_cannot_use_the_admin(client, two_orgs):
    mine = two_orgs[0]
    coordinator = MembershipFactory(organisation=mine, role=Role.COORDINATOR).user
    coordinator.is_staff = True
    coordinator.save()
    client.force_login(coordinator)
    assert client.get(reverse("admin:registers_risk_changelist")).status_code == 403


def test_superuser_sees_everything(client, two_orgs):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    page = client.get(reverse("admin:registers_risk_changelist")).content.decode()
    assert "MINE-1" in page and "THEIRS-1" in page


@pytest.mark.parametrize(
    "model",
    [
        "registers_membership",
        "registers_category",
        "registers_register",
        "registers_control",
        "registers_action",
        "scoring_scheme",
        "scoring_schemeversion",
        "appetite_appetitelevel",
        "appetite_appetitestatement",
    ],
)
def test_every_changelist_opens_for_an_org_admin(client, two_orgs, model):
    client.force_login(two_orgs[4])
    assert client.get(reverse(f"admin:{model}_changelist")).status_code == 200


def test_the_admin_holds_new_refs_to_the_ref_rule(two_orgs):
    from registers.refs import REF_CHARACTERS
    from riskreg.admin.risks import RiskAdminForm

    mine_risk = two_orgs[2]
    form = RiskAdminForm(data={"ref": "A/B"}, instance=mine_risk)
    form.is_valid()
    assert form.errors["ref"] == [REF_CHARACTERS]
    spaced = RiskAdminForm(data={"ref": "A  B"}, instance=mine_risk)
    spaced.is_valid()
    assert "ref" not in spaced.errors and spaced.cleaned_data["ref"] == "A-B"
    # A ref stored before the rule may stay as it is.
    type(mine_risk).objects.filter(pk=mine_risk.pk).update(ref="OLD/1")
    mine_risk.refresh_from_db()
    kept = RiskAdminForm(data={"ref": "OLD/1"}, instance=mine_risk)
    kept.is_valid()
    assert "ref" not in kept.errors
