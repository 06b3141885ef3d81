"""Appetite managed by the organisation (issue 4): every member reads the appetite page and its
history; an admin adds, changes and removes statements and edits the levels, each change kept in
history with who and why; everyone else is refused (403), outsiders get 404. Boundaries are
checked against the sources' own figures: Aberdeen's Table 5 thresholds and ESPO's 10."""

import pytest
from django.db import transaction
from django.urls import reverse

from appetite.models import AppetiteLevel, AppetiteStatement
from appetite.rules import AppetiteState
from appetite.selectors import appetite_lookup
from appetite.services import appetite_statement_set
from demo.seeding import seed_demo
from registers import selectors
from registers.models import Category, Organisation, Role, User
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    OrganisationFactory,
    RiskFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db

# Aberdeen Risk Management Framework, Table 5: tolerance threshold per strategic risk area.
ABERDEEN_TABLE_5 = {
    "Equality and Diversity": 13,
    "Financial Sustainability": 17,
    "Governance and Core Business": 13,
    "Health and Safety": 13,
    "Infrastructure Sustainability": 17,
    "Internationalisation": 18,
    "Research Performance and Impact": 18,
    "Staff Recruitment and Retention": 18,
    "Student Experience": 20,
    "Student Recruitment": 18,
}


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def finance(organisation):
    return CategoryFactory(organisation=organisation, name="Finance", position=1)


@pytest.fixture
def statement(organisation, finance):
    return appetite_statement_set(
        organisation=organisation, category=finance, tolerance=12, warning=8, rationale="Prudent"
    )


def edit_url(organisation, statement):
    return reverse("appetite_statement_edit", args=[organisation.slug, statement.pk])


def statement_form(**overrides):
    data = {"level": "", "tolerance": "15", "warning": "", "rationale": "", "reason": "Review"}
    data.update(overrides)
    return data


# --- the sources' thresholds, from the seeded demo ----------------------------------------------


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """Aberdeen and ESPO seeded once for the module, rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo(slugs=("aberdeen", "espo"))
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db):
    return {slug: Organisation.objects.get(slug=slug) for slug in ("aberdeen", "espo")}


def test_aberdeen_table_5_boundaries_per_category(seeded):
    aberdeen = seeded["aberdeen"]
    lookup = appetite_lookup(organisation=aberdeen)
    categories = {c.name: c.id for c in Category.objects.filter(organisation=aberdeen)}
    assert set(categories) == set(ABERDEEN_TABLE_5)
    for name, threshold in ABERDEEN_TABLE_5.items():
        category_id = categories[name]
        assert lookup.threshold(category_id).tolerance == threshold, name
        assert lookup.state(category_id=category_id, score=threshold) == AppetiteState.WITHIN
        assert lookup.state(category_id=category_id, score=threshold + 1) == AppetiteState.BREACH


def test_aberdeen_financial_sustainability_risk_at_17_within_18_breach(seeded, client):
    """On Aberdeen's 6x6 scheme: 16 (4x4) and 18 (3x6) sit either side of Table 5's 17."""
    aberdeen = seeded["aberdeen"]
    finance = Category.objects.get(organisation=aberdeen, name="Financial Sustainability")
    lookup = appetite_lookup(organisation=aberdeen)
    assert lookup.state(category_id=finance.id, score=17) == AppetiteState.WITHIN
    assert lookup.state(category_id=finance.id, score=18) == AppetiteState.BREACH
    top = corporate_register_of(aberdeen)
    RiskFactory(register=top, ref="T16", category=finance, positions={"current": (4, 4)})
    RiskFactory(register=top, ref="T18", category=finance, positions={"current": (3, 6)})
    student = Category.objects.get(organisation=aberdeen, name="Student Experience")
    RiskFactory(register=top, ref="T20", category=student, positions={"current": (4, 5)})
    client.force_login(User.objects.get(email="viewer@aberdeen.demo"))
    outside = client.get(reverse("organisation", args=["aberdeen"])).context["outside"]
    refs = [row.risk.ref for row in outside]
    assert "T18" in refs and "T16" not in refs and "T20" not in refs  # 20 is Student Experience's
    page = text(client.get(reverse("appetite", args=["aberdeen"])))
    for name in ABERDEEN_TABLE_5:
        assert name in page


def test_espo_tolerance_10_from_the_seeded_statement(seeded, client):
    espo = seeded["espo"]
    default = AppetiteStatement.objects.get(organisation=espo, category__isnull=True)
    assert default.tolerance == 10 and "10 or less" in default.rationale
    lookup = appetite_lookup(organisation=espo)
    assert lookup.state(category_id=None, score=10) == AppetiteState.WITHIN
    assert lookup.state(category_id=None, score=11) == AppetiteState.BREACH
    top = corporate_register_of(espo)
    RiskFactory(register=top, ref="TEN", positions={"current": (2, 5)})  # 10
    RiskFactory(register=top, ref="TWELVE", positions={"current": (3, 4)})  # 12
    client.force_login(User.objects.get(email="panel@espo.demo"))
    refs = [
        row.risk.ref
        for row in client.get(reverse("organisation", args=["espo"])).context["outside"]
    ]
    assert "TWELVE" in refs and "TEN" not in refs
    # every category of ESPO falls back to the organisation-wide 10
    page = text(client.get(reverse("appetite", args=["espo"])))
    assert "the default applies (breach above 10)" in page


def test_seeded_aberdeen_admin_raises_a_tolerance_and_the_breach_goes(seeded, client):
    aberdeen = seeded["aberdeen"]
    estates = AppetiteStatement.objects.get(
        organisation=aberdeen, category__name="Infrastructure Sustainability"
    )
    client.force_login(User.objects.get(email="admin@aberdeen.demo"))
    dashboard = reverse("organisation", args=["aberdeen"])
    # SRR05, the estate and digital infrastructure risk, scores 18 against Table 5's 17
    assert "SRR05" in [row.risk.ref for row in client.get(dashboard).context["outside"]]
    response = client.post(
        edit_url(aberdeen, estates),
        statement_form(
            level=str(estates.level_id),
            tolerance="18",
            rationale=estates.rationale,
            reason="Court, June: estates tolerance raised to 18",
        ),
    )
    assert response.status_code == 302
    refs = [row.risk.ref for row in client.get(dashboard).context["outside"]]
    assert "SRR05" not in refs and "SRR02" in refs


# --- reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_member_reads_the_appetite_page(client, organisation, statement, role):
    appetite_statement_set(organisation=organisation, tolerance=20, rationale="Whole org")
    user = MembershipFactory(organisation=organisation, role=role).user
    client.force_login(user)
    response = client.get(reverse("appetite", args=[organisation.slug]))
    assert response.status_code == 200
    page = text(response)
    assert "Finance" in page and "Prudent" in page and "Whole org" in page
    assert "Averse" in page and "Eager" in page  # the levels
    assert "from 1 to 25" in page  # the scheme's scale
    editing = reverse("appetite_statement_edit", args=[organisation.slug, statement.pk])
    assert (editing in page) == (role == Role.ADMIN)
    history = client.get(reverse("appetite_history", args=[organisation.slug]))
    assert history.status_code == 200


def test_appetite_page_counts_open_risks_outside_appetite_per_category(
    admin_client, organisation, statement, finance
):
    top = corporate_register_of(organisation)
    RiskFactory(register=top, ref="F1", category=finance, positions={"current": (4, 4)})  # 16
    RiskFactory(register=top, ref="F2", category=finance, positions={"current": (3, 3)})  # 9
    RiskFactory(register=top, ref="F3", category=finance, positions={"current": (1, 1)})
    page = text(admin_client.get(reverse("appetite", args=[organisation.slug])))
    assert "1 in breach, 1 at warning" in page
    assert f"category={finance.id}" in page and "appetite=outside" in page


def test_reading_pages_take_only_get(client, organisation):
    client.force_login(MembershipFactory(organisation=organisation, role=Role.ADMIN).user)
    for name in ("appetite", "appetite_history"):
        assert client.post(reverse(name, args=[organisation.slug])).status_code == 405


def test_appetite_page_query_count_does_not_grow_with_categories_and_risks(
    admin_client, organisation
):
    def grow(count, start):
        for n in range(start, start + count):
            category = CategoryFactory(organisation=organisation, name=f"Area {n}")
            appetite_statement_set(
                organisation=organisation, category=category, tolerance=10, warning=6
            )
            RiskFactory(
                register=corporate_register_of(organisation),
                ref=f"A{n}",
                category=category,
                positions={"current": (4, 4)},
            )

    url = reverse("appetite", args=[organisation.slug])
    grow(3, 0)
    _, many = assert_same_queries(lambda: admin_client.get(url), lambda: grow(27, 3), at_most=20)
    assert "Area 29" in text(many)


# --- who may change it --------------------------------------------------------------------------


def editing_urls(organisation, statement):
    slug = organisation.slug
    return [
        reverse("appetite_statement_add", args=[slug]),
        reverse("appetite_statement_edit", args=[slug, statement.pk]),
        reverse("appetite_statement_remove", args=[slug, statement.pk]),
        reverse("appetite_levels", args=[slug]),
    ]


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_only_an_admin_changes_the_appetite(client, organisation, statement, role):
    client.force_login(MembershipFactory(organisation=organisation, role=role).user)
    for url in editing_urls(organisation, statement):
        assert client.get(url).status_code == 403, url
        assert client.post(url, statement_form(tolerance="20")).status_code == 403, url
    statement.refresh_from_db()
    assert statement.tolerance == 12 and statement.history.count() == 1
    assert AppetiteStatement.objects.filter(pk=statement.pk).exists()
    page = text(client.get(reverse("appetite", args=[organisation.slug])))
    assert "Add a statement" not in page and "Change appetite levels" not in page


def test_another_organisations_appetite_is_not_found(client, organisation, statement):
    theirs = OrganisationFactory()
    their_statement = appetite_statement_set(organisation=theirs, tolerance=5)
    client.force_login(MembershipFactory(organisation=organisation, role=Role.ADMIN).user)
    for url in [
        reverse("appetite", args=[theirs.slug]),
        reverse("appetite_history", args=[theirs.slug]),
        *editing_urls(theirs, their_statement),
        # our organisation, their statement
        reverse("appetite_statement_edit", args=[organisation.slug, their_statement.pk]),
        reverse("appetite_statement_remove", args=[organisation.slug, their_statement.pk]),
    ]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, statement_form(tolerance="20")).status_code == 404, url
    their_statement.refresh_from_db()
    assert their_statement.tolerance == 5


def test_editing_needs_a_login(client, organisation, statement):
    for url in editing_urls(organisation, statement):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- statements ---------------------------------------------------------------------------------


def test_admin_changes_a_statement_and_history_keeps_who_and_why(
    admin_client, admin, organisation, statement
):
    cautious = AppetiteLevel.objects.get(organisation=organisation, name="Cautious")
    form = admin_client.get(edit_url(organisation, statement))
    assert form.status_code == 200 and 'value="12"' in text(form)
    response = admin_client.post(
        edit_url(organisation, statement),
        statement_form(
            level=str(cautious.pk),
            tolerance="15",
            warning="10",
            rationale="Board, May",
            reason="Annual review by the Audit Committee",
        ),
        follow=True,
    )
    assert "Appetite for Finance saved: breach above 15, warning above 10." in text(response)
    statement.refresh_from_db()
    assert (statement.level, statement.tolerance, statement.warning) == (cautious, 15, 10)
    latest = statement.history.latest()
    assert latest.history_change_reason == "Annual review by the Audit Committee"
    assert latest.history_user == admin
    history = text(admin_client.get(reverse("appetite_history", args=[organisation.slug])))
    assert "Finance statement changed" in history
    assert "Tolerance threshold: 12" in history and "15" in history
    assert "Warning threshold: 8" in history and "Annual review by the Audit Committee" in history
    assert admin.display_name in history


def test_history_reads_as_before_and_after(admin_client, organisation, statement):
    appetite_statement_set(
        organisation=organisation,
        category=statement.category,
        tolerance=14,
        warning=8,
        rationale="Prudent",
        reason="Recalibrated",
    )
    response = admin_client.get(reverse("appetite_history", args=[organisation.slug]))
    newest = response.context["page"].object_list[0]
    assert newest.subject == "Finance statement" and newest.action == "changed"
    assert newest.changes == (("Tolerance threshold", "12", "14"),)
    assert newest.reason == "Recalibrated"


def test_the_reason_for_the_change_is_required(admin_client, organisation, statement):
    response = admin_client.post(edit_url(organisation, statement), statement_form(reason=""))
    assert response.status_code == 400
    assert "Enter the reason for the change" in text(response)
    assert 'href="#id_reason"' in text(response)  # the error summary links to the field
    statement.refresh_from_db()
    assert statement.tolerance == 12


def test_warning_at_or_above_tolerance_is_refused(admin_client, organisation, statement):
    for warning in ("15", "16"):
        response = admin_client.post(
            edit_url(organisation, statement), statement_form(warning=warning)
        )
        assert response.status_code == 400
        assert f"The warning threshold ({warning}) must be below the tolerance (15)" in text(
            response
        )
    statement.refresh_from_db()
    assert (statement.tolerance, statement.warning) == (12, 8)


def test_tolerance_above_the_schemes_highest_score_is_refused(
    admin_client, organisation, statement
):
    response = admin_client.post(edit_url(organisation, statement), statement_form(tolerance="26"))
    assert response.status_code == 400
    assert "above the highest score on" in text(response) and "(25)" in text(response)
    response = admin_client.post(edit_url(organisation, statement), statement_form(tolerance="25"))
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.tolerance == 25


def test_every_problem_shows_at_once_in_the_order_of_the_fields(
    admin_client, organisation, statement
):
    response = admin_client.post(
        edit_url(organisation, statement), statement_form(tolerance="40", reason="")
    )
    messages = [message for _, message in response.context["form"].error_links]
    assert len(messages) == 2
    assert "above the highest score" in messages[0]
    assert messages[1].startswith("Enter the reason for the change")


def test_tolerance_outside_the_levels_range_is_refused(admin_client, organisation, statement):
    level = AppetiteLevel.objects.get(organisation=organisation, name="Open")
    AppetiteLevel.objects.filter(pk=level.pk).update(min_score=13, max_score=19)
    response = admin_client.post(
        edit_url(organisation, statement), statement_form(level=str(level.pk), tolerance="12")
    )
    assert "outside the Open appetite level&#x27;s range (13 to 19)" in text(response)
    response = admin_client.post(
        edit_url(organisation, statement), statement_form(level=str(level.pk), tolerance="13")
    )
    assert response.status_code == 302


def test_nonsense_numbers_get_clear_messages(admin_client, organisation, statement):
    response = admin_client.post(
        edit_url(organisation, statement), statement_form(tolerance="ten", warning="0")
    )
    page = text(response)
    assert "The tolerance threshold must be a whole number" in page
    assert "The warning threshold must be 1 or more" in page


def test_a_level_of_another_organisation_is_refused(admin_client, organisation, statement):
    theirs = OrganisationFactory().appetite_levels.first()
    response = admin_client.post(
        edit_url(organisation, statement), statement_form(level=str(theirs.pk))
    )
    assert "Choose one of the organisation" in text(response)
    statement.refresh_from_db()
    assert statement.level_id is None


def test_saving_without_a_change_keeps_no_history_record(admin_client, organisation, statement):
    response = admin_client.post(
        edit_url(organisation, statement),
        statement_form(tolerance="12", warning="8", rationale="Prudent"),
        follow=True,
    )
    assert "Nothing changed in the appetite for Finance." in text(response)
    assert statement.history.count() == 1


def test_add_a_statement_for_a_category_that_has_none(
    admin_client, organisation, statement, finance
):
    people = CategoryFactory(organisation=organisation, name="People")
    url = reverse("appetite_statement_add", args=[organisation.slug])
    form = admin_client.get(url, {"category": people.pk})
    choices = dict(form.context["form"].fields["category"].choices)
    assert str(people.pk) in choices and "default" in choices
    assert str(finance.pk) not in choices  # it has one already
    assert form.context["form"]["category"].value() == str(people.pk)
    response = admin_client.post(
        url, {"category": str(people.pk), **statement_form(tolerance="9", reason="New area")}
    )
    assert response.status_code == 302
    added = AppetiteStatement.objects.get(organisation=organisation, category=people)
    assert added.tolerance == 9 and added.history.latest().history_change_reason == "New area"
    # the organisation-wide default
    admin_client.post(url, {"category": "default", **statement_form(tolerance="10")})
    assert AppetiteStatement.objects.get(organisation=organisation, category=None).tolerance == 10
    # nothing left to add
    assert admin_client.get(url).context["no_choices"]


def test_a_category_with_a_statement_or_of_another_organisation_cannot_be_added(
    admin_client, organisation, statement, finance
):
    foreign = CategoryFactory(organisation=OrganisationFactory())
    url = reverse("appetite_statement_add", args=[organisation.slug])
    for category in (finance, foreign):
        response = admin_client.post(url, {"category": str(category.pk), **statement_form()})
        assert "Choose a category that has no appetite statement yet" in text(response)
    assert not AppetiteStatement.objects.filter(category=foreign).exists()
    statement.refresh_from_db()
    assert statement.tolerance == 12


def test_remove_a_statement_with_a_reason(admin_client, organisation, statement):
    appetite_statement_set(organisation=organisation, tolerance=20)
    url = reverse("appetite_statement_remove", args=[organisation.slug, statement.pk])
    page = text(admin_client.get(url))
    assert "organisation-wide default instead: breach above 20" in page
    assert admin_client.post(url, {"reason": ""}).status_code == 400
    assert AppetiteStatement.objects.filter(pk=statement.pk).exists()
    response = admin_client.post(url, {"reason": "Merged into Governance"}, follow=True)
    assert "The appetite statement for Finance is removed." in text(response)
    assert not AppetiteStatement.objects.filter(pk=statement.pk).exists()
    removed = AppetiteStatement.history.filter(id=statement.pk).latest()
    assert removed.history_type == "-"
    assert removed.history_change_reason == "Merged into Governance"
    history = text(admin_client.get(reverse("appetite_history", args=[organisation.slug])))
    assert "Finance statement removed" in history and "Merged into Governance" in history


# --- levels -------------------------------------------------------------------------------------


def levels_post(organisation, changes=None, *, new=None, reason="Table 4 ranges"):
    """The levels form as the page posts it, with ``changes`` {index: {field: value}}."""
    levels = list(AppetiteLevel.objects.filter(organisation=organisation).order_by("position"))
    rows = [
        {
            "id": str(level.pk),
            "order": str(level.position),
            "name": level.name,
            "description": level.description,
            "min_score": "" if level.min_score is None else str(level.min_score),
            "max_score": "" if level.max_score is None else str(level.max_score),
        }
        for level in levels
    ]
    for index, fields in (changes or {}).items():
        rows[index].update(fields)
    rows.append(new or {"order": str(len(levels) + 1), "name": "", "description": ""})
    data = {
        "levels-TOTAL_FORMS": str(len(rows)),
        "levels-INITIAL_FORMS": str(len(levels)),
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "20",
        "reason": reason,
    }
    for index, row in enumerate(rows):
        for field, value in row.items():
            data[f"levels-{index}-{field}"] = value
    return data


def level_names(organisation):
    return list(
        AppetiteLevel.objects.filter(organisation=organisation)
        .order_by("position")
        .values_list("name", "min_score", "max_score")
    )


def ranges(*pairs):
    return {index: {"min_score": str(low), "max_score": str(high)} for index, (low, high) in pairs}


def test_admin_sets_level_ranges_and_history_keeps_them(admin_client, organisation):
    url = reverse("appetite_levels", args=[organisation.slug])
    assert admin_client.get(url).status_code == 200
    changes = ranges((0, (1, 4)), (1, (5, 8)), (2, (9, 12)), (3, (13, 18)), (4, (19, 25)))
    response = admin_client.post(url, levels_post(organisation, changes), follow=True)
    assert "Appetite levels saved." in text(response)
    assert level_names(organisation)[2] == ("Cautious", 9, 12)
    cautious = AppetiteLevel.objects.get(organisation=organisation, name="Cautious")
    assert cautious.history.latest().history_change_reason == "Table 4 ranges"
    history = text(admin_client.get(reverse("appetite_history", args=[organisation.slug])))
    assert "Cautious level changed" in history and "Score range: (none)" in history


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (ranges((0, (1, 6)), (1, (6, 12))), "overlaps Averse"),
        (ranges((0, (7, 12)), (1, (1, 6))), "but has lower scores"),
        (ranges((0, (6, 1))), "the highest score (1) is below the lowest (6)"),
        ({0: {"min_score": "1"}}, "give both the lowest and the highest score, or neither"),
        (ranges((4, (20, 30))), "above the highest score on"),
        ({1: {"name": "averse"}}, "another level is already called averse"),
        ({1: {"name": ""}}, "Enter the level"),
    ],
)
def test_level_ranges_are_checked(admin_client, organisation, changes, message):
    before = level_names(organisation)
    response = admin_client.post(
        reverse("appetite_levels", args=[organisation.slug]), levels_post(organisation, changes)
    )
    assert response.status_code == 400
    assert message.lower() in text(response).lower().replace("&#x27;", "'")
    assert "There is a problem" in text(response)
    assert level_names(organisation) == before


def test_levels_reorder_add_and_remove(admin_client, organisation):
    url = reverse("appetite_levels", args=[organisation.slug])
    # swap Open and Eager, rename Minimal, remove Cautious, add Bold at the end
    data = levels_post(
        organisation,
        {
            1: {"name": "Low"},
            2: {"remove": "on"},
            3: {"order": "5"},
            4: {"order": "4"},
        },
        new={"order": "6", "name": "Bold", "description": "Very bold", "min_score": ""},
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, text(response)
    assert [name for name, _, _ in level_names(organisation)] == [
        "Averse",
        "Low",
        "Eager",
        "Open",
        "Bold",
    ]
    assert list(
        AppetiteLevel.objects.filter(organisation=organisation)
        .order_by("position")
        .values_list("position", flat=True)
    ) == [1, 2, 3, 4, 5]
    removed = AppetiteLevel.history.filter(history_type="-").get()
    assert removed.name == "Cautious" and removed.history_change_reason == "Table 4 ranges"
    averse = AppetiteLevel.objects.get(organisation=organisation, name="Averse")
    assert averse.history.count() == 1  # unchanged: no record saying nothing changed


def test_a_level_in_use_cannot_be_removed_or_leave_a_tolerance_outside(
    admin_client, organisation, finance
):
    cautious = AppetiteLevel.objects.get(organisation=organisation, name="Cautious")
    appetite_statement_set(
        organisation=organisation, category=finance, level=cautious, tolerance=12
    )
    url = reverse("appetite_levels", args=[organisation.slug])
    response = admin_client.post(url, levels_post(organisation, {2: {"remove": "on"}}))
    assert "Cautious is the level of the appetite statement for Finance" in text(response)
    response = admin_client.post(url, levels_post(organisation, ranges((2, (13, 19)))))
    assert "has this level with tolerance 12, outside 13 to 19" in text(response)
    assert AppetiteLevel.objects.filter(pk=cautious.pk, min_score=None).exists()


def test_levels_need_a_reason(admin_client, organisation):
    response = admin_client.post(
        reverse("appetite_levels", args=[organisation.slug]),
        levels_post(organisation, ranges((0, (1, 4))), reason=""),
    )
    assert "Enter the reason for the change" in text(response)
    assert level_names(organisation)[0] == ("Averse", None, None)


def test_pages_work_when_no_statement_has_a_warning(client, organisation, finance):
    """Aberdeen's Table 5 has tolerance thresholds only: no warning anywhere."""
    appetite_statement_set(organisation=organisation, category=finance, tolerance=10)
    RiskFactory(
        register=corporate_register_of(organisation),
        category=finance,
        positions={"current": (4, 4)},
    )
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    assert client.get(reverse("organisation", args=[organisation.slug])).status_code == 200
    assert client.get(reverse("appetite", args=[organisation.slug])).status_code == 200


def test_dashboard_links_to_the_appetite_page(client, organisation):
    client.force_login(MembershipFactory(organisation=organisation, role=Role.VIEWER).user)
    page = text(client.get(reverse("organisation", args=[organisation.slug])))
    assert reverse("appetite", args=[organisation.slug]) in page
    assert selectors.LIST_LIMIT == 10
