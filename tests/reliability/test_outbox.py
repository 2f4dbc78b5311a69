"""The transactional outbox: a side effect is owed with the change that causes it, handed to
the broker after commit or later, and done exactly once however often it is delivered."""

import ast
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from aftersales.celery import app as celery_app
from aftersales.core import outbox
from aftersales.models import Notification, OutboxMessage
from aftersales.notifications.tasks import notify_customer, notify_staff
from complaints import services as s
from complaints.models import Complaint
from tests.factories import PASSWORD, intake

from .conftest import DEAD_REDIS

pytestmark = pytest.mark.django_db

ESCALATED = "aftersales.notify.escalated"


def escalate(case, actor):
    return s.complaint_escalate(complaint_pk=case.pk, version=case.version, actor=actor,
                                reason="Overdue.")


@pytest.fixture
def case(build):
    """A complaint in progress whose earlier messages are all done."""
    complaint = build("IN_PROGRESS")
    OutboxMessage.objects.update(sent_at=timezone.now())
    mail.outbox.clear()
    return complaint


def escalation_message() -> OutboxMessage:
    return OutboxMessage.objects.get(task="aftersales.notify_staff", args__1="escalated")


def redeliver(task, message: OutboxMessage):
    """What the broker does after a crash: the same task, same id, once more."""
    return task.apply(args=message.args, kwargs=message.kwargs,
                      task_id=f"{outbox.TASK_ID_PREFIX}{message.pk}")


# --- owed with the change ----------------------------------------------------------------

def test_the_message_is_owed_in_the_same_transaction_as_the_change(build, handler):
    case = build("IN_PROGRESS")
    OutboxMessage.objects.all().delete()

    with pytest.raises(RuntimeError), transaction.atomic():
        escalate(case, handler)
        raise RuntimeError("the request failed after the service")
    assert not OutboxMessage.objects.exists()
    assert Complaint.objects.get(pk=case.pk).escalation_level == 0

    escalate(case, handler)
    owed = OutboxMessage.objects.get()
    assert (owed.task, owed.args) == ("aftersales.notify_staff",
                                      [case.pk, "escalated", "supervisors"])
    assert owed.sent_at is None and owed.dispatched_at is None


def test_after_commit_the_message_is_handed_over_and_marked_sent(
        build, handler, supervisor, django_capture_on_commit_callbacks):
    case = build("IN_PROGRESS")
    OutboxMessage.objects.all().delete()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        escalate(case, handler)

    owed = OutboxMessage.objects.filter(task__in=["aftersales.notify_staff",
                                                  "aftersales.deliver_notifications"])
    assert owed.count() == 2
    assert all(m.sent_at and m.dispatched_at and m.attempts == 1 for m in owed)
    assert [m.to for m in mail.outbox] == [[supervisor.email]]


def test_a_key_already_owed_is_not_owed_twice():
    with transaction.atomic():
        first = outbox.enqueue("aftersales.notify_customer", [1, "accepted"], key="once")
        second = outbox.enqueue("aftersales.notify_customer", [1, "accepted"], key="once")

    assert first == second == "once"
    assert OutboxMessage.objects.count() == 1


def test_no_code_hands_tasks_to_celery_except_the_outbox():
    root = Path(settings.BASE_DIR)
    direct = re.compile(r"\.(delay|apply_async|send_task)\(")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for package in ("aftersales", "complaints", "returns", "delivery", "analytics")
        for path in (root / package).rglob("*.py")
        if path.name != "outbox.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if direct.search(line)
    ]
    assert offenders == []


def _calls_outside_atomic(tree: ast.AST, names: set[str]) -> list[int]:
    """Lines calling one of ``names`` outside any ``with transaction.atomic()`` block."""
    found: list[int] = []

    def visit(node: ast.AST, inside: bool) -> None:
        if isinstance(node, ast.With) and any(
                "atomic" in ast.unparse(item.context_expr) for item in node.items):
            inside = True
        if isinstance(node, ast.Call) and not inside:
            name = ast.unparse(node.func).rsplit(".", 1)[-1]
            if name in names:
                found.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef) and not function.name.startswith("_on_commit"):
            for statement in function.body:
                visit(statement, False)
    return found


@pytest.mark.parametrize("module", ["aftersales/cases/services.py", "complaints/services.py"])
def test_services_owe_their_messages_inside_their_transaction(module):
    tree = ast.parse(Path(settings.BASE_DIR, module).read_text(encoding="utf-8"))
    names = {"enqueue", "enqueue_many", "_on_commit_notify", "_on_commit_notify_staff"}
    assert _calls_outside_atomic(tree, names) == []


# --- a broker outage delays, never drops ---------------------------------------------------

def test_an_escalation_with_the_broker_down_succeeds_and_is_notified_once_it_is_back(
        case, handler, supervisor, client, celery_on, django_capture_on_commit_callbacks,
        caplog):
    celery_on(DEAD_REDIS)
    client.login(username=handler.username, password=PASSWORD)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("complaints:act", args=[case.number, "escalate"]),
                               {"escalate-version": case.version, "escalate-reason": "Overdue."})

    assert response.status_code == 302
    assert Complaint.objects.get(pk=case.pk).escalation_level == 1
    owed = escalation_message()
    assert owed.sent_at is None
    assert owed.dispatched_at is None and owed.attempts == 0 and owed.last_error
    assert "the broker refused" in caplog.text
    assert mail.outbox == []

    # The broker is back; the periodic dispatch (or the command) hands the message over.
    celery_app.conf.task_always_eager = True
    call_command("outbox_dispatch", stdout=StringIO())
    call_command("outbox_dispatch", stdout=StringIO())

    owed.refresh_from_db()
    assert owed.sent_at is not None
    assert Notification.objects.filter(event=ESCALATED).count() == 1
    assert [m.to for m in mail.outbox] == [[supervisor.email]]


def test_a_message_handed_over_but_never_done_is_handed_over_again_later(
        case, handler, supervisor):
    with transaction.atomic():
        escalate(case, handler)
    owed = escalation_message()
    # Handed over, then lost by the broker (a Redis restart without persistence).
    OutboxMessage.objects.filter(pk=owed.pk).update(
        dispatched_at=timezone.now(), attempts=1,
        available_at=timezone.now() + timedelta(seconds=settings.OUTBOX_REDISPATCH_SECONDS))

    assert outbox.dispatch().dispatched == 0
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_REDISPATCH_SECONDS + 1)
    with time_machine.travel(later):
        assert outbox.dispatch().dispatched == 1

    owed.refresh_from_db()
    assert owed.sent_at is not None and owed.attempts == 2
    assert Notification.objects.filter(event=ESCALATED).count() == 1


def test_after_the_last_attempt_a_message_waits_for_an_operator(case, handler, supervisor):
    with transaction.atomic():
        escalate(case, handler)
    owed = escalation_message()
    OutboxMessage.objects.filter(pk=owed.pk).update(attempts=settings.OUTBOX_MAX_ATTEMPTS)

    assert outbox.dispatch().dispatched == 0
    call_command("outbox_dispatch", "--all", stdout=StringIO())

    owed.refresh_from_db()
    assert owed.sent_at is not None


def test_a_message_for_an_unknown_task_is_tried_again_later_then_abandoned(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    with transaction.atomic():
        outbox.enqueue("aftersales.no_such_task", [1])

    assert outbox.dispatch().as_dict() == {"dispatched": 0, "failed": 0, "abandoned": 0}
    message = OutboxMessage.objects.get()
    assert message.attempts == 1 and "unknown task" in message.last_error
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_REDISPATCH_SECONDS + 1)
    with time_machine.travel(later):
        assert outbox.dispatch().abandoned == 1
    with time_machine.travel(later + timedelta(days=1)):
        assert outbox.dispatch().as_dict() == {"dispatched": 0, "failed": 0, "abandoned": 0}


# --- delivered twice, done once ------------------------------------------------------------

def test_a_redelivered_customer_message_is_not_sent_again(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        s.complaint_register(intake=intake(), actor=None)
    message = OutboxMessage.objects.get(task="aftersales.notify_customer")
    assert message.sent_at is not None and len(mail.outbox) == 1

    redeliver(notify_customer, message)
    redeliver(notify_customer, message)

    assert len(mail.outbox) == 1


def test_a_customer_message_claimed_by_a_live_worker_is_not_sent_by_another():
    with transaction.atomic():
        s.complaint_register(intake=intake(), actor=None)
    message = OutboxMessage.objects.get(task="aftersales.notify_customer")
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=timezone.now())

    redeliver(notify_customer, message)

    message.refresh_from_db()
    assert mail.outbox == [] and message.sent_at is None


def test_a_customer_message_claimed_by_a_dead_worker_is_sent_once_the_claim_expires():
    with transaction.atomic():
        s.complaint_register(intake=intake(), actor=None)
    message = OutboxMessage.objects.get(task="aftersales.notify_customer")
    expired = timezone.now() - timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS + 1)
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=expired)

    redeliver(notify_customer, message)
    redeliver(notify_customer, message)

    message.refresh_from_db()
    assert len(mail.outbox) == 1 and message.sent_at is not None


def test_a_failed_send_frees_the_claim_and_records_the_error_masked(settings):
    settings.EMAIL_BACKEND = "tests.reliability.backends.RefusingEmailBackend"
    with transaction.atomic():
        s.complaint_register(intake=intake(email="zhangsan@example.com"), actor=None)
    message = OutboxMessage.objects.get(task="aftersales.notify_customer")

    redeliver(notify_customer, message)

    message.refresh_from_db()
    assert message.sent_at is None and message.claimed_at is None
    assert "SMTPRecipientsRefused" in message.last_error
    assert "zhangsan@example.com" not in message.last_error
    assert "z***@example.com" in message.last_error


def test_a_redelivered_staff_notification_writes_no_second_in_app_row(
        build, handler, supervisor, django_capture_on_commit_callbacks):
    case = build("IN_PROGRESS")
    with django_capture_on_commit_callbacks(execute=True):
        escalate(case, handler)
    message = escalation_message()

    redeliver(notify_staff, message)

    assert Notification.objects.filter(event=ESCALATED).count() == 1


def test_a_task_called_without_the_outbox_just_runs(build, handler, supervisor):
    case = build("IN_PROGRESS")
    mail.outbox.clear()

    assert notify_customer.apply(args=[case.pk, "message"]).get() is True
    assert notify_customer(case.pk, "message") is True
    assert len(mail.outbox) == 2


# --- configuration ---------------------------------------------------------------------------

def test_the_periodic_dispatch_runs_at_least_twice_a_minute():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values()
                 if e["task"] == "aftersales.outbox_dispatch")
    assert entry["schedule"] <= 30


# What a worker imports at start: its apps' task modules and the modules the app lists.
WORKER_TASKS = """
import django, json; django.setup()
from aftersales.celery import app
app.autodiscover_tasks(force=True)
for module in app.loader.default_modules:
    app.loader.import_task_module(module)
print(json.dumps(sorted(name for name in app.tasks if not name.startswith("celery."))))
"""
# A web process that has imported no task module hands each of them over by name.
UNKNOWN_TO_WEB = """
import django, json, sys; django.setup()
from aftersales.core import outbox
print(json.dumps([name for name in json.loads(sys.argv[1]) if outbox._task(name) is None]))
"""


def test_a_web_process_can_hand_over_every_task_a_worker_runs():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "aftersales.settings"}

    def run(script: str, *args: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", script, *args], env=env, timeout=60,
                              capture_output=True, text=True, cwd=settings.BASE_DIR)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.splitlines()[-1])

    worker = run(WORKER_TASKS)
    assert {"aftersales.notify_customer", "aftersales.notify_staff",
            "aftersales.deliver_notifications", "aftersales.send_survey_email",
            "aftersales.send_survey_sms", "aftersales.outbox_dispatch"} <= set(worker)
    assert run(UNKNOWN_TO_WEB, json.dumps(worker)) == []


def test_a_crashed_task_goes_back_to_the_queue_and_redis_redelivers_it_within_minutes():
    env = {**os.environ, "CELERY_BROKER_URL": DEAD_REDIS,
           "DJANGO_SETTINGS_MODULE": "aftersales.settings"}
    script = ("import django, json; django.setup()\n"
              "from django.conf import settings as s\n"
              "from aftersales.celery import app\n"
              "c = app.conf; o = c.broker_transport_options\n"
              "print(json.dumps([c.task_acks_late, c.task_reject_on_worker_lost,\n"
              "  o['visibility_timeout'], o['unacked_restore_interval'],\n"
              "  s.OUTBOX_CLAIM_SECONDS, s.OUTBOX_TASK_TIME_LIMIT]))")
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=60, cwd=settings.BASE_DIR)
    acks_late, reject_on_lost, visibility, restore_every, claim, time_limit = \
        json.loads(run.stdout.splitlines()[-1])

    assert acks_late and reject_on_lost
    assert visibility <= 600 and restore_every <= 60
    # A live task never outlives its claim, and a claim expires before the broker redelivers.
    assert time_limit < claim < visibility
    assert notify_customer.time_limit == settings.OUTBOX_TASK_TIME_LIMIT

