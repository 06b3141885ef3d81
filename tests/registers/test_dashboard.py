"""The organisation dashboard: heat maps counted in the database across every register, the
appetite exceptions, what is overdue, and the member's own work; nothing of another organisation."""

import datetime as dt

import pytest
from django.urls import reverse

from appetite.services import appetite_statement_set
from registers import caching, selectors
from registers.models import Action, ActionStatus, Register, Risk, RiskStatus, Role
from scoring.presets import preset
from scoring.selectors import default_scheme
from scoring.services import scheme_save
from tests.factories import (
    ActionFactory,
    CategoryFactory,
    MembershipFactory,
    OrganisationFactory,
    RegisterFactory,
    RiskFactory,
    UserFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries
from tests.registers.test_register_page import bulk_risks

pytestmark = pytest.mark.django_db


def cell_counts(heat_map) -> dict[tuple[int, int], int]:
    return {
        (cell.likelihood.value, cell.impact.value): cell.count
        for row in heat_map.rows
        for cell in row.cells
        if cell.count
    }


@pytest.fixture
def member(organisation):
    return MembershipFactory(organisation=organisation, role=Role.PANEL).user


@pytest.fixture
def dashboard(client, member, organisation):
    client.force_login(member)
    return lambda: client.get(reverse("organisation", args=[organisation.slug]))


def test_heat_maps_count_open_risks_of_every_register_per_cell(dashboard, organisation):
    top = corporate_register_of(organisation)
    school = RegisterFactory(organisation=organisation, parent=top)
    RiskFactory(register=top, ref="A", positions={"current": (3, 4), "target": (1, 2)})
    RiskFactory(register=school, ref="B", positions={"current": (3, 4), "inherent": (5, 5)})
    RiskFactory(
        register=school, ref="C", status=RiskStatus.ESCALATED, positions={"current": (1, 5)}
    )
    RiskFactory(
        register=top,
        ref="X",
        status=RiskStatus.CLOSED,
        closed_reason="Done",
        positions={"current": (3, 4)},
    )
    RiskFactory(register=top, ref="N", positions={"current": None})
    current, inherent, target = (p["heatmap"] for p in dashboard().context["heat_maps"])
    assert cell_counts(current) == {(3, 4): 2, (1, 5): 1}
    assert current.counted == 3 and current.not_rated == 1 and current.left_out == 0
    assert cell_counts(inherent) == {(5, 5): 1} and inherent.not_rated == 3
    assert cell_counts(target) == {(1, 2): 1}
    # rows highest likelihood first, columns lowest impact first, as drawn
    assert [row.likelihood.value for row in current.rows] == [5, 4, 3, 2, 1]
    assert [cell.impact.value for cell in current.rows[0].cells] == [1, 2, 3, 4, 5]


def test_heat_map_markup_is_an_accessible_table_with_links(dashboard, organisation):
    RiskFactory(
        register=corporate_register_of(organisation), ref="A", positions={"current": (3, 4)}
    )
    html = dashboard().content.decode()
    assert '<table class="govuk-table rr-heatmap" id="heatmap-current">' in html
    assert "Current position: 1 open risk" in html
    assert 'headers="heatmap-current-l3 heatmap-current-i4"' in html
    assert 'id="heatmap-current-l5"' in html and 'scope="row"' in html and 'scope="col"' in html
    assert "--band-colour: #ffdd00" in html and "rr-heatmap__cell" in html
    link = f"/o/{organisation.slug}/registers/corporate/?rollup=1&amp;position=current&amp;likelihood=3&amp;impact=4"
    assert link in html
    # every cell names its band, empty ones too
    assert html.count("Very high</span>") >= 1 and ">Low</span>" in html


def test_heat_map_cell_link_lists_exactly_the_cell(client, member, organisation):
    top = corporate_register_of(organisation)
    child = RegisterFactory(organisation=organisation, parent=top)
    RiskFactory(register=top, ref="A", positions={"current": (3, 4)})
    RiskFactory(register=child, ref="B", positions={"current": (3, 4)})
    RiskFactory(register=child, ref="C", positions={"current": (4, 3)})
    client.force_login(member)
    response = client.get(
        reverse("register", args=[organisation.slug, "corporate"]),
        {"rollup": 1, "position": "current", "likelihood": 3, "impact": 4},
    )
    assert sorted(row.risk.ref for row in response.context["rows"]) == ["A", "B"]
    assert "likelihood 3 (Medium), impact 4 (Serious)" in response.content.decode()


def test_risks_rated_on_another_scale_are_left_out_and_said_so(dashboard, organisation):
    top = corporate_register_of(organisation)
    six = scheme_save(organisation=organisation, definition=preset("aberdeen-6x6"), name="Six")
    projects = RegisterFactory(organisation=organisation, parent=top, scheme=six.scheme)
    RiskFactory(register=projects, ref="P6", positions={"current": (6, 6)})
    RiskFactory(register=projects, ref="P2", positions={"current": (2, 2)})
    RiskFactory(register=top, ref="T", positions={"current": (2, 2)})
    response = dashboard()
    current = response.context["heat_maps"][0]["heatmap"]
    assert cell_counts(current) == {(2, 2): 2} and current.left_out == 1
    assert "1 open risk is rated on levels this scheme does not have" in response.content.decode()


def test_heat_map_is_a_pure_function_of_counts(organisation):
    scheme = default_scheme(organisation=organisation).current_version.parsed
    heat_map = selectors.heat_map(scheme, {(2, 3): 4, (7, 1): 2, (None, None): 5})
    assert cell_counts(heat_map) == {(2, 3): 4}
    assert (heat_map.counted, heat_map.left_out, heat_map.not_rated) == (4, 2, 5)
    cell = heat_map.rows[2].cells[2]  # likelihood 3, impact 3: 9
    assert cell.rating.band.name == "Medium" and cell.text_class == "rr-on-light"
    assert selectors.text_on("#d4351c") == "rr-on-dark"


def test_current_heat_maps_per_horizon(dashboard, organisation):
    top = corporate_register_of(organisation)
    RiskFactory(register=top, ref="S1", horizon="short", positions={"current": (2, 2)})
    RiskFactory(register=top, ref="S2", horizon="short", positions={"current": (2, 2)})
    RiskFactory(register=top, ref="L1", horizon="long", positions={"current": (4, 4)})
    response = dashboard()
    maps = {p["heatmap"].horizon: p["heatmap"] for p in response.context["horizon_maps"]}
    assert set(maps) == {"short", "long"}
    assert cell_counts(maps["short"]) == {(2, 2): 2} and cell_counts(maps["long"]) == {(4, 4): 1}
    html = response.content.decode()
    assert "Current position, short-term risks" in html and "horizon=long" in html


def test_no_horizon_maps_where_horizons_are_not_used(dashboard, organisation):
    RiskFactory(register=corporate_register_of(organisation), ref="A")
    assert dashboard().context["horizon_maps"] == []


def test_counts_by_band_highest_first(dashboard, organisation):
    top = corporate_register_of(organisation)
    for n, position in enumerate([(5, 5), (4, 4), (3, 4), (3, 4), (1, 1), None]):
        RiskFactory(register=top, ref=f"R{n}", positions={"current": position})
    bands = [(band.name, band.count) for band, _ in dashboard().context["bands"]]
    assert bands == [("Very high", 1), ("High", 1), ("Medium", 2), ("Low", 1), ("", 1)]


def test_appetite_exceptions_breaches_first_with_threshold(dashboard, organisation):
    top = corporate_register_of(organisation)
    category = CategoryFactory(organisation=organisation)
    appetite_statement_set(organisation=organisation, tolerance=15, warning=10)
    appetite_statement_set(organisation=organisation, category=category, tolerance=8)
    RiskFactory(register=top, ref="W12", positions={"current": (3, 4)})
    RiskFactory(register=top, ref="B9", category=category, positions={"current": (3, 3)})
    RiskFactory(register=top, ref="B16", positions={"current": (4, 4)})
    RiskFactory(register=top, ref="OK", positions={"current": (2, 2)})
    response = dashboard()
    rows = response.context["outside"]
    assert [row.risk.ref for row in rows] == ["B16", "B9", "W12"]
    assert [row.appetite.value for row in rows] == ["breach", "breach", "warning"]
    assert response.context["risks"]["breach"] == 2 and response.context["risks"]["warning"] == 1
    html = response.content.decode()
    assert "Tolerance 8" in html and "Warning above 10" in html


def test_no_breach_figures_where_no_appetite_threshold_applies(dashboard, organisation):
    """Issue 12: "0 in breach / 0 at warning" said more than was known."""
    RiskFactory(
        register=corporate_register_of(organisation), ref="R1", positions={"current": (4, 4)}
    )
    html = dashboard().content.decode()
    assert "in breach of appetite" not in html and "at warning" not in html
    assert "No appetite thresholds apply to these risks" in html
    appetite_statement_set(organisation=organisation, tolerance=20)
    html = dashboard().content.decode()
    assert "in breach of appetite" in html
    assert "No appetite thresholds apply" not in html


def test_reviews_overdue_and_due_within_30_days(dashboard, organisation):
    top = corporate_register_of(organisation)
    today = selectors.organisation_today(organisation)
    for ref, days in (("LATE", -3), ("VERYLATE", -40), ("TODAY", 0), ("D30", 30), ("D31", 31)):
        risk = RiskFactory(register=top, ref=ref)
        Risk.objects.filter(pk=risk.pk).update(next_review_due=today + dt.timedelta(days))
    closed = RiskFactory(register=top, ref="SHUT", status="closed", closed_reason="Gone")
    Risk.objects.filter(pk=closed.pk).update(next_review_due=today - dt.timedelta(days=5))
    response = dashboard()
    assert [row.risk.ref for row in response.context["overdue"]] == ["VERYLATE", "LATE"]
    assert [row.risk.ref for row in response.context["due_soon"]] == ["TODAY", "D30"]
    assert response.context["risks"]["overdue"] == 2 and response.context["risks"]["due_soon"] == 2


def test_actions_overdue_exclude_completed_and_cancelled(dashboard, organisation):
    risk = RiskFactory(register=corporate_register_of(organisation), ref="A")
    today = selectors.organisation_today(organisation)
    yesterday = today - dt.timedelta(days=1)
    late = ActionFactory(risk=risk, description="Late one", due_date=yesterday)
    ActionFactory(risk=risk, description="Due today", due_date=today)
    ActionFactory(risk=risk, description="No date")
    for status in (ActionStatus.COMPLETED, ActionStatus.CANCELLED):
        ActionFactory(
            risk=risk, description=f"Finished {status}", due_date=yesterday, status=status
        )
    response = dashboard()
    assert list(response.context["actions_overdue"]) == [late]
    assert response.context["actions"]["overdue"] == 1
    assert "Late one" in response.content.decode()


def test_my_risks_and_actions_for_the_signed_in_member(client, organisation):
    me = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    someone = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    top = corporate_register_of(organisation)
    owned = RiskFactory(register=top, ref="OWN", owner=me)
    RiskFactory(register=top, ref="MAN", manager=me)
    RiskFactory(register=top, ref="LEAD", leads=[me])
    RiskFactory(register=top, ref="NOT", owner=someone)
    ActionFactory(risk=owned, description="My action", owner=me)
    ActionFactory(risk=owned, description="Their action", owner=someone)
    client.force_login(me)
    response = client.get(reverse("organisation", args=[organisation.slug]))
    assert sorted(row.risk.ref for row in response.context["my_risks"]) == ["LEAD", "MAN", "OWN"]
    # every open action on a risk I own is mine to chase, whoever owns it
    assert [a.description for a in response.context["my_actions"]] == ["My action", "Their action"]
    assert response.context["risks"]["mine"] == 3 and response.context["actions"]["mine"] == 1
    assert response.context["actions"]["to_chase"] == 2
    assert reverse("my_work", args=[organisation.slug]) in response.content.decode()


def test_registers_tree_is_still_there(dashboard, organisation):
    RegisterFactory(
        organisation=organisation, parent=corporate_register_of(organisation), name="School of Law"
    )
    html = dashboard().content.decode()
    assert "School of Law" in html and "↳" in html


def test_nothing_of_another_organisation_is_counted(dashboard, organisation):
    theirs = OrganisationFactory()
    appetite_statement_set(organisation=theirs, tolerance=1)
    their_risk = RiskFactory(
        register=corporate_register_of(theirs), ref="THEIRS", title="Their secret"
    )
    Risk.objects.filter(pk=their_risk.pk).update(next_review_due=dt.date(2000, 1, 1))
    ActionFactory(risk=their_risk, description="Their action", due_date=dt.date(2000, 1, 1))
    response = dashboard()
    assert response.context["risks"] == {
        "open": 0,
        "breach": 0,
        "warning": 0,
        "overdue": 0,
        "due_soon": 0,
        "awaiting_sign_off": 0,
        "mine": 0,
        "no_threshold": 0,
        "judged": 0,
        "outside": 0,
        "accepted": 0,  # breaches accepted until a date (issue 17)
    }
    assert response.context["actions"]["overdue"] == 0
    html = response.content.decode()
    assert "Their secret" not in html and "Their action" not in html


@pytest.mark.parametrize("role", list(Role))
def test_another_organisations_dashboard_is_404(client, role):
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    client.force_login(MembershipFactory(organisation=mine, role=role).user)
    assert client.get(reverse("organisation", args=[theirs.slug])).status_code == 404
    assert client.get(reverse("organisation", args=[mine.slug])).status_code == 200


def test_dashboard_needs_a_login(client, organisation):
    response = client.get(reverse("organisation", args=[organisation.slug]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(UserFactory())
    assert client.get(reverse("organisation", args=[organisation.slug])).status_code == 404


def _bulk(organisation, count, *, prefix, owner, category):
    top = corporate_register_of(organisation)
    risks = bulk_risks(top, count, prefix=prefix, owner=owner, category=category)
    today = selectors.organisation_today(organisation)
    Risk.objects.filter(pk__in=[r.pk for r in risks]).update(
        next_review_due=today - dt.timedelta(days=1), horizon="short"
    )
    Action.objects.bulk_create(
        Action(
            organisation=organisation,
            risk=risk,
            description=f"Action {risk.ref}",
            owner=owner,
            due_date=today - dt.timedelta(days=2),
        )
        for risk in risks
    )
    caching.organisation_changed(organisation.id)  # as the services' bulk writes do


def test_query_count_is_the_same_for_10_and_500_risks(client, organisation):
    me = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    category = CategoryFactory(organisation=organisation)
    appetite_statement_set(organisation=organisation, tolerance=10, warning=6)
    # Low enough that the first 10 risks already have breaches: the breach list (and its one
    # history query for "how long") is there in both requests.
    appetite_statement_set(organisation=organisation, category=category, tolerance=4)
    RegisterFactory(organisation=organisation, parent=corporate_register_of(organisation))
    _bulk(organisation, 10, prefix="A", owner=me, category=category)
    client.force_login(me)
    url = reverse("organisation", args=[organisation.slug])
    client.get(url)  # the exposure over eight quarters is counted once, then cached

    def first_view_after_a_write():
        caching.organisation_changed(organisation.id)  # the overview is counted again
        return client.get(url)

    few, response = assert_same_queries(
        first_view_after_a_write,
        lambda: _bulk(organisation, 490, prefix="B", owner=me, category=None),
        # The overview counted afresh (test_dashboard_cache.py counts the views between
        # writes); the exposure over eight quarters comes from its own cache (test_exposure.py).
        at_most=20,
    )
    assert few.status_code == 200
    assert response.context["risks"]["open"] == 500
    assert len(response.context["overdue"]) == selectors.LIST_LIMIT


def test_links_count_every_top_level_register(client, organisation):
    """Issue 12: with a board assurance framework beside the corporate register, the dashboard's
    figures counted both but its links listed the first register's risks only."""
    baf = RegisterFactory(
        organisation=organisation, slug="baf", name="Board assurance", parent=None
    )
    RiskFactory(
        register=corporate_register_of(organisation), ref="C1", positions={"current": (2, 2)}
    )
    RiskFactory(register=baf, ref="B1", positions={"current": (5, 5)})
    appetite_statement_set(organisation=organisation, tolerance=12)
    member = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    client.force_login(member)
    response = client.get(reverse("organisation", args=[organisation.slug]))
    links = response.context["links"]
    assert "rollup=all" in links["open"] and "rollup=all" in links["breach"]
    listed = client.get(links["open"]).content.decode()
    assert "C1" in listed and "B1" in listed and "in every register of the organisation" in listed
    breaches = client.get(links["breach"]).content.decode()
    assert "B1" in breaches and ">C1<" not in breaches
    panel = response.context["heat_maps"][0]
    assert "rollup=all" in panel["link_base"]
    # With one top-level register the links roll up from it, as before.
    Register.objects.filter(pk=baf.pk).update(parent=corporate_register_of(organisation))
    caching.organisation_changed(organisation.id)  # as a write through the services would
    links = client.get(reverse("organisation", args=[organisation.slug])).context["links"]
    assert "rollup=1" in links["open"]
