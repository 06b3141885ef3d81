"""Writes to organisations, registers and memberships: the services behind ``create_org``,
``create_register`` and ``add_member`` and behind the seeding of demo organisations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from appetite.services import appetite_levels_install
from riskreg import mail
from scoring.definition import SchemeDefinition
from scoring.presets import preset
from scoring.services import scheme_save

from .. import permissions
from ..models import Membership, Organisation, Register, RegisterLevel, Role
from .accounts import sign_in_address_add
from .register_names import register_name_clean
from .register_slugs import register_slug_clean, register_slug_from_name

TOP_REGISTER_SLUG = "corporate"
DEFAULT_SCHEME_PRESET = "espo-5x5"
DEFAULT_SCHEME_NAME = "5x5 likelihood x impact"
# A register in use never sits under an archived one (register_archive holds the rest of the
# tree's rule: no register is archived above one in use, none brought back under an archived one).
PARENT_ARCHIVED_CHOICE = "{parent} is archived: a register in use cannot sit under it"
REGISTER_PARENT_OTHER_ORGANISATION = "the parent register belongs to another organisation"
REGISTER_PARENT_GONE = "the parent register no longer exists: choose another"
REGISTER_GONE = "this register no longer exists: it was deleted after the page was opened"
REGISTER_DELETED_MEANWHILE = (
    "{register} no longer exists: it was deleted meanwhile, so nothing was saved"
)
REGISTER_SCHEME_OTHER_ORGANISATION = "the scheme belongs to another organisation"


@transaction.atomic
def organisation_create(
    *,
    slug: str,
    name: str,
    scheme: SchemeDefinition | None = None,
    scheme_name: str | None = None,
    appetite_preset: str = "orange_book",
    top_register_name: str | None = None,
    **fields,
) -> Organisation:
    """Create an organisation with its default scheme, appetite levels and top register.

    Without a scheme, the organisation starts on a plain 5x5 product scheme (the ESPO preset's
    scales) that its admin can replace with ``load_scheme --default``.
    """
    if Organisation.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"an organisation with slug {slug!r} already exists"})
    organisation = Organisation(slug=slug, name=name, **fields)
    # Proven here, so not asked of the database again (a query and a savepoint each, decision
    # 97): the slug is free (the query above), and each of Organisation's CheckConstraints
    # restates its field's validators or choices, which clean_fields checks in Python. The
    # database still enforces both; tests/registers/test_organisation_create_cost.py fails if a
    # constraint is added that no field check covers.
    organisation.full_clean(validate_unique=False, validate_constraints=False)
    organisation.save()
    if scheme is None:
        scheme, scheme_name = preset(DEFAULT_SCHEME_PRESET), scheme_name or DEFAULT_SCHEME_NAME
    scheme_save(organisation=organisation, definition=scheme, name=scheme_name, make_default=True)
    appetite_levels_install(organisation=organisation, preset=appetite_preset)
    register_create(
        organisation=organisation,
        slug=TOP_REGISTER_SLUG,
        name=top_register_name or f"{organisation.display_name} corporate risk register",
        level=RegisterLevel.CORPORATE,
    )
    return organisation


def register_tree_lock(organisation_id: int) -> None:
    """Lock the organisation's row for the rest of the transaction: the one lock every write to
    its register tree takes (a register added, changed, archived, brought back or deleted)
    before it reads the tree, so two such writes run one after the other and each checks the
    tree as the other left it (decisions 103, 108). Without it, two admins at the same moment
    could put A under B and B under A (a cycle: both vanish from the tree, roll-ups and packs),
    make a register under one being archived or deleted, or add two registers with one name or
    address. ``FOR NO KEY UPDATE``: it waits only for another tree write or an update of the
    organisation's row, never for the rows that merely point at the organisation (a risk, a
    membership, a history row), which take ``FOR KEY SHARE``. One short lock taken first,
    before any other row, so no deadlock with the register's own lock.
    """
    Organisation.objects.select_for_update(no_key=True, of=("self",)).only("pk").get(
        pk=organisation_id
    )


def register_parent_lock(parent: Register) -> Register:
    """``parent`` as it is now, its row locked (``FOR NO KEY UPDATE``) until the write commits:
    asked under the tree's lock by every write that puts a register under a parent. A parent
    deleted meanwhile (the Django admin deletes a register with nothing in or under it) is a
    refusal on ``parent``; one being deleted is waited for, then refused, where reading it
    unlocked saved the register under it and failed at commit on the foreign key (a 500)."""
    try:
        return Register.objects.select_for_update(no_key=True, of=("self",)).get(pk=parent.pk)
    except Register.DoesNotExist:
        raise ValidationError({"parent": REGISTER_PARENT_GONE}) from None


def register_row_lock(register: Register, registers=None) -> Register:
    """``register`` as it is now, from the locking queryset ``registers`` (by default its own row
    ``FOR UPDATE``), asked under the tree's lock by every write to a register. One deleted since
    the page was opened (the Django admin's delete) is a refusal, not a 500 (decision 108)."""
    if registers is None:
        registers = Register.objects.select_for_update(of=("self",))
    try:
        return registers.get(pk=register.pk)
    except Register.DoesNotExist:
        raise ValidationError(REGISTER_GONE) from None


def registers_key_share(registers: Iterable[Register]) -> dict[int, dt.datetime | None]:
    """Hold each of ``registers``' rows ``FOR KEY SHARE`` until the write commits, and say when
    each was archived (None: in use) as it is now; one of them deleted meanwhile is a refusal
    naming it. One query, the rows locked in the order of their ids.

    Taken by every write that makes a row point at a register it did not point at before (a risk
    created, imported or moved there, an escalation asked for, a pack requested or corrected, a
    spreadsheet uploaded or its import started, a limited coordinator granted it; decision
    112), before it writes. The database takes this lock anyway, but only at commit (Django's
    foreign keys are deferred): a register deleted in between made that write fail there, a
    500. Taken first, it waits for a delete holding the row (``register_delete``: the tree's
    lock, then the row ``FOR UPDATE``) and then finds the row gone; a delete arriving second
    waits for the write and then sees what it wrote, and refuses (or deletes it with the
    register: a file, an import job, a grant). ``FOR KEY SHARE`` conflicts with nothing
    else another write to risks takes, so risk writes never wait for each other here; only a
    change, archive or delete of the register itself (``FOR UPDATE``) waits for the write to
    commit (an import: a few seconds at most). Django has no ``key_share``: hence the SQL."""
    if not connection.in_atomic_block:
        # Unlike select_for_update, raw SQL outside a transaction raises nothing: the lock would
        # go at once, unseen, and the tests' own transaction would hide it (decision 112).
        raise transaction.TransactionManagementError(
            "registers_key_share holds rows until commit: call it in a transaction"
        )
    wanted = {register.pk: register for register in registers}
    if not wanted:
        return {}
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Register._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, archived_at FROM {table} WHERE id = ANY(%s::bigint[]) ORDER BY id FOR KEY SHARE",  # noqa: S608 (the model's own table name)
                [sorted(wanted)],
            )
            archived = dict(cursor.fetchall())
    else:  # the demo's SQLite: one writer at a time, no row locks to take
        archived = dict(
            Register.objects.filter(pk__in=wanted).values_list("pk", "archived_at").order_by()
        )
    for pk, register in wanted.items():
        if pk not in archived:
            raise ValidationError(REGISTER_DELETED_MEANWHILE.format(register=register.name))
    return archived


def refuse_archived_parent(parent: Register | None, *, register: Register | None = None) -> None:
    """Raise the rule's ValidationError on ``parent`` when it is archived and ``register`` (None:
    a new one, which is in use) is not: ``register_create`` asks it for every new register,
    ``registers_admin.register_change`` for a register moved. No query: ``parent`` as read."""
    if parent is None or parent.archived_at is None:
        return
    if register is None or register.archived_at is None:
        raise ValidationError({"parent": PARENT_ARCHIVED_CHOICE.format(parent=parent.name)})


@transaction.atomic
def register_create(
    *,
    organisation: Organisation,
    name: str,
    slug: str = "",
    level: str = RegisterLevel.CORPORATE,
    parent: Register | None = None,
    review_months: int | None = None,
    scheme=None,
    description: str = "",
    by=None,
    reason: str | None = None,
) -> Register:
    """Create a register and give the organisation's coordinators their grant on it; ``by`` and
    ``reason`` go into its first history row (the settings page passes them; the command and
    seeding leave them to the request, if any). Its name is held to ``register_names``' rule
    (not another register's), its address to ``register_slugs``' (not another register's,
    current or old; not "new"; blank: made from the name), and it is in use, so never under an
    archived register (``register_archive``'s rule), whoever asks."""
    if parent is not None and parent.organisation_id != organisation.id:
        raise ValidationError({"parent": REGISTER_PARENT_OTHER_ORGANISATION})
    if scheme is not None and scheme.organisation_id != organisation.id:
        raise ValidationError({"scheme": REGISTER_SCHEME_OTHER_ORGANISATION})
    # The tree's lock, a top register too (decision 108): the name and the address are checked
    # under it, so of two registers added at the same moment with one name or address the
    # second is refused with the rule's words (no constraint holds names; the address's is a
    # 500 at save). Then the parent as it is now.
    register_tree_lock(organisation.id)
    if parent is not None:
        parent = register_parent_lock(parent)
    refuse_archived_parent(parent)
    name = register_name_clean(organisation=organisation, name=name)
    slug = (slug or "").strip()
    if slug:
        slug = register_slug_clean(organisation=organisation, slug=slug)
    else:
        slug = register_slug_from_name(organisation, name)
    register = Register(
        organisation=organisation,
        slug=slug,
        name=name,
        level=level,
        parent=parent,
        review_months=review_months,
        scheme=scheme,
        description=description,
    )
    # Proven here, so not asked of the database again (decision 97): the slug is free in the
    # organisation (checked above), the level and review period are checked by their fields'
    # choices and validators, and an unsaved register cannot be its own parent.
    register.full_clean(validate_constraints=False)
    if by is not None:
        register._history_user = by
    if reason:
        register._change_reason = reason
    register.save()
    permissions.register_grant_defaults(register)
    return register


@transaction.atomic
def member_add(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    password: str | None = None,
    full_name: str = "",
    job_title: str = "",
    password_hash: str | None = None,
    added_by=None,
    notify: bool = True,
) -> Membership:
    """Add a person to an organisation with a role, creating their account if it is new.

    An existing member's role is changed. An existing account is the person's own: the
    organisation gets a membership, never a say over the account (its name, password and flags
    stay as they are), and the person is told by e-mail who added them, where, and as what.
    Only a password given here (the ``add_member --password`` command, run by whoever runs the
    server) changes an existing account's password, and the security log records it.
    Organisation admins reach the scoped admin by their membership (``riskreg.admin_site``), so
    no account flag is set for them.
    """
    if role not in Role.values:
        raise ValidationError({"role": f"unknown role {role!r}; roles: {', '.join(Role.values)}"})
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": f"{email!r} is not a valid e-mail address"}) from None
    user_model = get_user_model()
    user = user_model.objects.filter(email__iexact=email).first()
    if password:
        password_validation.validate_password(
            password, user or user_model(email=email, full_name=full_name)
        )
    if user is None:
        user = user_model(email=email, full_name=full_name, job_title=job_title)
        if password_hash:
            user.password = password_hash
        elif password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        sign_in_address_add(user=user, new_account=True)
        existing_account = False
    else:
        existing_account = True
        if password:
            user.set_password(password)
            user.save(update_fields=["password"])
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": role}
    )
    if created and existing_account and notify:
        membership_added_notify(membership=membership, added_by=added_by)
    if not created and membership.role != role:
        return membership_change(membership=membership, role=role)
    permissions.membership_sync(membership)
    return membership


@transaction.atomic
def membership_change(
    *, membership: Membership, role: str, registers_limited: bool | None = None
) -> Membership:
    """Change a member's role (and whether a coordinator is limited to granted registers)."""
    if role not in Role.values:
        raise ValidationError({"role": f"unknown role {role!r}; roles: {', '.join(Role.values)}"})
    _keep_an_admin(membership, new_role=role)
    membership.role = role
    if registers_limited is not None:
        membership.registers_limited = registers_limited
    membership._change_reason = f"role changed to {role}"
    membership.save(update_fields=["role", "registers_limited"])
    permissions.membership_sync(membership)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Remove a member: their role, group and per-register grants in this organisation go."""
    _keep_an_admin(membership, new_role=None)
    organisation, user = membership.organisation, membership.user
    for register in permissions.registers_granted(user=user, organisation=organisation):
        permissions.register_revoke(user=user, register=register)
    membership.role = Role.VIEWER  # so the sync takes them out of the coordinator group
    permissions.membership_sync(membership)
    membership.delete()


def role_words(role: str, *, registers_limited: bool = False) -> str:
    """The role as a sentence says it, with its article: "a viewer", "an organisation admin"."""
    if role == Role.COORDINATOR and registers_limited:
        text = "risk coordinator for some registers"
    else:
        text = Role(role).label.lower()
    return ("an " if text[0] in "aeiou" else "a ") + text


def membership_added_notify(*, membership: Membership, added_by=None) -> None:
    """Tell the holder of an existing account that an organisation added them (no link to
    accept: they are a member already), by the queue once the transaction commits; a send that
    fails is retried by the task and never undoes the membership."""
    organisation = membership.organisation
    context = {
        "membership": membership,
        "organisation": organisation,
        "role": membership.get_role_display(),
        "role_words": role_words(membership.role, registers_limited=membership.registers_limited),
        "added_by": added_by,
        "organisation_url": mail.absolute(reverse("organisation", args=[organisation.slug])),
    }
    mail.send_later(
        subject=f"You have been added to {organisation.display_name} on riskreg",
        text=render_to_string("registers/email/membership_added.txt", context),
        html=render_to_string("registers/email/membership_added.html", context),
        to=[membership.user.email],
    )


def _keep_an_admin(membership: Membership, *, new_role: str | None) -> None:
    """An organisation always keeps at least one admin."""
    if membership.role != Role.ADMIN or new_role == Role.ADMIN:
        return
    others = Membership.objects.filter(organisation=membership.organisation, role=Role.ADMIN)
    if not others.exclude(pk=membership.pk).exists():
        raise ValidationError(
            f"{membership.user.email} is the last admin of "
            f"{membership.organisation.display_name}; make someone else admin first"
        )
