"""The first-run checklist of a new organisation (issue 15, "First run"): the six things its admin
sets up before the registers are in use (scoring scheme, categories, appetite, registers, members,
the first import), each with whether it is done, read off the organisation's own data in one
query however much of it there is. Nothing is stored about the checklist itself: an item is done
when the data says so, and stays done."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from appetite.models import AppetiteStatement
from scoring.models import Scheme

from ..models import Category, Invitation, Membership, Organisation, Register, Risk

# The scheme every organisation starts on (``organisation_create`` without a scheme file) is
# "not started" until the admin chooses another or saves a new version of it.
from ..services.organisations import DEFAULT_SCHEME_NAME as STARTER_SCHEME_NAME

DONE_WORDS = "Done"
NOT_STARTED_WORDS = "Not started"


@dataclass(frozen=True)
class ChecklistItem:
    key: str  # scheme, categories, appetite, registers, members, import
    title: str
    done: bool
    detail: str  # what the data says: "5 categories", "only the top register", or ""
    why: str  # one line on what the step is for

    @property
    def state(self) -> str:
        return DONE_WORDS if self.done else NOT_STARTED_WORDS

    @property
    def words(self) -> str:
        """The state in words: "Done: 5 categories", "Not started"."""
        return f"{self.state}: {self.detail}" if self.detail else self.state


@dataclass(frozen=True)
class FirstRunChecklist:
    items: tuple[ChecklistItem, ...]

    @property
    def done_count(self) -> int:
        return sum(item.done for item in self.items)

    @property
    def complete(self) -> bool:
        return all(item.done for item in self.items)

    @property
    def in_use(self) -> bool:
        """The organisation holds risks: its first run is over, whatever is left undone (a
        published register may have no appetite statement at all), so nothing nags for it."""
        return any(item.done for item in self.items if item.key == "import")

    def __iter__(self):
        return iter(self.items)


def _count(queryset) -> Coalesce:
    """A correlated COUNT of ``queryset``'s rows of the outer organisation, 0 when none."""
    counted = (
        queryset.filter(organisation=OuterRef("pk"))
        .order_by()
        .values("organisation")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def first_run_checklist(*, organisation: Organisation) -> FirstRunChecklist:
    """The checklist as the organisation's data stands. One query."""
    now = timezone.now()
    default_scheme = Scheme.objects.filter(organisation=OuterRef("pk"), is_default=True)
    row = (
        Organisation.objects.filter(pk=organisation.pk)
        .annotate(
            n_scheme_name=Subquery(default_scheme.values("name")[:1]),
            n_scheme_version=Subquery(default_scheme.values("current_version__number")[:1]),
            n_scheme_chosen_by_someone=Exists(
                default_scheme.filter(current_version__created_by__isnull=False)
            ),
            n_categories=_count(Category.objects.filter(retired_at__isnull=True)),
            n_statements=_count(AppetiteStatement.objects.all()),
            n_registers=_count(Register.objects.filter(archived_at__isnull=True)),
            # A register added or changed by a person (not the one create_org made): a
            # single-register organisation that renamed its top register has looked at it.
            n_registers_touched=Exists(
                Register.history.filter(organisation_id=OuterRef("pk"), history_user__isnull=False)
            ),
            n_members=_count(Membership.objects.all()),
            n_invitations=_count(
                Invitation.objects.filter(
                    accepted_at__isnull=True, withdrawn_at__isnull=True, expires_at__gt=now
                )
            ),
            n_risks=_count(Risk.objects.all()),
        )
        .values(
            "n_scheme_name",
            "n_scheme_version",
            "n_scheme_chosen_by_someone",
            "n_categories",
            "n_statements",
            "n_registers",
            "n_registers_touched",
            "n_members",
            "n_invitations",
            "n_risks",
        )
        .get()
    )
    return FirstRunChecklist(
        items=(
            _scheme(row),
            _counted(
                "categories",
                "Risk categories",
                row["n_categories"],
                _plural(row["n_categories"], "category", "categories"),
                "Group risks by category; each category can have its own appetite.",
            ),
            _counted(
                "appetite",
                "Risk appetite and tolerances",
                row["n_statements"],
                _plural(row["n_statements"], "appetite statement"),
                "A tolerance per category flags every risk scored above it.",
            ),
            _registers(row),
            _members(row),
            _counted(
                "import",
                "Risks imported or added",
                row["n_risks"],
                _plural(row["n_risks"], "risk"),
                "Bring in the risks you hold in a spreadsheet, or add them one by one.",
            ),
        )
    )


def _counted(key: str, title: str, n: int, words: str, why: str) -> ChecklistItem:
    return ChecklistItem(
        key=key,
        title=title,
        done=n > 0,
        detail=words if n else "",
        why=why,
    )


def _scheme(row: dict) -> ChecklistItem:
    name, version = row["n_scheme_name"], row["n_scheme_version"]
    starter = name == STARTER_SCHEME_NAME and version == 1 and not row["n_scheme_chosen_by_someone"]
    if name is None:
        detail = "no scoring scheme"
    elif starter:
        detail = "the plain 5x5 every new organisation starts with"
    else:
        detail = f"{name}, version {version}"
    return ChecklistItem(
        key="scheme",
        title="Scoring scheme",
        done=name is not None and not starter,
        detail=detail,
        why="The likelihood and impact scales, bands and review periods risks are scored on.",
    )


def _registers(row: dict) -> ChecklistItem:
    n = row["n_registers"]
    # One register can be all an organisation needs: once it holds risks, that is the choice.
    done = n > 1 or row["n_registers_touched"] or row["n_risks"] > 0
    return ChecklistItem(
        key="registers",
        title="Registers",
        done=done,
        detail=_plural(n, "register") if done else "only the top register",
        why="Directorate, department or project registers below the corporate one.",
    )


def _members(row: dict) -> ChecklistItem:
    members, invited = row["n_members"], row["n_invitations"]
    done = members > 1 or invited > 0
    words = _plural(members, "member")
    if invited:
        words += f", {_plural(invited, 'invitation')} waiting"
    return ChecklistItem(
        key="members",
        title="Members",
        done=done,
        detail=words if done else "one member so far",
        why="Coordinators, owners and panel members, each with their role.",
    )
