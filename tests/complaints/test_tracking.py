"""The customer's private tracking page: the token shows one complaint and nothing else, only
what the customer may see, and lets them add information and answer our questions."""

import re

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy

from aftersales.cases.services import ticket_add_note
from aftersales.models import Attachment
from complaints import services as s
from complaints.choices import CustomerDecision, State
from complaints.models import Complaint
from tests.factories import (
    as_shown,
    checked_evidence,
    evidence_file,
    intake,
)

NO_LONGER_POSSIBLE = gettext_lazy(
    "This is no longer possible; the page shows the current state of your complaint.")


def track(client, complaint: Complaint, **kwargs):
    return client.get(reverse("complaints:track", args=[complaint.tracking_token]), **kwargs)


def post(client, complaint: Complaint, which: str, data: dict, **kwargs):
    fields = {f"{which}-{key}": value for key, value in data.items()}
    return client.post(reverse("complaints:track", args=[complaint.tracking_token]),
                       {"form": which, **fields}, **kwargs)


def proposal_on_page(client, complaint: Complaint) -> dict:
    """The plan and version the decision form names, as the customer's browser sends them."""
    page = track(client, complaint).content.decode()
    return {key: re.search(rf'name="decision-{key}" value="(\d+)"', page).group(1)
            for key in ("plan", "plan_version")}


def fresh(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_related("current_plan").get(pk=complaint.pk)


# --- one token, one complaint ------------------------------------------------------------

@pytest.mark.django_db
def test_a_token_shows_its_own_complaint_and_no_other(client, agent):
    mine = s.complaint_register(intake=intake(description="My kettle leaks water."), actor=None)
    theirs = s.complaint_register(
        intake=intake(name="李四", phone="13987654321", email="lisi@example.com",
                      description="Their fridge is far too loud at night."), actor=None)
    for complaint in (mine, theirs):
        ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent,
                        text=f"Message about {complaint.description}", customer_visible=True)

    page = track(client, mine).content.decode()

    assert mine.number in page
    assert "My kettle leaks water." in page
    assert theirs.number not in page
    assert "far too loud" not in page
    assert theirs.tracking_token not in page


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["made-up-token", "a" * 43, "CP-20260101-0001"])
def test_an_unknown_token_is_not_found_and_reveals_nothing(client, token):
    existing = s.complaint_register(intake=intake(), actor=None)

    # Malformed tokens do not even reverse, so the paths are written out.
    response = client.get(f"/c/track/{token}/")
    submitted = client.get(f"/c/submitted/{token}/")

    for page in (response, submitted):
        body = page.content.decode()
        assert page.status_code == 404
        assert existing.number not in body
        assert existing.customer.name not in body
        assert "CP-2" not in body.replace(token, "")


@pytest.mark.django_db
def test_a_token_cannot_act_on_another_complaint(client, build):
    waiting = build(State.AWAIT_CUSTOMER)
    other = s.complaint_register(intake=intake(phone="13911112222"), actor=None)

    response = post(client, other, "decision", {"agree": "yes", "comment": ""})

    assert response.status_code == 302
    assert fresh(waiting).state == State.AWAIT_CUSTOMER
    assert fresh(waiting).current_plan.customer_decision == CustomerDecision.PENDING


# --- what the customer sees --------------------------------------------------------------

@pytest.mark.django_db
def test_internal_notes_never_reach_the_tracking_page_messages_do(client, build, agent):
    complaint = build(State.IN_PROGRESS)
    ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent,
                    text="Internal: the supplier batch 42 is suspect.", customer_visible=False)
    ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent,
                    text="We have ordered a replacement element for you.",
                    customer_visible=True)

    page = track(client, complaint).content.decode()

    assert "We have ordered a replacement element for you." in page
    assert "supplier batch 42" not in page
    assert "Replace the heating element." not in page  # the plan's internal measures
    assert agent.username not in page
    internal = complaint.events.filter(customer_visible=False).exclude(note="")
    assert internal.exists()
    assert not any(event.note in page for event in internal)


@pytest.mark.django_db
def test_internal_files_are_neither_listed_nor_downloadable_by_token(client, build, agent):
    complaint = build(State.IN_PROGRESS)
    ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent,
                    text="Lab photo", customer_visible=False,
                    uploads=[checked_evidence("lab-photo.png")])
    internal = Attachment.objects.get(ticket=complaint)

    page = track(client, complaint).content.decode()
    download = client.get(reverse("attachment", args=[internal.pk]),
                          {"t": complaint.tracking_token})

    assert "lab-photo.png" not in page
    assert reverse("attachment", args=[internal.pk]) not in page
    assert download.status_code == 404


@pytest.mark.django_db
def test_shared_files_download_with_their_own_token_only(client, build, agent):
    complaint = build(State.IN_PROGRESS)
    other = s.complaint_register(intake=intake(phone="13911112222"), actor=None)
    ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent,
                    text="The repair report", customer_visible=True,
                    uploads=[checked_evidence("report.pdf")])
    shared = Attachment.objects.get(ticket=complaint)
    link = f'{reverse("attachment", args=[shared.pk])}?t={complaint.tracking_token}'

    page = track(client, complaint).content.decode()
    own = client.get(reverse("attachment", args=[shared.pk]), {"t": complaint.tracking_token})
    own_bytes = b"".join(own.streaming_content)  # read to the end, which closes the file
    foreign = client.get(reverse("attachment", args=[shared.pk]), {"t": other.tracking_token})
    none = client.get(reverse("attachment", args=[shared.pk]))

    assert link in page.replace("&amp;", "&")
    assert own.status_code == 200
    assert own_bytes == shared.file.open("rb").read()
    shared.file.close()
    assert foreign.status_code == 404
    assert none.status_code == 404


# --- what the customer can do ------------------------------------------------------------

@pytest.mark.django_db
def test_the_customer_adds_information_and_files(client, build):
    complaint = build(State.IN_PROGRESS)

    response = post(client, complaint, "info", {
        "text": "It also smells of burnt plastic.",
        "files": [evidence_file("smell.jpg"), evidence_file("label.png")],
    }, follow=True)

    page = response.content.decode()
    event = complaint.events.get(action="aftersales.ticket.customer_info")
    assert response.status_code == 200
    assert event.customer_visible
    assert event.actor_kind == "customer"
    assert event.note == "It also smells of burnt plastic."
    assert sorted(a.original_name for a in event.attachments.all()) == ["label.png",
                                                                        "smell.jpg"]
    assert event.attachments.get(original_name="smell.jpg").content_type == "image/jpeg"
    assert "It also smells of burnt plastic." in page
    assert "smell.jpg" in page
    assert fresh(complaint).state == State.IN_PROGRESS


@pytest.mark.django_db
def test_added_information_is_checked_like_the_complaint_form(client, build):
    complaint = build(State.IN_PROGRESS)

    empty = post(client, complaint, "info", {"text": ""})
    fake_photo = post(client, complaint, "info", {
        "text": "See the photo.", "files": [evidence_file("photo.jpg", b"plain text")]})

    assert empty.status_code == 400
    assert fake_photo.status_code == 400
    assert fake_photo.context["forms"]["info"].has_error("files", code="upload")
    assert "See the photo." in fake_photo.content.decode()
    assert not complaint.events.filter(action="aftersales.ticket.customer_info").exists()


@pytest.mark.django_db
def test_an_archived_complaint_takes_no_more_information(client, build):
    complaint = build(State.CLOSED)

    page = track(client, complaint)
    response = post(client, complaint, "info", {"text": "Hello again"}, follow=True)

    assert "info" not in page.context["forms"]
    assert as_shown(NO_LONGER_POSSIBLE) in response.content.decode()
    assert not complaint.events.filter(action="aftersales.ticket.customer_info").exists()


@pytest.mark.django_db
def test_the_customer_confirms_the_proposal(client, build):
    complaint = build(State.AWAIT_CUSTOMER)
    page = track(client, complaint).content.decode()

    response = post(client, complaint, "decision", {"agree": "yes", "comment": "",
                                                    **proposal_on_page(client, complaint)})

    complaint = fresh(complaint)
    assert 'id="decision-card"' in page
    assert response.status_code == 302
    assert complaint.state == State.IN_PROGRESS
    assert complaint.current_plan.customer_decision == CustomerDecision.CONFIRMED
    assert 'id="decision-card"' not in track(client, complaint).content.decode()


@pytest.mark.django_db
def test_the_customer_declines_the_proposal_with_a_reason(client, build):
    complaint = build(State.AWAIT_CUSTOMER)
    shown = proposal_on_page(client, complaint)

    no_reason = post(client, complaint, "decision", {"agree": "no", "comment": "", **shown})
    still_waiting = fresh(complaint).state
    with_reason = post(client, complaint, "decision",
                       {"agree": "no", "comment": "I would rather have a new kettle.", **shown})

    complaint = fresh(complaint)
    assert no_reason.status_code == 409
    assert as_shown(gettext_lazy("Please tell us why the proposal does not work for you.")) in (
        no_reason.content.decode())
    assert still_waiting == State.AWAIT_CUSTOMER
    assert with_reason.status_code == 302
    assert complaint.state == State.IN_PROGRESS
    assert complaint.current_plan.customer_decision == CustomerDecision.DECLINED
    assert complaint.current_plan.customer_comment == "I would rather have a new kettle."


@pytest.mark.django_db
def test_a_decision_is_not_taken_when_no_proposal_waits(client, build):
    complaint = build(State.IN_PROGRESS)

    response = post(client, complaint, "decision", {"agree": "yes", "comment": ""},
                    follow=True)

    assert as_shown(NO_LONGER_POSSIBLE) in response.content.decode()
    assert fresh(complaint).version == complaint.version


@pytest.mark.django_db
def test_a_satisfied_customer_completes_the_return_visit(client, build):
    complaint = build(State.RESOLVED)
    page = track(client, complaint).content.decode()

    response = post(client, complaint, "feedback",
                    {"satisfied": "yes", "rating": "5", "comment": "Works well now."})

    complaint = fresh(complaint)
    assert 'id="feedback-card"' in page
    assert response.status_code == 302
    assert complaint.state == State.RETURN_VISIT
    assert complaint.return_visit_result == Complaint.ReturnVisitResult.SATISFIED
    answered = complaint.follow_ups.get(status="ANSWERED")
    assert (answered.rating, answered.method) == (5, "ONLINE")
    assert 'id="feedback-card"' not in track(client, complaint).content.decode()


@pytest.mark.django_db
def test_a_not_satisfied_customer_must_say_why_and_reopens_the_complaint(client, build):
    complaint = build(State.RESOLVED)

    no_reason = post(client, complaint, "feedback", {"satisfied": "no", "comment": ""})
    with_reason = post(client, complaint, "feedback",
                       {"satisfied": "no", "rating": "1", "comment": "It broke again."})

    after = fresh(complaint)
    assert no_reason.status_code == 400
    assert no_reason.context["forms"]["feedback"].has_error("comment")
    assert with_reason.status_code == 302
    assert after.state == State.REOPENED
    assert after.reopen_count == complaint.reopen_count + 1
    assert "It broke again." in track(client, complaint).content.decode()
