"""Query budgets: the case page and the tracking page run a fixed number of SQL queries
however many timeline events and files there are (no N+1). The inbox's are in
tests/aftersales/test_inbox.py."""

import pytest
from django.urls import reverse

from aftersales.cases.services import ticket_add_note, ticket_customer_add_info
from complaints.choices import State
from complaints.models import Complaint
from tests.factories import checked_evidence, complaint_in_state
from tests.queries import joins_as_written_statements, queries

# Measured on SQLite and PostgreSQL: case page 9–12 depending on the action forms the role
# sees; tracking page 3. The budgets leave one query of room, no more.
DETAIL_BUDGET = 13 + joins_as_written_statements()
TRACKING_BUDGET = 4
N = 10

@pytest.fixture
def staff(agent, handler, supervisor):
    return {"agent": agent, "handler": handler, "supervisor": supervisor}


# --- case page --------------------------------------------------------------------------

@pytest.fixture
def add_events(agent):
    def add(complaint: Complaint, count: int) -> None:
        for number in range(count):
            ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent,
                            text=f"Note {number}", customer_visible=number % 2 == 0,
                            uploads=[checked_evidence("photo.png"),
                                     checked_evidence("report.pdf")])
    return add


# An accepted complaint has no department yet, so its handler cannot open it.
PAGES = [(state, who) for state in (State.ACCEPTED, State.PLAN_APPROVAL, State.IN_PROGRESS)
         for who in ("agent", "handler", "supervisor")
         if (state, who) != (State.ACCEPTED, "handler")]


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "who"), PAGES)
def test_the_case_page_costs_the_same_for_n_and_2n_events(
        client, staff, add_events, agent, handler, supervisor, quality_dept, state, who,
        django_assert_num_queries, django_assert_max_num_queries):
    complaint = complaint_in_state(state, agent=agent, handler=handler, supervisor=supervisor,
                                   dept=quality_dept)
    client.force_login(staff[who])
    # Every event, not the newest page: the worst case for the budget.
    url = reverse("complaints:detail", args=[complaint.number]) + "?events=all"

    add_events(complaint, N)
    at_n, response = queries(client, url)
    events_at_n = len(response.context["events"])
    add_events(complaint, N)
    with django_assert_num_queries(at_n):
        response = client.get(url)
    with django_assert_max_num_queries(DETAIL_BUDGET):
        client.get(url)

    assert len(response.context["events"]) == events_at_n + N
    assert sum(len(e.attachments.all()) for e in response.context["events"]) == 4 * N


# --- tracking page ----------------------------------------------------------------------

@pytest.mark.django_db
def test_the_tracking_page_costs_the_same_for_n_and_2n_events(
        client, add_events, agent, handler, supervisor, quality_dept, settings,
        django_assert_num_queries, django_assert_max_num_queries):
    # Room for the 2N files this test adds within one hour.
    settings.CUSTOMER_EVIDENCE_MAX_FILES = settings.CUSTOMER_EVIDENCE_HOURLY_MAX_FILES = 2 * N
    complaint = complaint_in_state(State.AWAIT_CUSTOMER, agent=agent, handler=handler,
                                   supervisor=supervisor, dept=quality_dept)
    url = reverse("complaints:track", args=[complaint.tracking_token])

    def add(count: int) -> None:
        add_events(complaint, count)
        for number in range(count):
            ticket_customer_add_info(ticket_model=Complaint, ticket_pk=complaint.pk,
                                     text=f"Extra {number}", uploads=[checked_evidence()])

    add(N)
    at_n, response = queries(client, url)
    events_at_n = len(response.context["events"])
    add(N)
    with django_assert_num_queries(at_n):
        response = client.get(url)
    with django_assert_max_num_queries(TRACKING_BUDGET):
        client.get(url)

    visible_notes = (N + 1) // 2
    assert len(response.context["events"]) == events_at_n + visible_notes + N
    assert all(a.customer_visible for e in response.context["events"]
               for a in e.attachments.all())
