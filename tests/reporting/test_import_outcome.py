"""What an import says once written, with the invite option: whom it invited and which new risks
have no owner until they accept, on the page's banner (a small file) and in the import job's
result (a big one, written on the worker). It said only "created 2, updated 0, unchanged 0"."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registers.models import Invitation, Risk, Role
from registers.permissions import membership_sync
from reporting.models import ImportJob, ImportJobStatus
from reporting.spreadsheets.tasks import import_check_task, import_write_task
from tests.factories import MembershipFactory
from tests.reporting.conftest import csv_bytes

pytestmark = pytest.mark.django_db

INVITED = (
    "Invited new@example.org to join as a risk owner: R1 and R2 have no owner until they "
    "accept and are assigned; assign them once they accept (row 4: working_leads)."
)


@pytest.fixture
def coordinator(client, organisation):
    membership = MembershipFactory(organisation=organisation, role=Role.COORDINATOR)
    membership_sync(membership)
    client.force_login(membership.user)
    return membership.user


def rows(count: int) -> list[list[str]]:
    found = [["ref", "title", "owner", "working_leads"]]
    found += [["R1", "First", "new@example.org", ""], ["R2", "Second", "New@example.org", ""]]
    found += [["R3", "Third", "", "new@example.org"]]
    found += [[f"R{n}", f"Risk {n}", "", ""] for n in range(4, count + 1)]
    return found


def uploaded(client, organisation, count: int):
    url = reverse("register_import", args=[organisation.slug, "corporate"])
    data = csv_bytes(rows(count))
    return client.post(url, {"file": SimpleUploadedFile("imp2.csv", data), "invite": "on"})


def test_the_banner_says_who_was_invited_and_which_risks_wait_for_them(
    client, organisation, coordinator, send_queued_email
):
    response = uploaded(client, organisation, 3)
    preview = client.get(response.url)
    with send_queued_email():
        confirmed = client.post(
            response.url.split("?")[0],
            {"fingerprint": preview.context["plan"].fingerprint, "invite": "1"},
            follow=True,
        )
    assert Invitation.objects.get().email == "new@example.org"
    assert Risk.objects.get(ref="R1").owner is None
    banner = [str(message) for message in confirmed.context["messages"]]
    assert banner == [f"Imported imp2.csv: created 3, updated 0, unchanged 0. {INVITED}"]


def test_a_big_files_result_says_it_too(client, organisation, coordinator, settings):
    settings.RISKREG_IMPORT_BACKGROUND_ROWS = 5
    uploaded(client, organisation, 7)
    job = ImportJob.objects.get()
    assert import_check_task(job.pk) == ImportJobStatus.CHECKED
    job.refresh_from_db()
    url = reverse("register_import_job", args=[organisation.slug, "corporate", job.pk])
    client.post(url, {"fingerprint": job.fingerprint, "confirm": "1"})
    assert import_write_task(job.pk) == ImportJobStatus.DONE
    job.refresh_from_db()
    assert job.message == f"Imported imp2.csv: created 7, updated 0, unchanged 0. {INVITED}"
    assert INVITED in client.get(url).content.decode()
