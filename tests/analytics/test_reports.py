"""The monthly report: written by the worker as a workbook and a printable page, announced
to supervisors, listed and served only to those who may see every department's numbers;
scheduled for day 5 (T20) by Celery beat."""

from datetime import date

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from aftersales.models import Notification
from aftersales.notifications.services import event_label
from analytics.kpis.reports import (
    EVENT_READY,
    SHEET_NAMES,
    monthly_report_request,
    monthly_reports_cleanup,
    report_root,
)
from analytics.kpis.rollups import refresh_rollups
from analytics.kpis.tasks import monthly_report_previous_month
from analytics.models import MonthlyReport
from tests.access import LOGIN, assert_outcome, matrix, request_as
from tests.factories import intake
from tests.queries import queries

from .conftest import local

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kpi_own_cache")]


@pytest.fixture
def march_cases(build, at, supervisor, agent):
    from complaints import services as s

    with at(2026, 3, 2, 10):
        build("CLOSED")
        build("IN_PROGRESS")                        # will be overdue
    with at(2026, 3, 20, 10):
        build("CLASSIFIED")                         # repeats the open one
        s.complaint_register(intake=intake(phone="13911112222", email="x@example.com"),
                             actor=agent)
    refresh_rollups()


def _report(month=date(2026, 3, 1), actor=None, **captured) -> MonthlyReport:
    """Request a report and let the worker write it (the task runs in-process on commit)."""
    with time_machine.travel(local(2026, 4, 5, 6), tick=False), captured["capture"](
            execute=True):
        report = monthly_report_request(month=month, actor=actor, language="en")
    return MonthlyReport.objects.get(pk=report.pk)


def test_the_report_task_writes_a_workbook_with_every_sheet_and_tells_supervisors(
        march_cases, supervisor, admin_user, agent, django_capture_on_commit_callbacks):
    report = _report(actor=supervisor, capture=django_capture_on_commit_callbacks)
    assert report.status == MonthlyReport.Status.DONE, report.error
    workbook = load_workbook(report_root() / report.xlsx_name, read_only=True)
    assert workbook.sheetnames == SHEET_NAMES
    ledger = list(workbook["Ledger"].iter_rows(values_only=True))
    assert ledger[0][0] == "Number" and len(ledger) == 1 + 4
    assert len(list(workbook["Repeat cases"].iter_rows(values_only=True))) == 1 + 1
    overdue = [row[0] for row in workbook["Overdue cases"].iter_rows(values_only=True)][1:]
    assert len(overdue) >= 1
    summary = [row for row in workbook["Summary"].iter_rows(values_only=True) if row[0]]
    labels = [row[0] for row in summary]
    assert "Handling timeliness" in labels and "Repeat complaint rate" in labels
    html = (report_root() / report.html_name).read_text()
    assert "Complaint report 2026-03" in html and "print_report.css" in html
    assert "<script>" not in html  # CSP: only the static print script

    notified = Notification.objects.filter(event=EVENT_READY)
    assert set(notified.values_list("recipient_id", flat=True)) == {supervisor.pk,
                                                                     admin_user.pk}
    note = notified.first()
    assert note.data["url"] == reverse("analytics:report_download", args=[report.pk, "html"])
    assert event_label(EVENT_READY) != EVENT_READY


def test_the_schedule_writes_last_months_report_on_day_5():
    entry = settings.CELERY_BEAT_SCHEDULE["kpi-monthly-report"]
    assert entry["task"] == "analytics.monthly_report_previous_month"
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab) and schedule.day_of_month == {5}
    refresh = settings.CELERY_BEAT_SCHEDULE["kpi-rollups"]
    assert refresh["task"] == "analytics.kpi_refresh" and refresh["schedule"] == 60.0


def test_the_scheduled_task_reports_the_previous_month(django_capture_on_commit_callbacks):
    with time_machine.travel(local(2026, 5, 5, 6), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        pk = monthly_report_previous_month()
    report = MonthlyReport.objects.get(pk=pk)
    assert report.month == date(2026, 4, 1) and report.automatic
    assert report.status == MonthlyReport.Status.DONE


def test_reports_past_retention_are_deleted_with_their_files(settings,
                                                             django_capture_on_commit_callbacks):
    settings.KPI_REPORT_KEEP_MONTHS = 12
    old = _report(month=date(2025, 2, 1), capture=django_capture_on_commit_callbacks)
    kept = _report(month=date(2025, 5, 1), capture=django_capture_on_commit_callbacks)
    path = report_root() / old.xlsx_name
    assert path.exists()
    assert monthly_reports_cleanup(today=date(2026, 4, 5)) == 1
    assert not path.exists()
    assert list(MonthlyReport.objects.values_list("pk", flat=True)) == [kept.pk]


# --- pages -------------------------------------------------------------------------------

#                  anonymous no_role other_handler handler agent supervisor admin
EXPECTED = {
    "list":          (LOGIN, 403, 403, 403, 403, 200, 200),
    "request":       (LOGIN, 403, 403, 403, 403, 302, 302),
    "download xlsx": (LOGIN, 403, 403, 403, 403, 200, 200),
    "download html": (LOGIN, 403, 403, 403, 403, 200, 200),
}


@pytest.fixture
def done_report(django_capture_on_commit_callbacks):
    return _report(capture=django_capture_on_commit_callbacks)


@pytest.mark.parametrize(("view", "who", "expected"), matrix(EXPECTED))
def test_who_may_list_request_and_download_reports(client, users, done_report, view, who,
                                                   expected):
    if view == "list":
        method, path, data = "get", reverse("analytics:reports"), None
    elif view == "request":
        method, path, data = "post", reverse("analytics:reports"), {"month": "2026-02"}
    else:
        fmt = view.split()[-1]
        method, path, data = "get", reverse("analytics:report_download",
                                            args=[done_report.pk, fmt]), None
    response = request_as(client, users[who], method, path, data)
    assert_outcome(response, path, expected)
    if expected == 200 and view.startswith("download"):
        assert response["Cache-Control"] == "private, no-store"
        body = b"".join(response.streaming_content)
        assert body.startswith(b"PK") if view.endswith("xlsx") else b"<html" in body


def test_a_file_name_outside_the_report_directory_is_never_served(client, supervisor,
                                                                   done_report):
    MonthlyReport.objects.filter(pk=done_report.pk).update(xlsx_name="../../settings.py")
    client.force_login(supervisor)
    response = client.get(reverse("analytics:report_download", args=[done_report.pk, "xlsx"]))
    assert response.status_code == 404


def test_the_report_list_runs_a_fixed_number_of_queries(client, supervisor,
                                                        django_capture_on_commit_callbacks):
    client.force_login(supervisor)
    counts = []
    for month in (date(2026, 1, 1), date(2026, 2, 1)):
        _report(month=month, actor=supervisor, capture=django_capture_on_commit_callbacks)
        _report(month=month, capture=django_capture_on_commit_callbacks)
        count, _response = queries(client, reverse("analytics:reports"))
        counts.append(count)
    assert counts[0] == counts[1] <= 11
