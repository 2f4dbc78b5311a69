"""In-app notifications for staff; also the outbox their e-mails are sent from."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.cases.models import Ticket


class Notification(models.Model):
    """Something a staff member should look at, usually about one case.

    ``event`` is a stable code (often the timeline action that caused it); the text shown
    is looked up and translated at display time. ``emailed_at`` records the e-mail copy,
    so a retried delivery task never mails twice.

    ``group_key`` names a thread of news about one thing (e.g. one clock of one case):
    a recipient has at most one row per key, and a newer event on it updates that row
    (event, data, time, unread again) instead of adding one. Rows without a key are
    never grouped (NULLs are distinct in the unique constraint).
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sla_notifications",
        verbose_name=_("recipient"),
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications",
        verbose_name=_("case"),
    )
    event = models.CharField(_("event"), max_length=64)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    group_key = models.CharField(_("group"), max_length=100, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recipient"),
            models.Index(fields=["recipient"], name="notification_unread",
                         condition=Q(read_at__isnull=True)),
        ]
        constraints = [
            # Not partial on purpose: an upsert's conflict target must match it as is.
            models.UniqueConstraint(fields=["recipient", "group_key"],
                                    name="notification_group_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.event}"


class NotificationPreference(models.Model):
    """Which e-mail copies a staff member wants; in-app notifications are always kept.

    A user without a row gets every e-mail (the defaults).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
        related_name="notification_preference", verbose_name=_("user"),
    )
    email_on_assignment = models.BooleanField(_("e-mail when a case is assigned to me"),
                                              default=True)
    email_on_sla = models.BooleanField(_("e-mail when a deadline is at risk or breached"),
                                       default=True)
    email_digest = models.BooleanField(_("daily e-mail digest of breached cases"),
                                       default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user_id)
