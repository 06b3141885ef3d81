"""An organisation admin's changes to its registers: add one (``register_add``, over
``organisations.register_create``, which the ``create_register`` command uses too) and change
one's name, address (slug), place in the tree, level and review period (``register_change``).
Every change is kept by django-simple-history with who made it (``by``) and why (the reason
written here). The settings pages and the scoped Django admin both write through these, so
their rules cannot differ; the admin's form asks ``register_add_check`` and
``register_change_check`` (the same checks, nothing written) to show a refusal beside its field.

A register's slug is its address (``/o/<org>/registers/<slug>/``); the rule on it (an old slug
stays reserved for its register while it redirects, "new" is never one) is
``registers.services.register_slugs``, which every path that creates a register or changes its
address goes through.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Membership, Organisation, Register, RegisterLevel
from ..permissions import RISK_OWNER_ROLES
from .organisations import (
    REGISTER_PARENT_OTHER_ORGANISATION,
    REGISTER_SCHEME_OTHER_ORGANISATION,
    refuse_archived_parent,
    register_create,
    register_parent_lock,
    register_row_lock,
    register_tree_lock,
)
from .register_names import (  # noqa: F401  the rule's messages, as the pages and tests name them
    NAME_MAX_LENGTH,
    REGISTER_NAME_REQUIRED,
    REGISTER_NAME_TAKEN,
    REGISTER_NAME_TOO_LONG,
    register_name_clean,
)
from .register_slugs import (  # noqa: F401  the rule's messages, as the pages and tests name them
    REGISTER_SLUG_INVALID,
    REGISTER_SLUG_OLD,
    REGISTER_SLUG_RESERVED,
    REGISTER_SLUG_TAKEN,
    RESERVED_SLUGS,
    SLUG_MAX_LENGTH,
    register_slug_change,
    register_slug_clean,
    register_slug_from_name,
)

REVIEW_MONTHS_MAX = 60

REGISTER_LEVEL_UNKNOWN = "choose one of the levels: {levels}"
REGISTER_REVIEW_MONTHS_RANGE = (
    f"the review period is a whole number of months from 1 to {REVIEW_MONTHS_MAX}, or blank"
)
REGISTER_PARENT_ITSELF = "a register cannot sit under itself"
REGISTER_PARENT_BELOW = (
    "{parent} is below {name}: a register cannot sit under one of the registers below it"
)

# History reasons.
ADDED_REASON = "added"
RENAMED_REASON = "renamed from {old}"
SLUG_CHANGED_REASON = "address changed from {old} to {new}"
MOVED_REASON = "moved under {parent}"
MOVED_TOP_REASON = "moved to the top level"
LEVEL_REASON = "level set to {level}"
REVIEW_MONTHS_REASON = "review period set to {months} months"
REVIEW_MONTHS_BAND_REASON = "review period left to each rating's band"
DESCRIPTION_REASON = "description changed"
SCHEME_REASON = "scoring scheme set to {scheme}"
SCHEME_DEFAULT_REASON = "scoring scheme: the organisation's default"
SIGN_OFF_ON_REASON = "reviews need sign-off"
SIGN_OFF_OFF_REASON = "reviews no longer need sign-off"
APPROVERS_REASON = "named approvers: {names}"
APPROVERS_NONE_REASON = "no named approvers"
# Named approvers sign off updates of risks: members whose role can own a risk (issue 17).
APPROVER_NOT_ALLOWED = (
    "{name} cannot be a named approver: only members who can own risks (admins, coordinators "
    "and risk owners) can"
)


# ``register_change``'s ``scheme`` when the register's scheme override is left as it is (None
# is a change: back to the organisation's default scheme).
UNCHANGED = object()

# simple-history keeps reasons of at most 100 characters; a long name is cut.
REASON_MAX_LENGTH = 100


def _short(reason: str) -> str:
    return reason if len(reason) <= REASON_MAX_LENGTH else reason[: REASON_MAX_LENGTH - 1] + "…"


def _check_level(level: str) -> str:
    if level not in RegisterLevel.values:
        levels = ", ".join(str(label) for label in RegisterLevel.labels)
        raise ValidationError({"level": REGISTER_LEVEL_UNKNOWN.format(levels=levels)})
    return level


def _check_review_months(months) -> int | None:
    if months is None:
        return None
    if isinstance(months, bool) or not isinstance(months, int):
        raise ValidationError({"review_months": REGISTER_REVIEW_MONTHS_RANGE})
    if not 1 <= months <= REVIEW_MONTHS_MAX:
        raise ValidationError({"review_months": REGISTER_REVIEW_MONTHS_RANGE})
    return months


def _check_parent(
    organisation: Organisation, parent: Register | None, *, register: Register | None, name: str
) -> None:
    """The parent is the organisation's, and (for an existing register) neither the register
    itself nor any register below it: registers form a tree, never a cycle."""
    if parent is None:
        return
    if parent.organisation_id != organisation.id:
        raise ValidationError({"parent": REGISTER_PARENT_OTHER_ORGANISATION})
    # A register in use never sits under an archived one (register_create asks it too, for
    # every path that makes a register; here for a change, and before the add's other checks).
    refuse_archived_parent(parent, register=register)
    if register is None:
        return
    if parent.pk == register.pk:
        raise ValidationError({"parent": REGISTER_PARENT_ITSELF})
    parent_of = dict(
        Register.objects.filter(organisation=organisation).values_list("id", "parent_id")
    )
    seen, current = set(), parent.pk
    while current is not None and current not in seen:
        if current == register.pk:
            raise ValidationError(
                {"parent": REGISTER_PARENT_BELOW.format(parent=parent.name, name=name)}
            )
        seen.add(current)
        current = parent_of.get(current)


def _check_scheme(organisation: Organisation, scheme) -> None:
    if scheme is not None and scheme.organisation_id != organisation.id:
        raise ValidationError({"scheme": REGISTER_SCHEME_OTHER_ORGANISATION})


def register_add_check(
    *,
    organisation: Organisation,
    name: str,
    slug: str,
    level: str,
    parent: Register | None,
    review_months: int | None,
    scheme=None,
) -> None:
    """What ``register_add`` would refuse (``ValidationError`` naming the field), without
    writing: for a form that must show the refusal beside its field before it saves."""
    name = register_name_clean(organisation=organisation, name=name)
    if (slug or "").strip():
        register_slug_clean(organisation=organisation, slug=slug)
    _check_level(level)
    _check_review_months(review_months)
    _check_parent(organisation, parent, register=None, name=name)
    _check_scheme(organisation, scheme)


@transaction.atomic
def register_add(
    *,
    organisation: Organisation,
    name: str,
    slug: str = "",
    level: str = RegisterLevel.DIRECTORATE,
    parent: Register | None = None,
    review_months: int | None = None,
    scheme=None,
    description: str = "",
    by,
    reason: str = ADDED_REASON,
) -> Register:
    """Add a register. Without a slug, its address is made from its name. A new register is in
    use (archive it with ``register_archive``) and its reviews need no sign-off until a change
    says so."""
    # register_create checks the name, the address (or makes it from the name) and the parent
    # under the tree's lock (decision 108): checked here, they could be taken meanwhile.
    level = _check_level(level)
    review_months = _check_review_months(review_months)
    return register_create(
        organisation=organisation,
        slug=slug,
        name=name,
        level=level,
        parent=parent,
        review_months=review_months,
        scheme=scheme,
        description=description,
        by=by,
        reason=reason,
    )


def _change_checked(
    register: Register,
    *,
    name: str,
    slug: str,
    level: str,
    parent: Register | None,
    review_months: int | None,
    scheme,
    sign_off_approvers: Iterable | None,
    address,
) -> dict:
    """The change's values, checked in the order the form shows them; ``address`` is the
    slug rule (``register_slug_clean``'s check, or ``register_slug_change``'s write)."""
    organisation = register.organisation
    name = register_name_clean(organisation=organisation, name=name, register=register)
    slug = address(slug)
    level = _check_level(level)
    review_months = _check_review_months(review_months)
    _check_parent(organisation, parent, register=register, name=name)
    if scheme is not UNCHANGED:
        _check_scheme(organisation, scheme)
    approvers = (
        _check_approvers(organisation, sign_off_approvers)
        if sign_off_approvers is not None
        else None
    )
    return {
        "name": name,
        "slug": slug,
        "level": level,
        "review_months": review_months,
        "approvers": approvers,
    }


def register_change_check(
    *,
    register: Register,
    name: str,
    slug: str,
    level: str,
    parent: Register | None,
    review_months: int | None,
    scheme=UNCHANGED,
    sign_off_approvers: Iterable | None = None,
) -> None:
    """What ``register_change`` would refuse (``ValidationError`` naming the field), without
    writing: for a form that must show the refusal beside its field before it saves."""
    _change_checked(
        register,
        name=name,
        slug=slug,
        level=level,
        parent=parent,
        review_months=review_months,
        scheme=scheme,
        sign_off_approvers=sign_off_approvers,
        address=lambda slug: register_slug_clean(
            organisation=register.organisation, slug=slug, register=register
        ),
    )


@transaction.atomic
def register_change(
    *,
    register: Register,
    name: str,
    slug: str,
    level: str,
    parent: Register | None,
    review_months: int | None,
    by,
    sign_off_required: bool | None = None,
    sign_off_approvers: Iterable | None = None,
    description: str | None = None,
    scheme=UNCHANGED,
) -> Register:
    """Change a register's name, address, parent, level and review period, and (when given)
    whether reviews need sign-off, who its named approvers are, its description and its scoring
    scheme override (None: the organisation's default); one history entry saying what changed.
    Returns the register (unsaved when nothing changed). Archiving is ``register_archive``'s."""
    # The tree's lock first (before the register's own), then the tree and the parent as they
    # are now (the parent locked, or refused if deleted): checked against another admin's move,
    # archive or delete, not what the form read.
    register_tree_lock(register.organisation_id)
    register = register_row_lock(register, Register.objects.select_for_update())
    if parent is not None:
        parent = register_parent_lock(parent)
    old_slug = register.slug
    slug_changed = False

    def address(slug: str) -> str:
        # The rule; the address it leaves starts redirecting (saved below, in this transaction).
        nonlocal slug_changed
        slug_changed = register_slug_change(register=register, slug=slug)
        return register.slug

    checked = _change_checked(
        register,
        name=name,
        slug=slug,
        level=level,
        parent=parent,
        review_months=review_months,
        scheme=scheme,
        sign_off_approvers=sign_off_approvers,
        address=address,
    )
    name, slug, level = checked["name"], checked["slug"], checked["level"]
    review_months, approvers = checked["review_months"], checked["approvers"]

    reasons = []
    if name != register.name:
        reasons.append(RENAMED_REASON.format(old=register.name))
    if slug_changed:
        reasons.append(SLUG_CHANGED_REASON.format(old=old_slug, new=slug))
    parent_id = parent.pk if parent is not None else None
    if parent_id != register.parent_id:
        reasons.append(MOVED_REASON.format(parent=parent.name) if parent else MOVED_TOP_REASON)
    if level != register.level:
        reasons.append(LEVEL_REASON.format(level=RegisterLevel(level).label))
    if review_months != register.review_months:
        reasons.append(
            REVIEW_MONTHS_REASON.format(months=review_months)
            if review_months is not None
            else REVIEW_MONTHS_BAND_REASON
        )
    if description is not None and description != register.description:
        reasons.append(DESCRIPTION_REASON)
        register.description = description
    scheme_id = getattr(scheme, "pk", None)
    if scheme is not UNCHANGED and scheme_id != register.scheme_id:
        reasons.append(
            SCHEME_REASON.format(scheme=scheme.name) if scheme else SCHEME_DEFAULT_REASON
        )
        register.scheme = scheme
    if sign_off_required is not None and sign_off_required != register.sign_off_required:
        reasons.append(SIGN_OFF_ON_REASON if sign_off_required else SIGN_OFF_OFF_REASON)
        register.sign_off_required = sign_off_required
    if approvers is not None:
        before = set(register.sign_off_approvers.values_list("pk", flat=True))
        if {user.pk for user in approvers} != before:
            names = ", ".join(_person(user) for user in approvers)
            reasons.append(
                APPROVERS_REASON.format(names=names) if approvers else APPROVERS_NONE_REASON
            )
            register.sign_off_approvers.set(approvers)
    if not reasons:
        return register
    register.name, register.slug, register.level = name, slug, level
    register.parent, register.review_months = parent, review_months
    register.full_clean(validate_unique=False, validate_constraints=False)
    register._change_reason = _short("; ".join(reasons))
    register._history_user = by
    register.save()
    return register


def _person(user) -> str:
    return getattr(user, "display_name", None) or user.get_full_name() or user.email


def _check_approvers(organisation: Organisation, users: Iterable) -> list:
    """The named approvers, each a member of the organisation with a role that can own risks."""
    users = list(users)
    roles = dict(
        Membership.objects.filter(
            organisation=organisation, user_id__in=[user.pk for user in users]
        ).values_list("user_id", "role")
    )
    for user in users:
        if roles.get(user.pk) not in RISK_OWNER_ROLES:
            raise ValidationError(
                {"sign_off_approvers": APPROVER_NOT_ALLOWED.format(name=_person(user))}
            )
    return sorted(users, key=lambda user: _person(user).lower())
