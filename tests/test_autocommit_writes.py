"""Writes that take row locks, run as production runs them: outside any transaction but their
own (no ATOMIC_REQUESTS). Each flow here is one no browser test and no other test outside a
transaction reached: inside pytest-django's per-test transaction a ``select_for_update`` left
without a transaction of its own passes, and in production it is a TransactionManagementError
(recording a key risk indicator reading was one, every time). Each test calls the service its
view calls, the way the view calls it, and checks the write was committed.

Slower than ordinary tests (each flushes the tables): one per flow, grouped where a flow's two
halves (close and reopen, edit and delete) share their set-up."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts import services_sso
from accounts.models import SingleSignOnProvider
from appetite.services import appetite_statement_set
from registers.models import (
    Escalation,
    Indicator,
    Invitation,
    Membership,
    Organisation,
    Register,
    ReviewState,
    RiskLink,
    Role,
)
from registers.services import categories
from registers.services.acceptance import risk_accept, risk_acceptance_withdraw
from registers.services.accounts import sign_in_address_change
from registers.services.comments import comment_add, comment_delete, comment_edit
from registers.services.escalation import (
    escalation_decline,
    escalation_request,
    escalation_withdraw,
)
from registers.services.indicators import indicator_add, indicator_retire, indicator_update
from registers.services.invitations import invitation_send, invitation_withdraw
from registers.services.links import link_add, link_remove
from registers.services.memberships import membership_set_sensitive_access
from registers.services.organisations import member_add
from registers.services.pack_logo import organisation_logo_remove, organisation_logo_set
from registers.services.register_archive import register_archive, register_unarchive
from registers.services.reviews import review_record
from registers.services.risks import risk_close, risk_reopen
from registers.services.sign_off import review_withdraw
from reporting.models import ImportJob, ImportJobStatus, Pack, PackStatus
from reporting.packs.release import pack_correct
from reporting.spreadsheets import jobs
from tests.factories import (
    RegisterFactory,
    RiskFactory,
    UserFactory,
    corporate_register_of,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def outside_any_transaction():
    """The point of every test here: nothing wraps the service in a transaction."""
    assert connection.get_autocommit() and not connection.in_atomic_block


def person(organisation, role, name):
    email = f"{name.lower().replace(' ', '.')}@{organisation.slug}.test"
    return member_add(organisation=organisation, email=email, role=role, full_name=name).user


@pytest.fixture
def people(organisation):
    return {
        "admin": person(organisation, Role.ADMIN, "Ada Admin"),
        "coordinator": person(organisation, Role.COORDINATOR, "Cora Coordinator"),
        "owner": person(organisation, Role.OWNER, "Owen Owner"),
    }


@pytest.fixture
def risk(corporate_register, people):
    return RiskFactory(
        register=corporate_register,
        ref="CRR1",
        title="Cyber attack",
        owner=people["owner"],
        positions={"current": (3, 4)},
    )


# --- risks ---------------------------------------------------------------------------------------


def test_a_risk_is_closed_and_reopened(risk):
    risk_close(risk=risk, expected_version=risk.version, reason="Fully mitigated")
    risk.refresh_from_db()
    assert risk.closed_at is not None
    risk_reopen(risk=risk, expected_version=risk.version, reason="Back again")
    risk.refresh_from_db()
    assert risk.closed_at is None


def test_an_acceptance_is_withdrawn(organisation, risk, people):
    appetite_statement_set(organisation=organisation, tolerance=8, warning=5)  # 12 breaches
    acceptance = risk_accept(
        risk=risk,
        by=people["admin"],
        reason="Treating it further costs more than it saves",
        expires_on=timezone.localdate() + dt.timedelta(days=60),
    )
    risk_acceptance_withdraw(acceptance=acceptance, by=people["admin"], reason="Now treatable")
    acceptance.refresh_from_db()
    assert acceptance.ended_at is not None


@pytest.mark.parametrize("decision", ["decline", "withdraw"])
def test_an_escalation_is_declined_or_withdrawn(organisation, people, decision):
    school = RegisterFactory(
        organisation=organisation, slug="school", parent=corporate_register_of(organisation)
    )
    risk = RiskFactory(register=school, ref="S1", owner=people["owner"])
    escalation = escalation_request(risk=risk, user=people["owner"], reason="Too big")
    if decision == "decline":
        escalation_decline(escalation=escalation, user=people["coordinator"], note="Stays local")
    else:
        escalation_withdraw(escalation=escalation, user=people["owner"], note="Handled")
    assert (
        Escalation.objects.get().status
        == {"decline": "declined", "withdraw": "withdrawn"}[decision]
    )


def test_an_update_awaiting_sign_off_is_withdrawn_by_its_author(risk, people):
    register = risk.register
    register.sign_off_required = True
    register.save()
    review = review_record(
        risk=risk,
        user=people["owner"],
        expected_version=risk.version,
        note="Worse",
        positions={"current": (4, 4)},
    )
    review_withdraw(review=review, user=people["owner"])
    review.refresh_from_db()
    assert review.state == ReviewState.WITHDRAWN


def test_a_comment_is_edited_and_deleted(risk, people):
    comment = comment_add(risk=risk, user=people["owner"], body="First thoughts")
    comment_edit(comment=comment, user=people["owner"], body="Second thoughts")
    comment.refresh_from_db()
    assert comment.body == "Second thoughts"
    comment_delete(comment=comment, user=people["owner"])
    comment.refresh_from_db()
    assert comment.deleted_at is not None


def test_a_link_between_risks_is_removed(risk, people):
    other = RiskFactory(register=risk.register, ref="CRR2", title="Data breach")
    link = link_add(risk=risk, other=other, user=people["coordinator"])
    link_remove(link=link, user=people["coordinator"])
    assert not RiskLink.objects.exists()


def test_an_indicator_is_changed_and_retired(risk, people):
    indicator = indicator_add(
        user=people["coordinator"],
        risk=risk,
        name="Phishing clicks",
        amber_from=D(5),
        red_from=D(9),
    )
    indicator_update(
        user=people["coordinator"], indicator=indicator, expected_version=1, red_from=D(8)
    )
    indicator_retire(user=people["coordinator"], indicator=indicator)
    stored = Indicator.objects.get()
    assert (stored.red_from, stored.retired_at is not None) == (D(8), True)


# --- organisation settings -----------------------------------------------------------------------


def test_an_objective_is_moved_and_merged(organisation, people):
    first, second, third = (
        categories.objective_add(organisation=organisation, code=f"O{n}", name=f"Goal {n}")
        for n in (1, 2, 3)
    )
    assert categories.objective_move(objective=third, direction="up", by=people["admin"])
    third.refresh_from_db()
    second.refresh_from_db()
    assert third.position < second.position
    categories.objective_merge(source=second, target=first, by=people["admin"])
    second.refresh_from_db()
    assert second.retired_at is not None


def test_the_packs_logo_is_set_and_removed(organisation, people):
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (29, 112, 184)).save(buffer, format="PNG")
    organisation_logo_set(organisation=organisation, content=buffer.getvalue(), by=people["admin"])
    assert Organisation.objects.get(pk=organisation.pk).pack_logo
    assert organisation_logo_remove(organisation=organisation, by=people["admin"])
    assert not Organisation.objects.get(pk=organisation.pk).pack_logo


def test_a_register_archived_is_unarchived(organisation, people):
    register = RegisterFactory(
        organisation=organisation, slug="estates", parent=corporate_register_of(organisation)
    )
    register_archive(register=register, reason="Merged into finance", by=people["admin"])
    register_unarchive(register=register, reason="Split out again", by=people["admin"])
    assert Register.objects.get(pk=register.pk).archived_at is None


# --- members and accounts ------------------------------------------------------------------------


def test_an_invitation_is_withdrawn(organisation, people):
    invitation_send(
        organisation=organisation,
        email="nia.new@example.org",
        role=Role.OWNER,
        invited_by=people["admin"],
    )
    invitation = Invitation.objects.get()
    invitation_withdraw(invitation=invitation, withdrawn_by=people["admin"])
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is not None


def test_a_member_is_cleared_for_official_sensitive(organisation, people):
    membership = Membership.objects.get(user=people["owner"], organisation=organisation)
    assert membership_set_sensitive_access(membership=membership, cleared=True)
    assert Membership.objects.get(pk=membership.pk).sensitive_access


def test_a_sign_in_address_is_changed_in_the_admin():
    user = UserFactory(email="ann.old@example.test")
    sign_in_address_change(user=user, email="ann.new@example.test", by=None)
    user.refresh_from_db()
    assert user.email == "ann.new@example.test"


def test_a_single_sign_on_provider_is_changed_and_removed(organisation, people):
    provider, _ = services_sso.sso_provider_add(
        organisation=organisation,
        issuer="https://idp.example.gov.uk",
        client_id="riskreg",
        client_secret="s3cret-s3cret-s3cret",
        domains=["example.gov.uk"],
        by=people["admin"],
    )
    services_sso.sso_provider_change(
        provider=provider,
        issuer="https://idp.example.gov.uk",
        client_id="riskreg-2",
        client_secret="s3cret-s3cret-s3cret",
        domains=["example.gov.uk"],
        by=people["admin"],
    )
    assert SingleSignOnProvider.objects.get().client_id == "riskreg-2"
    services_sso.sso_provider_remove(provider=provider, by=people["admin"])
    assert not SingleSignOnProvider.objects.exists()


# --- packs ---------------------------------------------------------------------------------------


def test_a_released_pack_is_corrected(organisation, risk, people):
    pack = Pack.objects.create(
        organisation=organisation,
        kind="quarterly",
        as_of="2026-03-31",
        status=PackStatus.READY,
        released_at=timezone.now(),
    )
    correction = pack_correct(pack=pack, by=people["coordinator"], note="R1's owner was wrong")
    assert Pack.objects.get(pk=correction.pk).corrects_id == pack.pk


# --- imports -------------------------------------------------------------------------------------


@pytest.mark.parametrize("button", ["cancel", "retry"])
def test_an_import_job_is_cancelled_or_retried_from_its_page(
    client, organisation, people, monkeypatch, button
):
    queued = []
    monkeypatch.setattr(jobs, "task_send", lambda name, args: queued.append((name, args)))
    job = ImportJob.objects.create(
        organisation=organisation,
        register=corporate_register_of(organisation),
        user=people["coordinator"],
        filename="big.csv",
        status=ImportJobStatus.FAILED,
        failed_step="check",
    )
    client.force_login(people["coordinator"])
    url = reverse("register_import_job", args=[organisation.slug, "corporate", job.pk])
    assert client.post(url, {button: "1"}).status_code == 302
    if button == "cancel":
        assert not ImportJob.objects.exists()
    else:
        assert ImportJob.objects.get().status == ImportJobStatus.CHECKING
        assert [args for _name, args in queued] == [[job.pk]]


def test_the_register_hold_is_refused_outside_a_transaction(corporate_register):
    """Its lock is raw SQL: outside a transaction it would be let go at once, unseen."""
    from django.db.transaction import TransactionManagementError

    from registers.services.organisations import registers_key_share

    with pytest.raises(TransactionManagementError):
        registers_key_share([corporate_register])


def test_a_risk_is_created_holding_its_register(corporate_register):
    from registers.services.risks import risk_create

    risk = risk_create(register=corporate_register, ref="CRR9", title="Flood")
    assert risk.register_id == corporate_register.pk
