"""A register's address (its slug, ``/o/<org>/registers/<slug>/``): the one rule every path that
creates a register or changes its address goes through (the settings pages' ``register_add`` and
``register_change``, ``register_create`` under ``create_org``, ``create_register`` and seeding,
and the scoped Django admin).

When an address changes, the old one is kept (``RegisterSlug``) and old links redirect to the new
address. Decision: an old slug stays reserved for its register while it redirects, so an old
bookmark never silently opens a different register: no other register may take it; the register
itself may take it back (it then stops being an old one, and the address it leaves becomes one).
"new" is never an address: it is the page that adds a register.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F, Value
from django.utils.text import slugify

from ..models import Organisation, Register, RegisterSlug

SLUG_MAX_LENGTH = Register._meta.get_field("slug").max_length

REGISTER_SLUG_INVALID = (
    "the address can have only lower-case letters, numbers and hyphens (like finance-risks)"
)
REGISTER_SLUG_TAKEN = "{register} already has the address {slug}: choose another"
REGISTER_SLUG_OLD = (
    "{slug} was the address of {register} until it changed, and old links to it still lead "
    "there: choose another"
)
# "new" is the address of the page that adds a register (/o/<org>/settings/registers/new/).
RESERVED_SLUGS = frozenset({"new"})
REGISTER_SLUG_RESERVED = "{slug} cannot be a register's address: choose another"


def register_slug_problem(
    organisation: Organisation, slug: str, *, register: Register | None
) -> str | None:
    """Why ``slug`` (well formed) cannot be the address of ``register`` (None: a new one) in
    ``organisation``, or None when it can."""
    if slug in RESERVED_SLUGS:
        return REGISTER_SLUG_RESERVED.format(slug=slug)
    pk = getattr(register, "pk", None)
    # One query: the register that has the address now, else one that had it (both, only for
    # an address taken before every path kept this rule). Each part without its model's default
    # ordering: SQLite (the demo's database) allows no ORDER BY inside a compound statement.
    now = (
        Register.objects.filter(organisation=organisation, slug=slug)
        .order_by()
        .exclude(pk=pk)
        .annotate(holder=F("name"), old=Value(False))
        .values_list("holder", "old")
    )
    before = (
        RegisterSlug.objects.filter(organisation=organisation, slug=slug)
        .order_by()
        .exclude(register_id=pk)
        .annotate(holder=F("register__name"), old=Value(True))
        .values_list("holder", "old")
    )
    found = list(now.union(before, all=True).order_by("old")[:1])
    if not found:
        return None
    holder, old = found[0]
    template = REGISTER_SLUG_OLD if old else REGISTER_SLUG_TAKEN
    return template.format(slug=slug, register=holder)


def register_slug_valid(slug: str) -> bool:
    """Whether ``slug`` has the shape of an address (lower-case letters, digits, hyphens)."""
    return bool(slug) and len(slug) <= SLUG_MAX_LENGTH and slugify(slug) == slug


def register_slug_clean(
    *, organisation: Organisation, slug: str, register: Register | None = None
) -> str:
    """``slug`` without surrounding spaces if it can be the register's address;
    ``ValidationError({"slug": why})`` otherwise."""
    slug = (slug or "").strip()
    if not register_slug_valid(slug):
        raise ValidationError({"slug": REGISTER_SLUG_INVALID})
    problem = register_slug_problem(organisation, slug, register=register)
    if problem:
        raise ValidationError({"slug": problem})
    return slug


def register_slug_from_name(organisation: Organisation, name: str) -> str:
    """The name as an address, numbered (-2, -3 ...) past any taken, old or reserved one."""
    base = slugify(name)[:SLUG_MAX_LENGTH].strip("-") or "register"
    slug, n = base, 1
    while register_slug_problem(organisation, slug, register=None):
        n += 1
        suffix = f"-{n}"
        slug = base[: SLUG_MAX_LENGTH - len(suffix)].rstrip("-") + suffix
    return slug


def register_slug_change(*, register: Register, slug: str) -> bool:
    """Give the saved ``register`` the address ``slug``, under the rule: the address it had (as
    stored, read locked) starts redirecting, ``slug`` stops being one of its old addresses, and
    ``register.slug`` is set. The caller saves the register in the same transaction (the
    settings page's ``register_change`` and the admin's save both run in one). True when the
    address changed; ``ValidationError({"slug": why})`` when ``slug`` cannot be it."""
    stored = Register.objects.select_for_update().only("slug", "organisation").get(pk=register.pk)
    slug = register_slug_clean(organisation=register.organisation, slug=slug, register=register)
    register.slug = slug
    if slug == stored.slug:
        return False
    RegisterSlug.objects.filter(register=register, slug=slug).delete()
    RegisterSlug.objects.create(
        organisation_id=stored.organisation_id, register=register, slug=stored.slug
    )
    return True
