"""Shared pieces of the risk page views: fetching, permission refusals, the page context."""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.db.models import BigIntegerField, Case, Exists, F, OuterRef, Subquery, When
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import register_converter, reverse
from django.utils import formats, timezone
from django.views.decorators.http import require_http_methods

from appetite.rules import AppetiteState
from riskreg.forms import sentence
from riskreg.refusals import Refusal
from scoring.models import Scheme, SchemeVersion

from .. import calendar, history, permissions, selectors
from ..forms import ActionForm, ControlForm, LinkForm
from ..forms_sign_off import SignOffForm
from ..models import (
    Action,
    ActionStatus,
    Control,
    Escalation,
    EscalationStatus,
    Register,
    Review,
    Risk,
    RiskStatus,
    Role,
    User,
)
from ..permissions import RISK_OWNER_ROLES
from ..prepared import prepared_list
from ..refs import RiskRefConverter
from ..selectors.assurance import risk_evidence, with_assurance
from ..selectors.comments import comment_counts
from ..selectors.json_rows import instance, row_json
from ..selectors.reviews import risk_updates
from ..selectors.risk_records import risk_records
from ..selectors.sign_off import sent_back_words, sign_off_panel
from ..services.escalation import pending_escalation
from ..services.links import links_for_risk
from ..services.register_archive import archived_message
from ..services.risks import (
    risk_warnings,
    scheme_version_for_register,
    scheme_version_read_once,
)
from ..withholding import WITHHELD
from .comment_context import comments_context
from .evidence_context import evidence_context
from .indicator_context import indicator_error_forms, indicators_context
from .risk_acceptance import acceptance_context
from .treatment_rows import action_links, control_links

# Any stored ref, including ones older data holds that a URL cannot carry as they are ('/'):
# a page must not fail to link to a risk (registers/refs.py).
register_converter(RiskRefConverter, "ref")
RISK = "o/<slug:org>/risks/<ref:ref>/"
HISTORY_ON_PAGE = 8
GET_POST = require_http_methods(["GET", "POST"])


# --- helpers ----------------------------------------------------------------------------------


def _register_scheme_version_id():
    """The id of the scheme version new ratings on the risk's register are made under (its own
    scheme's, else the organisation's default's): ``scheme_version_for_register`` in SQL."""
    default = (
        Scheme.objects.filter(organisation_id=OuterRef("organisation_id"), is_default=True)
        .order_by()  # one default per organisation (a constraint): no ordering, no join
        .values("current_version_id")[:1]
    )
    return Case(
        When(register__scheme__isnull=False, then=F("register__scheme__current_version_id")),
        default=Subquery(default),
        output_field=BigIntegerField(),
    )


# The owner's and manager's, scheme version's and scheme's fields read with the risk, each row
# as one JSON value (selectors/json_rows.py): joined, they made the risk's query take 4-5 ms to
# plan. Any other field of theirs is read if asked for.
USER_FIELDS = ("id", "email", "full_name", "job_title", "is_active")
VERSION_FIELDS = ("id", "scheme_id", "number", "definition")
SCHEME_FIELDS = ("id", "organisation_id", "name", "is_default", "current_version_id")


def _read_with_risk() -> dict:
    return {
        "owner_row": row_json(User, "owner_id", USER_FIELDS),
        "manager_row": row_json(User, "manager_id", USER_FIELDS),
        "scheme_version_row": row_json(
            SchemeVersion,
            "scheme_version_id",
            VERSION_FIELDS,
            **{f"scheme__{name}": f"scheme__{name}" for name in SCHEME_FIELDS},
        ),
    }


def _attach_read_with_risk(risk: Risk) -> None:
    db = risk._state.db
    risk.owner = instance(User, risk.owner_row, db=db, fields=USER_FIELDS)
    risk.manager = instance(User, risk.manager_row, db=db, fields=USER_FIELDS)
    row = risk.scheme_version_row
    version = instance(SchemeVersion, row, db=db, fields=VERSION_FIELDS)
    if version is not None:
        scheme = {name: row[f"scheme__{name}"] for name in SCHEME_FIELDS}
        version.scheme = instance(Scheme, scheme, db=db, fields=SCHEME_FIELDS)
    risk.scheme_version = version
    del risk.owner_row, risk.manager_row, risk.scheme_version_row


@functools.cache
def _risk_annotations() -> dict:
    """What the page reads with its risk, built once (expressions are copied when used)."""
    return {
        "register_scheme_version_id": _register_scheme_version_id(),
        # Somewhere to de-escalate to (``escalation_context``), read with the risk.
        "register_has_children": Exists(
            Register.objects.filter(parent_id=OuterRef("register_id"), archived_at__isnull=True)
        ),
        **_read_with_risk(),
    }


def fetch_risk(request: HttpRequest, org: str, ref: str):
    # The request's one read of the memberships (the header reads it too), then the risk.
    access = permissions.organisation_for_request(request, slug=org)
    risk = permissions.risk_for_member(
        access=access,
        ref=ref,
        related=("register", "register__parent", "category"),
        # The same read every time: its SQL compiled once per connection (registers/prepared.py).
        prepared="risk_page.risk",
        **_risk_annotations(),
    )
    _attach_read_with_risk(risk)
    risk.organisation = access.organisation  # the same row: saves a query wherever it is read
    risk.register.organisation = access.organisation
    if (
        risk.scheme_version_id is not None
        and risk.register_scheme_version_id == risk.scheme_version_id
    ):
        # Rated under its register's version now (the usual case): the version read with the
        # risk is the one ``page_scheme_for`` and ``{% rated_under %}`` ask for, no query.
        risk.register.__dict__["_scheme_version_read"] = risk.scheme_version
    return access, risk


NOT_YOUR_RISK = "Only the risk's owner, its manager or a coordinator of {register} may {what}."


def allow(allowed: bool, what: str = "change this risk", *, register=None, access=None) -> None:
    """Refuse (403) what the member may not do, saying why: on an archived ``register`` (the
    one the risk is on), that it is archived, whatever the member's role; given the member's
    ``access``, a role that may own risks or coordinate is told whose risk it is (their role
    allows it; this risk is not theirs); otherwise, that their role does not allow it."""
    if allowed:
        return
    if register is not None and register.archived_at is not None:
        raise Refusal(sentence(archived_message(register)))
    if access is not None and register is not None and access.role in RISK_OWNER_ROLES:
        raise Refusal(NOT_YOUR_RISK.format(register=register.name, what=what))
    raise PermissionDenied(f"Your role does not let you {what}.")


NOT_CLEARED = (
    "This risk's detail is OFFICIAL-SENSITIVE and you are not cleared for it. An organisation "
    "admin can clear you."
)


def allow_sensitive(access, risk) -> None:
    """Refuse (403) someone not cleared for the risk's OFFICIAL-SENSITIVE detail, saying so:
    clearance is an admin's to give, whatever the member's role (decision 12)."""
    if not access.can_see_sensitive(risk):
        raise Refusal(NOT_CLEARED)


NOT_YOURS = (
    "Only the {noun}'s owner, the risk's owner, its manager or a coordinator of {register} may "
    "{what}."
)


def allow_owned(allowed: bool, what: str, *, item, noun: str, risk, access) -> None:
    """``allow`` for what an item's own owner may also do (update an action, record a
    reading), saying why not: the register is archived; the item is theirs but the risk is
    OFFICIAL-SENSITIVE and they are not cleared for it (decision 116); it is neither theirs
    nor their risk; or their role."""
    if allowed:
        return
    register = risk.register
    if register.archived_at is None and access.role in RISK_OWNER_ROLES:
        if item.owner_id == access.user.id:
            allow_sensitive(access, risk)
        raise Refusal(NOT_YOURS.format(noun=noun, register=register.name, what=what))
    allow(False, what, register=register)


NOT_YOUR_REGISTER = (
    "You do not coordinate {register}: only its coordinators and the organisation's admins may "
    "{what}. An admin can make you one of its coordinators."
)


def allow_on_register(allowed: bool, what: str, *, register, access) -> None:
    """``allow`` for what a register's coordinators do: a coordinator of other registers is
    told it is not one of theirs (their role allows it), not that their role does not."""
    if allowed:
        return
    if register.archived_at is None and access.role == Role.COORDINATOR:
        raise Refusal(NOT_YOUR_REGISTER.format(register=register.name, what=what))
    allow(False, what, register=register)


def risk_url(risk: Risk, anchor: str = "") -> str:
    url = reverse("risk", args=[risk.organisation.slug, risk.ref])
    return f"{url}#{anchor}" if anchor else url


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def scheme_for(risk: Risk):
    """The scheme new ratings of this risk are made under (its register's current version)."""
    return scheme_version_for_register(risk.register).parsed


def page_scheme_for(risk: Risk):
    """``scheme_for`` read once for the page (the sign-off panel and ``{% rated_under %}``)."""
    return scheme_version_read_once(risk.register).parsed


def date_value(value) -> str:
    return formats.date_format(value, "j F Y") if value else ""


def conflict_context(risk: Risk, loaded_version: int) -> dict:
    conflict = history.changes_since_version(risk, loaded_version)
    return {"conflict": conflict}


def rebound(form_class, request: HttpRequest, version: int, **kwargs):
    """The form again with everything the person typed, now carrying the latest version, so the
    next save knowingly replaces the other person's changes."""
    data = request.POST.copy()
    data["version"] = str(version)
    form = form_class(data, **kwargs)
    form.is_valid()
    return form


# --- the risk page ----------------------------------------------------------------------------


def controls_context(
    access, risk: Risk, *, controls=None, evidence=None, count_comments: bool = True, **state
) -> dict:
    """The controls' part of the risk page, also the section and the single row htmx swaps in:
    each row's "Comment" link and count as the page draws them (``count_comments``: one query
    for the counts; the risk page passes False, its thread counts them)."""
    if controls is None:
        controls = list(risk.controls.select_related("owner"))
    # Each control's "Assurance lapsed" flag, and the assurance map's rows (one query, or none
    # from the risk's ``evidence`` the page already holds).
    controls = with_assurance(
        controls, today=calendar.organisation_today(access.organisation), evidence=evidence
    )
    can_edit = access.can_edit_risk(risk)
    can_comment = access.can_comment(risk)
    control_links(access.organisation, risk, controls, comment=can_comment)
    if can_comment and count_comments:
        comment_counts(risk, controls=controls)
    context = {
        "organisation": access.organisation,
        "risk": risk,
        "controls": controls,
        "can_edit": can_edit,
        "controls_message": state.get("controls_message", ""),
        "can_comment": can_comment,
    }
    if can_edit:
        # The add form is drawn only when it is open (its errors, or /controls/add/ without
        # JavaScript); otherwise the page carries a link that htmx swaps for the form when the
        # details are first opened: two forms offering hundreds of members as owners were a
        # third of every risk page's time (README, Performance).
        form = state.get("control_form")
        if form is None and state.get("control_form_open"):
            form = new_control_form(access)
        context["control_form"] = form
        context["control_form_open"] = form is not None
    return context


def new_control_form(access) -> ControlForm:
    return ControlForm(organisation=access.organisation, auto_id="new-control-%s")


def action_flags(access, actions, can_edit: bool) -> None:
    today = calendar.organisation_today(access.organisation)
    for action in actions:
        action.can_update = can_edit or access.can_update_action(action)
        action.is_overdue = (
            action.due_date is not None
            and action.due_date < today
            and action.status not in (ActionStatus.COMPLETED, ActionStatus.CANCELLED)
        )


def actions_context(
    access, risk: Risk, *, actions=None, count_comments: bool = True, **state
) -> dict:
    """The actions' part of the risk page, also the section and the single row htmx swaps in
    (``count_comments`` as for ``controls_context``)."""
    if actions is None:
        actions = list(risk.actions.select_related("owner"))
    can_edit = access.can_edit_risk(risk)
    action_flags(access, actions, can_edit)
    can_comment = access.can_comment(risk)
    action_links(access.organisation, risk, actions, comment=can_comment)
    if can_comment and count_comments:
        comment_counts(risk, actions=actions)
    context = {
        "organisation": access.organisation,
        "risk": risk,
        "actions": actions,
        "can_edit": can_edit,
        "any_action_updatable": can_edit or any(action.can_update for action in actions),
        "actions_message": state.get("actions_message", ""),
        "can_comment": can_comment,
    }
    if can_edit:
        form = state.get("action_form")  # drawn only when open, as the control form
        if form is None and state.get("action_form_open"):
            form = new_action_form(access)
        context["action_form"] = form
        context["action_form_open"] = form is not None
    return context


def new_action_form(access) -> ActionForm:
    return ActionForm(organisation=access.organisation, auto_id="new-action-%s")


def escalation_context(access, risk: Risk, *, escalations=None) -> dict:
    """The risk's pending escalation (if any) and the moves this member may ask for;
    ``escalations``: all the risk's, as the page holds them (no query)."""
    if escalations is None:
        pending = pending_escalation(risk)
    else:
        pending = next((e for e in escalations if e.status == EscalationStatus.PENDING), None)
    open_ = risk.status != RiskStatus.CLOSED and pending is None
    can_escalate = open_ and access.can_escalate(risk)
    can_deescalate = open_ and access.can_deescalate(risk) and _register_has_children(access, risk)
    return {
        "pending_escalation": pending,
        "can_escalate": can_escalate,
        "can_deescalate": can_deescalate,
        "can_decide_pending": pending is not None and access.can_decide_escalation(pending),
        "can_withdraw_pending": pending is not None and can_withdraw(access, pending),
    }


def _register_has_children(access, risk: Risk) -> bool:
    """Whether the risk's register has a register in use below it: as read with the risk
    (``fetch_risk``), else one query."""
    known = getattr(risk, "register_has_children", None)
    if known is not None:
        return known
    return Register.objects.filter(
        organisation=access.organisation, parent=risk.register, archived_at__isnull=True
    ).exists()


def can_withdraw(access, escalation) -> bool:
    """The requester, or an editor of the sending register, may withdraw a pending request."""
    return escalation.organisation_id == access.organisation.id and (
        escalation.requested_by_id == access.user.id
        or access.can_edit_register(escalation.from_register)
    )


def links_context(access, risk: Risk, lookup, *, can_see_detail: bool, **state) -> dict:
    """Links to related risks, from either end, with the other risk's current rating."""
    rows = []
    for link in prepared_list("risk_page.links", _links, risk_id=risk.pk):
        other = link.to_risk if link.from_risk_id == risk.pk else link.from_risk
        other.organisation = access.organisation
        rows.append(
            {
                "link": link,
                "other": other,
                "row": selectors.risk_row(other, lookup),
                # A link's note may say what a sensitive risk is about.
                "note_shown": can_see_detail and access.can_see_sensitive(other),
            }
        )
    can_link = access.can_edit_risk(risk)
    context = {"links": rows, "can_link": can_link}
    if can_link:
        context["link_form"] = state.get("link_form") or LinkForm(auto_id="link-%s")
        context["link_form_open"] = bool(state.get("link_form"))
    return context


def changes_context(access, risk: Risk, appetite: AppetiteState, *, records=None) -> dict:
    """What changed since the last report (the panel) and, for a breach, since when in quarter
    ends; the changed text of a risk the member may not read is withheld by the selector."""
    organisation = access.organisation
    now = timezone.now()
    since = calendar.last_report_date(organisation=organisation, moment=now)
    # Of the one risk asked about, whether it is withheld is ``can_see_sensitive``'s to say (no
    # read of every withheld risk of the organisation).
    withheld = frozenset() if access.can_see_sensitive(risk) else frozenset({risk.id})
    found = selectors.risk_changes(
        risk_ids=[risk.id],
        since=since,
        until=now,
        withheld_risk_ids=withheld,
        records=records,
    )
    run = None
    if appetite == AppetiteState.BREACH and risk.status != RiskStatus.CLOSED:
        standing = selectors.quarter_standing(
            organisation=organisation, risk_ids=[risk.id], moment=now, records=records
        )
        run = standing.breach.get(risk.id)
    return {
        "risk_changes": found.get(risk.id),
        "changes_since": calendar.local_date(organisation=organisation, moment=since),
        "breach_run": run,
    }


def sign_off_context(access, risk: Risk, *, can_review: bool, reviews=None) -> dict:
    """The update awaiting sign-off (or the last sent back) and what this member may do."""
    panel = sign_off_panel(risk, scheme_of=page_scheme_for, reviews=reviews)
    if panel is None:
        return {"sign_off": None}
    own = panel.review.reviewed_by_id == access.user.id
    return {
        "sign_off": panel,
        "can_sign_off_update": panel.awaiting and not own and access.can_sign_off(risk),
        "can_withdraw_update": panel.awaiting and own,
        "show_sent_back": can_review or access.can_sign_off(risk),
        "sent_back_words": sent_back_words(panel.review, access=access) if panel.sent_back else "",
        "sign_off_form": SignOffForm(auto_id="sign-off-%s"),
    }


# The page's reads of fixed shape, compiled once per connection (registers/prepared.py).
def _reviews(risk_id: int):
    return (
        Review.objects.filter(risk_id=risk_id)
        .select_related("reviewed_by", "decided_by")
        .order_by("created_at", "id")
    )


def _escalations(risk_id: int):
    return Escalation.objects.filter(risk_id=risk_id).select_related(
        "from_register", "to_register", "requested_by"
    )


def _links(risk_id: int):
    return links_for_risk(Risk(pk=risk_id))


def render_risk_page(request: HttpRequest, access, risk: Risk, *, status: int = 200, **state):
    # The risk's history, read once: the history in words, what changed since the last
    # report, the breach run, the chart, the appetite thresholds now and, for a reader of its
    # detail, its controls and actions now (selectors/risk_records.py).
    records = risk_records(risk)
    lookup = records.appetite_now()
    row = selectors.risk_row(risk, lookup)
    acceptance = acceptance_context(access, risk, row, **state)  # its row: "accepted until"
    row = acceptance.pop("row")
    threshold = lookup.threshold(risk.category_id)
    can_see_detail = access.can_see_sensitive(risk)
    # Read once for the whole page: the history, the updates, the sign-off panel and the
    # evidence form's reviews; the history and the escalation panel's escalations.
    reviews = prepared_list("risk_page.reviews", _reviews, risk_id=risk.id)
    escalations = prepared_list("risk_page.escalations", _escalations, risk_id=risk.id)
    # The risk's evidence, read once: the controls' assurance and the evidence section.
    evidence = (
        risk_evidence(risk, today=calendar.organisation_today(access.organisation))
        if can_see_detail
        else None
    )
    if can_see_detail:
        entries = history.risk_history(
            risk, reader=access, reviews=reviews, escalations=escalations, records=records
        )
        # The controls and actions as they are now, from the same read (no query).
        state.setdefault("controls", records.live(Control, risk))
        state.setdefault("actions", records.live(Action, risk))
    else:
        # OFFICIAL-SENSITIVE and the member is not cleared: no detail reaches the template.
        entries = []
        state.update(controls=[], actions=[])
    can_edit = access.can_edit_risk(risk)
    can_review = access.can_review_risk(risk) and risk.status != RiskStatus.CLOSED
    context = {
        "access": access,
        "organisation": access.organisation,
        "risk": risk,
        "row": row,
        "threshold": threshold,
        "positions": [
            ("Initial (inherent)", row.inherent),
            ("Current", row.current),
            ("Target", row.target),
        ],
        "warnings": risk_warnings(risk),
        "objectives": records.objectives,
        "leads": records.leads,
        "today": calendar.organisation_today(access.organisation),
        "can_edit": can_edit,
        "can_review": can_review,
        "history_entries": entries[:HISTORY_ON_PAGE],
        "history_more": len(entries) > HISTORY_ON_PAGE,
        "history_count": len(entries),
        "updates": risk_updates(risk, access=access, reviews=reviews),
        "can_see_detail": can_see_detail,
        "detail_withheld": not can_see_detail,
        "withheld_message": WITHHELD,
        "origin_register": risk.origin_register,
        "risk_records": records,
        **changes_context(access, risk, row.appetite, records=records),
        **escalation_context(access, risk, escalations=escalations),
        **sign_off_context(access, risk, can_review=can_review, reviews=reviews),
        **links_context(access, risk, lookup, can_see_detail=can_see_detail, **state),
        # The thread counts each row's comments (comments_context, below).
        **controls_context(access, risk, evidence=evidence, count_comments=False, **state),
        **actions_context(access, risk, count_comments=False, **state),
        **indicators_context(access, risk, can_see_detail=can_see_detail, **state),
        **acceptance,
    }
    context |= comments_context(
        access,
        risk,
        controls=context["controls"],
        actions=context["actions"],
        about=request.GET.get("comment_on", ""),
        comment_form=state.get("comment_form"),
        comment_editing=state.get("comment_editing"),
        comment_deleting=state.get("comment_deleting"),
    )
    context |= evidence_context(
        access,
        risk,
        controls=context["controls"],
        actions=context["actions"],
        can_see_detail=can_see_detail,
        evidence_form=state.get("evidence_form"),
        evidence_form_open=bool(state.get("evidence_form_open")),
        reviews=reviews,
        items=evidence,
    )
    # An add form's error that names no field links to that form, which the page opens.
    context["error_forms"] = []
    for name, anchor in (
        ("control_form", "add-control"),
        ("action_form", "add-action"),
        ("link_form", "add-link"),
        ("accept_form", "accept-reason"),
        ("withdraw_acceptance_form", "withdraw-acceptance-reason"),
    ):
        form = context.get(name)
        if form is not None and form.errors:
            form.error_anchor = anchor
            context["error_forms"].append(form)
    context["error_forms"] += indicator_error_forms(context)
    if context.get("evidence_form") is not None and context["evidence_form"].errors:
        context["error_forms"].append(context["evidence_form"])
    return render(request, "registers/risk_detail.html", context, status=status)
