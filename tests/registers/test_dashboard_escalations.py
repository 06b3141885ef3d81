"""The dashboard tells the receiving register's coordinators what waits for their decision."""

import pytest
from django.urls import reverse

from registers.models import Register, Role
from registers.services.escalation import escalation_request
from registers.services.organisations import register_create
from tests.factories import MembershipFactory, RiskFactory

pytestmark = pytest.mark.django_db


def test_pending_escalation_is_listed_for_deciders_only(client, organisation):
    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    school = register_create(
        organisation=organisation,
        slug="school",
        name="School of Law",
        level="school",
        parent=corporate,
    )
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    viewer = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    risk = RiskFactory(register=school, ref="LAW1", title="Accreditation lapses")
    escalation_request(risk=risk, user=coordinator, reason="Needs university-level action")
    url = reverse("organisation", args=[organisation.slug])

    client.force_login(coordinator)
    page = client.get(url).content.decode()
    assert "Waiting for your decision" in page and "LAW1 Accreditation lapses" in page
    assert reverse("escalation_decide", args=[organisation.slug, risk.escalations.get().pk]) in page

    client.force_login(viewer)
    assert "Waiting for your decision" not in client.get(url).content.decode()


def test_heat_map_cells_count_the_risks_in_breach(client, organisation):
    from appetite.services import appetite_statement_set

    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    appetite_statement_set(organisation=organisation, tolerance=10)
    RiskFactory(register=corporate, ref="A", positions={"current": (3, 4)})  # 12: breach
    RiskFactory(register=corporate, ref="B", positions={"current": (3, 4)})  # 12: breach
    RiskFactory(register=corporate, ref="C", positions={"current": (2, 4)})  # 8: within
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    client.force_login(coordinator)
    response = client.get(reverse("organisation", args=[organisation.slug]))
    current = next(
        m["heatmap"] for m in response.context["heat_maps"] if m["heatmap"].position == "current"
    )
    cells = {(c.likelihood.value, c.impact.value): c for row in current.rows for c in row.cells}
    assert (cells[(3, 4)].count, cells[(3, 4)].breaches) == (2, 2)
    assert (cells[(2, 4)].count, cells[(2, 4)].breaches) == (1, 0)
    assert "2 in breach" in response.content.decode()
