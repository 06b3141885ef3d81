import copy

import pytest

from registers.models import Register
from registers.services.risks import risk_create
from scoring.definition import parse_scheme
from scoring.models import Scheme
from scoring.presets import preset
from scoring.services import scheme_save

pytestmark = pytest.mark.django_db


def test_same_definition_again_adds_no_version(organisation):
    first = scheme_save(organisation=organisation, definition=preset("met-4x4"))
    again = scheme_save(organisation=organisation, definition=preset("met-4x4"))
    assert again.version == first.version and not again.created_version


def test_edit_makes_a_new_version_and_old_ratings_keep_their_meaning(organisation):
    saved = scheme_save(
        organisation=organisation, definition=preset("espo-5x5"), name="Ours", make_default=True
    )
    register = Register.objects.get(organisation=organisation, slug="corporate")
    risk = risk_create(register=register, ref="R1", title="t", positions={"current": (2, 4)})
    assert risk.scheme_version == saved.version and risk.current_band == "Medium"

    edited = copy.deepcopy(preset("espo-5x5").as_dict())
    edited["bands"][1]["name"] = "Moderate"
    newer = scheme_save(organisation=organisation, definition=parse_scheme(edited), name="Ours")
    assert newer.version.number == 2 and newer.scheme == saved.scheme
    risk.refresh_from_db()
    assert risk.scheme_version.number == 1
    assert risk.scheme_version.parsed.bands[1].name == "Medium"


def test_one_default_scheme_per_organisation(organisation):
    scheme_save(organisation=organisation, definition=preset("met-4x4"), make_default=True)
    assert Scheme.objects.filter(organisation=organisation, is_default=True).count() == 1
    assert Scheme.objects.get(organisation=organisation, is_default=True).name == "Met L/M/H/VH"


def test_parsed_cache_never_serves_another_definition_under_a_reused_id():
    from scoring.models import _parse_cached

    espo, met = preset("espo-5x5").as_dict(), preset("met-4x4").as_dict()
    assert _parse_cached(987654, espo).name == "ESPO 5x5"
    assert _parse_cached(987654, met).name == "Met L/M/H/VH"
