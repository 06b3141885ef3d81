"""The scoped Django admin changes a register through the settings pages' services
(``registers.services.registers_admin``), so the two cannot differ: the same refusals, shown as
the admin form's field errors (a re-displayed form, never a 500), and the same history row
saying who changed what. Archiving is the settings page's (a reason, its refusals): read-only
here, and a register added here is in use (decision 101). A refusal that comes only when the
service writes (another admin's change got in after the form's check) is shown the same way,
with nothing of the save kept (decision 107)."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registers.models import Escalation, Register, RegisterGroupObjectPermission, RegisterSlug, Role
from registers.selectors import register_tree
from registers.services import organisations, registers_admin
from registers.services.organisations import (
    PARENT_ARCHIVED_CHOICE,
    REGISTER_GONE,
    REGISTER_PARENT_GONE,
)
from registers.services.register_archive import register_archive
from registers.services.registers_admin import (
    APPROVER_NOT_ALLOWED,
    DESCRIPTION_REASON,
    MOVED_REASON,
    REGISTER_NAME_TAKEN,
    REGISTER_PARENT_BELOW,
    REGISTER_PARENT_ITSELF,
    REGISTER_SLUG_TAKEN,
    SIGN_OFF_ON_REASON,
)
from riskreg.admin.saving import ADDED_IN_ADMIN_REASON
from riskreg.forms import sentence
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    RegisterFactory,
    RiskFactory,
    corporate_register_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(organisation):
    return MembershipFactory(organisation=organisation, role=Role.ADMIN).user


@pytest.fixture
def finance_and_payroll(organisation, corporate_register, admin):
    """Finance under corporate, payroll under finance, each with a risk."""
    finance = registers_admin.register_add(
        organisation=organisation,
        name="Finance",
        slug="finance",
        parent=corporate_register,
        by=admin,
    )
    payroll = registers_admin.register_add(
        organisation=organisation, name="Payroll", slug="payroll", parent=finance, by=admin
    )
    RiskFactory(register=finance, ref="FIN-1")
    RiskFactory(register=payroll, ref="PAY-1")
    return finance, payroll


def _data(register, **changes) -> dict:
    """The admin's change form as it was shown, with ``changes``."""
    data = {
        "slug": register.slug,
        "name": register.name,
        "description": register.description,
        "level": register.level,
        "parent": register.parent_id or "",
        "scheme": register.scheme_id or "",
        "review_months": register.review_months or "",
    }
    if register.sign_off_required:
        data["sign_off_required"] = "on"
    return {**data, **changes}


def _change(client, register, **changes):
    return client.post(
        reverse("admin:registers_register_change", args=[register.pk]), _data(register, **changes)
    )


def _form_errors(response) -> dict:
    assert response.status_code == 200, response.status_code  # the admin re-displays its form
    return response.context["adminform"].form.errors


@pytest.mark.parametrize("where", ["itself", "below"])
def test_the_admin_refuses_a_parent_cycle_as_the_settings_page_does(
    client, organisation, corporate_register, finance_and_payroll, admin, where
):
    finance, payroll = finance_and_payroll
    parent = finance if where == "itself" else payroll
    message = (
        REGISTER_PARENT_ITSELF
        if where == "itself"
        else REGISTER_PARENT_BELOW.format(parent="Payroll", name="Finance")
    )
    client.force_login(admin)
    assert _form_errors(_change(client, finance, parent=parent.pk))["parent"] == [message]
    finance.refresh_from_db()
    assert finance.parent == corporate_register
    # The settings page's form gives the same answer from the same service.
    with pytest.raises(ValidationError) as caught:
        registers_admin.register_change(
            register=finance,
            name="Finance",
            slug="finance",
            level=finance.level,
            parent=parent,
            review_months=None,
            by=admin,
        )
    assert caught.value.message_dict["parent"] == [message]
    # Nothing vanished from the tree, the roll-up or the registers settings page.
    registers = list(Register.objects.filter(organisation=organisation))
    assert {r.slug for r, _ in register_tree(registers)} == {"corporate", "finance", "payroll"}
    rollup = client.get(reverse("register", args=[organisation.slug, "corporate"]) + "?rollup=1")
    assert b"PAY-1" in rollup.content and b"FIN-1" in rollup.content
    listed = client.get(reverse("settings_registers", args=[organisation.slug])).content.decode()
    assert "Finance" in listed and "Payroll" in listed


def test_a_change_in_the_admin_is_one_history_row_saying_who_and_what(
    client, organisation, corporate_register, finance_and_payroll, admin
):
    finance, payroll = finance_and_payroll
    other = registers_admin.register_add(organisation=organisation, name="Estates", by=admin)
    client.force_login(admin)
    response = _change(client, payroll, parent=other.pk, description="Salaries and pensions")
    assert response.status_code == 302
    payroll.refresh_from_db()
    assert (payroll.parent, payroll.description) == (other, "Salaries and pensions")
    latest = payroll.history.latest()
    assert latest.history_user == admin
    assert latest.history_change_reason == "; ".join(
        [MOVED_REASON.format(parent="Estates"), DESCRIPTION_REASON]
    )
    # A save with nothing changed writes no history row.
    rows = payroll.history.count()
    assert _change(client, payroll).status_code == 302
    assert payroll.history.count() == rows


def test_the_admin_holds_the_settings_pages_name_and_approver_rules(
    client, organisation, corporate_register, finance_and_payroll, admin
):
    finance, payroll = finance_and_payroll
    viewer = MembershipFactory(organisation=organisation, role=Role.VIEWER).user
    client.force_login(admin)
    errors = _form_errors(_change(client, payroll, name="finance"))
    assert errors["name"] == [REGISTER_NAME_TAKEN.format(name="finance")]
    errors = _form_errors(
        _change(client, payroll, sign_off_required="on", sign_off_approvers=[viewer.pk])
    )
    assert errors["sign_off_approvers"] == [APPROVER_NOT_ALLOWED.format(name=viewer.display_name)]
    payroll.refresh_from_db()
    assert not payroll.sign_off_required and not payroll.sign_off_approvers.exists()
    # Allowed approvers are set by the service, with its history row.
    assert (
        _change(client, payroll, sign_off_required="on", sign_off_approvers=[admin.pk]).status_code
        == 302
    )
    payroll.refresh_from_db()
    assert list(payroll.sign_off_approvers.all()) == [admin]
    assert payroll.history.latest().history_change_reason.startswith(SIGN_OFF_ON_REASON)


def test_archiving_is_read_only_in_the_admin_and_names_the_settings_page(
    client, organisation, corporate_register, finance_and_payroll, admin
):
    """A typed ``archived_at`` skipped the archive service: its reason, and its refusal of a
    register with one in use below it or an escalation waiting."""
    finance, payroll = finance_and_payroll
    client.force_login(admin)
    url = reverse("admin:registers_register_change", args=[finance.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    assert "archived_at" not in form.fields
    archive_url = reverse("settings_register_archive", args=[organisation.slug, "finance"])
    assert archive_url in page.content.decode()
    # Posting the field anyway changes nothing: finance has payroll in use below it.
    response = _change(client, finance, archived_at_0="2026-12-01", archived_at_1="10:00:00")
    assert response.status_code == 302
    finance.refresh_from_db()
    assert finance.archived_at is None
    # An archived register stays archived whatever is posted, and says since when.
    register_archive(register=payroll, reason="merged into finance", by=admin)
    payroll.refresh_from_db()
    page = client.get(reverse("admin:registers_register_change", args=[payroll.pk]))
    assert "Archived on" in page.content.decode()
    assert _change(client, payroll, archived_at_0="", archived_at_1="").status_code == 302
    payroll.refresh_from_db()
    assert payroll.archived_at is not None
    assert not Escalation.objects.exists()


def test_a_register_added_in_the_admin_is_in_use_and_added_by_the_settings_pages_service(
    client, organisation, corporate_register, finance_and_payroll, admin
):
    finance, payroll = finance_and_payroll
    register_archive(register=payroll, reason="merged into finance", by=admin)
    client.force_login(admin)
    add = reverse("admin:registers_register_add")
    form = client.get(add).context["adminform"].form
    assert not {"archived_at", "sign_off_required", "sign_off_approvers"} & set(form.fields)
    data = {
        **_data(corporate_register, slug="estates", name="Estates"),
        "organisation": organisation.pk,
    }
    # The settings page's add refuses an archived parent and a taken name; so does the admin.
    errors = _form_errors(client.post(add, {**data, "parent": payroll.pk}))
    assert "parent" in errors
    errors = _form_errors(client.post(add, {**data, "name": "FINANCE"}))
    assert errors["name"] == [REGISTER_NAME_TAKEN.format(name="FINANCE")]
    archived_at = timezone.now() - dt.timedelta(days=1)
    response = client.post(
        add,
        {
            **data,
            "archived_at_0": archived_at.date().isoformat(),
            "archived_at_1": "10:00:00",
            "sign_off_required": "on",
        },
    )
    assert response.status_code == 302
    estates = Register.objects.get(organisation=organisation, slug="estates")
    assert estates.archived_at is None and not estates.sign_off_required
    first = estates.history.get()
    assert (first.history_user, first.history_change_reason) == (admin, ADDED_IN_ADMIN_REASON)


# Another admin's change made between this admin's form check and its save (decision 107).


def another_admin_first(monkeypatch, module, change):
    """Make ``change`` (another admin's, on its own connection, committed) happen after this
    admin's form was checked and just before its save takes the tree's lock, the moment the
    form's check cannot see. Only the timing is arranged: the refusal is the service's own."""
    real, failed = module.register_tree_lock, []

    def other_admin():
        try:
            change()
        except Exception as exc:  # reported below, in the test's thread
            failed.append(exc)
        finally:
            connection.close()

    def lock(organisation_id):
        monkeypatch.setattr(module, "register_tree_lock", real)  # once
        thread = threading.Thread(target=other_admin)
        thread.start()
        thread.join(5)
        assert not thread.is_alive() and not failed, failed
        real(organisation_id)

    monkeypatch.setattr(module, "register_tree_lock", lock)


@pytest.fixture
def committed_tree():
    """Corporate, with A and B under it, and two admins: committed, for a second connection."""
    organisation = OrganisationFactory()
    corporate = corporate_register_of(organisation)
    admins = [MembershipFactory(organisation=organisation, role=Role.ADMIN).user for _ in "12"]
    a = RegisterFactory(organisation=organisation, parent=corporate, slug="a", name="A")
    b = RegisterFactory(organisation=organisation, parent=corporate, slug="b", name="B")
    return organisation, admins, a, b


@pytest.mark.django_db(transaction=True)
def test_a_change_refused_at_save_is_the_forms_field_error_and_writes_nothing(
    client, monkeypatch, committed_tree
):
    """Both admins' forms pass; the other moves A under B first, so B under A (and a new
    address for B, whose old one is kept before the parent is checked) is refused at save."""
    organisation, (mine, theirs), a, b = committed_tree
    rows = b.history.count()
    another_admin_first(
        monkeypatch,
        registers_admin,
        lambda: registers_admin.register_change(
            register=a, name="A", slug="a", level=a.level, parent=b, review_months=None, by=theirs
        ),
    )
    client.force_login(mine)
    errors = _form_errors(_change(client, b, parent=a.pk, slug="b-moved"))
    assert errors["parent"] == [REGISTER_PARENT_BELOW.format(parent="A", name="B")]
    b.refresh_from_db()
    assert (b.slug, b.parent.slug) == ("b", "corporate")
    assert b.history.count() == rows
    assert not RegisterSlug.objects.filter(register=b).exists()
    assert Register.objects.get(pk=a.pk).parent == b  # as the other admin left it


@pytest.mark.django_db(transaction=True)
def test_a_parent_deleted_in_the_admin_before_the_save_is_the_parents_field_error(
    client, monkeypatch, committed_tree
):
    """An organisation admin may delete a register with nothing in or under it, on the admin's
    own delete page: a change moving B under it at the same moment is refused, not a 500."""
    organisation, (mine, theirs), a, b = committed_tree
    rows = b.history.count()

    def delete_a():
        other = Client()
        other.force_login(theirs)
        url = reverse("admin:registers_register_delete", args=[a.pk])
        assert other.post(url, {"post": "yes"}).status_code == 302

    another_admin_first(monkeypatch, registers_admin, delete_a)
    client.force_login(mine)
    errors = _form_errors(_change(client, b, parent=a.pk, slug="b-moved"))
    assert errors["parent"] == [REGISTER_PARENT_GONE]
    assert not Register.objects.filter(pk=a.pk).exists()
    b.refresh_from_db()
    assert (b.slug, b.parent.slug) == ("b", "corporate")
    assert b.history.count() == rows
    assert not RegisterSlug.objects.filter(register=b).exists()


@pytest.mark.django_db(transaction=True)
def test_a_register_added_under_one_archived_before_the_save_is_the_parents_field_error(
    client, monkeypatch, committed_tree
):
    organisation, (mine, theirs), a, b = committed_tree
    grants = RegisterGroupObjectPermission.objects.count()
    another_admin_first(
        monkeypatch,
        organisations,
        lambda: register_archive(register=a, reason="merged into B", by=theirs),
    )
    client.force_login(mine)
    data = {
        **_data(b, slug="estates", name="Estates", parent=a.pk),
        "organisation": organisation.pk,
    }
    errors = _form_errors(client.post(reverse("admin:registers_register_add"), data))
    assert errors["parent"] == [PARENT_ARCHIVED_CHOICE.format(parent="A")]
    assert not Register.objects.filter(name="Estates").exists()
    assert not Register.history.filter(name="Estates").exists()
    assert RegisterGroupObjectPermission.objects.count() == grants


@pytest.mark.django_db(transaction=True)
def test_a_revert_refused_at_save_is_the_forms_field_error(client, monkeypatch, committed_tree):
    """simple-history's revert page posts the same form through the same save."""
    organisation, (mine, theirs), a, b = committed_tree
    version = b.history.latest()
    rows = b.history.count()
    another_admin_first(
        monkeypatch,
        registers_admin,
        lambda: registers_admin.register_change(
            register=a, name="A", slug="a", level=a.level, parent=b, review_months=None, by=theirs
        ),
    )
    client.force_login(mine)
    url = reverse("admin:registers_register_simple_history", args=[b.pk, version.history_id])
    errors = _form_errors(client.post(url, _data(b, parent=a.pk, slug="b-moved")))
    assert errors["parent"] == [REGISTER_PARENT_BELOW.format(parent="A", name="B")]
    b.refresh_from_db()
    assert (b.slug, b.parent.slug, b.history.count()) == ("b", "corporate", rows)
    assert not RegisterSlug.objects.filter(register=b).exists()


@pytest.mark.django_db(transaction=True)
def test_a_register_deleted_before_its_change_is_saved_is_reported_as_gone(
    client, monkeypatch, committed_tree
):
    """The register itself deleted by another admin in between: the service refuses (not
    DoesNotExist), and the admin answers as it does for any register that no longer exists."""
    organisation, (mine, theirs), a, b = committed_tree

    def delete_b():
        other = Client()
        other.force_login(theirs)
        url = reverse("admin:registers_register_delete", args=[b.pk])
        assert other.post(url, {"post": "yes"}).status_code == 302

    another_admin_first(monkeypatch, registers_admin, delete_b)
    client.force_login(mine)
    response = _change(client, b, name="B renamed")
    assert response.status_code == 302
    assert "Perhaps it was deleted?" in client.get(response.url).content.decode()
    assert not Register.objects.filter(pk=b.pk).exists()
    with pytest.raises(ValidationError) as caught:
        registers_admin.register_change(
            register=b, name="B", slug="b", level=b.level, parent=None, review_months=None, by=mine
        )
    assert caught.value.messages == [REGISTER_GONE]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", ["admin", "settings"])
@pytest.mark.parametrize("field", ["name", "slug"])
def test_a_name_or_address_taken_before_a_top_register_is_saved_is_the_fields_error(
    client, monkeypatch, committed_tree, page, field
):
    """A register added at the top level took no lock: the other admin's add of the same address
    in between was the database's unique constraint at save (a 500), of the same name a second
    register of that name (decision 108). Now the admin's form is shown again and the settings
    page answers 400, the refusal on its field."""
    organisation, (mine, theirs), a, b = committed_tree
    another_admin_first(
        monkeypatch,
        organisations,
        lambda: registers_admin.register_add(
            organisation=organisation, name="Estates", slug="estates", by=theirs
        ),
    )
    name, slug = ("ESTATES", "estates-2") if field == "name" else ("Estates 2", "estates")
    expected = {
        "name": REGISTER_NAME_TAKEN.format(name=name),
        "slug": REGISTER_SLUG_TAKEN.format(register="Estates", slug="estates"),
    }[field]
    client.force_login(mine)
    if page == "admin":
        data = {**_data(b, slug=slug, name=name, parent=""), "organisation": organisation.pk}
        errors = _form_errors(client.post(reverse("admin:registers_register_add"), data))
    else:
        data = {"name": name, "slug": slug, "level": "directorate", "parent": ""}
        response = client.post(reverse("settings_register_new", args=[organisation.slug]), data)
        assert response.status_code == 400
        errors = response.context["form"].errors
        expected = sentence(expected)  # the settings pages' forms begin each error with a capital
    assert errors[field] == [expected]
    assert list(
        Register.objects.filter(name__istartswith="estates").values_list("name", flat=True)
    ) == ["Estates"]
