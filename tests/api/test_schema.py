"""The committed OpenAPI schema (docs/api/openapi.yaml) is what the code generates: a change to
the API without regenerating it fails here. Regenerate with
``.venv/bin/python manage.py spectacular --file docs/api/openapi.yaml``."""

import io
from pathlib import Path

from django.core.management import call_command

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.yaml"


def test_committed_schema_matches_the_code():
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    assert out.getvalue() == SCHEMA.read_text(), (
        "docs/api/openapi.yaml is stale: run "
        "`.venv/bin/python manage.py spectacular --file docs/api/openapi.yaml`"
    )


def test_schema_is_public_json(client, db):
    """The schema describes the API, not anyone's data: served without a token (decision)."""
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "riskreg API"


def test_schema_and_docs_for_a_token_holder(organisation, member, token_for, api):
    from registers.models import Role

    _, secret = token_for(member(Role.VIEWER), [organisation])
    response = api(secret).get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    assert "/api/v1/risks/{id}/" in response.json()["paths"]


def test_docs_page_works_under_our_csp(client, db):
    """Swagger UI from our own static files (drf-spectacular-sidecar), its start-up script a
    file of its own: nothing inline for the Content-Security-Policy to block."""
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert "<script>" not in page.replace(" ", "")
    assert client.get("/api/v1/docs/?script=").status_code == 200
