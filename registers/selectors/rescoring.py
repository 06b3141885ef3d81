"""What a new version of a scoring scheme would do to the risks rated under it, read before the
version is adopted (the scheme settings page's preview), and which version each rating of an
export or pack is under when they differ.

Three queries however many risks there are: the risks (as values), the versions they are rated
under, and the organisation's appetite thresholds. Every rating is made by the scoring engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from appetite.rules import AppetiteState
from appetite.selectors import appetite_lookup
from scoring.definition import SchemeDefinition
from scoring.engine import Rating, RatingError, rate
from scoring.models import Scheme, SchemeVersion

from ..models import Register, Risk
from .rows import OPEN_STATUSES

POSITIONS = ("inherent", "current", "target")
NEWLY_OVER = "Newly over tolerance"
SHOWN_PER_REGISTER = 200  # risks listed per register and list; the rest are counted
NO_LONGER_OVER = "No longer over tolerance"


def scheme_open_risks(*, scheme: Scheme) -> QuerySet[Risk]:
    """The open (and escalated) risks of the registers that rate under ``scheme``: registers
    that name it, and, for the organisation's default scheme, registers that name none. An
    archived register's risks are left out: it is read-only, so they keep their version."""
    registers = Q(scheme=scheme)
    if scheme.is_default:
        registers |= Q(scheme__isnull=True)
    return Risk.objects.filter(
        organisation_id=scheme.organisation_id,
        status__in=OPEN_STATUSES,
        register_id__in=Register.objects.filter(
            registers, organisation_id=scheme.organisation_id, archived_at__isnull=True
        ).values("id"),
    )


class _Rater:
    """The engine's ratings of one definition, each pair rated once (10,000 risks sit on at
    most 100 cells)."""

    def __init__(self, definition: SchemeDefinition | None):
        self.definition = definition
        self._seen: dict[tuple[int, int], Rating | str] = {}

    def rating(self, likelihood, impact) -> Rating | str | None:
        """The rating, None for no rating, or the engine's words when the levels do not fit."""
        if likelihood is None or impact is None:
            return None
        if self.definition is None:
            return "no scheme"
        key = (likelihood, impact)
        if key not in self._seen:
            try:
                self._seen[key] = rate(self.definition, likelihood, impact)
            except RatingError as exc:
                self._seen[key] = str(exc)
        return self._seen[key]


@dataclass(frozen=True)
class RiskRescore:
    """One risk's current rating now and under the proposed version."""

    id: int
    ref: str
    title: str
    old_label: str  # "12 (Medium)", or "Not rated"
    new_label: str
    old_colour: str | None
    new_colour: str | None
    old_state: AppetiteState
    new_state: AppetiteState
    problem: str = ""  # why it cannot be re-rated automatically (its levels are not on the scheme)

    @property
    def tolerance_change(self) -> str:
        old = self.old_state == AppetiteState.BREACH
        new = self.new_state == AppetiteState.BREACH
        if new and not old:
            return NEWLY_OVER
        if old and not new:
            return NO_LONGER_OVER
        return ""


@dataclass
class RegisterRescore:
    """A register's risks whose rating would change and those needing re-scoring by hand, the
    first SHOWN_PER_REGISTER of each (by ref) listed and all of them counted."""

    name: str
    slug: str
    changes: list[RiskRescore] = field(default_factory=list)
    by_hand: list[RiskRescore] = field(default_factory=list)
    changing: int = 0
    needing: int = 0

    @property
    def changes_not_shown(self) -> int:
        return self.changing - len(self.changes)

    @property
    def by_hand_not_shown(self) -> int:
        return self.needing - len(self.by_hand)


@dataclass
class RescoringPreview:
    """The open risks of the scheme's registers, per register (by name): those whose score or
    band would change, those that cannot be re-rated automatically, and how many keep their
    rating as it is."""

    registers: list[RegisterRescore]
    total: int = 0
    changing: int = 0
    unchanged: int = 0
    by_hand: int = 0
    newly_over: int = 0
    no_longer_over: int = 0

    @property
    def rerateable(self) -> int:
        return self.changing + self.unchanged


_FIELDS = (
    "id",
    "ref",
    "title",
    "category_id",
    "scheme_version_id",
    "register__name",
    "register__slug",
    "current_band",
    *(f"{p}_{part}" for p in POSITIONS for part in ("likelihood", "impact", "score")),
)


def _label(rating) -> tuple[str, str | None]:
    if isinstance(rating, Rating):
        return rating.label, rating.colour
    return "Not rated", None


def rescoring_preview(*, scheme: Scheme, definition: SchemeDefinition) -> RescoringPreview:
    """What adopting ``definition`` as the scheme's next version would do to its open risks."""
    rows = list(scheme_open_risks(scheme=scheme).order_by("register__name", "ref").values(*_FIELDS))
    versions = SchemeVersion.objects.in_bulk({row["scheme_version_id"] for row in rows} - {None})
    raters = {pk: _Rater(version.parsed) for pk, version in versions.items()}
    no_version = _Rater(None)
    new = _Rater(definition)
    lookup = appetite_lookup(organisation=scheme.organisation_id)
    preview = RescoringPreview(registers=[])
    by_register: dict[str, RegisterRescore] = {}
    for row in rows:
        preview.total += 1
        old_rater = raters.get(row["scheme_version_id"], no_version)
        old_current = old_rater.rating(row["current_likelihood"], row["current_impact"])
        if not isinstance(old_current, Rating) and row["current_score"] is not None:
            old_text, old_colour = f"{row['current_score']} ({row['current_band']})", None
        else:
            old_text, old_colour = _label(old_current)
        new_ratings = {p: new.rating(row[f"{p}_likelihood"], row[f"{p}_impact"]) for p in POSITIONS}
        problems = [f"{p}: {r}" for p, r in new_ratings.items() if isinstance(r, str)]
        new_current = new_ratings["current"]
        new_score = new_current.score if isinstance(new_current, Rating) else None
        new_text, new_colour = _label(new_current)
        old_state = lookup.state(category_id=row["category_id"], score=row["current_score"])
        new_state = (
            old_state if problems else lookup.state(category_id=row["category_id"], score=new_score)
        )
        entry = RiskRescore(
            id=row["id"],
            ref=row["ref"],
            title=row["title"],
            old_label=old_text,
            new_label="" if problems else new_text,
            old_colour=old_colour,
            new_colour=None if problems else new_colour,
            old_state=old_state,
            new_state=new_state,
            problem="; ".join(problems),
        )
        register = by_register.get(row["register__slug"])
        if register is None:
            register = by_register[row["register__slug"]] = RegisterRescore(
                name=row["register__name"], slug=row["register__slug"]
            )
            preview.registers.append(register)
        if problems:
            register.needing += 1
            if len(register.by_hand) < SHOWN_PER_REGISTER:
                register.by_hand.append(entry)
            preview.by_hand += 1
            continue
        same = (
            all(
                (r.score if isinstance(r, Rating) else None) == row[f"{p}_score"]
                for p, r in new_ratings.items()
            )
            and (new_current.band.name if isinstance(new_current, Rating) else "")
            == (row["current_band"])
        )
        if same:
            preview.unchanged += 1
            continue
        register.changing += 1
        if len(register.changes) < SHOWN_PER_REGISTER:
            register.changes.append(entry)
        preview.changing += 1
        preview.newly_over += entry.tolerance_change == NEWLY_OVER
        preview.no_longer_over += entry.tolerance_change == NO_LONGER_OVER
    preview.registers = [r for r in preview.registers if r.changes or r.by_hand]
    return preview


# --- ratings under more than one version (exports and packs) ---------------------------------

OLDER_VERSION_MARK = "†"


def rating_versions(version_ids: Iterable[int | None]) -> dict[int, str]:
    """{version id: "ESPO 5x5 v2"} for the versions the given ratings are under, when they are
    under more than one; {} when they are all under one version (or none), which needs no word.
    One query, only when versions differ."""
    ids = {pk for pk in version_ids if pk is not None}
    if len(ids) < 2:
        return {}
    found = SchemeVersion.objects.filter(id__in=ids).values_list("id", "number", "scheme__name")
    return {pk: f"{name} v{number}" for pk, number, name in found}


def older_rating_versions(version_ids: Iterable[int | None]) -> tuple[set[int], str]:
    """For a pack: the ids of versions older than the newest version of the same scheme among
    the given ratings, and the legend line for the mark those ratings carry ("" when none)."""
    ids = {pk for pk in version_ids if pk is not None}
    if len(ids) < 2:
        return set(), ""
    found = list(
        SchemeVersion.objects.filter(id__in=ids).values_list(
            "id", "number", "scheme_id", "scheme__name"
        )
    )
    newest: dict[int, int] = {}
    for _, number, scheme_id, _ in found:
        newest[scheme_id] = max(newest.get(scheme_id, 0), number)
    older = {pk for pk, number, scheme_id, _ in found if number < newest[scheme_id]}
    if not older:
        return set(), ""
    named = sorted(
        {(name, number) for pk, number, _, name in found if pk in older},
        key=lambda pair: (pair[0], pair[1]),
    )
    versions = ", ".join(f"version {number} of {name}" for name, number in named)
    legend = (
        f"{OLDER_VERSION_MARK} Rated under {versions}, not yet re-rated under the scheme's "
        "newer version that the other ratings use: each is re-rated at its next review."
    )
    return older, legend


@dataclass(frozen=True)
class RatingVersion:
    """A risk rated under a version other than its register's current one."""

    number: int
    scheme: str
    current_number: int
    same_scheme: bool


def risk_rating_version(risk: Risk, *, current: SchemeVersion | None) -> RatingVersion | None:
    """None when the risk is rated under ``current`` (its register's version now) or not at
    all; otherwise the version it is rated under, for "rated under version N"."""
    if risk.scheme_version_id is None or current is None or risk.scheme_version_id == current.pk:
        return None
    rated = risk.scheme_version
    return RatingVersion(
        number=rated.number,
        scheme=rated.scheme.name,
        current_number=current.number,
        same_scheme=rated.scheme_id == current.scheme_id,
    )
