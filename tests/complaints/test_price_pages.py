"""The pages of price, promotion and coupon complaints: who may take each step (the
permission matrix), what the case page and the tracking page show, and their query budgets."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from aftersales.cases.services import ticket_add_note, ticket_customer_add_info
from aftersales.compensation.models import CompensationLine
from complaints import services as s
from complaints.choices import DisputeStep
from complaints.models import Complaint, DisputeDetails
from tests.access import LOGIN, assert_outcome, matrix, request_as
from tests.complaints.test_price_flow import (
    answer,
    approve,
    ask,
    case_maker,
    draft,
    fresh,
    investigate,
    make_line,
    raise_before_discount,
)
from tests.factories import checked_evidence, make_staff
from tests.queries import joins_as_written_statements, queries

# (category, the steps already taken) for each action's case
SETUP = {
    "dispute_investigate": ("PRICE", []),
    "dispute_draft": ("PRICE", ["investigate"]),
    "dispute_approve": ("PRICE", ["investigate", "draft"]),
    "phone_consent": ("PRICE", ["investigate", "draft", "approve", "ask"]),
    "dispute_execute": ("PRICE", ["investigate", "draft", "approve", "ask", "answer"]),
    "dispute_stop_activity": ("PROMO", ["investigate"]),
}


def form_data(action: str, complaint: Complaint) -> dict:
    later = timezone.localtime(timezone.now() + timezone.timedelta(days=3))
    data = {
        "dispute_investigate": {"cause": "SYSTEM_ERROR", "findings": "Feed error."},
        "dispute_draft": {"remedy": "PRICE_DIFFERENCE", "amount": "40.00",
                          "measures": "Refund the difference.", "liability": "COMPANY",
                          "responsible_department": complaint.department_id,
                          "deadline": later.strftime("%Y-%m-%dT%H:%M")},
        "dispute_approve": {},
        "phone_consent": {"plan": complaint.current_plan_id,
                          "plan_version": getattr(complaint.current_plan, "version", ""),
                          "agree": "yes", "note": "Agreed by phone at 10:00."},
        "dispute_execute": {"note": ""},
        "dispute_stop_activity": {"note": "Taken offline."},
    }[action]
    return {f"{action}-{key}": value for key, value in
            {"version": complaint.version, **data}.items()}


@pytest.fixture
def order_line(db):
    return make_line()


@pytest.fixture
def dispute_case(agent, handler, supervisor, quality_dept, order_line):
    return case_maker(agent, handler, supervisor, quality_dept, order_line)


@pytest.fixture
def at_step(dispute_case, handler, agent, quality_dept):
    def make(action: str) -> Complaint:
        category, steps = SETUP[action]
        complaint = dispute_case(category)
        for step in steps:
            if step == "investigate":
                extra = ({"cause": "", "promotion_class": "RULE_BREACH"}
                         if category == "PROMO" else {})
                investigate(complaint, handler, **extra)
            elif step == "draft":
                draft(complaint, handler, quality_dept)
            elif step == "approve":
                approve(complaint, agent)
            elif step == "ask":
                ask(complaint, agent)
            else:
                answer(fresh(complaint), agree=True)
        return fresh(complaint)
    return make


#                           anonymous no_role other_handler handler agent supervisor admin
EXPECTED = {
    "dispute_investigate":   (LOGIN, 403, 404, 302, 409, 302, 302),
    "dispute_draft":         (LOGIN, 403, 404, 302, 409, 302, 302),
    "dispute_approve":       (LOGIN, 403, 404, 409, 302, 302, 302),
    "phone_consent":         (LOGIN, 403, 404, 409, 302, 302, 302),
    "dispute_execute":       (LOGIN, 403, 404, 409, 302, 302, 302),
    "dispute_stop_activity": (LOGIN, 403, 404, 409, 409, 302, 302),
}


def test_the_matrix_covers_every_dispute_action():
    from complaints.actions import DISPUTE_ACTIONS

    assert set(EXPECTED) == set(DISPUTE_ACTIONS) == set(SETUP)


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "who", "expected"), matrix(EXPECTED))
def test_dispute_action_access(client, users, at_step, action, who, expected):
    complaint = at_step(action)
    path = reverse("complaints:act", args=[complaint.number, action])
    before = (complaint.version, DisputeDetails.objects.get(pk=complaint.pk).step)

    response = request_as(client, users[who], "post", path, form_data(action, complaint))

    assert_outcome(response, path, expected)
    after = fresh(complaint)
    changed = (after.version, after.dispute.step) != before
    assert changed is (expected == 302)


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "who", "offered"), [
    ("dispute_investigate", "handler", True), ("dispute_investigate", "agent", False),
    ("dispute_approve", "agent", True), ("dispute_approve", "handler", False),
    ("dispute_execute", "agent", True), ("dispute_execute", "handler", False),
    ("dispute_stop_activity", "supervisor", True), ("dispute_stop_activity", "agent", False),
])
def test_the_case_page_offers_a_step_exactly_to_who_may_take_it(client, users, at_step,
                                                                 action, who, offered):
    complaint = at_step(action)
    client.force_login(users[who])

    page = client.get(reverse("complaints:detail", args=[complaint.number]))

    assert (f'id="action-{action}"' in page.content.decode()) is offered


# --- what the pages show ------------------------------------------------------------------

@pytest.mark.django_db
def test_the_case_page_shows_the_steps_done_and_what_is_next(client, at_step, agent):
    complaint = at_step("phone_consent")
    client.force_login(agent)

    page = client.get(reverse("complaints:detail", args=[complaint.number]),
                      HTTP_ACCEPT_LANGUAGE="en")

    steps = page.context["dispute"].steps
    assert [step.status for step in steps] == ["done", "done", "done", "current", "todo"]
    assert steps[2].detail == "Refund the price difference · ¥50.00"
    html = page.content.decode()
    assert "Waiting for the customer&#x27;s consent" in html
    assert 'id="blocked-dispute_execute"' in html
    assert "Nothing is executed before the customer consents" in html


@pytest.fixture
def legal(db):
    return make_staff("legal1", "legal")


@pytest.mark.django_db
def test_the_fraud_flag_is_shown_to_legal_and_not_to_the_agent(client, order_line,
                                                              dispute_case, legal, agent):
    raise_before_discount(order_line)
    complaint = dispute_case("PRICE")
    url = reverse("complaints:detail", args=[complaint.number])

    client.force_login(legal)
    for_legal = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.force_login(agent)
    for_agent = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'id="fraud-flag"' in for_legal
    assert "PRICE Art. 17" in for_legal and "raised from ¥299.00 to ¥399.00" in for_legal
    assert 'id="fraud-flag"' not in for_agent


@pytest.mark.django_db
def test_the_tracking_page_shows_what_will_be_given_and_takes_the_consent(
        client, at_step, django_capture_on_commit_callbacks):
    complaint = at_step("phone_consent")
    url = reverse("complaints:track", args=[complaint.tracking_token])

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "What you will be given" in page
    assert "Refund the price difference · ¥50.00" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"form": "decision", "decision-plan": complaint.current_plan_id,
                                     "decision-plan_version": complaint.current_plan.version,
                                     "decision-agree": "yes", "decision-comment": ""})

    assert response.status_code == 302
    assert DisputeDetails.objects.get(pk=complaint.pk).step == DisputeStep.CONSENTED
    line = CompensationLine.objects.get(ticket_id=complaint.pk)
    assert (line.state, line.consent_via) == ("CONSENTED", "PORTAL")


@pytest.mark.django_db
def test_an_offer_changed_after_the_page_was_read_is_not_consented(client, at_step, handler,
                                                                   agent, quality_dept):
    complaint = at_step("phone_consent")
    url = reverse("complaints:track", args=[complaint.tracking_token])
    read = {"plan": complaint.current_plan_id, "plan_version": complaint.current_plan.version}
    c = fresh(complaint)
    s.complaint_customer_decide(complaint_pk=c.pk, plan_pk=read["plan"],
                                plan_version=read["plan_version"], agree=False,
                                comment="Not enough.")
    draft(complaint, handler, quality_dept)
    approve(complaint, agent)
    ask(complaint, agent)

    response = client.post(url, {"form": "decision", "decision-plan": read["plan"],
                                 "decision-plan_version": read["plan_version"],
                                 "decision-agree": "yes", "decision-comment": ""})

    assert response.status_code == 409
    assert DisputeDetails.objects.get(pk=complaint.pk).step == DisputeStep.AWAIT_CONSENT


# --- query budgets ------------------------------------------------------------------------

# Measured on SQLite and PostgreSQL: case page 9-10 depending on the actions the role sees;
# tracking page 4. The budgets leave one query of room at most.
DETAIL_BUDGET = 11 + joins_as_written_statements()
TRACKING_BUDGET = 4
N = 10


def add_events(complaint: Complaint, agent, count: int) -> None:
    for number in range(count):
        ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent,
                        text=f"Note {number}", customer_visible=number % 2 == 0,
                        uploads=[checked_evidence("photo.png")])


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "who"), [("dispute_investigate", "handler"),
                                             ("dispute_approve", "agent"),
                                             ("phone_consent", "supervisor"),
                                             ("dispute_execute", "agent")])
def test_the_dispute_case_page_costs_the_same_for_n_and_2n_events(
        client, users, at_step, agent, action, who, django_assert_num_queries,
        django_assert_max_num_queries):
    complaint = at_step(action)
    client.force_login(users[who])
    url = reverse("complaints:detail", args=[complaint.number]) + "?events=all"

    add_events(complaint, agent, N)
    at_n, response = queries(client, url)
    assert response.context["dispute"] is not None
    add_events(complaint, agent, N)
    with django_assert_num_queries(at_n):
        client.get(url)
    with django_assert_max_num_queries(DETAIL_BUDGET):
        client.get(url)


@pytest.mark.django_db
def test_the_dispute_tracking_page_costs_the_same_for_n_and_2n_events(
        client, at_step, agent, settings, django_assert_num_queries,
        django_assert_max_num_queries):
    settings.CUSTOMER_EVIDENCE_MAX_FILES = settings.CUSTOMER_EVIDENCE_HOURLY_MAX_FILES = 2 * N
    complaint = at_step("phone_consent")
    url = reverse("complaints:track", args=[complaint.tracking_token])

    def add(count: int) -> None:
        add_events(complaint, agent, count)
        for number in range(count):
            ticket_customer_add_info(ticket_model=Complaint, ticket_pk=complaint.pk,
                                     text=f"Extra {number}", uploads=[checked_evidence()])

    add(N)
    at_n, response = queries(client, url)
    assert "decision" in response.context["forms"]
    add(N)
    with django_assert_num_queries(at_n):
        client.get(url)
    with django_assert_max_num_queries(TRACKING_BUDGET):
        client.get(url)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.django_db
def test_the_investigation_form_takes_the_page_snapshot(client, at_step, handler):
    from tests.factories import evidence_file

    complaint = at_step("dispute_investigate")
    client.force_login(handler)
    data = {**form_data("dispute_investigate", complaint),
            "dispute_investigate-files": [evidence_file("snapshot.png")]}

    response = client.post(reverse("complaints:act", args=[complaint.number,
                                                           "dispute_investigate"]), data)

    assert response.status_code == 302
    event = complaint.events.get(action="complaints.dispute.investigated")
    assert [a.original_name for a in event.attachments.all()] == ["snapshot.png"]
