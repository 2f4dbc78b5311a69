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

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recipient"),
            models.Index(fields=["recipient"], name="notification_unread",
                         condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.event}"
