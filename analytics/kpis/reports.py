"""The monthly complaint report (T20): an Excel workbook and a printable page, per month.

Written by the worker into a private directory (``KPI_REPORT_ROOT``, default
``<MEDIA_ROOT>/monthly-reports``, which nothing serves publicly) and served only through
a permission-checked view. The ledger sheets carry no personal data: cases by number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import xlsxwriter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from aftersales.core import outbox
from aftersales.core.choices import Channel
from aftersales.models import Department, Notification
from aftersales.notifications.services import (
    notifications_build,
    notifications_enqueue_delivery,
    register_notification_labels,
)
from aftersales.people.roles import ADMIN, SUPERVISOR
from complaints.choices import Category
from complaints.models import Complaint

from ..models import KpiCaseFact, MonthlyReport
from ..routers import analytics_db
from . import formulas as f
from .dashboard import KPI_LABELS
from .selectors import Filters, grouped_sums, kpi_summary, month_range

logger = logging.getLogger(__name__)

EVENT_READY = "analytics.monthly_report.ready"
REPORT_KIND = "COMPLAINT"

register_notification_labels({EVENT_READY: gettext_lazy("The monthly report is ready")})
VOLUME_BASIS_LABELS = {"orders_placed": gettext_lazy("Orders sold"),
                       "orders_delivered": gettext_lazy("Orders delivered")}


def report_root() -> Path:
    configured = getattr(settings, "KPI_REPORT_ROOT", "")
    root = Path(configured) if configured else Path(settings.MEDIA_ROOT) / "monthly-reports"
    root.mkdir(parents=True, exist_ok=True)
    return root


def report_path(name: str) -> Path | None:
    """The file of a report, or ``None`` for a name that is not a plain file name."""
    if not name or Path(name).name != name:
        return None
    path = report_root() / name
    return path if path.is_file() else None


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _pct(value: f.KpiValue) -> float | None:
    return None if value.value is None else float(value.value)


def _percent_number(value: f.KpiValue) -> float | None:
    return None if value.percent is None else float(value.percent)


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]
    percent_columns: tuple[int, ...] = ()

    @property
    def display_rows(self) -> list[list[str]]:
        """The rows as the printable page shows them: ratios as percentages."""
        shown = []
        for values in self.rows:
            cells = []
            for col, value in enumerate(values):
                if value is None:
                    cells.append("—")
                elif col in self.percent_columns:
                    cells.append(f"{value * 100:.1f}%")
                elif isinstance(value, float):
                    cells.append(f"{value:.2f}")
                else:
                    cells.append(str(value))
            shown.append(cells)
        return shown


def _kpi_table(summary: dict) -> Table:
    rows = []
    for key, _formula in f.RATIO_KPIS:
        value = summary[key]
        rows.append([str(KPI_LABELS[key]), value.numerator, value.denominator,
                     _percent_number(value), "%"])
    for key, _formula in f.DURATION_KPIS:
        stat = summary[key]
        rows.append([str(KPI_LABELS[key]) + " " + _("mean"), stat.count, None,
                     None if stat.mean_hours is None else float(stat.mean_hours), "h"])
        rows.append([str(KPI_LABELS[key]) + " P90", stat.count, None,
                     None if stat.p90_hours is None else float(stat.p90_hours), "h"])
    for extra in f.extra_kpis():
        value = summary[extra.key]
        rows.append([str(extra.label), value.numerator, value.denominator,
                     _percent_number(value), "%"])
    return Table(_("Summary KPIs"),
                 [_("KPI"), _("Numerator"), _("Denominator"), _("Value"), _("Unit")], rows)


def _unit_table(summary: dict) -> Table:
    rows = [[rate.department.code, rate.department.name, rate.rate.numerator,
             rate.rate.denominator, None if rate.rate.value is None else float(rate.rate.value),
             str(VOLUME_BASIS_LABELS.get(rate.basis, rate.basis))]
            for rate in summary["complaint_rate_by_unit"]]
    return Table(_("Complaint rate per responsible unit (per 1,000)"),
                 [_("Code"), _("Department"), _("Liable complaints"), _("Volume"),
                  _("Per 1,000"), _("Volume basis")], rows)


def _group_table(title: str, groups: dict, labels: dict) -> Table:
    rows = []
    for code, sums in sorted(groups.items(), key=lambda item: -item[1]["received"]):
        if not any(sums.values()):
            continue
        rows.append([str(labels.get(code) or code or _("(none)")), sums["received"],
                     sums["accepted"], _pct(f.timeliness(sums)), _pct(f.resolution(sums)),
                     _pct(f.satisfaction(sums)), _pct(f.repeat_rate(sums))])
    return Table(title, [_("Group"), _("Received"), _("Accepted"), _("Handling timeliness"),
                         _("Resolution rate"), _("Satisfaction"), _("Repeat complaint rate")],
                 rows, percent_columns=(3, 4, 5, 6))


CASE_HEADERS = [
    gettext_noop("Number"), gettext_noop("Received"), gettext_noop("Channel"),
    gettext_noop("Category"), gettext_noop("Sub-category"), gettext_noop("Severity"),
    gettext_noop("State"), gettext_noop("Department"), gettext_noop("Handler"),
    gettext_noop("Responsible unit"), gettext_noop("Outcome"),
    gettext_noop("First response due"), gettext_noop("First response"),
    gettext_noop("Resolution due"), gettext_noop("Replied"), gettext_noop("Archived"),
    gettext_noop("Repeat of"), gettext_noop("Times reopened"),
]
SHEET_TITLES = [
    gettext_noop("Summary"), gettext_noop("Ledger"), gettext_noop("By category"),
    gettext_noop("By department"), gettext_noop("By channel"), gettext_noop("Repeat cases"),
    gettext_noop("Overdue cases"),
]


def _case_headers() -> list[str]:
    return [_(h) for h in CASE_HEADERS]


def _case_rows(queryset):
    qs = (queryset.select_related("department", "assignee", "current_plan__responsible_department",
                                  "repeat_of")
          .order_by("received_at", "pk"))
    for c in qs.iterator(chunk_size=2000):
        plan = c.current_plan
        yield [
            c.number, _local(c.received_at), str(c.get_channel_display()),
            str(c.get_category_display()) if c.category else "",
            str(c.get_subcategory_display()) if c.subcategory else "", c.severity,
            str(c.get_state_display()), c.department.name if c.department else "",
            (c.assignee.get_full_name() or c.assignee.get_username()) if c.assignee else "",
            plan.responsible_department.name if plan else "",
            str(c.get_outcome_display()) if c.outcome else "",
            _local(c.first_response_due_at), _local(c.first_response_at),
            _local(c.resolution_due_at), _local(c.resolved_at), _local(c.closed_at),
            c.repeat_of.number if c.repeat_of else "", c.reopen_count,
        ]


def month_cases(month: date, using: str):
    start, end = month_range(month)
    ids = KpiCaseFact.objects.using(using).filter(kind=REPORT_KIND,
                                                  received_day__range=(start, end))
    return Complaint.objects.using(using).filter(pk__in=ids.values("ticket_id"))


def repeat_cases(month: date, using: str):
    start, end = month_range(month)
    ids = KpiCaseFact.objects.using(using).filter(kind=REPORT_KIND, repeat=True,
                                                  accepted_day__range=(start, end))
    return Complaint.objects.using(using).filter(pk__in=ids.values("ticket_id"))


def overdue_cases(month: date, using: str):
    """Cases whose first response or resolution fell due in the month and was missed."""
    start, end = month_range(month)
    ids = KpiCaseFact.objects.using(using).filter(kind=REPORT_KIND).filter(
        Q(fr_due_day__range=(start, end), fr_on_time=False)
        | Q(res_due_day__range=(start, end), res_on_time=False))
    return Complaint.objects.using(using).filter(pk__in=ids.values("ticket_id"))


def report_tables(month: date, using: str) -> dict:
    """The summary tables of the report, shared by the workbook and the printable page."""
    start, end = month_range(month)
    filters = Filters(kind=REPORT_KIND)
    summary = kpi_summary(filters, start, end, using=using)
    departments = dict(Department.objects.using(using).values_list("pk", "name"))
    return {
        "summary": _kpi_table(summary),
        "units": _unit_table(summary),
        "category": _group_table(_("By category"), grouped_sums(
            filters, start, end, "category", using=using), dict(Category.choices)),
        "department": _group_table(_("By department"), grouped_sums(
            filters, start, end, "department_id", using=using), departments),
        "channel": _group_table(_("By channel"), grouped_sums(
            filters, start, end, "channel", using=using), dict(Channel.choices)),
        "received": summary["sums"]["received"],
    }


def write_workbook(path: Path, month: date, tables: dict, using: str) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    bold = workbook.add_format({"bold": True})
    percent = workbook.add_format({"num_format": "0.0%"})
    decimal = workbook.add_format({"num_format": "0.00"})

    def table_sheet(name: str, tables_: list[Table]) -> None:
        sheet = workbook.add_worksheet(name)
        row = 0
        for table in tables_:
            sheet.write(row, 0, table.title, bold)
            row += 1
            sheet.write_row(row, 0, table.headers, bold)
            row += 1
            for values in table.rows:
                for col, value in enumerate(values):
                    if value is None:
                        sheet.write_blank(row, col, None)
                    elif col in table.percent_columns:
                        sheet.write_number(row, col, value, percent)
                    elif isinstance(value, float):
                        sheet.write_number(row, col, value, decimal)
                    else:
                        sheet.write(row, col, value)
                row += 1
            row += 1
        sheet.set_column(0, 0, 36)
        sheet.set_column(1, 8, 14)

    def case_sheet(name: str, queryset) -> None:
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, _case_headers(), bold)
        for row, values in enumerate(_case_rows(queryset), start=1):
            sheet.write_row(row, 0, values)
        sheet.set_column(0, len(CASE_HEADERS), 16)

    try:
        table_sheet(_("Summary"), [tables["summary"], tables["units"]])
        case_sheet(_("Ledger"), month_cases(month, using))
        table_sheet(_("By category"), [tables["category"]])
        table_sheet(_("By department"), [tables["department"], tables["units"]])
        table_sheet(_("By channel"), [tables["channel"]])
        case_sheet(_("Repeat cases"), repeat_cases(month, using))
        case_sheet(_("Overdue cases"), overdue_cases(month, using))
    finally:
        workbook.close()


SHEET_NAMES = list(SHEET_TITLES)


def write_printable(path: Path, month: date, tables: dict, using: str,
                    report: MonthlyReport) -> None:
    html = render_to_string("analytics/report_print.html", {
        "month": month, "tables": tables, "report": report,
        "generated_at": timezone.now(),
        "repeat_rows": list(_case_rows(repeat_cases(month, using)))[:500],
        "overdue_rows": list(_case_rows(overdue_cases(month, using)))[:500],
        "case_headers": _case_headers(),
    })
    path.write_text(html, encoding="utf-8")


def report_recipients() -> list[int]:
    users = get_user_model().objects.filter(is_active=True,
                                            groups__name__in=[SUPERVISOR, ADMIN])
    return list(users.values_list("pk", flat=True).distinct().order_by("pk"))


def monthly_report_generate(*, report_pk: int) -> MonthlyReport:
    """Write the workbook and the printable page of one report, then tell supervisors."""
    report = MonthlyReport.objects.get(pk=report_pk)
    MonthlyReport.objects.filter(pk=report.pk).update(status=MonthlyReport.Status.RUNNING)
    using = analytics_db()
    stem = f"report-{report.month:%Y-%m}-{report.pk}"
    try:
        with translation.override(report.language):
            tables = report_tables(report.month, using)
            write_workbook(report_root() / f"{stem}.xlsx", report.month, tables, using)
            write_printable(report_root() / f"{stem}.html", report.month, tables, using,
                            report)
    except Exception as error:  # recorded on the report; the supervisor can try again
        logger.exception("Monthly report %s failed", report.pk)
        MonthlyReport.objects.filter(pk=report.pk).update(
            status=MonthlyReport.Status.FAILED, error=str(error)[:2000],
            finished_at=timezone.now())
        report.refresh_from_db()
        return report
    with transaction.atomic():
        report.status = MonthlyReport.Status.DONE
        report.xlsx_name = f"{stem}.xlsx"
        report.html_name = f"{stem}.html"
        report.xlsx_size = (report_root() / report.xlsx_name).stat().st_size
        report.finished_at = timezone.now()
        report.error = ""
        report.save()
        created = Notification.objects.bulk_create(notifications_build(
            event=EVENT_READY, ticket_id=None, recipient_ids=report_recipients(),
            data={"month": f"{report.month:%Y-%m}", "report": report.pk,
                  "url": reverse("analytics:report_download", args=[report.pk, "html"]),
                  "xlsx_url": reverse("analytics:report_download", args=[report.pk, "xlsx"])},
        ))
        notifications_enqueue_delivery([n.pk for n in created])
    return report


def monthly_report_request(*, month: date, actor=None, automatic: bool = False,
                           language: str | None = None) -> MonthlyReport:
    """Record a report to generate; the worker writes it once this is committed."""
    with transaction.atomic():
        report = MonthlyReport.objects.create(
            month=month.replace(day=1), requested_by=actor, automatic=automatic,
            language=language or settings.LANGUAGE_CODE)
        outbox.enqueue("analytics.monthly_report_generate", [report.pk],
                       key=f"analytics.monthly_report:{report.pk}")
    return report


def monthly_reports_cleanup(*, today: date | None = None) -> int:
    """Delete reports (and their files) older than ``KPI_REPORT_KEEP_MONTHS`` months."""
    today = today or timezone.localdate()
    keep = getattr(settings, "KPI_REPORT_KEEP_MONTHS", 36)
    year, month = divmod(today.year * 12 + today.month - 1 - keep, 12)
    cutoff = date(year, month + 1, 1)
    removed = 0
    for report in MonthlyReport.objects.filter(month__lt=cutoff):
        for name in (report.xlsx_name, report.html_name):
            path = report_path(name)
            if path is not None:
                path.unlink(missing_ok=True)
        report.delete()
        removed += 1
    return removed
