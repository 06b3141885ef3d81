"""The register page's list (`risk_list`, `risk_page`): ids first, then a page of rows, in the
same order as listing everything; page numbers as Django's paginator reads them; the counts
and the horizon column's question."""

from unittest import mock

import pytest
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone

from registers import selectors
from registers.models import Risk, RiskStatus, Role
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    RegisterFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.registers.test_register_page import bulk_risks

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("sort", ["", "owner", "-title", "-appetite", "next_review"])
def test_register_page_ids_first_gives_the_same_rows_in_the_same_order(
    organisation, appetite_setup, sort
):
    top = corporate_register_of(organisation)
    owners = [MembershipFactory(organisation=organisation, role=Role.OWNER).user for _ in range(4)]
    for n, owner in enumerate(owners):
        bulk_risks(top, 30, prefix=f"O{n}-", owner=owner, category=appetite_setup[n % 3])
    risks = selectors.risk_list(
        organisation=organisation,
        register_ids=[top.id],
        sort=sort,
        today=timezone.localdate(),
    )
    everything = list(risks)
    for number in (1, 2, 3):
        page, shown = selectors.risk_page(risks, number=number, per_page=50)
        assert [r.pk for r in shown] == [r.pk for r in everything[(number - 1) * 50 : number * 50]]
        assert page.number == number and page.paginator.count == 120
        # what a row shows came with it (appetite annotated, owner joined)
        assert all(hasattr(r, "appetite_rank") for r in shown)


def test_register_page_ids_first_as_it_stood(organisation):
    top = corporate_register_of(organisation)
    bulk_risks(top, 3, prefix="X")
    for risk in Risk.objects.filter(organisation=organisation):
        risk.save()  # history records for the bulk-made risks
    moment = timezone.now()
    risks = selectors.risk_list(
        organisation=organisation,
        register_ids=[top.id],
        sort="ref",
        today=timezone.localdate(),
        as_of=moment,
    )
    page, shown = selectors.risk_page(risks, number=1, per_page=2)
    assert [r.ref for r in shown] == ["X0", "X1"] and page.paginator.count == 3


def test_register_page_shows_the_sorted_second_page(client, organisation):
    top = corporate_register_of(organisation)
    viewer = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    bulk_risks(top, 60, prefix="B")
    client.force_login(viewer)
    url = reverse("register", args=[organisation.slug, "corporate"])
    response = client.get(url, {"sort": "ref", "page": 2})
    assert [row.risk.ref for row in response.context["rows"]] == [f"B{n}" for n in range(50, 60)]
    assert response.context["page"].number == 2


@pytest.mark.parametrize(
    ("asked", "shown"), [(None, 1), ("abc", 1), ("2", 2), ("3", 3), ("9", 3), ("0", 3), ("-1", 3)]
)
def test_register_page_numbers_behave_as_paginator_get_page(organisation, asked, shown):
    top = corporate_register_of(organisation)
    bulk_risks(top, 25, prefix="P")
    risks = selectors.risk_list(
        organisation=organisation, register_ids=[top.id], sort="ref", today=timezone.localdate()
    )
    page, rows = selectors.risk_page(risks, number=asked, per_page=10)
    expected = Paginator(list(risks), 10).get_page(asked)
    assert page.number == expected.number == shown
    assert [r.pk for r in rows] == [r.pk for r in expected.object_list]
    assert (page.paginator.count, page.paginator.num_pages) == (25, 3)
    assert page.has_next() == expected.has_next() and page.start_index() == expected.start_index()


def test_register_page_counts_in_the_same_query_as_it_lists(
    organisation, django_assert_num_queries
):
    top = corporate_register_of(organisation)
    bulk_risks(top, 25, prefix="P")
    risks = selectors.risk_list(
        organisation=organisation, register_ids=[top.id], sort="-title", today=timezone.localdate()
    )
    # ids with the total (no separate COUNT), the rows of the page, their scheme version
    with django_assert_num_queries(3):
        page, rows = selectors.risk_page(risks, number=2, per_page=10)
    assert page.paginator.count == 25 and len(rows) == 10


def test_an_empty_register_page(organisation):
    risks = selectors.risk_list(
        organisation=organisation,
        register_ids=[corporate_register_of(organisation).id],
        today=timezone.localdate(),
    )
    page, rows = selectors.risk_page(risks, number="4", per_page=10)
    assert (page.number, page.paginator.count, rows) == (1, 0, [])


def test_register_page_fetches_the_scheme_version_once(organisation, django_assert_num_queries):
    top = corporate_register_of(organisation)
    bulk_risks(top, 30, prefix="V")
    risks = selectors.risk_list(
        organisation=organisation, register_ids=[top.id], today=timezone.localdate()
    )
    with django_assert_num_queries(3):  # ids and total, the rows, their scheme version(s)
        page, rows = selectors.risk_page(risks, number=1, per_page=25)
    versions = {id(row.scheme_version) for row in rows}
    assert len(versions) == 1 and all(r.current for r in selectors.annotated_rows(rows))


def test_uses_horizons_reads_only_risks_with_one(organisation):
    assert not selectors.uses_horizons(organisation=organisation)
    RiskFactory(register=corporate_register_of(organisation), ref="A")
    assert not selectors.uses_horizons(organisation=organisation)
    RiskFactory(register=corporate_register_of(organisation), ref="B", horizon="long")
    assert selectors.uses_horizons(organisation=organisation)


def test_register_counts_open_escalated_and_closed(organisation):
    top = corporate_register_of(organisation)
    bulk_risks(top, 4, prefix="O")
    bulk_risks(top, 2, prefix="E", status=RiskStatus.ESCALATED)
    bulk_risks(top, 3, prefix="C", status=RiskStatus.CLOSED, closed_reason="done")
    empty = RegisterFactory(organisation=organisation, parent=top)
    counts = {
        r.id: (r.open_risks, r.closed_risks)
        for r in selectors.registers_with_counts(organisation=organisation)
    }
    assert counts == {top.id: (6, 3), empty.id: (0, 0)}


def test_owner_sort_and_search_build_for_the_demos_sqlite(organisation):
    """Other databases (the demo's SQLite) sort by owner through a plain join and search with
    icontains: a FilteredRelation there takes no subquery (the owner sort raised ValueError)."""
    from unittest import mock

    from registers.selectors import register_list

    owner = MembershipFactory(organisation=organisation).user
    top = corporate_register_of(organisation)
    RiskFactory(register=top, ref="A1", title="Flood", owner=owner)
    RiskFactory(register=top, ref="B1", title="Flooding")
    with mock.patch.object(register_list, "connection", mock.Mock(vendor="sqlite")):
        risks = selectors.risk_list(
            organisation=organisation,
            register_ids=[top.id],
            sort="-owner",
            today=timezone.localdate(),
            risk_filter=selectors.RiskFilter(q="FLOOD"),
        )
    sql = str(risks.query)
    assert "ANY(ARRAY" not in sql and 'COLLATE "C"' not in sql
    assert [risk.ref for risk in risks] == ["A1", "B1"]  # nobody last either way


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"status": "all"},
        {"status": "closed"},
        {"appetite": "outside"},
        {"review": "overdue"},
        {"review": "due30"},
        {"band": "High"},
        {"emerging": "yes"},
    ],
)
@pytest.mark.parametrize("sort", ["", "owner", "-current", "status"])
def test_prepared_reads_give_the_plain_pages(organisation, appetite_setup, filters, sort):
    """The register page's list read through ``prepared_list`` (decision 85): the same pages,
    rows and totals as the plain queryset, for another category, owner and register on the
    same compiled query."""
    from dataclasses import replace

    from registers.selectors.register_list import prepared_risks
    from registers.selectors.rows import appetite_statements

    top = corporate_register_of(organisation)
    other = RegisterFactory(organisation=organisation, parent=top)
    owners = [MembershipFactory(organisation=organisation, role=Role.OWNER).user for _ in range(2)]
    for n, owner in enumerate(owners):
        bulk_risks(top, 40, prefix=f"T{n}-", owner=owner, category=appetite_setup[n % 3])
        bulk_risks(other, 15, prefix=f"D{n}-", owner=owner, category=appetite_setup[2])
    Risk.objects.filter(ref__endswith="7").update(status=RiskStatus.CLOSED, closed_reason="Done")
    today = timezone.localdate()
    statements = appetite_statements(organisation=organisation)
    for category, owner, register_ids in (
        (None, None, [top.id, other.id]),
        (appetite_setup[0].id, owners[0].id, [top.id, other.id]),
        (appetite_setup[2].id, owners[1].id, [other.id, top.id]),
        (appetite_setup[1].id, None, [other.id]),
        (None, owners[0].id, [top.id]),
    ):
        risk_filter = replace(selectors.RiskFilter(**filters), category=category, owner=owner)
        arguments = {"register_ids": register_ids, "risk_filter": risk_filter, "sort": sort}
        plain = selectors.risk_list(
            organisation=organisation, today=today, joined=False, **arguments
        )
        prepared = prepared_risks(
            organisation_id=organisation.id,
            today=today,
            escalated_in=False,
            statements=statements,
            **arguments,
        )
        assert prepared is not None
        for number in ("1", "2", "9"):
            want_page, want = selectors.risk_page(plain, number=number, per_page=20)
            page, got = selectors.risk_page(None, prepared=prepared, number=number, per_page=20)
            assert [r.pk for r in got] == [r.pk for r in want]
            assert [r.appetite_rank for r in got] == [r.appetite_rank for r in want]
            assert (page.number, page.paginator.count) == (
                want_page.number,
                want_page.paginator.count,
            )


@pytest.mark.parametrize("sort", ["", "owner", "title", "-current"])
def test_prepared_searches_give_the_plain_pages(organisation, appetite_setup, sort):
    """A search read through ``prepared_list`` (its ``LIKE`` pattern and the withheld
    descriptions' ids are values): the same pages as the plain queryset, for other words and
    other withheld risks on the same compiled query, words with ``%``, ``_`` and a backslash
    matched as themselves, and words beyond ASCII read the plain way."""
    from dataclasses import replace

    from registers.selectors.register_list import prepared_risks
    from registers.selectors.rows import appetite_statements

    top = corporate_register_of(organisation)
    other = RegisterFactory(organisation=organisation, parent=top)
    owner = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    bulk_risks(top, 30, prefix="T", owner=owner, category=appetite_setup[0])
    bulk_risks(other, 20, prefix="D", category=appetite_setup[1])
    texts = {
        "T1": ("Flood at the depot", ""),
        "T2": ("Depot", "River floods in spring"),
        "T3": ("Staff", "50% of staff_lists lost"),
        "T4": ("Power", "5000 staff lists lost"),
        "T5": ("Back\\slash", "flood"),
        "D3": ("Flooding of the school", "Roof"),
        "D4": ("School", "FLOOD plan out of date"),
    }
    for ref, (title, description) in texts.items():
        Risk.objects.filter(organisation=organisation, ref=ref).update(
            title=title, description=description
        )
    ids = dict(Risk.objects.filter(organisation=organisation).values_list("ref", "id"))

    class Withheld:
        def __init__(self, *refs):
            self.withheld_risk_ids = frozenset(ids[ref] for ref in refs)

    today = timezone.localdate()
    statements = appetite_statements(organisation=organisation)
    cases = [
        ("flood", Withheld(), None),
        ("FLOODS", Withheld(), None),
        ("school", Withheld(), appetite_setup[1].id),
        ("50%", Withheld(), None),
        ("0% of staff_l", Withheld(), None),
        ("f_list", Withheld(), None),
        ("k\\s", Withheld(), None),
        ("nowhere", Withheld(), None),
        ("bulk risk 1", Withheld(), None),
        ("flood", Withheld("T2", "D4"), None),
        ("flood", Withheld("T5", "D3"), None),
        ("lost", Withheld("T3"), None),
    ]
    for words, withheld, category in cases:
        risk_filter = selectors.RiskFilter(q=words, category=category)
        arguments = {
            "register_ids": [top.id, other.id],
            "risk_filter": risk_filter,
            "sort": sort,
        }
        plain = selectors.risk_list(
            organisation=organisation,
            today=today,
            joined=False,
            search_sensitive_for=withheld,
            **arguments,
        )
        prepared = prepared_risks(
            organisation_id=organisation.id,
            today=today,
            escalated_in=False,
            statements=statements,
            search_sensitive_for=withheld,
            **arguments,
        )
        assert prepared is not None
        for number in ("1", "2", "9"):
            want_page, want = selectors.risk_page(plain, number=number, per_page=10)
            page, got = selectors.risk_page(None, prepared=prepared, number=number, per_page=10)
            assert [r.pk for r in got] == [r.pk for r in want], (words, number)
            assert (page.number, page.paginator.count) == (
                want_page.number,
                want_page.paginator.count,
            )
    # What the plain reads find, as the words say (the prepared ones were compared with them).
    found = {
        words: sorted(
            risk.ref
            for risk in selectors.risk_list(
                organisation=organisation,
                register_ids=[top.id, other.id],
                risk_filter=replace(selectors.RiskFilter(), q=words),
                today=today,
                search_sensitive_for=withheld,
            )
        )
        for words, withheld, _category in cases[:8]
    }
    assert found["flood"] == ["D3", "D4", "T1", "T2", "T5"]
    assert found["50%"] == ["T3"] and found["0% of staff_l"] == ["T3"] and found["f_list"] == ["T3"]
    assert found["k\\s"] == ["T5"] and found["nowhere"] == []
    # Words beyond ASCII, and more withheld descriptions than kept keys, read the plain way.
    from registers.selectors import register_list

    def prepared_for(words, withheld):
        return prepared_risks(
            organisation_id=organisation.id,
            register_ids=[top.id],
            risk_filter=selectors.RiskFilter(q=words),
            sort=sort,
            today=today,
            escalated_in=False,
            statements=statements,
            search_sensitive_for=withheld,
        )

    assert prepared_for("crème", Withheld()) is None
    assert prepared_for("flood", Withheld("T2", "D4")) is not None
    with mock.patch.object(register_list, "PREPARED_WITHHELD", 1):
        assert prepared_for("flood", Withheld("T2", "D4")) is None
        assert prepared_for("flood", Withheld("T2")) is not None


def test_the_filters_reads_compiled_once_give_the_plain_answers(organisation, other_organisation):
    """The owner filter's names, the categories and whether any risk has a horizon, read through
    ``prepared_list``: each organisation's own on the same compiled query, and a write shows."""
    from appetite.models import AppetiteStatement
    from registers.selectors import register_list
    from registers.selectors.rows import appetite_statements

    def plain(org):
        owners = [
            (user.id, user.display_name) for user in register_list.risk_owners(organisation=org)
        ]
        categories = list(register_list.categories(organisation=org))
        horizons = Risk.objects.filter(organisation=org).exclude(horizon="").exists()
        return owners, categories, horizons, appetite_statements(organisation=org)

    def prepared(org):
        owners = [(o.id, o.display_name) for o in register_list.owner_names(organisation=org)]
        categories = register_list.page_categories(organisation=org)
        horizons = register_list.uses_horizons(organisation=org)
        return (
            owners,
            categories,
            horizons,
            register_list.page_appetite_statements(organisation=org),
        )

    for org, prefix in ((organisation, "A"), (other_organisation, "B")):
        for n in range(3):
            category = CategoryFactory(organisation=org, name=f"{prefix} category {2 - n}")
            if n:
                AppetiteStatement.objects.create(
                    organisation=org, category=category, tolerance=10 + n, warning=5 + n
                )
        top = corporate_register_of(org)
        for n in range(3):
            owner = MembershipFactory(organisation=org, role=Role.OWNER).user
            RiskFactory(register=top, ref=f"{prefix}{n}", owner=owner)
    for _ in range(2):
        for org in (organisation, other_organisation):
            assert prepared(org) == plain(org)
            assert len(prepared(org)[0]) == 3 and prepared(org)[2] is False
            assert len(prepared(org)[3]) == 2
        RiskFactory(register=corporate_register_of(other_organisation), ref="H1", horizon="long")
        assert prepared(other_organisation)[2] is True and prepared(organisation)[2] is False
        Risk.objects.filter(ref="H1").delete()
