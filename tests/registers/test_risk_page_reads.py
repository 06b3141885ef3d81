"""The risk page reads its controls, actions, appetite thresholds, objectives and working leads
from the risk's history, read once (registers/selectors/risk_records.py, issue 20): each write
shows on the next request, a removal included, as the live rows would show it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from appetite.services import appetite_statement_remove, appetite_statement_set
from registers.models import Objective, Role
from registers.services.risks import risk_update
from registers.services.treatments import (
    action_remove,
    action_update,
    control_remove,
    control_update,
)
from tests.factories import (
    ActionFactory,
    CategoryFactory,
    ControlFactory,
    RiskFactory,
)

pytestmark = pytest.mark.django_db


def page(client, risk) -> str:
    response = client.get(reverse("risk", args=[risk.organisation.slug, risk.ref]))
    assert response.status_code == 200
    return response.content.decode()


def test_controls_and_actions_changed_or_removed_show_so_on_the_next_request(
    client, member, corporate_register
):
    risk = RiskFactory(register=corporate_register)
    kept = ControlFactory(risk=risk, description="Sandbags at the door", position=2)
    first = ControlFactory(risk=risk, description="Flood barrier", position=1)
    gone = ControlFactory(risk=risk, description="Pumps on standby", position=3)
    action = ActionFactory(risk=risk, description="Buy more sandbags")
    dropped = ActionFactory(risk=risk, description="Ask the council")
    client.force_login(member(Role.ADMIN))
    html = page(client, risk)
    assert html.index("Flood barrier") < html.index("Sandbags at the door")  # by position
    assert "Pumps on standby" in html and "Ask the council" in html

    control_update(control=kept, description="Sandbags at every door")
    control_remove(control=gone)
    action_update(action=action, description="Buy twice the sandbags", status="in_progress")
    action_remove(action=dropped)
    html = page(client, risk)
    assert "Sandbags at every door" in html
    assert "Buy twice the sandbags" in html
    assert "Pumps on standby" not in html.split('id="history"')[0]
    assert "Ask the council" not in html.split('id="history"')[0]
    assert html.index("Flood barrier") < html.index("Sandbags at every door")
    first.refresh_from_db()
    assert f'id="control-{first.pk}"' in html


def test_appetite_thresholds_changed_or_removed_show_on_the_next_request(
    client, member, corporate_register
):
    organisation = corporate_register.organisation
    category = CategoryFactory(organisation=organisation)
    risk = RiskFactory(register=corporate_register, category=category)
    appetite_statement_set(organisation=organisation, tolerance=12)
    own = appetite_statement_set(organisation=organisation, category=category, tolerance=6)
    client.force_login(member(Role.ADMIN))
    assert "a current score up to 6" in page(client, risk)

    appetite_statement_set(organisation=organisation, category=category, tolerance=9)
    assert "a current score up to 9" in page(client, risk)
    own.refresh_from_db()
    appetite_statement_remove(statement=own, reason="one threshold for all")
    assert "a current score up to 12" in page(client, risk)  # the default again


def test_objectives_and_leads_show_in_order_and_their_changes_in_words(
    client, member, corporate_register
):
    organisation = corporate_register.organisation
    second = Objective.objects.create(
        organisation=organisation, code="O2", name="Safe streets", position=2
    )
    first = Objective.objects.create(
        organisation=organisation, code="O1", name="Clean water", position=1
    )
    zed = member(Role.OWNER, user__full_name="Zed Zebra")
    amy = member(Role.OWNER, user__full_name="Amy Adder")
    risk = RiskFactory(register=corporate_register)
    risk = risk_update(
        risk=risk, expected_version=risk.version, objectives=[second, first], leads=[zed, amy]
    )
    client.force_login(member(Role.ADMIN))
    html = page(client, risk)
    details = html.split('id="treatments"')[0]
    assert details.index("O1 Clean water") < details.index("O2 Safe streets")
    assert details.index("Amy Adder") < details.index("Zed Zebra")
    history = html.split('id="history"')[1]
    assert "Objectives: (none) → O1 Clean water, O2 Safe streets" in history
    assert "Working leads: (none) → Amy Adder, Zed Zebra" in history

    risk = risk_update(risk=risk, expected_version=risk.version, objectives=[second], leads=[])
    html = page(client, risk)
    details = html.split('id="treatments"')[0]
    assert "O1 Clean water" not in details and "O2 Safe streets" in details
    assert "Zed Zebra" not in details
    history = html.split('id="history"')[1]
    assert "Objectives: O1 Clean water, O2 Safe streets → O2 Safe streets" in history


def test_a_reading_form_is_drawn_only_when_opened_with_or_without_javascript(
    client, member, corporate_register
):
    """The risk page carries a link in each "Record a reading" details; htmx swaps in the form
    when they are first opened; without JavaScript the link opens the page with that form."""
    from decimal import Decimal

    from registers.services.indicators import indicator_add

    owner = member(Role.ADMIN)
    risk = RiskFactory(register=corporate_register)
    indicator = indicator_add(
        user=owner, risk=risk, name="Vacancy rate", amber_from=Decimal(5), red_from=Decimal(10)
    )
    client.force_login(owner)
    html = page(client, risk)
    url = reverse("reading_add", args=[risk.organisation.slug, risk.ref, indicator.pk])
    assert f'hx-get="{url}"' in html
    assert f'href="{url}#reading-{indicator.pk}"' in html  # at the form, without JavaScript
    assert f'id="reading-{indicator.pk}-value"' not in html
    assert "Record reading</button>" not in html

    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert f'action="{url}"' in fragment.content.decode()
    assert "Record reading</button>" in fragment.content.decode()

    opened = client.get(url)
    assert opened.status_code == 200
    html = opened.content.decode()
    assert (
        f'<details class="govuk-details govuk-!-margin-bottom-2" id="reading-{indicator.pk}" open>'
        in html
    )
    assert "Record reading</button>" in html
    assert f'id="reading-{indicator.pk}-value"' in html


def test_the_evidence_form_is_drawn_only_when_opened_with_or_without_javascript(
    client, member, corporate_register
):
    risk = RiskFactory(register=corporate_register)
    control = ControlFactory(risk=risk, description="Flood barrier")
    client.force_login(member(Role.ADMIN))
    url = reverse("evidence_add", args=[risk.organisation.slug, risk.ref])
    html = page(client, risk)
    assert f'hx-get="{url}"' in html and f'href="{url}#add-evidence"' in html
    assert 'id="evidence-attach_to"' not in html

    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert 'id="evidence-attach_to"' in fragment
    assert f'value="control-{control.pk}"' in fragment

    opened = client.get(url)
    assert opened.status_code == 200
    html = opened.content.decode()
    assert '<details class="govuk-details" id="add-evidence" open>' in html
    assert 'id="evidence-attach_to"' in html


def test_no_evidence_form_for_a_reader_who_may_not_upload(client, member, corporate_register):
    risk = RiskFactory(register=corporate_register)
    client.force_login(member(Role.VIEWER))
    url = reverse("evidence_add", args=[risk.organisation.slug, risk.ref])
    assert url not in page(client, risk)
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 403
