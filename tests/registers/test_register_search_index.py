"""The register's search is served by its trigram index (migration 0017, decision 75), and the
owner sort's key, ``User.sort_name``, is the name the register shows first and follows a rename.

PostgreSQL uses an expression index only for the very expression it holds: were the search's
``UPPER(field COLLATE "C") LIKE`` to change, the index would be left unused without a failing
test but this one. A test's few rows are cheaper to read whole, so scans that ignore the index
are priced out here; the plan then shows whether the index can serve the search at all."""

import pytest
from django.db import connection
from django.urls import reverse

from registers.models import Risk, Role, User
from registers.selectors import register_list
from tests.factories import MembershipFactory, RiskFactory, corporate_register_of

pytestmark = pytest.mark.django_db

INDEX = "risk_search_trgm"


def plan(risks) -> str:
    with connection.cursor() as cursor:  # for the test's transaction only
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    return risks.explain()


def searched(words: str, **options):
    """The risks that the register's search finds (``risk_list`` narrows them further to the
    organisation, its registers and the statuses asked for)."""
    risks, found = register_list.search_condition(Risk.objects.all(), words, **options)
    return risks.filter(found)


@pytest.fixture
def risks(organisation):
    top = corporate_register_of(organisation)
    RiskFactory(register=top, ref="F1", title="Flooding of the depot")
    RiskFactory(register=top, ref="D1", title="Depot", description="River FLOODS in spring")
    RiskFactory(register=top, ref="N1", title="Fire", description="Nothing of the kind")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index is PostgreSQL's")
@pytest.mark.parametrize(("words", "refs"), [("flood", ["D1", "F1"]), ("OF THE dep", ["F1"])])
def test_the_search_reads_the_trigram_index(risks, words, refs):
    assert INDEX in plan(searched(words))
    assert sorted(risk.ref for risk in searched(words)) == refs


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index is PostgreSQL's")
def test_the_search_reads_the_index_when_descriptions_are_withheld(risks):
    """An OFFICIAL-SENSITIVE risk's description is searched only for those who may read it: the
    condition on the description gains "and not one of these", and the index still serves it."""
    withheld = Risk.objects.get(ref="D1").pk
    assert INDEX in plan(searched("flood", withheld_ids=[withheld]))
    assert [risk.ref for risk in searched("flood", withheld_ids=[withheld])] == ["F1"]


def test_the_page_searches_through_it(client, organisation, risks):
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    url = reverse("register", args=[organisation.slug, "corporate"])
    rows = client.get(url, {"q": "FLOOD"}).context["rows"]
    assert sorted(row.risk.ref for row in rows) == ["D1", "F1"]


def test_sort_name_is_the_name_shown_first_lowered_and_follows_a_rename(client, organisation):
    top = corporate_register_of(organisation)
    named = {
        "Bob": MembershipFactory(organisation=organisation, user__full_name="Bob").user,
        "CFO": MembershipFactory(
            organisation=organisation, user__full_name="", user__job_title="Chief Finance Officer"
        ).user,
        "aaron": MembershipFactory(
            organisation=organisation,
            user__full_name="",
            user__job_title="",
            user__email="aaron@example.test",
        ).user,
    }
    assert sorted(
        User.objects.filter(pk__in=[u.pk for u in named.values()]).values_list(
            "sort_name", flat=True
        )
    ) == ["aaron@example.test", "bob", "chief finance officer"]
    for n, (label, owner) in enumerate(named.items()):
        RiskFactory(register=top, ref=f"R{n}", title=label, owner=owner)
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    url = reverse("register", args=[organisation.slug, "corporate"])

    def by_owner():
        return [row.risk.title for row in client.get(url, {"sort": "owner"}).context["rows"]]

    assert by_owner() == ["aaron", "Bob", "CFO"]
    bob = named["Bob"]
    bob.full_name = "Zara"
    bob.save()
    assert by_owner() == ["aaron", "CFO", "Bob"]  # Zara now
