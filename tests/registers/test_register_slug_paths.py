"""The old-slug rule (``registers.services.register_slugs``) on every path that creates a register
or changes its address, not only the settings page: the ``create_register`` command, the service
under it and ``create_org``, and the scoped Django admin, where the rule's message is the slug
field's error. An old link keeps redirecting whichever path changed the address."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from registers.models import Register, RegisterGroupObjectPermission, RegisterSlug, Role
from registers.services import registers_admin
from registers.services.organisations import register_create
from registers.services.register_slugs import (
    REGISTER_SLUG_INVALID,
    REGISTER_SLUG_OLD,
    REGISTER_SLUG_RESERVED,
    REGISTER_SLUG_TAKEN,
)
from riskreg.admin.saving import ADDED_IN_ADMIN_REASON
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


@pytest.fixture
def finance_renamed(organisation, corporate_register, admin):
    """Finance, whose address changed from finance to money on the settings page."""
    finance = registers_admin.register_add(
        organisation=organisation, name="Finance", slug="finance", by=admin
    )
    registers_admin.register_change(
        register=finance,
        name="Finance",
        slug="money",
        level=finance.level,
        parent=None,
        review_months=None,
        by=admin,
    )
    finance.refresh_from_db()
    return finance


def _command(organisation, slug):
    call_command("create_register", "--org", organisation.slug, slug, "--name", "Other")


# --- create_register and the service under it ---------------------------------------------------


def test_create_register_refuses_new_and_another_registers_old_slug(organisation, finance_renamed):
    registers = Register.objects.filter(organisation=organisation).count()
    with pytest.raises(CommandError) as caught:
        _command(organisation, "new")
    assert str(caught.value) == "slug: " + REGISTER_SLUG_RESERVED.format(slug="new")
    with pytest.raises(CommandError) as caught:
        _command(organisation, "finance")
    assert str(caught.value) == "slug: " + REGISTER_SLUG_OLD.format(
        slug="finance", register="Finance"
    )
    with pytest.raises(CommandError) as caught:
        _command(organisation, "money")
    assert str(caught.value) == "slug: " + REGISTER_SLUG_TAKEN.format(
        register="Finance", slug="money"
    )
    with pytest.raises(CommandError) as caught:
        _command(organisation, "Not A Slug")
    assert str(caught.value) == "slug: " + REGISTER_SLUG_INVALID
    assert Register.objects.filter(organisation=organisation).count() == registers


def test_register_create_holds_the_rule_and_the_old_link_still_redirects(
    client, organisation, finance_renamed, admin
):
    with pytest.raises(ValidationError) as caught:
        register_create(organisation=organisation, slug="finance", name="Other")
    assert caught.value.message_dict["slug"] == [
        REGISTER_SLUG_OLD.format(slug="finance", register="Finance")
    ]
    client.force_login(admin)
    response = client.get(reverse("register", args=[organisation.slug, "finance"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("register", args=[organisation.slug, "money"])


# --- the scoped Django admin ---------------------------------------------------------------------


def _admin_data(register, **changes) -> dict:
    data = {
        "organisation": register.organisation_id,
        "slug": register.slug,
        "name": register.name,
        "description": register.description,
        "level": register.level,
        "parent": register.parent_id or "",
        "scheme": register.scheme_id or "",
        "review_months": register.review_months or "",
        "archived_at_0": "",
        "archived_at_1": "",
    }
    return {**data, **changes}


def test_a_slug_changed_in_the_admin_keeps_the_old_link(
    client, organisation, corporate_register, admin
):
    finance = registers_admin.register_add(
        organisation=organisation, name="Finance", slug="finance", by=admin
    )
    client.force_login(admin)
    url = reverse("admin:registers_register_change", args=[finance.pk])
    response = client.post(url, _admin_data(finance, slug="money"))
    assert response.status_code == 302, response.content.decode()[:2000]
    finance.refresh_from_db()
    assert finance.slug == "money"
    assert list(finance.old_slugs.values_list("slug", flat=True)) == ["finance"]
    old = client.get(reverse("register", args=[organisation.slug, "finance"]))
    assert old.status_code == 302
    assert old["Location"] == reverse("register", args=[organisation.slug, "money"])
    # Taking the old address back in the admin: "money" becomes the old one.
    response = client.post(url, _admin_data(finance, slug="finance"))
    assert response.status_code == 302
    assert list(finance.old_slugs.values_list("slug", flat=True)) == ["money"]


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("new", REGISTER_SLUG_RESERVED.format(slug="new")),
        ("finance", REGISTER_SLUG_OLD.format(slug="finance", register="Finance")),
        ("money", REGISTER_SLUG_TAKEN.format(register="Finance", slug="money")),
    ],
)
def test_the_admin_shows_the_rule_as_the_slug_fields_error(
    client, organisation, corporate_register, finance_renamed, admin, slug, message
):
    client.force_login(admin)
    # Adding a register.
    before = Register.objects.filter(organisation=organisation).count()
    add = reverse("admin:registers_register_add")
    response = client.post(add, _admin_data(corporate_register, slug=slug, name="Other"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["slug"] == [message]
    assert Register.objects.filter(organisation=organisation).count() == before
    # Changing another register's address.
    url = reverse("admin:registers_register_change", args=[corporate_register.pk])
    response = client.post(url, _admin_data(corporate_register, slug=slug))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["slug"] == [message]
    corporate_register.refresh_from_db()
    assert corporate_register.slug == "corporate"
    assert not RegisterSlug.objects.filter(register=corporate_register).exists()


def test_a_register_added_in_the_admin_is_made_as_every_other_path_makes_one(
    client, organisation, corporate_register, admin
):
    """By register_create: the coordinators' grant, and who added it and where in its history."""
    client.force_login(admin)
    response = client.post(
        reverse("admin:registers_register_add"),
        _admin_data(corporate_register, slug="estates", name="Estates"),
    )
    assert response.status_code == 302
    estates = Register.objects.get(organisation=organisation, slug="estates")
    assert RegisterGroupObjectPermission.objects.filter(content_object=estates).exists()
    first = estates.history.earliest()
    assert (first.history_user, first.history_change_reason) == (admin, ADDED_IN_ADMIN_REASON)
    # A register stays in its organisation: the change form does not offer to move it.
    change = client.get(reverse("admin:registers_register_change", args=[estates.pk]))
    assert "organisation" not in change.context["adminform"].form.fields
