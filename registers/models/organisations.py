from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

# How lists, choices and history name a retired category or objective.
RETIRED_MARK = "(retired)"

FOUR_TS = ["Treat", "Tolerate", "Transfer", "Terminate"]


def default_response_options() -> list[str]:
    return list(FOUR_TS)


def default_quarter_end_months() -> list[int]:
    return [3, 6, 9, 12]


def default_committee_months() -> list[int]:
    return [3, 9]


# The calendar's rules, held here so that full_clean (the admin, create_org), the profile service
# and form, and the API's documented shape say the same (registers.services.profile re-exports
# them).
MONTHS_INVALID = "months are whole numbers from 1 (January) to 12 (December)"
QUARTER_END_REQUIRED = "choose at least one quarter-end month"
REMINDER_NOTICE_MIN, REMINDER_NOTICE_MAX = 1, 365
REMINDER_NOTICE_RANGE = (
    f"the reminder notice period is from {REMINDER_NOTICE_MIN} to {REMINDER_NOTICE_MAX} days"
)


def months_cleaned(value, field: str) -> list[int]:
    """Month numbers, each once, in calendar order; ValidationError({field: MONTHS_INVALID}) for
    anything but a list of whole numbers from 1 to 12."""
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise ValidationError({field: MONTHS_INVALID})
    months = set()
    for month in value:
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise ValidationError({field: MONTHS_INVALID})
        months.add(month)
    return sorted(months)


class Marking(models.TextChoices):
    """A risk's handling marking (the Government Security Classifications)."""

    OFFICIAL = "OFFICIAL", "OFFICIAL"
    OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE", "OFFICIAL-SENSITIVE"


class PackOrder(models.TextChoices):
    """How a pack ranks its risks in the summary (ESPO ranks by score; most by reference)."""

    REF = "ref", "By reference"
    SCORE = "score", "By current score, highest first"


class SecondFactorRule(models.TextChoices):
    """Who in an organisation must sign in with a second factor (TOTP or a security key)."""

    NOBODY = "nobody", "Nobody is required to (anyone may turn it on)"
    ADMINS_AND_COORDINATORS = "admins_and_coordinators", "Admins and risk coordinators"
    EVERYONE = "everyone", "Everyone in the organisation"


class AcceptanceAuthority(models.TextChoices):
    """Who may formally accept (tolerate) a risk above tolerance (issue 17)."""

    ADMINS = "admins", "Organisation admins, and the people named"
    COORDINATORS = "coordinators", "Admins and risk coordinators, and the people named"
    NAMED = "named", "Only the people named"


class Organisation(models.Model):
    """A tenant: a police force, an oversight office, a university, a consortium."""

    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=50, blank=True)
    slug = models.SlugField(max_length=50, unique=True)
    timezone = models.CharField(max_length=64, default="Europe/London")
    panel_name = models.CharField(
        max_length=200, blank=True, help_text="The committee that receives report packs."
    )
    response_options = models.JSONField(default=default_response_options)
    # blank=True so that clean() says what is missing (at least one quarter end), not "blank".
    quarter_end_months = models.JSONField(default=default_quarter_end_months, blank=True)
    # None ([]): no committee packs are scheduled and "the last report" is the last quarter end
    # (registers.calendar, reporting.packs.schedule); a committee pack can still be requested.
    committee_months = models.JSONField(default=default_committee_months, blank=True)
    default_review_months = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    reminder_notice_days = models.PositiveSmallIntegerField(
        default=14,
        validators=[
            MinValueValidator(REMINDER_NOTICE_MIN, message=REMINDER_NOTICE_RANGE),
            MaxValueValidator(REMINDER_NOTICE_MAX, message=REMINDER_NOTICE_RANGE),
        ],
    )
    second_factor_required = models.CharField(
        "second factor required for",
        max_length=30,
        choices=SecondFactorRule.choices,
        default=SecondFactorRule.NOBODY,
    )
    source = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where the seed data came from, for demo organisations.",
    )
    default_marking = models.CharField(
        "handling marking of a new risk",
        max_length=20,
        choices=Marking.choices,
        default=Marking.OFFICIAL,
        help_text="The marking a new risk gets unless the form or the spreadsheet gives one.",
    )
    # Stored under a name made from its content (registers.services.profile_logo), never the
    # uploaded file's name.
    pack_logo = models.FileField("logo on packs", upload_to="logos/", max_length=200, blank=True)
    # The registers committee packs cover by default (scheduled packs, the request form's
    # ticks); none chosen: the organisation's top-level registers. An archived register is
    # left out of packs as at a day after it was archived.
    pack_registers = models.ManyToManyField(
        "registers.Register", blank=True, related_name="+", verbose_name="registers packs cover"
    )
    pack_order = models.CharField(
        "order of risks in packs", max_length=5, choices=PackOrder.choices, default=PackOrder.REF
    )
    deep_dive_quarters = models.PositiveSmallIntegerField(
        "quarters red before a deep dive",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="A risk red for more than this many consecutive quarters is listed in packs "
        "as a candidate for a deep dive.",
    )
    acceptance_authority = models.CharField(
        "who may accept a risk above tolerance",
        max_length=12,
        choices=AcceptanceAuthority.choices,
        default=AcceptanceAuthority.ADMINS,
    )
    acceptance_approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name="people who may accept risks",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[pack_registers])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(default_review_months__gte=1, default_review_months__lte=60),
                name="organisation_review_months_range",
            ),
            models.CheckConstraint(
                condition=models.Q(second_factor_required__in=SecondFactorRule.values),
                name="organisation_second_factor_rule_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(default_marking__in=Marking.values),
                name="organisation_default_marking_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(pack_order__in=PackOrder.values),
                name="organisation_pack_order_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(deep_dive_quarters__gte=1, deep_dive_quarters__lte=12),
                name="organisation_deep_dive_quarters_range",
            ),
            models.CheckConstraint(
                condition=models.Q(acceptance_authority__in=AcceptanceAuthority.values),
                name="organisation_acceptance_authority_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    reminder_notice_days__gte=REMINDER_NOTICE_MIN,
                    reminder_notice_days__lte=REMINDER_NOTICE_MAX,
                ),
                name="organisation_reminder_notice_days_range",
                violation_error_message=REMINDER_NOTICE_RANGE,
            ),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    def clean(self) -> None:
        """The calendar's months: each a whole number from 1 to 12, stored once each in order;
        at least one quarter end; committee months may be none (blank in the admin is none)."""
        errors = {}
        for field in ("quarter_end_months", "committee_months"):
            value = getattr(self, field)
            try:
                setattr(self, field, months_cleaned([] if value is None else value, field))
            except ValidationError as exc:
                errors.update(exc.message_dict)
        if "quarter_end_months" not in errors and not self.quarter_end_months:
            errors["quarter_end_months"] = [QUARTER_END_REQUIRED]
        if errors:
            raise ValidationError(errors)

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Organisation admin"
    COORDINATOR = "coordinator", "Risk coordinator"
    OWNER = "owner", "Risk owner or manager"
    VIEWER = "viewer", "Viewer"
    PANEL = "panel", "Audit panel member"


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    registers_limited = models.BooleanField(
        default=False,
        help_text="A coordinator who edits only the registers granted to them, not every register.",
    )
    sensitive_access = models.BooleanField(
        "cleared for OFFICIAL-SENSITIVE",
        default=False,
        help_text="Viewers and panel members see OFFICIAL-SENSITIVE detail only when cleared; "
        "admins, coordinators and a risk's owner and manager always do.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.organisation}"


class Category(models.Model):
    """A risk category (Aberdeen's strategic risk areas; MOPAC's themes)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="categories"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # A retired category stays on the risks that use it and in history, and is offered for no
    # new risk (registers.services.categories); None: in use.
    retired_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation", "position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="category_unique_name"),
            models.UniqueConstraint(
                "organisation", Lower("name"), name="category_unique_name_any_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {RETIRED_MARK}" if self.retired else self.name

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


class Objective(models.Model):
    """A strategic objective or pillar that risks align to (the Met Direction pillars)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="objectives"
    )
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=250)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    retired_at = models.DateTimeField(null=True, blank=True)  # as Category.retired_at

    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="objective_unique_code"),
            models.UniqueConstraint(
                "organisation", Lower("code"), name="objective_unique_code_any_case"
            ),
        ]

    def __str__(self) -> str:
        text = f"{self.code} {self.name}"
        return f"{text} {RETIRED_MARK}" if self.retired else text

    @property
    def retired(self) -> bool:
        return self.retired_at is not None
