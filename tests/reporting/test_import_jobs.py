"""Big imports in the browser: a file over RISKREG_IMPORT_BACKGROUND_ROWS is checked and written
by Celery tasks (called here directly), with a page showing progress that refreshes itself,
then the same preview and confirm as a small file, all rows or none, a failure with a retry;
the job is its uploader's alone."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registers.models import Risk, Role
from registers.permissions import membership_sync
from registers.services.risks import risk_update
from reporting.models import ImportJob, ImportJobStatus, ImportUpload
from reporting.spreadsheets import jobs
from reporting.spreadsheets.jobs import (
    CHANGED_SINCE_CHECK,
    FILE_GONE,
    HAS_PROBLEMS,
    QUEUE_DOWN,
    import_job_progress,
)
from reporting.spreadsheets.tasks import import_check_task, import_write_task
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.reporting.conftest import csv_bytes

pytestmark = pytest.mark.django_db

ROWS = [["ref", "title", "current_likelihood", "current_impact", "controls", "actions"]] + [
    [f"J{n}", f"Risk {n}", "2", "3", f"Control {n}a\nControl {n}b", f"Action {n}"]
    for n in range(1, 8)
]


def member(organisation, role=Role.COORDINATOR):
    membership = MembershipFactory(organisation=organisation, role=role)
    membership_sync(membership)
    return membership.user


@pytest.fixture(autouse=True)
def background_over_five_rows(settings):
    settings.RISKREG_IMPORT_BACKGROUND_ROWS = 5


@pytest.fixture
def coordinator(client, organisation):
    user = member(organisation)
    client.force_login(user)
    return user


def upload(client, organisation, rows=ROWS):
    url = reverse("register_import", args=[organisation.slug, "corporate"])
    return client.post(url, {"file": SimpleUploadedFile("big.csv", csv_bytes(rows))})


def started(client, organisation, capture, rows=ROWS) -> ImportJob:
    """Upload a big file; returns its job, with the check task queued on commit (not run)."""
    with capture() as queued:
        response = upload(client, organisation, rows)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == job_url(job)
    assert len(queued) == 1  # the check, queued once the job is saved
    return job


def job_url(job) -> str:
    return reverse("register_import_job", args=[job.organisation.slug, job.register.slug, job.pk])


def test_a_small_file_still_goes_to_the_preview(client, organisation, coordinator):
    response = upload(client, organisation, ROWS[:6])  # five rows: not more than five
    assert "/import/" in response.url and not ImportJob.objects.exists()


def test_a_big_file_is_checked_then_confirmed_then_written_in_the_background(
    client, organisation, coordinator, django_capture_on_commit_callbacks
):
    job = started(client, organisation, django_capture_on_commit_callbacks)
    assert (job.status, job.rows_total, job.user) == (ImportJobStatus.CHECKING, 7, coordinator)
    page = client.get(job_url(job))
    assert page.status_code == 200
    assert b'http-equiv="refresh"' in page.content
    assert b"0 of 7 rows checked" in page.content

    assert import_check_task(job.pk) == ImportJobStatus.CHECKED
    job.refresh_from_db()
    assert job.rows_checked == 7 and job.preview["created"] == 7
    page = client.get(job_url(job))
    assert b'http-equiv="refresh"' not in page.content
    assert b"Confirm and import" in page.content
    assert b"would create J1 Risk 1" in page.content  # the line-by-line list
    assert job.preview["new"][0] == {
        "row": 2,
        "ref": "J1",
        "title": "Risk 1",
        "register": job.register.name,
        "current": job.preview["new"][0]["current"],
        "controls": 2,
        "actions": 1,
    }
    assert b'<th scope="row" class="govuk-table__header">J1</th>' in page.content
    assert not Risk.objects.filter(organisation=organisation).exists()  # checking writes nothing

    with django_capture_on_commit_callbacks() as queued:
        response = client.post(job_url(job), {"fingerprint": job.fingerprint, "confirm": "1"})
    assert response.status_code == 302 and len(queued) == 1
    job.refresh_from_db()
    assert job.status == ImportJobStatus.WRITING
    assert b"0 of 7 rows written" in client.get(job_url(job)).content

    assert import_write_task(job.pk) == ImportJobStatus.DONE
    job.refresh_from_db()
    assert job.rows_written == 7 and job.upload is None
    assert not ImportUpload.objects.exists()  # the file is dropped once written
    risk = Risk.objects.get(organisation=organisation, ref="J3")
    assert risk.current_score == 6 and risk.controls.count() == 2 and risk.actions.count() == 1
    record = risk.history.get()
    assert record.history_user == coordinator  # the uploader, though a worker wrote it
    assert record.history_change_reason == "imported from big.csv"
    page = client.get(job_url(job))
    assert b"Imported big.csv: created 7, updated 0, unchanged 0." in page.content

    # A task delivered twice does its work once.
    assert import_write_task(job.pk) == "skipped"
    assert import_check_task(job.pk) == "skipped"
    assert Risk.objects.filter(organisation=organisation).count() == 7


def test_progress_is_shown_as_the_worker_tells_it(
    client, organisation, coordinator, django_capture_on_commit_callbacks
):
    job = started(client, organisation, django_capture_on_commit_callbacks)
    jobs._tell(job.pk, checked=4)
    assert import_job_progress(job) == {"checked": 4, "written": 0, "total": 7}
    assert b"4 of 7 rows checked" in client.get(job_url(job)).content


def test_a_register_changed_after_the_check_writes_nothing_and_shows_a_fresh_check(
    client, organisation, coordinator, django_capture_on_commit_callbacks
):
    RiskFactory(register=corporate_register_of(organisation), ref="J2", title="Old title")
    job = started(client, organisation, django_capture_on_commit_callbacks)
    import_check_task(job.pk)
    job.refresh_from_db()
    with django_capture_on_commit_callbacks():
        client.post(job_url(job), {"fingerprint": job.fingerprint, "confirm": "1"})
    risk = Risk.objects.get(ref="J2")
    risk_update(risk=risk, expected_version=risk.version, fields={"title": "Someone else's"})
    assert import_write_task(job.pk) == ImportJobStatus.CHECKED
    job.refresh_from_db()
    assert job.message == CHANGED_SINCE_CHECK
    assert Risk.objects.filter(organisation=organisation).count() == 1  # nothing written
    page = client.get(job_url(job))
    assert CHANGED_SINCE_CHECK.encode() in page.content.replace(b"&#x27;", b"'")
    assert b"Someone else" in page.content  # the fresh preview's old value


def test_a_file_with_problems_cannot_be_confirmed(
    client, organisation, coordinator, django_capture_on_commit_callbacks
):
    rows = [*ROWS, ["J99", "", "9", "9", "", ""]]
    job = started(client, organisation, django_capture_on_commit_callbacks, rows=rows)
    import_check_task(job.pk)
    job.refresh_from_db()
    assert job.preview["problem_count"] >= 1
    page = client.get(job_url(job))
    assert b"govuk-error-summary" in page.content and b"Upload a corrected file" in page.content
    response = client.post(job_url(job), {"fingerprint": job.fingerprint, "confirm": "1"})
    assert response.status_code == 409 and HAS_PROBLEMS.encode() in response.content
    assert not Risk.objects.filter(organisation=organisation).exists()


def test_a_confirm_of_another_check_is_409(
    client, organisation, coordinator, django_capture_on_commit_callbacks
):
    job = started(client, organisation, django_capture_on_commit_callbacks)
    import_check_task(job.pk)
    response = client.post(job_url(job), {"fingerprint": "0" * 64, "confirm": "1"})
    assert response.status_code == 409 and b"govuk-error-summary" in response.content
    job.refresh_from_db()
    assert job.status == ImportJobStatus.CHECKED


def test_a_failure_is_shown_with_a_retry_that_runs_the_step_again(
    client, organisation, coordinator, django_capture_on_commit_callbacks, monkeypatch
):
    job = started(client, organisation, django_capture_on_commit_callbacks)
    import_check_task(job.pk)
    job.refresh_from_db()
    with django_capture_on_commit_callbacks():
        client.post(job_url(job), {"fingerprint": job.fingerprint, "confirm": "1"})

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "import_apply", broken)
    assert import_write_task(job.pk) == ImportJobStatus.FAILED
    job.refresh_from_db()
    assert (job.status, job.failed_step) == (ImportJobStatus.FAILED, "write")
    page = client.get(job_url(job))
    assert b"Try again" in page.content and b"disk full" not in page.content
    assert not Risk.objects.filter(organisation=organisation).exists()

    monkeypatch.undo()
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(job_url(job), {"retry": "1"})
    assert response.status_code == 302 and len(queued) == 1
    assert import_write_task(job.pk) == ImportJobStatus.DONE
    assert Risk.objects.filter(organisation=organisation).count() == 7


def test_a_file_no_longer_kept_fails_the_check_saying_so(
    client, organisation, coordinator, django_capture_on_commit_callbacks
):
    job = started(client, organisation, django_capture_on_commit_callbacks)
    ImportUpload.objects.all().delete()
    assert import_check_task(job.pk) == ImportJobStatus.FAILED
    job.refresh_from_db()
    assert job.message == FILE_GONE and job.failed_step == "check"


def test_a_queue_that_does_not_answer_fails_the_job_with_a_retry(
    client, organisation, coordinator, django_capture_on_commit_callbacks, monkeypatch
):
    def down(name, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(jobs, "task_send", down)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, organisation)
    job = ImportJob.objects.get()
    assert (job.status, job.message) == (ImportJobStatus.FAILED, QUEUE_DOWN)
    assert b"Try again" in client.get(job_url(job)).content


def test_cancel_drops_the_job_and_its_file(
    client, organisation, coordinator, django_capture_on_commit_callbacks
):
    job = started(client, organisation, django_capture_on_commit_callbacks)
    import_check_task(job.pk)
    response = client.post(job_url(job), {"cancel": "1"})
    assert response.status_code == 302
    assert not ImportJob.objects.exists() and not ImportUpload.objects.exists()


def test_a_job_is_its_uploaders_alone(
    client, organisation, coordinator, django_capture_on_commit_callbacks
):
    job = started(client, organisation, django_capture_on_commit_callbacks)
    url = job_url(job)
    other = Client()
    other.force_login(member(organisation))  # another coordinator of the same organisation
    assert other.get(url).status_code == 404
    assert other.post(url, {"cancel": "1"}).status_code == 404
    other.force_login(member(organisation, Role.VIEWER))
    assert other.get(url).status_code == 403
    stranger_org = OrganisationFactory()
    other.force_login(member(stranger_org))
    assert other.get(url).status_code == 404
    theirs = reverse("register_import_job", args=[stranger_org.slug, "corporate", job.pk])
    assert other.get(theirs).status_code == 404
    assert ImportJob.objects.filter(pk=job.pk).exists()


def test_posts_are_csrf_checked(organisation, django_capture_on_commit_callbacks):
    user = member(organisation)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    job = ImportJob.objects.create(
        organisation=organisation,
        register=organisation.registers.get(slug="corporate"),
        user=user,
        filename="big.csv",
    )
    assert client.post(job_url(job), {"cancel": "1"}).status_code == 403
    assert ImportJob.objects.filter(pk=job.pk).exists()


def test_a_big_files_preview_address_leads_to_its_job_page(
    client, organisation, coordinator, django_capture_on_commit_callbacks
):
    job = started(client, organisation, django_capture_on_commit_callbacks)
    preview = reverse(
        "register_import_preview", args=[organisation.slug, "corporate", job.upload_id]
    )
    assert client.get(preview).url == job_url(job)
    response = client.post(preview, {"fingerprint": "x", "confirm": "1"})
    assert response.url == job_url(job)
    assert not Risk.objects.filter(organisation=organisation).exists()


def test_a_stalled_step_can_be_run_again(
    client, organisation, coordinator, django_capture_on_commit_callbacks
):
    job = started(client, organisation, django_capture_on_commit_callbacks)
    assert b"Try again" not in client.get(job_url(job)).content
    long_ago = timezone.now() - dt.timedelta(seconds=jobs.DEFAULT_STALLED_SECONDS + 1)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=long_ago)
    page = client.get(job_url(job))
    assert b"Try again" in page.content and b"may have stopped" in page.content
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(job_url(job), {"retry": "1"})
    assert response.status_code == 302 and len(queued) == 1
    assert import_check_task(job.pk) == ImportJobStatus.CHECKED


def test_a_step_running_normally_cannot_be_started_twice(
    client, organisation, coordinator, django_capture_on_commit_callbacks
):
    job = started(client, organisation, django_capture_on_commit_callbacks)
    response = client.post(job_url(job), {"retry": "1"})
    assert response.status_code == 409
    job.refresh_from_db()
    assert job.status == ImportJobStatus.CHECKING


def test_a_persons_jobs_of_more_than_a_day_ago_are_dropped_when_they_start_another(
    client, organisation, coordinator, django_capture_on_commit_callbacks
):
    old = started(client, organisation, django_capture_on_commit_callbacks)
    import_check_task(old.pk)
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    with django_capture_on_commit_callbacks():
        upload(client, organisation)
    assert list(ImportJob.objects.values_list("status", flat=True)) == [ImportJobStatus.CHECKING]


def test_a_small_file_confirmed_in_the_browser_is_recorded_as_its_uploaders(
    client, organisation, coordinator
):
    preview = upload(client, organisation, ROWS[:3]).url
    fingerprint = client.get(preview).context["plan"].fingerprint
    assert client.post(preview, {"fingerprint": fingerprint, "confirm": "1"}).status_code == 302
    record = Risk.objects.get(organisation=organisation, ref="J2").history.get()
    assert (record.history_user, record.history_type) == (coordinator, "+")
