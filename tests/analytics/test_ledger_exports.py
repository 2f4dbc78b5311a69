"""Ledger exports: exactly what the filters show, masked by role, recorded, private, and
written by the worker (with progress, notification and cleanup) when large."""

import csv
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone, translation

from aftersales.celery import app as celery_app
from aftersales.models import Notification
from analytics.ledger.columns import COLUMNS, RowContext, as_text, row_texts
from analytics.ledger.filters import filters_from_query
from analytics.ledger.selectors import ledger_batches
from analytics.ledger.services import (
    EVENT_EXPORT_READY,
    export_root,
    exports_cleanup,
)
from analytics.ledger.tasks import ledger_exports_cleanup
from analytics.models import ExportJob
from tests.access import LOGIN, assert_outcome, request_as
from tests.analytics.ledger_support import add_plan, add_rating, make_complaint
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db
EXPORT = "/ledger/export/"


@pytest.fixture
def ledger(quality_dept, other_dept, handler):
    """A mixed ledger: plans, ratings, repeats, two departments, one regulator case."""
    made = []
    for i in range(9):
        complaint = make_complaint(
            department=quality_dept if i % 2 else other_dept,
            channel="REGULATOR" if i == 4 else "HOTLINE", severity="S2",
            category="QUAL", subcategory="FUNC", assignee=handler if i % 2 else None,
            product=ProductFactory() if i % 3 == 0 else None,
            replied_at=timezone.now() - timedelta(days=i) if i % 2 else None,
            outcome="SOLVED" if i % 2 else "",
            customer=CustomerFactory(name=f"李{i}号", contact__phone=f"1380000{i:04d}"),
        )
        if i % 2:
            add_plan(complaint, department=quality_dept, person=handler,
                     compensation=Decimal(f"{i}0.50"))
            add_rating(complaint, 1 + i % 5)
        made.append(complaint)
    make_complaint(repeat_of=made[0], department=other_dept)
    return made


def expected_rows(user, query: str, masked: bool = True) -> list[list[str]]:
    filters = filters_from_query(query)
    ctx = RowContext(masked=masked, now=timezone.now())
    return [row_texts(row, ctx) for batch in ledger_batches(user=user, filters=filters)
            for row in batch]


def content_of(response) -> bytes:
    """The body of a streamed response; reading it to the end closes the response."""
    return b"".join(response.streaming_content)


def read_csv(response) -> list[list[str]]:
    text = content_of(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(content: bytes) -> list[list[str]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    rows = []
    for values in sheet.iter_rows(values_only=True):
        rows.append(["" if v is None else v for v in values])
    return rows


def xlsx_as_text(rows: list[list]) -> list[list[str]]:
    """Cells read back from Excel, written the way the page shows them."""
    out = []
    for values in rows:
        texts = []
        for column, value in zip(COLUMNS, values, strict=False):
            if hasattr(value, "strftime"):
                texts.append(value.strftime("%Y-%m-%d %H:%M"))
            elif column.type == "money" and value != "":
                texts.append(as_text(column, Decimal(str(value)).quantize(Decimal("0.01"))))
            elif isinstance(value, int | float) and column.type == "number":
                texts.append(str(int(value)))
            else:
                texts.append(str(value))
        texts += [""] * (len(COLUMNS) - len(texts))
        out.append(texts)
    return out


def export(client, query: str, fmt: str, **extra):
    return client.post(EXPORT, {"query": query, "format": fmt}, **extra)


@pytest.mark.parametrize("query", ["", "department={dept}", "channel=REGULATOR",
                                   "sort=replied&dir=asc", "satisfaction=dissatisfied"])
def test_csv_export_equals_the_filtered_ledger_row_for_row(client, supervisor, ledger,
                                                           quality_dept, query):
    query = query.format(dept=quality_dept.pk)
    client.force_login(supervisor)
    response = export(client, query, "csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    with translation.override("zh-hans"):
        assert rows[0] == [str(c.header) for c in COLUMNS]
    assert rows[1:] == expected_rows(supervisor, query)
    job = ExportJob.objects.get()
    assert (job.status, job.row_count, job.format, job.owner) == (
        "DONE", len(rows) - 1, "csv", supervisor)
    assert job.filters == filters_from_query(query).as_json() and not job.background


@pytest.mark.parametrize("query", ["", "severity=S2&sort=replied"])
def test_xlsx_export_equals_the_filtered_ledger_row_for_row(client, supervisor, ledger, query):
    client.force_login(supervisor)
    response = export(client, query, "xlsx")
    assert response.status_code == 200
    rows = read_xlsx(content_of(response))
    with translation.override("zh-hans"):
        assert rows[0] == [str(c.header) for c in COLUMNS]
    assert xlsx_as_text(rows[1:]) == expected_rows(supervisor, query)
    assert ExportJob.objects.get().row_count == len(rows) - 1


def test_headers_follow_the_users_language(client, supervisor, ledger):
    client.force_login(supervisor)
    rows = read_csv(export(client, "", "csv", HTTP_ACCEPT_LANGUAGE="en"))
    assert rows[0][:3] == ["Number", "Channel", "Received"]
    assert rows[1][1] == "Service hotline"
    assert ExportJob.objects.get().language == "en"


def test_dates_are_shanghai_time(client, supervisor):
    from datetime import UTC, datetime

    make_complaint(received_at=datetime(2026, 1, 31, 17, 30, tzinfo=UTC))
    client.force_login(supervisor)
    rows = read_csv(export(client, "", "csv"))
    assert rows[1][2] == "2026-02-01 01:30"
    rows = read_xlsx(content_of(export(client, "", "xlsx")))
    assert rows[1][2].strftime("%Y-%m-%d %H:%M") == "2026-02-01 01:30"


def test_exports_are_masked_unless_the_role_may_see_personal_data(client, supervisor, ledger):
    client.force_login(supervisor)
    text = str(read_csv(export(client, "", "csv")))
    assert "李1号" not in text and "13800000001" not in text
    assert "李**" in text and "138****0001" in text
    assert ExportJob.objects.get().masked
    supervisor.user_permissions.add(Permission.objects.get(codename="view_ledger_personal_data"))
    supervisor = type(supervisor).objects.get(pk=supervisor.pk)
    client.force_login(supervisor)
    text = str(read_csv(export(client, "", "csv")))
    assert "李1号 13800000001" in text
    assert not ExportJob.objects.order_by("-id").first().masked


def test_a_handler_exports_only_their_departments_rows(client, handler, ledger, quality_dept):
    client.force_login(handler)
    rows = read_csv(export(client, "", "csv"))[1:]
    assert rows == expected_rows(handler, "")
    assert {row[0] for row in rows} == {c.number for c in ledger if c.department == quality_dept}


def test_unknown_format_is_refused(client, supervisor):
    client.force_login(supervisor)
    response = export(client, "", "pdf")
    assert response.status_code == 302 and not ExportJob.objects.exists()


# --- the worker's part ----------------------------------------------------------------------

@pytest.fixture
def small_limit(settings):
    settings.LEDGER_EXPORT_SYNC_MAX_ROWS = 3


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_large_export_is_written_by_the_worker(client, supervisor, ledger, small_limit,
                                                 django_capture_on_commit_callbacks, fmt):
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = export(client, "department=&severity=S2", fmt)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"#export-{job.pk}")
    assert job.background and job.status == "DONE" and job.file_name
    path = export_root() / job.file_name
    assert path.is_file() and job.file_size == path.stat().st_size
    assert job.expires_at > timezone.now() + timedelta(hours=71)
    # The owner is told, with the download link.
    note = Notification.objects.get(recipient=supervisor)
    download = reverse("analytics:ledger_export_download", args=[job.pk])
    assert note.event == EVENT_EXPORT_READY and note.data["path"] == download
    # The status the page polls, then the file itself.
    status = client.get(reverse("analytics:ledger_export_status", args=[job.pk])).json()
    assert status["finished"] and status["percent"] == 100
    assert status["download_url"] == download and status["rows"] == 9
    response = client.get(download)
    assert response.status_code == 200
    content = content_of(response)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8")[1:])))[1:]
    else:
        rows = xlsx_as_text(read_xlsx(content)[1:])
    assert rows == expected_rows(supervisor, "severity=S2")
    assert job.row_count == len(rows) == 9


def test_the_worker_records_progress(supervisor, ledger, small_limit, monkeypatch):
    from analytics.ledger import services

    client_params = filters_from_query("")
    job = ExportJob.objects.create(owner=supervisor, owner_name="super1", format="csv",
                                   language="en", filters=client_params.as_json(),
                                   background=True)
    seen = []
    real = services.ledger_batches

    def small_batches(**kwargs):
        kwargs["batch_size"] = 4
        for batch in real(**kwargs):
            yield batch
            seen.append(ExportJob.objects.get(pk=job.pk).row_count)

    monkeypatch.setattr(services, "ledger_batches", small_batches)
    services.export_run(job_id=job.pk)
    assert seen == [4, 8, 10]
    job.refresh_from_db()
    assert (job.status, job.row_count, job.total_rows, job.percent) == ("DONE", 10, 10, 100)
    # A second delivery of the same task does nothing.
    assert services.export_run(job_id=job.pk) is None


def test_a_failed_export_is_recorded_and_reported(supervisor, ledger, monkeypatch):
    from analytics.ledger import services

    job = ExportJob.objects.create(owner=supervisor, owner_name="super1", format="xlsx",
                                   language="en", filters={}, background=True)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "write_xlsx", broken)
    services.export_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "FAILED" and job.error == "OSError" and not job.file_name
    assert Notification.objects.get(recipient=supervisor).event == services.EVENT_EXPORT_FAILED
    assert list(export_root().iterdir()) == []


def test_expired_files_are_deleted_by_the_cleanup(client, supervisor, ledger, small_limit,
                                                  django_capture_on_commit_callbacks):
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        export(client, "", "csv")
    job = ExportJob.objects.get()
    path = export_root() / job.file_name
    assert exports_cleanup() == 0 and path.is_file()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ledger_exports_cleanup.apply().get() == 1
    job.refresh_from_db()
    assert not path.exists() and job.status == "EXPIRED" and job.file_name == ""
    assert client.get(reverse("analytics:ledger_export_download", args=[job.pk])).status_code \
        == 404


def test_a_job_left_running_by_a_lost_worker_is_marked_failed(supervisor, settings):
    partial = export_root() / "ledger-half.csv"
    partial.write_text("\ufeffNumber\n", encoding="utf-8")
    job = ExportJob.objects.create(owner=supervisor, owner_name="super1", format="csv",
                                   language="en", status="RUNNING", background=True,
                                   file_name=partial.name)
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=71))
    exports_cleanup()
    assert ExportJob.objects.get(pk=job.pk).status == "RUNNING" and partial.exists()
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=73))
    exports_cleanup()
    job.refresh_from_db()
    assert job.status == "FAILED" and job.file_name == "" and not partial.exists()


# --- private files --------------------------------------------------------------------------

@pytest.fixture
def finished_job(supervisor):
    name = "ledger-x.csv"
    (export_root() / name).write_text("\ufeffNumber\n", encoding="utf-8")
    return ExportJob.objects.create(owner=supervisor, owner_name="super1", format="csv",
                                    language="en", status="DONE", file_name=name,
                                    background=True,
                                    expires_at=timezone.now() + timedelta(hours=1))


@pytest.mark.parametrize("view", ["analytics:ledger_export_status",
                                  "analytics:ledger_export_download"])
@pytest.mark.parametrize("who,outcome", [("anonymous", "login"), ("no_role", 403),
                                         ("handler", 404), ("agent", 404),
                                         ("admin_user", 404), ("supervisor", 200)])
def test_only_the_owner_reaches_an_export(client, users, finished_job, view, who, outcome):
    path = reverse(view, args=[finished_job.pk])
    response = request_as(client, users[who], "get", path)
    if response.streaming:
        content_of(response)
    assert_outcome(response, path, LOGIN if outcome == "login" else outcome)


def test_export_files_are_outside_the_public_media_url(settings):
    root = export_root()
    assert root.is_dir()
    assert not str(root).startswith(str(Path(settings.STATIC_ROOT)))
    assert settings.MEDIA_URL not in str(root)


def test_the_worker_knows_the_export_tasks():
    celery_app.loader.import_default_modules()
    assert "analytics.ledger_export_run" in celery_app.tasks
    assert "analytics.ledger_exports_cleanup" in celery_app.tasks
    from django.conf import settings

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "analytics.ledger_exports_cleanup" in scheduled


def test_opening_the_notification_leads_to_the_download(client, supervisor, ledger,
                                                        small_limit,
                                                        django_capture_on_commit_callbacks):
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        export(client, "", "csv")
    job = ExportJob.objects.get()
    note = Notification.objects.get(recipient=supervisor)
    page = client.get(reverse("aftersales:notifications"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Your ledger export is ready to download" in page.content.decode()
    response = client.post(reverse("aftersales:notification_open", args=[note.pk]))
    assert response.url == reverse("analytics:ledger_export_download", args=[job.pk])


def test_a_broker_outage_delays_a_large_export_and_loses_nothing(
        client, supervisor, ledger, small_limit, monkeypatch,
        django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    from aftersales.core import outbox
    from aftersales.models import OutboxMessage
    from analytics.ledger.tasks import ledger_export_run

    def refuse(*args, **kwargs):
        raise OperationalError("broker down")

    client.force_login(supervisor)
    with monkeypatch.context() as broken:
        broken.setattr(ledger_export_run, "apply_async", refuse)
        with django_capture_on_commit_callbacks(execute=True):
            response = export(client, "", "xlsx")
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.status == "PENDING"
    message = OutboxMessage.objects.get(task="analytics.ledger_export_run")
    assert message.args == [job.pk] and message.sent_at is None
    # The broker is back: the periodic hand-over runs the export.
    outbox.reset_broker_state()
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
    outbox.dispatch()
    job.refresh_from_db()
    assert job.status == "DONE" and job.row_count == 10
