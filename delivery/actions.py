"""The steps a staff member can take on an incident's page: form, service, availability."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

from aftersales.cases.selectors import ticket_in_scope
from aftersales.compensation.choices import Reason

from . import forms as f
from . import services as s
from .choices import CLAIM_STATES, FIRST_STEP, IncidentType, State
from .models import DeliveryIncident


@dataclass(frozen=True)
class Action:
    name: str
    label: Promise
    form: type
    run: Callable
    available: Callable[[DeliveryIncident, object, dict], bool]
    style: str = "primary"


def _step(name: str) -> Callable:
    def available(incident: DeliveryIncident, user, facts: dict) -> bool:
        method = getattr(incident, name)
        return can_proceed(method) and user.has_perm("delivery.handle_incident")

    return available


def _first(kind: str) -> Callable:
    step = _step(FIRST_STEP[kind])

    def available(incident, user, facts) -> bool:
        return incident.incident_type == kind and step(incident, user, facts)

    return available


def _in_state(state: str, kind: str, perm: str = "delivery.handle_incident") -> Callable:
    def available(incident, user, facts) -> bool:
        return (incident.state == state and incident.incident_type == kind
                and user.has_perm(perm))

    return available


def _can_offer(incident, user, facts) -> bool:
    return (incident.incident_type == IncidentType.DELAY
            and incident.state in (State.NOTIFIED, State.REMEDY)
            and not facts.get("delay_offered")
            and user.has_perm("compensation.propose_compensation"))


def _can_claim(incident, user, facts) -> bool:
    return (user.has_perm("delivery.file_claim") and not incident.is_read_only
            and (incident.state in CLAIM_STATES or incident.incident_type == IncidentType.DELAY))


def _can_settle(incident, user, facts) -> bool:
    return user.has_perm("delivery.file_claim") and bool(facts.get("open_claims"))


def _can_resolve(incident, user, facts) -> bool:
    return _step("resolve")(incident, user, facts) and not facts.get("open_compensation")


ACTIONS = {a.name: a for a in [
    Action("notify_delay", _("Tell the customer: reason and new ETA"), f.NotifyDelayForm,
           lambda i, d, u: s.incident_notify_delay(
               incident_pk=i.pk, version=d["version"], actor=u, reason=d["reason"],
               new_eta=d["new_eta"]),
           _first(IncidentType.DELAY)),
    Action("offer_compensation", _("Propose delay compensation by tier"), f.EmptyForm,
           lambda i, d, u: s.incident_offer_delay_compensation(incident_pk=i.pk, actor=u),
           _can_offer),
    Action("arrange_pickup", _("Arrange a free door pickup"), f.PickupForm,
           lambda i, d, u: s.incident_arrange_pickup(
               incident_pk=i.pk, version=d["version"], actor=u, pickup_at=d["pickup_at"]),
           _first(IncidentType.DAMAGE)),
    Action("pickup_done", _("Goods picked up: open the return or exchange"), f.PickupDoneForm,
           lambda i, d, u: s.incident_pickup_done(
               incident_pk=i.pk, version=d["version"], actor=u, remedy=d["remedy"]),
           _in_state(State.PICKUP, IncidentType.DAMAGE)),
    Action("start_trace", _("Start a trace with the carrier"), f.NoteForm,
           lambda i, d, u: s.incident_start_trace(
               incident_pk=i.pk, version=d["version"], actor=u, note=d["note"]),
           _first(IncidentType.LOSS)),
    Action("trace_result", _("Record the trace result"), f.TraceResultForm,
           lambda i, d, u: s.incident_trace_result(
               incident_pk=i.pk, version=d["version"], actor=u, result=d["result"],
               reship_tracking_number=d["reship_tracking_number"]),
           _in_state(State.TRACING, IncidentType.LOSS)),
    Action("investigate", _("Start the investigation"), f.NoteForm,
           lambda i, d, u: s.incident_investigate(
               incident_pk=i.pk, version=d["version"], actor=u, note=d["note"]),
           _first(IncidentType.ATTITUDE)),
    Action("record_finding", _("Record the finding"), f.FindingForm,
           lambda i, d, u: s.incident_record_finding(
               incident_pk=i.pk, version=d["version"], actor=u, finding=d["finding"],
               note=d["note"]),
           _in_state(State.INVESTIGATING, IncidentType.ATTITUDE)),
    Action("file_claim", _("File a claim with the carrier"), f.ClaimForm,
           lambda i, d, u: s.incident_file_claim(
               incident_pk=i.pk, actor=u, amount=d["amount"], note=d["note"]),
           _can_claim, "outline-primary"),
    Action("settle_claim", _("Record the carrier's answer to a claim"), f.SettleClaimForm,
           lambda i, d, u: s.claim_settle(
               claim_pk=d["claim"], actor=u, recovered=d["recovered"], refused=d["refused"]),
           _can_settle, "outline-primary"),
    Action("resolve", _("Resolve"), f.NoteForm,
           lambda i, d, u: s.incident_resolve(
               incident_pk=i.pk, version=d["version"], actor=u, note=d["note"]),
           _can_resolve, "success"),
    Action("close", _("Close"), f.EmptyForm,
           lambda i, d, u: s.incident_close(incident_pk=i.pk, version=d["version"], actor=u),
           _step("close"), "dark"),
    Action("cancel", _("Cancel the incident"), f.RequiredNoteForm,
           lambda i, d, u: s.incident_cancel(
               incident_pk=i.pk, version=d["version"], actor=u, note=d["note"]),
           _step("cancel"), "outline-danger"),
]}


def page_facts(incident: DeliveryIncident, lines: list, claims: list) -> dict:
    from aftersales.compensation.choices import OPEN_STATES, LineState

    return {
        "delay_offered": any(line.reason == Reason.DELIVERY_DELAY
                             and line.state not in (LineState.REJECTED, LineState.WITHDRAWN)
                             for line in lines),
        "open_compensation": any(line.state in OPEN_STATES for line in lines),
        "open_claims": [c for c in claims if c.status == "FILED"],
    }


def available_actions(incident: DeliveryIncident, user, facts: dict) -> list[Action]:
    if incident.is_read_only and incident.state != State.RESOLVED:
        return []
    if not ticket_in_scope(user, incident):
        return []
    return [a for a in ACTIONS.values() if a.available(incident, user, facts)]


def action_form(action: Action, incident: DeliveryIncident, data=None, facts=None):
    initial = {"version": incident.version}
    if action.name == "settle_claim" and facts and facts.get("open_claims"):
        initial["claim"] = facts["open_claims"][0].pk
    return action.form(data, initial=initial, prefix=action.name)
