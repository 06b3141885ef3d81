"""The risk page's assurance evidence section (issue 18): the assurance map (each control against
the three lines of assurance: current, lapsed or none, and its gaps named), the evidence on the
risk and on each control, action and review, and the upload form for those who may add.

All the risk's evidence is read in one query, whatever its number (the page's budget stays
flat); none of it is read for a member who may not see the risk's detail."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from ..forms_evidence import ON_RISK, EvidenceForm
from ..models import Review, Risk
from ..models.evidence import AssuranceLine, Evidence

REVIEWS_OFFERED = 5  # the latest reviews offered as something to attach evidence to
LINE_WORDS = {
    AssuranceLine.FIRST: "first",
    AssuranceLine.SECOND: "second",
    AssuranceLine.THIRD: "third",
}


@dataclass
class LineCell:
    line: int
    state: str  # "current", "lapsed" or "none"
    lapsed_on: object = None
    count: int = 0

    @property
    def words(self) -> str:
        if self.state == "current":
            return f"{self.count} current"
        if self.state == "lapsed":
            return f"Lapsed on {self.lapsed_on:%-d %b %Y}"
        return "None"


@dataclass
class MapRow:
    control: object
    cells: list[LineCell] = field(default_factory=list)

    @property
    def gaps(self) -> list[str]:
        words = []
        for cell in self.cells:
            name = LINE_WORDS[cell.line]
            if cell.state == "none":
                words.append(f"No {name}-line assurance")
            elif cell.state == "lapsed":
                words.append(
                    f"{name.capitalize()}-line assurance lapsed on {cell.lapsed_on:%-d %b %Y}"
                )
        return words

    @property
    def lapsed(self) -> bool:
        return any(cell.state == "lapsed" for cell in self.cells)


def risk_evidence(risk: Risk, *, today) -> list[Evidence]:
    """The risk's evidence not deleted, newest first, each marked ``lapsed`` (one query)."""
    items = list(
        Evidence.objects.filter(risk=risk, deleted_at__isnull=True)
        .select_related("uploaded_by", "review")
        .order_by("-uploaded_at", "-id")
    )
    for item in items:
        item.risk = risk
        item.lapsed = item.valid_until is not None and item.valid_until < today
    return items


def assurance_map(controls, items: list[Evidence]) -> list[MapRow]:
    rows = []
    for control in controls:
        row = MapRow(control=control)
        own = [item for item in items if item.control_id == control.pk]
        for line in AssuranceLine.values:
            on_line = [item for item in own if item.line == line]
            current = [item for item in on_line if not item.lapsed]
            if current:
                row.cells.append(LineCell(line, "current", count=len(current)))
            elif on_line:
                last = max(item.valid_until for item in on_line)
                row.cells.append(LineCell(line, "lapsed", lapsed_on=last, count=len(on_line)))
            else:
                row.cells.append(LineCell(line, "none"))
        control.assurance_lapsed = row.lapsed
        rows.append(row)
    return rows


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


def offered_reviews(risk: Risk) -> list[Review]:
    return list(Review.objects.filter(risk=risk).order_by("-reviewed_on", "-id")[:REVIEWS_OFFERED])


def new_evidence_form(access, risk, *, controls, actions, data=None, files=None) -> EvidenceForm:
    targets = evidence_targets(
        access, risk, controls=controls, actions=actions, reviews=offered_reviews(risk)
    )
    return EvidenceForm(data, files, targets=targets, auto_id="evidence-%s")


def evidence_context(
    access, risk: Risk, *, controls, actions, can_see_detail: bool, evidence_form=None
) -> dict:
    if not can_see_detail:
        return {"evidence_items": [], "assurance_rows": [], "evidence_withheld": True}
    today = timezone.localdate()
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
    if form is None and may_add:
        form = new_evidence_form(access, risk, controls=controls, actions=actions)
    return {
        "evidence_items": items,
        "evidence_groups": [(titles[key], key, group) for key, group in groups.items()],
        "assurance_rows": assurance_map(controls, items),
        "evidence_form": form,
        "evidence_withheld": False,
    }
