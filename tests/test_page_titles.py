"""A page's <title> names the service once: base.html adds " – riskreg" after each page's own
title, so a page's title block must not add it again ("Notifications – riskreg – riskreg")."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import RiskFactory

pytestmark = pytest.mark.django_db

TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


def repeats_the_service(html: str) -> bool:
    """True when the page's <title> says "riskreg" more than once."""
    found = TITLE.search(html)
    return bool(found) and found.group(1).count("riskreg") > 1


def test_no_page_title_names_the_service_twice(client, organisation, corporate_register, member):
    user = member()
    risk = RiskFactory(register=corporate_register, ref="T1", owner=user)
    client.force_login(user)
    slug = organisation.slug
    urls = [
        reverse("notifications"),
        reverse("notifications") + "?unread=1",
        reverse("notice_preferences"),
        reverse("account"),
        reverse("organisation", args=[slug]),
        reverse("my_work", args=[slug]),
        reverse("risk", args=[slug, risk.ref]),
    ]
    for url in urls:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert TITLE.search(html), url
        assert not repeats_the_service(html), (url, TITLE.search(html).group(1))
