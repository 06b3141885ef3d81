"""riskreg.lookups: an id list holding a number no integer column can hold matches nothing, and
the rest of the list is read as it was (tests/test_sqlite_demo.py asks the same of SQLite, where
such a number was an OverflowError)."""

import pytest

from registers.models import Register

pytestmark = pytest.mark.django_db

HUGE = 99999999999999999999  # beyond a 64-bit integer


def test_a_number_too_big_for_the_column_is_left_out_of_the_list(organisation):
    corporate = Register.objects.get(organisation=organisation, slug="corporate")
    everyone = Register.objects.count()
    assert list(Register.objects.filter(pk__in=[HUGE, corporate.pk])) == [corporate]
    assert list(Register.objects.filter(pk__in=[HUGE, -HUGE])) == []
    assert Register.objects.exclude(pk__in=[HUGE]).count() == everyone
    assert Register.objects.exclude(pk__in=[HUGE, corporate.pk]).count() == everyone - 1
    # A subquery is the database's to read, as before.
    ids = Register.objects.filter(pk=corporate.pk).values("pk")
    assert list(Register.objects.filter(pk__in=ids)) == [corporate]
