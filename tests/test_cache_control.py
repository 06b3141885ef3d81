"""Signed-in pages and downloads are never kept by a browser or a shared proxy:
``Cache-Control: private, no-store`` (riskreg.security.PrivatePagesMiddleware). A view's own,
explicit header is left as it is; static files keep their own caching."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from registers.models import Register, Role
from riskreg.security import SIGNED_IN_CACHE_CONTROL
from riskreg.settings import base
from tests.factories import PASSWORD, MembershipFactory, RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory(role=Role.COORDINATOR)


def test_signed_in_pages_are_private_and_not_stored(client, member):
    organisation = member.organisation
    RiskFactory(register=Register.objects.get(organisation=organisation, slug="corporate"))
    MembershipFactory(user=member.user, role=Role.VIEWER)  # two: home lists them, not redirects
    client.force_login(member.user)
    for path in (
        reverse("home"),
        reverse("my_packs"),
        reverse("packs", args=[organisation.slug]),
        reverse("register", args=[organisation.slug, "corporate"]),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response["Cache-Control"] == SIGNED_IN_CACHE_CONTROL, path
    assert SIGNED_IN_CACHE_CONTROL == "private, no-store"


def test_refusals_and_redirects_of_a_signed_in_person_too(client, member, other_organisation):
    client.force_login(member.user)
    response = client.get(reverse("packs", args=[other_organisation.slug]))
    assert response.status_code == 404
    assert response["Cache-Control"] == SIGNED_IN_CACHE_CONTROL


def test_signing_in_answers_private(member):
    response = Client().post(reverse("login"), {"login": member.user.email, "password": PASSWORD})
    assert response.status_code == 302
    # the login view's own never_cache header, which is stricter, is kept
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_downloads_keep_no_store(client, member):
    client.force_login(member.user)
    response = client.get(
        reverse("register_export", args=[member.organisation.slug, "corporate"]),
        {"format": "csv"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_views_own_header_is_kept(client, member):
    client.force_login(member.user)
    response = client.get(reverse("healthz"))
    # never_cache's header, stricter than ours, is not replaced
    assert "must-revalidate" in response["Cache-Control"]


def test_anonymous_pages_and_static_files_are_left_alone(client, member):
    assert "Cache-Control" not in client.get(reverse("home"))  # the redirect to sign in
    client.force_login(member.user)
    response = client.get(settings.STATIC_URL + "css/riskreg.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "private" not in response.get("Cache-Control", "")


def test_every_environment_runs_the_middleware():
    # production and local inherit base's MIDDLEWARE; tests run the same list
    assert "riskreg.security.PrivatePagesMiddleware" in base.MIDDLEWARE
    assert settings.MIDDLEWARE == base.MIDDLEWARE
