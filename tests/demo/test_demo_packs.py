"""The demo gives panel members something to read: seed_demo requests each seeded organisation's
quarterly and committee packs as at the date of its source, once (a second run requests nothing
new). With a queue, both editions are queued for the worker; built in-process (no broker), only
the public editions, which every panel member may read, so the first run stays quick."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from demo.packs import demo_packs_request
from demo.seeding import JOINT_PANEL_EMAIL, seed_demo, source_day
from registers.models import Organisation, User
from reporting.models import Pack, PackStatus
from reporting.packs import tasks

pytestmark = pytest.mark.django_db


def packs_of(slug: str) -> set[tuple[str, str, dt.date]]:
    return set(Pack.objects.filter(organisation__slug=slug).values_list("kind", "edition", "as_of"))


def test_source_days():
    assert source_day(Organisation(slug="met")) == dt.date(2021, 10, 4)
    assert source_day(Organisation(slug="mopac")) == dt.date(2022, 3, 28)
    assert source_day(Organisation(slug="wmp")) == dt.date(2021, 12, 31)  # its Q3 2021/22
    # Aberdeen and ESPO publish no risks: their registers stand as the demo seeded them.
    seed_demo(slugs=("espo",))
    assert source_day(Organisation.objects.get(slug="espo")) == timezone.localdate()


def test_both_kinds_and_editions_queued_at_the_source_date_once():
    seed_demo(slugs=("met", "espo"))
    requested = demo_packs_request(in_process=False)
    assert len(requested) == 8
    assert all(pack.status == PackStatus.QUEUED for pack in requested)
    met = dt.date(2021, 10, 4)
    assert packs_of("met") == {
        (kind, edition, met)
        for kind in ("quarterly", "committee")
        for edition in ("full", "public")
    }
    assert {as_of for _, _, as_of in packs_of("espo")} == {timezone.localdate()}
    assert demo_packs_request(in_process=False) == []
    assert Pack.objects.count() == 8


def test_built_in_process_only_the_public_editions():
    seed_demo(slugs=("met",))
    requested = demo_packs_request(in_process=True)
    assert sorted((pack.kind, pack.edition) for pack in requested) == [
        ("committee", "public"),
        ("quarterly", "public"),
    ]
    assert demo_packs_request(in_process=True) == []


def test_a_joint_panel_member_downloads_a_real_demo_pack(client):
    seed_demo(slugs=("met", "mopac"))
    demo_packs_request(in_process=False)
    pack = Pack.objects.get(
        organisation__slug="met", kind="quarterly", edition="public", as_of=dt.date(2021, 10, 4)
    )
    assert tasks.build_pack_task(pack.pk) == PackStatus.READY  # what the worker runs
    client.force_login(User.objects.get(email=JOINT_PANEL_EMAIL))
    page = client.get(reverse("my_packs")).content.decode()
    download = reverse("pack_download", args=["met", pack.pk])
    assert download in page
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_seed_demo_requests_the_packs_and_a_second_run_nothing_new():
    out = io.StringIO()
    call_command("seed_demo", "--quiet-logins", "--no-packs", stdout=out)
    assert Pack.objects.count() == 0
    call_command("seed_demo", "--quiet-logins", stdout=out)
    assert Pack.objects.count() == 20  # five organisations, two kinds, two editions (queued)
    assert "report packs queued: 20" in out.getvalue()
    out = io.StringIO()
    call_command("seed_demo", "--quiet-logins", stdout=out)
    assert Pack.objects.count() == 20
    assert "report packs queued: 0" in out.getvalue()
