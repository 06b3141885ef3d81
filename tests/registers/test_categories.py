"""An organisation's categories and objectives: the services that add, rename, reorder, retire,
bring back and merge them (with history saying who and why), the risk form that offers a retired
one to no new risk, and the admin-only settings pages."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from appetite.models import AppetiteStatement
from appetite.services import appetite_statement_set
from registers.forms import RiskForm
from registers.models import Category, Objective, Risk, Role
from registers.services import categories as services
from registers.services.categories import (
    CATEGORY_MERGE_INTO_RETIRED,
    CATEGORY_MERGE_ITSELF,
    CATEGORY_MERGED_REASON,
    CATEGORY_NAME_TAKEN,
    MERGED_AWAY_REASON,
    OBJECTIVE_CODE_TAKEN,
    OBJECTIVE_MERGED_REASON,
    OBJECTIVE_NAME_TAKEN,
    RENAMED_REASON,
    STATEMENT_REMOVED_REASON,
)
from scoring.selectors import default_scheme
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    OrganisationFactory,
    RiskFactory,
)
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


def objective(organisation, code, name="An objective"):
    return Objective.objects.create(organisation=organisation, code=code, name=name)


def messages_of(exc_info) -> list[str]:
    return exc_info.value.messages


# --- categories: add, rename, reorder, retire ---------------------------------------------------


def test_add_puts_the_category_last_with_history_of_who(organisation, admin):
    first = services.category_add(organisation=organisation, name="  People  ", by=admin)
    second = services.category_add(organisation=organisation, name="Finance", by=admin)
    assert first.name == "People"
    assert second.position > first.position
    record = second.history.get()
    assert (record.history_user, record.history_change_reason) == (admin, "added")


def test_names_are_unique_whatever_their_case(organisation, admin):
    services.category_add(organisation=organisation, name="Finance", by=admin)
    with pytest.raises(ValidationError) as caught:
        services.category_add(organisation=organisation, name="FINANCE", by=admin)
    assert messages_of(caught) == [CATEGORY_NAME_TAKEN.format(name="FINANCE")]
    # Another organisation may use the name.
    services.category_add(organisation=OrganisationFactory(), name="Finance", by=admin)


def test_rename_keeps_the_old_name_in_history(organisation, admin):
    category = services.category_add(organisation=organisation, name="Finanse", by=admin)
    services.category_rename(category=category, name="Finance", by=admin)
    category.refresh_from_db()
    assert category.name == "Finance"
    latest = category.history.latest()
    assert latest.history_change_reason == RENAMED_REASON.format(old="Finanse")
    assert latest.history_user == admin
    # Changing only the case of its own name is allowed; another's name is not.
    services.category_rename(category=category, name="FINANCE", by=admin)
    other = services.category_add(organisation=organisation, name="People", by=admin)
    with pytest.raises(ValidationError) as caught:
        services.category_rename(category=other, name="finance", by=admin)
    assert messages_of(caught) == [CATEGORY_NAME_TAKEN.format(name="finance")]


def test_move_up_and_down_swaps_neighbours(organisation, admin):
    # Seeded categories may all sit at position 0, ordered by name.
    a, b, c = (CategoryFactory(organisation=organisation, name=n, position=0) for n in "ABC")
    assert services.category_move(category=c, direction="up", by=admin) is True
    order = list(organisation.categories.order_by("position").values_list("name", flat=True))
    assert order == ["A", "C", "B"]
    assert services.category_move(category=a, direction="up", by=admin) is False
    services.category_move(category=a, direction="down", by=admin)
    order = list(organisation.categories.order_by("position").values_list("name", flat=True))
    assert order == ["C", "A", "B"]
    assert a.history.latest().history_change_reason == "moved down"


def test_retire_and_bring_back(organisation, admin):
    category = services.category_add(organisation=organisation, name="Estates", by=admin)
    services.category_retire(category=category, by=admin)
    category.refresh_from_db()
    assert category.retired and str(category) == "Estates (retired)"
    with pytest.raises(ValidationError):
        services.category_retire(category=category, by=admin)
    services.category_restore(category=category, by=admin)
    category.refresh_from_db()
    assert not category.retired
    reasons = list(category.history.order_by("history_id").values_list("history_change_reason"))
    assert reasons == [("added",), ("retired",), ("brought back",)]


# --- categories: merge --------------------------------------------------------------------------


def test_merge_moves_every_risk_with_history_and_retires_the_source(
    organisation, corporate_register, admin
):
    source = CategoryFactory(organisation=organisation, name="IT")
    target = CategoryFactory(organisation=organisation, name="Technology")
    moved = [RiskFactory(register=corporate_register, category=source) for _ in range(3)]
    stays = RiskFactory(register=corporate_register, category=target)
    versions = {risk.pk: risk.version for risk in moved}

    assert services.category_merge(source=source, target=target, by=admin) == 3

    for risk in moved:
        risk.refresh_from_db()
        assert risk.category == target
        assert risk.version == versions[risk.pk] + 1
        latest = risk.history.latest()
        assert latest.history_change_reason == CATEGORY_MERGED_REASON.format(target="Technology")
        assert latest.history_change_reason == "category merged into Technology"
        assert latest.history_user == admin
        # The record before the merge still names the source.
        assert risk.history.earliest().category_id == source.pk
    stays.refresh_from_db()
    assert stays.history.count() == 1
    source.refresh_from_db()
    assert source.retired
    assert source.history.latest().history_change_reason == MERGED_AWAY_REASON.format(
        target="Technology"
    )


def test_merge_keeps_ratings_and_objectives_as_they_were(organisation, corporate_register, admin):
    source, target = (
        CategoryFactory(organisation=organisation),
        CategoryFactory(organisation=organisation),
    )
    pillar = objective(organisation, "P1")
    risk = RiskFactory(register=corporate_register, category=source, objectives=[pillar])
    before = (risk.current_score, risk.current_band, risk.scheme_version_id)
    services.category_merge(source=source, target=target, by=admin)
    risk.refresh_from_db()
    assert (risk.current_score, risk.current_band, risk.scheme_version_id) == before
    # The merge's history record holds the risk's objectives as they are.
    latest = risk.history.latest()
    assert [o.objective_id for o in latest.objectives.all()] == [pillar.pk]


def test_merge_moves_the_source_statement_when_the_target_has_none(organisation, admin):
    source, target = (
        CategoryFactory(organisation=organisation),
        CategoryFactory(organisation=organisation),
    )
    statement = appetite_statement_set(organisation=organisation, category=source, tolerance=10)
    services.category_merge(source=source, target=target, by=admin)
    statement.refresh_from_db()
    assert statement.category == target and statement.tolerance == 10
    assert statement.history.latest().history_user == admin


def test_merge_removes_the_source_statement_when_the_target_has_one(organisation, admin):
    source = CategoryFactory(organisation=organisation, name="IT")
    target = CategoryFactory(organisation=organisation, name="Technology")
    appetite_statement_set(organisation=organisation, category=source, tolerance=10)
    kept = appetite_statement_set(organisation=organisation, category=target, tolerance=6)
    services.category_merge(source=source, target=target, by=admin)
    statements = AppetiteStatement.objects.filter(organisation=organisation)
    assert list(statements.exclude(category=None)) == [kept]
    kept.refresh_from_db()
    assert kept.tolerance == 6
    removed = AppetiteStatement.history.filter(category_id=source.pk, history_type="-").get()
    assert removed.history_change_reason == STATEMENT_REMOVED_REASON.format(
        source="IT", target="Technology"
    )


def test_merge_refuses_itself_a_retired_target_and_another_organisation(organisation, admin):
    source = CategoryFactory(organisation=organisation, name="IT")
    retired = CategoryFactory(organisation=organisation, name="Old")
    services.category_retire(category=retired, by=admin)
    with pytest.raises(ValidationError) as caught:
        services.category_merge(source=source, target=source, by=admin)
    assert messages_of(caught) == [CATEGORY_MERGE_ITSELF.format(name="IT")]
    with pytest.raises(ValidationError) as caught:
        services.category_merge(source=source, target=retired, by=admin)
    assert messages_of(caught) == [CATEGORY_MERGE_INTO_RETIRED.format(name="Old")]
    with pytest.raises(ValidationError):
        services.category_merge(
            source=source, target=CategoryFactory(organisation=OrganisationFactory()), by=admin
        )
    assert not Category.objects.get(pk=source.pk).retired


# --- objectives ---------------------------------------------------------------------------------


def test_objective_codes_and_names_are_unique_whatever_their_case(organisation, admin):
    services.objective_add(organisation=organisation, code="P1", name="Safer streets", by=admin)
    with pytest.raises(ValidationError) as caught:
        services.objective_add(organisation=organisation, code="p1", name="SAFER STREETS", by=admin)
    assert caught.value.message_dict == {
        "code": [OBJECTIVE_CODE_TAKEN.format(code="p1")],
        "name": [OBJECTIVE_NAME_TAKEN.format(name="SAFER STREETS")],
    }


def test_objective_rename_move_retire(organisation, admin):
    first = services.objective_add(organisation=organisation, code="P1", name="One", by=admin)
    second = services.objective_add(organisation=organisation, code="P2", name="Two", by=admin)
    services.objective_rename(objective=second, code="P2", name="Two again", by=admin)
    assert second.history.latest().history_change_reason == RENAMED_REASON.format(old="P2 Two")
    services.objective_move(objective=second, direction="up", by=admin)
    assert list(organisation.objectives.order_by("position")) == [second, first]
    services.objective_retire(objective=first, by=admin)
    first.refresh_from_db()
    assert str(first) == "P1 One (retired)"
    services.objective_restore(objective=first, by=admin)
    assert not Objective.objects.get(pk=first.pk).retired


def test_objective_merge_moves_links_with_one_history_record_each(
    organisation, corporate_register, admin
):
    source = objective(organisation, "P1", "Old pillar")
    target = objective(organisation, "P2", "New pillar")
    other = objective(organisation, "P3", "Untouched")
    only_source = RiskFactory(register=corporate_register, objectives=[source, other])
    both = RiskFactory(register=corporate_register, objectives=[source, target])
    neither = RiskFactory(register=corporate_register, objectives=[other])
    records_before = {r.pk: r.history.count() for r in (only_source, both, neither)}

    assert services.objective_merge(source=source, target=target, by=admin) == 2

    assert set(only_source.objectives.all()) == {target, other}
    assert set(both.objectives.all()) == {target}
    assert set(neither.objectives.all()) == {other}
    for risk in (only_source, both):
        assert risk.history.count() == records_before[risk.pk] + 1
        latest = risk.history.latest()
        assert latest.history_change_reason == OBJECTIVE_MERGED_REASON.format(target=str(target))
        assert latest.history_user == admin
        assert {o.objective_id for o in latest.objectives.all()} == {
            o.pk for o in risk.objectives.all()
        }
    assert neither.history.count() == records_before[neither.pk]
    source.refresh_from_db()
    assert source.retired


# --- a retired one is offered for no new risk ---------------------------------------------------


def _form(organisation, risk=None):
    scheme = default_scheme(organisation=organisation).current_version.parsed
    return RiskForm(organisation=organisation, scheme=scheme, risk=risk)


def test_the_risk_form_offers_retired_ones_only_to_the_risk_that_has_them(
    organisation, corporate_register, admin
):
    live = CategoryFactory(organisation=organisation, name="Live")
    old = CategoryFactory(organisation=organisation, name="Old")
    pillar, old_pillar = objective(organisation, "P1"), objective(organisation, "P9")
    risk = RiskFactory(register=corporate_register, category=old, objectives=[old_pillar])
    services.category_retire(category=old, by=admin)
    services.objective_retire(objective=old_pillar, by=admin)

    new = _form(organisation)
    assert list(new.fields["category"].queryset) == [live]
    assert list(new.fields["objectives"].queryset) == [pillar]

    editing = _form(organisation, risk=risk)
    assert set(editing.fields["category"].queryset) == {live, old}
    assert set(editing.fields["objectives"].queryset) == {pillar, old_pillar}
    labels = dict(editing.fields["category"].choices)
    assert "Old (retired)" in [str(label) for label in labels.values()]
    # The risk keeps its retired category and objective.
    risk.refresh_from_db()
    assert risk.category == old and list(risk.objectives.all()) == [old_pillar]


def test_a_new_risk_posted_with_a_retired_category_is_refused(
    organisation, corporate_register, admin, client
):
    old = CategoryFactory(organisation=organisation, name="Old")
    services.category_retire(category=old, by=admin)
    client.force_login(admin)
    url = reverse("risk_create", args=[organisation.slug, corporate_register.slug])
    response = client.post(
        url,
        {"ref": "N1", "title": "New", "category": old.pk, "kind": "threat", "marking": "OFFICIAL"},
    )
    # The risk pages answer a form with errors with the form again (as every risk form does).
    assert "Select a valid choice" in response.content.decode()
    assert not Risk.objects.filter(ref="N1").exists()


# --- the settings pages -------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def page_urls(organisation, category, objective_):
    slug = organisation.slug
    urls = [
        reverse("settings_categories", args=[slug]),
        reverse("settings_objectives", args=[slug]),
    ]
    for action in ("", "_move", "_retire", "_restore", "_merge"):
        urls.append(reverse(f"settings_category{action}", args=[slug, category.pk]))
        urls.append(reverse(f"settings_objective{action}", args=[slug, objective_.pk]))
    return urls


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL])
def test_only_admins_reach_the_pages(client, organisation, member, role):
    category = CategoryFactory(organisation=organisation)
    pillar = objective(organisation, "P1")
    client.force_login(member(role))
    for url in page_urls(organisation, category, pillar):
        assert client.post(url, {"name": "X", "direction": "up"}).status_code == 403, url
        assert client.get(url).status_code in (403, 405), url
    assert Category.objects.get(pk=category.pk).name == category.name
    assert not Category.objects.filter(name="X").exists()


def test_another_organisations_admin_and_objects_get_404(client, organisation, admin):
    category = CategoryFactory(organisation=organisation)
    pillar = objective(organisation, "P1")
    other = OrganisationFactory()
    outsider = MembershipFactory(organisation=other, role=Role.ADMIN).user
    client.force_login(outsider)
    for url in page_urls(organisation, category, pillar):
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"direction": "up"}).status_code == 404, url
    # An admin of ``organisation`` asking for the other organisation's category under their own.
    theirs = CategoryFactory(organisation=other)
    client.force_login(admin)
    for action in ("", "_retire", "_merge"):
        url = reverse(f"settings_category{action}", args=[organisation.slug, theirs.pk])
        assert client.post(url).status_code == 404
    assert not Category.objects.get(pk=theirs.pk).retired


def test_the_list_shows_open_risks_appetite_and_retired(
    admin_client, organisation, corporate_register, admin
):
    finance = CategoryFactory(organisation=organisation, name="Finance")
    estates = CategoryFactory(organisation=organisation, name="Estates")
    statement = appetite_statement_set(organisation=organisation, category=finance, tolerance=9)
    RiskFactory(register=corporate_register, category=finance)
    RiskFactory(register=corporate_register, category=finance)
    services.category_retire(category=estates, by=admin)
    response = admin_client.get(reverse("settings_categories", args=[organisation.slug]))
    assert response.status_code == 200
    rows = {row.name: row for row in response.context["rows"]}
    assert rows["Finance"].open_risks == 2 and rows["Estates"].open_risks == 0
    text = response.content.decode()
    assert "breach above 9" in text
    assert reverse("appetite_statement_edit", args=[organisation.slug, statement.pk]) in text
    assert "Retired</strong>" in text and "Bring back" in text


def test_adding_renaming_and_bad_input(admin_client, organisation):
    url = reverse("settings_categories", args=[organisation.slug])
    response = admin_client.post(url, {"name": "People"})
    assert response.status_code == 302
    people = Category.objects.get(organisation=organisation, name="People")
    response = admin_client.post(url, {"name": "people"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "govuk-error-summary" in text
    assert "There is already a category called people" in text
    response = admin_client.post(url, {"name": ""})
    assert (
        response.status_code == 400
        and "Enter the category&#x27;s name" in response.content.decode()
    )

    edit = reverse("settings_category", args=[organisation.slug, people.pk])
    assert admin_client.get(edit).status_code == 200
    assert admin_client.post(edit, {"name": "Staff"}).status_code == 302
    people.refresh_from_db()
    assert people.name == "Staff"

    objectives_url = reverse("settings_objectives", args=[organisation.slug])
    assert admin_client.post(objectives_url, {"code": "P1", "name": "Safer"}).status_code == 302
    response = admin_client.post(objectives_url, {"code": "p1", "name": ""})
    assert response.status_code == 400
    assert Objective.objects.filter(organisation=organisation).count() == 1


def test_get_changes_nothing(admin_client, organisation):
    category = CategoryFactory(organisation=organisation, name="A")
    target = CategoryFactory(organisation=organisation, name="B")
    slug = organisation.slug
    records = category.history.count()
    for action in ("_move", "_retire", "_restore"):
        url = reverse(f"settings_category{action}", args=[slug, category.pk])
        assert admin_client.get(url).status_code == 405
    merge = reverse("settings_category_merge", args=[slug, category.pk])
    assert admin_client.get(merge, {"into": target.pk, "confirm": "1"}).status_code == 200
    category.refresh_from_db()
    assert not category.retired and category.history.count() == records


def test_move_retire_and_bring_back_from_the_list(admin_client, organisation):
    a = CategoryFactory(organisation=organisation, name="A", position=1)
    b = CategoryFactory(organisation=organisation, name="B", position=2)
    slug = organisation.slug
    move = reverse("settings_category_move", args=[slug, b.pk])
    assert admin_client.post(move, {"direction": "up"}).status_code == 302
    assert list(organisation.categories.order_by("position")) == [b, a]
    response = admin_client.post(move, {"direction": "sideways"})
    assert response.status_code == 400 and "govuk-error-summary" in response.content.decode()

    retire = reverse("settings_category_retire", args=[slug, a.pk])
    assert admin_client.post(retire).status_code == 302
    assert Category.objects.get(pk=a.pk).retired
    response = admin_client.post(retire)  # already retired
    assert response.status_code == 400
    assert "A is already retired" in response.content.decode()
    restore = reverse("settings_category_restore", args=[slug, a.pk])
    assert admin_client.post(restore).status_code == 302
    assert not Category.objects.get(pk=a.pk).retired


def test_merge_asks_first_saying_how_many_risks_move(
    admin_client, organisation, corporate_register
):
    source = CategoryFactory(organisation=organisation, name="IT")
    target = CategoryFactory(organisation=organisation, name="Technology")
    for _ in range(3):
        RiskFactory(register=corporate_register, category=source)
    url = reverse("settings_category_merge", args=[organisation.slug, source.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "Technology" in page.content.decode()

    confirm = admin_client.post(url, {"into": target.pk})
    assert confirm.status_code == 200
    assert "3 risks (3 open) will move from IT to Technology" in confirm.content.decode()
    assert Risk.objects.filter(category=source).count() == 3

    bad = admin_client.post(url, {"into": source.pk, "confirm": "1"})
    assert bad.status_code == 400 and "govuk-error-summary" in bad.content.decode()

    done = admin_client.post(url, {"into": target.pk, "confirm": "1"})
    assert done.status_code == 302
    assert Risk.objects.filter(category=target).count() == 3
    assert Category.objects.get(pk=source.pk).retired


def test_objective_merge_page(admin_client, organisation, corporate_register):
    source, target = objective(organisation, "P1", "Old"), objective(organisation, "P2", "New")
    RiskFactory(register=corporate_register, objectives=[source])
    url = reverse("settings_objective_merge", args=[organisation.slug, source.pk])
    confirm = admin_client.post(url, {"into": target.pk})
    assert "1 risk (1 open) will move from Old to New" in confirm.content.decode()
    assert admin_client.post(url, {"into": target.pk, "confirm": "1"}).status_code == 302
    assert Risk.objects.filter(objectives=target).count() == 1


def test_posts_need_the_csrf_token(organisation, admin):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    url = reverse("settings_categories", args=[organisation.slug])
    assert client.post(url, {"name": "People"}).status_code == 403
    assert not Category.objects.filter(name="People").exists()


@pytest.mark.parametrize("kind", ["settings_categories", "settings_objectives"])
def test_list_queries_do_not_grow_with_risks(admin_client, organisation, corporate_register, kind):
    url = reverse(kind, args=[organisation.slug])
    admin_client.get(url)  # warm caches

    def grow():
        for n in range(3):
            category = CategoryFactory(organisation=organisation)
            appetite_statement_set(organisation=organisation, category=category, tolerance=10)
            pillar = objective(organisation, f"G{n}")
            for _ in range(3):
                RiskFactory(register=corporate_register, category=category, objectives=[pillar])

    CategoryFactory(organisation=organisation)
    objective(organisation, "S1")
    before, after = assert_same_queries(lambda: admin_client.get(url), grow, at_most=12)
    assert before.status_code == after.status_code == 200
    assert len(after.context["rows"]) == len(before.context["rows"]) + 3


def test_the_new_urls_are_walked_by_the_isolation_test():
    from tests.test_isolation import unfillable, url_patterns

    ours = [p for p in url_patterns() if (p.name or "").startswith("settings_c")]
    ours += [p for p in url_patterns() if (p.name or "").startswith("settings_o")]
    assert len(ours) == 12
    assert not [p for p in ours if unfillable(p)]


def test_a_retired_category_is_shown_retired_on_the_register_and_the_risk(
    admin_client, organisation, corporate_register, admin
):
    old = CategoryFactory(organisation=organisation, name="Old")
    risk = RiskFactory(register=corporate_register, category=old)
    services.category_retire(category=old, by=admin)
    register = admin_client.get(
        reverse("register", args=[organisation.slug, corporate_register.slug])
    )
    assert "Old (retired)" in register.content.decode()
    detail = admin_client.get(reverse("risk", args=[organisation.slug, risk.ref]))
    assert "Old (retired)" in detail.content.decode()


def test_the_settings_page_links_the_categories_and_objectives(admin_client, organisation):
    text = admin_client.get(reverse("settings_home", args=[organisation.slug])).content.decode()
    assert reverse("settings_categories", args=[organisation.slug]) in text
    assert reverse("settings_objectives", args=[organisation.slug]) in text
