from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from .organisations import Organisation


class RegisterLevel(models.TextChoices):
    CORPORATE = "corporate", "Corporate / strategic"
    DIRECTORATE = "directorate", "Directorate"
    SCHOOL = "school", "School / department"
    SERVICE = "service", "Professional service"
    PROJECT = "project", "Project / programme"


# Who signs an update off (``OrganisationAccess.can_sign_off_register``: whoever edits the register,
# so every admin and its coordinators, and its named approvers), as every page and message says it.
SIGN_OFF_BY = "an admin, a coordinator of the register or a named approver"
# What "reviews need sign-off" does, for the settings page's field and the Django admin's alike
# (decisions 51, 110 and 115): who signs off, that their own updates wait for nobody, what the
# register shows meanwhile, and that approvers are reminded until they decide.
SIGN_OFF_REQUIRED_HELP = (
    f"An owner's review or change of current rating waits for {SIGN_OFF_BY} to sign it off "
    "(an update by one of them applies at once); until then the register and packs show the "
    "rating last signed off, marked 'update awaiting sign-off', and each approver's reminder "
    "e-mails list the update, overdue once it has waited a week."
)


class Register(models.Model):
    """A risk register. Registers form a tree per organisation that risks escalate up."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="registers"
    )
    slug = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    level = models.CharField(
        max_length=20, choices=RegisterLevel.choices, default=RegisterLevel.CORPORATE
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    scheme = models.ForeignKey(
        "scoring.Scheme",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registers",
        help_text="Overrides the organisation's default scheme (Aberdeen recalibrates projects).",
    )
    review_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Overrides the review period of the rating's band for every risk here.",
    )
    # Archived: read-only (no risk created, edited, reviewed, imported into, escalated into or
    # out of), out of the dashboard, My work and reminders, and out of packs as at a day after
    # this moment (registers.services.register_archive). None: in use.
    archived_at = models.DateTimeField(null=True, blank=True)
    # Sign-off (issue 17): an owner's review or change of current rating waits for a
    # coordinator of the register, or one of the named approvers, to sign it off.
    sign_off_required = models.BooleanField(
        "reviews need sign-off",
        default=False,
        help_text=SIGN_OFF_REQUIRED_HELP,
    )
    sign_off_approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name="named approvers"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation", "parent_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="register_unique_slug"),
            models.CheckConstraint(
                condition=models.Q(level__in=RegisterLevel.values), name="register_level_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(review_months__isnull=True)
                | models.Q(review_months__gte=1, review_months__lte=60),
                name="register_review_months_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="register_not_own_parent"
            ),
        ]
        permissions = [
            ("edit_register", "Edit the risks of this register"),
            ("review_register", "Review the risks of this register"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class RegisterSlug(models.Model):
    """A slug a register had before an admin changed it. Old links (bookmarks, e-mails, packs)
    that name it are redirected to the register's current address (``permissions.RegisterMoved``).

    Decision: an old slug stays reserved for the register that had it while it redirects, so an
    old link never silently opens a different register; another register cannot take it, and
    the register itself can take it back (the old slug then stops being one)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    register = models.ForeignKey(Register, on_delete=models.CASCADE, related_name="old_slugs")
    slug = models.SlugField(max_length=50)
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="register_old_slug_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slug} (now {self.register_id})"


class RegisterUserObjectPermission(UserObjectPermissionBase):
    """Direct-foreign-key guardian permission on a register, granted to a user."""

    content_object = models.ForeignKey(Register, on_delete=models.CASCADE)


class RegisterGroupObjectPermission(GroupObjectPermissionBase):
    """Direct-foreign-key guardian permission on a register, granted to a role group."""

    content_object = models.ForeignKey(Register, on_delete=models.CASCADE)
