"""Deleting a register (``registers.services.register_delete``, decision 108): only one with
nothing in, under or escalated through it; the Django admin's delete page and "delete selected"
go through it. Two admins at once: tests/registers/test_register_tree_lock.py."""

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from registers.models import Register, RegisterGroupObjectPermission, RegisterSlug, Role
from registers.services import registers_admin
from registers.services.escalation import escalation_request
from registers.services.pack_coverage import organisation_pack_registers_set
from registers.services.register_delete import (
    DELETED_REASON,
    REGISTER_DELETE_CHILDREN,
    REGISTER_DELETE_ESCALATIONS,
    REGISTER_DELETE_PACKS,
    REGISTER_DELETE_REFUSED,
    REGISTER_DELETE_RISKS,
    register_delete,
    register_delete_refusal,
)
from reporting.models import Pack, PackStatus
from reporting.packs.kept_registers import (
    REGISTER_DELETE_PACK_COVERED,
    REGISTER_DELETE_PACKS_MORE,
)
from tests.factories import MembershipFactory, RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


@pytest.fixture
def estates(organisation, corporate_register, admin):
    return registers_admin.register_add(
        organisation=organisation,
        name="Estates",
        slug="estates",
        parent=corporate_register,
        by=admin,
    )


def refused(register, *reasons) -> str:
    return REGISTER_DELETE_REFUSED.format(register=register.name, reasons="; ".join(reasons))


def test_a_register_with_nothing_in_it_is_deleted_with_who_in_its_history(estates, admin):
    registers_admin.register_change(
        register=estates,
        name="Estates",
        slug="estates-and-facilities",
        level=estates.level,
        parent=estates.parent,
        review_months=None,
        by=admin,
    )
    assert RegisterGroupObjectPermission.objects.filter(content_object=estates).exists()
    register_delete(register=estates, by=admin)
    assert not Register.objects.filter(pk=estates.pk).exists()
    assert not RegisterSlug.objects.filter(register_id=estates.pk).exists()
    assert not RegisterGroupObjectPermission.objects.filter(content_object_id=estates.pk).exists()
    last = Register.history.filter(id=estates.pk).latest()
    assert (last.history_type, last.history_user, last.history_change_reason) == (
        "-",
        admin,
        DELETED_REASON,
    )


def test_a_register_with_risks_registers_under_it_or_escalations_is_refused(
    organisation, corporate_register, estates, admin
):
    registers_admin.register_add(
        organisation=organisation, name="Grounds", parent=estates, by=admin
    )
    risk = RiskFactory(register=estates)
    escalation_request(risk=risk, user=admin, reason="too big for estates")
    with pytest.raises(ValidationError) as caught:
        register_delete(register=estates, by=admin)
    assert caught.value.messages == [
        refused(
            estates,
            REGISTER_DELETE_CHILDREN.format(children="Grounds"),
            REGISTER_DELETE_RISKS,
            REGISTER_DELETE_ESCALATIONS,
        )
    ]
    with pytest.raises(ValidationError) as caught:
        register_delete(register=corporate_register, by=admin)  # escalated to, under it: estates
    assert caught.value.messages == [
        refused(
            corporate_register,
            REGISTER_DELETE_CHILDREN.format(children="Estates"),
            REGISTER_DELETE_ESCALATIONS,
        )
    ]
    assert Register.objects.filter(pk__in=[estates.pk, corporate_register.pk]).count() == 2


def test_a_register_the_packs_cover_is_refused_until_unticked(
    organisation, corporate_register, estates, admin
):
    """Deleting a register the organisation chose for its packs would change, unsaid, what the
    scheduled packs cover (all of it when it was the one chosen): unticked first, then deleted."""
    organisation_pack_registers_set(organisation=organisation, registers=[estates], by=admin)
    with pytest.raises(ValidationError) as caught:
        register_delete(register=estates, by=admin)
    assert caught.value.messages == [refused(estates, REGISTER_DELETE_PACKS)]
    organisation_pack_registers_set(
        organisation=organisation, registers=[corporate_register], by=admin
    )
    register_delete(register=estates, by=admin)
    assert not Register.objects.filter(pk=estates.pk).exists()


def test_a_register_a_pack_covered_is_refused_naming_the_latest_pack(
    organisation, corporate_register, estates, admin, django_assert_num_queries
):
    """A pack's registers are the record of what it covered (decision 112): deleting one took it
    out of that record unsaid (and a pack that named only it then covered the top-level
    registers). Packs are never deleted, so the register is archived instead."""
    older, latest = (
        Pack.objects.create(
            organisation=organisation,
            kind="quarterly",
            as_of=day,
            status=PackStatus.READY,
            version=version,
        )
        for day, version in (("2026-06-30", 1), ("2026-09-30", 2))
    )
    older.registers.set([estates])
    latest.registers.set([corporate_register, estates])
    with pytest.raises(ValidationError) as caught:
        register_delete(register=estates, by=admin)
    slug = organisation.slug.upper()
    assert caught.value.messages == [
        refused(
            estates,
            REGISTER_DELETE_PACK_COVERED.format(
                pack=f"{slug}-QUARTERLY-2026-09-30 v2",
                more=REGISTER_DELETE_PACKS_MORE.format(count=1),
            ),
        )
    ]
    assert list(older.registers.all()) == [estates]  # the record kept
    latest.registers.set([corporate_register])
    with pytest.raises(ValidationError) as caught:
        register_delete(register=estates, by=admin)
    assert caught.value.messages == [
        refused(
            estates,
            REGISTER_DELETE_PACK_COVERED.format(pack=f"{slug}-QUARTERLY-2026-06-30 v1", more=""),
        )
    ]
    older.registers.set([corporate_register])
    # What names it stays one query, one row of EXISTS, the packs' too.
    with django_assert_num_queries(1):
        assert register_delete_refusal(estates) is None
    register_delete(register=estates, by=admin)
    assert not Register.objects.filter(pk=estates.pk).exists()


def test_the_admins_delete_page_deletes_through_the_service(client, estates, admin):
    """An organisation admin's delete of a register made by register_create (it has the
    coordinators' grant): refused (403) while Django counted the grant as a row they may not
    delete."""
    client.force_login(admin)
    url = reverse("admin:registers_register_delete", args=[estates.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Register.objects.filter(pk=estates.pk).exists()
    assert Register.history.filter(id=estates.pk).latest().history_user == admin


def test_a_refusal_of_delete_selected_keeps_nothing_of_the_delete(
    client, organisation, estates, admin, monkeypatch
):
    """The refusal under the lock (here: a risk Django's own look did not see) is the admin's
    error message; no register deleted, the admin's log entries not kept either."""
    from django.contrib.admin.models import LogEntry

    other = registers_admin.register_add(organisation=organisation, name="Fleet", by=admin)
    RiskFactory(register=estates)
    monkeypatch.setattr(
        "riskreg.admin.registers.RegisterAdmin.get_deleted_objects",
        lambda self, objs, request: ([], {}, set(), []),  # as if looked at before the risk came
    )
    client.force_login(admin)
    response = client.post(
        reverse("admin:registers_register_changelist"),
        {"action": "delete_selected", "_selected_action": [other.pk, estates.pk], "post": "yes"},
    )
    assert response.status_code == 302
    told = [(m.level, m.message) for m in get_messages(response.wsgi_request)]
    assert told == [(messages.ERROR, refused(estates, REGISTER_DELETE_RISKS))]
    assert Register.objects.filter(pk__in=[other.pk, estates.pk]).count() == 2
    assert not LogEntry.objects.exists()
