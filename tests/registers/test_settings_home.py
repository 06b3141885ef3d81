"""The settings hub and the first-run checklist (issue 15, "First run"): one page for an
organisation's admins linking every settings page; the checklist (scheme, categories, appetite,
registers, members, import) read off the organisation's data, each item done when the data says
so, in one query however much data there is; the banner on a new organisation's dashboard."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from appetite.services import appetite_statement_set
from registers import selectors
from registers.models import Invitation, Role
from registers.services.organisations import member_add
from registers.services.register_archive import register_archive
from registers.services.registers_admin import register_change
from registers.views.settings_home import url_if_routed
from scoring.definition import parse_scheme
from scoring.presets import preset, preset_path
from scoring.services import scheme_save
from tests import test_isolation
from tests.factories import (
    CategoryFactory,
    MembershipFactory,
    RegisterFactory,
    RiskFactory,
    UserFactory,
    corporate_register_of,
)
from tests.queries import assert_same_queries
from tests.registers import test_sensitive_walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def url_of(organisation) -> str:
    return reverse("settings_home", args=[organisation.slug])


def states(organisation) -> dict[str, str]:
    checklist = selectors.first_run_checklist(organisation=organisation)
    return {item.key: item.words for item in checklist}


# --- who may see it -----------------------------------------------------------------------------


def test_an_admin_sees_the_hub(admin_client, organisation):
    response = admin_client.get(url_of(organisation))
    assert response.status_code == 200
    assert response.templates[0].name == "registers/settings_home.html"


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL])
def test_anyone_but_an_admin_is_refused(client, organisation, member, role):
    client.force_login(member(role))
    assert client.get(url_of(organisation)).status_code == 403


def test_another_organisations_admin_gets_404(client, organisation, other_organisation):
    client.force_login(MembershipFactory(organisation=other_organisation, role=Role.ADMIN).user)
    assert client.get(url_of(organisation)).status_code == 404
    assert client.get(reverse("settings_home", args=["no-such-org"])).status_code == 404


def test_signed_out_goes_to_sign_in(client, organisation):
    response = client.get(url_of(organisation))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_post_is_not_allowed(admin_client, organisation):
    assert admin_client.post(url_of(organisation)).status_code == 405


def test_the_isolation_and_sensitive_walkers_walk_the_hub():
    assert "o/<slug:org>/settings/" in {p.route for p in test_isolation.url_patterns()}
    assert not test_isolation.unfillable(
        next(p for p in test_isolation.url_patterns() if p.name == "settings_home")
    )
    assert "o/<slug:org>/settings/" in test_sensitive_walk.routes()


# --- what it links ------------------------------------------------------------------------------


def test_the_hub_links_every_settings_page(admin_client, organisation):
    text = admin_client.get(url_of(organisation)).content.decode()
    slug = organisation.slug
    for name in (
        "organisation_profile",
        "settings_categories",
        "settings_objectives",
        "settings_registers",
        "appetite",
        "members",
        "member_invitations",
        "sso_settings",
        "second_factor_settings",
    ):
        assert reverse(name, args=[slug]) in text, name
    assert reverse("register_import", args=[slug, "corporate"]) in text
    scheme_url = url_if_routed("settings_scheme", slug)
    if scheme_url:
        assert scheme_url in text
    else:
        assert "Not yet changeable in the browser" in text
    pack_registers_url = url_if_routed("settings_pack_registers", slug)
    assert pack_registers_url is None or pack_registers_url in text


def test_the_categories_pages_lead_back_to_the_hub(admin_client, organisation):
    text = admin_client.get(reverse("settings_categories", args=[organisation.slug])).content
    assert f'href="{url_of(organisation)}">Settings</a></li>' in text.decode()


def test_the_import_step_starts_on_a_top_register_in_use(admin_client, organisation, admin):
    corporate = corporate_register_of(organisation)
    board = RegisterFactory(
        organisation=organisation, name="Board assurance", slug="board", parent=None
    )
    register_archive(register=corporate, reason="Replaced by the board register", by=admin)
    text = admin_client.get(url_of(organisation)).content.decode()
    assert reverse("register_import", args=[organisation.slug, board.slug]) in text
    assert reverse("register_import", args=[organisation.slug, corporate.slug]) not in text
    register_archive(register=board, reason="Closing down", by=admin)
    text = admin_client.get(url_of(organisation)).content.decode()
    assert "Add a register first." in text


def test_a_settings_page_not_yet_built_is_named_without_a_link():
    assert url_if_routed("no_such_settings_page", "x") is None
    assert url_if_routed("settings_home", "x") == "/o/x/settings/"


def test_the_members_page_and_the_header_link_the_hub(admin_client, organisation):
    hub = url_of(organisation)
    members = admin_client.get(reverse("members", args=[organisation.slug])).content.decode()
    assert f'href="{hub}">Organisation settings</a>' in members
    dashboard = admin_client.get(reverse("organisation", args=[organisation.slug]))
    assert f'href="{hub}">Settings</a>' in dashboard.content.decode()


def test_the_header_does_not_offer_the_hub_to_a_coordinator(client, organisation, member):
    client.force_login(member(Role.COORDINATOR))
    text = client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    assert url_of(organisation) not in text


# --- the checklist ------------------------------------------------------------------------------


def test_a_new_organisation_has_started_nothing(organisation, admin):
    assert states(organisation) == {
        "scheme": "Not started: the plain 5x5 every new organisation starts with",
        "categories": "Not started",
        "appetite": "Not started",
        "registers": "Not started: only the top register",
        "members": "Not started: one member so far",
        "import": "Not started",
    }
    checklist = selectors.first_run_checklist(organisation=organisation)
    assert checklist.done_count == 0 and not checklist.complete


def test_each_item_is_done_when_the_data_says_so(organisation, admin):
    scheme_save(
        organisation=organisation,
        definition=preset("espo-5x5"),
        name="Trust 5x5",
        make_default=True,
        user=admin,
    )
    assert states(organisation)["scheme"] == "Done: Trust 5x5, version 1"

    categories = [CategoryFactory(organisation=organisation) for _ in range(5)]
    assert states(organisation)["categories"] == "Done: 5 categories"

    appetite_statement_set(organisation=organisation, category=categories[0], tolerance=12)
    assert states(organisation)["appetite"] == "Done: 1 appetite statement"

    corporate = corporate_register_of(organisation)
    RegisterFactory(organisation=organisation, parent=corporate)
    RegisterFactory(organisation=organisation, parent=corporate)
    assert states(organisation)["registers"] == "Done: 3 registers"

    Invitation.objects.create(
        organisation=organisation,
        email="new@example.test",
        role=Role.OWNER,
        token_hash="x" * 64,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    assert states(organisation)["members"] == "Done: 1 member, 1 invitation waiting"

    RiskFactory(register=corporate)
    RiskFactory(register=corporate)
    assert states(organisation)["import"] == "Done: 2 risks"

    checklist = selectors.first_run_checklist(organisation=organisation)
    assert checklist.complete and checklist.done_count == 6


def test_a_retired_category_and_an_expired_invitation_do_not_count(organisation, admin):
    category = CategoryFactory(organisation=organisation)
    category.retired_at = timezone.now()
    category.save()
    Invitation.objects.create(
        organisation=organisation,
        email="late@example.test",
        role=Role.OWNER,
        token_hash="y" * 64,
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    assert states(organisation)["categories"] == "Not started"
    assert states(organisation)["members"] == "Not started: one member so far"


def test_a_second_member_or_a_new_version_of_the_starting_scheme_counts(organisation, admin):
    member_add(organisation=organisation, email="colleague@example.test", role=Role.COORDINATOR)
    assert states(organisation)["members"] == "Done: 2 members"

    data = json.loads(preset_path("espo-5x5").read_text(encoding="utf-8"))
    data["bands"][0]["max"] -= 1
    data["bands"][1]["min"] -= 1
    scheme_save(
        organisation=organisation,
        definition=parse_scheme(data),
        name=selectors.first_run.STARTER_SCHEME_NAME,
        user=admin,
    )
    assert states(organisation)["scheme"].startswith("Done: 5x5 likelihood x impact, version 2")


def test_a_single_register_the_admin_has_renamed_counts(organisation, admin):
    corporate = corporate_register_of(organisation)
    register_change(
        register=corporate,
        name="Board assurance framework",
        slug=corporate.slug,
        level=corporate.level,
        parent=None,
        review_months=corporate.review_months,
        by=admin,
    )
    assert states(organisation)["registers"] == "Done: 1 register"


def test_an_archived_register_is_not_counted(organisation, admin):
    corporate = corporate_register_of(organisation)
    first, second = (RegisterFactory(organisation=organisation, parent=corporate) for _ in "ab")
    assert states(organisation)["registers"] == "Done: 3 registers"
    register_archive(register=second, reason="Merged into the first", by=admin)
    assert states(organisation)["registers"] == "Done: 2 registers"


def test_a_single_register_holding_risks_counts(organisation, admin):
    RiskFactory(register=corporate_register_of(organisation))
    assert states(organisation)["registers"] == "Done: 1 register"


def test_the_checklist_is_one_query(organisation, admin, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.first_run_checklist(organisation=organisation)


def test_the_hub_shows_each_state_and_link(admin_client, organisation):
    CategoryFactory(organisation=organisation)
    text = admin_client.get(url_of(organisation)).content.decode()
    assert "You have done 1 of 6 steps" in text
    assert "Done: 1 category" in text
    assert reverse("settings_categories", args=[organisation.slug]) in text
    assert ">Not started</strong>" in text
    assert "Now: the plain 5x5 every new organisation starts with." in text


def test_the_hub_query_count_does_not_grow_with_the_organisation(admin_client, organisation):
    url = url_of(organisation)
    corporate = corporate_register_of(organisation)

    def grow():
        for n in range(4):
            category = CategoryFactory(organisation=organisation)
            appetite_statement_set(organisation=organisation, category=category, tolerance=12)
            RegisterFactory(organisation=organisation, parent=corporate)
            member_add(organisation=organisation, email=f"m{n}@example.test", role=Role.OWNER)
            RiskFactory(register=corporate, category=category)

    admin_client.get(url)  # warm the session and content-type caches
    few, many = assert_same_queries(lambda: admin_client.get(url), grow, at_most=12)
    assert few.status_code == many.status_code == 200
    assert "Setting up: all done" not in few.content.decode()


def test_get_changes_nothing(admin_client, organisation):
    before = (organisation.history.count(), corporate_register_of(organisation).history.count())
    admin_client.get(url_of(organisation))
    after = (organisation.history.count(), corporate_register_of(organisation).history.count())
    assert before == after


# --- the dashboard banner -----------------------------------------------------------------------


def test_a_new_organisations_admin_gets_a_banner_on_the_dashboard(admin_client, organisation):
    text = admin_client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    assert "0 of 6 set-up steps done" in text
    assert f'href="{url_of(organisation)}#checklist">Carry on setting up</a>' in text


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OWNER, Role.VIEWER])
def test_no_banner_for_anyone_else(client, organisation, member, role):
    client.force_login(member(role))
    text = client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    assert "set-up steps done" not in text


def test_no_banner_once_the_checklist_is_done(admin_client, organisation, admin):
    scheme_save(
        organisation=organisation, definition=preset("mopac-3x3"), name="3x3", make_default=True
    )
    category = CategoryFactory(organisation=organisation)
    appetite_statement_set(organisation=organisation, category=category, tolerance=2)
    corporate = corporate_register_of(organisation)
    RegisterFactory(organisation=organisation, parent=corporate)
    member_add(organisation=organisation, email="owner@example.test", role=Role.OWNER)
    RiskFactory(register=corporate, positions={"current": (1, 1)})
    text = admin_client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    assert "set-up steps done" not in text
    hub = admin_client.get(url_of(organisation)).content.decode()
    assert "Setting up: all done" in hub


def test_no_banner_once_the_organisation_holds_risks(admin_client, organisation):
    """Its first run is over: a register published without appetite statements (MOPAC's) does
    not keep a banner on its admin's dashboard for good. Settings still shows what is left."""
    RiskFactory(register=corporate_register_of(organisation))
    assert not selectors.first_run_checklist(organisation=organisation).complete
    text = admin_client.get(reverse("organisation", args=[organisation.slug])).content.decode()
    assert "set-up steps done" not in text
    hub = admin_client.get(url_of(organisation)).content.decode()
    assert "You have done 2 of 6 steps" in hub


def test_the_banner_is_not_for_another_organisation(client, organisation, other_organisation):
    """An admin of one organisation and a viewer of another: the banner is their admin one's."""
    user = UserFactory()
    MembershipFactory(organisation=organisation, role=Role.ADMIN, user=user)
    MembershipFactory(organisation=other_organisation, role=Role.VIEWER, user=user)
    client.force_login(user)
    text = client.get(reverse("organisation", args=[other_organisation.slug])).content.decode()
    assert "set-up steps done" not in text
