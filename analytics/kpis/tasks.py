"""KPI tasks: the rollup refresh (every minute) and the monthly report (T20: by day 5)."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

__all__ = ["kpi_refresh", "monthly_report_generate_task", "monthly_report_previous_month"]


@shared_task(name="analytics.kpi_refresh")
def kpi_refresh() -> dict:
    from .rollups import refresh_rollups

    return refresh_rollups().as_dict()


@shared_task(name="analytics.monthly_report_generate")
def monthly_report_generate_task(report_pk: int) -> str:
    from .reports import monthly_report_generate

    return monthly_report_generate(report_pk=report_pk).status


@shared_task(name="analytics.monthly_report_previous_month")
def monthly_report_previous_month() -> int:
    """Generate last month's report (scheduled on day 5) and drop reports past retention."""
    from .reports import monthly_report_request, monthly_reports_cleanup
    from .rollups import refresh_rollups

    refresh_rollups()
    previous = timezone.localdate().replace(day=1) - timedelta(days=1)
    report = monthly_report_request(month=previous.replace(day=1), automatic=True)
    monthly_reports_cleanup()
    return report.pk
