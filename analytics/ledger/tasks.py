"""Ledger exports in the worker: writing a large export, and deleting expired files."""

from celery import shared_task

__all__ = ["ledger_export_run", "ledger_exports_cleanup"]


@shared_task(name="analytics.ledger_export_run")
def ledger_export_run(job_id: int) -> int | None:
    from .services import export_run

    job = export_run(job_id=job_id)
    return job.row_count if job is not None else None


@shared_task(name="analytics.ledger_exports_cleanup")
def ledger_exports_cleanup() -> int:
    from .services import exports_cleanup

    return exports_cleanup()
