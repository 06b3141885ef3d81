import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from riskreg.one_line import is_one_line

from .history_records import IndexedHistoricalRecords
from .organisations import Category, Marking, Objective, Organisation
from .registers import Register

# Likelihood and impact are stored as level values. The scheme decides the upper bound (checked by
# the scoring engine in services); the database guards the widest range the format allows.
LEVEL_MAX = 10


class Horizon(models.TextChoices):
    NONE = "", "Not used"
    SHORT = "short", "Short-term"
    LONG = "long", "Long-term"


class RiskKind(models.TextChoices):
    THREAT = "threat", "Threat"
    OPPORTUNITY = "opportunity", "Opportunity"


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    ESCALATED = "escalated", "Escalated"
    CLOSED = "closed", "Closed"


class Progress(models.TextChoices):
    NONE = "", "Not assessed"
    ON_TRACK = "on_track", "On track"
    LIMITED = "limited", "Limited"
    SLIPPED = "slipped", "Slipped"
    NO_PROGRESS = "no_progress", "No progress"


class Proximity(models.TextChoices):
    NONE = "", "Not assessed"
    IMMINENT = "imminent", "Within 3 months"
    NEAR = "near", "3 to 12 months"
    MEDIUM = "medium", "1 to 2 years"
    FAR = "far", "More than 2 years"


class Scale3(models.TextChoices):
    NONE = "", "Not set"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


def _pair_constraints(prefix: str) -> list[models.BaseConstraint]:
    """Likelihood and impact of one position are both set or both empty, and in range."""
    likelihood, impact = f"{prefix}_likelihood", f"{prefix}_impact"
    return [
        models.CheckConstraint(
            condition=Q(**{f"{likelihood}__isnull": True, f"{impact}__isnull": True})
            | Q(**{f"{likelihood}__isnull": False, f"{impact}__isnull": False}),
            name=f"risk_{prefix}_pair_complete",
        ),
        models.CheckConstraint(
            condition=Q(**{f"{likelihood}__isnull": True})
            | Q(**{f"{likelihood}__gte": 1, f"{likelihood}__lte": LEVEL_MAX}),
            name=f"risk_{prefix}_likelihood_range",
        ),
        models.CheckConstraint(
            condition=Q(**{f"{impact}__isnull": True})
            | Q(**{f"{impact}__gte": 1, f"{impact}__lte": LEVEL_MAX}),
            name=f"risk_{prefix}_impact_range",
        ),
    ]


# A risk's title is one line: it heads e-mail subjects and one-line cells (decision 122).
TITLE_ONE_LINE = (
    "Enter the title on one line, without line breaks, tabs or other control characters"
)


class Risk(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="risks")
    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="risks")
    ref = models.CharField("reference", max_length=30)
    title = models.CharField(max_length=250)
    description = models.TextField(blank=True, help_text="Cause and event.")
    consequence = models.TextField(blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="risks"
    )
    objectives = models.ManyToManyField(Objective, blank=True, related_name="risks")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_risks",
        help_text="Accountable for the risk.",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="managed_risks",
        help_text="Responsible for managing the risk day to day.",
    )
    leads = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="led_risks", verbose_name="working leads"
    )
    horizon = models.CharField(max_length=10, choices=Horizon.choices, blank=True, default="")
    kind = models.CharField(max_length=12, choices=RiskKind.choices, default=RiskKind.THREAT)
    emerging = models.BooleanField(
        default=False,
        help_text="On the horizon and not yet scored: packs list emerging risks on their own.",
    )

    scheme_version = models.ForeignKey(
        "scoring.SchemeVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risks",
        help_text="The scheme version the stored ratings were made under.",
    )
    inherent_likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    inherent_impact = models.PositiveSmallIntegerField(null=True, blank=True)
    current_likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    current_impact = models.PositiveSmallIntegerField(null=True, blank=True)
    target_likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    target_impact = models.PositiveSmallIntegerField(null=True, blank=True)
    # Written by the scoring service from the engine, never by hand: they let registers of 10,000
    # risks sort and filter by score and band in the database.
    inherent_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    current_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    current_band = models.CharField(max_length=50, blank=True, default="", editable=False)
    target_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    response = models.CharField(max_length=50, blank=True, default="")
    proximity = models.CharField(max_length=10, choices=Proximity.choices, blank=True, default="")
    status = models.CharField(max_length=10, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    closed_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    progress = models.CharField(
        "progress to target", max_length=12, choices=Progress.choices, blank=True, default=""
    )
    marking = models.CharField(
        "handling marking", max_length=20, choices=Marking.choices, default=Marking.OFFICIAL
    )
    last_reviewed = models.DateField(null=True, blank=True)
    next_review_due = models.DateField(null=True, blank=True)
    review_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Overrides the register's and the band's review period."
    )
    source_note = models.TextField(
        blank=True, help_text="Where the content came from (seeded and imported risks)."
    )
    illustrative = models.BooleanField(
        default=False, help_text="Demo content written for a source that publishes no risks."
    )
    origin_register = models.ForeignKey(
        Register,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalated_risks",
        help_text="The register the risk was escalated or de-escalated from, when it moved.",
    )
    version = models.PositiveIntegerField(default=1, help_text="For optimistic locking.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = IndexedHistoricalRecords(
        m2m_fields=[objectives, leads],
        # "What changed this period" (movement, packs): the organisation's records of the period
        # alone, where the organisation index read all of them (76,666 at 10,000 risks).
        indexes=(
            models.Index(fields=["organisation", "history_date"], name="risk_history_org_date"),
            # Deleted risks, whose last marking withholds them from the uncleared
            # (``permissions.sensitive_risk_ids``): a handful of rows, where the organisation
            # index read all its records (80,800 at 10,000 risks, on each uncleared search).
            models.Index(
                fields=["organisation"],
                condition=Q(history_type="-"),
                name="risk_history_deleted",
            ),
        ),
    )

    class Meta:
        ordering = ["organisation", "register", "ref"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "ref"], name="risk_unique_ref"),
            models.CheckConstraint(
                condition=Q(status__in=RiskStatus.values), name="risk_status_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=RiskKind.values), name="risk_kind_valid"),
            models.CheckConstraint(
                condition=Q(horizon__in=Horizon.values), name="risk_horizon_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress__in=Progress.values), name="risk_progress_valid"
            ),
            models.CheckConstraint(
                condition=Q(marking__in=Marking.values), name="risk_marking_valid"
            ),
            models.CheckConstraint(
                condition=Q(proximity__in=Proximity.values), name="risk_proximity_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=RiskStatus.CLOSED) | ~Q(closed_reason=""),
                name="risk_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(review_months__isnull=True)
                | Q(review_months__gte=1, review_months__lte=60),
                name="risk_review_months_range",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="risk_version_positive"),
            *_pair_constraints("inherent"),
            *_pair_constraints("current"),
            *_pair_constraints("target"),
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "current_score"]),
            models.Index(fields=["register", "status"]),
            models.Index(fields=["organisation", "next_review_due"]),
            # "Does the organisation use horizons?" (register filters, dashboard) finds the first
            # risk with one in the index instead of reading all 10,000 rows to learn it is none.
            models.Index(
                fields=["organisation"], condition=~Q(horizon=""), name="risk_with_horizon"
            ),
            # The register's owner filter (the organisation's risk owners) from the index alone.
            models.Index(fields=["organisation", "owner"], name="risk_org_owner"),
            # The risks withheld from an uncleared member (``permissions.sensitive_risk_ids``):
            # the few marked, not every risk of the organisation.
            models.Index(
                fields=["organisation"],
                condition=Q(marking=Marking.OFFICIAL_SENSITIVE),
                name="risk_sensitive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    @property
    def review_due(self) -> dt.date | None:
        return review_due(self)

    def clean(self) -> None:
        """A title on one line (decision 122), checked by every service's ``full_clean``: the
        pages, the API, the import and the admin. A title stored with a line break before the
        rule is not refused while it stays as it is (a review or a re-rating of the risk goes
        on): it is refused only when it is written, new or changed."""
        super().clean()
        if is_one_line(self.title):
            return
        stored = (
            self.pk is not None
            and "\x00" not in self.title  # never stored: PostgreSQL's text holds no NUL
            and Risk.objects.filter(pk=self.pk, title=self.title).exists()
        )
        if stored:
            return
        raise ValidationError({"title": TITLE_ONE_LINE})


def review_due(record) -> dt.date | None:
    """When a risk's next review is due, as every page and export says it: a closed risk has
    none. The stored date is kept (a risk reopened is due from it). ``record``: a risk or a
    historical record of one (a register as it stood on a day)."""
    return None if record.status == RiskStatus.CLOSED else record.next_review_due


class Effectiveness(models.TextChoices):
    EFFECTIVE = "effective", "Effective"
    PARTIAL = "partially_effective", "Partially effective"
    INEFFECTIVE = "ineffective", "Ineffective"
    NOT_ASSESSED = "not_assessed", "Not assessed"


class Control(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="controls"
    )
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="controls")
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_controls",
    )
    effectiveness = models.CharField(
        max_length=20, choices=Effectiveness.choices, default=Effectiveness.NOT_ASSESSED
    )
    assurance = models.TextField("source of assurance", blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # For optimistic locking: an edit form carries the version it was opened at, and a save
    # from an older one is merged with what others saved since (services.treatments).
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["risk", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effectiveness__in=Effectiveness.values),
                name="control_effectiveness_valid",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="control_version_positive"),
        ]

    def __str__(self) -> str:
        return self.description[:80]


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# What every list of actions says where an action has nobody to do it: its risk's owner and the
# coordinators are the ones who must find someone (registers/selectors/chasing.py).
NO_OWNER = "No owner"


class Action(models.Model):
    """A mitigating action; once completed it can become a control."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="actions")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_actions",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED
    )
    priority = models.CharField(max_length=6, choices=Scale3.choices, blank=True, default="")
    difficulty = models.CharField(max_length=6, choices=Scale3.choices, blank=True, default="")
    progress_note = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)  # as Control.version
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["risk", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ActionStatus.values), name="action_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Scale3.values), name="action_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(difficulty__in=Scale3.values), name="action_difficulty_valid"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="action_version_positive"),
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "due_date"]),
            # Open actions by due date: the dashboard's "overdue, oldest first" and the reminder
            # digests read them in index order and stop after a few, instead of sorting every
            # open action of the organisation (40 ms at 30,000 actions, 2 ms with this).
            models.Index(
                fields=["organisation", "due_date"],
                condition=~Q(status__in=["completed", "cancelled"]),
                name="action_open_due",
            ),
            # Someone's open actions by due date (dashboard, my work). Without it PostgreSQL
            # walks the index above in date order looking for the person's few (13 ms).
            models.Index(
                fields=["owner", "due_date"],
                condition=~Q(status__in=["completed", "cancelled"]),
                name="action_open_by_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def owner_name(self) -> str:
        """Who does it, as lists show it: their name, or ``NO_OWNER``."""
        return self.owner.display_name if self.owner_id else NO_OWNER


class ReviewState(models.TextChoices):
    """Where a review stands (issue 17). Without sign-off a review is applied as it is recorded;
    on a register that requires sign-off an owner's review (or change of current rating) waits,
    unapplied, until a coordinator or a named approver signs it off or sends it back."""

    RECORDED = "recorded", "Recorded"
    SUBMITTED = "submitted", "Awaiting sign-off"
    SENT_BACK = "sent_back", "Sent back"
    SIGNED_OFF = "signed_off", "Signed off"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Review(models.Model):
    """A dated record that the owner looked at the risk, even when nothing changed."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="reviews")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="reviews")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    reviewed_on = models.DateField()
    rescored = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Sign-off (issue 17). A submitted review changes nothing on the risk until signed off:
    # ``proposed`` holds what the owner asked for ({"positions": {"current": [l, i], ...},
    # and any other fields}), ``base_version`` the risk's version they saw.
    state = models.CharField(
        max_length=12, choices=ReviewState.choices, default=ReviewState.RECORDED
    )
    proposed = models.JSONField(null=True, blank=True)
    base_version = models.PositiveIntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["risk", "-reviewed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ReviewState.values), name="review_state_valid"
            ),
            models.UniqueConstraint(
                fields=["risk"],
                condition=models.Q(state="submitted"),
                name="review_one_awaiting_sign_off",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.risk.ref} on {self.reviewed_on}"


class RiskLink(models.Model):
    """An interdependency between two risks of the same organisation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="risk_links"
    )
    from_risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="links_out")
    to_risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="links_in")
    note = models.CharField(max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_risk", "to_risk"], name="risk_link_unique"),
            models.CheckConstraint(
                condition=~Q(from_risk=models.F("to_risk")), name="risk_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_risk.ref} ↔ {self.to_risk.ref}"


class EscalationDirection(models.TextChoices):
    UP = "up", "Escalation"
    DOWN = "down", "De-escalation"


class EscalationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Escalation(models.Model):
    """A request to move a risk up to the parent register (or down to a child register), and
    the receiving register's decision. The risk stays where it is until the request is accepted."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="escalations"
    )
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="escalations")
    direction = models.CharField(max_length=4, choices=EscalationDirection.choices)
    from_register = models.ForeignKey(
        Register, on_delete=models.PROTECT, related_name="escalations_out"
    )
    to_register = models.ForeignKey(
        Register, on_delete=models.PROTECT, related_name="escalations_in"
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=EscalationStatus.choices, default=EscalationStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    new_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Owner chosen by the receiving register on acceptance.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=EscalationDirection.values),
                name="escalation_direction_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EscalationStatus.values), name="escalation_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(from_register=models.F("to_register")),
                name="escalation_moves_somewhere",
            ),
            models.UniqueConstraint(
                fields=["risk"],
                condition=Q(status="pending"),
                name="escalation_one_pending_per_risk",
            ),
        ]
        indexes = [models.Index(fields=["to_register", "status"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} of {self.risk.ref} to {self.to_register}"
