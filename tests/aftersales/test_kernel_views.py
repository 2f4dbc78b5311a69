"""The kernel pages (aftersales/urls_kernel.py): the customer's satisfaction survey at
/s/<token>/, open to whoever holds the link and to nobody else; the staff notifications with
their mark-read and open actions; the list of return visits due. Anonymous visitors are sent
to sign in, a login without a role is refused (403), a staff member sees only their own
notifications and only the return visits of the cases they may see. Each list costs the same
number of queries however many rows it shows."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from aftersales.followups.sweep import follow_up_sweep
from aftersales.models import FollowUp, Notification
from aftersales.notifications.services import notifications_build
from aftersales.web import urls as urls_kernel
from complaints.choices import State
from complaints.models import Complaint
from tests.access import LOGIN, WHO, assert_outcome, matrix, request_as
from tests.factories import as_shown, complaint_in_state
from tests.queries import queries

# Long enough for every return visit scheduled by a reply to fall due.
MONTH = timedelta(days=30)

GOOD = {"rating": "5", "rating_attitude": "5", "rating_timeliness": "4", "rating_result": "5",
        "problem_solved": "yes", "comment": ""}
BAD = {"rating": "2", "rating_attitude": "3", "rating_timeliness": "1", "rating_result": "1",
       "problem_solved": "no", "comment": "It stopped heating again."}

THANKS = gettext_lazy("Thank you for your feedback.")
CLOSED = gettext_lazy("This survey is closed. Thank you for your time.")
SEND = gettext_lazy("Send my answer")


def replied_a_month_ago(**options) -> Complaint:
    """A complaint replied to a month ago: its return visit is due and nobody answered yet."""
    with time_machine.travel(timezone.now() - MONTH):
        return complaint_in_state(State.RESOLVED, **options)


@pytest.fixture
def case(agent, handler, supervisor, quality_dept):
    """A quality-department complaint whose return visit is due; its survey link was sent."""
    complaint = replied_a_month_ago(agent=agent, handler=handler, supervisor=supervisor,
                                    dept=quality_dept)
    assert follow_up_sweep().sent == [follow_up_of(complaint).pk]
    return complaint


@pytest.fixture
def elsewhere(agent, other_handler, supervisor, other_dept):
    """A warehouse complaint whose return visit is due, from another customer."""
    return replied_a_month_ago(agent=agent, handler=other_handler, supervisor=supervisor,
                               dept=other_dept, name="李四", phone="13900001111",
                               email="lisi@example.com")


def follow_up_of(complaint: Complaint) -> FollowUp:
    return FollowUp.objects.get(ticket_id=complaint.pk, status__in=["SCHEDULED", "SENT",
                                                                    "REMINDED"])


def survey_url(token: str) -> str:
    # Written out, not reversed: a malformed token has no URL to reverse to.
    return f"/s/{token}/"


def notify(user, complaint: Complaint | None, event: str = "aftersales.sla.at_risk",
           count: int = 1) -> list[Notification]:
    """In-app notifications as the worker writes them."""
    rows = []
    for _ in range(count):
        rows += notifications_build(
            event=event, ticket_id=complaint.pk if complaint else None,
            recipient_ids=[user.pk], data={} if complaint else {"year": 2027},
        )
    return Notification.objects.bulk_create(rows)


@pytest.fixture
def inboxes(users, case):
    """Everyone with a login has one unread notification about the case, even a login that
    lost its role (a former employee's old alerts)."""
    return {who: notify(user, case)[0] for who, user in users.items() if user is not None}


def unread(notification: Notification) -> bool:
    return Notification.objects.get(pk=notification.pk).read_at is None


# --- staff pages: who may open them ----------------------------------------------------

def own_notification(inboxes: dict, who: str) -> int:
    return inboxes[who if who != "anonymous" else "handler"].pk


# URL name: (method, url given everyone's notifications and who asks, form data)
STAFF_VIEWS = {
    "notifications": ("get", lambda n, who: reverse("aftersales:notifications"), None),
    "notifications_read": ("post", lambda n, who: reverse("aftersales:notifications_read"), {}),
    "notification_open": ("post", lambda n, who: reverse(
        "aftersales:notification_open", args=[own_notification(n, who)]), {}),
    "notification_preferences": (
        "get", lambda n, who: reverse("aftersales:notification_preferences"), None),
    "followups_due": ("get", lambda n, who: reverse("aftersales:followups_due"), None),
    "inbox": ("get", lambda n, who: reverse("aftersales:inbox"), None),
    "inbox_bulk": ("post", lambda n, who: reverse("aftersales:inbox_bulk"), {}),
}
#                      anonymous no_role other_handler handler agent supervisor admin
EXPECTED = {
    "notifications":      (LOGIN, 403, 200, 200, 200, 200, 200),
    "notifications_read": (LOGIN, 403, 302, 302, 302, 302, 302),
    "notification_open":  (LOGIN, 403, 302, 302, 302, 302, 302),
    "notification_preferences": (LOGIN, 403, 200, 200, 200, 200, 200),
    "followups_due":      (LOGIN, 403, 200, 200, 200, 200, 200),
    "inbox":              (LOGIN, 403, 200, 200, 200, 200, 200),
    "inbox_bulk":         (LOGIN, 403, 403, 403, 403, 302, 302),
}
MATRIX = matrix(EXPECTED)


def test_the_matrix_covers_every_kernel_page_but_the_public_survey():
    names = {pattern.name for pattern in urls_kernel.urlpatterns}

    assert set(STAFF_VIEWS) == set(EXPECTED) == names - {"survey"}


@pytest.mark.django_db
@pytest.mark.parametrize(("view", "who", "expected"), MATRIX)
def test_staff_view_access(client, users, inboxes, view, who, expected):
    method, url, data = STAFF_VIEWS[view]
    path = url(inboxes, who)

    response = request_as(client, users[who], method, path, data)

    assert_outcome(response, path, expected)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "no_role"])
def test_refused_visitors_mark_nothing_read(client, users, inboxes, who):
    if users[who] is not None:
        client.force_login(users[who])

    client.post(reverse("aftersales:notifications_read"))
    for notification in inboxes.values():
        client.post(reverse("aftersales:notification_open", args=[notification.pk]))

    assert all(unread(n) for n in inboxes.values())


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["notifications_read", "notification_open"])
def test_marking_read_takes_a_post_never_a_link(client, handler, inboxes, view):
    client.force_login(handler)
    args = [inboxes["handler"].pk] if view == "notification_open" else []

    response = client.get(reverse(f"aftersales:{view}", args=args))

    assert response.status_code == 405
    assert unread(inboxes["handler"])


# --- notifications ----------------------------------------------------------------------

@pytest.mark.django_db
def test_the_list_shows_only_my_own_notifications(client, handler, agent, case):
    mine = notify(handler, case, "aftersales.sla.breached")
    notify(agent, case, "aftersales.notify.survey_dissatisfied")
    client.force_login(handler)

    response = client.get(reverse("aftersales:notifications"))

    assert [n for n, _label, _path in response.context["rows"]] == mine
    assert response.context["unread"] == 1


@pytest.mark.django_db
def test_someone_elses_notification_is_not_found_and_stays_unread(client, agent, inboxes):
    client.force_login(agent)

    response = client.post(reverse("aftersales:notification_open",
                                   args=[inboxes["handler"].pk]))

    assert response.status_code == 404
    assert unread(inboxes["handler"])
    assert unread(inboxes["agent"])


@pytest.mark.django_db
def test_a_made_up_notification_number_is_not_found(client, agent):
    client.force_login(agent)

    response = client.post(reverse("aftersales:notification_open", args=[999999]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_opening_a_notification_marks_it_read_and_shows_its_case(client, handler, case):
    first, second = notify(handler, case, count=2)
    client.force_login(handler)

    response = client.post(reverse("aftersales:notification_open", args=[first.pk]))

    assert response.status_code == 302
    assert response.url == reverse("complaints:detail", args=[case.number])
    assert not unread(first)
    assert unread(second)


@pytest.mark.django_db
def test_a_notification_without_a_case_is_marked_read_in_the_list(client, admin_user):
    (reminder,) = notify(admin_user, None, "aftersales.calendar.confirm_year")
    client.force_login(admin_user)

    response = client.post(reverse("aftersales:notification_open", args=[reminder.pk]))

    assert response.status_code == 302
    assert response.url == reverse("aftersales:notifications")
    assert not unread(reminder)


@pytest.mark.django_db
def test_mark_all_read_marks_only_my_own(client, handler, inboxes):
    more = notify(handler, None, "aftersales.calendar.confirm_year")
    client.force_login(handler)

    response = client.post(reverse("aftersales:notifications_read"))

    assert response.status_code == 302
    assert response.url == reverse("aftersales:notifications")
    assert not unread(inboxes["handler"]) and not unread(more[0])
    assert all(unread(n) for who, n in inboxes.items() if who != "handler")


@pytest.mark.django_db
@pytest.mark.parametrize(("nxt", "expected"), [
    ("/c/inbox/?tab=mine", "/c/inbox/?tab=mine"),
    ("https://evil.example/phish", None),
    ("//evil.example/phish", None),
])
def test_after_mark_all_read_only_a_local_next_page_is_followed(client, handler, inboxes,
                                                                nxt, expected):
    client.force_login(handler)

    response = client.post(reverse("aftersales:notifications_read"), {"next": nxt})

    assert response.status_code == 302
    assert response.url == (expected or reverse("aftersales:notifications"))


@pytest.mark.django_db
def test_the_list_names_each_event_and_counts_the_unread(client, settings, handler, case):
    settings.LANGUAGE_CODE = "en"
    notify(handler, case, "aftersales.sla.breached")
    notify(handler, case, "aftersales.notify.assigned")
    client.force_login(handler)
    client.post(reverse("aftersales:notifications_read"))
    notify(handler, case, "aftersales.notify.reopened")

    page = client.get(reverse("aftersales:notifications")).content.decode()

    assert "Deadline breached" in page
    assert "A case was assigned to you" in page
    assert "A case was reopened" in page
    assert "1 unread" in page
    assert page.count(case.number) == 3


@pytest.mark.django_db
def test_marking_read_needs_the_csrf_token(handler, inboxes):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(handler)

    one = browser.post(reverse("aftersales:notification_open", args=[inboxes["handler"].pk]))
    every = browser.post(reverse("aftersales:notifications_read"))

    assert (one.status_code, every.status_code) == (403, 403)
    assert unread(inboxes["handler"])


# --- return visits due ------------------------------------------------------------------

def listed(client, user) -> list[str]:
    client.force_login(user)
    response = client.get(reverse("aftersales:followups_due"))
    assert response.status_code == 200
    return [follow_up.ticket.number for follow_up, _path in response.context["rows"]]


@pytest.mark.django_db
def test_a_handler_sees_only_their_departments_return_visits(
        client, case, elsewhere, handler, other_handler, agent, supervisor, admin_user):
    assert listed(client, handler) == [case.number]
    assert listed(client, other_handler) == [elsewhere.number]
    for everyone in (agent, supervisor, admin_user):
        assert sorted(listed(client, everyone)) == sorted([case.number, elsewhere.number])


@pytest.mark.django_db
def test_another_departments_case_is_nowhere_on_the_page(client, case, elsewhere,
                                                         other_handler):
    client.force_login(other_handler)

    page = client.get(reverse("aftersales:followups_due")).content.decode()

    assert elsewhere.number in page and "李四" in page
    assert case.number not in page and "张三" not in page


@pytest.mark.django_db
def test_only_due_and_unanswered_return_visits_are_listed(client, agent, handler, supervisor,
                                                         quality_dept, case):
    staff = {"agent": agent, "handler": handler, "supervisor": supervisor,
             "dept": quality_dept}
    due_not_sent = replied_a_month_ago(**staff, phone="13900000001", email="a@example.com")
    answered = replied_a_month_ago(**staff, phone="13900000002", email="b@example.com")
    assert client.post(survey_url(follow_up_of(answered).token), GOOD).status_code == 302
    not_yet_due = complaint_in_state(State.RESOLVED, **staff, phone="13900000003",
                                     email="c@example.com")

    numbers = listed(client, agent)

    assert sorted(numbers) == sorted([case.number, due_not_sent.number])
    assert answered.number not in numbers and not_yet_due.number not in numbers


@pytest.mark.django_db
def test_each_return_visit_links_to_its_case(client, case, agent):
    client.force_login(agent)

    response = client.get(reverse("aftersales:followups_due"))

    assert [path for _fu, path in response.context["rows"]] == [
        reverse("complaints:detail", args=[case.number])]
    assert f'href="{reverse("complaints:detail", args=[case.number])}"' in (
        response.content.decode())


# --- the customer's survey --------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_the_survey_link_opens_the_survey_for_anyone(client, users, case, who):
    if users[who] is not None:
        client.force_login(users[who])

    response = client.get(survey_url(follow_up_of(case).token))

    assert response.status_code == 200
    assert response.context["form"] is not None


@pytest.mark.django_db
def test_the_survey_shows_the_case_number_and_nothing_about_the_customer(client, case):
    response = client.get(survey_url(follow_up_of(case).token))
    page = response.content.decode()

    assert case.number in page
    assert as_shown(SEND) in page
    for private in ("张三", "13812345678", "zhangsan@example.com", case.tracking_token):
        assert private not in page
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store, private"


def made_up_tokens(complaint: Complaint) -> dict[str, str]:
    real = follow_up_of(complaint).token
    return {
        "invented": "not-a-survey-token",
        "one character off": real[:-1] + ("A" if real[-1] != "A" else "B"),
        "the case's tracking token": complaint.tracking_token,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["invented", "one character off", "the case's tracking token"])
def test_a_made_up_token_is_not_found_and_reveals_nothing(client, case, kind):
    token = made_up_tokens(case)[kind]
    nowhere = client.get("/no-such-page/")

    shown = client.get(survey_url(token))
    sent = client.post(survey_url(token), GOOD)

    assert shown.status_code == sent.status_code == nowhere.status_code == 404
    assert shown.content == sent.content == nowhere.content
    assert case.number not in shown.content.decode()
    assert follow_up_of(case).rating is None


@pytest.mark.django_db
def test_an_answer_is_recorded_and_thanked(client, case):
    follow_up = follow_up_of(case)
    url = survey_url(follow_up.token)

    response = client.post(url, GOOD)
    thanks = client.get(response.url)

    assert response.status_code == 302
    assert response.url == url + "?done=1"
    assert thanks.status_code == 200
    assert as_shown(THANKS) in thanks.content.decode()
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.method, follow_up.rating) == ("ANSWERED", "ONLINE", 5)
    assert Complaint.objects.get(pk=case.pk).state == State.RETURN_VISIT


@pytest.mark.django_db
def test_an_answered_survey_is_closed_and_a_second_answer_changes_nothing(client, case):
    follow_up = follow_up_of(case)
    url = survey_url(follow_up.token)
    client.post(url, GOOD)

    shown = client.get(url)
    again = client.post(url, BAD)

    assert shown.status_code == 200
    assert shown.context["form"] is None
    assert as_shown(CLOSED) in shown.content.decode()
    assert as_shown(SEND) not in shown.content.decode()
    assert again.status_code == 409
    assert as_shown(CLOSED) in again.content.decode()
    follow_up.refresh_from_db()
    assert (follow_up.rating, follow_up.problem_solved) == (5, True)
    assert Complaint.objects.get(pk=case.pk).state == State.RETURN_VISIT


@pytest.mark.django_db
def test_a_survey_that_got_no_response_is_closed(client, case):
    follow_up = follow_up_of(case)
    later = timezone.now()
    follow_up_sweep(now=later + timedelta(days=3))   # the reminder
    follow_up_sweep(now=later + timedelta(days=6))   # no response
    follow_up.refresh_from_db()
    assert follow_up.status == "NO_RESPONSE"

    shown = client.get(survey_url(follow_up.token))
    late = client.post(survey_url(follow_up.token), GOOD)

    assert shown.status_code == 200
    assert as_shown(CLOSED) in shown.content.decode()
    assert late.status_code == 409
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.rating) == ("NO_RESPONSE", None)


@pytest.mark.django_db
@pytest.mark.parametrize("answer", [
    {**GOOD, "rating": "6"},
    {**GOOD, "problem_solved": ""},
    {**BAD, "comment": ""},           # not satisfied: the reason is required
])
def test_an_incomplete_answer_is_shown_again_and_records_nothing(client, case, answer):
    follow_up = follow_up_of(case)

    response = client.post(survey_url(follow_up.token), answer)

    assert response.status_code == 400
    assert response.context["form"].errors
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.rating) == ("SENT", None)


@pytest.mark.django_db
def test_the_survey_needs_the_csrf_token(case):
    browser = Client(enforce_csrf_checks=True)
    url = survey_url(follow_up_of(case).token)

    forged = browser.post(url, GOOD)
    untouched = follow_up_of(case).status
    browser.get(url)
    genuine = browser.post(url, {**GOOD, "csrfmiddlewaretoken": browser.cookies["csrftoken"].value})

    assert forged.status_code == 403
    assert untouched == "SENT"
    assert genuine.status_code == 302
    assert FollowUp.objects.get(ticket_id=case.pk, status="ANSWERED").rating == 5


# --- query budgets ------------------------------------------------------------------------

# Measured on SQLite and PostgreSQL: return visits due 8 queries for a view-all role, 9 for a
# department handler (its staff profile); notifications 9 and 10 (the unread count is read
# twice, for the page and for the bell in the nav bar); the survey 1, open or answered. The
# budgets leave one query of room, no more.
FOLLOW_UPS_BUDGET = 10
NOTIFICATIONS_BUDGET = 11
SURVEY_BUDGET = 2
N = 5


@pytest.fixture
def add_due_follow_ups(agent, handler, supervisor, quality_dept):
    made = []

    def add(count: int) -> None:
        follow_up_sweep()   # the surveys of the rows added before go out: SENT
        for _ in range(count):
            serial = len(made) + 1
            made.append(replied_a_month_ago(
                agent=agent, handler=handler, supervisor=supervisor, dept=quality_dept,
                name=f"Customer {serial}", phone=f"139{serial:08d}",
                email=f"c{serial}@example.com"))
    return add


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["agent", "handler", "supervisor"])
def test_the_follow_ups_list_costs_the_same_for_n_and_2n_rows(
        client, users, add_due_follow_ups, who,
        django_assert_num_queries, django_assert_max_num_queries):
    client.force_login(users[who])
    url = reverse("aftersales:followups_due")

    add_due_follow_ups(N)
    at_n, response = queries(client, url)
    rows_at_n = len(response.context["rows"])
    add_due_follow_ups(N)
    with django_assert_num_queries(at_n):
        response = client.get(url)
    with django_assert_max_num_queries(FOLLOW_UPS_BUDGET):
        client.get(url)

    assert rows_at_n == N
    assert len(response.context["rows"]) == 2 * N
    assert {fu.status for fu, _path in response.context["rows"]} == {"SCHEDULED", "SENT"}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["agent", "handler", "admin_user"])
def test_the_notifications_list_costs_the_same_for_n_and_2n_rows(
        client, users, case, who, django_assert_num_queries, django_assert_max_num_queries):
    user = users[who]
    client.force_login(user)
    url = reverse("aftersales:notifications")

    def add(count: int) -> None:
        notify(user, case, "aftersales.sla.breached", count=count - count // 2)
        notify(user, None, "aftersales.calendar.confirm_year", count=count // 2)

    add(N)
    at_n, response = queries(client, url)
    rows_at_n = len(response.context["rows"])
    add(N)
    with django_assert_num_queries(at_n):
        response = client.get(url)
    with django_assert_max_num_queries(NOTIFICATIONS_BUDGET):
        client.get(url)

    assert rows_at_n == N
    assert len(response.context["rows"]) == 2 * N
    assert response.context["unread"] == 2 * N


@pytest.mark.django_db
@pytest.mark.parametrize("answered", [False, True])
def test_the_survey_page_has_a_fixed_query_budget(client, case, answered,
                                                  django_assert_max_num_queries):
    url = survey_url(follow_up_of(case).token)
    if answered:
        client.post(url, GOOD)

    with django_assert_max_num_queries(SURVEY_BUDGET):
        response = client.get(url)

    assert response.status_code == 200
    assert (response.context["form"] is None) == answered
