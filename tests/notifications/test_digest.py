"""The supervisors' daily digest of breaches, by department, once per supervisor and day."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from aftersales.core.models import OutboxMessage
from aftersales.models import Notification, TimelineEvent
from aftersales.notifications.services import DIGEST_EVENT, preferences_save
from aftersales.notifications.tasks import breach_digest
from aftersales.sla.clocks import ACTION_BREACHED
from tests.factories import make_staff
from tests.sla.conftest import local

from .test_grouping import classified

pytestmark = pytest.mark.django_db

DIGEST_TIME = local(2026, 3, 20, 8, 0)


@pytest.fixture
def breaches(agent, handler, other_handler, quality_dept, other_dept):
    """Three quality cases and one warehouse case breached in the last day; one older."""
    with time_machine.travel(local(2026, 3, 9, 10, 0), tick=False):
        quality = [classified(agent=agent, handler=handler, dept=quality_dept,
                              phone=f"1370000000{i}") for i in range(4)]
        warehouse = classified(agent=agent, handler=other_handler, dept=other_dept,
                               phone="13700000009")

    def breached(case, at):
        TimelineEvent.objects.create(ticket_id=case.pk, action=ACTION_BREACHED,
                                     actor_kind="system", data={"clock": "resolution"},
                                     created_at=at)

    for i, case in enumerate(quality[:3]):
        breached(case, DIGEST_TIME - timedelta(hours=2 + i))
    breached(warehouse, DIGEST_TIME - timedelta(hours=23))
    breached(quality[3], DIGEST_TIME - timedelta(hours=25))  # the day before: not listed
    return {"quality": quality[:3], "warehouse": [warehouse], "old": quality[3]}


def run_digest(capture):
    mail.outbox.clear()
    with time_machine.travel(DIGEST_TIME, tick=False), capture(execute=True):
        return breach_digest.delay().get()


def test_each_supervisor_gets_one_mail_listing_the_departments_and_counts(
        settings, supervisor, breaches, django_capture_on_commit_callbacks):
    settings.LANGUAGE_CODE = "en"
    second = make_staff("super2", "supervisor")

    assert run_digest(django_capture_on_commit_callbacks) == 2

    assert sorted(m.to[0] for m in mail.outbox) == sorted([supervisor.email, second.email])
    body = mail.outbox[0].body
    assert "Quality: 3" in body and "Warehouse: 1" in body
    for case in breaches["quality"] + breaches["warehouse"]:
        assert case.number in body
    assert breaches["old"].number not in body
    assert f"{settings.SITE_URL.rstrip('/')}/" in body  # the cases are linked
    assert "4" in mail.outbox[0].subject and "2026-03-20" in mail.outbox[0].subject
    digest = Notification.objects.get(recipient=supervisor, event=DIGEST_EVENT)
    assert digest.read_at is None and digest.emailed_at is not None
    assert [(d["department"], d["count"]) for d in digest.data["departments"]] == [
        ("Quality", 3), ("Warehouse", 1)]


def test_nobody_is_told_when_nothing_breached(supervisor, django_capture_on_commit_callbacks):
    assert run_digest(django_capture_on_commit_callbacks) == 0
    assert not mail.outbox
    assert not Notification.objects.filter(event=DIGEST_EVENT).exists()
    assert not OutboxMessage.objects.filter(task="aftersales.send_breach_digest").exists()


def test_a_second_run_the_same_day_sends_nothing_more(supervisor, breaches,
                                                      django_capture_on_commit_callbacks):
    run_digest(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1

    assert run_digest(django_capture_on_commit_callbacks) == 0

    assert not mail.outbox
    assert Notification.objects.filter(event=DIGEST_EVENT).count() == 1
    assert OutboxMessage.objects.filter(task="aftersales.send_breach_digest").count() == 1


def test_handlers_and_agents_get_no_digest(supervisor, handler, agent, breaches,
                                           django_capture_on_commit_callbacks):
    run_digest(django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[supervisor.email]]
    assert list(Notification.objects.filter(event=DIGEST_EVENT)
                .values_list("recipient_id", flat=True)) == [supervisor.pk]


def test_a_supervisor_who_turned_the_digest_off_keeps_it_in_app_only(
        supervisor, breaches, django_capture_on_commit_callbacks):
    preferences_save(user=supervisor, email_on_assignment=True, email_on_sla=True,
                     email_digest=False)
    run_digest(django_capture_on_commit_callbacks)
    assert not mail.outbox
    assert Notification.objects.filter(recipient=supervisor, event=DIGEST_EVENT).exists()


def test_the_digest_runs_every_morning_at_eight_shanghai_time():
    entry = settings.CELERY_BEAT_SCHEDULE["breach-digest"]
    assert entry["task"] == "aftersales.breach_digest"
    assert entry["schedule"].hour == {8} and entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


def test_a_case_breached_on_two_clocks_counts_once(supervisor, breaches,
                                                   django_capture_on_commit_callbacks):
    case = breaches["warehouse"][0]
    TimelineEvent.objects.create(ticket_id=case.pk, action=ACTION_BREACHED, actor_kind="system",
                                 data={"clock": "first_response"},
                                 created_at=DIGEST_TIME - timedelta(hours=1))
    run_digest(django_capture_on_commit_callbacks)
    digest = Notification.objects.get(event=DIGEST_EVENT)
    assert {d["department"]: d["count"] for d in digest.data["departments"]} == {
        "Quality": 3, "Warehouse": 1}
