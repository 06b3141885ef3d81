"""Who gets which reminder lines on a given day.

Per person and organisation, a personal digest (kind ``daily``) lists
- open risks (open or escalated; never closed) they own or manage whose next review is due within
  the organisation's notice period (``reminder_notice_days``) or overdue, except a risk with an
  update awaiting sign-off (decision 51): its review is done and waits for an approver, who is
  told by a notice when it is submitted, so nobody is chased for it until it is decided, and
- the actions they chase (``registers.selectors.actions_to_chase``: their own, and every open one
  on the risks they own or manage, whoever owns it) due within the notice period or overdue; an
  action with no owner says so.

Their preference filters it: ``daily`` (the default) every day; ``weekly`` only on Mondays;
``never`` means only the overdue lines, on any day.

- the key risk indicators (issue 18) whose reading is overdue ("stale",
  ``registers.selectors.indicators.stale``) of open risks, to the indicator's owner (or, when it
  has none, the risk's owner), whatever their preference (a stale reading is overdue).
- the updates awaiting their sign-off (decision 110): of open risks on registers in use, to every
  member who may sign them off (``OrganisationAccess.can_sign_off``, as the sign-off page asks)
  but their author, oldest first, with how long each has waited. One counts as overdue once it
  has waited more than ``SIGN_OFF_DAYS`` (so ``never`` hears of it then). Each line names the
  risk by its ref and title, as every page does for every member (its detail is not in it).
- the updates of theirs an approver sent back that still stand (decision 136:
  ``registers.selectors.sign_off.stands_sent_back``, the quick update's and My work's "Update
  sent back"), of open risks on registers in use, to their author alone: who sent it back, of
  when, and the first words of the reason, withheld (``WITHHELD_SHORT``) from an author not
  cleared for a marked risk's detail; linked where its author puts that kind of update right
  (``_Links.sent_back``). Overdue when the risk's review is. A risk whose review is due and whose
  update its reader made was sent back is one line, this one, saying when the review is due
  (``Line.review_due``): its review line is left out of that reader's digest (decision 137).

Coordinators and admins also get a coordinator digest (kind ``weekly``) on Mondays: everything
overdue in the registers they edit (``OrganisationAccess.editable_register_ids``), an action with no
owner flagged as such.

Only members of the organisation are chased, and only about that organisation's risks. A fixed
number of queries per organisation, however many people and coordinators.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from urllib.parse import quote

from django.conf import settings
from django.db.models.functions import Length
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

from registers.calendar import day_end, local_date, reminder_horizon
from registers.models import Action, Membership, Organisation, Review, ReviewState, Risk
from registers.models.risks import RiskStatus
from registers.permissions import (
    COORDINATOR_ROLES,
    OrganisationAccess,
    prime_editable_register_ids,
    prime_named_approver_register_ids,
)
from registers.refs import ref_to_url
from registers.selectors import chaseable_actions, chasers
from registers.selectors.indicator_lists import open_risk_indicators
from registers.selectors.indicators import indicator_standing, indicator_start_day
from registers.selectors.review_standing import awaiting
from registers.selectors.sign_off import sent_back_words, stands_sent_back
from registers.services.review_submissions import KIND_RATING, person
from registers.withholding import WITHHELD_SHORT
from reporting.models import DigestFrequency, ReminderPreference

DAILY = "daily"
WEEKLY = "weekly"
OPEN_STATUSES = (RiskStatus.OPEN, RiskStatus.ESCALATED)
MONDAY = 0

INDICATOR_READING = "Record a reading of {name} ({ref}): it is overdue"

# An action line, in the words of whoever reads it: the action's owner; the owner or manager of
# its risk, who chases it; anyone about an action nobody owns (registers/selectors/chasing.py).
OWN_ACTION = "Update action on {ref}: {detail}"
CHASE_ACTION = "Chase {owner}'s action on {ref}: {detail}"
UNOWNED_ACTION = "Action on {ref} has no owner: {detail}"

# An update awaiting the reader's sign-off (decision 110): how long an approver has before it
# counts as overdue, and its line ("detail" is the risk's title).
SIGN_OFF_DAYS = 7
SIGN_OFF = "Sign off {author}'s update of {ref}: {detail}"

# An update of the reader's sent back to them that still stands (decision 136): who sent it
# back, of when (``sent_back_words``), then the first words of the reason ("detail"), the
# approver's words about the risk: withheld as the risk's detail is.
SENT_BACK = "{said}: {detail}"
SENT_BACK_WORDS = 12


def base_url() -> str:
    return getattr(settings, "RISKREG_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


@dataclass(frozen=True)
class Line:
    """One thing to do: review a risk or update an action, with where it is done."""

    kind: str  # "review", "action", "indicator", "sign_off" or "sent_back"
    ref: str
    text: str
    due: dt.date
    overdue: bool
    url: str
    register: str = ""
    # An update awaiting sign-off: the day it was submitted, and how many days it has waited.
    since: dt.date | None = None
    waited: int = 0
    # An update sent back of a risk whose review is due too: this line stands for its review
    # line, left out of its reader's digest (decision 137), and says when the review is due.
    review_due: bool = False

    @property
    def due_text(self) -> str:
        return self.due.strftime("%-d %B %Y")

    @property
    def waiting_text(self) -> str:
        """How long an update has waited for sign-off, in the e-mail's words."""
        if self.since is None:
            return ""
        if self.waited < 1:
            return "Submitted today"
        days = f"{self.waited} day{'s' if self.waited != 1 else ''}"
        return f"Submitted {self.since.strftime('%-d %B %Y')}, waiting {days}"


@dataclass
class Digest:
    organisation: Organisation
    user: object
    kind: str  # DAILY (personal) or WEEKLY (coordinator)
    day: dt.date
    lines: list[Line] = field(default_factory=list)

    @property
    def overdue(self) -> list[Line]:
        return [line for line in self.lines if line.overdue]

    @property
    def upcoming(self) -> list[Line]:
        return [line for line in self.lines if not line.overdue]

    @property
    def reviews(self) -> list[Line]:
        return [line for line in self.lines if line.kind == "review"]

    @property
    def actions(self) -> list[Line]:
        return [line for line in self.lines if line.kind == "action"]

    @property
    def indicators(self) -> list[Line]:
        return [line for line in self.lines if line.kind == "indicator"]

    @property
    def sign_offs(self) -> list[Line]:
        return [line for line in self.lines if line.kind == "sign_off"]

    @property
    def sent_backs(self) -> list[Line]:
        return [line for line in self.lines if line.kind == "sent_back"]


class _Links:
    """The absolute URLs of one organisation's review and action pages: each route reversed once
    with stand-in values, then filled in per line exactly as ``reverse`` fills it (the ref made
    URL-safe, then percent-encoded). ``reverse`` for every line was a quarter of the selection's
    time at 10,000 risks; a test holds the two equal for awkward refs."""

    _REF = "reminder-ref-stand-in"
    _PK = 7_302_000_000_001
    _SAFE = RFC3986_SUBDELIMS + "/~:@"  # what ``reverse`` leaves unencoded

    def __init__(self, organisation: Organisation):
        self.slug = organisation.slug
        self.base = base_url()
        self._review = self._template("risk_review")
        self._action = self._template("action_edit", pk=self._PK)
        self._sign_off = self._template("review_decide", review=self._PK)
        self._risk = self._template("risk")

    def _template(self, name: str, **kwargs) -> str | None:
        path = reverse(name, kwargs={"org": self.slug, "ref": self._REF, **kwargs})
        stand_ins = [self._REF] + [str(value) for value in kwargs.values()]
        if any(path.count(stand_in) != 1 for stand_in in stand_ins):
            return None  # a slug holding a stand-in: reverse each time
        template = path.replace("{", "{{").replace("}", "}}").replace(self._REF, "{ref}")
        return template.replace(str(self._PK), "{pk}")

    def _ref(self, ref: str) -> str:
        return quote(ref_to_url(ref), safe=self._SAFE)

    def review(self, ref: str) -> str:
        if self._review is None:
            return self.base + reverse("risk_review", kwargs={"org": self.slug, "ref": ref})
        return self.base + self._review.format(ref=self._ref(ref))

    def risk(self, ref: str) -> str:
        if self._risk is None:
            return self.base + reverse("risk", kwargs={"org": self.slug, "ref": ref})
        return self.base + self._risk.format(ref=self._ref(ref))

    def sent_back(self, ref: str, *, rating: bool) -> str:
        """Where the author of an update sent back puts it right, as the pages that tag it send
        them: a review to the review page, which starts from the words sent back; a change of
        rating made on the edit form (``KIND_RATING``) to the risk page's sign-off panel, where
        My work's and the dashboard's rows lead, with the whole reason and the risk's Edit (the
        review page neither fills it in nor is where the rating was changed)."""
        if rating:
            return self.risk(ref) + "#sign-off"
        return self.review(ref)

    def action(self, ref: str, pk: int) -> str:
        """The risk page with the action's form open, scrolled to it (as the page's own Edit
        link): on a phone the form is thousands of pixels down a long page."""
        fragment = f"#action-{int(pk)}"
        if self._action is None:
            kwargs = {"org": self.slug, "ref": ref, "pk": pk}
            return self.base + reverse("action_edit", kwargs=kwargs) + fragment
        return self.base + self._action.format(ref=self._ref(ref), pk=int(pk)) + fragment

    def sign_off(self, ref: str, pk: int) -> str:
        """The page where an approver signs off (or sends back) the update ``pk`` of ``ref``."""
        if self._sign_off is None:
            kwargs = {"org": self.slug, "ref": ref, "review": pk}
            return self.base + reverse("review_decide", kwargs=kwargs)
        return self.base + self._sign_off.format(ref=self._ref(ref), pk=int(pk))


def _review_line(risk: Risk, today: dt.date, links: _Links) -> Line:
    return Line(
        kind="review",
        ref=risk.ref,
        text=f"Review risk {risk.ref}: {risk.title}",
        due=risk.next_review_due,
        overdue=risk.next_review_due < today,
        url=links.review(risk.ref),
        register=risk.register.name,
    )


def _action_text(action: Action, *, chasing: bool, detail: str) -> str:
    """The line as the action's owner (``chasing`` False) or its risk's owner or manager reads it;
    anybody's line about an action with no owner says so."""
    ref = action.risk.ref
    if action.owner_id is None:
        return UNOWNED_ACTION.format(ref=ref, detail=detail)
    if chasing:
        return CHASE_ACTION.format(owner=action.owner.display_name, ref=ref, detail=detail)
    return OWN_ACTION.format(ref=ref, detail=detail)


def _action_line(action: Action, today: dt.date, links: _Links) -> Line:
    risk = action.risk
    return Line(
        kind="action",
        ref=risk.ref,
        text=_action_text(action, chasing=False, detail=action.description),
        due=action.due_date,
        overdue=action.due_date < today,
        url=links.action(risk.ref, action.pk),
        register=risk.register.name,
    )


def _stale_indicators(organisation: Organisation, today: dt.date) -> list:
    """The current indicators of open risks (not on archived registers) overdue for a reading,
    with their risk, in one query."""
    indicators = (
        open_risk_indicators(organisation=organisation)
        .filter(risk__register__archived_at__isnull=True)
        .select_related("risk", "risk__register")
        .order_by(Length("risk__ref"), "risk__ref", "position", "id")
    )
    stale = []
    for indicator in indicators:
        indicator.standing = indicator_standing(
            indicator,
            today=today,
            since=indicator_start_day(indicator, organisation=organisation),
        )
        if indicator.standing.stale:
            stale.append(indicator)
    return stale


def _indicator_line(indicator, *, detail: str) -> Line:
    risk = indicator.risk
    path = reverse("risk", kwargs={"org": risk.organisation.slug, "ref": risk.ref})
    return Line(
        kind="indicator",
        ref=risk.ref,
        text=INDICATOR_READING.format(name=detail, ref=risk.ref),
        due=indicator.standing.next_due,
        overdue=True,
        url=f"{base_url()}{path}#indicator-{indicator.pk}",
        register=risk.register.name,
    )


# A risk's fields a line and the withholding read (``OrganisationAccess.can_see_sensitive``).
_RISK_FIELDS = (
    "organisation_id",
    "register",
    "ref",
    "title",
    "next_review_due",
    "owner_id",
    "manager_id",
    "marking",
)


def _risks(organisation: Organisation, until: dt.date):
    return (
        Risk.objects.filter(
            organisation=organisation,
            status__in=OPEN_STATUSES,
            next_review_due__lte=until,
            register__archived_at__isnull=True,  # an archived register's risks are not reviewed
        )
        # Reviewed, waiting for an approver: neither due nor overdue, nobody's to do again (in
        # the same query; ``review_standing``, decision 123).
        .exclude(awaiting())
        .select_related("register")
        .only(*_RISK_FIELDS, "register__name")
        .order_by("next_review_due", Length("ref"), "ref")
    )


def _actions(organisation: Organisation, until: dt.date):
    return (
        chaseable_actions(organisation)
        .filter(due_date__lte=until)
        # What a line says and who may read it: thousands of rows of four tables were half of
        # the selection's time when read whole.
        .only(
            "organisation_id",
            "risk",
            "description",
            "owner",
            "due_date",
            *(f"risk__{name}" for name in _RISK_FIELDS),
            "risk__register__name",
            "owner__full_name",
            "owner__job_title",
            "owner__email",
        )
        .order_by("due_date", Length("risk__ref"), "risk__ref", "id")
    )


def _awaiting_sign_off(organisation: Organisation, today: dt.date):
    """The updates awaiting sign-off by the end of ``today``, of open risks on registers in use,
    oldest first, with their risk, register and author: one query. A closed risk's update
    cannot be signed off (only sent back) and nobody reviews a closed risk, so it is not chased,
    as the owners' reviews of closed risks are not."""
    return (
        Review.objects.filter(
            organisation=organisation,
            state=ReviewState.SUBMITTED,
            created_at__lte=day_end(organisation=organisation, day=today),
            risk__status__in=OPEN_STATUSES,
            risk__register__archived_at__isnull=True,  # nobody signs off there
        )
        .select_related("risk", "risk__register", "reviewed_by")
        .only(
            "risk",
            "reviewed_by",
            "created_at",
            *(f"risk__{name}" for name in _RISK_FIELDS),
            "risk__register__name",
            "risk__register__organisation_id",
            "risk__register__archived_at",
            "reviewed_by__full_name",
            "reviewed_by__job_title",
            "reviewed_by__email",
        )
        .order_by("created_at", "id")
    )


def _sign_off_line(review: Review, today: dt.date, links: _Links, organisation) -> Line:
    risk = review.risk
    since = local_date(organisation=organisation, moment=review.created_at)
    due = since + dt.timedelta(days=SIGN_OFF_DAYS)
    return Line(
        kind="sign_off",
        ref=risk.ref,
        text=_sign_off_text(review, detail=risk.title),
        due=due,
        overdue=due < today,
        url=links.sign_off(risk.ref, review.pk),
        register=risk.register.name,
        since=since,
        waited=(today - since).days,
    )


def _sign_off_text(review: Review, *, detail: str) -> str:
    return SIGN_OFF.format(author=person(review.reviewed_by), ref=review.risk.ref, detail=detail)


def _sign_off_lines(
    organisation: Organisation, today: dt.date, links: _Links, accesses: dict
) -> dict[int, list[Line]]:
    """Each member's lines of the updates awaiting their sign-off. Who may sign off is the
    sign-off page's own answer (``OrganisationAccess.can_sign_off``), asked once per member and
    register, with every member's registers read at once: a few queries however many members
    and updates, and none more when no update waits."""
    waiting = list(_awaiting_sign_off(organisation, today))
    if not waiting:
        return {}
    everyone = list(accesses.values())
    prime_editable_register_ids(everyone)
    prime_named_approver_register_ids(everyone)
    by_register: dict[int, list[tuple[Review, Line]]] = defaultdict(list)
    for review in waiting:
        review.risk.organisation = organisation
        by_register[review.risk.register_id].append(
            (review, _sign_off_line(review, today, links, organisation))
        )
    lines: dict[int, list[Line]] = defaultdict(list)
    for access in everyone:
        for updates in by_register.values():
            # The register decides (the same for every update of it): asked of its first risk.
            if not access.can_sign_off(updates[0][0].risk):
                continue
            for review, line in updates:
                if review.reviewed_by_id == access.user.id:
                    continue  # nobody signs off their own update (SIGN_OFF_OWN)
                lines[access.user.id].append(line)
    return lines


def _standing_sent_back(organisation: Organisation):
    """The updates sent back that still stand (``stands_sent_back``: nothing made on their risk
    since), of open risks on registers in use, with their risk, register, author and approver:
    one query, however many. A closed risk's or an archived register's is nobody's to put right,
    as their reviews are not chased."""
    return (
        Review.objects.filter(
            stands_sent_back(),
            organisation=organisation,
            reviewed_by__isnull=False,
            risk__status__in=OPEN_STATUSES,
            risk__register__archived_at__isnull=True,
        )
        .select_related("risk", "risk__register", "reviewed_by", "decided_by")
        .only(
            "risk",
            "reviewed_by",
            "decided_by",
            "created_at",
            "decided_at",
            "decision_note",
            "proposed",
            *(f"risk__{name}" for name in _RISK_FIELDS),
            "risk__register__name",
            "reviewed_by__full_name",
            "reviewed_by__job_title",
            "reviewed_by__email",
            "decided_by__full_name",
            "decided_by__job_title",
            "decided_by__email",
        )
        .order_by("created_at", "id")
    )


def _first_words(text: str) -> str:
    words = (text or "").split()
    if len(words) <= SENT_BACK_WORDS:
        return " ".join(words)
    return " ".join(words[:SENT_BACK_WORDS]) + " …"


def _sent_back_lines(
    organisation: Organisation, today: dt.date, links: _Links, accesses: dict, due_ids: set
) -> dict[int, dict[int, Line]]:
    """Each member's lines of their own updates sent back to them that still stand (decision
    136), by risk id (one update stands per risk), linked where that kind of update is put right
    (``_Links.sent_back``). The reason is withheld from an author no longer cleared for a marked
    risk's detail (``can_see_sensitive``, as every line's detail is). Due as the risk's review
    is: overdue when it is. A risk of ``due_ids`` (its review is due by the horizon) that the
    author owns or manages is said to be due on this line (``review_due``), which stands for
    their review line of it (decision 137)."""
    lines: dict[int, dict[int, Line]] = defaultdict(dict)
    for review in _standing_sent_back(organisation):
        access = accesses.get(review.reviewed_by_id)
        if access is None:
            continue  # no longer a member here
        risk = review.risk
        risk.organisation = organisation
        shown = access.can_see_sensitive(risk)
        detail = _first_words(review.decision_note) if shown else WITHHELD_SHORT
        said = sent_back_words(review, access=access, ref=risk.ref)
        due = risk.next_review_due or today  # a risk with no review date: due now
        rating = (review.proposed or {}).get("kind") == KIND_RATING
        lines[access.user.id][risk.pk] = Line(
            kind="sent_back",
            ref=risk.ref,
            text=SENT_BACK.format(said=said, detail=detail or "no reason given"),
            due=due,
            overdue=due < today,
            url=links.sent_back(risk.ref, rating=rating),
            register=risk.register.name,
            # Theirs to review too: this line stands for their review line.
            review_due=risk.pk in due_ids and access.user.id in (risk.owner_id, risk.manager_id),
        )
    return lines


def digests_for(*, organisation: Organisation, today: dt.date) -> list[Digest]:
    """Every digest due in ``organisation`` on ``today``; empty digests are left out."""
    until = reminder_horizon(organisation=organisation, today=today)
    is_monday = today.weekday() == MONDAY
    memberships = list(
        Membership.objects.filter(organisation=organisation, user__is_active=True)
        .select_related("user", "reminder_preference")
        .order_by("user_id")
    )
    risks = list(_risks(organisation, until))
    actions = list(_actions(organisation, until))
    # The organisation is known: joining it to every row only decoded its JSON fields again.
    for risk in risks:
        risk.organisation = organisation
    for action in actions:
        action.risk.organisation = organisation
    # Each line is built once (its URL reversed once) and shared by every digest it is in: the
    # coordinators' digests used to build a line for every risk and action again each, which at
    # 10,000 risks and 50 coordinators was most of a 45-second run (bench/reminders.py).
    links = _Links(organisation)
    review_lines = [(risk, _review_line(risk, today, links)) for risk in risks]
    action_lines = [(action, _action_line(action, today, links)) for action in actions]
    overdue_lines = [
        (risk.register_id, risk, line) for risk, line in review_lines if line.overdue
    ] + [(action.risk.register_id, action, line) for action, line in action_lines if line.overdue]
    accesses = {m.user_id: OrganisationAccess(organisation, m) for m in memberships}
    # A risk due whose update its reader made was sent back is told once, on the sent-back
    # line, which says when it is due (decision 137): its review line is left out for them.
    sent_back = _sent_back_lines(
        organisation, today, links, accesses, due_ids={risk.pk for risk in risks}
    )
    by_user: dict[int, list[Line]] = defaultdict(list)
    for risk, line in review_lines:
        for user_id in {risk.owner_id, risk.manager_id} - {None}:
            theirs = sent_back.get(user_id, {}).get(risk.pk)
            if theirs is None or not theirs.review_due:
                by_user[user_id].append(line)
    if is_monday:  # the coordinators' registers, in a few queries rather than one each
        prime_editable_register_ids(
            [access for access in accesses.values() if access.role in COORDINATOR_ROLES]
        )
    for indicator in _stale_indicators(organisation, today):
        indicator.risk.organisation = organisation
        access = accesses.get(indicator.owner_id or indicator.risk.owner_id)
        if access is None:
            continue
        shown = access.can_see_sensitive(indicator.risk)
        detail = indicator.name if shown else WITHHELD_SHORT
        by_user[access.user.id].append(_indicator_line(indicator, detail=detail))
    for user_id, sign_offs in _sign_off_lines(organisation, today, links, accesses).items():
        by_user[user_id].extend(sign_offs)
    for user_id, theirs in sent_back.items():
        by_user[user_id].extend(theirs.values())
    for action, line in action_lines:
        # The owner's own line; the risk's owner and manager chase it in other words (built
        # once per action, when somebody other than its owner chases it).
        chase_line = None
        for user_id in chasers(action):
            access = accesses.get(user_id)
            if access is None:
                continue
            if user_id != action.owner_id and action.owner_id is not None:
                chase_line = chase_line or replace(
                    line, text=_action_text(action, chasing=True, detail=action.description)
                )
                by_user[user_id].append(_line_for(access, action, chase_line, chasing=True))
            else:
                by_user[user_id].append(_line_for(access, action, line))

    # Oldest due first, as every digest lists them: sorted once, so that each coordinator's list
    # is a filter of it, and coordinators cleared for every risk who edit the same registers
    # share one list (at 10,000 risks, 50 coordinators sorting and re-wording 8,500 lines each
    # were a third of the run's time).
    overdue_lines.sort(key=lambda entry: _order(entry[2]))
    coordinator_lines: dict[frozenset[int], list[Line]] = {}

    digests: list[Digest] = []
    for membership in memberships:
        user = membership.user
        lines = by_user.get(user.id, [])
        frequency = _frequency(membership)
        if frequency == DigestFrequency.WEEKLY and not is_monday:
            lines = []
        elif frequency == DigestFrequency.NEVER:
            lines = [line for line in lines if line.overdue]
        if lines:
            digests.append(_digest(organisation, user, DAILY, today, lines))
        if is_monday and membership.role in COORDINATOR_ROLES:
            access = accesses[user.id]
            editable = access.editable_register_ids
            if access.is_cleared:
                if editable not in coordinator_lines:
                    coordinator_lines[editable] = [
                        line for register_id, _, line in overdue_lines if register_id in editable
                    ]
                overdue = list(coordinator_lines[editable])
            else:
                overdue = [
                    _line_for(access, item, line)
                    for register_id, item, line in overdue_lines
                    if register_id in editable
                ]
            if overdue:
                digests.append(
                    Digest(
                        organisation=organisation, user=user, kind=WEEKLY, day=today, lines=overdue
                    )
                )
    return digests


def _line_for(access: OrganisationAccess, item, line: Line, *, chasing: bool = False) -> Line:
    """The line as this person may read it: an action of a risk whose OFFICIAL-SENSITIVE detail
    they are not cleared for is named by its risk only (a review line carries no detail)."""
    if not isinstance(item, Action) or access.can_see_sensitive(item.risk):
        return line
    return replace(line, text=_action_text(item, chasing=chasing, detail=WITHHELD_SHORT))


def _order(line: Line) -> tuple:
    """A digest's order: overdue first, then by due date, kind and ref."""
    return (not line.overdue, line.due, line.kind, line.ref)


def _digest(organisation, user, kind, today, lines) -> Digest:
    lines = sorted(lines, key=_order)
    return Digest(organisation=organisation, user=user, kind=kind, day=today, lines=lines)


def _frequency(membership: Membership) -> str:
    try:
        return membership.reminder_preference.frequency
    except ReminderPreference.DoesNotExist:
        return DigestFrequency.DAILY
