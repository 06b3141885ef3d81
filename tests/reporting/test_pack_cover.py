"""The logo or name on packs (issue 15, "Profile"): a logo an admin uploads is checked by its
content (PNG or JPEG, at most 500 KB), stored under a name made from its bytes, and shown on the
pack's cover and running header through the PDF fetcher's one logo address; without one the
pack shows the organisation's name."""

import io
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from PIL import Image

from registers.models import Organisation, Role
from registers.services.pack_logo import (
    LOGO_CHANGED_REASON,
    LOGO_MAX_BYTES,
    LOGO_NOT_AN_IMAGE,
    LOGO_REMOVED_REASON,
    LOGO_TOO_BIG,
    logo_check,
    logo_for_pack,
    organisation_logo_remove,
    organisation_logo_set,
)
from reporting.models import Pack
from reporting.packs.data import pack_data
from reporting.packs.render import (
    LOGO_URL,
    FetchRefused,
    pack_fetcher,
    render_html,
    render_pdf,
    serve,
)
from riskreg.forms import sentence
from tests.factories import MembershipFactory, RiskFactory

pytestmark = pytest.mark.django_db


def picture(kind: str = "PNG", size=(120, 40), colour=(29, 112, 184)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=kind)
    return buffer.getvalue()


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


def logo_url_of(organisation) -> str:
    return reverse("organisation_logo", args=[organisation.slug])


# --- checked by content ---------------------------------------------------------------------------


def test_png_and_jpeg_are_taken_by_their_content():
    assert logo_check(picture("PNG")).mime_type == "image/png"
    assert logo_check(picture("JPEG")).mime_type == "image/jpeg"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (picture("GIF"), LOGO_NOT_AN_IMAGE),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", LOGO_NOT_AN_IMAGE),
        (b"%PDF-1.4 not a picture", LOGO_NOT_AN_IMAGE),
        (picture("PNG")[:60], LOGO_NOT_AN_IMAGE),  # cut short
        (b"\x89PNG" + b"\0" * LOGO_MAX_BYTES, LOGO_TOO_BIG),
    ],
)
def test_anything_else_is_refused_saying_why(content, message):
    with pytest.raises(ValidationError) as exc_info:
        logo_check(content)
    assert exc_info.value.message_dict["logo"] == [message]


def test_the_stored_name_is_made_from_the_bytes_and_history_says_who(organisation, admin):
    organisation_logo_set(organisation=organisation, content=picture(), by=admin)
    stored = Organisation.objects.get(pk=organisation.pk)
    assert stored.pack_logo.name.startswith(f"logos/{organisation.pk}/")
    assert stored.pack_logo.name.endswith(".png")
    record = stored.history.latest()
    assert (record.history_user, record.history_change_reason) == (admin, LOGO_CHANGED_REASON)
    first = stored.pack_logo.name
    organisation_logo_set(organisation=stored, content=picture("JPEG"), by=admin)
    stored.refresh_from_db()
    assert stored.pack_logo.name.endswith(".jpg")
    assert stored.pack_logo.storage.exists(stored.pack_logo.name)
    assert organisation_logo_remove(organisation=stored, by=admin)
    stored.refresh_from_db()
    assert not stored.pack_logo
    assert stored.history.latest().history_change_reason == LOGO_REMOVED_REASON
    assert first != ""


# --- the page --------------------------------------------------------------------------------------


def test_an_admin_uploads_a_logo_with_a_hostile_name_and_removes_it(client, organisation, admin):
    client.force_login(admin)
    upload = SimpleUploadedFile("../../etc/passwd .png", picture(), content_type="text/plain")
    response = client.post(logo_url_of(organisation), {"logo": upload})
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert "passwd" not in organisation.pack_logo.name and ".." not in organisation.pack_logo.name
    page = client.get(reverse("organisation_profile", args=[organisation.slug])).content.decode()
    assert "Remove the logo" in page
    response = client.post(logo_url_of(organisation), {"remove": "1"})
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert not organisation.pack_logo


def test_a_file_that_is_not_a_png_or_jpeg_is_answered_400(client, organisation, admin):
    client.force_login(admin)
    before = organisation.history.count()
    upload = SimpleUploadedFile("logo.png", picture("GIF"), content_type="image/png")
    response = client.post(logo_url_of(organisation), {"logo": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page and escape(sentence(LOGO_NOT_AN_IMAGE)) in page
    assert organisation.history.count() == before
    assert client.post(logo_url_of(organisation), {}).status_code == 400  # no file at all


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL])
def test_only_admins_change_the_logo(client, organisation, member, role):
    client.force_login(member(role))
    upload = SimpleUploadedFile("logo.png", picture(), content_type="image/png")
    assert client.post(logo_url_of(organisation), {"logo": upload}).status_code == 403
    assert client.get(logo_url_of(organisation)).status_code == 405
    organisation.refresh_from_db()
    assert not organisation.pack_logo


def test_another_organisations_admin_gets_404_and_csrf_is_checked(
    client, organisation, other_organisation, admin
):
    client.force_login(MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user)
    upload = SimpleUploadedFile("logo.png", picture(), content_type="image/png")
    assert client.post(logo_url_of(organisation), {"logo": upload}).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin)
    upload = SimpleUploadedFile("logo.png", picture(), content_type="image/png")
    assert strict.post(logo_url_of(organisation), {"logo": upload}).status_code == 403
    organisation.refresh_from_db()
    assert not organisation.pack_logo


# --- on the pack -----------------------------------------------------------------------------------


def test_without_a_logo_the_cover_shows_the_name(organisation):
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    html = render_html(data, logo=logo_for_pack(organisation))
    assert 'class="cover__org">' + escape(organisation.name) in html
    assert LOGO_URL not in html


def test_the_logo_is_on_the_cover_and_in_the_header_and_fetched_from_one_address(
    organisation, corporate_register, admin, tmp_path
):
    organisation_logo_set(organisation=organisation, content=picture(), by=admin)
    RiskFactory(register=corporate_register, ref="C1")
    organisation.refresh_from_db()
    logo = logo_for_pack(organisation)
    data = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    html = render_html(data, logo=logo)
    assert html.count(f'src="{LOGO_URL}"') == 2  # the cover and the running header
    assert serve(LOGO_URL, logo=logo).mime_type == "image/png"
    assert pack_fetcher(logo).fetch(LOGO_URL).content_type == "image/png"
    with pytest.raises(FetchRefused):
        serve(LOGO_URL)  # a render without a logo fetches nothing there
    with pytest.raises(FetchRefused):
        pack_fetcher().fetch(LOGO_URL)
    with pytest.raises(FetchRefused):
        serve("https://pack.invalid/media/" + organisation.pack_logo.name, logo=logo)
    path = tmp_path / "pack.pdf"
    path.write_bytes(render_pdf(data).pdf)
    listing = subprocess.run(  # noqa: S603
        ["pdfimages", "-list", str(path)],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout.decode()
    pictures = [line for line in listing.splitlines()[2:] if " image " in line]
    assert len(pictures) >= 2  # drawn on the cover and in the header of the pages after it


def test_a_logo_the_storage_lost_falls_back_to_the_name(organisation, admin):
    organisation_logo_set(organisation=organisation, content=picture(), by=admin)
    organisation.refresh_from_db()
    organisation.pack_logo.storage.delete(organisation.pack_logo.name)
    assert logo_for_pack(organisation) is None
    data = pack_data(organisation=organisation, kind="committee", as_of=timezone.localdate())
    assert escape(organisation.name) in render_pdf(data).html


# --- which registers the packs cover ---------------------------------------------------------------


@pytest.fixture
def two_tops(organisation, corporate_register):
    from tests.factories import RegisterFactory

    baf = RegisterFactory(
        organisation=organisation, slug="baf", name="Board assurance", parent=None
    )
    estates = RegisterFactory(
        organisation=organisation, slug="estates", name="Estates", parent=corporate_register
    )
    return corporate_register, baf, estates


def test_until_chosen_the_packs_cover_the_top_level_registers(organisation, two_tops):
    from reporting.packs.services import pack_registers_default

    corporate, baf, _ = two_tops
    assert set(pack_registers_default(organisation=organisation)) == {corporate, baf}


def test_the_choice_is_the_default_of_scheduled_packs_and_the_request_form(
    client, organisation, two_tops, admin
):
    import datetime as dt

    from registers.services.pack_coverage import (
        PACK_REGISTERS_REASON,
        organisation_pack_registers_set,
    )
    from reporting.packs.schedule import request_scheduled_packs
    from reporting.packs.services import pack_registers_default

    corporate, baf, estates = two_tops
    organisation_pack_registers_set(organisation=organisation, registers=[baf, estates], by=admin)
    record = organisation.history.latest()
    assert record.history_user == admin
    assert record.history_change_reason == PACK_REGISTERS_REASON.format(
        names="Board assurance, Estates"
    )
    assert {row.register for row in record.pack_registers.all()} == {baf, estates}
    assert pack_registers_default(organisation=organisation) == [baf, estates]
    Organisation.objects.filter(pk=organisation.pk).update(quarter_end_months=[9])
    requested = [
        pack
        for pack in request_scheduled_packs(today=dt.date(2026, 10, 1))
        if pack.organisation_id == organisation.pk
    ]
    assert requested and all(set(p.registers.all()) == {baf, estates} for p in requested)
    client.force_login(admin)
    page = client.get(reverse("packs", args=[organisation.slug])).content.decode()
    assert f'value="{baf.pk}" checked' in page and f'value="{estates.pk}" checked' in page
    assert f'value="{corporate.pk}" checked' not in page


def test_the_choice_is_saved_once_and_archived_registers_are_neither_offered_nor_kept(
    organisation, two_tops, admin
):
    from registers.services.pack_coverage import (
        PACK_REGISTERS_ARCHIVED,
        PACK_REGISTERS_REQUIRED,
        organisation_pack_registers_set,
        pack_registers_chosen,
    )
    from registers.services.register_archive import register_archive
    from reporting.packs.services import pack_registers_default

    corporate, baf, estates = two_tops
    organisation_pack_registers_set(organisation=organisation, registers=[baf, estates], by=admin)
    rows = organisation.history.count()
    organisation_pack_registers_set(organisation=organisation, registers=[estates, baf], by=admin)
    assert organisation.history.count() == rows  # the same choice writes nothing
    with pytest.raises(ValidationError) as exc_info:
        organisation_pack_registers_set(organisation=organisation, registers=[], by=admin)
    assert exc_info.value.message_dict["registers"] == [PACK_REGISTERS_REQUIRED]
    register_archive(register=estates, reason="merged", by=admin)
    assert pack_registers_default(organisation=organisation) == [baf]
    assert pack_registers_chosen(organisation) == [baf]
    with pytest.raises(ValidationError) as exc_info:
        organisation_pack_registers_set(organisation=organisation, registers=[estates], by=admin)
    assert exc_info.value.message_dict["registers"] == [
        PACK_REGISTERS_ARCHIVED.format(register="Estates")
    ]


def test_the_page_saves_the_choice_for_admins_only(client, organisation, two_tops, admin, member):
    corporate, baf, estates = two_tops
    url = reverse("settings_pack_registers", args=[organisation.slug])
    client.force_login(admin)
    page = client.get(url).content.decode()
    assert f'value="{corporate.pk}" checked' in page and f'value="{baf.pk}" checked' in page
    assert not organisation.pack_registers.exists()  # a GET changes nothing
    response = client.post(url, {"registers": [str(estates.pk)]})
    assert response.status_code == 302
    assert list(organisation.pack_registers.all()) == [estates]
    listing = client.get(reverse("settings_registers", args=[organisation.slug]))
    assert "The quarterly and committee packs cover Estates." in listing.content.decode()
    response = client.post(url, {})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()
    response = client.post(url, {"registers": ["999999"]})
    assert response.status_code == 400
    client.force_login(member(Role.COORDINATOR))
    assert client.get(url).status_code == 403
    assert client.post(url, {"registers": [str(baf.pk)]}).status_code == 403
    assert list(organisation.pack_registers.all()) == [estates]


def test_another_organisations_admin_gets_404(client, organisation, other_organisation, two_tops):
    client.force_login(MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user)
    url = reverse("settings_pack_registers", args=[organisation.slug])
    assert client.get(url).status_code == 404
    assert client.post(url, {"registers": [str(two_tops[1].pk)]}).status_code == 404
    assert not organisation.pack_registers.exists()


def test_the_request_form_offers_no_archived_register(client, organisation, two_tops, admin):
    from registers.services.register_archive import register_archive

    corporate, baf, estates = two_tops
    register_archive(register=estates, reason="merged", by=admin)
    client.force_login(admin)
    page = client.get(reverse("packs", args=[organisation.slug])).content.decode()
    assert f'value="{baf.pk}"' in page
    assert f'value="{estates.pk}"' not in page
    response = client.post(
        reverse("packs", args=[organisation.slug]),
        {
            "kind": "quarterly",
            "edition": "full",
            "as_of": timezone.localdate().strftime("%d/%m/%Y"),
            "registers": [str(estates.pk)],
            "registers_shown": "1",
        },
    )
    assert "govuk-error-summary" in response.content.decode()
    assert not Pack.objects.filter(organisation=organisation).exists()
