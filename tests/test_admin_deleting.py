"""A superuser deletes an account or an organisation in the Django admin (decision 118).

Memberships, register grants, escalations, schemes, categories and objectives are never deleted
alone there (read on their pages, or retired), but they go with the account or organisation
that holds them: Django asked each row's admin whether it could be deleted, so every such
delete was refused ("Cannot delete membership", the post a 403). Rows another keeps (a risk's
owner, a register's risks) still stop the delete, and the page says which; never a 500. An
account's delete logs who deleted it and the second factors and single sign-on links that went
with it (decision 131).
"""

from __future__ import annotations

import logging

import pytest
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from api.services import api_token_create
from registers.models import Membership, Organisation, Register, Risk, Role, User
from scoring.models import Scheme
from tests.accounts.test_second_factor import give_totp
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


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "riskreg.security"]


def signs_in_with_more(person) -> None:
    give_totp(person)  # an authenticator app and its recovery codes
    SocialAccount.objects.create(user=person, provider="oidc-x", uid=f"subject-{person.pk}")


def test_an_accounts_delete_logs_who_and_the_second_factors_and_links_it_took(
    admin_client, admin_user, caplog
):
    """Decision 131: the cascade took the account's second factors and single sign-on links
    with no line of their own; the account's page logs them, and who deleted it."""
    person = MembershipFactory(role=Role.VIEWER).user
    signs_in_with_more(person)
    url = reverse("admin:registers_user_delete", args=[person.pk])
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Authenticator.objects.filter(user_id=person.pk).exists()
    assert not SocialAccount.objects.filter(user_id=person.pk).exists()
    by = f"by={admin_user.pk}"
    lines = security_lines(caplog)
    assert f"account deleted: user={person.pk} {by}" in lines, lines
    for expected in (
        f"second factor removed with the account: user={person.pk} type=recovery_codes {by}",
        f"second factor removed with the account: user={person.pk} type=totp {by}",
        f"single sign-on link removed with the account: user={person.pk} provider=oidc-x {by}",
    ):
        assert expected in lines, lines


def test_delete_selected_accounts_logs_each_ones_second_factors_and_links(
    admin_client, admin_user, caplog
):
    people = [MembershipFactory(role=Role.VIEWER).user for _ in range(2)]
    for person in people:
        signs_in_with_more(person)
    bystander = MembershipFactory(role=Role.VIEWER).user
    signs_in_with_more(bystander)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        response = admin_client.post(
            reverse("admin:registers_user_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [person.pk for person in people],
                "post": "yes",
            },
        )
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[person.pk for person in people]).exists()
    lines = security_lines(caplog)
    for person in people:
        assert f"account deleted: user={person.pk} by={admin_user.pk}" in lines, lines
        mine = [line for line in lines if f"user={person.pk} " in line]
        assert sum("second factor removed with the account" in line for line in mine) == 2
        assert sum("single sign-on link removed with the account" in line for line in mine) == 1
    assert not [line for line in lines if f"user={bystander.pk} " in line]
    assert Authenticator.objects.filter(user=bystander).count() == 2


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


def test_delete_selected_organisations_is_refused_on_a_page_and_deletes_nothing(admin_client):
    """Decision 131: "delete selected" on the organisations list, for one as ``create_org``
    makes it (no risk yet: its top register keeps its scheme) and one with members and a risk,
    is Django's page naming the protected rows, never a 500, and nothing of either goes."""
    bare = OrganisationFactory()
    busy = OrganisationFactory()
    MembershipFactory(organisation=busy, role=Role.ADMIN)
    risk = RiskFactory(register=corporate_register_of(busy))
    before = {
        model: model.objects.filter(organisation__in=[bare, busy]).count()
        for model in (Register, Scheme, Membership, Risk)
    }
    changelist = reverse("admin:registers_organisation_changelist")
    chosen = {"action": "delete_selected", "_selected_action": [bare.pk, busy.pk]}
    page = admin_client.post(changelist, chosen)
    assert page.status_code == 200
    text = page.content.decode()
    assert "would require deleting the following protected related objects" in text
    assert risk.ref in text
    response = admin_client.post(changelist, {**chosen, "post": "yes"})
    assert response.status_code == 200  # the same page again, nothing deleted
    assert Organisation.objects.filter(pk__in=[bare.pk, busy.pk]).count() == 2
    after = {
        model: model.objects.filter(organisation__in=[bare, busy]).count()
        for model in (Register, Scheme, Membership, Risk)
    }
    assert after == before


def test_an_organisation_as_created_is_refused_on_its_page_not_a_500(admin_client):
    bare = OrganisationFactory()
    url = reverse("admin:registers_organisation_delete", args=[bare.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "protected related objects" in page.content.decode()
    assert admin_client.post(url, {"post": "yes"}).status_code == 200
    assert Organisation.objects.filter(pk=bare.pk).exists()
    assert Register.objects.filter(organisation=bare).exists()
    assert Scheme.objects.filter(organisation=bare).exists()


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


def test_an_accounts_delete_logs_its_live_api_tokens(admin_client, admin_user, caplog):
    """A live API token went with its account with no line, where revoking it is logged; a
    token already revoked was logged then and is not again."""
    membership = MembershipFactory(role=Role.COORDINATOR)
    person = membership.user
    live, _ = api_token_create(
        user=person, name="Power BI", organisations=[membership.organisation]
    )
    old, _ = api_token_create(user=person, name="Old", organisations=[membership.organisation])
    ApiToken.objects.filter(pk=old.pk).update(revoked_at=timezone.now())
    url = reverse("admin:registers_user_delete", args=[person.pk])
    caplog.clear()  # the tokens' creation lines
    with caplog.at_level(logging.INFO, logger="riskreg.security"):
        assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not ApiToken.objects.filter(user_id=person.pk).exists()
    lines = security_lines(caplog)
    expected = (
        f"api token removed with the account: token={live.pk} name='Power BI' "
        f"user={person.pk} by={admin_user.pk}"
    )
    assert expected in lines, lines
    assert not [line for line in lines if f"token={old.pk} " in line]
