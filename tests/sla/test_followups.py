"""Return visits: survey sent when due, one reminder, no response, answers, reopening."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from aftersales.followups.services import (
    ACTION_ANSWERED,
    ACTION_NO_RESPONSE,
    ACTION_REMINDED,
    ACTION_SENT,
    SurveyAnswer,
    follow_up_answer,
    follow_ups_due,
)
from aftersales.followups.sweep import follow_up_sweep
from aftersales.models import Customer, FollowUp, Notification, Ticket, TimelineEvent
from aftersales.notifications import sms
from complaints import services as s
from complaints.choices import State
from complaints.models import Complaint
from tests.factories import PASSWORD

from .conftest import complaint_replied, local

pytestmark = pytest.mark.django_db

MONDAY = local(2026, 3, 9, 10, 0)
GOOD = {"rating": "5", "rating_attitude": "5", "rating_timeliness": "4", "rating_result": "5",
        "problem_solved": "yes", "comment": ""}
BAD = {"rating": "2", "rating_attitude": "3", "rating_timeliness": "1", "rating_result": "1",
       "problem_solved": "no", "comment": "It stopped heating again."}


@pytest.fixture
def replied(agent, handler, quality_dept):
    with time_machine.travel(MONDAY, tick=False):
        return complaint_replied(agent=agent, handler=handler, quality_dept=quality_dept)


def survey_url(follow_up: FollowUp) -> str:
    return reverse("aftersales:survey", args=[follow_up.token])


def count(ticket, action) -> int:
    return TimelineEvent.objects.filter(ticket_id=ticket.pk, action=action).count()


def test_survey_goes_out_when_due_then_one_reminder_then_no_response(
        replied, agent, django_capture_on_commit_callbacks):
    follow_up = FollowUp.objects.get(ticket=replied)
    mail.outbox.clear()
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        assert not follow_up_sweep().sent  # not due yet
    due = MONDAY + timedelta(days=3, minutes=1)
    with time_machine.travel(due, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert follow_up_sweep().sent == [follow_up.pk]
        assert not follow_up_sweep().sent
    follow_up.refresh_from_db()
    assert follow_up.status == "SENT" and follow_up.sent_at == due
    assert len(mail.outbox) == 1 and survey_url(follow_up) in mail.outbox[0].body
    assert mail.outbox[0].to == ["zhangsan@example.com"]
    assert len(sms.outbox) == 1 and survey_url(follow_up) in sms.outbox[0].text
    assert sms.outbox[0].to == "13812345678"

    with time_machine.travel(due + timedelta(hours=47), tick=False):
        assert not follow_up_sweep().reminded
    with time_machine.travel(due + timedelta(hours=48), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        assert follow_up_sweep().reminded == [follow_up.pk]
        assert not follow_up_sweep().reminded
    assert len(mail.outbox) == 2 and len(sms.outbox) == 2
    with translation.override(replied.language):  # the customer's language, not the staff's
        reminder = gettext("Reminder: your opinion on case %(number)s") % {"number": replied.number}
    assert mail.outbox[1].subject == reminder

    with time_machine.travel(due + timedelta(hours=96), tick=False):
        assert follow_up_sweep().no_response == [follow_up.pk]
        again = follow_up_sweep()
    assert not (again.sent or again.reminded or again.no_response)
    follow_up.refresh_from_db()
    assert follow_up.status == "NO_RESPONSE"
    assert (count(replied, ACTION_SENT), count(replied, ACTION_REMINDED),
            count(replied, ACTION_NO_RESPONSE)) == (1, 1, 1)
    complaint = Complaint.objects.get(pk=replied.pk)
    assert complaint.state == State.RETURN_VISIT
    assert complaint.return_visit_result == Complaint.ReturnVisitResult.NO_RESPONSE
    # With the return visit recorded as "no response" the agent can archive.
    s.complaint_archive(complaint_pk=complaint.pk, version=complaint.version, actor=agent)
    assert Complaint.objects.get(pk=replied.pk).state == State.CLOSED


def test_due_follow_ups_are_listed_for_agents(replied, agent, other_handler, client):
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        assert not follow_ups_due(agent).exists()
    with time_machine.travel(MONDAY + timedelta(days=4), tick=False):
        assert list(follow_ups_due(agent)) == [FollowUp.objects.get(ticket=replied)]
        # A handler of another department does not see the case.
        assert not follow_ups_due(other_handler).exists()
        client.login(username="agent1", password=PASSWORD)
        page = client.get(reverse("aftersales:followups_due"))
    assert page.status_code == 200
    assert replied.number in page.content.decode()


def test_a_due_follow_up_of_an_unassigned_case_is_listed_too(replied, agent, client):
    # On-the-spot resolutions are replied by an agent without anyone being assigned.
    Ticket.objects.filter(pk=replied.pk).update(assignee=None)
    client.login(username="agent1", password=PASSWORD)
    with time_machine.travel(MONDAY + timedelta(days=4), tick=False):
        page = client.get(reverse("aftersales:followups_due"))
    assert page.status_code == 200
    assert replied.number in page.content.decode()


def test_followups_page_needs_a_staff_login(client):
    response = client.get(reverse("aftersales:followups_due"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_satisfied_answer_records_the_return_visit(replied, client):
    follow_up = FollowUp.objects.get(ticket=replied)
    page = client.get(survey_url(follow_up))
    assert page.status_code == 200 and replied.number in page.content.decode()
    assert page["Referrer-Policy"] == "no-referrer"
    response = client.post(survey_url(follow_up), GOOD)
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.status == "ANSWERED" and follow_up.method == "ONLINE"
    assert (follow_up.rating, follow_up.rating_attitude, follow_up.rating_timeliness,
            follow_up.rating_result, follow_up.problem_solved) == (5, 5, 4, 5, True)
    complaint = Complaint.objects.get(pk=replied.pk)
    assert complaint.state == State.RETURN_VISIT
    assert complaint.return_visit_result == Complaint.ReturnVisitResult.SATISFIED
    # The survey is closed now: a second answer changes nothing.
    assert client.post(survey_url(follow_up), BAD).status_code == 409
    assert Complaint.objects.get(pk=replied.pk).state == State.RETURN_VISIT
    assert "closed" in client.get(survey_url(follow_up)).content.decode()


def test_dissatisfied_answer_reopens_the_complaint(replied, client, supervisor,
                                                   django_capture_on_commit_callbacks):
    follow_up = FollowUp.objects.get(ticket=replied)
    without_reason = {**BAD, "comment": ""}
    assert client.post(survey_url(follow_up), without_reason).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(survey_url(follow_up), BAD).status_code == 302
    complaint = Complaint.objects.get(pk=replied.pk)
    assert complaint.state == State.REOPENED and complaint.reopen_count == 1
    assert complaint.sla_clock == "resolution" and complaint.sla_status == "on_track"
    follow_up.refresh_from_db()
    assert follow_up.status == "ANSWERED" and follow_up.problem_solved is False
    assert follow_up.comment == "It stopped heating again."
    assert Notification.objects.filter(recipient=supervisor,
                                       event="aftersales.notify.reopened").exists()


def test_a_low_rating_alone_also_reopens(replied, client):
    follow_up = FollowUp.objects.get(ticket=replied)
    answer = {**GOOD, "rating": "1", "comment": "Rude on the phone."}
    assert client.post(survey_url(follow_up), answer).status_code == 302
    assert Complaint.objects.get(pk=replied.pk).state == State.REOPENED


def test_survey_tokens_are_isolated(agent, handler, quality_dept, client):
    with time_machine.travel(MONDAY, tick=False):
        first = complaint_replied(agent=agent, handler=handler, quality_dept=quality_dept)
        second = complaint_replied(agent=agent, handler=handler, quality_dept=quality_dept)
    mine = FollowUp.objects.get(ticket=first)
    theirs = FollowUp.objects.get(ticket=second)
    assert mine.token != theirs.token
    # Unknown tokens, and the case's tracking token, never open a survey.
    for token in ("", "x", mine.token[:-1], first.tracking_token):
        if token:
            assert client.get(f"/s/{token}/").status_code == 404
    assert client.post(survey_url(mine), BAD).status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == "SCHEDULED" and theirs.rating is None
    assert Complaint.objects.get(pk=second.pk).state == State.RESOLVED
    # The page shows the case number only: no name, phone or e-mail.
    page = client.get(survey_url(theirs)).content.decode()
    assert second.number in page and first.number not in page
    assert "13812345678" not in page and "zhangsan" not in page


def test_a_kind_without_a_handler_is_recorded_by_the_kernel(db):
    customer = Customer(name="Li")
    customer.set_contact(phone="13700000000")
    customer.save()
    # A kind no app has registered: the kernel records the answer itself.
    ticket = Ticket.objects.create(number="GD-20260309-0001", kind="GADGET", channel="HOTLINE",
                                   customer=customer, received_at=MONDAY)
    follow_up = FollowUp.objects.create(ticket=ticket, due_at=MONDAY)
    follow_up_answer(token=follow_up.token, answer=SurveyAnswer(
        rating=4, rating_attitude=4, rating_timeliness=None, rating_result=5,
        problem_solved=True, comment="Fine."))
    follow_up.refresh_from_db()
    assert follow_up.status == "ANSWERED" and follow_up.rating_result == 5
    assert count(ticket, ACTION_ANSWERED) == 1


def test_notifications_list_mark_read_and_nav_count(replied, handler):
    Notification.objects.create(recipient=handler, ticket=replied, event="aftersales.sla.breached",
                                created_at=MONDAY)
    Notification.objects.create(recipient=handler, event="aftersales.calendar.confirm_year",
                                data={"year": 2027}, created_at=MONDAY)
    client = Client()
    assert client.get(reverse("aftersales:notifications")).status_code == 302
    client.login(username="handler1", password=PASSWORD)
    page = client.get(reverse("aftersales:notifications"))
    assert page.status_code == 200
    assert "Deadline breached" in page.content.decode()

    request = type("R", (), {"user": handler})()
    nav = Template("{% load sla %}{% notifications_nav %}").render(Context({"request": request}))
    assert ">2<" in nav.replace(" ", "")

    breached = Notification.objects.get(event="aftersales.sla.breached")
    opened = client.post(reverse("aftersales:notification_open", args=[breached.pk]))
    assert opened.status_code == 302 and replied.number in opened["Location"]
    breached.refresh_from_db()
    assert breached.read_at is not None
    client.post(reverse("aftersales:notifications_read"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_someone_elses_notification_is_not_found(replied, handler, agent):
    notification = Notification.objects.create(recipient=handler, ticket=replied,
                                               event="aftersales.sla.at_risk", created_at=MONDAY)
    client = Client()
    client.login(username="agent1", password=PASSWORD)
    assert client.post(reverse("aftersales:notification_open",
                               args=[notification.pk])).status_code == 404
