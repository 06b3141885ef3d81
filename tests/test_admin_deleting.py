"""A superuser deletes an account or an organisation in the Django admin (decision 118).

Memberships, register grants, escalations, schemes, categories and objectives are never deleted
alone there (read on their pages, or retired), but they go with the account or organisation
that holds them: Django asked each row's admin whether it could be deleted, so every such
delete was refused ("Cannot delete membership", the post a 403). Rows another keeps (a risk's
owner, a register's risks) still stop the delete, and the page says which; never a 500.
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from registers.models import Membership, Organisation, Register, Risk, Role, User
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    RegisterFactory,
    RiskFactory,
    corporate_register_of,
)

pytestmark = pytest.mark.django_db


def test_a_superuser_deletes_an_account_with_its_memberships(admin_client, caplog):
    membership = MembershipFactory(role=Role.COORDINATOR)
    person = membership.user
    url = reverse("admin:registers_user_delete", args=[person.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert not page.context["perms_lacking"] and not page.context["protected"]
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=person.pk).exists()
    assert not Membership.objects.filter(pk=membership.pk).exists()
    lines = [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]
    assert any(f"account deleted: user={person.pk}" in line for line in lines), lines
    assert any("membership removed" in line for line in lines), lines


def test_a_risk_owner_is_not_deleted_and_the_page_says_why(admin_client):
    owner = MembershipFactory(role=Role.OWNER)
    risk = RiskFactory(register=corporate_register_of(owner.organisation), owner=owner.user)
    url = reverse("admin:registers_user_delete", args=[owner.user.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "protected" in page.content.decode() and risk.ref in page.content.decode()
    assert admin_client.post(url, {"post": "yes"}).status_code == 200
    assert User.objects.filter(pk=owner.user.pk).exists()


def test_an_organisation_is_refused_for_the_rows_that_keep_it_never_for_its_memberships(
    admin_client,
):
    """Every organisation's registers keep its scheme (``PROTECT``) and its risks keep their
    register: the page names them, and the post deletes nothing; never the 403 of "Cannot delete
    membership" that no superuser could get past, never a 500."""
    org = OrganisationFactory()
    MembershipFactory.create_batch(2, organisation=org, role=Role.ADMIN)
    register = RegisterFactory(organisation=org)
    risk = RiskFactory(register=register)
    url = reverse("admin:registers_organisation_delete", args=[org.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "would require deleting the following protected related objects" in text
    assert risk.ref in text and "Scheme" in text
    assert not page.context["perms_lacking"]  # no "Cannot delete membership"
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert Organisation.objects.filter(pk=org.pk).exists()
    assert Membership.objects.filter(organisation=org).count() == 2
    assert Risk.objects.filter(pk=risk.pk).exists() and Register.objects.filter(pk=register.pk)


def test_an_organisation_admin_deletes_neither_accounts_nor_organisations():
    membership = MembershipFactory(role=Role.ADMIN)
    admin = membership.user
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    colleague = MembershipFactory(organisation=membership.organisation, role=Role.VIEWER).user
    client = Client()
    client.force_login(admin)
    org_url = reverse("admin:registers_organisation_delete", args=[membership.organisation.pk])
    user_url = reverse("admin:registers_user_delete", args=[colleague.pk])
    for url in (org_url, user_url):
        assert client.get(url).status_code in (302, 403)
        assert client.post(url, {"post": "yes"}).status_code in (302, 403)
    assert User.objects.filter(pk=colleague.pk).exists()
    assert Organisation.objects.filter(pk=membership.organisation.pk).exists()
    changed = client.get(
        reverse("admin:registers_organisation_change", args=[membership.organisation.pk])
    )
    assert "deletelink" not in changed.content.decode()
