"""The pack request form's layout options (issue 16): the coordinator's deep-dive risks (the
organisation's open risks only) and the three-quarter columns (quarterly packs only), stored on
the pack and read back by the build (reporting/packs/layout.py pack_options)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from registers.models import Membership, Role
from registers.services.organisations import organisation_create
from reporting.models import Pack
from reporting.packs import layout

from .test_pack_layout import _add

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation():
    return organisation_create(slug="layout", name="Layout Org")


def test_request_form_stores_deep_dive_risks_and_three_quarters(organisation, client):
    chosen = _add(organisation, "R1", (1, 2))
    user = get_user_model().objects.create_user(email="coord@example.com", password="x")
    Membership.objects.create(user=user, organisation=organisation, role=Role.COORDINATOR)
    client.force_login(user)
    url = f"/o/{organisation.slug}/reports/"
    page = client.get(url)
    assert page.status_code == 200
    assert b"R1 Risk R1" in page.content and b'name="three_quarters"' in page.content
    response = client.post(
        url,
        {
            "kind": "quarterly",
            "edition": "full",
            "as_of": timezone.localdate().strftime("%d/%m/%Y"),
            "three_quarters": "on",
            "deep_dive_risks": [chosen.id],
        },
    )
    assert response.status_code == 302, response.content[:2000]
    pack = Pack.objects.get(organisation=organisation)
    assert pack.three_quarters and list(pack.deep_dive_risks.all()) == [chosen]
    assert layout.pack_options(pack) == {"deep_dive_ids": {chosen.id}, "three_quarters": True}


def test_request_form_refuses_another_organisations_risk(organisation, client):
    other = organisation_create(slug="other", name="Other Org")
    theirs = _add(other, "X1", (1, 2))
    user = get_user_model().objects.create_user(email="coord@example.com", password="x")
    Membership.objects.create(user=user, organisation=organisation, role=Role.COORDINATOR)
    client.force_login(user)
    response = client.post(
        f"/o/{organisation.slug}/reports/",
        {
            "kind": "committee",
            "edition": "full",
            "as_of": timezone.localdate().strftime("%d/%m/%Y"),
            "three_quarters": "on",
            "deep_dive_risks": [theirs.id],
        },
    )
    assert response.status_code == 400  # the page again, with the error summary
    assert b"Choose deep-dive risks from the organisation" in response.content
    assert b"option of the quarterly pack" in response.content
    assert not Pack.objects.filter(organisation=organisation).exists()
