"""PDF packs: content from seeded data, markings, the public edition, rebuilds, failures and the
build_pack command. Text is read with pdftotext (poppler-utils)."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.template import TemplateSyntaxError
from django.utils import timezone

from registers.models import Marking, Organisation, Risk
from reporting.models import Pack, PackStatus
from reporting.packs import services
from reporting.packs.data import pack_data
from reporting.packs.render import BASE_URL, FetchRefused, pack_fetcher, serve
from reporting.packs.services import pack_build, pack_render
from tests.factories import RegisterFactory

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(  # noqa: S603
        ["pdftotext", "-layout", "-", "-"],  # noqa: S607
        input=pdf,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


def pages(pdf: bytes) -> list[str]:
    return pdf_text(pdf).split("\f")[:-1]


def section(text: str, start: str, end: str | None) -> str:
    """The text of a section, from its heading to the next one. The contents page names each
    heading first (with the detail pages under theirs), so the heading is the last mention."""
    begin = text.rindex(start)
    finish = text.index(end, begin) if end else len(text)
    return text[begin:finish]


def _seeded_once(slug: str, django_db_blocker):
    """The demo organisation seeded once for the module, inside a transaction rolled back at its
    end: each test runs in its own savepoint within it, so what a test changes (a risk renamed,
    a pack built) is gone before the next, as if it had seeded its own."""
    from demo.seeding import seed_demo

    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo(slugs=(slug,))
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def _aberdeen_once(django_db_setup, django_db_blocker):
    yield from _seeded_once("aberdeen", django_db_blocker)


@pytest.fixture(scope="module")
def _espo_once(django_db_setup, django_db_blocker):
    yield from _seeded_once("espo", django_db_blocker)


@pytest.fixture
def aberdeen(_aberdeen_once, db):
    return Organisation.objects.get(slug="aberdeen")


@pytest.fixture
def espo(_espo_once, db):
    return Organisation.objects.get(slug="espo")


def test_aberdeen_quarterly_breaches_get_detail_pages(aberdeen):
    today = timezone.localdate()
    pdf = pack_render(organisation=aberdeen, kind="quarterly", as_of=today).pdf
    text = pdf_text(pdf)
    assert "University of Aberdeen" in text
    assert "Quarterly risk report" in text
    details = section(text, "5. Risk action plans", "6. Overdue actions")
    for ref in ("SRR02", "SRR05", "SRR08"):
        assert re.search(rf"^\s*{ref} ", details, re.M), ref
    for ref in ("SRR01", "SRR03", "SRR09"):
        assert not re.search(rf"^\s*{ref} ", details, re.M), ref
    summary = section(text, "1. Summary of", "2. Heat maps")
    for number in range(1, 11):
        assert f"SRR{number:02d}" in summary
    assert "Breach" in summary and "Within appetite" in summary
    assert "Current position" in section(text, "2. Heat maps", "3. Alignment")
    # every page carries the marking and "page x of y"
    sheets = pages(pdf)
    for number, page in enumerate(sheets, start=1):
        assert "OFFICIAL" in page
        assert f"Page {number} of {len(sheets)}" in page
        if number > 1:  # the running header names the organisation and the pack
            assert "University of Aberdeen · Quarterly risk report" in page


def test_espo_committee_details_risks_above_tolerance(espo):
    today = timezone.localdate()
    data = pack_data(organisation=espo, kind="committee", as_of=today)
    above = {risk.ref for risk in data.risks if risk.current and risk.current.score > 10}
    assert above  # ESPO's strategic risks scoring above 10
    text = pdf_text(pack_render(organisation=espo, kind="committee", as_of=today).pdf)
    # The risks in full, up to the list of indicators at red that ends the section (issue 18)
    details = section(text, "3. Risks in full", "Indicators at red")
    breaches = {risk.ref for risk in data.breaches}
    assert breaches
    for ref in breaches:
        assert ref in details
    for risk in data.risks:  # the rest: one line in the summary (packs/layout.py)
        if not risk.page_reasons:
            assert not re.search(rf"^\s*{risk.ref} ", details, re.M)
    assert "Review health per register" in text
    assert "Eastern Shires Purchasing Organisation · Bi-annual committee risk report" in text


def test_public_edition_leaves_out_sensitive_detail(aberdeen):
    risk = Risk.objects.get(organisation=aberdeen, ref="SRR02")
    secret = "Covenant headroom is exhausted"
    Risk.objects.filter(pk=risk.pk).update(marking=Marking.OFFICIAL_SENSITIVE)
    risk.refresh_from_db()
    risk.description = secret
    risk.marking = Marking.OFFICIAL_SENSITIVE
    risk.save()  # a history record carries the new state
    today = timezone.localdate()
    full = pdf_text(pack_render(organisation=aberdeen, kind="quarterly", as_of=today).pdf)
    assert secret in full
    assert "OFFICIAL-SENSITIVE" in full.split("\f")[0]
    public_pdf = pack_render(
        organisation=aberdeen, kind="quarterly", as_of=today, edition="public"
    ).pdf
    public = pdf_text(public_pdf)
    assert secret not in public
    assert "left out of the public edition" in " ".join(public.split())
    assert "SRR02" in public  # listed, detail withheld
    for page in pages(public_pdf):
        assert "OFFICIAL" in page
        assert "OFFICIAL-SENSITIVE\n" not in page.split("\n")[0]


def test_same_date_rebuilds_the_same_pack(aberdeen):
    today = timezone.localdate()
    first_pdf = pack_render(organisation=aberdeen, kind="quarterly", as_of=today).pdf
    first = pdf_text(first_pdf)
    risk = Risk.objects.get(organisation=aberdeen, ref="SRR01")
    risk.title = "Renamed after the pack date"
    risk.save()
    # the change happened "after" the as-at moment only if it is later: move it past the day
    risk.history.filter(title="Renamed after the pack date").update(
        history_date=timezone.now() + timezone.timedelta(days=2)
    )
    second_pdf = pack_render(organisation=aberdeen, kind="quarterly", as_of=today).pdf
    second = pdf_text(second_pdf)
    assert first == second
    assert "Renamed after the pack date" not in second
    # byte for byte: no build timestamp or random identifier in the file
    assert first_pdf == second_pdf


def test_pack_embeds_the_shipped_font(aberdeen):
    pdf = pack_render(organisation=aberdeen, kind="quarterly", as_of=timezone.localdate()).pdf
    assert "→" in pdf_text(pdf)  # trend arrows, which the latin subsets of Noto Sans lack
    fonts = subprocess.run(  # noqa: S603
        ["pdffonts", "-"],  # noqa: S607
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert names, fonts
    assert all(name.split("+")[-1].startswith("Noto-Sans") for name in names), fonts
    assert any("Math" in name for name in names), fonts


def test_build_stores_file_and_marks_ready(aberdeen):
    pack = Pack.objects.create(
        organisation=aberdeen, kind="quarterly", as_of=timezone.localdate(), edition="full"
    )
    pack = pack_build(pack)
    assert pack.status == PackStatus.READY, pack.error
    assert pack.file and pack.size and pack.pages >= 5 and len(pack.sha256) == 64
    assert pack.file.read().startswith(b"%PDF")
    assert pack.attempts == 1


def test_broken_template_leaves_pack_failed_without_file(aberdeen, monkeypatch):
    def broken(data):
        raise TemplateSyntaxError("Invalid block tag on line 3: 'endfor'")

    monkeypatch.setattr("reporting.packs.services.render_pdf", broken)
    pack = Pack.objects.create(organisation=aberdeen, kind="quarterly", as_of=timezone.localdate())
    pack = pack_build(pack)
    assert pack.status == PackStatus.FAILED
    assert "Invalid block tag" in pack.error
    assert not pack.file
    assert pack.size is None


def test_storage_failure_leaves_no_file(aberdeen, monkeypatch):
    pack = Pack.objects.create(organisation=aberdeen, kind="quarterly", as_of=timezone.localdate())
    monkeypatch.setattr(
        services, "pack_render", lambda **kw: type("R", (), {"pdf": b"%PDF-1.7", "pages": 1})()
    )

    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.transaction, "atomic", explode)
    pack = pack_build(pack)
    assert pack.status == PackStatus.FAILED
    assert "could not be stored" in pack.error
    assert not pack.file


def test_url_fetcher_refuses_network_and_serves_fonts():
    font_url = "https://pack.invalid/static/fonts/noto-sans/noto-sans-latin-400-normal.ttf"
    for refused in (
        "https://example.com/x.css",
        "file:///etc/passwd",
        "https://pack.invalid/static/../../etc/passwd",
    ):
        with pytest.raises(FetchRefused):
            serve(refused)
        with pytest.raises(FetchRefused):
            pack_fetcher().fetch(refused)
    assert serve(font_url).content[:4] == b"\x00\x01\x00\x00"  # TrueType, not WOFF2 (see README)
    # the way WeasyPrint itself asks (its fonts, images and stylesheets go through this)
    from weasyprint.urls import fetch

    with fetch(pack_fetcher(), font_url) as response:
        assert response.read() == serve(font_url).content
        assert response.content_type == "font/ttf"


def test_a_render_opens_no_connection_and_no_file_it_is_not_given(monkeypatch, caplog):
    """A page naming resources outside the project renders without them: no socket is opened
    and no file read by URL (the fetcher never falls back to WeasyPrint's own, urllib's)."""
    import socket
    import urllib.request

    from weasyprint import HTML

    def no_network(*args, **kwargs):
        raise AssertionError(f"a pack render opened {args}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_network)
    page = """<style>@import url(https://example.com/x.css);
      @font-face { font-family: X; src: url(http://127.0.0.1:9/x.ttf), url(file:///etc/passwd) }
      body { font-family: X; background: url(http://example.com/b.png) }</style>
      <img src="https://example.com/x.png"><img src="file:///etc/hostname">
      <img src="static/../../../etc/passwd"><p>Text</p>"""
    with caplog.at_level("WARNING", logger="weasyprint"):
        pdf = HTML(string=page, base_url=BASE_URL, url_fetcher=pack_fetcher()).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert "PDF packs fetch nothing from outside the project: https://example.com/x.png" in (
        caplog.text
    )
    assert "a pack render opened" not in caplog.text


def test_command_writes_pdf(aberdeen, tmp_path):
    out = tmp_path / "pack.pdf"
    call_command(
        "build_pack",
        "--org=aberdeen",
        "--kind=quarterly",
        f"--as-of={timezone.localdate().isoformat()}",
        f"--out={out}",
    )
    assert out.read_bytes().startswith(b"%PDF")


def test_command_covers_the_registers_named_and_prints_the_files_sha256(aberdeen, tmp_path):
    """--register names a register the pack covers, as the web form's ticks do; the last line
    names the file with its SHA-256, to compare with a copy."""
    out, stdout = tmp_path / "school.pdf", io.StringIO()
    call_command(
        "build_pack",
        "--org=aberdeen",
        "--kind=quarterly",
        f"--as-of={timezone.localdate().isoformat()}",
        "--register=business-school",
        f"--out={out}",
        stdout=stdout,
    )
    text = subprocess.run(  # noqa: S603
        ["pdftotext", "-layout", str(out), "-"],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "Business School risk register" in text and "Strategic Risk Register" not in text
    assert (
        stdout.getvalue()
        .strip()
        .endswith(f"SHA-256 {hashlib.sha256(out.read_bytes()).hexdigest()})")
    )


@pytest.mark.parametrize("slug", ["nowhere", "archived-one"])
def test_command_refuses_a_register_not_in_use_of_the_organisation(aberdeen, tmp_path, slug):
    RegisterFactory(organisation=aberdeen, slug="archived-one", archived_at=timezone.now())
    RegisterFactory(slug="nowhere")  # another organisation's
    with pytest.raises(CommandError, match=f"--register {slug}: no register in use"):
        call_command(
            "build_pack",
            "--org=aberdeen",
            "--kind=quarterly",
            "--as-of=2026-01-01",
            f"--register={slug}",
            f"--out={tmp_path / 'x.pdf'}",
        )
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org=nowhere", "--kind=quarterly", "--as-of=2026-01-01"], "No organisation"),
        (["--org=aberdeen", "--kind=quarterly", "--as-of=31/13/2026"], "not a date"),
        (["--org=aberdeen", "--kind=quarterly", "--as-of=2999-01-01"], "future"),
    ],
)
def test_command_rejects_bad_input(aberdeen, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("build_pack", *args, f"--out={tmp_path / 'x.pdf'}")


def test_command_rejects_bad_kind(aberdeen, tmp_path):
    with pytest.raises(CommandError):
        call_command(
            "build_pack",
            "--org=aberdeen",
            "--kind=monthly",
            "--as-of=2026-01-01",
            f"--out={tmp_path / 'x.pdf'}",
        )


def test_task_is_idempotent(aberdeen, monkeypatch):
    from reporting.packs import tasks

    pack = Pack.objects.create(organisation=aberdeen, kind="quarterly", as_of=timezone.localdate())
    assert tasks.build_pack_task.run(pack.pk) == PackStatus.READY
    pack.refresh_from_db()
    sha = pack.sha256

    def fail(pack):
        raise AssertionError("a ready pack must not be rebuilt")

    monkeypatch.setattr(tasks, "pack_build", fail)
    assert tasks.build_pack_task.run(pack.pk) == "ready"
    pack.refresh_from_db()
    assert (pack.sha256, pack.attempts) == (sha, 1)
    assert tasks.build_pack_task.run(999_999) == "missing"


def test_task_settings():
    from reporting.packs.tasks import build_pack_task

    assert build_pack_task.acks_late is True
    assert build_pack_task.retry_backoff
    assert build_pack_task.autoretry_for


def test_aberdeen_committee_details_breaches_and_flagged_moves(aberdeen):
    text = pdf_text(
        pack_render(organisation=aberdeen, kind="committee", as_of=timezone.localdate()).pdf
    )
    details = section(text, "3. Risks in full", "4. Review health")
    # SRR05 and SRR08 breach; SRR02 breaches and moved two levels; SRR04 fell two levels
    for ref in ("SRR02", "SRR04", "SRR05", "SRR08"):
        assert re.search(rf"^\s*{ref} ", details, re.M), ref
    assert not re.search(r"^\s*SRR01 ", details, re.M)
    assert "Moved more than one tolerance level" in " ".join(text.split())


def test_detail_pages_flag_overdue_actions(aberdeen):
    today = timezone.localdate()
    data = pack_data(organisation=aberdeen, kind="quarterly", as_of=today)
    open_statuses = {"not_started", "in_progress"}
    overdue = [
        action
        for risk in data.details
        for action in risk.actions
        if action.due_date and action.due_date < today and action.status in open_statuses
    ]
    on_time = [
        action
        for risk in data.details
        for action in risk.actions
        if not (action.due_date and action.due_date < today and action.status in open_statuses)
    ]
    assert overdue and on_time  # the seeded breaches have both
    text = pdf_text(pack_render(organisation=aberdeen, kind="quarterly", as_of=today).pdf)
    details = section(text, "5. Risk action plans", "6. Overdue actions")
    assert len(re.findall(r"\bOverdue\b", details)) == len(overdue)


def test_soft_time_limit_leaves_pack_failed_saying_so(aberdeen, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    def slow(data):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("reporting.packs.services.render_pdf", slow)
    pack = Pack.objects.create(organisation=aberdeen, kind="quarterly", as_of=timezone.localdate())
    pack = pack_build(pack)
    assert pack.status == PackStatus.FAILED
    assert "time limit" in pack.error and "PACK_SOFT_TIME_LIMIT" in pack.error
    assert not pack.file


def test_stalled_builds_are_marked_failed_and_running_ones_left(aberdeen, settings):
    """A worker killed mid-build never reports: the beat sweep fails the pack after
    RISKREG_PACK_STALLED_SECONDS, and leaves younger builds and finished packs alone."""
    import datetime as dt

    from reporting.packs.tasks import fail_stalled_packs_task

    settings.RISKREG_PACK_STALLED_SECONDS = 420
    now = timezone.now()
    today = timezone.localdate()

    def make(status, started_seconds_ago, days_before=0, **extra):
        # One active build per pack (organisation, kind, edition, as-at): distinct dates.
        return Pack.objects.create(
            organisation=aberdeen,
            kind="quarterly",
            as_of=today - dt.timedelta(days=days_before),
            status=status,
            started_at=now - dt.timedelta(seconds=started_seconds_ago),
            **extra,
        )

    stalled = make(PackStatus.BUILDING, 421)
    running = make(PackStatus.BUILDING, 300, days_before=1)
    ready = make(PackStatus.READY, 3600, edition="public")
    assert services.packs_fail_stalled(now=now) == 1
    for pack in (stalled, running, ready):
        pack.refresh_from_db()
    assert stalled.status == PackStatus.FAILED and stalled.error == services.STALLED_REASON
    assert stalled.finished_at == now
    assert running.status == PackStatus.BUILDING
    assert ready.status == PackStatus.READY
    # a failed pack can be retried from the page; the beat task runs the same code
    services.pack_retry(pack=stalled)
    assert Pack.objects.get(pk=stalled.pk).status == PackStatus.QUEUED
    assert fail_stalled_packs_task.run() == 0


def test_beat_runs_the_stalled_pack_sweep():
    from riskreg.celery import app

    entry = app.conf.beat_schedule["fail-stalled-packs"]
    assert entry["task"] == "reporting.fail_stalled_packs"
    assert entry["schedule"] <= 5 * 60
