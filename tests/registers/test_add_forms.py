"""The add-a-control and add-an-action forms on the risk page: fetched when opened, not drawn
with the page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from registers.models import Role
from registers.services.indicators import indicator_add
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db


def test_risk_page_draws_the_add_forms_only_when_opened(client, organisation):
    """The add-a-control and add-an-action forms (each offering every member as owner) are not
    drawn on the risk page: htmx fetches each when its details are first opened, and without
    JavaScript /controls/add/ shows the page with the form open."""
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    owners = [MembershipFactory(organisation=organisation, role=Role.OWNER).user for _ in range(3)]
    risk = RiskFactory(register=corporate_register_of(organisation), ref="R1")
    client.force_login(coordinator)
    response = client.get(reverse("risk", args=[organisation.slug, risk.ref]))
    assert response.context["control_form"] is None and response.context["action_form"] is None
    html = response.content.decode()
    assert f'<option value="{owners[0].pk}">' not in html
    for kind in ("control", "action"):
        url = reverse(f"{kind}_add", args=[organisation.slug, risk.ref])
        assert f'hx-get="{url}" hx-trigger="toggle once"' in html
        assert f'href="{url}#add-{kind}">Open the form to add' in html
        # htmx: the form alone, ready to post
        fragment = client.get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "HX-Request" in fragment["Vary"]
        body = fragment.content.decode()
        assert body.lstrip().startswith("<form") and "<html" not in body
        assert f'hx-post="{url}"' in body and "csrfmiddlewaretoken" in body
        assert all(f'<option value="{owner.pk}">' in body for owner in owners)
        # no JavaScript: the whole risk page, that form open
        page = client.get(url)
        assert page.status_code == 200
        assert f'id="add-{kind}" open' in page.content.decode()
        assert f'id="new-{kind}-description"' in page.content.decode()


def test_no_js_form_links_open_the_page_at_their_form(client, organisation):
    """Without JavaScript, "Open the form to ..." opens the risk page at the form (its anchor),
    not at the top of a long page."""
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    risk = RiskFactory(register=corporate_register_of(organisation), ref="R1")
    indicator = indicator_add(
        user=coordinator,
        risk=risk,
        name="Vacancies",
        unit="%",
        amber_from=Decimal(5),
        red_from=Decimal(10),
    )
    client.force_login(coordinator)
    slug = organisation.slug
    html = client.get(reverse("risk", args=[slug, risk.ref])).content.decode()
    links = {
        "add a control": (reverse("control_add", args=[slug, risk.ref]), "add-control"),
        "add an action": (reverse("action_add", args=[slug, risk.ref]), "add-action"),
        "upload evidence": (reverse("evidence_add", args=[slug, risk.ref]), "add-evidence"),
        "record a reading": (
            reverse("reading_add", args=[slug, risk.ref, indicator.pk]),
            f"reading-{indicator.pk}",
        ),
    }
    for words, (url, anchor) in links.items():
        assert f'href="{url}#{anchor}">Open the form to {words}' in html, words
        page = client.get(url).content.decode()  # the page the link opens has that anchor
        assert f'id="{anchor}"' in page, words
