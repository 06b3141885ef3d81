"""The appetite pages: every member reads the organisation's appetite and its history; admins
change statements and levels.

Every view first fetches the organisation through ``permissions.organisation_for_user`` (404 for
anyone who is not a member); the editing views then refuse members who may not manage appetite
(403) before they look at any id from the URL, so a 403 never depends on whether an id exists."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from registers import permissions
from registers import selectors as register_selectors
from registers.merging import KEEP_MINE, KEEP_THEIRS
from registers.models import RiskStatus
from registers.selectors.acceptance import covering
from registers.services.treatments import CHOOSE_A_VALUE
from riskreg import unsaved
from riskreg.forms import posted

from . import selectors
from .forms import (
    DEFAULT_CHOICE,
    LevelFormSet,
    LevelsReasonForm,
    RemoveStatementForm,
    StatementForm,
)
from .models import AppetiteLevel, AppetiteStatement
from .services import (
    StatementConflict,
    appetite_levels_save,
    appetite_statement_remove,
    appetite_statement_set,
    score_scale,
)

HISTORY_PER_PAGE = 50
OPEN = (RiskStatus.OPEN, RiskStatus.ESCALATED)


def _admin_access(request: HttpRequest, org: str) -> permissions.OrganisationAccess:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if not access.can_manage_appetite:
        raise PermissionDenied("Only an organisation admin changes the appetite.")
    return access


def _statement(access: permissions.OrganisationAccess, pk: int) -> AppetiteStatement:
    # Scoped by the organisation the access check returned, never by the id alone.
    statement = (
        selectors.appetite_statements(organisation=access.organisation).filter(pk=pk).first()
    )
    if statement is None:
        raise Http404("No such appetite statement")
    return statement


def _subject(statement: AppetiteStatement | None, category=None) -> str:
    category = statement.category if statement is not None else category
    return category.name if category is not None else "all categories (the default)"


def _risk_counts(access: permissions.OrganisationAccess) -> dict[int | None, dict[str, int]]:
    """Open risks in breach (and of those, accepted until a date: issue 17) and at warning per
    category, in one query."""
    risks = permissions.risks_for_user(user=access.user, organisation=access.organisation)
    accepted = Exists(covering(today=register_selectors.organisation_today(access.organisation)))
    rows = (
        register_selectors.with_appetite(
            risks.filter(status__in=OPEN), organisation=access.organisation
        )
        .values("category_id")
        .annotate(
            breach=Count("id", filter=Q(appetite_rank=3)),
            accepted=Count("id", filter=Q(accepted, appetite_rank=3)),
            warning=Count("id", filter=Q(appetite_rank=2)),
        )
        .order_by()
    )
    return {row["category_id"]: row for row in rows}


@login_required
def appetite(request: HttpRequest, org: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    organisation = access.organisation
    overview = selectors.appetite_overview(organisation=organisation)
    counts = _risk_counts(access)
    top = register_selectors.top_register(
        permissions.registers_for_user(user=request.user, organisation=organisation).only(
            "id", "slug", "parent_id"
        )
    )
    lines = []
    default_counts = {"breach": 0, "accepted": 0, "warning": 0}
    own = {line.category.id for line in overview if line.category and line.statement}
    for category_id, row in counts.items():
        if category_id not in own:  # these risks are judged by the default
            default_counts["breach"] += row["breach"]
            default_counts["accepted"] += row["accepted"]
            default_counts["warning"] += row["warning"]
    for line in overview:
        if line.category is None:
            count, link = default_counts, None
        else:
            count = counts.get(line.category.id, {"breach": 0, "accepted": 0, "warning": 0})
            link = top and (
                reverse("register", args=[organisation.slug, top.slug])
                + "?"
                + urlencode(
                    {
                        "rollup": 1,
                        "category": line.category.id,
                        "appetite": "outside",
                        "sort": "-appetite",
                    }
                )
            )
        lines.append(
            {
                "line": line,
                "breach": count["breach"],
                "accepted": count["accepted"],
                "warning": count["warning"],
                "link": link,
            }
        )
    missing = [line for line in overview if line.statement is None]
    return render(
        request,
        "appetite/appetite.html",
        {
            "access": access,
            "organisation": organisation,
            "lines": lines,
            "default": overview[0].statement,
            "can_add": bool(missing),
            "levels": selectors.appetite_levels(organisation=organisation),
            "scale": score_scale(organisation=organisation),
            "can_manage": access.can_manage_appetite,
        },
    )


@login_required
def appetite_history(request: HttpRequest, org: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    changes = selectors.appetite_history(organisation=access.organisation)
    page = Paginator(changes, HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "appetite/history.html",
        {"access": access, "organisation": access.organisation, "page": page},
    )


def _category_choices(organisation) -> list[tuple[str, str]]:
    """Categories (and the default) that have no statement yet."""
    overview = selectors.appetite_overview(organisation=organisation)
    return [
        (DEFAULT_CHOICE if line.category is None else str(line.category.id), _choice_label(line))
        for line in overview
        if line.statement is None
    ]


def _choice_label(line: selectors.CategoryAppetite) -> str:
    if line.category is None:
        return "All categories: the organisation-wide default"
    return line.category.name


def _save_statement(form: StatementForm, access, category) -> bool:
    """Call the service with the form's values; False (errors on the form) if it refuses.
    StatementConflict passes through to the edit view."""
    data = form.cleaned_data
    versions = {}
    if "version" in form.fields:
        versions = {
            "expected_version": data.get("version"),
            "choices": form.choices(),
            "choices_at": data.get("choices_at"),
        }
    try:
        appetite_statement_set(
            organisation=access.organisation,
            category=category,
            level=data["level"],
            tolerance=data["tolerance"],
            warning=data["warning"],
            rationale=data["rationale"].strip(),
            reason=data["reason"],
            **versions,
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return False
    return True


def _conflict_form(request, exc: StatementConflict, opened_version: int, **kwargs):
    """The edit form again after a conflict: what the admin typed, the other admin's changes to
    the fields only they changed, still at the opened version; and, for each field both
    changed, the three values and a choice (registers/partials/treatment_conflict.html)."""
    data = request.POST.copy()
    for name, value in exc.merged.items():
        value = getattr(value, "pk", value)
        data[name] = "" if value is None else str(value)
    data["version"] = str(opened_version)
    data["choices_at"] = str(exc.current.version)
    for name, choice in exc.chosen.items():
        data[f"keep-{name}"] = choice
    form = StatementForm(data, **kwargs)
    form.is_valid()
    levels = dict(
        AppetiteLevel.objects.filter(organisation=exc.current.organisation_id).values_list(
            "pk", "name"
        )
    )

    def shown(name, value):
        value = getattr(value, "pk", value)
        if value in (None, ""):
            return "Not set"
        return levels.get(value, "Removed") if name == "level" else str(value)

    rows = []
    for conflict in exc.conflicts:
        label = str(form.fields[conflict.name].label).replace(" (optional)", "")
        missing = conflict.name in exc.unchosen
        if missing:
            form.add_error(None, CHOOSE_A_VALUE.format(field=label.lower()))
        rows.append(
            {
                "name": conflict.name,
                "label": label,
                "opened": shown(conflict.name, conflict.base) if exc.base_known else "Not known",
                "theirs": shown(conflict.name, conflict.theirs),
                "mine": shown(conflict.name, conflict.mine),
                "choice": exc.chosen.get(conflict.name, ""),
                "error": CHOOSE_A_VALUE.format(field=label.lower()) if missing else "",
            }
        )
    return form, {
        "noun": "appetite statement",
        "prefix": "statement",
        "by": ", ".join(exc.by) or "Someone else",
        "rows": rows,
        "keep_theirs": KEEP_THEIRS,
        "keep_mine": KEEP_MINE,
    }


@login_required
@require_http_methods(["GET", "POST"])
def statement_add(request: HttpRequest, org: str) -> HttpResponse:
    access = _admin_access(request, org)
    organisation = access.organisation
    choices = _category_choices(organisation)
    initial = {}
    wanted = request.GET.get("category", "")
    if any(value == wanted for value, _ in choices):
        initial["category"] = wanted
    scale = score_scale(organisation=organisation)
    form = StatementForm(
        posted(request),
        organisation=organisation,
        scale=scale,
        category_choices=choices,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        category = form.chosen_category()
        if _save_statement(form, access, category):
            messages.success(
                request,
                f"Appetite for {_subject(None, category)} added: breach above "
                f"{form.cleaned_data['tolerance']}.",
            )
            return redirect("appetite", org=org)
    return render(
        request,
        "appetite/statement_form.html",
        {
            "access": access,
            "organisation": organisation,
            "form": form,
            "error_forms": [form],
            "scale": scale,
            "statement": None,
            "no_choices": not choices,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def statement_edit(request: HttpRequest, org: str, statement: int) -> HttpResponse:
    access = _admin_access(request, org)
    statement_obj = _statement(access, statement)
    scale = score_scale(organisation=access.organisation)
    form = StatementForm(
        # on a GET, what was typed before a sign-in, shown again unsaved (riskreg/unsaved.py)
        request.POST or unsaved.restore(request),
        organisation=access.organisation,
        scale=scale,
        statement=statement_obj,
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        before = (
            statement_obj.level_id,
            statement_obj.tolerance,
            statement_obj.warning,
            statement_obj.rationale,
        )
        try:
            saved = _save_statement(form, access, statement_obj.category)
        except StatementConflict as exc:
            saved = False
            form, conflict = _conflict_form(
                request,
                exc,
                form.cleaned_data["version"],
                organisation=access.organisation,
                scale=scale,
                statement=statement_obj,
            )
        if saved:
            statement_obj.refresh_from_db()
            after = (
                statement_obj.level_id,
                statement_obj.tolerance,
                statement_obj.warning,
                statement_obj.rationale,
            )
            subject = _subject(statement_obj)
            if before == after:
                messages.info(request, f"Nothing changed in the appetite for {subject}.")
            else:
                messages.success(
                    request,
                    f"Appetite for {subject} saved: breach above {statement_obj.tolerance}"
                    + (
                        f", warning above {statement_obj.warning}."
                        if statement_obj.warning is not None
                        else "."
                    ),
                )
            return redirect("appetite", org=org)
    return render(
        request,
        "appetite/statement_form.html",
        {
            "access": access,
            "organisation": access.organisation,
            "form": form,
            "error_forms": [form],
            "scale": scale,
            "statement": statement_obj,
            "subject": _subject(statement_obj),
            "conflict": conflict,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def statement_remove(request: HttpRequest, org: str, statement: int) -> HttpResponse:
    access = _admin_access(request, org)
    statement_obj = _statement(access, statement)
    form = RemoveStatementForm(posted(request))
    subject = _subject(statement_obj)
    if request.method == "POST" and form.is_valid():
        try:
            appetite_statement_remove(statement=statement_obj, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"The appetite statement for {subject} is removed.")
            return redirect("appetite", org=org)
    default = (
        selectors.appetite_statements(organisation=access.organisation)
        .filter(category__isnull=True)
        .first()
    )
    return render(
        request,
        "appetite/statement_remove.html",
        {
            "access": access,
            "organisation": access.organisation,
            "form": form,
            "error_forms": [form],
            "statement": statement_obj,
            "subject": subject,
            "default": default,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def levels_edit(request: HttpRequest, org: str) -> HttpResponse:
    access = _admin_access(request, org)
    organisation = access.organisation
    levels = list(selectors.appetite_levels(organisation=organisation))
    initial = [
        {
            "id": level.id,
            "order": level.position,
            "name": level.name,
            "description": level.description,
            "min_score": level.min_score,
            "max_score": level.max_score,
        }
        for level in levels
    ]
    formset = LevelFormSet(posted(request), prefix="levels", initial=initial)
    if not formset.is_bound:
        formset.forms[-1].initial = {"order": len(levels) + 1}
    reason_form = LevelsReasonForm(posted(request))
    errors: list[str] = []
    if request.method == "POST":
        formset_ok, reason_ok = formset.is_valid(), reason_form.is_valid()
        errors += list(formset.non_form_errors())
        if formset_ok and reason_ok:
            specs, rows = formset.specs()
            try:
                appetite_levels_save(
                    organisation=organisation,
                    levels=specs,
                    reason=reason_form.cleaned_data["reason"],
                )
            except ValidationError as error:
                errors += formset.add_service_errors(error, rows)
            else:
                messages.success(request, "Appetite levels saved.")
                return redirect("appetite", org=org)
    used: dict[int, list[str]] = {}
    for statement in selectors.appetite_statements(organisation=organisation):
        if statement.level_id:
            used.setdefault(statement.level_id, []).append(_subject(statement))
    for form in formset.forms:
        level_id = form.initial.get("id")
        form.used_by = used.get(level_id, []) if level_id else []
    has_errors = bool(errors or reason_form.errors or any(form.errors for form in formset.forms))
    return render(
        request,
        "appetite/levels_form.html",
        {
            "access": access,
            "organisation": organisation,
            "formset": formset,
            "reason_form": reason_form,
            "error_forms": [*formset.forms, reason_form],
            "errors": errors,
            "has_errors": has_errors,
            "scale": score_scale(organisation=organisation),
        },
        status=400 if has_errors else 200,
    )
