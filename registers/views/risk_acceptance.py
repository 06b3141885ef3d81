"""The risk page's acceptance panel (issue 17): whether the risk's breach is accepted, until when
and by whom, the form to accept it (for those with the authority, while it is above tolerance)
or to withdraw the acceptance, and the earlier acceptances. Read by ``risk_common``'s page."""

from __future__ import annotations

from dataclasses import replace

from appetite.rules import AppetiteState

from .. import calendar
from ..forms_acceptance import AcceptForm, WithdrawAcceptanceForm
from ..models import Risk, RiskStatus
from ..selectors.acceptance import risk_acceptances
from ..selectors.rows import RiskRow
from ..services.acceptance import MAX_ACCEPTANCE_MONTHS, covers, latest_expiry


def acceptance_context(access, risk: Risk, row: RiskRow, **state) -> dict:
    """The panel's context, and ``row`` with ``accepted_until`` set while an acceptance covers
    the breach (the page's appetite line then says so). Two queries: the risk's acceptances,
    and (only for a breach) whether the member is a named approver."""
    today = calendar.organisation_today(access.organisation)
    acceptances = risk_acceptances(risk)
    current = next((a for a in acceptances if a.ended_at is None), None)
    in_breach = row.appetite == AppetiteState.BREACH and risk.status != RiskStatus.CLOSED
    covering = in_breach and covers(current, score=risk.current_score, today=today)
    if covering:
        row = replace(row, accepted_until=current.expires_on)
    can_accept = in_breach and access.can_accept_risk(risk)
    context = {
        "row": row,
        "acceptance": current,
        "acceptance_covers": covering,
        # An open acceptance that no longer explains the breach: the score rose above it, or
        # its day passed before the daily run ended it.
        "acceptance_lapsed": current is not None and not covering,
        "acceptance_past": [a for a in acceptances if a is not current],
        "acceptance_in_breach": in_breach,
        "can_accept": can_accept and not covering,
        "can_withdraw_acceptance": current is not None and access.can_accept_risk(risk),
        "acceptance_latest": latest_expiry(today),
        "acceptance_months": MAX_ACCEPTANCE_MONTHS,
    }
    # A refused form is shown (its errors in the summary) even where the risk is no longer
    # one to accept, so the refusal is never lost.
    if context["can_accept"] or state.get("accept_form"):
        context["accept_form"] = state.get("accept_form") or AcceptForm(auto_id="accept-%s")
        context["accept_form_open"] = bool(state.get("accept_form"))
    if context["can_withdraw_acceptance"]:
        context["withdraw_acceptance_form"] = state.get(
            "withdraw_acceptance_form"
        ) or WithdrawAcceptanceForm(auto_id="withdraw-acceptance-%s")
        context["withdraw_acceptance_open"] = bool(state.get("withdraw_acceptance_form"))
    return context
