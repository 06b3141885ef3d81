import pytest
from django.conf import settings

from tests import factories


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    where = settings.DATABASES["default"].get("HOST") or settings.DATABASES["default"]["NAME"]
    return f"riskreg test database: {engine} ({where})"


@pytest.fixture
def organisation(db):
    return factories.OrganisationFactory()


@pytest.fixture
def other_organisation(db):
    return factories.OrganisationFactory()


@pytest.fixture
def password():
    return factories.PASSWORD
