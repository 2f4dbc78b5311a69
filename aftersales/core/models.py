"""The transactional outbox: side effects owed by committed changes."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A Celery task owed by a change, written in the same transaction as the change.

    The row exists exactly when the change committed, so a broker that is down when the
    change commits delays the task but never loses it: ``aftersales.core.outbox`` hands due rows
    to the broker right after the commit and again from a periodic task until the task
    reports ``sent_at``.

    ``available_at`` is the earliest time the next hand-over may be tried; ``attempts``
    counts hand-overs the broker accepted; ``claimed_at`` is set by the worker running the
    task, so a redelivered copy does not run it a second time; ``sent_at`` marks it done.
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    available_at = models.DateTimeField(_("available at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["available_at"], name="outbox_pending",
                         condition=Q(sent_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.key}"
