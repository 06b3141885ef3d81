"""Fixtures shared by the registers tests."""

import pytest

from appetite.services import appetite_statement_set
from tests.factories import CategoryFactory


@pytest.fixture
def appetite_setup(organisation):
    """Three categories: one with tolerance and warning, one with tolerance only, one with no
    statement (the organisation's default applies)."""
    strict, plain, bare = (CategoryFactory(organisation=organisation) for _ in range(3))
    appetite_statement_set(organisation=organisation, tolerance=8, warning=5)
    appetite_statement_set(organisation=organisation, category=strict, tolerance=10, warning=6)
    appetite_statement_set(organisation=organisation, category=plain, tolerance=12)
    return strict, plain, bare
