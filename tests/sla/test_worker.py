"""The sweeps on a real Celery worker with Redis as the broker.

Skipped, with the reason, when Redis is not reachable. CI sets
``CELERY_BROKER_URL=redis://127.0.0.1:6379/15``.
"""

import os
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone
from kombu import pools

from aftersales.celery import app as celery_app
from aftersales.followups.tasks import follow_up_sweep
from aftersales.models import FollowUp, Notification, Ticket, TimelineEvent
from aftersales.notifications import sms
from aftersales.sla.clocks import ACTION_BREACHED, ACTION_ESCALATED
from aftersales.sla.tasks import sla_sweep
from complaints import services as s
from tests.factories import intake

from .conftest import complaint_replied

BROKER = os.environ.get("CELERY_BROKER_URL", "")
if not BROKER.startswith(("redis://", "rediss://")):
    BROKER = "redis://127.0.0.1:6379/15"

CHECKS = {"check_identity": True, "check_order": True, "check_facts": True, "check_remit": True}


def _redis_problem() -> str:
    try:
        import redis

        redis.Redis.from_url(BROKER, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as error:
        return f"Redis is not reachable at {BROKER} ({error.__class__.__name__}); " \
               "the real-worker tests need it"
    return ""


def _skip_unless_redis() -> None:
    problem = _redis_problem()
    try:
        from tests.services import require_or_skip
    except ImportError:  # pragma: no cover - older test helpers
        if problem:
            pytest.skip(problem)
        return
    require_or_skip(not problem, problem)


pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_worker():
    """Start a real worker once the test's data is in place: ``with live_worker(): ...``.

    Until then tasks run eagerly (the autouse fixture), so the setup's own notifications do
    not race the worker; the queue is purged before the worker starts.
    """
    _skip_unless_redis()
    keys = ("task_always_eager", "broker_url", "result_backend", "task_ignore_result",
            "task_default_queue", "task_default_exchange", "task_default_routing_key")
    saved = {key: celery_app.conf[key] for key in keys}
    # A queue of our own: another test run on the same Redis must not take our tasks.
    queue = f"aftersales-test-{uuid.uuid4().hex[:12]}"

    @contextmanager
    def run():
        celery_app.conf.update(task_always_eager=False, broker_url=BROKER,
                               result_backend=BROKER, task_ignore_result=False,
                               task_default_queue=queue, task_default_exchange=queue,
                               task_default_routing_key=queue)
        _reset_connections(celery_app)
        celery_app.control.purge()
        with start_worker(celery_app, perform_ping_check=False, loglevel="WARNING",
                          shutdown_timeout=20):
            yield celery_app

    try:
        yield run
    finally:
        celery_app.conf.update(saved)
        _reset_connections(celery_app)


def _reset_connections(app) -> None:
    """Drop pooled connections and the result backend so a changed broker URL applies."""
    pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    app._backend_cache = None
    app._local = threading.local()
    app.__dict__.pop("amqp", None)


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the worker")


def classified(agent, handler, dept, severity, phone):
    c = s.complaint_register(intake=intake(phone=phone), actor=None)
    c = s.complaint_accept(complaint_pk=c.pk, version=c.version, actor=agent, checklist=CHECKS)
    return s.complaint_classify(complaint_pk=c.pk, version=c.version, actor=agent,
                                category="QUAL", subcategory="FUNC", severity=severity,
                                department=dept, assignee=handler)


def test_worker_records_breaches_missed_while_it_was_down_exactly_once(
        live_worker, agent, handler, supervisor, admin_user, quality_dept):
    cases = [classified(agent, handler, quality_dept, severity, f"1380000000{i}")
             for i, severity in enumerate(["S4", "S2", "S1"])]
    # They breached an hour ago, while no worker was running.
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Ticket.objects.filter(pk__in=[c.pk for c in cases]).update(
        sla_due_at=an_hour_ago, sla_warn_at=an_hour_ago - timedelta(hours=1))
    Notification.objects.all().delete()
    mail.outbox.clear()

    with live_worker():
        first = sla_sweep.apply_async(ignore_result=False).get(timeout=30)
        second = sla_sweep.apply_async(ignore_result=False).get(timeout=30)
        # The e-mail copies go out from their own task after the sweep committed.
        wait_for(lambda: len(mail.outbox) >= 7)

    # 3 breaches to the handler and the supervisor; the S1 escalation updates the
    # supervisor's row of that case and adds the administrator's: 7 rows, 7 mails.
    assert first == {"at_risk": 0, "breached": 3, "escalated": 1, "notifications": 7}
    assert second == {"at_risk": 0, "breached": 0, "escalated": 0, "notifications": 0}
    assert TimelineEvent.objects.filter(action=ACTION_BREACHED).count() == 3
    assert TimelineEvent.objects.filter(action=ACTION_ESCALATED).count() == 1
    assert len(mail.outbox) == 7
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert Ticket.objects.get(pk=cases[2].pk).escalation_level == 1


def test_worker_sends_the_due_survey_by_email_and_sms(live_worker, agent, handler,
                                                      quality_dept):
    complaint = complaint_replied(agent=agent, handler=handler, quality_dept=quality_dept)
    FollowUp.objects.filter(ticket=complaint).update(due_at=timezone.now() - timedelta(minutes=1))
    mail.outbox.clear()
    sms.outbox.clear()

    with live_worker():
        assert follow_up_sweep.apply_async(ignore_result=False).get(timeout=30)["sent"] == 1
        assert follow_up_sweep.apply_async(ignore_result=False).get(timeout=30)["sent"] == 0
        wait_for(lambda: len(mail.outbox) == 1 and len(sms.outbox) == 1)

    token = FollowUp.objects.get(ticket=complaint).token
    assert f"/s/{token}/" in mail.outbox[0].body and f"/s/{token}/" in sms.outbox[0].text
