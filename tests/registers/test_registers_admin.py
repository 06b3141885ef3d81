"""An organisation's registers, for its admins (issue 15): the services that add a register and
change its name, address, parent, level and review period (with history saying who and why), the
redirect of a renamed register's old links, and the admin-only settings pages."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

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
from tests.factories import MembershipFactory, OrganisationFactory, RiskFactory

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
    for name in ("risk_create", "register_export"):
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
