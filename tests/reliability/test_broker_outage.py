"""Redis (broker and cache) stops: customers still file, staff still sign in and escalate, and
once Redis is back every message owed is sent exactly once by a real worker."""

import time
from collections import Counter
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from aftersales.core import outbox
from aftersales.models import Notification, OutboxMessage
from complaints.models import Complaint
from tests.factories import PASSWORD

from .conftest import wait_for, worker_thread
from .test_cache_outage import public_form

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_while_redis_is_down_nothing_fails_and_afterwards_every_message_goes_out_once(
        private_redis, celery_on, settings, build, handler, supervisor, caplog):
    case = build("IN_PROGRESS")
    OutboxMessage.objects.all().delete()
    settings.CACHES = {"default": {
        "BACKEND": "aftersales.core.cache.ResilientRedisCache", "LOCATION": private_redis.url(1),
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }}
    celery_on(private_redis.url(0))
    mail.outbox.clear()
    customer, staff = Client(), Client()
    seen: list[tuple[str, int, float]] = []

    def request(who: Client, name: str, url: str, data: dict) -> None:
        started = time.monotonic()
        response = who.post(url, data)
        seen.append((name, response.status_code, time.monotonic() - started))

    private_redis.stop()
    request(customer, "public form", reverse("complaints:public_new"),
            public_form(email="wangwu@example.com"))
    request(staff, "sign-in", reverse("login"),
            {"username": handler.username, "password": PASSWORD})
    request(staff, "escalation", reverse("complaints:act", args=[case.number, "escalate"]),
            {"escalate-version": case.version, "escalate-reason": "Overdue."})

    assert [(name, code) for name, code, _ in seen] == [
        ("public form", 302), ("sign-in", 302), ("escalation", 302)], seen
    # No request waits for the broker (about 1 s in all here; slack for a loaded machine).
    assert max(duration for *_, duration in seen) < 15, seen
    assert Complaint.objects.filter(customer__name="孙七").exists()
    assert Complaint.objects.get(pk=case.pk).escalation_level == 1
    owed = OutboxMessage.objects.order_by("pk")
    assert [(m.task, m.args[-2:] if m.task.endswith("staff") else m.args[1:]) for m in owed] \
        == [("aftersales.notify_customer", ["registered"]),
            ("aftersales.notify_staff", ["escalated", "supervisors"])]
    assert not owed.filter(dispatched_at__isnull=False).exists()
    assert mail.outbox == []
    assert "Redis does not answer" in caplog.text and "the broker refused" in caplog.text

    private_redis.start()

    def all_sent() -> bool:
        outbox.dispatch()  # what beat runs every OUTBOX_DISPATCH_SECONDS
        return (OutboxMessage.objects.count() == 3
                and not OutboxMessage.objects.filter(sent_at__isnull=True).exists())

    with worker_thread():
        wait_for(all_sent, what="every owed message to be sent",
                 state=lambda: list(OutboxMessage.objects.values_list(
                     "task", "attempts", "dispatched_at", "sent_at", "last_error")))
        # The operator's command finds nothing owed; nothing more goes out.
        call_command("outbox_dispatch", stdout=StringIO())
        time.sleep(1)

    sent = Counter((tuple(m.to), m.subject) for m in mail.outbox)
    assert sorted(to for to, _ in sent) == [("super1@staff.example",), ("wangwu@example.com",)]
    assert set(sent.values()) == {1}
    assert Notification.objects.filter(event="aftersales.notify.escalated").count() == 1
