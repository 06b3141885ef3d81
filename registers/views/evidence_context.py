"""The risk page's assurance evidence section (issue 18): the assurance map (each control against
the three lines of assurance: current, lapsed or none, and its gaps named), the evidence on the
risk and on each control, action and review, and the upload form for those who may add.

All the risk's evidence is read in one query, whatever its number (the page's budget stays
flat); none of it is read for a member who may not see the risk's detail. What is current or
lapsed is ``registers.selectors.assurance``'s to say, for this page as for the packs."""

from __future__ import annotations

from dataclasses import dataclass

from ..calendar import organisation_today
from ..forms_evidence import ON_RISK, EvidenceForm
from ..models import Review, Risk
from ..selectors.assurance import ControlAssurance, risk_evidence, with_assurance

REVIEWS_OFFERED = 5  # the latest reviews offered as something to attach evidence to


@dataclass
class MapRow:
    """A control and its assurance (``registers.selectors.assurance``) as the map shows it."""

    control: object
    state: ControlAssurance

    @property
    def cells(self):
        return self.state.lines

    @property
    def gaps(self) -> list[str]:
        return self.state.gaps

    @property
    def lapsed(self) -> bool:
        return self.state.lapsed


def assurance_map(controls, *, today) -> list[MapRow]:
    """The map's rows; controls not yet given their assurance (``controls_context`` gives it)
    are read in one query."""
    missing = [c for c in controls if not hasattr(c, "assurance_state")]
    if missing:
        with_assurance(missing, today=today)
    return [MapRow(control=c, state=c.assurance_state) for c in controls]


def evidence_targets(access, risk: Risk, *, controls, actions, reviews) -> list[tuple[str, str]]:
    """What this member may attach evidence to, as the form's choices."""
    targets = []
    if access.can_add_evidence(risk):
        targets.append((ON_RISK, "The risk as a whole"))
        targets += [(f"control-{c.pk}", f"Control: {c.description[:80]}") for c in controls]
    targets += [
        (f"action-{a.pk}", f"Action: {a.description[:80]}")
        for a in actions
        if access.can_add_evidence(risk, action=a)
    ]
    targets += [
        (f"review-{r.pk}", f"Review of {r.reviewed_on:%-d %b %Y}")
        for r in reviews
        if access.can_add_evidence(risk, review=r)
    ]
    return targets


def offered_reviews(risk: Risk, reviews=None) -> list[Review]:
    if reviews is not None:  # all the risk's, as the risk page holds them
        newest = sorted(reviews, key=lambda r: (r.reviewed_on, r.id), reverse=True)
        return newest[:REVIEWS_OFFERED]
    return list(Review.objects.filter(risk=risk).order_by("-reviewed_on", "-id")[:REVIEWS_OFFERED])


def new_evidence_form(
    access, risk, *, controls, actions, data=None, files=None, reviews=None
) -> EvidenceForm:
    targets = evidence_targets(
        access, risk, controls=controls, actions=actions, reviews=offered_reviews(risk, reviews)
    )
    return EvidenceForm(data, files, targets=targets, auto_id="evidence-%s")


def evidence_context(
    access,
    risk: Risk,
    *,
    controls,
    actions,
    can_see_detail: bool,
    evidence_form=None,
    evidence_form_open: bool = False,
    reviews=None,
    items=None,
) -> dict:
    """The section's context. The upload form is drawn only when open (its errors, or GET
    /evidence/add/ without JavaScript: ``evidence_form_open``); otherwise ``evidence_may_add``
    says the page carries the details with a link that htmx swaps for the form."""
    if not can_see_detail:
        return {"evidence_items": [], "assurance_rows": [], "evidence_withheld": True}
    today = organisation_today(access.organisation)
    if items is None:  # else the risk's evidence as the page read it (``risk_evidence``)
        items = risk_evidence(risk, today=today)
    controls_by_id = {c.pk: c for c in controls}
    actions_by_id = {a.pk: a for a in actions}
    groups: dict[str, list] = {}
    titles: dict[str, str] = {}
    for item in items:
        item.can_delete = access.can_delete_evidence(item)
        if item.control_id:
            key = f"control-{item.control_id}"
            control = controls_by_id.get(item.control_id)
            titles[key] = f"Control: {control.description}" if control else "A control"
        elif item.action_id:
            key = f"action-{item.action_id}"
            action = actions_by_id.get(item.action_id)
            titles[key] = f"Action: {action.description}" if action else "An action"
        elif item.review_id:
            key = f"review-{item.review_id}"
            titles[key] = f"Review of {item.review.reviewed_on:%-d %B %Y}"
        else:
            key = ON_RISK
            titles[key] = "The risk as a whole"
        groups.setdefault(key, []).append(item)
    may_add = access.can_add_evidence(risk) or any(
        access.can_add_evidence(risk, action=a) for a in actions
    )
    form = evidence_form
    if form is None and may_add and evidence_form_open:
        form = new_evidence_form(access, risk, controls=controls, actions=actions, reviews=reviews)
    return {
        "evidence_may_add": may_add,
        "evidence_items": items,
        "evidence_groups": [(titles[key], key, group) for key, group in groups.items()],
        "assurance_rows": assurance_map(controls, today=today),
        "evidence_form": form,
        "evidence_withheld": False,
    }
