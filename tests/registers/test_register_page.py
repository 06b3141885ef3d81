"""The register page: filters, search, sort, pagination and rollup all live in the URL, narrow in
the database, and cost the same queries for 10 risks or 500."""

import datetime as dt
import re
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from appetite.services import appetite_statement_set
from registers import selectors
from registers.models import Risk, RiskStatus, Role
from registers.services.organisations import member_add
from registers.services.risks import apply_ratings, risk_update, scheme_version_for_register
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    OrganisationFactory,
    RegisterFactory,
    RiskFactory,
    UserFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


def bulk_risks(register, count, *, prefix="B", owner=None, **fields):
    """Many rated risks in one INSERT (rated through the engine, as risk_create does)."""
    version = scheme_version_for_register(register)
    risks = []
    for n in range(count):
        risk = Risk(
            organisation=register.organisation,
            register=register,
            ref=f"{prefix}{n}",
            title=f"Bulk risk {n}",
            owner=owner,
            **fields,
        )
        apply_ratings(
            risk,
            scheme_version=version,
            positions={"current": (n % 5 + 1, n // 5 % 5 + 1), "target": (1, 1)},
        )
        risks.append(risk)
    return Risk.objects.bulk_create(risks)


def refs(response) -> list[str]:
    return [row.risk.ref for row in response.context["rows"]]


@pytest.fixture
def viewer(organisation):
    return MembershipFactory(organisation=organisation, role=Role.VIEWER).user


@pytest.fixture
def url(organisation):
    return reverse("register", args=[organisation.slug, "corporate"])


@pytest.fixture
def page(client, viewer, url):
    client.force_login(viewer)

    def get(**params):
        return client.get(url, params)

    return get


def test_columns_show_rating_target_appetite_review_and_status(page, organisation):
    owner = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    risk = RiskFactory(
        register=corporate_register_of(organisation),
        ref="CRR1",
        title="Depot fire",
        owner=owner,
        positions={"current": (4, 5), "target": (2, 2)},
    )
    Risk.objects.filter(pk=risk.pk).update(next_review_due=dt.date(2000, 1, 1))
    appetite_statement_set(organisation=organisation, tolerance=12)
    html = page().content.decode()
    for text in ("CRR1", "Depot fire", owner.display_name, "20 (High)", "4 (Low)", "Breach"):
        assert text in html
    assert "1 Jan 2000" in html and "Overdue" in html and ">Open<" in html


def test_default_status_is_open_and_escalated_and_all_shows_closed(page, organisation):
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="O1")
    RiskFactory(register=register, ref="E1", status=RiskStatus.ESCALATED)
    RiskFactory(register=register, ref="C1", status=RiskStatus.CLOSED, closed_reason="Gone")
    assert sorted(refs(page())) == ["E1", "O1"]
    assert sorted(refs(page(status="all"))) == ["C1", "E1", "O1"]
    assert refs(page(status="closed")) == ["C1"]
    assert refs(page(status="escalated")) == ["E1"]
    assert "All, including closed" in page().content.decode()


def test_filters_each_narrow(page, organisation):
    register = corporate_register_of(organisation)
    people, money = (CategoryFactory(organisation=organisation) for _ in range(2))
    alice = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    bob = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    RiskFactory(
        register=register,
        ref="A",
        category=people,
        owner=alice,
        horizon="short",
        positions={"current": (5, 5), "target": (1, 1)},
    )
    RiskFactory(
        register=register,
        ref="B",
        category=money,
        owner=bob,
        horizon="long",
        positions={"current": (2, 2)},
    )
    RiskFactory(register=register, ref="C", positions={"current": None})
    assert refs(page(category=people.id)) == ["A"]
    assert refs(page(owner=bob.id)) == ["B"]
    assert refs(page(band="Very high")) == ["A"]
    assert refs(page(band="Low")) == ["B"]
    assert refs(page(horizon="long")) == ["B"]
    assert refs(page(horizon="none")) == ["C"]
    assert refs(page(likelihood=5, impact=5)) == ["A"]
    assert refs(page(likelihood=5, impact=5, position="target")) == []
    assert refs(page(likelihood=1, impact=1, position="target")) == ["A"]
    assert refs(page(category=people.id, owner=bob.id)) == []


def test_search_covers_ref_title_and_description(page, organisation):
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="CYB-1", title="Ransomware")
    RiskFactory(register=register, ref="FIN-1", title="Budget gap", description="Cyber insurance")
    RiskFactory(register=register, ref="HR-1", title="Recruitment")
    assert sorted(refs(page(q="cyb"))) == ["CYB-1", "FIN-1"]
    assert refs(page(q="RANSOM")) == ["CYB-1"]
    assert refs(page(q="  hr-1 ")) == ["HR-1"]
    assert refs(page(q="nothing like it")) == []
    assert "No risks match these filters" in page(q="nothing like it").content.decode()


def test_appetite_filter_uses_category_statement_else_the_default(page, organisation):
    register = corporate_register_of(organisation)
    strict = CategoryFactory(organisation=organisation)
    appetite_statement_set(organisation=organisation, tolerance=15, warning=10)
    appetite_statement_set(organisation=organisation, category=strict, tolerance=5)
    # default: 16 > 15 breach; 12 > 10 warning; 9 within. strict category: 6 > 5 breach, and
    # its statement has no warning, so the default's warning must not leak in.
    RiskFactory(register=register, ref="D16", positions={"current": (4, 4)})
    RiskFactory(register=register, ref="D12", positions={"current": (3, 4)})
    RiskFactory(register=register, ref="D9", positions={"current": (3, 3)})
    RiskFactory(register=register, ref="S6", category=strict, positions={"current": (2, 3)})
    RiskFactory(register=register, ref="S4", category=strict, positions={"current": (2, 2)})
    RiskFactory(register=register, ref="N", positions={"current": None})
    assert sorted(refs(page(appetite="breach"))) == ["D16", "S6"]
    assert refs(page(appetite="warning")) == ["D12"]
    assert sorted(refs(page(appetite="within"))) == ["D9", "S4"]
    assert refs(page(appetite="not_set")) == ["N"]
    assert sorted(refs(page(appetite="outside"))) == ["D12", "D16", "S6"]
    # The database verdict matches appetite.rules through AppetiteLookup for every risk.
    lookup_rows = selectors.risk_rows(
        Risk.objects.filter(register=register), organisation=organisation
    )
    by_ref = {row.risk.ref: row.appetite for row in lookup_rows}
    assert {row.risk.ref: row.appetite for row in page().context["rows"]} == by_ref
    assert refs(page(sort="-appetite"))[:2] in (["D16", "S6"], ["S6", "D16"])
    assert refs(page(sort="-appetite"))[2] == "D12"


def test_review_filter_overdue_and_due_within_30_days(page, organisation):
    register = corporate_register_of(organisation)
    today = selectors.organisation_today(organisation)
    dates = {
        "LATE": today - dt.timedelta(days=1),
        "TODAY": today,
        "SOON": today + dt.timedelta(days=30),
        "LATER": today + dt.timedelta(days=31),
    }
    for ref, due in dates.items():
        risk = RiskFactory(register=register, ref=ref)
        Risk.objects.filter(pk=risk.pk).update(next_review_due=due)
    closed = RiskFactory(register=register, ref="SHUT", status="closed", closed_reason="Gone")
    Risk.objects.filter(pk=closed.pk).update(next_review_due=today - dt.timedelta(days=9))
    assert refs(page(review="overdue")) == ["LATE"]
    assert refs(page(review="overdue", status="all")) == ["LATE"]  # closed: never overdue
    assert sorted(refs(page(review="due30"))) == ["SOON", "TODAY"]
    html = page(sort="next_review").content.decode()
    assert html.count("Overdue</strong>") == 1


def test_sort_by_every_column_both_ways(page, organisation):
    register = corporate_register_of(organisation)
    zed = MembershipFactory(organisation=organisation, role=Role.OWNER, user__full_name="Zed").user
    amy = MembershipFactory(organisation=organisation, role=Role.OWNER, user__full_name="amy").user
    today = selectors.organisation_today(organisation)
    rows = [
        # ref, title, owner, current, target, review in days, status
        ("10", "Bravo", zed, (2, 2), (1, 1), 5, "open"),
        ("2", "alpha", amy, (5, 5), (2, 2), 1, "escalated"),
        ("1", "Charlie", None, None, (3, 3), None, "open"),
    ]
    for ref, title, owner, current, target, days, status in rows:
        risk = RiskFactory(
            register=register,
            ref=ref,
            title=title,
            owner=owner,
            status=status,
            positions={"current": current, "target": target},
        )
        if days is not None:
            Risk.objects.filter(pk=risk.pk).update(next_review_due=today + dt.timedelta(days))
    assert refs(page(sort="ref")) == ["1", "2", "10"]
    assert refs(page(sort="-ref")) == ["10", "2", "1"]
    assert refs(page(sort="title")) == ["2", "10", "1"]
    assert refs(page(sort="-title")) == ["1", "10", "2"]
    assert refs(page(sort="owner")) == ["2", "10", "1"]  # nobody last either way
    assert refs(page(sort="-owner")) == ["10", "2", "1"]
    assert refs(page(sort="-current")) == ["2", "10", "1"]  # not rated last
    assert refs(page(sort="current")) == ["10", "2", "1"]
    assert refs(page(sort="target")) == ["10", "2", "1"]
    assert refs(page(sort="-target")) == ["1", "2", "10"]
    assert refs(page(sort="next_review")) == ["2", "10", "1"]
    assert refs(page(sort="-next_review")) == ["10", "2", "1"]
    assert refs(page(sort="status")) == ["1", "10", "2"]
    assert refs(page(sort="-status")) == ["2", "1", "10"]
    assert refs(page()) == ["2", "10", "1"]  # default: highest current first
    html = page(sort="-current").content.decode()
    assert 'aria-sort="descending"' in html and "sort=current" in html


def test_bad_values_in_the_url_are_reported_and_ignored(page, organisation):
    RiskFactory(register=corporate_register_of(organisation), ref="X1", title="Kept")
    response = page(likelihood="abc", sort="bogus", category="999999", q="kept")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters in the address were not understood" in html
    assert refs(response) == ["X1"]  # the valid search still applies


def test_pagination_keeps_filters_and_sort(page, organisation):
    register = corporate_register_of(organisation)
    bulk_risks(register, 120, prefix="P")
    first = page(q="bulk", sort="ref", status="all")
    assert len(refs(first)) == 50 and refs(first)[0] == "P0"
    html = first.content.decode()
    next_link = re.search(r'href="(\?[^"]*page=2[^"]*)" rel="next"', html).group(1)
    assert "q=bulk" in next_link and "sort=ref" in next_link and "status=all" in next_link
    second = page(q="bulk", sort="ref", status="all", page=2)
    assert refs(second)[0] == "P50" and "page 2 of 3" in second.content.decode()
    # sorting goes back to page one but keeps the filters
    sorted_link = re.search(r'href="(\?[^"]*sort=title[^"]*)"', second.content.decode()).group(1)
    assert "page=" not in sorted_link and "q=bulk" in sorted_link


def test_rollup_lists_child_registers_with_a_register_column(page, organisation):
    top = corporate_register_of(organisation)
    school = RegisterFactory(organisation=organisation, parent=top, name="School", level="school")
    lab = RegisterFactory(organisation=organisation, parent=school, name="Lab", level="project")
    RiskFactory(register=top, ref="T1")
    RiskFactory(register=school, ref="S1")
    RiskFactory(register=lab, ref="L1")
    assert refs(page()) == ["T1"]
    rolled = page(rollup=1, sort="ref")
    assert refs(rolled) == ["L1", "S1", "T1"]
    html = rolled.content.decode()
    assert ">Register</a>" in html and "in this register and the registers below" in html
    assert refs(page(rollup=1, level="project")) == ["L1"]
    # by register name: "Lab", "Organisation N corporate risk register", "School"
    assert refs(page(rollup=1, sort="register")) == ["L1", "T1", "S1"]


def test_school_register_links_parent_and_children(client, viewer, organisation):
    top = corporate_register_of(organisation)
    school = RegisterFactory(organisation=organisation, parent=top, name="School of Law")
    RegisterFactory(organisation=organisation, parent=school, name="Moot court project")
    other = RegisterFactory(organisation=organisation, parent=top, name="Estates")
    RiskFactory(register=other, ref="E1")
    client.force_login(viewer)
    response = client.get(reverse("register", args=[organisation.slug, school.slug]), {"rollup": 1})
    html = response.content.decode()
    assert top.name in html and "Moot court project" in html and "Reports to" in html
    assert refs(response) == []  # a sibling's risks are not rolled up


def test_rollup_on_a_register_without_children_is_ignored(page, organisation):
    RiskFactory(register=corporate_register_of(organisation), ref="ONLY")
    response = page(rollup=1)
    assert refs(response) == ["ONLY"] and not response.context["rollup"]


def test_edit_links_only_for_editors(client, organisation, viewer, url):
    coordinator = member_add(
        organisation=organisation, email="coord@example.test", role=Role.COORDINATOR
    ).user
    create_url = reverse("risk_create", args=[organisation.slug, "corporate"])
    client.force_login(coordinator)
    assert create_url in client.get(url).content.decode()
    client.force_login(viewer)
    assert create_url not in client.get(url).content.decode()


def test_another_organisations_register_is_404(client, viewer):
    theirs = OrganisationFactory()
    client.force_login(viewer)
    assert client.get(reverse("register", args=[theirs.slug, "corporate"])).status_code == 404
    assert (
        client.get(reverse("register", args=[theirs.slug, "corporate"]), {"rollup": 1}).status_code
        == 404
    )
    outsider = UserFactory()
    client.force_login(outsider)
    mine = viewer.memberships.get().organisation
    assert client.get(reverse("register", args=[mine.slug, "corporate"])).status_code == 404


def test_other_organisations_risks_never_roll_up(page, organisation):
    theirs = OrganisationFactory()
    RiskFactory(register=corporate_register_of(theirs), ref="THEIRS", title="Secret")
    RiskFactory(register=corporate_register_of(organisation), ref="MINE")
    html = page(rollup=1, status="all", q="").content.decode()
    assert "Secret" not in html and "THEIRS" not in html


@pytest.mark.parametrize("params", [{}, {"sort": "-appetite", "q": "bulk", "rollup": 1}])
def test_query_count_is_the_same_for_10_and_500_risks(client, viewer, organisation, url, params):
    top = corporate_register_of(organisation)
    child = RegisterFactory(organisation=organisation, parent=top)
    owner = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    category = CategoryFactory(organisation=organisation)
    appetite_statement_set(organisation=organisation, tolerance=10, warning=6)
    appetite_statement_set(organisation=organisation, category=category, tolerance=12)
    bulk_risks(top, 5, prefix="A", owner=owner, category=category)
    bulk_risks(child, 5, prefix="C", owner=owner)
    client.force_login(viewer)

    def grow():
        bulk_risks(top, 245, prefix="M", owner=owner, category=category)
        bulk_risks(child, 245, prefix="N", owner=owner)

    few, response = assert_same_queries(lambda: client.get(url, params), grow, at_most=20)
    assert few.status_code == 200
    assert len(response.context["rows"]) == 50


@pytest.mark.parametrize(
    ("params", "field_id"),
    [({"status": "bogus"}, "id_status"), ({"owner": "999999"}, "id_owner")],
)
def test_a_filter_in_error_is_described_by_its_message(page, organisation, params, field_id):
    from tests.aria import describedby, missing_describedby_targets

    html = page(**params).content.decode()
    assert f"{field_id}_error" in describedby(html, field_id)
    assert missing_describedby_targets(html) == []


def test_a_bad_as_of_date_is_shown_at_the_date_and_described_by_its_message(page, organisation):
    from tests.aria import describedby, missing_describedby_targets

    html = page(as_of="31/02/2026").content.decode()
    assert "Some filters in the address were not understood" in html
    assert describedby(html, "as-of-date") == ["as-of-date-hint", "as-of-date-error"]
    assert missing_describedby_targets(html) == []
    # the person sees what they typed, to correct it
    assert 'value="31/02/2026"' in html


# --- issue 20: the rows drawn in one loop, the queries few and flat, the owner sort by key ------


def test_each_cell_of_a_row_says_what_the_partials_said(client, organisation):
    """The rows are drawn from values computed in Python (registers/views/register_table.py),
    not per-row includes: each cell still says what it said."""
    top = corporate_register_of(organisation)
    school = RegisterFactory(organisation=organisation, parent=top, name="School of Law")
    category = CategoryFactory(organisation=organisation, name="Estates")
    owner = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    owner.full_name, owner.job_title = "Amy Ash", "Head of Estates"
    owner.save()
    appetite_statement_set(organisation=organisation, tolerance=10, warning=6)
    rated = RiskFactory(
        register=top,
        ref="R1",
        title="Roof <leaks>",
        category=category,
        owner=owner,
        marking="OFFICIAL-SENSITIVE",
        emerging=True,
        positions={"current": (5, 5), "target": (1, 1)},
    )
    Risk.objects.filter(pk=rated.pk).update(
        origin_register=school, next_review_due=dt.date(2020, 1, 1)
    )
    RiskFactory(register=school, ref="S1", title="Unrated", positions={})
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    client.force_login(admin)
    url = reverse("register", args=[organisation.slug, "corporate"])
    html = client.get(url, {"rollup": 1, "sort": "ref"}).content.decode()
    risk_url = reverse("risk", args=[organisation.slug, "R1"])
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', html, re.S)[1:]
    first, second = (" ".join(row.split()) for row in rows)
    assert f'<a class="govuk-link" href="{risk_url}">R1</a>' in first
    assert "Roof &lt;leaks&gt;</a>" in first
    assert '<strong class="govuk-tag govuk-tag--grey">Sensitive</strong>' in first
    assert '<strong class="govuk-tag govuk-tag--yellow">Emerging</strong>' in first
    assert '<span class="govuk-body-s">Estates</span>' in first
    assert '<span class="govuk-body-s">Came from School of Law</span>' in first
    assert 'data-label="Owner">Amy Ash, Head of Estates</td>' in first
    assert 'class="rr-rating"' in first and 'title="Likelihood ' in first
    assert '<strong class="rr-appetite rr-appetite--breach">Breach</strong>' in first
    assert '1 Jan 2020 <strong class="govuk-tag govuk-tag--red">Overdue</strong>' in first
    assert 'data-label="Status">Open</td>' in first
    assert 'id="bulk-risk-1" name="risk" type="checkbox" value="R1"' in first
    assert '<span class="govuk-visually-hidden">Select R1</span>' in first
    assert 'data-label="Register">' + top.name + "</td>" in first  # its own register: no link
    school_url = reverse("register", args=[organisation.slug, school.slug])
    assert f'<a class="govuk-link" href="{school_url}">School of Law</a>' in second
    assert '<span class="govuk-hint rr-not-rated">Not rated</span>' in second
    assert '<span class="govuk-hint">No threshold</span>' in second
    assert 'data-label="Owner">—</td>' in second and 'data-label="Next review">—</td>' in second
    assert "bulk-risk-2" in second


def test_page_links_are_the_first_last_current_and_neighbours(rf):
    """The pagination's items, worked out in Python, as the template's test of every page
    number had them."""
    from django.core.paginator import Paginator

    from registers.views.register_page import _page_links

    def by_template(page) -> list:
        items = []
        for number in page.paginator.page_range:
            if number == page.number:
                items.append(("current", number))
            elif (
                number in (1, page.paginator.num_pages)
                or number - 1 == page.number
                or number + 1 == page.number
            ):
                items.append(("link", number))
            elif number - 2 == page.number or number + 2 == page.number:
                items.append(("ellipsis", number))
        return items

    request = rf.get("/", {"q": "flood", "page": "3"})
    for pages in (1, 2, 3, 5, 9):
        paginator = Paginator(range(pages * 50), 50)
        for number in paginator.page_range:
            page = paginator.page(number)
            links = _page_links(request, page)
            if pages == 1:
                assert links == {}
                continue
            kinds = [
                (
                    "current"
                    if item.get("current")
                    else "ellipsis"
                    if item.get("ellipsis")
                    else "link",
                    item["number"],
                )
                for item in links["items"]
            ]
            assert kinds == by_template(page)
            assert all(
                item["url"] == f"?q=flood&page={item['number']}"
                for item in links["items"]
                if "url" in item
            )
            assert links["previous"] == (f"?q=flood&page={number - 1}" if number > 1 else "")
            assert links["next"] == (f"?q=flood&page={number + 1}" if number < pages else "")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COORDINATOR, Role.VIEWER])
@pytest.mark.parametrize(
    "params",
    [
        {"rollup": 1, "sort": "owner"},
        {"rollup": 1, "appetite": "outside", "sort": "-current"},
        {"rollup": 1, "q": "bulk", "sort": "title"},
        {},
    ],
)
def test_queries_are_few_and_the_same_for_10_and_500_risks(client, organisation, role, params):
    """The bench's four register pages (issue 20), for each role: at most 14 queries here (20
    before; the session's, the person's and the header's among them, the unread count counted
    each time in tests), the same at both sizes."""
    top = corporate_register_of(organisation)
    child = RegisterFactory(organisation=organisation, parent=top)
    owners = [MembershipFactory(organisation=organisation, role=Role.OWNER).user for _ in range(3)]
    appetite_statement_set(organisation=organisation, tolerance=3, warning=2)  # some outside
    bulk_risks(top, 5, prefix="A", owner=owners[0])
    bulk_risks(child, 5, prefix="C", owner=owners[1])
    client.force_login(MembershipFactory(organisation=organisation, role=role).user)
    url = reverse("register", args=[organisation.slug, "corporate"])
    client.get(url, params)  # the session settles

    def grow():
        bulk_risks(top, 245, prefix="M", owner=owners[2])
        bulk_risks(child, 245, prefix="N", owner=owners[0])

    few, many = assert_same_queries(lambda: client.get(url, params), grow, at_most=14)
    assert few.status_code == many.status_code == 200
    assert len(many.context["rows"]) == 50


def test_owner_sort_of_the_register_as_it_stood_names_past_owners(client, organisation):
    """The owner sort joins only today's owners of the organisation's risks; the register as it
    stood sorts by the owners of then, who may own nothing today."""
    top = corporate_register_of(organisation)
    amy, bob, zed = (
        MembershipFactory(organisation=organisation, role=Role.OWNER, user__full_name=name).user
        for name in ("Amy", "Bob", "Zed")
    )
    past = timezone.now() - dt.timedelta(days=30)
    with mock.patch("django.utils.timezone.now", return_value=past):
        first = RiskFactory(register=top, ref="A1", owner=amy)
        RiskFactory(register=top, ref="B1", owner=bob)
    risk_update(risk=first, expected_version=first.version, fields={"owner": zed})
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    url = reverse("register", args=[organisation.slug, "corporate"])
    assert refs(client.get(url, {"sort": "owner"})) == ["B1", "A1"]  # Bob, Zed
    then = (past + dt.timedelta(days=1)).date().isoformat()
    assert refs(client.get(url, {"sort": "owner", "as_of": then})) == ["A1", "B1"]  # Amy, Bob


@pytest.mark.parametrize("words", ["flood", "FLOOD", "fLoOd", "lood"])
def test_search_finds_words_whatever_their_case(page, organisation, words):
    """ASCII words are compared with the text's letters folded as ASCII on PostgreSQL (a third
    of the time at 10,000 risks); the same risks are found."""
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="T1", title="Flooding of the depot")
    RiskFactory(register=register, ref="D1", title="Depot", description="River FLOODS in spring")
    RiskFactory(register=register, ref="FLOOD-7", title="Levees")
    RiskFactory(register=register, ref="N1", title="Fire", description="Fl ood, not flo-od")
    assert sorted(refs(page(q=words))) == ["D1", "FLOOD-7", "T1"]


def test_search_folds_letters_beyond_ascii_as_before(page, organisation):
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="E1", title="École closures", description="Été")
    RiskFactory(register=register, ref="E2", title="Schools", description="the ÉCOLE's roof")
    RiskFactory(register=register, ref="E3", title="Cafe", description="no accents")
    assert sorted(refs(page(q="école"))) == ["E1", "E2"]
    assert refs(page(q="ÉTÉ")) == ["E1"]


def test_search_words_are_not_patterns(page, organisation):
    register = corporate_register_of(organisation)
    RiskFactory(register=register, ref="P1", title="100% loss of data")
    RiskFactory(register=register, ref="P2", title="1000 lost items")
    RiskFactory(register=register, ref="U1", title="snake_case names")
    RiskFactory(register=register, ref="U2", title="snakeXcase names")
    assert refs(page(q="100%")) == ["P1"]
    assert refs(page(q="e_c")) == ["U1"]


@pytest.mark.parametrize(
    "ref", ["CRR18", "a.b_c-d", "A B", "a/b", "~x", ".", "..", "", "50%", "q?#", "Räum€", "x y/z~"]
)
def test_row_links_are_what_reverse_gives(organisation, ref):
    """The rows' risk links are resolved once for the page (register_table._risk_urls), not
    reversed per row: the same address for any stored ref."""
    from registers.views.register_table import _risk_urls

    assert _risk_urls(organisation)(ref) == reverse("risk", args=[organisation.slug, ref])


def test_rows_name_owners_and_registers_from_what_the_page_read(client, organisation):
    """The page's rows are not joined to their owner, register, origin and category
    (``with_related``, ``owner_names``): each still shows the name a user carries, the register
    it came from and its category, and a person with neither name nor title shows as their
    e-mail, as ``User.display_name`` says."""
    from registers.selectors.register_list import OwnerName, owner_names

    top = corporate_register_of(organisation)
    school = RegisterFactory(organisation=organisation, parent=top, name="School of Law")
    named = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    named.full_name, named.job_title = "Amy Ash", "Head of Estates"
    named.save()
    bare = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    bare.full_name, bare.job_title = "", ""
    bare.save()
    category = CategoryFactory(organisation=organisation, name="Estates")
    moved = RiskFactory(register=top, ref="M1", owner=named, category=category)
    Risk.objects.filter(pk=moved.pk).update(origin_register=school)
    RiskFactory(register=school, ref="S1", owner=bare)
    assert owner_names(organisation=organisation) == [
        OwnerName(user.id, user.display_name)
        for user in selectors.risk_owners(organisation=organisation)
    ]
    client.force_login(MembershipFactory(organisation=organisation, role=Role.ADMIN).user)
    url = reverse("register", args=[organisation.slug, "corporate"])
    html = " ".join(client.get(url, {"rollup": 1, "sort": "ref"}).content.decode().split())
    assert 'data-label="Owner">Amy Ash, Head of Estates</td>' in html
    assert f'data-label="Owner">{bare.email}</td>' in html
    assert '<span class="govuk-body-s">Came from School of Law</span>' in html
    assert '<span class="govuk-body-s">Estates</span>' in html
    assert '">School of Law</a></td>' in html


def test_row_dates_are_what_the_date_filter_gives():
    """The rows' dates are written without Django's formatter (register_table._dates): the same
    text as ``|date`` for every day of several years, in English and in Welsh."""
    from django.utils import translation
    from django.utils.dateformat import format as date_format

    from registers.views.register_table import _dates

    days = [dt.date(1999, 12, 25) + dt.timedelta(days=n) for n in range(0, 3000, 7)]
    days += [dt.date(1, 1, 1), dt.date(987, 6, 5), dt.date(9999, 12, 31)]
    for language in ("en-gb", "cy"):
        with translation.override(language):
            for pattern in ("j M Y", "j F Y", "d/m/Y"):
                formatted = _dates(pattern)
                assert [formatted(day) for day in days] == [
                    date_format(day, pattern) for day in days
                ]


def test_a_past_days_page_names_owners_who_own_nothing_now_in_one_read(client, organisation):
    """On the register as it stood on a past day, each row's owner of then may own no risk today
    (not among the owner filter's people): named from one read for the page, not one a row."""
    register = corporate_register_of(organisation)
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    successor = MembershipFactory(organisation=organisation, role=Role.OWNER).user
    day = (timezone.localdate() - dt.timedelta(days=2)).strftime("%d/%m/%Y")
    address = reverse("register", args=[organisation.slug, register.slug])
    client.force_login(coordinator)
    earlier = []

    def hand_over(count):
        risks = []
        for n in range(count):
            owner = MembershipFactory(organisation=organisation, role=Role.OWNER).user
            owner.full_name = f"Former owner {len(earlier) + n}"
            owner.save()
            risks.append(RiskFactory(register=register, owner=owner))
        Risk.history.filter(id__in=[risk.id for risk in risks]).update(
            history_date=timezone.now() - dt.timedelta(days=3)
        )
        for risk in risks:
            risk_update(risk=risk, expected_version=risk.version, fields={"owner": successor})
        earlier.extend(risks)

    def fetch():
        response = client.get(address, {"as_of": day})
        assert response.status_code == 200
        return response.content.decode()

    hand_over(2)
    fetch()  # the session and the page's kept reads settle
    before, after = assert_same_queries(fetch, lambda: hand_over(10))
    assert "Former owner 1" in before
    for n in range(12):
        assert f'data-label="Owner">Former owner {n}</td>' in after
    assert f'data-label="Owner">{successor.display_name}</td>' not in after  # the owner then
