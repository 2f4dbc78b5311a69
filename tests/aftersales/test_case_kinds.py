"""A kind of case plugs into the kernel through one registration and nothing else.

The throwaway "gadget" kind below is registered by the test alone: no kernel module names
it, yet it gets numbers, appears in the inbox with its subject, labels its timeline events
and is swept by the SLA sweep.
"""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.kinds import (
    CaseKind,
    PortalEntry,
    get_kind,
    portal_entries,
    register_kind,
    ticket_subject,
    unregister_kind,
)
from aftersales.cases.services import ticket_next_number, timeline_record
from aftersales.cases.timeline import action_label, event_details
from aftersales.core.choices import SlaStatus
from aftersales.followups.services import feedback_handler_for, no_response_handler_for
from aftersales.models import Ticket, TimelineEvent
from aftersales.notifications.services import case_path, event_label
from aftersales.sla.clocks import ACTION_BREACHED
from aftersales.sla.sweep import sla_sweep
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

answers: list[dict] = []


def _gadget_subject(ticket: Ticket) -> str:
    return f"Gadget for {ticket.product_given}"


GADGET = CaseKind(
    code="GADGET",
    prefix="GD",
    label=_("Gadget case"),
    label_plural=_("Gadget cases"),
    model="aftersales.Ticket",
    detail_url_name="aftersales:inbox_missing",
    subject=_gadget_subject,
    on_feedback=lambda **answer: answers.append(answer),
    timeline_actions={"gadgets.gadget.poked": "Gadget poked"},
    detail_fields={"sprockets": ("Sprockets", None)},
    portal_entry=PortalEntry(label="Fix my gadget", description="", url_name="aftersales:inbox",
                             order=99),
)


@pytest.fixture
def gadget_kind():
    register_kind(GADGET)
    yield GADGET
    unregister_kind(GADGET.code)


def gadget_case(**fields) -> Ticket:
    ticket = Ticket(number=ticket_next_number("GADGET"), kind="GADGET", channel="PHONE",
                    state="OPEN", customer=CustomerFactory(), product_given="a toaster",
                    received_at=timezone.now(), **fields)
    ticket.subject = ticket_subject(ticket)
    ticket.save()
    return ticket


def test_a_registered_kind_numbers_its_cases_with_its_prefix(gadget_kind):
    case = gadget_case()

    assert case.number.startswith("GD-")
    assert get_kind("GADGET") is gadget_kind


def test_two_kinds_cannot_share_a_number_prefix(gadget_kind):
    with pytest.raises(ValueError, match="prefix GD"):
        register_kind(CaseKind(code="OTHER", prefix="GD", label="x", label_plural="x",
                               model="aftersales.Ticket", detail_url_name="x",
                               subject=lambda t: ""))


def test_the_new_kind_appears_in_the_inbox_with_its_label_and_subject(client, agent,
                                                                      gadget_kind):
    case = gadget_case()
    client.force_login(agent)

    response = client.get(reverse("aftersales:inbox"))

    assert response.status_code == 200
    row = next(r for r in response.context["page"].rows if r.pk == case.pk)
    assert row.kind_label == "Gadget case"
    assert "Gadget for a toaster" in response.content.decode()


def test_the_new_kinds_timeline_actions_and_details_are_labelled(gadget_kind):
    case = gadget_case()
    event = timeline_record(ticket=case, action="gadgets.gadget.poked", data={"sprockets": 3})

    assert action_label(event.action) == "Gadget poked"
    assert event_label(event.action) == "Gadget poked"
    assert ("Sprockets", "3") in event_details(event.data)


def test_a_detail_key_is_labelled_by_the_kind_of_the_event(gadget_kind):
    """Two kinds may use one key ("reason") for different things; each event shows its own."""
    widget = replace(GADGET, code="WIDGET", prefix="WD",
                     timeline_actions={"widgets.widget.poked": "Widget poked"},
                     detail_fields={"sprockets": ("Widget sprockets", None)})
    register_kind(widget)
    try:
        data = {"sprockets": 3}
        assert ("Widget sprockets", "3") in event_details(data, "widgets.widget.poked")
        assert ("Sprockets", "3") in event_details(data, "gadgets.gadget.poked")
    finally:
        unregister_kind("WIDGET")


def test_the_sweep_breaches_a_case_of_the_new_kind(gadget_kind):
    past = timezone.now() - timedelta(hours=1)
    case = gadget_case(sla_clock="resolution", sla_status=SlaStatus.ON_TRACK,
                       sla_started_at=past - timedelta(hours=1), sla_warn_at=past,
                       sla_due_at=past)

    result = sla_sweep()

    assert case.pk in result.breached
    assert TimelineEvent.objects.filter(ticket=case, action=ACTION_BREACHED).count() == 1


def test_follow_up_handlers_and_portal_entry_come_from_the_registration(gadget_kind):
    assert feedback_handler_for("GADGET") is gadget_kind.on_feedback
    assert no_response_handler_for("GADGET") is None
    assert gadget_kind.portal_entry in portal_entries()


def test_an_unknown_page_name_gives_no_link_instead_of_an_error(gadget_kind):
    assert case_path(gadget_case()) == ""


def test_once_unregistered_the_kind_is_gone(gadget_kind):
    unregister_kind("GADGET")

    assert action_label("gadgets.gadget.poked") == "gadgets.gadget.poked"
    assert feedback_handler_for("GADGET") is None
