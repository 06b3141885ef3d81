"""A risk written into an empty register at the moment an admin deletes it (decision 112). Each
write that points a row at a register it did not point at before (a risk created, imported or
moved there, an escalation asked for, a pack requested or corrected, a spreadsheet uploaded or
its import started, a limited coordinator granted it) holds the register's row ``FOR KEY
SHARE`` first, so it and ``register_delete`` (the tree's lock, then the row ``FOR UPDATE``) run
one after the other: the write after a delete is refused by name, the delete after a write sees
it and is refused (a file, an import job or a grant goes with the register instead). Before, the write failed at commit on the foreign key (a 500), or the delete
went through and the write failed at its commit. Real connections: ``race`` in
tests/registers/test_register_tree_lock.py."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registers.models import (
    EscalationDirection,
    Register,
    RegisterUserObjectPermission,
    Risk,
    Role,
)
from registers.services.escalation import escalation_request
from registers.services.memberships import membership_registers_set
from registers.services.organisations import REGISTER_DELETED_MEANWHILE
from registers.services.register_archive import archived_message, register_archive
from registers.services.register_delete import (
    REGISTER_DELETE_ESCALATIONS,
    REGISTER_DELETE_REFUSED,
    REGISTER_DELETE_RISKS,
    register_delete,
)
from registers.services.risks import risk_create
from registers.services.risks_bulk import NewRisk, RiskChange, risk_create_many, risk_update_many
from reporting.models import ImportJob, ImportUpload, Pack, PackStatus
from reporting.packs.kept_registers import REGISTER_DELETE_PACK_COVERED
from reporting.packs.proof import pack_identifier
from reporting.packs.release import pack_correct
from reporting.packs.services import pack_request
from reporting.spreadsheets.jobs import import_job_start
from reporting.spreadsheets.uploads import import_upload_save
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    RegisterFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.registers.test_register_tree_lock import race, refusal

pytestmark = pytest.mark.django_db(transaction=True)

GONE = REGISTER_DELETED_MEANWHILE.format(register="A")


@pytest.fixture
def tree():
    """An organisation, its admin, and A, an empty register under its corporate register."""
    organisation = OrganisationFactory()
    corporate = corporate_register_of(organisation)
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    a = RegisterFactory(organisation=organisation, parent=corporate, slug="a", name="A")
    return organisation, admin, a


def delete_refused(*reasons: str) -> list[str]:
    return [REGISTER_DELETE_REFUSED.format(register="A", reasons="; ".join(reasons))]


def create_on(register):
    return lambda: risk_create(register=register, ref="NEW-1", title="Flooding of the basement")


def import_into(register):
    def write():
        return risk_create_many(
            organisation=register.organisation,
            new=[NewRisk(register=register, ref="IMP-1", title="Imported")],
            reason="imported from register.csv",
        )

    return write


def move_to(register, risk):
    def write():
        return risk_update_many(
            changes=[RiskChange(risk_id=risk.pk, expected_version=risk.version, register=register)],
            reason="moved",
        )

    return write


def escalate_down_to(register, risk, admin):
    return lambda: escalation_request(
        risk=risk,
        user=admin,
        reason="belongs with A",
        direction=EscalationDirection.DOWN,
        to_register=register,
    )


def request_pack_of(register):
    return lambda: pack_request(
        organisation=register.organisation,
        kind="quarterly",
        as_of=timezone.localdate() - dt.timedelta(days=1),
        registers=[register],
    )


WRITES = ["create", "import", "move", "escalate", "pack"]


def write_into(how, tree):
    """The write ``how`` into register A (read before the other connection deletes it)."""
    organisation, admin, a = tree
    a_read = Register.objects.get(pk=a.pk)
    if how == "create":
        return create_on(a_read)
    if how == "import":
        return import_into(a_read)
    on_corporate = RiskFactory(register=a.parent, ref="MOVE-1")
    if how == "move":
        return move_to(a_read, on_corporate)
    if how == "escalate":
        return escalate_down_to(a_read, on_corporate, admin)
    return request_pack_of(a_read)


@pytest.mark.parametrize("how", WRITES)
def test_a_write_into_a_register_being_deleted_waits_and_is_refused_by_name(tree, how):
    """Was an IntegrityError at commit (a 500 for the person adding the risk)."""
    organisation, admin, a = tree
    write = write_into(how, tree)
    waited, outcome = race(lambda: register_delete(register=a, by=admin), write)
    assert waited
    messages = refusal(outcome)
    assert messages == [GONE]
    assert not Register.objects.filter(pk=a.pk).exists()
    assert not Risk.objects.filter(organisation=organisation, ref__in=["NEW-1", "IMP-1"]).exists()
    assert not Pack.objects.filter(organisation=organisation).exists()


@pytest.mark.parametrize("how", WRITES)
def test_a_register_deleted_while_a_write_into_it_is_saved_waits_and_is_refused(tree, how):
    """Was the delete going through, and the write failing at its commit on the foreign key."""
    organisation, admin, a = tree
    write = write_into(how, tree)
    waited, outcome = race(write, lambda: register_delete(register=a, by=admin))
    assert waited
    if how == "pack":
        pack = Pack.objects.get(organisation=organisation)
        reason = REGISTER_DELETE_PACK_COVERED.format(
            pack=f"{pack_identifier(pack)} v{pack.version}", more=""
        )
    else:
        reason = REGISTER_DELETE_ESCALATIONS if how == "escalate" else REGISTER_DELETE_RISKS
    assert refusal(outcome) == delete_refused(reason)
    assert Register.objects.filter(pk=a.pk).exists()


def test_a_risk_added_on_the_page_while_its_register_is_deleted_gets_the_form_again(tree):
    """The person adding the risk sees the form again with the reason (400), not a 500."""
    organisation, admin, a = tree

    def post_the_form():
        client = Client()
        client.force_login(admin)
        url = reverse("risk_create", args=[organisation.slug, a.slug])
        return client.post(
            url, {"ref": "NEW-1", "title": "Flooding", "kind": "threat", "marking": "OFFICIAL"}
        )

    waited, response = race(lambda: register_delete(register=a, by=admin), post_the_form)
    assert waited
    assert not isinstance(response, Exception), response
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [GONE]
    assert GONE in response.content.decode()
    assert not Risk.objects.filter(organisation=organisation).exists()


def test_a_risk_added_while_its_register_is_archived_is_refused_with_the_rule(tree):
    """The register as read before the archive: the risk was saved on the archived register."""
    organisation, admin, a = tree
    a_read = Register.objects.get(pk=a.pk)
    waited, outcome = race(
        lambda: register_archive(register=a, reason="merged into B", by=admin), create_on(a_read)
    )
    assert waited
    assert refusal(outcome) == [archived_message(a_read)]
    assert not Risk.objects.filter(organisation=organisation).exists()


def test_writes_into_one_register_do_not_wait_for_each_other(tree):
    """``FOR KEY SHARE`` conflicts with no other risk write's lock: two risks added to one
    register at once are both saved, neither waiting."""
    organisation, admin, a = tree
    waited, outcome = race(
        create_on(a), lambda: risk_create(register=a, ref="NEW-2", title="Another")
    )
    assert not waited
    assert isinstance(outcome, Risk), outcome
    assert Risk.objects.filter(register=a).count() == 2


# --- rows that are not risks: an import's file and job, a grant, a pack's correction ------------

CSV = b"ref,title\nIMP-1,Imported\n"


def limited_coordinator(organisation):
    return MembershipFactory(
        organisation=organisation, role=Role.COORDINATOR, registers_limited=True
    )


def released_pack_naming_no_registers(organisation):
    """A released pack from before packs recorded their registers: it covers, and a
    correction of it copies, the organisation's top-level registers."""
    return Pack.objects.create(
        organisation=organisation,
        kind="quarterly",
        edition="public",
        as_of=timezone.localdate() - dt.timedelta(days=1),
        status=PackStatus.READY,
        released_at=timezone.now(),
    )


def other_write_into(how, tree):
    """The write ``how`` (not a risk) into register A, read before the other connection
    deletes it; for ``correct``, A is made a top-level register first."""
    organisation, admin, a = tree
    if how == "correct":
        Register.objects.filter(pk=a.pk).update(parent=None)
        pack = released_pack_naming_no_registers(organisation)
        return lambda: pack_correct(pack=pack, by=admin, note="R1's owner was wrong")
    a_read = Register.objects.get(pk=a.pk)
    if how == "upload":
        return lambda: import_upload_save(
            register=a_read, user=admin, filename="risks.csv", data=CSV
        )
    if how == "job":
        upload = import_upload_save(register=a_read, user=admin, filename="risks.csv", data=CSV)
        return lambda: import_job_start(upload=upload, rows=300)
    membership = limited_coordinator(organisation)
    return lambda: membership_registers_set(membership=membership, registers=[a_read])


def nothing_points_at(a_pk, organisation):
    """Nothing half-written: no file, job, grant or pack left naming the register."""
    assert not ImportUpload.objects.filter(register_id=a_pk).exists()
    assert not ImportJob.objects.filter(register_id=a_pk).exists()
    assert not RegisterUserObjectPermission.objects.filter(content_object_id=a_pk).exists()
    assert not Pack.registers.through.objects.filter(register_id=a_pk).exists()
    assert Pack.objects.filter(organisation=organisation).count() <= 1  # the corrected one


OTHER_WRITES = ["upload", "job", "grant", "correct"]


@pytest.mark.parametrize("how", OTHER_WRITES)
def test_another_write_naming_a_register_being_deleted_waits_and_is_refused_by_name(tree, how):
    """Was an IntegrityError at commit (a 500): a spreadsheet uploaded or its import started
    for the register, a limited coordinator granted it, a correction of a pack that named no
    registers (it copies the top-level ones)."""
    organisation, admin, a = tree
    write = other_write_into(how, tree)
    waited, outcome = race(lambda: register_delete(register=a, by=admin), write)
    assert waited
    assert refusal(outcome) == [GONE]
    assert not Register.objects.filter(pk=a.pk).exists()
    nothing_points_at(a.pk, organisation)


@pytest.mark.parametrize("how", OTHER_WRITES)
def test_a_register_deleted_while_another_write_naming_it_is_saved_waits_for_it(tree, how):
    """The delete waits for the write, then sees it: a file, job or grant goes with the
    register (as those saved earlier do); a correction names it, so it is kept."""
    organisation, admin, a = tree
    write = other_write_into(how, tree)
    waited, outcome = race(write, lambda: register_delete(register=a, by=admin))
    assert waited
    if how == "correct":
        pack = Pack.objects.get(organisation=organisation, version=2)
        reason = REGISTER_DELETE_PACK_COVERED.format(
            pack=f"{pack_identifier(pack)} v{pack.version}", more=""
        )
        assert refusal(outcome) == delete_refused(reason)
        assert a.pk in pack.registers.values_list("pk", flat=True)
        assert Register.objects.filter(pk=a.pk).exists()
    else:
        assert outcome is None, outcome
        assert not Register.objects.filter(pk=a.pk).exists()
        nothing_points_at(a.pk, organisation)


def test_a_spreadsheet_uploaded_while_its_register_is_archived_is_refused_with_the_rule(tree):
    """The import would put risks there: refused as a risk added meanwhile is."""
    organisation, admin, a = tree
    a_read = Register.objects.get(pk=a.pk)
    waited, outcome = race(
        lambda: register_archive(register=a, reason="merged into B", by=admin),
        lambda: import_upload_save(register=a_read, user=admin, filename="risks.csv", data=CSV),
    )
    assert waited
    assert refusal(outcome) == [archived_message(a_read)]
    assert not ImportUpload.objects.exists()


def posted_during_delete(tree, url, data):
    """``data`` posted to ``url`` by the admin while another connection deletes A."""
    organisation, admin, a = tree

    def post():
        client = Client()
        client.force_login(admin)
        return client.post(url, data)

    waited, response = race(lambda: register_delete(register=a, by=admin), post)
    assert waited
    assert not isinstance(response, Exception), response
    return response


def test_a_spreadsheet_uploaded_while_its_register_is_deleted_gets_the_form_again(tree):
    organisation, admin, a = tree
    url = reverse("register_import", args=[organisation.slug, a.slug])
    file = SimpleUploadedFile("risks.csv", CSV, content_type="text/csv")
    response = posted_during_delete(tree, url, {"file": file})
    assert response.status_code == 400
    assert GONE in response.content.decode()
    assert not ImportUpload.objects.exists()


def test_a_register_granted_on_the_member_page_while_it_is_deleted_is_refused_there(tree):
    organisation, admin, a = tree
    membership = limited_coordinator(organisation)
    url = reverse("member_registers", args=[organisation.slug, membership.pk])
    response = posted_during_delete(tree, url, {"registers": [a.pk]})
    assert response.status_code == 400
    assert GONE in response.content.decode()
    assert not RegisterUserObjectPermission.objects.filter(user=membership.user).exists()


def test_a_correction_asked_for_while_a_register_it_copies_is_deleted_is_refused_there(tree):
    organisation, admin, a = tree
    Register.objects.filter(pk=a.pk).update(parent=None)
    pack = released_pack_naming_no_registers(organisation)
    url = reverse("pack_correct", args=[organisation.slug, pack.pk])
    response = posted_during_delete(tree, url, {"correction_note": "R1's owner was wrong"})
    assert response.status_code == 400
    assert GONE in response.content.decode()
    assert list(Pack.objects.filter(organisation=organisation)) == [pack]
