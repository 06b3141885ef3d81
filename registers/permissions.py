"""The one place that decides what a user can reach and do, and the only module that calls
django-guardian.

Reads: every tenant object is fetched through the ``*_for_user`` functions; anything outside the
user's memberships is a 404, so nobody learns that another organisation's register or risk exists
by guessing a slug or ref. Writes: views ask an ``OrganisationAccess`` (``can_edit_risk`` ...) and
answer 403 when a member tries what their role does not allow.

Who may do what:

- admin: everything in the organisation, including members and per-register grants, and
  invites people in any role;
- coordinator: edits every register, or, with ``registers_limited``, only registers granted to
  them (guardian ``edit_register`` on the register, to the user); unlimited coordinators get the
  grant through the organisation's coordinator group, which holds it on every register;
  invites risk owners and viewers (``INVITABLE_ROLES``);
- owner (risk owner or manager): edits and reviews the risks they own or manage;
- anyone but viewers and panel members: updates the actions they own;
- viewer, panel: read only (panel members also download report packs).

Guardian is always asked with ``accept_global_perms=False`` and ``with_superuser=False``, so a
global grant or a superuser flag never crosses organisations.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import cached_property
from typing import NoReturn

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import (
    assign_perm,
    get_objects_for_user,
    get_users_with_perms,
    remove_perm,
)

from scoring.models import Scheme

from .models import (
    AcceptanceAuthority,
    Action,
    Category,
    Control,
    Indicator,
    Invitation,
    Marking,
    Membership,
    Notice,
    Objective,
    Organisation,
    Register,
    RegisterGroupObjectPermission,
    RegisterUserObjectPermission,
    Review,
    Risk,
    RiskStatus,
    Role,
)
from .models.comments import Comment
from .prepared import prepared_list

EDIT_REGISTER = "registers.edit_register"
# The roles by what they allow, named once: services, forms, views and reporting import these.
READ_ONLY_ROLES = frozenset({Role.VIEWER, Role.PANEL})
# Run the registers: request report packs, get the coordinators' reminders.
COORDINATOR_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})
# Read a risk's comments but never write them (decision on who may comment, issue 17).
COMMENT_READ_ONLY_ROLES = frozenset({Role.PANEL})
# How long the author may still change a comment after writing it.
COMMENT_EDIT_WINDOW = dt.timedelta(minutes=15)
# Always cleared for OFFICIAL-SENSITIVE detail (decision 12); others when an admin clears them.
CLEARED_ROLES = COORDINATOR_ROLES
# Cleared for OFFICIAL-SENSITIVE one by one, by an admin.
CLEARABLE_ROLES = frozenset({Role.VIEWER, Role.PANEL, Role.OWNER})
# Everyone but viewers and panel members can own a risk, control or action.
RISK_OWNER_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.OWNER})
# Who may invite whom (issue 14): an admin any role; a risk coordinator owners and viewers only,
# so nobody can hand out more than the running of the registers they already have.
INVITABLE_ROLES = {
    Role.ADMIN: frozenset(Role.values),
    Role.COORDINATOR: frozenset({Role.OWNER, Role.VIEWER}),
}
# Every refusal decided here (a 404) is logged, at WARNING, with the user's id, the organisation
# and what was asked for by its identifier (a slug, ref or pk; never a risk's text). 403s raised
# by views are logged by riskreg.security.RefusalLogMiddleware on the same logger.
security_log = logging.getLogger("riskreg.security")


def log_refusal(user, organisation: str, what: str) -> None:
    """Log a 404 refusal decided by an access function (here, or one for another app's
    objects, such as report packs)."""
    user_id = getattr(user, "pk", None) or "-"
    security_log.warning("refused: user=%s organisation=%s: %s", user_id, organisation, what)


_refused = log_refusal


class OrganisationAccess:
    """A member's standing in one organisation, with the checks every view uses."""

    def __init__(self, organisation: Organisation, membership: Membership):
        self.organisation = organisation
        self.membership = membership
        self.user = membership.user

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_read_only(self) -> bool:
        return self.role in READ_ONLY_ROLES

    @property
    def can_manage_members(self) -> bool:
        return self.is_admin

    @property
    def can_require_second_factor(self) -> bool:
        """Choose who in the organisation must sign in with a second factor."""
        return self.is_admin

    @property
    def can_reset_second_factors(self) -> bool:
        """Reset a member's second factor (a lost phone): the organisation's admins, and
        superusers among its members. Whose may be reset is the service's rule (an admin may not
        reset a superuser's)."""
        return self.is_admin or self.user.is_superuser

    @property
    def invitable_roles(self) -> frozenset[str]:
        """The roles this member may invite people as (empty: they invite nobody)."""
        return INVITABLE_ROLES.get(self.role, frozenset())

    @property
    def can_invite(self) -> bool:
        """Invite people, and resend or withdraw invitations (of the roles they may invite)."""
        return bool(self.invitable_roles)

    def can_invite_role(self, role: str) -> bool:
        return role in self.invitable_roles

    @property
    def can_edit_registers(self) -> bool:
        """Edits at least one register (shows the coordinator tools)."""
        return bool(self.editable_register_ids)

    @cached_property
    def editable_register_ids(self) -> frozenset[int]:
        """The registers whose risks this member edits. Never an archived register: every
        write to a risk is refused there, whoever asks (``archived_register_ids``)."""
        if self.is_admin:
            states = prepared_list(
                "register_states", _register_states, organisation_id=self.organisation.id
            )
            # The same read answers which are archived: no second query for admins.
            self.__dict__["archived_register_ids"] = frozenset(
                pk for pk, archived_at in states if archived_at is not None
            )
            return frozenset(pk for pk, archived_at in states if archived_at is None)
        if self.role != Role.COORDINATOR:
            return frozenset()
        # klass the model, then the filter: given a queryset, guardian first lists its ids (once
        # for the person's grants, once for their groups'): two queries more for the same answer.
        granted = get_objects_for_user(
            self.user,
            EDIT_REGISTER,
            klass=Register,
            accept_global_perms=False,
            with_superuser=False,
        ).filter(organisation=self.organisation, archived_at__isnull=True)
        return frozenset(granted.values_list("id", flat=True))

    @cached_property
    def archived_register_ids(self) -> frozenset[int]:
        """The organisation's archived registers (read-only for everyone). One query, asked
        only when an owner's or action owner's own standing decides."""
        return frozenset(
            Register.objects.filter(
                organisation=self.organisation, archived_at__isnull=False
            ).values_list("id", flat=True)
        )

    def can_edit_register(self, register: Register) -> bool:
        return register.organisation_id == self.organisation.id and (
            register.id in self.editable_register_ids
        )

    def can_edit_risk(self, risk: Risk) -> bool:
        """Edit fields, re-score, manage controls and actions, close and reopen. Never a risk
        on an archived register."""
        if risk.organisation_id != self.organisation.id:
            return False
        if risk.register_id in self.editable_register_ids:
            return True
        if self.role not in RISK_OWNER_ROLES or self.user.id not in (
            risk.owner_id,
            risk.manager_id,
        ):
            return False
        return not self._risk_archived(risk)

    def can_review_risk(self, risk: Risk) -> bool:
        return self.can_edit_risk(risk)

    # --- sign-off of reviews (issue 17; docs/decisions.md, sign-off) ---

    @cached_property
    def named_approver_register_ids(self) -> frozenset[int]:
        """The registers naming this member as an approver of updates (one query, asked only
        where sign-off is in question). Named approvers count only while their role can own
        risks: a viewer or panel member, even if named, signs off nothing."""
        if self.role not in RISK_OWNER_ROLES:
            return frozenset()
        return frozenset(
            Register.sign_off_approvers.through.objects.filter(
                user_id=self.user.id, register__organisation_id=self.organisation.id
            ).values_list("register_id", flat=True)
        )

    def can_sign_off_register(self, register: Register) -> bool:
        """Sign off (or send back) updates of the register's risks: the coordinators who edit
        it, admins, and its named approvers. Never on an archived register."""
        if register.organisation_id != self.organisation.id or register.archived_at is not None:
            return False
        return self.can_edit_register(register) or register.id in self.named_approver_register_ids

    def can_sign_off(self, risk: Risk) -> bool:
        """Sign off, or send back, an update of ``risk`` awaiting sign-off."""
        return risk.organisation_id == self.organisation.id and self.can_sign_off_register(
            risk.register
        )

    @property
    def sign_off_register_ids(self) -> frozenset[int]:
        """Every register whose updates this member may sign off (archived ones left out)."""
        named = self.named_approver_register_ids
        if named:  # the archived ones asked only then (editable ones are never archived)
            named -= self.archived_register_ids
        return self.editable_register_ids | named

    def can_update_action(self, action: Action) -> bool:
        """Change an action: whoever may edit its risk (every field), or its owner (status and
        progress). Only someone who may read the risk's OFFICIAL-SENSITIVE detail: the edit form,
        the row it answers with and a conflict's other values are that detail, so an uncleared
        action owner reads the action as withheld and changes nothing (nobody writes what they
        may not read, as the API already refused). Never on an archived register."""
        if action.organisation_id != self.organisation.id:
            return False
        if not self.can_see_sensitive(action.risk):
            return False
        if self.can_edit_risk(action.risk):
            return True
        if self.is_read_only or action.owner_id != self.user.id:
            return False
        return not self._risk_archived(action.risk)

    def can_update_control(self, control: Control) -> bool:
        """Change a control: whoever may edit its risk (who may always read its detail: its
        owner, manager and coordinators). A control's own owner changes nothing through it."""
        return self.can_see_sensitive(control.risk) and self.can_edit_risk(control.risk)

    # --- assurance evidence (issue 18) ---

    def can_add_evidence(self, risk: Risk, *, action=None, review=None) -> bool:
        """Attach evidence to ``risk`` or one of its controls: whoever may edit the risk; to an
        action, also its owner; to a review, also its author. Only those who may read the
        risk's detail (OFFICIAL-SENSITIVE), never on an archived register."""
        if risk.organisation_id != self.organisation.id or not self.can_see_sensitive(risk):
            return False
        if self.can_edit_risk(risk):
            return True
        if self.is_read_only or self._risk_archived(risk):
            return False
        if action is not None:
            return action.owner_id == self.user.id
        if review is not None:
            return review.reviewed_by_id == self.user.id
        return False

    def can_delete_evidence(self, evidence) -> bool:
        """Delete evidence: whoever may edit its risk, or its uploader while they may still add
        evidence there."""
        risk = evidence.risk
        if evidence.deleted_at is not None or risk.organisation_id != self.organisation.id:
            return False
        if self.can_edit_risk(risk) and self.can_see_sensitive(risk):
            return True
        return evidence.uploaded_by_id == self.user.id and self.can_add_evidence(
            risk, action=evidence.action, review=evidence.review
        )

    def can_edit_indicators(self, risk: Risk) -> bool:
        """Add, change and retire a risk's key risk indicators (issue 18)."""
        return self.can_edit_risk(risk)

    def can_record_reading(self, indicator: Indicator) -> bool:
        """Record a reading: the indicator's owner, or whoever may edit its risk (its owner or
        manager, the coordinators of its register). Never on a retired indicator or an
        archived register. Only someone who may read the risk's OFFICIAL-SENSITIVE detail
        (an indicator's name and readings are that detail)."""
        risk = indicator.risk
        if indicator.organisation_id != self.organisation.id or indicator.retired_at is not None:
            return False
        if not self.can_see_sensitive(risk):
            return False
        if self.can_edit_risk(risk):
            return True
        if self.is_read_only or indicator.owner_id != self.user.id:
            return False
        return not self._risk_archived(risk)

    @property
    def can_manage_appetite(self) -> bool:
        return self.is_admin

    @property
    def can_manage_categories(self) -> bool:
        """Add, rename, reorder, retire and merge categories and objectives."""
        return self.is_admin

    @property
    def can_manage_registers(self) -> bool:
        """Create registers, rename them, move them in the tree, set their level and review
        period, archive them and bring them back, choose which registers packs cover."""
        return self.is_admin

    @property
    def is_cleared(self) -> bool:
        """Cleared for every OFFICIAL-SENSITIVE risk of the organisation: admins and coordinators
        always, anyone else when an admin has cleared their membership."""
        return self.role in CLEARED_ROLES or self.membership.sensitive_access

    @property
    def can_read_full_packs(self) -> bool:
        """Full-edition packs carry every risk's detail, so only cleared people see, download or
        request them; everyone else gets the public edition."""
        return self.is_cleared

    def can_see_sensitive(self, risk) -> bool:
        """OFFICIAL-SENSITIVE detail: admins, coordinators, the risk's owner and manager, and
        members whose membership is cleared for it.

        Judged by the risk's marking, owner and manager TODAY, always: ``risk`` may be a live
        risk or a historical record of one (the register or an export as it stood), and a
        record written while the risk was OFFICIAL is withheld once the risk is marked."""
        if self.is_cleared:
            return True
        if isinstance(risk, Risk):  # a live row: its marking and people are today's
            if risk.marking != Marking.OFFICIAL_SENSITIVE:
                return True
            return self.user.id in (risk.owner_id, risk.manager_id)
        return risk.id not in self.withheld_risk_ids

    @cached_property
    def withheld_risk_ids(self) -> frozenset[int]:
        """Ids of the organisation's risks whose detail this member may not read: marked
        OFFICIAL-SENSITIVE today (a deleted risk by its last record) and neither owned nor
        managed by them. Empty, with no query, for cleared members."""
        if self.is_cleared:
            return frozenset()
        return sensitive_risk_ids(self.organisation, except_for=self.user)

    @cached_property
    def is_named_approver(self) -> bool:
        """Named by an admin as someone who may accept risks above tolerance. One query, asked
        only when a risk's acceptance is in question, and none when the membership was read
        with it (``memberships_for_user``)."""
        named = getattr(self.membership, "named_acceptance_approver", None)
        if named is not None:
            return named
        return self.organisation.acceptance_approvers.filter(pk=self.user.pk).exists()

    @property
    def can_accept_risks(self) -> bool:
        """May accept (tolerate) some risk above tolerance: by the organisation's authority
        (``acceptance_authority``: admins, admins and coordinators, or only the people named)
        and its named people. Only roles that can own a risk, never a viewer or panel member,
        even if named (decision 46): accepting a risk is running the register, not reading it."""
        if self.role not in RISK_OWNER_ROLES:
            return False
        authority = self.organisation.acceptance_authority
        if authority == AcceptanceAuthority.ADMINS and self.is_admin:
            return True
        if authority == AcceptanceAuthority.COORDINATORS and self.role in COORDINATOR_ROLES:
            return True
        return self.is_named_approver

    def can_accept_risk(self, risk: Risk) -> bool:
        """Accept this risk above tolerance, or withdraw its acceptance: ``can_accept_risks``,
        for an open risk of the organisation on a register in use. A coordinator accepting by
        role does so on the registers they edit; admins and named people on any register."""
        if risk.organisation_id != self.organisation.id or risk.status == RiskStatus.CLOSED:
            return False
        if not self.can_accept_risks:
            return False
        if self._risk_archived(risk):
            return False
        if self.is_admin or self.role != Role.COORDINATOR:
            return True
        authority = self.organisation.acceptance_authority
        if authority == AcceptanceAuthority.COORDINATORS and not self.is_named_approver:
            return risk.register_id in self.editable_register_ids
        return True

    def can_escalate(self, risk: Risk) -> bool:
        """Ask to move a risk up to its register's parent (coordinator or owner of the risk)."""
        return risk.register.parent_id is not None and self.can_edit_risk(risk)

    def can_deescalate(self, risk: Risk) -> bool:
        """Ask to move a risk down to a child register (editors of the risk's register)."""
        return self.can_edit_register(risk.register)

    def can_decide_escalation(self, escalation) -> bool:
        """The receiving register's coordinators (and admins) accept or decline."""
        return escalation.organisation_id == self.organisation.id and self.can_edit_register(
            escalation.to_register
        )

    # --- comments (issue 17; decision on who may comment in docs/decisions.md) ---

    def _risk_archived(self, risk: Risk) -> bool:
        """Whether the risk's register is archived: from the register read with the risk (the
        risk page's), else from the organisation's archived registers (one query)."""
        if Risk.register.is_cached(risk):
            return risk.register.archived_at is not None
        return risk.register_id in self.archived_register_ids

    def can_read_comments(self, risk: Risk) -> bool:
        """A risk's thread is its detail: whoever may read the detail reads the comments."""
        return risk.organisation_id == self.organisation.id and self.can_see_sensitive(risk)

    def can_comment(self, risk: Risk) -> bool:
        """Write in the thread of a risk (and its controls and actions): every member who may
        read its detail but panel members (they read; the panel is not part of the running of
        the register), and never on an archived register."""
        return (
            self.role not in COMMENT_READ_ONLY_ROLES
            and self.can_read_comments(risk)
            and not self._risk_archived(risk)
        )

    def can_edit_comment(self, comment: Comment) -> bool:
        """Its author, for ``COMMENT_EDIT_WINDOW`` after writing it, while they may comment."""
        return (
            comment.deleted_at is None
            and comment.author_id == self.user.id
            and timezone.now() - comment.created_at <= COMMENT_EDIT_WINDOW
            and self.can_comment(comment.risk)
        )

    def can_delete_comment(self, comment: Comment) -> bool:
        """Its author (while they may comment), or an admin of the organisation."""
        if comment.deleted_at is not None or not self.can_read_comments(comment.risk):
            return False
        if self.is_admin:
            return not self._risk_archived(comment.risk)
        return comment.author_id == self.user.id and self.can_comment(comment.risk)


def _register_states(organisation_id: int) -> QuerySet:
    """(id, archived_at) of the organisation's registers, for ``prepared_list``."""
    return Register.objects.filter(organisation_id=organisation_id).values_list("id", "archived_at")


def sign_off_access(*, user, register: Register) -> OrganisationAccess | None:
    """``user``'s standing in the register's organisation, for services that are handed a user
    and must know whether an update of theirs needs sign-off; None for someone not a member."""
    membership = (
        Membership.objects.filter(organisation_id=register.organisation_id, user_id=user.pk)
        .select_related("organisation", "user")
        .first()
    )
    if membership is None:
        return None
    return OrganisationAccess(membership.organisation, membership)


def sign_off_approvers(register: Register) -> list:
    """Everyone to tell that an update of a risk on ``register`` awaits sign-off: active members
    who are admins, coordinators who edit it, and its named approvers with a role that can own
    risks (``OrganisationAccess.can_sign_off_register`` as a query), by name."""
    editors = get_users_with_perms(
        register,
        only_with_perms_in=[EDIT_REGISTER.split(".", 1)[1]],
        with_group_users=True,
        with_superusers=False,
    ).values_list("pk", flat=True)
    named = register.sign_off_approvers.values_list("pk", flat=True)
    members = Membership.objects.filter(
        organisation_id=register.organisation_id, user__is_active=True
    ).filter(
        Q(role=Role.ADMIN)
        | Q(role=Role.COORDINATOR, user_id__in=list(editors))
        | Q(role__in=RISK_OWNER_ROLES, user_id__in=list(named))
    )
    return [
        membership.user
        for membership in members.select_related("user").order_by("user__full_name", "user_id")
    ]


def _sensitive_risk_id_reads(organisation: Organisation, *, except_for=None) -> tuple:
    """The two reads of ``sensitive_risk_ids`` (live risks, deleted ones), as querysets of ids."""
    live = Risk.objects.filter(organisation=organisation)
    sensitive = live.filter(marking=Marking.OFFICIAL_SENSITIVE)
    if except_for is not None:
        sensitive = sensitive.exclude(owner_id=except_for.id).exclude(manager_id=except_for.id)
    deleted = Risk.history.filter(
        organisation_id=organisation.id, history_type="-", marking=Marking.OFFICIAL_SENSITIVE
    ).exclude(id__in=live.values("id"))
    return (
        sensitive.order_by().values_list("id", flat=True),
        deleted.order_by().values_list("id", flat=True),
    )


def sensitive_risk_ids(organisation: Organisation, *, except_for=None) -> frozenset[int]:
    """Ids of the organisation's risks marked OFFICIAL-SENSITIVE today (a deleted risk by its
    last record), leaving out those ``except_for`` (a user) owns or manages. One query."""
    live, deleted = _sensitive_risk_id_reads(organisation, except_for=except_for)
    return frozenset(live.union(deleted))


def withheld_risks(access: OrganisationAccess) -> Q:
    """``id__in`` the member's ``withheld_risk_ids``, as a condition for another query (no
    read of its own): for a page that needs what those ids lead to, not the ids."""
    if "withheld_risk_ids" in access.__dict__:  # already read
        return Q(id__in=access.withheld_risk_ids)
    if access.is_cleared:
        return Q(pk__in=[])
    live, deleted = _sensitive_risk_id_reads(access.organisation, except_for=access.user)
    return Q(id__in=live) | Q(id__in=deleted)


# --- reads -------------------------------------------------------------------------------------


def memberships_for_user(user) -> QuerySet[Membership]:
    """With whether the person is named as an acceptance approver of each organisation
    (``OrganisationAccess.is_named_approver``: no query of its own on a risk's page)."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return _memberships_of(user.pk)


def _memberships_of(user_id: int) -> QuerySet[Membership]:
    """``memberships_for_user`` by the person's id, for ``prepared_list``."""
    approvers = Organisation.acceptance_approvers.through.objects.filter(
        organisation_id=OuterRef("organisation_id"), user_id=OuterRef("user_id")
    )
    return (
        Membership.objects.filter(user_id=user_id)
        .select_related("organisation", "user")
        .annotate(named_acceptance_approver=Exists(approvers))
        .order_by("organisation__name")
    )


def memberships_for_request(request) -> QuerySet[Membership]:
    """The signed-in person's memberships, one queryset per request: the header (switcher,
    "Your reports") and the pages that list organisations share its single read.

    That read (this queryset's own evaluation) runs SQL compiled once per connection
    (``prepared_list``, decision 85): every signed-in page makes it. A queryset chained from
    this one (``.filter()``...) is an ordinary queryset and reads as Django reads."""
    cached = getattr(request, "_riskreg_memberships", None)
    if cached is None:
        cached = request._riskreg_memberships = memberships_for_user(request.user)
        if request.user.is_authenticated:
            _read_prepared(cached, user_id=request.user.pk)
    return cached


def _read_prepared(queryset: QuerySet[Membership], *, user_id: int) -> None:
    """Make ``queryset``'s evaluation (iterating, ``len``, ``bool``...) read its rows through
    ``prepared_list``; only this queryset's: a clone reads as Django reads."""

    def fetch_all() -> None:
        if queryset._result_cache is None:
            queryset._result_cache = prepared_list(
                "memberships_for_user", _memberships_of, user_id=user_id
            )

    queryset._fetch_all = fetch_all


def organisation_for_user(*, user, slug: str) -> OrganisationAccess:
    membership = memberships_for_user(user).filter(organisation__slug=slug).first()
    if membership is None:
        _refused(user, slug, "not a member of the organisation (or it does not exist)")
        raise Http404("No such organisation")
    return OrganisationAccess(organisation=membership.organisation, membership=membership)


def organisation_for_request(request, *, slug: str) -> OrganisationAccess:
    """``organisation_for_user`` from the request's one read of the person's memberships (which
    the header reads too), so a page pays for that read once."""
    membership = next(
        (m for m in memberships_for_request(request) if m.organisation.slug == slug), None
    )
    if membership is None:
        _refused(request.user, slug, "not a member of the organisation (or it does not exist)")
        raise Http404("No such organisation")
    return OrganisationAccess(organisation=membership.organisation, membership=membership)


def registers_for_user(*, user, organisation: Organisation) -> QuerySet[Register]:
    _require_member(user, organisation)
    return Register.objects.filter(organisation=organisation)


def registers_for_member(*, access: OrganisationAccess) -> list[Register]:
    """``registers_for_user`` for a member already found (``access``), by name: no second
    membership check. For an admin the same read answers which registers they edit and which
    are archived (``editable_register_ids``, ``archived_register_ids``): no query more."""
    registers = list(Register.objects.filter(organisation=access.organisation).order_by("name"))
    if access.is_admin:
        access.__dict__.setdefault(
            "editable_register_ids",
            frozenset(r.id for r in registers if r.archived_at is None),
        )
        access.__dict__.setdefault(
            "archived_register_ids",
            frozenset(r.id for r in registers if r.archived_at is not None),
        )
    return registers


class RegisterMoved(Http404):
    """A register asked for by a slug it had before an admin changed it. A 404 to anything that
    does not know better; ``registers.redirects.OldRegisterSlugMiddleware`` answers a GET with a
    redirect to the same page under the register's current slug."""

    def __init__(self, slug: str):
        super().__init__("The register has a new address")
        self.slug = slug


def register_missing(*, user, organisation: Organisation, slug: str) -> NoReturn:
    """Raise for a slug that names no register of the organisation: ``RegisterMoved`` when it is
    one of its registers' old slugs, else a logged 404."""
    current = (
        Register.objects.filter(
            organisation=organisation, old_slugs__slug=slug, old_slugs__organisation=organisation
        )
        .values_list("slug", flat=True)
        .first()
    )
    if current is not None:
        raise RegisterMoved(current)
    _refused(user, organisation.slug, f"no register {slug!r} in the organisation")
    raise Http404("No such register")


def register_for_user(*, user, organisation: Organisation, slug: str) -> Register:
    register = registers_for_user(user=user, organisation=organisation).filter(slug=slug).first()
    if register is None:
        register_missing(user=user, organisation=organisation, slug=slug)
    return register


def risks_for_user(*, user, organisation: Organisation) -> QuerySet[Risk]:
    _require_member(user, organisation)
    return Risk.objects.filter(organisation=organisation)


def risk_for_user(*, user, organisation: Organisation, ref: str) -> Risk:
    return _risk_by_ref(
        risks_for_user(user=user, organisation=organisation), user, organisation, ref
    )


# What a risk fetched by its ref is read with.
RISK_RELATED = (
    "register",
    "register__parent",
    "category",
    "owner",
    "manager",
    "scheme_version",
    "scheme_version__scheme",
)


def risk_for_member(
    *,
    access: OrganisationAccess,
    ref: str,
    related: tuple[str, ...] = RISK_RELATED,
    prepared: str = "",
    **annotations,
) -> Risk:
    """``risk_for_user`` for a member already found (``access``): no second membership check.
    ``related``: joined (``select_related``); ``annotations``: read with the risk (the risk
    page's scheme version, for one query less). ``prepared``: a name for this read's shape
    (the same ``related`` and annotations every time), whose SQL is then compiled once per
    connection (``registers/prepared.py``)."""
    if prepared:

        def build(organisation_id: int, ref: str):
            risks = Risk.objects.filter(organisation_id=organisation_id)
            if annotations:
                risks = risks.annotate(**annotations)
            return risks.select_related(*related).filter(ref=ref).order_by("pk")[:1]

        found = prepared_list(prepared, build, organisation_id=access.organisation.id, ref=ref)
        if not found:
            _refused(access.user, access.organisation.slug, f"no risk {ref!r} in the organisation")
            raise Http404("No such risk")
        return found[0]
    risks = Risk.objects.filter(organisation=access.organisation)
    if annotations:
        risks = risks.annotate(**annotations)
    return _risk_by_ref(risks, access.user, access.organisation, ref, related=related)


def _risk_by_ref(
    risks: QuerySet[Risk],
    user,
    organisation: Organisation,
    ref: str,
    *,
    related: tuple[str, ...] = RISK_RELATED,
) -> Risk:
    # A ref is unique in its organisation: ordered by key, not by the default ordering, which
    # joins the organisation twice more for nothing.
    risk = risks.select_related(*related).filter(ref=ref).order_by("pk").first()
    if risk is None:
        _refused(user, organisation.slug, f"no risk {ref!r} in the organisation")
        raise Http404("No such risk")
    return risk


def control_for_user(*, user, risk: Risk, pk: int) -> Control:
    control = Control.objects.filter(risk=risk, pk=pk).select_related("risk", "owner").first()
    if control is None or not risk.organisation.memberships.filter(user=user).exists():
        _refused(user, risk.organisation.slug, f"no control {pk} on risk {risk.ref!r}")
        raise Http404("No such control")
    return control


def review_for_user(*, user, risk: Risk, pk: int) -> Review:
    """A review (or update awaiting sign-off) of ``risk``, a risk already fetched for ``user``,
    with its author joined; 404, logged, for one of another risk or organisation. Whether the
    member may decide it is ``OrganisationAccess.can_sign_off``'s to say."""
    review = (
        Review.objects.filter(risk=risk, organisation_id=risk.organisation_id, pk=pk)
        .select_related("reviewed_by", "decided_by")
        .first()
    )
    if (
        review is None
        or not memberships_for_user(user).filter(organisation_id=risk.organisation_id).exists()
    ):
        _refused(user, risk.organisation.slug, f"no review {pk} of risk {risk.ref!r}")
        raise Http404("No such review")
    review.risk = risk
    return review


def action_for_user(*, user, risk: Risk, pk: int) -> Action:
    action = Action.objects.filter(risk=risk, pk=pk).select_related("risk", "owner").first()
    if action is None or not risk.organisation.memberships.filter(user=user).exists():
        _refused(user, risk.organisation.slug, f"no action {pk} on risk {risk.ref!r}")
        raise Http404("No such action")
    return action


def indicator_for_user(*, user, risk: Risk, pk: int) -> Indicator:
    """A key risk indicator of ``risk`` (a risk already fetched for ``user``), with its owner
    joined; 404, logged, for one of another risk or organisation, or for a non-member."""
    indicator = (
        Indicator.objects.filter(risk=risk, organisation_id=risk.organisation_id, pk=pk)
        .select_related("owner")
        .first()
    )
    member = memberships_for_user(user).filter(organisation_id=risk.organisation_id).exists()
    if indicator is None or not member:
        _refused(user, risk.organisation.slug, f"no indicator {pk} on risk {risk.ref!r}")
        raise Http404("No such indicator")
    indicator.risk = risk
    return indicator


def evidence_for_user(*, user, risk: Risk, pk: int):
    """A piece of evidence on ``risk`` (a risk already fetched for ``user``), deleted or not,
    with its uploader, control, action and review joined; 404, logged, for one of another risk
    or organisation, or for someone who is not a member. Whether it may be downloaded is
    ``OrganisationAccess.can_see_sensitive``'s to say."""
    from .models.evidence import Evidence

    evidence = (
        Evidence.objects.filter(risk=risk, organisation_id=risk.organisation_id, pk=pk)
        .select_related("uploaded_by", "deleted_by", "control", "action", "review")
        .first()
    )
    member = memberships_for_user(user).filter(organisation_id=risk.organisation_id).exists()
    if evidence is None or not member:
        _refused(user, risk.organisation.slug, f"no evidence {pk} on risk {risk.ref!r}")
        raise Http404("No such evidence")
    evidence.risk = risk
    return evidence


def comment_for_user(*, user, risk: Risk, pk: int) -> Comment:
    """A comment in the thread of ``risk`` (a risk already fetched for ``user``), with its risk,
    author, control and action joined; 404, logged, for one of another risk's or another
    organisation's, or for someone who is not a member. Whether its text may be read is
    ``OrganisationAccess.can_read_comments``' to say."""
    comment = (
        Comment.objects.filter(risk=risk, organisation_id=risk.organisation_id, pk=pk)
        .select_related("author", "deleted_by", "control", "action")
        .first()
    )
    member = memberships_for_user(user).filter(organisation_id=risk.organisation_id).exists()
    if comment is None or not member:
        _refused(user, risk.organisation.slug, f"no comment {pk} on risk {risk.ref!r}")
        raise Http404("No such comment")
    comment.risk = risk  # the same row, already joined with its register
    return comment


def members_who_may_read(risk: Risk) -> QuerySet[Membership]:
    """The active members who may read ``risk``'s detail (``can_see_sensitive`` as a query):
    everyone for an OFFICIAL risk; for an OFFICIAL-SENSITIVE one the cleared (admins,
    coordinators, members cleared by an admin) and its owner and manager."""
    members = Membership.objects.filter(
        organisation_id=risk.organisation_id, user__is_active=True
    ).select_related("user")
    if risk.marking == Marking.OFFICIAL_SENSITIVE:
        members = members.filter(
            Q(role__in=CLEARED_ROLES)
            | Q(sensitive_access=True)
            | Q(user_id__in=[pk for pk in (risk.owner_id, risk.manager_id) if pk])
        )
    return members.order_by("user__full_name", "user__email")


def invitation_for_user(*, user, organisation: Organisation, pk: int) -> Invitation:
    """One of the organisation's invitations (open or not); 404 for an id of another
    organisation's, or for someone who is not a member. Whether the member may act on it (its
    role) is ``OrganisationAccess.can_invite_role``'s to say."""
    _require_member(user, organisation)
    invitation = (
        Invitation.objects.filter(organisation=organisation, pk=pk)
        .select_related("organisation", "invited_by")
        .first()
    )
    if invitation is None:
        _refused(user, organisation.slug, f"no invitation {pk} in the organisation")
        raise Http404("No such invitation")
    return invitation


def category_for_user(*, user, organisation: Organisation, pk: int) -> Category:
    """One of the organisation's categories (retired or not); 404 for another organisation's
    id, or for someone who is not a member."""
    _require_member(user, organisation)
    category = Category.objects.filter(organisation=organisation, pk=pk).first()
    if category is None:
        _refused(user, organisation.slug, f"no category {pk} in the organisation")
        raise Http404("No such category")
    return category


def objective_for_user(*, user, organisation: Organisation, pk: int) -> Objective:
    """As ``category_for_user``, for an objective."""
    _require_member(user, organisation)
    objective = Objective.objects.filter(organisation=organisation, pk=pk).first()
    if objective is None:
        _refused(user, organisation.slug, f"no objective {pk} in the organisation")
        raise Http404("No such objective")
    return objective


def scheme_for_user(*, user, organisation: Organisation, pk: int) -> Scheme:
    """One of the organisation's scoring schemes; 404 for another organisation's id, or for
    someone who is not a member."""
    _require_member(user, organisation)
    scheme = (
        Scheme.objects.filter(organisation=organisation, pk=pk)
        .select_related("current_version", "organisation")
        .first()
    )
    if scheme is None:
        _refused(user, organisation.slug, f"no scheme {pk} in the organisation")
        raise Http404("No such scheme")
    return scheme


def notice_for_user(*, user, pk: int) -> Notice:
    """One of the person's own notices, from an organisation they still belong to; 404 for
    anyone else's (a notice is one person's), logged."""
    notice = (
        Notice.objects.filter(pk=pk, user_id=user.pk, organisation__memberships__user_id=user.pk)
        .select_related("organisation")
        .first()
        if user.is_authenticated
        else None
    )
    if notice is None:
        _refused(user, "-", f"no notice {pk} of theirs")
        raise Http404("No such notification")
    return notice


def register_coordinator_ids(*, organisation: Organisation, register_ids) -> dict[int, set[int]]:
    """Who coordinates each of the registers: the organisation's active admins, its coordinators
    who edit every register, and its limited coordinators granted that one (as
    ``editable_register_ids`` decides, asked the other way round). One query, plus one per
    register when some coordinator is limited."""
    register_ids = set(register_ids)
    members = list(
        Membership.objects.filter(
            organisation=organisation, role__in=COORDINATOR_ROLES, user__is_active=True
        ).values_list("user_id", "role", "registers_limited")
    )
    everywhere = {pk for pk, role, limited in members if role == Role.ADMIN or not limited}
    limited = {pk for pk, role, limited in members if role != Role.ADMIN and limited}
    found = {pk: set(everywhere) for pk in register_ids}
    if limited:
        for register in Register.objects.filter(organisation=organisation, pk__in=register_ids):
            found[register.pk] |= set(
                get_users_with_perms(
                    register,
                    only_with_perms_in=[EDIT_REGISTER.split(".", 1)[1]],
                    with_group_users=False,
                    with_superusers=False,
                )
                .filter(pk__in=limited)
                .values_list("pk", flat=True)
            )
    return found


def prime_editable_register_ids(accesses) -> None:
    """Answer ``editable_register_ids`` for many members of one organisation at once (the
    reminder digests ask it of every coordinator): at most three queries however many members,
    where each access alone asks one. The same answer as the property: every register in use
    for an admin; for a coordinator, guardian's ``edit_register`` grants on registers in use, to
    them or to a group of theirs (never a global grant); nothing for anyone else."""
    accesses = [a for a in accesses if "editable_register_ids" not in a.__dict__]
    if not accesses:
        return
    organisation = accesses[0].organisation
    assert all(a.organisation.id == organisation.id for a in accesses)  # noqa: S101
    coordinators = {a.user.id: a for a in accesses if a.role == Role.COORDINATOR}
    if any(a.is_admin for a in accesses):
        states = list(
            Register.objects.filter(organisation=organisation).values_list("id", "archived_at")
        )
        usable = frozenset(pk for pk, archived_at in states if archived_at is None)
        archived = frozenset(pk for pk, archived_at in states if archived_at is not None)
    granted: dict[int, set[int]] = {user_id: set() for user_id in coordinators}
    if coordinators:
        on_registers_in_use = {
            "permission__content_type": ContentType.objects.get_for_model(Register),
            "permission__codename": EDIT_REGISTER.split(".", 1)[1],
            "content_object__organisation": organisation,
            "content_object__archived_at__isnull": True,
        }
        own = RegisterUserObjectPermission.objects.filter(
            user_id__in=list(coordinators), **on_registers_in_use
        ).values_list("user_id", "content_object_id")
        through_groups = RegisterGroupObjectPermission.objects.filter(
            group__user__in=list(coordinators), **on_registers_in_use
        ).values_list("group__user", "content_object_id")
        for user_id, register_id in [*own, *through_groups]:
            granted[user_id].add(register_id)
    for access in accesses:
        if access.is_admin:
            access.__dict__["editable_register_ids"] = usable
            access.__dict__["archived_register_ids"] = archived
        elif access.user.id in coordinators:
            access.__dict__["editable_register_ids"] = frozenset(granted[access.user.id])
        else:
            access.__dict__["editable_register_ids"] = frozenset()


def prime_named_approver_register_ids(accesses) -> None:
    """Answer ``named_approver_register_ids`` for many members of one organisation at once (the
    reminder digests ask every member whether they may sign off an update awaiting it): one
    query however many members, where each access alone asks one. The same answer as the
    property: the registers naming the member, for a role that can own risks; else nothing."""
    accesses = [a for a in accesses if "named_approver_register_ids" not in a.__dict__]
    if not accesses:
        return
    organisation = accesses[0].organisation
    assert all(a.organisation.id == organisation.id for a in accesses)  # noqa: S101
    can_own = {a.user.id for a in accesses if a.role in RISK_OWNER_ROLES}
    named: dict[int, set[int]] = {user_id: set() for user_id in can_own}
    if can_own:
        for user_id, register_id in Register.sign_off_approvers.through.objects.filter(
            register__organisation_id=organisation.id
        ).values_list("user_id", "register_id"):
            if user_id in named:
                named[user_id].add(register_id)
    for access in accesses:
        access.__dict__["named_approver_register_ids"] = frozenset(named.get(access.user.id, ()))


def _require_member(user, organisation: Organisation) -> None:
    if not memberships_for_user(user).filter(organisation=organisation).exists():
        _refused(user, organisation.slug, "not a member of the organisation")
        raise Http404("No such organisation")


# --- grants (guardian) -------------------------------------------------------------------------


def coordinator_group(organisation: Organisation) -> Group:
    group, _ = Group.objects.get_or_create(name=f"org-{organisation.id}-coordinators")
    return group


@transaction.atomic
def register_grant_defaults(register: Register) -> None:
    """A new register is editable by the organisation's (unlimited) coordinators."""
    assign_perm(_edit_register_permission(), coordinator_group(register.organisation), register)


def _edit_register_permission() -> Permission:
    """``EDIT_REGISTER`` as a Permission whose content type is Django's cached one: guardian's
    grant checks that the permission is for registers, which read the content type again."""
    content_type = ContentType.objects.get_for_model(Register)
    permission = Permission.objects.get(
        content_type=content_type, codename=EDIT_REGISTER.partition(".")[2]
    )
    permission.content_type = content_type
    return permission


@transaction.atomic
def membership_sync(membership: Membership) -> None:
    """Put the member in or out of the coordinator group to match their role and limit."""
    group = coordinator_group(membership.organisation)
    if membership.role == Role.COORDINATOR and not membership.registers_limited:
        membership.user.groups.add(group)
    else:
        membership.user.groups.remove(group)


@transaction.atomic
def register_grant(*, user, register: Register) -> None:
    """Let a (limited) coordinator edit one register."""
    assign_perm(EDIT_REGISTER, user, register)


@transaction.atomic
def register_revoke(*, user, register: Register) -> None:
    remove_perm(EDIT_REGISTER, user, register)


def registers_granted(*, user, organisation: Organisation) -> QuerySet[Register]:
    """Registers granted to the user directly (not through the coordinator group)."""
    return get_objects_for_user(
        user,
        EDIT_REGISTER,
        klass=Register.objects.filter(organisation=organisation),
        use_groups=False,
        accept_global_perms=False,
        with_superuser=False,
    )
