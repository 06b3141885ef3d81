"""GET /api/v1/organisations/ and an organisation's registers, scheme and appetite: the caller's
organisations the token covers, 404 beyond them, flat queries."""

from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from appetite.services import appetite_statement_set
from registers.calendar import previous_quarter_end
from registers.models import Register, Role
from scoring.selectors import default_scheme
from tests import factories
from tests.queries import assert_same_queries

LONDON = ZoneInfo("Europe/London")
ORG_PAGES = ("", "registers/", "registers/corporate/", "scheme/", "appetite/")


@pytest.fixture
def viewer(member):
    return member(Role.VIEWER)


def _org(organisation, tail=""):
    return f"/api/v1/organisations/{organisation.slug}/{tail}"


def test_lists_the_organisations_the_token_covers_with_the_role(
    organisation, other_organisation, viewer, token_for, api
):
    third = factories.OrganisationFactory(name="Aardvark Council")
    factories.MembershipFactory(organisation=other_organisation, user=viewer, role=Role.PANEL)
    factories.MembershipFactory(organisation=third, user=viewer, role=Role.ADMIN)
    _, secret = token_for(viewer, [organisation, other_organisation])
    response = api(secret).get("/api/v1/organisations/")
    assert response.status_code == 200
    listed = {o["slug"]: o for o in response.json()["results"]}
    assert set(listed) == {organisation.slug, other_organisation.slug}  # not the third
    mine = listed[organisation.slug]
    assert mine["role"] == "viewer" and listed[other_organisation.slug]["role"] == "panel"
    assert mine["name"] == organisation.name and mine["timezone"] == "Europe/London"
    scheme = default_scheme(organisation=organisation)
    assert mine["scheme"] == {
        "name": scheme.name,
        "version": scheme.current_version.number,
        "notation": scheme.current_version.parsed.notation,
    }
    assert mine["calendar"]["quarter_end_months"] == [3, 6, 9, 12]
    end = previous_quarter_end(organisation=organisation, moment=timezone.now())
    assert mine["calendar"]["last_quarter_end"] == end.astimezone(LONDON).date().isoformat()
    assert end.astimezone(LONDON).month in (3, 6, 9, 12)
    assert mine["cleared"] is False


def test_a_session_sees_every_organisation_of_the_person(organisation, other_organisation, viewer):
    from rest_framework.test import APIClient

    factories.MembershipFactory(organisation=other_organisation, user=viewer, role=Role.OWNER)
    client = APIClient()
    client.force_login(viewer)
    slugs = [o["slug"] for o in client.get("/api/v1/organisations/").json()["results"]]
    assert sorted(slugs) == sorted([organisation.slug, other_organisation.slug])


@pytest.mark.parametrize("tail", ORG_PAGES)
def test_another_organisation_is_404(
    organisation, other_organisation, viewer, token_for, api, tail
):
    _, secret = token_for(viewer, [organisation])
    client = api(secret)
    assert client.get(_org(organisation, tail)).status_code == 200
    assert client.get(_org(other_organisation, tail)).status_code == 404
    assert client.get(f"/api/v1/organisations/no-such-org/{tail}").status_code == 404


@pytest.mark.parametrize("tail", ORG_PAGES)
def test_an_organisation_the_token_does_not_cover_is_404(
    organisation, other_organisation, viewer, token_for, api, tail
):
    factories.MembershipFactory(organisation=other_organisation, user=viewer, role=Role.ADMIN)
    _, secret = token_for(viewer, [organisation])
    assert api(secret).get(_org(other_organisation, tail)).status_code == 404


def test_no_token_no_answer(organisation, api):
    assert api().get("/api/v1/organisations/").status_code in (401, 403)
    assert api("rr_not_a_token").get(_org(organisation)).status_code == 401


def test_registers_with_their_counts(organisation, corporate_register, viewer, token_for, api):
    child = factories.RegisterFactory(
        organisation=organisation, slug="estates", name="Estates", level="directorate"
    )
    Register.objects.filter(pk=child.pk).update(review_months=6)
    factories.RiskFactory(register=corporate_register)
    factories.RiskFactory(register=child)
    closed = factories.RiskFactory(register=child)
    type(closed).objects.filter(pk=closed.pk).update(status="closed", closed_reason="Gone")
    other = factories.RegisterFactory(organisation=factories.OrganisationFactory(), slug="zz")
    _, secret = token_for(viewer, [organisation])
    client = api(secret)
    registers = {
        r["slug"]: r for r in client.get(_org(organisation, "registers/")).json()["results"]
    }
    assert other.slug not in registers
    assert registers["estates"] == {
        "slug": "estates",
        "name": "Estates",
        "description": "",
        "level": "directorate",
        "parent": "corporate",
        "review_months": 6,
        "scheme": None,
        "archived": False,
        "open_risks": 1,
        "closed_risks": 1,
    }
    assert registers["corporate"]["parent"] is None
    assert registers["corporate"]["open_risks"] == 1
    detail = client.get(_org(organisation, "registers/estates/")).json()
    assert detail == registers["estates"]
    assert client.get(_org(organisation, "registers/zz/")).status_code == 404


def test_scheme_in_the_file_format_with_its_version(organisation, viewer, token_for, api):
    _, secret = token_for(viewer, [organisation])
    data = api(secret).get(_org(organisation, "scheme/")).json()
    version = default_scheme(organisation=organisation).current_version
    assert data.pop("version") == version.number
    assert data == version.parsed.as_dict()  # loadable again with load_scheme


def test_appetite_levels_and_statements(organisation, viewer, token_for, api):
    category = factories.CategoryFactory(organisation=organisation, name="Finance")
    factories.CategoryFactory(organisation=organisation, name="People")
    appetite_statement_set(organisation=organisation, tolerance=15, warning=12)
    appetite_statement_set(
        organisation=organisation, category=category, tolerance=8, rationale="Prudent"
    )
    _, secret = token_for(viewer, [organisation])
    data = api(secret).get(_org(organisation, "appetite/")).json()
    assert [level["name"] for level in data["levels"]][:2] == ["Averse", "Minimal"]
    lines = {line["category"]: line for line in data["statements"]}
    assert lines[None]["tolerance"] == 15 and lines[None]["warning"] == 12
    assert lines["Finance"] == {
        "category": "Finance",
        "own_statement": True,
        "level": None,
        "tolerance": 8,
        "warning": None,
        "rationale": "Prudent",
    }
    assert lines["People"]["own_statement"] is False and lines["People"]["tolerance"] == 15


def test_queries_do_not_grow_with_organisations_registers_or_appetite(
    organisation, viewer, token_for, api
):
    _, secret = token_for(viewer, [organisation])
    client = api(secret)
    client.get("/api/v1/organisations/")  # the token's last use: written once a minute

    def fetch():
        for url in ("/api/v1/organisations/", *(_org(organisation, t) for t in ORG_PAGES)):
            assert client.get(url).status_code == 200, url

    def grow():
        for n in range(3):
            other = factories.OrganisationFactory()
            factories.MembershipFactory(organisation=other, user=viewer, role=Role.VIEWER)
            viewer.api_tokens.get().organisations.add(other)
            register = factories.RegisterFactory(organisation=organisation)
            factories.RiskFactory(register=register)
            category = factories.CategoryFactory(organisation=organisation)
            appetite_statement_set(organisation=organisation, category=category, tolerance=5 + n)

    assert_same_queries(fetch, grow)
