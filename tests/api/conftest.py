import pytest
from rest_framework.test import APIClient

from api.services import api_token_create


@pytest.fixture
def token_for():
    """``token_for(user, [org], read_only=True)`` -> (token, secret)."""

    def make(user, organisations, *, read_only=True, name="script", expires_days=30):
        return api_token_create(
            user=user,
            name=name,
            organisations=organisations,
            read_only=read_only,
            expires_days=expires_days,
        )

    return make


@pytest.fixture
def api():
    def make(secret=None):
        client = APIClient()
        if secret:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make
