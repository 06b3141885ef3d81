"""The scoring scheme pages (issue 15, "Scoring scheme in the browser"): the scheme as the
dashboard's grid with its levels, bands and versions; a new version from the current one, a
preset or an uploaded file, edited in a form whose every rule's message sits by its field; the
preview with the re-scoring; and saving with either choice. Admins only (403 for other roles,
404 outside the organisation); a GET changes nothing; POSTs are CSRF-checked; bad input is a 400
with the error summary."""

import copy
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from registers.forms_scheme import (
    CHOICE_REQUIRED,
    DEFINITION_BROKEN,
    FILE_NOT_TEXT,
    KEEP,
    RERATE,
    START_UNKNOWN,
    definition_json,
)
from registers.models import Risk, Role
from registers.selectors.rescoring import rescoring_preview
from registers.services.rescoring import REASON_REQUIRED
from registers.views.scheme_settings import ADMINS_ONLY
from riskreg.forms import sentence
from scoring.models import Scheme, SchemeVersion
from scoring.presets import preset
from tests.factories import MembershipFactory, OrganisationFactory, RiskFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def scheme(organisation):
    return Scheme.objects.select_related("current_version").get(
        organisation=organisation, is_default=True
    )


def url(name, organisation, scheme=None) -> str:
    args = [organisation.slug] + ([scheme.pk] if scheme is not None else [])
    return reverse(name, args=args)


def edit_data(definition, **changes) -> dict:
    """The edit form as the browser posts it, filled from ``definition``, then ``changes``."""
    data = {"base": definition_json(definition)}
    for axis in ("likelihood", "impact"):
        for level in getattr(definition, axis):
            for part in ("label", "code", "description"):
                data[f"{axis}_{level.value}_{part}"] = getattr(level, part)
    for band in definition.bands:
        prefix = f"band_{band.position}"
        data[f"{prefix}_name"] = band.name
        data[f"{prefix}_colour"] = band.colour
        data[f"{prefix}_review_months"] = band.review_months or ""
        if definition.method == "product":
            data[f"{prefix}_min"], data[f"{prefix}_max"] = band.min, band.max
    data.update(changes)
    return data


def counts():
    return (
        SchemeVersion.objects.count(),
        Risk.history.count(),
        Scheme.history.count(),
    )


# --- who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL])
def test_other_roles_are_refused_403(client, organisation, scheme, role):
    client.force_login(MembershipFactory(organisation=organisation, role=role).user)
    for name in ("settings_scheme",):
        response = client.get(url(name, organisation))
        assert response.status_code == 403
    for name in ("settings_scheme_new", "settings_scheme_edit"):
        assert client.get(url(name, organisation, scheme)).status_code == 403
    before = counts()
    response = client.post(
        url("settings_scheme_save", organisation, scheme),
        {"definition": definition_json(preset("met-4x4")), "choice": RERATE, "reason": "x"},
    )
    assert response.status_code == 403 and counts() == before
    assert ADMINS_ONLY  # the refusal's words live in the view module


def test_another_organisation_gets_404(client, organisation, scheme):
    other = OrganisationFactory()
    outsider = MembershipFactory(organisation=other, role=Role.ADMIN).user
    client.force_login(outsider)
    assert client.get(url("settings_scheme", organisation)).status_code == 404
    assert client.get(url("settings_scheme_new", organisation, scheme)).status_code == 404
    # Their own slug with our scheme's id: no such scheme there.
    theirs = reverse("settings_scheme_new", args=[other.slug, scheme.pk])
    assert client.get(theirs).status_code == 404
    response = client.post(
        reverse("settings_scheme_save", args=[other.slug, scheme.pk]),
        {"definition": definition_json(preset("met-4x4")), "choice": RERATE, "reason": "x"},
    )
    assert response.status_code == 404


# --- the scheme page ------------------------------------------------------------------------------


def test_the_page_shows_the_grid_levels_bands_and_versions(admin_client, organisation, scheme):
    response = admin_client.get(url("settings_scheme", organisation))
    assert response.status_code == 200
    text = response.content.decode()
    definition = scheme.current_version.parsed
    assert escape(scheme.name) in text and "version 1" in text
    assert 'class="govuk-table rr-heatmap"' in text
    assert "7 to 12" in text  # the Medium band's scores
    for level in definition.likelihood + definition.impact:
        assert escape(level.description) in text
    for band in definition.bands:
        assert band.colour in text
    assert reverse("settings_scheme_new", args=[organisation.slug, scheme.pk]) in text


def test_the_page_reads_the_same_number_of_queries_whatever_it_lists(
    admin_client, organisation, scheme, corporate_register, admin
):
    page = url("settings_scheme", organisation)
    admin_client.get(page)

    def grow():
        for n in range(10):
            RiskFactory(register=corporate_register, positions={"current": (n % 5 + 1, 2)})
        data = copy.deepcopy(preset("espo-5x5").as_dict())
        data["bands"][0]["review_months"] = 6
        from scoring.definition import parse_scheme
        from scoring.services import scheme_save

        scheme_save(organisation=organisation, definition=parse_scheme(data), name=scheme.name)

    assert_same_queries(lambda: admin_client.get(page), grow, at_most=20)


# --- a new version, in a form ----------------------------------------------------------------------


def test_start_from_the_current_version_or_a_preset(admin_client, organisation, scheme):
    response = admin_client.get(url("settings_scheme_new", organisation, scheme))
    assert response.status_code == 200
    assert "Preset: Met L/M/H/VH" in response.content.decode()
    edit = url("settings_scheme_edit", organisation, scheme)
    response = admin_client.get(edit, {"start": "current"})
    assert response.status_code == 200
    assert 'value="Very low"' in response.content.decode()
    response = admin_client.get(edit, {"start": "met-4x4"})
    assert response.status_code == 200 and 'name="band_1_min"' not in response.content.decode()
    response = admin_client.get(edit, {"start": "nonsense"})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()
    assert escape(START_UNKNOWN) in response.content.decode()


def test_an_edited_band_edge_is_previewed_with_the_risks_it_rerates(
    admin_client, organisation, scheme, corporate_register
):
    RiskFactory(register=corporate_register, ref="R5", positions={"current": (1, 5)})
    before = counts()
    definition = scheme.current_version.parsed
    response = admin_client.post(
        url("settings_scheme_edit", organisation, scheme),
        edit_data(definition, band_1_max=4, band_2_min=5),
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Check version 2" in text
    assert "5 (Low)" in text and "5 (Medium)" in text and "R5" in text
    assert counts() == before  # a preview saves nothing


def test_every_rule_is_shown_against_its_field_with_a_400(admin_client, organisation, scheme):
    definition = scheme.current_version.parsed
    response = admin_client.post(
        url("settings_scheme_edit", organisation, scheme),
        edit_data(
            definition,
            band_1_colour="green",
            likelihood_2_label="",
            impact_3_code="I",  # impact 1's code already
        ),
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "govuk-error-summary" in text
    for field in ("band_1_colour", "likelihood_2_label", "impact_3_code"):
        assert f'id="id_{field}_error"' in text, field
        assert f'href="#id_{field}"' in text, field
    # A rule about several bands is in the summary, not against one field.
    response = admin_client.post(
        url("settings_scheme_edit", organisation, scheme), edit_data(definition, band_3_max=19)
    )
    assert response.status_code == 400
    message = escape(sentence("bands: no band covers the reachable score(s) [20]"))
    assert message in response.content.decode().split("govuk-error-summary__list")[1]


def test_change_it_brings_the_proposed_scheme_back_into_the_form(
    admin_client, organisation, scheme
):
    proposed = preset("met-4x4")
    response = admin_client.post(
        url("settings_scheme_edit", organisation, scheme),
        {"change": "1", "definition": definition_json(proposed)},
    )
    assert response.status_code == 200
    assert 'value="VH"' in response.content.decode()
    response = admin_client.post(
        url("settings_scheme_edit", organisation, scheme), {"change": "1", "definition": "{"}
    )
    assert response.status_code == 400
    assert escape(DEFINITION_BROKEN) in response.content.decode()


# --- upload ------------------------------------------------------------------------------------------


def upload(content: bytes, name="scheme.json"):
    return {"file": SimpleUploadedFile(name, content, content_type="application/json")}


def test_an_uploaded_file_goes_to_the_preview(admin_client, organisation, scheme):
    text = json.dumps(preset("aberdeen-6x6").as_dict()).encode()
    response = admin_client.post(url("settings_scheme_new", organisation, scheme), upload(text))
    assert response.status_code == 200
    assert "Check version 2" in response.content.decode()


def test_a_bad_file_lists_every_rule_it_breaks(admin_client, organisation, scheme):
    data = preset("espo-5x5").as_dict()
    data["bands"][0]["colour"] = "green"
    data["likelihood"][1]["code"] = "VL"
    before = counts()
    response = admin_client.post(
        url("settings_scheme_new", organisation, scheme), upload(json.dumps(data).encode())
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "govuk-error-summary" in text
    assert escape("Band 'Low': colour must be a hex colour like #d4351c, not 'green'") in text
    assert escape("Likelihood: duplicate code 'VL'") in text
    for content, message in (
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", FILE_NOT_TEXT),
    ):
        response = admin_client.post(
            url("settings_scheme_new", organisation, scheme), upload(content)
        )
        assert response.status_code == 400
        assert escape(message) in response.content.decode()
    assert counts() == before


# --- saving ------------------------------------------------------------------------------------------


def save_data(scheme, proposed, **changes) -> dict:
    data = {
        "definition": definition_json(proposed),
        "based_on": scheme.current_version_id,
        "choice": RERATE,
        "reason": "Moved Low down",
    }
    data.update(changes)
    return data


def moved_edges():
    from scoring.definition import parse_scheme

    data = copy.deepcopy(preset("espo-5x5").as_dict())
    data["bands"][0]["max"], data["bands"][1]["min"] = 4, 5
    return parse_scheme(data)


def test_save_and_rerate_now(admin_client, organisation, scheme, corporate_register):
    risk = RiskFactory(register=corporate_register, ref="R5", positions={"current": (1, 5)})
    response = admin_client.post(
        url("settings_scheme_save", organisation, scheme), save_data(scheme, moved_edges())
    )
    assert response.status_code == 302
    assert response.url == url("settings_scheme", organisation)
    risk.refresh_from_db()
    assert (risk.current_band, risk.scheme_version.number) == ("Medium", 2)
    page = admin_client.get(response.url).content.decode()
    assert "Version 2 of" in page and "Moved Low down" in page


def test_save_and_rerate_now_says_what_the_preview_said(
    admin_client, organisation, scheme, corporate_register
):
    """The preview counts those that would change score or band and those that would keep the
    same rating; the saved message says the same of the re-rated, in proper plurals (it said
    "2 open risk(s) re-rated under it")."""
    RiskFactory(register=corporate_register, ref="R5", positions={"current": (1, 5)})
    RiskFactory(register=corporate_register, ref="R6", positions={"current": (3, 4)})
    preview = rescoring_preview(scheme=scheme, definition=moved_edges())
    assert (preview.changing, preview.unchanged) == (1, 1)
    response = admin_client.post(
        url("settings_scheme_save", organisation, scheme),
        save_data(scheme, moved_edges()),
        follow=True,
    )
    assert [str(message) for message in response.context["messages"]] == [
        f"Version 2 of {scheme.name} saved. 2 open risks re-rated under it: 1 changed score or "
        "band, 1 kept the same rating."
    ]


def test_save_and_keep(admin_client, organisation, scheme, corporate_register):
    risk = RiskFactory(register=corporate_register, ref="R5", positions={"current": (1, 5)})
    response = admin_client.post(
        url("settings_scheme_save", organisation, scheme),
        save_data(scheme, moved_edges(), choice=KEEP),
    )
    assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.current_band, risk.scheme_version.number) == ("Low", 1)
    # The risk page says which version its rating is under.
    page = admin_client.get(reverse("risk", args=[organisation.slug, "R5"])).content.decode()
    assert "Rated under version 1" in page


def test_save_refuses_missing_choice_and_reason_with_a_400(admin_client, organisation, scheme):
    before = counts()
    response = admin_client.post(
        url("settings_scheme_save", organisation, scheme),
        save_data(scheme, moved_edges(), choice="", reason=""),
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert escape(CHOICE_REQUIRED) in text
    response = admin_client.post(
        url("settings_scheme_save", organisation, scheme),
        save_data(scheme, moved_edges(), reason=" "),
    )
    assert response.status_code == 400
    assert escape(sentence(REASON_REQUIRED)) in response.content.decode()
    response = admin_client.post(
        url("settings_scheme_save", organisation, scheme),
        save_data(scheme, moved_edges(), definition='{"name": "x"}'),
    )
    assert response.status_code == 400
    assert escape(DEFINITION_BROKEN) in response.content.decode()
    assert counts() == before


def test_posts_are_csrf_checked(organisation, scheme, admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    before = counts()
    response = client.post(
        url("settings_scheme_save", organisation, scheme), save_data(scheme, moved_edges())
    )
    assert response.status_code == 403 and counts() == before


def test_gets_change_nothing(admin_client, organisation, scheme, corporate_register):
    RiskFactory(register=corporate_register, positions={"current": (1, 5)})
    before = counts()
    for name, query in (
        ("settings_scheme", None),
        ("settings_scheme_new", None),
        ("settings_scheme_edit", {"start": "met-4x4"}),
    ):
        target = url(name, organisation, None if name == "settings_scheme" else scheme)
        assert admin_client.get(target, query or {}).status_code == 200
    response = admin_client.get(url("settings_scheme_save", organisation, scheme))
    assert response.status_code == 405
    assert counts() == before


def test_a_renamed_band_of_a_matrix_scheme_keeps_its_cells(admin_client, organisation, scheme):
    met = preset("met-4x4")
    response = admin_client.post(
        url("settings_scheme_edit", organisation, scheme),
        edit_data(met, band_1_name="Minor", band_1_colour="#00703c"),
    )
    assert response.status_code == 200
    proposed = json.loads(response.context["definition_json"])
    renamed = [row.count("Minor") for row in proposed["matrix"]]
    assert sum(renamed) == sum(row.count("Low") for row in met.as_dict()["matrix"])
    assert not any("Low" in row for row in proposed["matrix"])
