"""Exports and packs say which scheme version a rating is under when versions differ within them
(issue 15, "Scoring scheme in the browser"): the export's ``scheme_version`` column is filled
only then, and a pack marks the ratings under an older version and explains the mark once."""

import copy
import csv
import io

import pytest
from django.utils import timezone

from registers.models import Role
from registers.selectors.rescoring import OLDER_VERSION_MARK
from registers.services.rescoring import scheme_version_adopt
from reporting.packs.data import pack_data
from reporting.packs.render import render_html
from reporting.spreadsheets.exporting import register_export, to_csv
from scoring.definition import parse_scheme
from scoring.models import Scheme
from scoring.presets import preset
from tests.factories import MembershipFactory, RiskFactory

pytestmark = pytest.mark.django_db


def moved_edges():
    data = copy.deepcopy(preset("espo-5x5").as_dict())
    data["bands"][0]["max"], data["bands"][1]["min"] = 4, 5
    return parse_scheme(data)


def exported(register) -> dict[str, str]:
    rows = csv.DictReader(
        io.StringIO(to_csv(register_export(register=register)).decode("utf-8-sig"))
    )
    return {row["ref"]: row["scheme_version"] for row in rows}


@pytest.fixture
def two_versions(organisation, corporate_register):
    """R1 rated under version 1 (kept until its review), R2 created under version 2."""
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    RiskFactory(register=corporate_register, ref="R1", positions={"current": (1, 5)})
    scheme = Scheme.objects.get(organisation=organisation, is_default=True)
    scheme_version_adopt(
        scheme=scheme, definition=moved_edges(), by=admin, rerate=False, reason="edges"
    )
    return scheme


def test_export_says_nothing_while_every_rating_is_under_one_version(corporate_register):
    RiskFactory(register=corporate_register, ref="R1", positions={"current": (1, 5)})
    assert exported(corporate_register) == {"R1": ""}


def test_export_names_each_ratings_version_when_they_differ(corporate_register, two_versions):
    RiskFactory(register=corporate_register, ref="R2", positions={"current": (2, 2)})
    name = two_versions.name
    assert exported(corporate_register) == {"R1": f"{name} v1", "R2": f"{name} v2"}


def test_pack_marks_ratings_under_an_older_version(organisation, corporate_register, two_versions):
    RiskFactory(register=corporate_register, ref="R2", positions={"current": (2, 2)})
    pack = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    marked = {risk.ref: risk.older_version for risk in pack.risks}
    assert marked == {"R1": True, "R2": False}
    assert pack.version_legend.startswith(OLDER_VERSION_MARK)
    assert f"version 1 of {two_versions.name}" in pack.version_legend


def test_pack_has_no_legend_when_versions_agree(organisation, corporate_register):
    RiskFactory(register=corporate_register, ref="R1", positions={"current": (1, 5)})
    pack = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    assert pack.version_legend == "" and not pack.risks[0].older_version


def test_pack_pages_carry_the_mark_and_the_legend(organisation, corporate_register, two_versions):
    RiskFactory(register=corporate_register, ref="R2", positions={"current": (2, 2)})
    pack = pack_data(organisation=organisation, kind="quarterly", as_of=timezone.localdate())
    html = render_html(pack)
    assert "<sup>†</sup>" in html and html.count("<sup>†</sup>") == 1
    assert "Rated under version 1 of" in html
