"""The owner's quick update: every risk a person owns or manages that is due for review (or, with
``?all=1``, all their open ones) on one page, with its rating, this period's update, progress to
target and its open actions, saved with one button.

Saving checks every risk and action first: any bad input answers 400 with the page as typed and
nothing written. Then each risk is saved on its own (its review, its progress, its actions, in one
transaction) through the services the single-risk pages use, so each risk's change is its own
history record and a sign-off register turns an owner's review into one awaiting sign-off. A risk
someone else changed since the page was opened is not saved and comes back, as on the review
form, with what they changed and everything typed; the others are saved. A risk left as it was,
with no update written, is not reviewed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path, reverse

from riskreg import unsaved
from riskreg.forms import posted

from .. import calendar, history, permissions
from ..forms_quick_update import QuickActionForm, QuickRiskForm
from ..models import Action, ReviewState, Risk
from ..selectors.quick_update import QuickRisk, QuickUpdate, quick_update
from ..services.reviews import review_record
from ..services.risk_edits import RiskEditConflict
from ..services.risks import RiskConflict, risk_update
from ..services.treatments import TreatmentConflict, action_update
from ..withholding import WITHHELD
from .risk_common import GET_POST, allow, date_value

# What the last save did, shown once, by the organisation's page it was saved on.
SAVED_KEY = "quick_update_saved:{org}"
NOTHING_CHANGED = (
    "Nothing was saved: you changed no rating, progress or action and wrote no update."
)
NOT_YOURS_NOW = (
    "{count} of the risks on the page {verb} no longer open risks of yours, so nothing was "
    "saved for {them}."
)
ACTION_CHANGED = "Risk {ref}: someone else changed the action “{action}” after you opened the page."
SENT_BACK_LEFT = (
    "Risk {ref}: your update that was sent back is as it was, so it was not submitted again. "
    "Change it as asked and save, or record the review from the risk's page to submit it as it is."
)
PROGRESS_REASON = "progress to target updated (quick update)"
ACTION_REASON = "updated (quick update)"


@dataclass
class Entry:
    """One risk of the page: the selector's item, its form and its actions' forms, and after a
    save that met a colleague's, what they changed."""

    item: QuickRisk
    form: QuickRiskForm
    action_forms: list[QuickActionForm]
    conflict: object | None = None
    action_conflicts: list[dict] = field(default_factory=list)

    @property
    def risk(self) -> Risk:
        return self.item.risk

    @property
    def has_errors(self) -> bool:
        return bool(self.form.errors) or any(f.errors for f in self.action_forms)


def _page_url(organisation, due_only: bool) -> str:
    url = reverse("quick_update", args=[organisation.slug])
    return url if due_only else f"{url}?all=1"


def _version_posted(data, prefix: str) -> int | None:
    try:
        return int(data.get(f"{prefix}-version", ""))
    except ValueError:
        return None


def _posted_ids(data) -> set[int]:
    """The risks the form named (ids a database integer can hold; anything else ignored)."""
    return {int(value) for value in data.getlist("risk") if value.isdigit() and len(value) < 10}


def _risk_opened(risk: Risk, version: int | None) -> dict:
    """The risk's current position and progress as the page that posted ``version`` showed
    them: its history record at that version when someone has saved since."""
    record = risk
    if version is not None and version != risk.version:
        record = (
            Risk.history.filter(id=risk.pk, version=version)
            .order_by("-history_date", "-history_id")
            .first()
        ) or risk
    position = (record.current_likelihood, record.current_impact)
    return {
        "current": None if position == (None, None) else position,
        "progress": record.progress,
    }


def _action_opened(action: Action, version: int | None) -> dict:
    record = action
    if version is not None and version != action.version:
        record = (
            Action.history.filter(id=action.pk, version=version)
            .order_by("-history_date", "-history_id")
            .first()
        ) or action
    return {"status": record.status, "progress_note": record.progress_note}


def _entries(page: QuickUpdate, data=None) -> list[Entry]:
    """A form per risk and per action: bound to ``data`` (a POST) or holding the risk as it is."""
    entries = []
    for item in page.risks:
        risk = item.risk
        prefix = f"risk-{risk.pk}"
        if data is None:
            opened = _risk_opened(risk, None)
            initial = {
                "version": risk.version,
                "current_likelihood": str(risk.current_likelihood or ""),
                "current_impact": str(risk.current_impact or ""),
                "progress": risk.progress,
            }
            form = QuickRiskForm(
                initial=initial,
                prefix=prefix,
                scheme=item.scheme,
                risk=risk,
                opened=opened,
                sent_back=item.sent_back,
            )
            form.initial.update(form.sent_back_initial())
        else:
            opened = _risk_opened(risk, _version_posted(data, prefix))
            form = QuickRiskForm(
                data,
                prefix=prefix,
                scheme=item.scheme,
                risk=risk,
                opened=opened,
                sent_back=item.sent_back,
            )
        action_forms = []
        for action in item.actions:
            action_prefix = f"action-{action.pk}"
            if data is None:
                action_forms.append(
                    QuickActionForm(
                        initial={
                            "version": action.version,
                            "status": action.status,
                            "progress_note": action.progress_note,
                        },
                        prefix=action_prefix,
                        action=action,
                        opened=_action_opened(action, None),
                    )
                )
            elif f"{action_prefix}-version" in data:  # an action added since is left alone
                version = _version_posted(data, action_prefix)
                action_forms.append(
                    QuickActionForm(
                        data,
                        prefix=action_prefix,
                        action=action,
                        opened=_action_opened(action, version),
                    )
                )
        entries.append(Entry(item=item, form=form, action_forms=action_forms))
    return entries


def _render(request, access, page: QuickUpdate, entries, *, status=200, **extra) -> HttpResponse:
    forms = [e.form for e in entries] + [f for e in entries for f in e.action_forms]
    return render(
        request,
        "registers/quick_update.html",
        {
            "access": access,
            "organisation": access.organisation,
            "page": page,
            "entries": entries,
            "forms_with_errors": [f for f in forms if f.errors],
            "due_only": page.due_only,
            "notice_days": access.organisation.reminder_notice_days,
            "withheld_message": WITHHELD,
            **extra,
        },
        status=status,
    )


@login_required
@GET_POST
def quick_update_view(request: HttpRequest, org: str) -> HttpResponse:
    access = permissions.organisation_for_user(user=request.user, slug=org)
    allow(not access.is_read_only, "update risks")
    organisation = access.organisation
    today = calendar.organisation_today(organisation)
    if request.method == "GET":
        restored = unsaved.restore(request)  # typed before a sign-in: shown again, unsaved
        if restored is not None and _posted_ids(restored):
            due_only = restored.get("all") != "1"
            page = quick_update(
                access=access, today=today, due_only=due_only, ids=_posted_ids(restored)
            )
            page.due_only = due_only
            entries = _entries(page, restored)
            for entry in entries:
                for form in (entry.form, *entry.action_forms):
                    form.is_valid()  # shown as typed, with any errors
            return _render(request, access, page, entries)
        page = quick_update(access=access, today=today, due_only=request.GET.get("all") != "1")
        return _render(
            request,
            access,
            page,
            _entries(page),
            saved=request.session.pop(SAVED_KEY.format(org=organisation.slug), None),
        )

    data = posted(request)
    due_only = data.get("all") != "1"
    ids = _posted_ids(data)
    if not ids:
        return HttpResponseBadRequest("The form named no risk to update: open the page again.")
    page = quick_update(access=access, today=today, due_only=due_only, ids=ids)
    page.due_only = due_only
    entries = _entries(page, data)
    gone = len(ids) - len(entries)
    notes = []
    if gone:
        notes.append(
            NOT_YOURS_NOW.format(
                count=gone,
                verb="is" if gone == 1 else "are",
                them="it" if gone == 1 else "them",
            )
        )
    # Every form checked (no stopping at the first bad one), so the page lists every error.
    valid = [form.is_valid() for e in entries for form in (e.form, *e.action_forms)]
    if not all(valid):
        return _render(request, access, page, entries, status=400, notes=notes)

    saved, not_saved = [], []
    for entry in entries:
        outcome = _save(request, entry)
        if entry.form.left_as_sent_back:
            notes.append(SENT_BACK_LEFT.format(ref=entry.risk.ref))
        if outcome is None:
            continue
        if outcome is False:
            not_saved.append(entry)
        else:
            saved.append(outcome)
    if not not_saved:
        if not saved and not notes:
            notes.append(NOTHING_CHANGED)
        request.session[SAVED_KEY.format(org=organisation.slug)] = {"risks": saved, "notes": notes}
        return redirect(_page_url(organisation, due_only))
    # Some risks met a colleague's save or a rule: only those come back, the rest are saved.
    return _render(
        request,
        access,
        page,
        not_saved,
        status=400 if any(e.has_errors for e in not_saved) else 200,
        saved={"risks": saved, "notes": notes},
        partly_saved=True,
    )


def _save(request, entry: Entry):
    """Save one risk and its actions in one transaction: None when the person changed nothing
    of it, False when it was not saved (a conflict or a rule: the entry says which), else what
    was done, for the confirmation."""
    form, risk = entry.form, entry.risk
    changes = form.changes()
    actions = [(f, f.changed_fields()) for f in entry.action_forms]
    actions = [(f, fields) for f, fields in actions if fields]
    if not changes and not actions:
        return None
    version = form.cleaned_data["version"]
    review = None
    try:
        with transaction.atomic():
            if "positions" in changes or "note" in changes:
                review = review_record(
                    risk=risk,
                    user=request.user,
                    expected_version=version,
                    note=changes.get("note", ""),
                    positions=changes.get("positions"),
                )
            if "progress" in changes:
                # From the version the page showed: a colleague's change of progress since is
                # merged, not overwritten (and this person's own review above is no conflict).
                risk_update(
                    risk=risk,
                    expected_version=version,
                    fields={"progress": changes["progress"]},
                    rescore_scheme=False,
                    merge_stale=True,
                    reason=PROGRESS_REASON,
                )
            for action_form, fields in actions:
                action_update(
                    action=action_form.action,
                    expected_version=action_form.cleaned_data["version"],
                    reason=ACTION_REASON,
                    **fields,
                )
    except (RiskConflict, RiskEditConflict):
        # The risk as it is now, after the rollback (the exception's row may hold this
        # person's own review, undone with the rest of the risk's changes).
        _show_risk_conflict(request, entry, Risk.objects.get(pk=risk.pk), version)
        return False
    except TreatmentConflict as exc:
        exc.current = Action.objects.get(pk=exc.current.pk)
        _show_action_conflict(request, entry, exc)
        return False
    except ValidationError as exc:
        form.add_service_errors(exc)
        return False
    return _outcome(risk, review, changes, len(actions))


def _outcome(risk: Risk, review, changes: dict, actions: int) -> dict:
    parts = []
    if review is not None and review.state == ReviewState.SUBMITTED:
        parts.append("update submitted for sign-off")
    elif review is not None:
        risk.refresh_from_db(fields=["next_review_due", "current_score", "current_band"])
        reviewed = "re-scored and reviewed" if review.rescored else "reviewed"
        due = date_value(risk.next_review_due)
        parts.append(f"{reviewed}; next review due {due}" if due else reviewed)
    if "progress" in changes:
        parts.append("progress to target saved")
    if actions:
        parts.append(f"{actions} action{'s' if actions != 1 else ''} updated")
    return {
        "ref": risk.ref,
        "title": risk.title,
        "url": reverse("risk", args=[risk.organisation.slug, risk.ref]),
        "done": ", ".join(parts),
        "submitted": review is not None and review.state == ReviewState.SUBMITTED,
    }


def _rebind(entry: Entry, values: dict) -> None:
    """The risk's form again with ``values`` put over what was posted."""
    form = entry.form
    data = form.data.copy()
    for name, value in values.items():
        data[form.add_prefix(name)] = value
    entry.form = QuickRiskForm(
        data,
        prefix=form.prefix,
        scheme=form.scheme,
        risk=form.risk,
        opened=form.opened,
        sent_back=form.sent_back,
    )
    entry.form.is_valid()


def _show_risk_conflict(request, entry: Entry, current: Risk, opened_version: int) -> None:
    """As the review form: what they changed, everything typed kept, now at their version so
    the next save knowingly goes on top; what this person left alone shows their values."""
    changes = entry.form.changes()
    values = {"version": str(current.version)}
    if "positions" not in changes:
        values["current_likelihood"] = str(current.current_likelihood or "")
        values["current_impact"] = str(current.current_impact or "")
    if "progress" not in changes:
        values["progress"] = current.progress
    entry.form.opened = {
        "current": None
        if current.current_likelihood is None
        else (current.current_likelihood, current.current_impact),
        "progress": current.progress,
    }
    _rebind(entry, values)
    entry.conflict = history.changes_since_version(current, opened_version)


def _show_action_conflict(request, entry: Entry, exc: TreatmentConflict) -> None:
    """The action's colleague changed a field this person changed too: both values shown, the
    person's kept, now at the colleague's version so saving again knowingly replaces theirs."""
    current = exc.current
    for index, action_form in enumerate(entry.action_forms):
        if action_form.action.pk != current.pk:
            continue
        data = action_form.data.copy()
        data[action_form.add_prefix("version")] = str(current.version)
        opened = {"status": current.status, "progress_note": current.progress_note}
        again = QuickActionForm(
            data, prefix=action_form.prefix, action=action_form.action, opened=opened
        )
        again.is_valid()
        entry.action_forms[index] = again
        labels = dict(again.fields["status"].choices)
        rows = []
        for conflict in exc.conflicts:
            if conflict.name == "status":
                theirs, mine = labels.get(conflict.theirs, ""), labels.get(conflict.mine, "")
            else:
                theirs, mine = conflict.theirs or "Not set", conflict.mine or "Not set"
            rows.append(
                {"label": str(again.fields[conflict.name].label), "theirs": theirs, "mine": mine}
            )
        entry.action_conflicts.append(
            {
                "action": current,
                "by": ", ".join(exc.by) or "Someone else",
                "rows": rows,
                "message": ACTION_CHANGED.format(
                    ref=entry.risk.ref, action=current.description[:80]
                ),
            }
        )


urlpatterns = [
    path("o/<slug:org>/my-update/", quick_update_view, name="quick_update"),
]
