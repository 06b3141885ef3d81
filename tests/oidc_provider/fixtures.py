"""pytest fixture for the local OpenID Connect provider (see server.py).

In a conftest: ``from tests.oidc_provider.fixtures import oidc_provider  # noqa: F401``.
Session scoped, so each xdist worker (a process with its own session) starts its own provider on
its own port with its own temporary directory.
"""

import pytest

from tests.oidc_provider.server import LocalOidcProvider


@pytest.fixture(scope="session")
def oidc_provider():
    provider = LocalOidcProvider()
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()
