"""Saved ledger views and export jobs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["ExportJob", "SavedLedgerView"]


class SavedLedgerView(models.Model):
    """A named set of ledger filters a supervisor keeps, stored as the page's query string.

    The query string never holds personal data: the phone search travels as an expiring
    token and is dropped when a view is saved.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_ledger_views",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved ledger view")
        verbose_name_plural = _("saved ledger views")
        default_permissions = ()
        permissions = [
            ("view_ledger", _("Can see the complaint ledger and export it")),
            ("view_ledger_personal_data",
             _("Can see customers' full names and phone numbers in the ledger and its exports")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="savedledgerview_owner_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ExportJob(models.Model):
    """One export of the ledger: who asked, with which filters, and the file it produced.

    Every export is recorded, the small ones streamed at once as well as the large ones
    written by the worker. Files live in a private directory and are served only to their
    owner; they are deleted ``LEDGER_EXPORT_KEEP_HOURS`` after they were written.
    """

    class Format(models.TextChoices):
        XLSX = "xlsx", _("Excel (.xlsx)")
        CSV = "csv", _("CSV")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting")
        RUNNING = "RUNNING", _("Running")
        DONE = "DONE", _("Done")
        FAILED = "FAILED", _("Failed")
        EXPIRED = "EXPIRED", _("Expired")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
        related_name="ledger_exports", verbose_name=_("requested by"),
    )
    owner_name = models.CharField(_("requested by (name)"), max_length=150)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    language = models.CharField(_("language"), max_length=10)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    query = models.CharField(_("query string"), max_length=2000, blank=True)
    masked = models.BooleanField(_("personal data masked"), default=True)
    background = models.BooleanField(_("written by the worker"), default=False)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows expected"), null=True, blank=True)
    row_count = models.PositiveIntegerField(_("rows written"), default=0)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("file kept until"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ledger export")
        verbose_name_plural = _("ledger exports")
        indexes = [
            models.Index(fields=["owner", "-created_at", "-id"], name="exportjob_owner_recent"),
            models.Index(fields=["expires_at"], name="exportjob_file_expiry",
                         condition=~Q(file_name="")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(format__in=["xlsx", "csv"]),
                                   name="exportjob_known_format"),
        ]

    def __str__(self) -> str:
        return f"{self.owner_name} {self.format} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.row_count * 100 / self.total_rows))
