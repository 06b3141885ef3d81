"""Two imports (or an import and a person) creating the same new ref at once: the one that loses
is refused naming the row and the ref, writes nothing, and never shows a traceback or a 500."""

import threading
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse

from registers.models import Risk, Role
from registers.permissions import membership_sync
from reporting.spreadsheets.importing import (
    REF_CREATED_MEANWHILE,
    ImportRefused,
    import_apply,
    import_plan,
)
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.reporting.conftest import csv_bytes

ROWS = [["ref", "title"], ["R1", "Fire"], ["R2", "Flood"], ["R3", "Cyber attack"]]
REFUSAL = REF_CREATED_MEANWHILE.format(row=3, ref="R2")


@contextmanager
def created_elsewhere(register, ref, *, hold=1.0):
    """Another connection inserts ``ref`` and keeps its transaction open for ``hold`` seconds, so
    an import started meanwhile passes every check and then waits on the unique index."""
    inserted = threading.Event()
    failures = []

    def other_person():
        try:
            with transaction.atomic():
                RiskFactory(register=register, ref=ref)
                inserted.set()
                threading.Event().wait(hold)
        except Exception as exc:  # surfaced by the test below
            failures.append(exc)
            inserted.set()
        finally:
            connection.close()

    thread = threading.Thread(target=other_person)
    thread.start()
    assert inserted.wait(10)
    try:
        yield
    finally:
        thread.join(10)
    assert not failures


def refs(organisation):
    return sorted(Risk.objects.filter(organisation=organisation).values_list("ref", flat=True))


@pytest.mark.django_db
def test_a_ref_created_between_the_check_and_the_write_is_refused_naming_the_row(organisation):
    register = corporate_register_of(organisation)
    plan = import_plan(register=register, data=csv_bytes(ROWS), filename="a.csv")
    RiskFactory(register=register, ref="r2")
    with pytest.raises(ImportRefused) as refused:
        import_apply(plan=plan)
    assert refused.value.problems == [REF_CREATED_MEANWHILE.format(row=3, ref="R2")]
    assert refused.value.stale
    assert refs(organisation) == ["r2"]  # all or nothing: R1 was not kept


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creations_of_one_ref_refuse_the_import_cleanly():
    organisation = OrganisationFactory()
    register = corporate_register_of(organisation)
    plan = import_plan(register=register, data=csv_bytes(ROWS), filename="a.csv")
    with created_elsewhere(register, "R2"), pytest.raises(ImportRefused) as refused:
        import_apply(plan=plan)
    assert refused.value.problems == [REFUSAL]
    assert refs(organisation) == ["R2"]


@pytest.mark.django_db(transaction=True)
def test_the_command_says_which_row_and_exits_1_without_a_traceback(tmp_path):
    organisation = OrganisationFactory()
    register = corporate_register_of(organisation)
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes(ROWS))
    err = StringIO()
    with created_elsewhere(register, "R2"), pytest.raises(CommandError, match="run the import"):
        call_command(
            "import_register",
            str(path),
            "--org",
            organisation.slug,
            "--register",
            "corporate",
            stdout=StringIO(),
            stderr=err,
        )
    assert err.getvalue().strip() == REFUSAL
    assert refs(organisation) == ["R2"]


@pytest.mark.django_db(transaction=True)
def test_the_web_confirm_says_which_row_instead_of_a_500(client):
    organisation = OrganisationFactory()
    register = corporate_register_of(organisation)
    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    membership_sync(membership)
    client.force_login(membership.user)
    url = reverse("register_import", args=[organisation.slug, "corporate"])
    preview = client.post(url, {"file": SimpleUploadedFile("a.csv", csv_bytes(ROWS))}).url
    fingerprint = client.get(preview).context["plan"].fingerprint
    with created_elsewhere(register, "R2"):
        response = client.post(preview, {"fingerprint": fingerprint, "confirm": "1"})
    assert response.status_code == 409
    assert response.context["refusal"] == [REFUSAL]
    assert REFUSAL in response.content.decode()
    assert refs(organisation) == ["R2"]
