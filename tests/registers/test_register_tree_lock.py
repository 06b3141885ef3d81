"""Two admins changing one organisation's register tree at the same moment (decision 103): each
write to the tree takes the organisation's row lock before it reads the tree, so the second waits
for the first and is checked against the tree the first left. Real connections, one per thread:
thread A makes its change inside a transaction it holds open until B is seen waiting on A's lock
(``pg_blocking_pids``), then commits; B must then be refused with the service's own words."""

import threading
import time

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from registers.models import Register, Role
from registers.services import registers_admin
from registers.services.organisations import (
    PARENT_ARCHIVED_CHOICE,
    REGISTER_GONE,
    REGISTER_PARENT_GONE,
    register_create,
)
from registers.services.pack_coverage import (
    PACK_REGISTERS_GONE,
    organisation_pack_registers_set,
)
from registers.services.register_archive import (
    CHILDREN_NOT_ARCHIVED,
    register_archive,
    register_unarchive,
)
from registers.services.register_delete import REGISTER_DELETE_CHILDREN, REGISTER_DELETE_REFUSED
from registers.services.registers_admin import (
    REGISTER_NAME_TAKEN,
    REGISTER_PARENT_BELOW,
    REGISTER_SLUG_TAKEN,
)
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    RegisterFactory,
    corporate_register_of,
)

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5  # seconds; every wait below ends well before unless something is wrong


def move(register, parent, by):
    return registers_admin.register_change(
        register=register,
        name=register.name,
        slug=register.slug,
        level=register.level,
        parent=parent,
        review_months=register.review_months,
        by=by,
    )


def race(first, second):
    """Run ``first`` in thread A inside a transaction held open until ``second`` (thread B) is
    waiting on A's lock, or has finished without waiting; then commit A and let B finish.
    Returns (whether B waited on A, B's result or the exception it raised)."""
    a_pid, b_pid = [], []
    a_done, release, b_ready = threading.Event(), threading.Event(), threading.Event()
    outcome = {}

    def thread_a():
        try:
            with transaction.atomic():
                first()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    a_pid.append(cursor.fetchone()[0])
                a_done.set()
                release.wait(TIMEOUT)
        except Exception as exc:  # reported by the assertions below
            outcome["a"] = exc
            a_done.set()
        finally:
            connection.close()

    def thread_b():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                b_pid.append(cursor.fetchone()[0])
            b_ready.set()
            outcome["b"] = second()
        except Exception as exc:
            outcome["b"] = exc
        finally:
            b_ready.set()
            connection.close()

    a = threading.Thread(target=thread_a)
    a.start()
    assert a_done.wait(TIMEOUT) and "a" not in outcome, outcome.get("a")
    b = threading.Thread(target=thread_b)
    b.start()
    assert b_ready.wait(TIMEOUT)
    waited = False
    deadline = time.monotonic() + TIMEOUT
    # Polled, not slept on: Postgres is the only one who knows that B is waiting on A.
    while b.is_alive() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s = ANY(pg_blocking_pids(%s))", [a_pid[0], b_pid[0]])
            if cursor.fetchone()[0]:
                waited = True
                break
        time.sleep(0.005)
    release.set()
    a.join(TIMEOUT)
    b.join(TIMEOUT)
    assert not a.is_alive() and not b.is_alive()
    assert "a" not in outcome, outcome.get("a")
    return waited, outcome["b"]


def refusal(outcome) -> list[str]:
    assert isinstance(outcome, ValidationError), f"not refused: {outcome!r}"
    return outcome.messages


def parents(organisation) -> dict[str, str | None]:
    registers = Register.objects.filter(organisation=organisation).select_related("parent")
    return {r.slug: r.parent.slug if r.parent else None for r in registers}


@pytest.fixture
def tree():
    organisation = OrganisationFactory()
    corporate = corporate_register_of(organisation)
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    a = RegisterFactory(organisation=organisation, parent=corporate, slug="a", name="A")
    b = RegisterFactory(organisation=organisation, parent=corporate, slug="b", name="B")
    return organisation, admin, a, b


def test_a_under_b_and_b_under_a_at_once_the_second_waits_and_is_refused(tree):
    organisation, admin, a, b = tree
    b_read = Register.objects.get(pk=b.pk)  # read before A's move, as B's form was
    a_parent_read = Register.objects.get(pk=a.pk)
    waited, outcome = race(lambda: move(a, b, admin), lambda: move(b_read, a_parent_read, admin))
    assert waited
    assert refusal(outcome) == [REGISTER_PARENT_BELOW.format(parent="A", name="B")]
    assert parents(organisation) == {"corporate": None, "a": "b", "b": "corporate"}


def test_a_register_added_under_one_being_archived_waits_and_is_refused(tree):
    organisation, admin, a, _ = tree
    a_read = Register.objects.get(pk=a.pk)  # in use when the add's form read it
    waited, outcome = race(
        lambda: register_archive(register=a, reason="merged", by=admin),
        lambda: registers_admin.register_add(
            organisation=organisation, name="A child", parent=a_read, by=admin
        ),
    )
    assert waited
    assert refusal(outcome) == [PARENT_ARCHIVED_CHOICE.format(parent="A")]
    assert not Register.objects.filter(name="A child").exists()


def test_archiving_a_register_while_one_is_added_under_it_waits_and_is_refused(tree):
    organisation, admin, a, _ = tree
    waited, outcome = race(
        lambda: registers_admin.register_add(
            organisation=organisation, name="A child", parent=a, by=admin
        ),
        lambda: register_archive(register=a, reason="merged", by=admin),
    )
    assert waited
    assert refusal(outcome) == [CHILDREN_NOT_ARCHIVED.format(register="A", children="A child")]
    assert Register.objects.get(pk=a.pk).archived_at is None


@pytest.mark.parametrize("write", ["change", "add", "create"])
def test_a_parent_deleted_after_it_was_read_is_refused_on_the_parent(tree, write):
    """A register with nothing in or under it can be deleted (the Django admin's delete page):
    a write naming it as the parent, read before, is refused on ``parent``, not DoesNotExist."""
    organisation, admin, a, b = tree
    a_read = Register.objects.get(pk=a.pk)
    a.delete()
    with pytest.raises(ValidationError) as caught:
        if write == "change":
            move(b, a_read, admin)
        elif write == "add":
            registers_admin.register_add(
                organisation=organisation, name="A child", parent=a_read, by=admin
            )
        else:
            register_create(
                organisation=organisation, slug="a-child", name="A child", parent=a_read
            )
    assert caught.value.message_dict == {"parent": [REGISTER_PARENT_GONE]}
    assert parents(organisation) == {"corporate": None, "b": "corporate"}


def test_a_register_moved_under_one_being_deleted_waits_and_is_refused(tree):
    """The parent is read locked: the move waits for the delete and is refused, where it read
    the parent as it was and failed at commit on the foreign key (a 500)."""
    organisation, admin, a, b = tree
    a_read = Register.objects.get(pk=a.pk)
    waited, outcome = race(lambda: a.delete(), lambda: move(b, a_read, admin))
    assert waited
    assert refusal(outcome) == [REGISTER_PARENT_GONE]
    assert parents(organisation) == {"corporate": None, "b": "corporate"}


# Two registers added at the same moment (decision 108): every add takes the tree's lock, a top
# register too, and checks the name and the address under it.


def add(organisation, admin, name, slug="", parent=None):
    return registers_admin.register_add(
        organisation=organisation, name=name, slug=slug, parent=parent, by=admin
    )


@pytest.mark.parametrize("service", ["register_add", "register_create"])
def test_two_registers_added_at_once_with_one_address_the_second_is_refused_on_it(tree, service):
    """The settings page and the admin add by ``register_add``, ``create_register`` by
    ``register_create``: the second was the database's unique constraint (a 500)."""
    organisation, admin, _, _ = tree

    def create(name):
        if service == "register_add":
            return add(organisation, admin, name, slug="estates")
        return register_create(organisation=organisation, slug="estates", name=name)

    waited, outcome = race(lambda: create("Estates"), lambda: create("Estates and facilities"))
    assert waited
    assert refusal(outcome) == [REGISTER_SLUG_TAKEN.format(register="Estates", slug="estates")]
    assert outcome.message_dict.keys() == {"slug"}
    assert list(Register.objects.filter(slug="estates").values_list("name", flat=True)) == [
        "Estates"
    ]


def test_two_registers_added_at_once_with_one_name_the_second_is_refused_on_it(tree):
    """No constraint holds names: both were added."""
    organisation, admin, _, _ = tree
    waited, outcome = race(
        lambda: add(organisation, admin, "Estates", slug="estates"),
        lambda: add(organisation, admin, "ESTATES", slug="estates-two"),
    )
    assert waited
    assert outcome.message_dict == {"name": [REGISTER_NAME_TAKEN.format(name="ESTATES")]}
    assert Register.objects.filter(name__iexact="estates").count() == 1


@pytest.mark.parametrize("under", [False, True])
def test_an_address_made_from_the_name_is_made_under_the_lock(tree, under):
    """Left blank, the address is made from the name: the second of two at once gets the next
    number, where it took the same address (refused on a field left blank, or a 500)."""
    organisation, admin, a, _ = tree
    parent = a if under else None
    waited, outcome = race(
        lambda: add(organisation, admin, "Estates", parent=parent),
        lambda: add(organisation, admin, "Estates!", parent=parent),
    )
    assert waited
    assert isinstance(outcome, Register), outcome
    assert outcome.slug == "estates-2"


# The admin's delete (decision 108): through ``register_delete``, under the tree's lock.


@pytest.mark.parametrize("how", ["delete page", "delete selected"])
def test_a_register_deleted_in_the_admin_while_one_moves_under_it_is_refused(tree, how):
    """Django's own check for registers under it ran before the move committed, and the delete
    then failed at commit on the foreign key (a 500). Now the second waits and is refused, with
    the admin's error message."""
    organisation, admin, a, b = tree

    def delete_a():
        client = Client()
        client.force_login(admin)
        if how == "delete page":
            url, data = reverse("admin:registers_register_delete", args=[a.pk]), {"post": "yes"}
        else:
            url = reverse("admin:registers_register_changelist")
            data = {"action": "delete_selected", "_selected_action": [a.pk], "post": "yes"}
        return client.post(url, data)

    waited, response = race(lambda: move(b, a, admin), delete_a)
    assert waited
    assert response.status_code == 302, response
    told = [(m.level, m.message) for m in get_messages(response.wsgi_request)]
    assert told == [
        (
            messages.ERROR,
            REGISTER_DELETE_REFUSED.format(
                register="A", reasons=REGISTER_DELETE_CHILDREN.format(children="B")
            ),
        )
    ]
    assert parents(organisation) == {"corporate": None, "a": "corporate", "b": "a"}


@pytest.mark.parametrize("change", ["archive", "bring back"])
def test_a_register_deleted_after_its_archive_page_was_opened_is_refused(tree, change):
    """The settings page's archive form, saved after the admin's delete: refused (a 400 with
    the form), where the locked read raised DoesNotExist (a 500)."""
    organisation, admin, a, _ = tree
    a_read = Register.objects.get(pk=a.pk)
    a.delete()
    with pytest.raises(ValidationError) as caught:
        if change == "archive":
            register_archive(register=a_read, reason="merged", by=admin)
        else:
            register_unarchive(register=a_read, reason="needed again", by=admin)
    assert caught.value.messages == [REGISTER_GONE]


def test_a_register_deleted_after_the_pack_registers_page_was_opened_is_refused(tree):
    """The packs' registers chosen from the page's list, one deleted in the admin meanwhile:
    refused (the page's 400), where its row was written and failed at commit (a 500)."""
    organisation, admin, a, b = tree
    a_read = Register.objects.get(pk=a.pk)
    a.delete()
    with pytest.raises(ValidationError) as caught:
        organisation_pack_registers_set(organisation=organisation, registers=[a_read, b], by=admin)
    assert caught.value.message_dict == {"registers": [PACK_REGISTERS_GONE.format(register="A")]}
    assert not organisation.pack_registers.exists()
