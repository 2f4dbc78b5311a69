"""The staff case page: canned responses are seen before they are sent, a missing action
says why, lists offer what fits, the timeline shows names and is paged newest first; and
the customer's tracking page shows their own words and the proposal's measures."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from aftersales.cases.services import ticket_add_note
from aftersales.models import CannedResponse, TimelineEvent
from complaints.actions import REASONS
from complaints.choices import SUBCATEGORIES, State
from complaints.models import Complaint
from tests.factories import as_shown, make_staff
from tests.queries import queries


def page(client, user, complaint: Complaint, **params):
    client.force_login(user)
    response = client.get(reverse("complaints:detail", args=[complaint.number]), params)
    assert response.status_code == 200
    return response


def card(html: str, element_id: str) -> str:
    """The HTML of the element with ``element_id`` up to the next card or column."""
    start = html.index(f'id="{element_id}"')
    return html[start:start + 3000]


# --- 1. canned responses go into the reply box -------------------------------------------

@pytest.fixture
def canned(db):
    return CannedResponse.objects.create(
        title="Progress", kind="COMPLAINT",
        body="您好，{name}：您的工单【工单号】已处理完毕。客服【姓名】")


@pytest.fixture
def replying(build, agent):
    agent.first_name, agent.last_name = "Li", "Na"
    agent.save()
    return build(State.IN_PROGRESS, severity="S4")


@pytest.mark.django_db
def test_a_canned_response_option_carries_its_text_with_the_customer_and_number_filled_in(
        client, agent, canned, replying):
    html = page(client, agent, replying, action="reply").content.decode()

    filled = f"您好，张三：您的工单{replying.number}已处理完毕。客服Li Na"
    option = re.search(rf'<option value="{canned.pk}"[^>]*>', html).group(0)
    assert f'data-text="{filled}"' in option
    assert "js/case.js" in html


@pytest.mark.django_db
def test_choosing_a_canned_response_with_an_empty_reply_box_sends_nothing_and_shows_the_text(
        client, agent, canned, replying):
    client.force_login(agent)
    response = client.post(reverse("complaints:act", args=[replying.number, "reply"]), {
        "reply-version": replying.version, "reply-canned": canned.pk, "reply-text": "",
        "reply-outcome": "SOLVED"})

    assert response.status_code == 400
    assert Complaint.objects.get(pk=replying.pk).state == State.IN_PROGRESS
    box = re.search(r'<textarea name="reply-text"[^>]*>(.*?)</textarea>',
                    response.content.decode(), re.S).group(1)
    assert f"您的工单{replying.number}已处理完毕" in box


@pytest.mark.django_db
def test_a_typed_reply_is_sent_as_typed_without_the_script(client, agent, canned, replying):
    client.force_login(agent)
    response = client.post(reverse("complaints:act", args=[replying.number, "reply"]), {
        "reply-version": replying.version, "reply-canned": canned.pk,
        "reply-text": "Edited reply.", "reply-outcome": "SOLVED"})

    assert response.status_code == 302
    complaint = Complaint.objects.get(pk=replying.pk)
    assert complaint.state == State.RESOLVED
    assert complaint.events.get(action="complaints.complaint.replied").note == "Edited reply."


def test_the_case_script_is_a_static_file_not_an_inline_script():
    detail = Path(settings.BASE_DIR, "templates/complaints/detail.html").read_text()
    assert "<script>" not in detail
    assert Path(settings.BASE_DIR, "static/js/case.js").is_file()


# --- 2. a missing action says why ---------------------------------------------------------

def reasons_on(response) -> dict[str, str]:
    return {item.action: item.reason for item in response.context["blocked"]}


@pytest.mark.django_db
def test_reply_awaiting_the_customers_confirmation_says_so(client, build, agent):
    complaint = build(State.AWAIT_CUSTOMER)
    response = page(client, agent, complaint)

    assert "reply" not in {action.name for action, _ in response.context["actions"]}
    assert reasons_on(response)["reply"] == str(REASONS["await_customer"])
    assert as_shown(REASONS["await_customer"]) in card(response.content.decode(),
                                                       "blocked-reply")


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "action"), [("agent", "reply"), ("handler", "plan")])
def test_a_plan_awaiting_approval_says_so_to_those_who_cannot_approve(
        client, build, agent, handler, who, action):
    complaint = build(State.PLAN_APPROVAL)
    response = page(client, {"agent": agent, "handler": handler}[who], complaint)

    assert reasons_on(response)[action] == str(REASONS["await_approval"])


@pytest.mark.django_db
def test_the_responsible_supervisor_is_told_another_must_approve(client, build, supervisor):
    complaint = build(State.PLAN_APPROVAL, responsible_person=supervisor)
    response = page(client, supervisor, complaint)

    assert reasons_on(response)["decide_plan"] == str(REASONS["own_plan"])


@pytest.mark.django_db
def test_archive_awaiting_the_return_visit_says_so(client, build, agent):
    complaint = build(State.RESOLVED)
    response = page(client, agent, complaint)

    assert "archive" not in {action.name for action, _ in response.context["actions"]}
    assert reasons_on(response)["archive"] == str(REASONS["await_return_visit"])


@pytest.mark.django_db
def test_an_archived_case_says_nothing_is_possible_unless_reopened(
        client, build, agent, supervisor):
    complaint = build(State.CLOSED)

    assert reasons_on(page(client, agent, complaint))["reopen"] == str(REASONS["closed_reopen"])
    # A supervisor is offered the reopening itself, so nothing is said to be blocked.
    assert page(client, supervisor, complaint).context["blocked"] == []


@pytest.mark.django_db
def test_a_handler_on_a_case_of_another_stage_is_told_the_stage(client, build, handler):
    complaint = build(State.RESOLVED)
    response = page(client, handler, complaint)

    assert response.context["actions"] == []
    [blocked] = response.context["blocked"]
    assert blocked.reason.startswith(str(REASONS["other_stage"]).split("%")[0])
    assert "No action is open to you" not in response.content.decode()


@pytest.mark.django_db
def test_nothing_is_said_to_be_blocked_when_the_action_is_offered(client, build, agent):
    complaint = build(State.IN_PROGRESS, severity="S4")
    response = page(client, agent, complaint)

    assert "reply" in {action.name for action, _ in response.context["actions"]}
    assert "reply" not in reasons_on(response)


# --- 3. sub-categories follow the category -----------------------------------------------

@pytest.mark.django_db
def test_each_sub_category_option_names_its_category(client, build, agent):
    complaint = build(State.ACCEPTED)
    html = page(client, agent, complaint, action="classify").content.decode()
    select = re.search(r'<select name="classify-subcategory".*?</select>', html, re.S).group(0)

    for category, subcategories in SUBCATEGORIES.items():
        for sub in subcategories:
            assert re.search(rf'<option value="{sub}" data-category="{category}"', select), sub


# --- 4. people are picked by full name and department -----------------------------------

@pytest.mark.django_db
def test_handler_and_responsible_person_lists_show_full_name_and_department(
        client, build, agent, handler, supervisor, no_role, quality_dept):
    handler.first_name, handler.last_name = "Wang", "Wei"
    handler.save()
    make_staff("gone", "handler", quality_dept, is_active=False)
    classify_page = page(client, agent, build(State.ACCEPTED), action="classify").content.decode()
    plan_page = page(client, handler, build(State.ANALYSING), action="plan").content.decode()

    assignees = re.search(r'name="classify-assignee".*?</select>', classify_page, re.S).group(0)
    persons = re.search(r'name="plan-responsible_person".*?</select>', plan_page, re.S).group(0)
    assert ">Wang Wei (Quality)</option>" in assignees
    assert ">Wang Wei (Quality)</option>" in persons
    assert ">super1</option>" in persons  # staff without a department: the name alone
    for listing in (assignees, persons):
        assert "norole" not in listing and "gone" not in listing


# --- 5. timeline details show labels and names -------------------------------------------

@pytest.mark.django_db
def test_the_timeline_shows_the_department_and_handler_by_name(client, build, agent, handler):
    handler.first_name, handler.last_name = "Wang", "Wei"
    handler.save()
    complaint = build(State.ANALYSING)
    html = page(client, agent, complaint).content.decode()
    classified = card(html, "timeline")
    classified = classified[classified.index('data-action="complaints.complaint.classified"'):]
    classified = classified[:classified.index("</li>")]

    assert "Quality" in classified and "Wang Wei" in classified
    assert "handler1" not in classified and ": qa" not in classified


# --- 6. the tracking page shows the customer's own words and the measures ----------------

@pytest.mark.django_db
def test_the_tracking_page_shows_the_description_request_and_proposed_measures(client, build):
    complaint = build(State.AWAIT_CUSTOMER, customer_request="Please replace the kettle.")
    response = client.get(reverse("complaints:track", args=[complaint.tracking_token]))
    html = response.content.decode()

    assert "The kettle stopped heating after 3 days." in card(html, "your-complaint")
    assert "Please replace the kettle." in card(html, "your-complaint")
    assert "Replace the heating element." in card(html, "decision-card")


# --- 7. actions first on a phone; the timeline is paged newest first ---------------------

@pytest.fixture
def many_events(agent):
    def add(complaint: Complaint, count: int) -> None:
        start = timezone.now()
        TimelineEvent.objects.bulk_create([
            TimelineEvent(ticket=complaint, action="aftersales.ticket.note", actor=agent,
                          actor_kind="staff", actor_name="agent1", note=f"Note {number}", data={},
                          created_at=start + timedelta(seconds=number))
            for number in range(count)])
    return add


@pytest.mark.django_db
def test_the_actions_come_before_the_timeline_on_a_small_screen(client, build, agent):
    html = page(client, agent, build(State.ACCEPTED)).content.decode()
    actions = re.search(r'<div class="([^"]*)" id="case-actions">', html).group(1).split()

    assert "order-first" in actions and "order-lg-0" in actions
    assert "css/case.css" in html


@pytest.mark.django_db
def test_the_timeline_shows_the_newest_twenty_events_first_with_a_link_to_the_rest(
        client, build, agent, many_events):
    complaint = build(State.ACCEPTED)
    many_events(complaint, 30)
    total = complaint.events.count()

    response = page(client, agent, complaint)
    shown = response.context["events"]
    assert [e.note for e in shown[:2]] == ["Note 29", "Note 28"]
    assert len(shown) == 20
    assert "?events=all" in response.content.decode()

    everything = page(client, agent, complaint, events="all")
    assert len(everything.context["events"]) == total
    assert 'id="older-events"' not in everything.content.decode()


@pytest.mark.django_db
def test_a_case_with_500_events_costs_what_one_with_30_costs(client, build, agent, many_events):
    complaint = build(State.IN_PROGRESS, severity="S4")
    client.force_login(agent)
    url = reverse("complaints:detail", args=[complaint.number])
    many_events(complaint, 30)
    at_30, _ = queries(client, url)
    many_events(complaint, 470)
    at_500, response = queries(client, url)

    assert at_500 == at_30
    assert len(response.context["events"]) == 20


@pytest.mark.django_db
def test_the_whole_timeline_stays_out_of_reach_of_other_departments(
        client, build, other_handler):
    complaint = build(State.IN_PROGRESS)
    client.force_login(other_handler)
    url = reverse("complaints:detail", args=[complaint.number])

    assert client.get(url, {"events": "all"}).status_code == 404


@pytest.mark.django_db
def test_notes_added_on_the_page_appear_at_the_top(client, build, agent):
    complaint = build(State.IN_PROGRESS, severity="S4")
    ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent,
                    text="Latest word", customer_visible=False, uploads=[])

    assert page(client, agent, complaint).context["events"][0].note == "Latest word"

