"""An organisation's registers, for its admins (issue 15): the services that add a register and
change its name, address, parent, level and review period (with history saying who and why), the
redirect of a renamed register's old links, and the admin-only settings pages."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from registers.forms_registers import PARENT_UNKNOWN
from registers.models import Register, RegisterLevel, RegisterSlug, Role
from registers.services import registers_admin as services
from registers.services.registers_admin import (
    ADDED_REASON,
    MOVED_REASON,
    REGISTER_LEVEL_UNKNOWN,
    REGISTER_NAME_TAKEN,
    REGISTER_PARENT_BELOW,
    REGISTER_PARENT_ITSELF,
    REGISTER_PARENT_OTHER_ORGANISATION,
    REGISTER_REVIEW_MONTHS_RANGE,
    REGISTER_SLUG_INVALID,
    REGISTER_SLUG_OLD,
    REGISTER_SLUG_RESERVED,
    REGISTER_SLUG_TAKEN,
    RENAMED_REASON,
    SLUG_CHANGED_REASON,
)
from registers.views.registers_admin import ADMINS_ONLY
from tests.factories import MembershipFactory, OrganisationFactory, RegisterFactory, RiskFactory
from tests.queries import assert_same_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def add(organisation, admin, name, **fields):
    return services.register_add(organisation=organisation, name=name, by=admin, **fields)


def change(register, admin, **fields):
    current = {
        "name": register.name,
        "slug": register.slug,
        "level": register.level,
        "parent": register.parent,
        "review_months": register.review_months,
    }
    return services.register_change(register=register, by=admin, **{**current, **fields})


def field_messages(exc_info, field: str) -> list[str]:
    return exc_info.value.message_dict[field]


# --- services -----------------------------------------------------------------------------------


def test_add_makes_the_slug_from_the_name_with_history_of_who(
    organisation, corporate_register, admin
):
    finance = add(
        organisation,
        admin,
        "  Finance &  Estates ",
        level=RegisterLevel.DIRECTORATE,
        parent=corporate_register,
        review_months=6,
    )
    assert (finance.name, finance.slug) == ("Finance & Estates", "finance-estates")
    assert (finance.parent, finance.level, finance.review_months) == (
        corporate_register,
        "directorate",
        6,
    )
    record = finance.history.get()
    assert (record.history_user, record.history_change_reason) == (admin, ADDED_REASON)
    # The organisation's coordinators get their grant on it, as the command's registers do.
    coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    from registers import permissions

    access = permissions.organisation_for_user(user=coordinator, slug=organisation.slug)
    assert access.can_edit_register(finance)
    # A second register of the same address-to-be is numbered; a typed slug is kept as typed.
    assert add(organisation, admin, "Finance estates").slug == "finance-estates-2"
    assert add(organisation, admin, "Projects", slug="proj").slug == "proj"


def test_add_refuses_duplicate_names_and_slugs_bad_levels_and_periods(
    organisation, corporate_register, admin
):
    add(organisation, admin, "Finance", slug="finance")
    with pytest.raises(ValidationError) as caught:
        add(organisation, admin, "FINANCE")
    assert field_messages(caught, "name") == [REGISTER_NAME_TAKEN.format(name="FINANCE")]
    with pytest.raises(ValidationError) as caught:
        add(organisation, admin, "Money", slug="finance")
    assert field_messages(caught, "slug") == [
        REGISTER_SLUG_TAKEN.format(register="Finance", slug="finance")
    ]
    for bad in ("Finance!", "UPPER", "a" * 51):
        with pytest.raises(ValidationError) as caught:
            add(organisation, admin, "Money", slug=bad)
        assert field_messages(caught, "slug") == [REGISTER_SLUG_INVALID]
    with pytest.raises(ValidationError) as caught:
        add(organisation, admin, "New", slug="new")
    assert field_messages(caught, "slug") == [REGISTER_SLUG_RESERVED.format(slug="new")]
    assert add(organisation, admin, "New").slug == "new-2"
    with pytest.raises(ValidationError) as caught:
        add(organisation, admin, "Money", level="galactic")
    levels = ", ".join(str(label) for label in RegisterLevel.labels)
    assert field_messages(caught, "level") == [REGISTER_LEVEL_UNKNOWN.format(levels=levels)]
    for months in (0, 61, "6"):
        with pytest.raises(ValidationError) as caught:
            add(organisation, admin, "Money", review_months=months)
        assert field_messages(caught, "review_months") == [REGISTER_REVIEW_MONTHS_RANGE]
    theirs = OrganisationFactory().registers.get()
    with pytest.raises(ValidationError) as caught:
        add(organisation, admin, "Money", parent=theirs)
    assert field_messages(caught, "parent") == [REGISTER_PARENT_OTHER_ORGANISATION]
    assert not Register.objects.filter(name="Money").exists()
    # Another organisation may use the same name and slug.
    add(OrganisationFactory(), admin, "Finance", slug="finance")


def test_rename_and_slug_change_keep_the_old_slug_with_history(
    organisation, corporate_register, admin
):
    finance = add(organisation, admin, "Finanse", slug="finanse")
    change(finance, admin, name="Finance", slug="finance")
    finance.refresh_from_db()
    assert (finance.name, finance.slug) == ("Finance", "finance")
    latest = finance.history.latest()
    assert latest.history_user == admin
    assert latest.history_change_reason == "; ".join(
        [
            RENAMED_REASON.format(old="Finanse"),
            SLUG_CHANGED_REASON.format(old="finanse", new="finance"),
        ]
    )
    assert list(finance.old_slugs.values_list("slug", flat=True)) == ["finanse"]
    # Saving it unchanged writes no history.
    records = finance.history.count()
    change(finance, admin)
    assert finance.history.count() == records


def test_an_old_slug_stays_its_registers_and_it_can_take_it_back(
    organisation, corporate_register, admin
):
    finance = add(organisation, admin, "Finance", slug="finance")
    change(finance, admin, slug="money")
    # Decision: another register cannot take an address that still redirects.
    with pytest.raises(ValidationError) as caught:
        add(organisation, admin, "Other", slug="finance")
    assert field_messages(caught, "slug") == [
        REGISTER_SLUG_OLD.format(slug="finance", register="Finance")
    ]
    other = add(organisation, admin, "Other")
    with pytest.raises(ValidationError):
        change(other, admin, slug="finance")
    # A name that would make it gets another address.
    assert add(organisation, admin, "finance!").slug == "finance-2"
    # The register takes its old address back: "money" becomes the old one.
    finance.refresh_from_db()
    change(finance, admin, slug="finance")
    assert list(RegisterSlug.objects.filter(register=finance).values_list("slug", flat=True)) == [
        "money"
    ]


def test_move_under_another_parent_and_to_the_top(organisation, corporate_register, admin):
    finance = add(organisation, admin, "Finance", parent=corporate_register)
    estates = add(organisation, admin, "Estates", parent=corporate_register)
    change(estates, admin, parent=finance)
    estates.refresh_from_db()
    assert estates.parent == finance
    assert estates.history.latest().history_change_reason == MOVED_REASON.format(parent="Finance")
    change(estates, admin, parent=None, level=RegisterLevel.PROJECT, review_months=3)
    estates.refresh_from_db()
    assert (estates.parent, estates.level, estates.review_months) == (None, "project", 3)
    assert estates.history.latest().history_change_reason == (
        "moved to the top level; level set to Project / programme; review period set to 3 months"
    )


def test_a_register_never_sits_under_itself_or_one_below_it(
    organisation, corporate_register, admin
):
    finance = add(organisation, admin, "Finance", parent=corporate_register)
    payroll = add(organisation, admin, "Payroll", parent=finance)
    with pytest.raises(ValidationError) as caught:
        change(finance, admin, parent=finance)
    assert field_messages(caught, "parent") == [REGISTER_PARENT_ITSELF]
    for below in (payroll, finance):
        with pytest.raises(ValidationError) as caught:
            change(corporate_register, admin, parent=below)
        assert field_messages(caught, "parent") == [
            REGISTER_PARENT_BELOW.format(parent=below.name, name=corporate_register.name)
        ]
    corporate_register.refresh_from_db()
    assert corporate_register.parent is None


def test_change_refuses_a_taken_name_or_slug(organisation, corporate_register, admin):
    finance = add(organisation, admin, "Finance")
    with pytest.raises(ValidationError) as caught:
        change(finance, admin, name=corporate_register.name.upper())
    assert "name" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        change(finance, admin, slug="corporate")
    assert field_messages(caught, "slug") == [
        REGISTER_SLUG_TAKEN.format(register=corporate_register.name, slug="corporate")
    ]


# --- the redirect of old links --------------------------------------------------------------------


def test_old_links_to_a_renamed_register_redirect(
    admin_client, organisation, corporate_register, admin
):
    finance = add(organisation, admin, "Finance", slug="finance", parent=corporate_register)
    risk = RiskFactory(register=finance)
    change(finance, admin, slug="money")
    slug = organisation.slug
    # The register's page (its risk list), with its filters and sort.
    old = reverse("register", args=[slug, "finance"]) + "?sort=-current&band=High"
    response = admin_client.get(old)
    assert response.status_code == 302
    assert response["Location"] == reverse("register", args=[slug, "money"]) + (
        "?sort=-current&band=High"
    )
    assert admin_client.get(response["Location"]).status_code == 200
    page = admin_client.get(reverse("register", args=[slug, "finance"]), follow=True)
    assert page.redirect_chain == [(reverse("register", args=[slug, "money"]), 302)]
    assert risk.title in page.content.decode()
    # Other pages under the register (register_for_user), and the settings page itself.
    for name in ("risk_create", "register_export", "settings_register"):
        response = admin_client.get(reverse(name, args=[slug, "finance"]))
        assert response.status_code == 302, name
        assert response["Location"] == reverse(name, args=[slug, "money"]), name
    # A POST to an old address is not redirected; an address no register had is a 404.
    response = admin_client.post(reverse("risk_create", args=[slug, "finance"]), {})
    assert response.status_code == 404
    assert admin_client.get(reverse("register", args=[slug, "never"])).status_code == 404


def test_an_old_slug_redirects_only_in_its_own_organisation(client, organisation, admin):
    finance = add(organisation, admin, "Finance", slug="finance")
    change(finance, admin, slug="money")
    other = OrganisationFactory()
    outsider = MembershipFactory(organisation=other, role=Role.ADMIN).user
    client.force_login(outsider)
    assert client.get(reverse("register", args=[other.slug, "finance"])).status_code == 404
    assert client.get(reverse("register", args=[organisation.slug, "finance"])).status_code == 404


# --- the pages ----------------------------------------------------------------------------------


def page_urls(organisation, register):
    slug = organisation.slug
    return [
        reverse("settings_registers", args=[slug]),
        reverse("settings_register_new", args=[slug]),
        reverse("settings_register", args=[slug, register.slug]),
    ]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.OWNER, Role.VIEWER, Role.PANEL])
def test_only_admins_reach_the_pages(
    client, organisation, corporate_register, member, role, caplog
):
    client.force_login(member(role))
    for url in page_urls(organisation, corporate_register):
        response = client.post(url, {"name": "X", "level": "school", "slug": "x"})
        assert response.status_code == (405 if url.endswith("/registers/") else 403), url
        assert client.get(url).status_code in (403, 405), url
    assert ADMINS_ONLY in caplog.text  # the refusal log says why
    assert not Register.objects.filter(name="X").exists()
    corporate_register.refresh_from_db()
    assert corporate_register.name != "X"


def test_another_organisations_admin_gets_404(client, organisation, corporate_register, admin):
    other = OrganisationFactory()
    client.force_login(MembershipFactory(organisation=other, role=Role.ADMIN).user)
    for url in page_urls(organisation, corporate_register):
        assert client.get(url).status_code == 404, url
        response = client.post(url, {"name": "X", "level": "school"})
        assert response.status_code == (405 if url.endswith("/registers/") else 404), url
    # Their own organisation's page naming this organisation's register.
    theirs = reverse(
        "settings_register", args=[other.slug, RegisterFactory(organisation=organisation).slug]
    )
    assert client.get(theirs).status_code == 404
    assert not Register.objects.filter(name="X").exists()


def test_the_list_shows_the_tree_levels_periods_and_open_risks(
    admin_client, organisation, corporate_register, admin
):
    finance = add(organisation, admin, "Finance", parent=corporate_register, review_months=4)
    RiskFactory(register=finance)
    RiskFactory(register=finance)
    response = admin_client.get(reverse("settings_registers", args=[organisation.slug]))
    assert response.status_code == 200
    tree = response.context["tree"]
    assert [(r.name, depth) for r, depth in tree] == [
        (corporate_register.name, 0),
        ("Finance", 1),
    ]
    assert tree[1][0].open_risks == 2
    text = response.content.decode()
    assert "4 months" in text and "Directorate" in text
    assert reverse("settings_register", args=[organisation.slug, finance.slug]) in text
    assert reverse("settings_register_new", args=[organisation.slug]) in text


def test_adding_and_changing_in_the_browser_and_bad_input(
    admin_client, organisation, corporate_register
):
    slug = organisation.slug
    new = reverse("settings_register_new", args=[slug])
    assert admin_client.get(new).status_code == 200
    response = admin_client.post(
        new,
        {"name": "Finance", "slug": "", "level": "directorate", "parent": corporate_register.pk},
    )
    assert response.status_code == 302
    finance = Register.objects.get(organisation=organisation, name="Finance")
    assert (finance.slug, finance.parent, finance.review_months) == (
        "finance",
        corporate_register,
        None,
    )
    response = admin_client.post(new, {"name": "finance", "level": "directorate"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "govuk-error-summary" in text and "There is already a register called finance" in text
    response = admin_client.post(new, {"name": "", "level": "nope", "review_months": "x"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "level", "review_months"}

    edit = reverse("settings_register", args=[slug, "finance"])
    assert admin_client.get(edit).status_code == 200
    response = admin_client.post(
        edit,
        {
            "name": "Finance and estates",
            "slug": "finance-estates",
            "level": "school",
            "parent": "",
            "review_months": "12",
        },
    )
    assert response.status_code == 302
    finance.refresh_from_db()
    assert (finance.name, finance.slug, finance.level, finance.parent, finance.review_months) == (
        "Finance and estates",
        "finance-estates",
        "school",
        None,
        12,
    )
    # Under itself or one below it is not offered, and posting it is refused.
    payroll = add(organisation, None, "Payroll", parent=finance)
    edit = reverse("settings_register", args=[slug, "finance-estates"])
    choices = dict(admin_client.get(edit).context["form"].fields["parent"].choices)
    assert finance.pk not in choices and payroll.pk not in choices
    for below in (finance, payroll):
        response = admin_client.post(
            edit,
            {"name": finance.name, "slug": finance.slug, "level": "school", "parent": below.pk},
        )
        assert response.status_code == 400
        assert response.context["form"].errors["parent"] == [PARENT_UNKNOWN]
    response = admin_client.post(
        edit, {"name": finance.name, "slug": "corporate", "level": "school", "parent": ""}
    )
    assert response.status_code == 400
    assert "already has the address corporate" in response.content.decode()
    finance.refresh_from_db()
    assert finance.slug == "finance-estates" and finance.parent is None


def test_get_changes_nothing(admin_client, organisation, corporate_register):
    records = corporate_register.history.count()
    registers = Register.objects.count()
    for url in page_urls(organisation, corporate_register):
        assert admin_client.get(url + "?name=X&slug=x&level=school").status_code == 200
    assert corporate_register.history.count() == records
    assert Register.objects.count() == registers


def test_posts_need_the_csrf_token(organisation, corporate_register, admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    url = reverse("settings_register_new", args=[organisation.slug])
    assert client.post(url, {"name": "Finance", "level": "school"}).status_code == 403
    assert not Register.objects.filter(name="Finance").exists()


def test_list_queries_do_not_grow_with_registers(admin_client, organisation, corporate_register):
    url = reverse("settings_registers", args=[organisation.slug])
    admin_client.get(url)  # warm caches
    add(organisation, None, "Seed", parent=corporate_register)

    def grow():
        for n in range(3):
            parent = add(organisation, None, f"Grown {n}", parent=corporate_register)
            child = add(organisation, None, f"Grown child {n}", parent=parent, review_months=3)
            RiskFactory(register=child)
            RiskFactory(register=parent)

    before, after = assert_same_queries(lambda: admin_client.get(url), grow, at_most=12)
    assert before.status_code == after.status_code == 200
    assert len(after.context["tree"]) == len(before.context["tree"]) + 6


def test_the_new_urls_are_walked_by_the_isolation_test():
    from tests.test_isolation import unfillable, url_patterns

    ours = [p for p in url_patterns() if (p.name or "").startswith("settings_register")]
    assert len(ours) == 4  # the list, add, change and archive pages
    assert not [p for p in ours if unfillable(p)]


def test_the_settings_page_links_the_registers_page(admin_client, organisation):
    text = admin_client.get(reverse("settings_home", args=[organisation.slug])).content.decode()
    assert reverse("settings_registers", args=[organisation.slug]) in text


def test_the_registers_page_and_settings_say_where_updates_need_sign_off(
    admin_client, organisation, corporate_register
):
    """Sign-off is switched on per register: the settings page's description says where, and
    the registers list says which registers have it (a user walk could not find it)."""
    school = RegisterFactory(organisation=organisation, slug="school", parent=corporate_register)
    school.sign_off_required = True
    school.save(update_fields=["sign_off_required"])
    listing = admin_client.get(reverse("settings_registers", args=[organisation.slug]))
    rows = listing.content.decode().split("<tr")
    (school_row,) = [row for row in rows if f"/registers/{school.slug}/" in row and "<th" in row]
    (corporate_row,) = [
        row for row in rows if f'/registers/{corporate_register.slug}/"' in row and "<th" in row
    ]
    assert "Owners' updates signed off" in school_row.replace("&#x27;", "'")
    assert "signed off" not in corporate_row
    home = admin_client.get(reverse("settings_home", args=[organisation.slug])).content.decode()
    assert "whether owners' updates need sign-off" in home.replace("&#x27;", "'")
