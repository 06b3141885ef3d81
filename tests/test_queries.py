"""The query-count helper every list page's test uses (tests/queries.py)."""

import pytest

from registers.models import Organisation
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


def test_same_count_passes_and_hands_back_both_results():
    before, after = assert_same_queries(
        lambda: Organisation.objects.count(),
        lambda: Organisation.objects.create(slug="x", name="X"),
    )
    assert (before, after) == (0, 1)


def test_a_query_per_row_fails_showing_the_sql_of_both_runs():
    def fetch():
        return [o.slug for o in Organisation.objects.all() for _ in Organisation.objects.all()[:1]]

    with pytest.raises(AssertionError) as failure:
        assert_same_queries(fetch, lambda: Organisation.objects.create(slug="y", name="Y"))
    message = str(failure.value)
    assert "1 queries before growing, 2 after" in message
    assert message.count('FROM "registers_organisation"') == 3  # one before, two after


def test_at_most_bounds_the_first_run():
    with pytest.raises(AssertionError, match="more than 0 queries"):
        assert_same_queries(lambda: Organisation.objects.count(), lambda: None, at_most=0)
