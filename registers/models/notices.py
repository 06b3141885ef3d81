from django.conf import settings
from django.db import models


class NoticeKind(models.TextChoices):
    """What happened, in the words of the notification preferences page (issue 17)."""

    ASSIGNED = "assigned", "A risk or action is assigned to you, or taken from you"
    ESCALATION_AWAITING = "escalation_awaiting", "An escalation awaits your decision"
    ESCALATION_DECIDED = "escalation_decided", "An escalation you asked for is decided"
    MENTIONED = "mentioned", "Someone mentions you in a comment"
    COMMENT = "comment", "Someone comments on a risk you own or manage"
    SIGN_OFF_AWAITING = "sign_off_awaiting", "A review or rating awaits your sign-off"
    SIGN_OFF_DECIDED = "sign_off_decided", "Your review or rating is signed off or sent back"
    PACK_RELEASED = "pack_released", "A report pack is released to your panel"
    BREACH = "breach", "A risk you own or coordinate goes outside appetite"
    ACCEPTANCE_EXPIRED = "acceptance_expired", "A risk acceptance you gave expires"
    INVITATIONS_NOT_SENT = (
        "invitations_not_sent",
        "A list of people you invited could not be sent",
    )


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "E-mail me straight away"
    DIGEST = "digest", "In one e-mail a day"
    NEVER = "never", "No e-mail (the notice in riskreg only)"


class Notice(models.Model):
    """One person told of one event: an in-app notice, and (by their preference) an e-mail.

    ``event_key`` names the event; (user, event_key) is unique, so telling twice is a no-op.
    ``title`` and ``body`` are written for this person: withheld already where the risk is
    OFFICIAL-SENSITIVE and they are not cleared (``registers.services.notices.notify``)."""

    organisation = models.ForeignKey(
        "registers.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(max_length=30, choices=NoticeKind.choices)
    event_key = models.CharField(max_length=200)
    risk = models.ForeignKey(
        "registers.Risk", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    # A path on this site ("/o/met/risks/CRR18/"): e-mails make it absolute.
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # How it goes out by e-mail, fixed when it is made (the person's preference then), and when
    # it went (alone, or in a daily digest). None: not (yet) sent.
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notice_user_unread"),
            models.Index(fields=["delivery", "emailed_at"], name="notice_delivery_pending"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "event_key"], name="notice_once_per_event"),
            models.CheckConstraint(
                condition=models.Q(kind__in=NoticeKind.values), name="notice_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(delivery__in=Delivery.values), name="notice_delivery_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}: {self.title}"


class NoticePreference(models.Model):
    """How a person wants e-mail of one kind of event. No row: ``DEFAULT_DELIVERY``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences"
    )
    kind = models.CharField(max_length=30, choices=NoticeKind.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notice_preference_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=NoticeKind.values),
                name="notice_preference_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(delivery__in=Delivery.values),
                name="notice_preference_delivery_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.delivery} for {self.user_id}"


DEFAULT_DELIVERY = Delivery.IMMEDIATE
