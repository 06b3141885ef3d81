"""The site's icon: ``static/favicon.svg``, named by every page, and ``/favicon.ico`` a small
redirect to it (it was the full 404 page, about 50 KB, on every first visit)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_favicon_ico_is_a_small_redirect_to_the_icon():
    response = Client().get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")
    assert len(response.content) < 100 and not response.cookies
    assert "max-age" in response["Cache-Control"]
    assert Client().post("/favicon.ico").status_code == 405


def test_the_icon_is_served_and_small(client):
    response = client.get(settings.STATIC_URL + "favicon.svg")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"<svg") and len(body) < 2048
    assert b"<script" not in body and b"href" not in body  # nothing fetched, nothing run


def test_every_page_names_the_icon(client, django_user_model):
    page = client.get(reverse("account_login")).content.decode()
    assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in page
