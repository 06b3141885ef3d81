from django.conf import settings
from django.db import models
from django.utils import timezone


class ImportUpload(models.Model):
    """A spreadsheet uploaded for import, kept between its preview and its confirmation so the
    user confirms exactly the file they checked without sending it again. Deleted once applied
    or cancelled; the bytes never reach the file system or the media storage."""

    organisation = models.ForeignKey(
        "registers.Organisation", on_delete=models.CASCADE, related_name="import_uploads"
    )
    register = models.ForeignKey(
        "registers.Register", on_delete=models.CASCADE, related_name="import_uploads"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_uploads"
    )
    filename = models.CharField(max_length=255)
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.filename} for {self.register}"


class ImportJobStatus(models.TextChoices):
    CHECKING = "checking", "Checking"
    CHECKED = "checked", "Checked"
    WRITING = "writing", "Writing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """A big file's import in the background (reporting.spreadsheets.jobs): checked by a Celery
    task, previewed and confirmed by its uploader, then written by another task, all rows or
    none. Belongs to the organisation, the register imported into and the person who uploaded;
    the file itself is the ImportUpload, dropped once written."""

    organisation = models.ForeignKey(
        "registers.Organisation", on_delete=models.CASCADE, related_name="import_jobs"
    )
    register = models.ForeignKey(
        "registers.Register", on_delete=models.CASCADE, related_name="import_jobs"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    upload = models.ForeignKey(
        ImportUpload, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    filename = models.CharField(max_length=255)
    invite = models.BooleanField(
        default=False, help_text="Invite people the file names who are not members yet."
    )
    status = models.CharField(
        max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.CHECKING
    )
    failed_step = models.CharField(max_length=10, blank=True, help_text="check or write")
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    # The checked plan: its fingerprint, and what the preview shows (counts, notes, problems and
    # the first changes), so the preview never re-checks the file in a request.
    fingerprint = models.CharField(max_length=64, blank=True)
    preview = models.JSONField(default=dict, blank=True)
    confirmed_fingerprint = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True, help_text="The result, or why it failed.")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "register", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ImportJobStatus.values),
                name="import_job_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} into {self.register} ({self.status})"


class PackKind(models.TextChoices):
    QUARTERLY = "quarterly", "Quarterly audit panel pack"
    COMMITTEE = "committee", "Bi-annual committee pack"


class PackEdition(models.TextChoices):
    FULL = "full", "Full (includes OFFICIAL-SENSITIVE)"
    PUBLIC = "public", "Public (OFFICIAL-SENSITIVE detail left out)"


# The edition in a sentence, where its label ("Public (OFFICIAL-SENSITIVE detail left out)")
# would put brackets inside the sentence's own, or be lower-cased with the marking.
EDITION_WORDS = {
    PackEdition.FULL: "full edition, OFFICIAL-SENSITIVE detail included",
    PackEdition.PUBLIC: "public edition, OFFICIAL-SENSITIVE detail left out",
}


class PackStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    BUILDING = "building", "Building"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


ACTIVE_PACK_STATUSES = (PackStatus.QUEUED, PackStatus.BUILDING)


class Pack(models.Model):
    """A committee pack built "as at" a date from history, stored as a PDF with its status.

    Built by a Celery task (reporting.tasks); the same code serves the build_pack command."""

    organisation = models.ForeignKey(
        "registers.Organisation", on_delete=models.CASCADE, related_name="packs"
    )
    kind = models.CharField(max_length=10, choices=PackKind.choices)
    edition = models.CharField(max_length=6, choices=PackEdition.choices, default=PackEdition.FULL)
    as_of = models.DateField(
        help_text="The pack shows the registers as they stood at the end of this day."
    )
    status = models.CharField(max_length=10, choices=PackStatus.choices, default=PackStatus.QUEUED)
    error = models.TextField(blank=True, help_text="Why the build failed, for the coordinator.")
    file = models.FileField(upload_to="packs/%Y/%m/", blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    registers = models.ManyToManyField(
        "registers.Register",
        blank=True,
        related_name="+",
        help_text="The registers the pack covers, as chosen when it was requested; none: the "
        "organisation's top-level registers.",
    )
    scheduled = models.BooleanField(default=False, help_text="Requested by the beat schedule.")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(
        default=timezone.now, help_text="When the build was last sent to the queue."
    )
    queue_sends = models.PositiveSmallIntegerField(
        default=0, help_text="How often the build was sent to the queue since it was requested."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # What the coordinator chooses and writes before release (issue 16).
    summary = models.TextField(
        "executive summary", blank=True, help_text="Printed on the pack's first page."
    )
    three_quarters = models.BooleanField(
        "three quarters side by side",
        default=False,
        help_text="Quarterly packs: each risk's rating at the last three quarter ends.",
    )
    deep_dive_risks = models.ManyToManyField(
        "registers.Risk",
        blank=True,
        related_name="+",
        help_text="Risks the coordinator chose for a full page, whatever their state.",
    )
    # A built pack is a draft until a coordinator releases it; only released packs reach the
    # panel, and a released pack never changes: a correction is a new pack with the next version.
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveSmallIntegerField(default=1)
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        help_text="The released pack this one corrects.",
    )
    correction_note = models.TextField(blank=True, help_text="What this version corrects.")
    # The Word edition of the same pack, built with the PDF.
    docx = models.FileField(upload_to="packs/%Y/%m/", blank=True)
    docx_size = models.PositiveIntegerField(null=True, blank=True)
    docx_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-as_of", "-created_at"]
        constraints = [
            # One build at a time per pack: a second identical request (a double click, two
            # coordinators at once, two beat runs) gets the pack already on its way.
            models.UniqueConstraint(
                fields=["organisation", "kind", "edition", "as_of"],
                condition=models.Q(status__in=ACTIVE_PACK_STATUSES),
                name="pack_one_active_build",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=PackKind.values), name="pack_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(edition__in=PackEdition.values), name="pack_edition_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PackStatus.values), name="pack_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="pack_version_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(released_at__isnull=True) | models.Q(status=PackStatus.READY),
                name="pack_released_only_when_ready",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "kind", "as_of"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.as_of} ({self.edition}) – {self.organisation}"

    @property
    def edition_words(self) -> str:
        """ "public edition, OFFICIAL-SENSITIVE detail left out" (``EDITION_WORDS``)."""
        return EDITION_WORDS[self.edition]


class DigestFrequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    NEVER = "never", "Only when something is overdue"


class ReminderPreference(models.Model):
    """A member's choice of reminder e-mails in one organisation (defaults: daily digest)."""

    membership = models.OneToOneField(
        "registers.Membership", on_delete=models.CASCADE, related_name="reminder_preference"
    )
    frequency = models.CharField(
        max_length=6, choices=DigestFrequency.choices, default=DigestFrequency.DAILY
    )

    def __str__(self) -> str:
        return f"{self.membership}: {self.frequency}"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Reminder(models.Model):
    """One digest e-mail to one person for one organisation on one day: the record that makes
    sending idempotent (a rerun, a retry or a restart sends nothing twice)."""

    organisation = models.ForeignKey(
        "registers.Organisation", on_delete=models.CASCADE, related_name="reminders"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=20, help_text="daily digest, weekly coordinator digest")
    day = models.DateField()
    status = models.CharField(
        max_length=8, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    items = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user", "kind", "day"], name="reminder_once_a_day"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ReminderStatus.values), name="reminder_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user} on {self.day} ({self.status})"
