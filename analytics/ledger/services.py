"""Ledger writes: saved views, and exports from request to file, notification and cleanup.

An export of at most ``LEDGER_EXPORT_SYNC_MAX_ROWS`` rows is answered in the request;
a larger one is written by the worker (``tasks.ledger_export_run``) and announced by an
in-app notification carrying the download link. Either way an ``ExportJob`` records who
exported what, when, with which filters and how many rows.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from aftersales.core import outbox
from aftersales.core.exceptions import DomainError
from aftersales.models import Notification
from aftersales.notifications.services import notifications_build, register_notification_labels
from analytics.models import ExportJob, SavedLedgerView

from .columns import RowContext
from .filters import LedgerFilters, clean_query, filter_form
from .selectors import ledger_batches, ledger_count
from .writers import csv_chunks, write_csv, write_xlsx

logger = logging.getLogger(__name__)

EXPORT_TASK = "analytics.ledger_export_run"
EVENT_EXPORT_READY = "analytics.ledger.export_ready"
EVENT_EXPORT_FAILED = "analytics.ledger.export_failed"
PERSONAL_DATA_PERMISSION = "analytics.view_ledger_personal_data"
MAX_SAVED_VIEWS = 50

register_notification_labels({
    EVENT_EXPORT_READY: _("Your ledger export is ready to download"),
    EVENT_EXPORT_FAILED: _("Your ledger export failed"),
})


def may_see_personal_data(user) -> bool:
    """Ledger pages and exports are de-identified (domain.md §10.3) unless granted."""
    return user.has_perm(PERSONAL_DATA_PERMISSION)


# --- saved views --------------------------------------------------------------------------

def saved_views_for(user) -> list[SavedLedgerView]:
    return list(SavedLedgerView.objects.filter(owner=user).order_by("name", "id"))


def saved_view_save(*, owner, name: str, params: QueryDict) -> SavedLedgerView:
    """Keep the current filters under a name (replacing the owner's view of that name).

    The phone search is not kept: it is personal data and its token expires anyway.
    """
    name = name.strip()
    if not name:
        raise DomainError(_("Give the view a name."))
    with transaction.atomic():
        existing = SavedLedgerView.objects.filter(owner=owner, name=name).first()
        if existing is None and SavedLedgerView.objects.filter(owner=owner).count() >= (
            MAX_SAVED_VIEWS
        ):
            raise DomainError(_("You have too many saved views; delete one first."))
        view = existing or SavedLedgerView(owner=owner, name=name)
        view.query = clean_query(params, keep_phone=False)
        view.save()
    return view


def saved_view_delete(*, owner, pk: int) -> bool:
    """Delete one of the owner's saved views; someone else's is left alone."""
    deleted, _rows = SavedLedgerView.objects.filter(owner=owner, pk=pk).delete()
    return deleted > 0


# --- exports ------------------------------------------------------------------------------

def export_root() -> Path:
    configured = settings.LEDGER_EXPORT_ROOT
    root = Path(configured) if configured else Path(settings.MEDIA_ROOT) / "ledger-exports"
    root.mkdir(parents=True, exist_ok=True)
    return root


def export_path(job: ExportJob) -> Path | None:
    return export_root() / job.file_name if job.file_name else None


@dataclass
class ExportStart:
    job: ExportJob
    filters: LedgerFilters
    in_request: bool


def export_start(*, user, params: QueryDict, file_format: str) -> ExportStart:
    """Record an export of what ``params`` filter, and decide where it is written.

    Counting stops one row past the limit, so deciding costs little however big the ledger.
    """
    if file_format not in ExportJob.Format.values:
        raise DomainError(_("Unknown export format."))
    filters = filter_form(params).filters()
    now = timezone.now()
    limit = settings.LEDGER_EXPORT_SYNC_MAX_ROWS
    rows = ledger_count(user=user, filters=filters, cap=limit, now=now)
    in_request = rows <= limit
    with transaction.atomic():
        job = ExportJob.objects.create(
            owner=user, owner_name=user.get_username(), format=file_format,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            filters=filters.as_json(), query=clean_query(params, keep_phone=False),
            masked=not may_see_personal_data(user), background=not in_request,
            status=ExportJob.Status.RUNNING if in_request else ExportJob.Status.PENDING,
            total_rows=rows if in_request else None, started_at=now if in_request else None,
        )
        if not in_request:
            # Through the outbox: a broker that is down delays the export, never loses it.
            outbox.enqueue(EXPORT_TASK, [job.pk], key=f"{EXPORT_TASK}:{job.pk}")
    return ExportStart(job=job, filters=filters, in_request=in_request)


def _context(job: ExportJob) -> RowContext:
    return RowContext(masked=job.masked, now=job.created_at)


def _finish(job: ExportJob, rows: int, **fields) -> None:
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE, row_count=rows, finished_at=timezone.now(), **fields,
    )


def export_stream_csv(*, job: ExportJob, user, filters: LedgerFilters) -> Iterator[str]:
    """The CSV of a small export, chunk by chunk, for a streaming response."""
    rows = 0

    def progress(written: int) -> None:
        nonlocal rows
        rows = written

    batches = ledger_batches(user=user, filters=filters, now=job.created_at)
    yield from csv_chunks(batches, _context(job), progress)
    _finish(job, rows)


def export_write_xlsx(*, job: ExportJob, user, filters: LedgerFilters, target) -> int:
    """Write a small export's workbook to ``target`` (a temporary file) in the request."""
    batches = ledger_batches(user=user, filters=filters, now=job.created_at)
    rows = write_xlsx(target, batches, _context(job))
    _finish(job, rows)
    return rows


def export_run(*, job_id: int) -> ExportJob | None:
    """Write a large export to a private file, then tell its owner (the worker's part).

    Runs once: a job already taken by a worker is left alone.
    """
    now = timezone.now()
    taken = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.RUNNING, started_at=now,
    )
    if not taken:
        return None
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    path: Path | None = None
    try:
        user = job.owner
        if user is None or not user.is_active:
            raise DomainError(_("The person who asked for this export can no longer sign in."))
        filters = LedgerFilters.from_json(job.filters)
        total = ledger_count(user=user, filters=filters, cap=None, now=job.created_at)
        name = f"ledger-{job.pk}-{secrets.token_hex(8)}.{job.format}"
        path = export_root() / name
        # Named before writing, so the cleanup finds a file a lost worker left half written.
        ExportJob.objects.filter(pk=job.pk).update(total_rows=total, file_name=name)

        def progress(written: int) -> None:
            ExportJob.objects.filter(pk=job.pk).update(row_count=written)

        batches = ledger_batches(user=user, filters=filters, now=job.created_at)
        with translation.override(job.language):
            if job.format == ExportJob.Format.XLSX:
                rows = write_xlsx(str(path), batches, _context(job), progress)
            else:
                with path.open("w", encoding="utf-8", newline="") as handle:
                    rows = write_csv(handle, batches, _context(job), progress)
        finished = timezone.now()
        with transaction.atomic():
            _finish(job, rows, file_name=name, file_size=path.stat().st_size,
                    total_rows=rows,
                    expires_at=finished + timedelta(hours=settings.LEDGER_EXPORT_KEEP_HOURS))
            _notify(job, EVENT_EXPORT_READY, rows=rows)
    except Exception as error:
        logger.exception("Ledger export %s failed", job.pk)
        if path is not None:
            path.unlink(missing_ok=True)
        message = str(getattr(error, "message", "") or error.__class__.__name__)
        with transaction.atomic():
            ExportJob.objects.filter(pk=job.pk).update(
                status=ExportJob.Status.FAILED, error=message[:2000], file_name="",
                finished_at=timezone.now(),
            )
            _notify(job, EVENT_EXPORT_FAILED)
    job.refresh_from_db()
    return job


def _notify(job: ExportJob, event: str, rows: int | None = None) -> None:
    if job.owner_id is None:
        return
    data = {"export": job.pk, "format": job.format,
            "path": reverse("analytics:ledger") + f"#export-{job.pk}"}
    if event == EVENT_EXPORT_READY:
        data["path"] = reverse("analytics:ledger_export_download", args=[job.pk])
        data["rows"] = rows
    Notification.objects.bulk_create(notifications_build(
        event=event, ticket_id=None, recipient_ids=[job.owner_id], data=data,
    ))


def exports_cleanup(*, now: datetime | None = None) -> int:
    """Delete export files past their keeping time; mark jobs a lost worker left running.

    Returns the number of files deleted. Safe to run at any time and more than once.
    """
    now = now or timezone.now()
    expired = list(
        ExportJob.objects.filter(expires_at__lte=now).exclude(file_name="")
        .values_list("pk", "file_name")
    )
    for pk, name in expired:
        (export_root() / name).unlink(missing_ok=True)
        ExportJob.objects.filter(pk=pk).update(status=ExportJob.Status.EXPIRED, file_name="")
    stale = now - timedelta(hours=settings.LEDGER_EXPORT_KEEP_HOURS)
    lost = list(ExportJob.objects.filter(
        status__in=[ExportJob.Status.PENDING, ExportJob.Status.RUNNING], created_at__lt=stale,
    ).values_list("pk", "file_name"))
    for pk, name in lost:
        if name:
            (export_root() / name).unlink(missing_ok=True)
        ExportJob.objects.filter(pk=pk).update(status=ExportJob.Status.FAILED, file_name="",
                                               error="interrupted", finished_at=now)
    return len(expired)


def exports_for(user, limit: int = 10) -> list[ExportJob]:
    return list(ExportJob.objects.filter(owner=user).order_by("-created_at", "-id")[:limit])


def export_for_owner(*, user, pk: int) -> ExportJob:
    """The user's own export, or ``DoesNotExist`` (someone else's export is not there)."""
    return ExportJob.objects.get(owner=user, pk=pk)
