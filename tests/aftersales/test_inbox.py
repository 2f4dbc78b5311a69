"""The one inbox over every kind of case: tabs with capped counts, filters, search that keeps
personal data out of URLs, numbered pages, bulk moves for supervisors, and a query count
that does not grow with the number of cases."""

import pytest
from django.urls import reverse

from aftersales.cases import inbox
from aftersales.cases.inbox import TABS
from aftersales.models import TimelineEvent
from complaints.choices import State
from complaints.models import Complaint
from tests.access import LOGIN, assert_outcome, matrix, request_as
from tests.factories import DepartmentFactory, complaint_in_state, make_staff
from tests.queries import queries

pytestmark = pytest.mark.django_db

N = 6
INBOX = "/inbox/"
# Every tab gets rows: with and without handler, waiting on approval or on the customer.
MIX = [(State.PLAN_APPROVAL, "S1"), (State.IN_PROGRESS, "S2"), (State.REGISTERED, "S2"),
       (State.CLASSIFIED, "S1"), (State.AWAIT_CUSTOMER, "S3"), (State.ACCEPTED, "S2")]
# (tab, who): someone who sees rows in that tab
INBOX_CASES = [
    ("all_open", "agent"),
    ("all_open", "handler"),
    ("needs_owner", "supervisor"),
    ("mine", "handler"),
    ("department", "handler"),
    ("approval", "supervisor"),
    ("customer", "agent"),
    ("emergency", "supervisor"),
]


@pytest.fixture
def staff(agent, handler, supervisor):
    return {"agent": agent, "handler": handler, "supervisor": supervisor}


@pytest.fixture
def add_cases(agent, handler, supervisor, quality_dept):
    made = []

    def add(count: int) -> list[Complaint]:
        new = []
        for _ in range(count):
            serial = len(made) + 1
            state, severity = MIX[serial % len(MIX)]
            complaint = complaint_in_state(
                state, severity=severity, agent=agent, handler=handler, supervisor=supervisor,
                dept=quality_dept, phone=f"139{serial:08d}", email=f"c{serial}@example.com",
            )
            made.append(complaint)
            new.append(complaint)
        return new
    return add


def rows(response) -> list:
    return response.context["page"].rows


def test_every_tab_is_measured():
    assert {tab for tab, _ in INBOX_CASES} == set(TABS)


@pytest.mark.parametrize(("tab", "who"), INBOX_CASES)
def test_the_inbox_costs_the_same_for_n_and_2n_cases(client, staff, add_cases, tab, who,
                                                    django_assert_num_queries):
    client.force_login(staff[who])
    add_cases(N)
    at_n, response = queries(client, INBOX, {"tab": tab})
    rows_at_n = len(rows(response))
    add_cases(N)

    with django_assert_num_queries(at_n):
        response = client.get(INBOX, {"tab": tab})

    assert rows_at_n > 0
    assert len(rows(response)) == 2 * rows_at_n


def test_filters_and_sorting_cost_the_same_for_n_and_2n_cases(client, supervisor, add_cases,
                                                             django_assert_num_queries):
    client.force_login(supervisor)
    params = {"tab": "all_open", "severity": "S1", "kind": "COMPLAINT", "sort": "age",
              "stage": "handle"}
    add_cases(N)
    at_n, response = queries(client, INBOX, params)
    add_cases(N)

    with django_assert_num_queries(at_n):
        response = client.get(INBOX, params)

    assert rows(response) and all(r.severity == "S1" for r in rows(response))


def test_each_tab_shows_its_count(client, supervisor, add_cases):
    add_cases(6)
    client.force_login(supervisor)

    tabs = {key: count for key, _, count in client.get(INBOX).context["tabs"]}

    assert tabs["all_open"] == "6"
    assert tabs["approval"] == str(Complaint.objects.filter(state=State.PLAN_APPROVAL).count())
    assert tabs["customer"] == "1"


def test_counts_stop_at_the_cap(client, supervisor, add_cases, monkeypatch):
    monkeypatch.setattr(inbox, "COUNT_CAP", 3)
    add_cases(5)
    client.force_login(supervisor)

    tabs = {key: count for key, _, count in client.get(INBOX).context["tabs"]}

    assert tabs["all_open"] == "3+"


def test_needs_an_owner_leaves_out_cases_waiting_on_the_customer(client, supervisor, agent,
                                                                 handler, quality_dept):
    waiting = complaint_in_state(State.AWAIT_CUSTOMER, agent=agent, handler=handler,
                                 supervisor=supervisor, dept=quality_dept)
    new = complaint_in_state(State.REGISTERED, agent=agent, handler=handler,
                             supervisor=supervisor, dept=quality_dept)
    Complaint.objects.filter(pk=waiting.pk).update(assignee=None)
    client.force_login(supervisor)

    numbers = [r.number for r in rows(client.get(INBOX, {"tab": "needs_owner"}))]

    assert new.number in numbers and waiting.number not in numbers
    customer = [r.number for r in rows(client.get(INBOX, {"tab": "customer"}))]
    assert customer == [waiting.number]


@pytest.mark.parametrize("typed", ["13900000002", "c2@example.com", "C2@EXAMPLE.COM"])
def test_search_by_contact_keeps_it_out_of_the_url(client, agent, add_cases, typed):
    cases = add_cases(3)
    client.force_login(agent)

    response = client.post(f"{INBOX}?tab=all_open", {"search": typed})

    assert response.status_code == 302
    assert "139" not in response.url and "@" not in response.url
    assert "example" not in response.url
    found = rows(client.get(response.url))
    assert [r.number for r in found] == [cases[1].number]


def test_search_by_case_number_and_by_name(client, agent, add_cases):
    cases = add_cases(2)
    client.force_login(agent)

    by_number = client.get(client.post(INBOX, {"search": cases[0].number.lower()}).url)
    name = cases[1].customer.name
    by_name = client.get(client.post(INBOX, {"search": name}).url)

    assert [r.number for r in rows(by_number)] == [cases[0].number]
    assert cases[1].number in [r.number for r in rows(by_name)]


def test_a_tampered_search_token_finds_nothing_instead_of_failing(client, agent, add_cases):
    add_cases(2)
    client.force_login(agent)

    response = client.get(INBOX, {"find": "not-a-token"})

    assert response.status_code == 200
    assert len(rows(response)) == 2


def test_links_keep_the_filters(client, supervisor, add_cases, monkeypatch):
    monkeypatch.setattr(inbox, "PAGE_SIZE", 2)
    add_cases(5)
    client.force_login(supervisor)

    response = client.get(INBOX, {"tab": "all_open", "kind": "COMPLAINT", "page": 1})
    html = response.content.decode()

    assert "kind=COMPLAINT" in html and "page=2" in html
    assert response.context["page"].page_numbers == [1, 2]


def test_numbered_pages_cover_every_case_once(client, supervisor, add_cases, monkeypatch):
    monkeypatch.setattr(inbox, "PAGE_SIZE", 4)
    made = {c.number for c in add_cases(10)}
    client.force_login(supervisor)

    seen = []
    for number in (1, 2, 3):
        seen += [r.number for r in rows(client.get(INBOX, {"page": number}))]

    assert sorted(seen) == sorted(made)


def test_the_old_complaint_inbox_address_redirects_with_its_query(client, agent):
    client.force_login(agent)

    response = client.get("/c/inbox/?tab=mine")

    assert response.status_code == 302 and response.url == "/inbox/?tab=mine"


def test_a_supervisor_moves_several_cases_each_recorded(client, supervisor, add_cases):
    cases = add_cases(3)
    warehouse = DepartmentFactory(code="wh2", name="Warehouse two")
    client.force_login(supervisor)

    response = client.post(reverse("aftersales:inbox_bulk"), {
        "cases": [cases[0].pk, cases[1].pk], "department": warehouse.pk, "next": INBOX,
    })

    assert response.status_code == 302
    moved = Complaint.objects.filter(department=warehouse)
    assert {c.pk for c in moved} == {cases[0].pk, cases[1].pk}
    assert all(c.assignee_id is None for c in moved)
    events = TimelineEvent.objects.filter(action="aftersales.ticket.reassigned")
    assert sorted(e.ticket_id for e in events) == sorted([cases[0].pk, cases[1].pk])
    assert Complaint.objects.get(pk=cases[2].pk).department_id != warehouse.pk


def test_assigning_a_handler_brings_the_case_to_their_department(client, supervisor,
                                                                 add_cases):
    case = add_cases(1)[0]
    warehouse = DepartmentFactory(code="wh3", name="Warehouse three")
    keeper = make_staff("keeper", "handler", warehouse)
    client.force_login(supervisor)

    client.post(reverse("aftersales:inbox_bulk"), {"cases": [case.pk], "assignee": keeper.pk})

    case = Complaint.objects.get(pk=case.pk)
    assert (case.assignee, case.department) == (keeper, warehouse)


def test_moving_needs_a_target(client, supervisor, add_cases):
    case = add_cases(1)[0]
    client.force_login(supervisor)

    response = client.post(reverse("aftersales:inbox_bulk"), {"cases": [case.pk]},
                           follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "Choose a department or a handler" in response.content.decode()
    assert not TimelineEvent.objects.filter(action="aftersales.ticket.reassigned").exists()


#                anonymous no_role other_handler handler agent supervisor admin
EXPECTED = {
    "inbox":      (LOGIN, 403, 200, 200, 200, 200, 200),
    "inbox_bulk": (LOGIN, 403, 403, 403, 403, 302, 302),
}


@pytest.mark.parametrize(("view", "who", "expected"), matrix(EXPECTED))
def test_who_may_use_the_inbox(client, users, add_cases, view, who, expected):
    case = add_cases(1)[0]
    path = reverse(f"aftersales:{view}")
    method, data = ("get", None) if view == "inbox" else (
        "post", {"cases": [case.pk], "department": case.department_id})

    response = request_as(client, users[who], method, path, data)

    assert_outcome(response, path, expected)
