"""A POST with nothing in it is bad input like any other: the page again with the error summary
and a 400, never the unchanged page with 200 (``request.POST or None`` left forms unbound)."""

import pytest
from django.urls import reverse

from registers.models import Role

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "settings_register_new",
    "settings_categories",
    "settings_objectives",
    "member_add",
    "appetite_statement_add",
    "appetite_levels",
    "sso_provider_add",
    "sso_saml_provider_add",
]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_an_empty_post_is_answered_400_with_the_error_summary(
    client, organisation, corporate_register, member, name
):
    client.force_login(member(Role.ADMIN))
    url = reverse(name, args=[organisation.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, {})
    assert response.status_code == 400, response.content.decode()[:2000]
    assert "There is a problem" in response.content.decode()


def test_an_empty_post_to_a_registers_change_page_is_answered_400(
    client, organisation, corporate_register, member
):
    client.force_login(member(Role.ADMIN))
    url = reverse("settings_register", args=[organisation.slug, corporate_register.slug])
    response = client.post(url, {})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    corporate_register.refresh_from_db()
    assert corporate_register.name  # nothing stored was lost
