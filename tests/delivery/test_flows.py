"""Each incident type's flow (domain.md §5.5) and delay compensation by tier (§8)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from aftersales.cases import kinds
from aftersales.cases.kinds import CaseKind
from aftersales.cases.models import Ticket
from aftersales.compensation import services as comp
from aftersales.compensation.choices import ConsentVia, LineState
from aftersales.compensation.exceptions import ConsentMissing
from aftersales.core.exceptions import DomainError, PermissionRefused, TransitionRefused
from aftersales.core.models import OutboxMessage
from delivery import services as s
from delivery.choices import State
from delivery.exceptions import AlreadyOffered, NotLate
from delivery.models import DeliveryIncident, delay_tier
from tests.delivery.conftest import local


@pytest.fixture(autouse=True)
def _english():
    """The messages below are checked in the language they are written in."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("days", "tier"), [
    (0, None), (1, "A"), (2, "A"), (3, "B"), (5, "B"), (6, "C"), (30, "C")])
def test_delay_tiers(days, tier):
    assert delay_tier(days) == tier


@pytest.mark.parametrize(("promised", "delivered", "days", "tier", "amount"), [
    (local(2026, 11, 1, 18), local(2026, 11, 3, 9), 2, "A", "10.00"),   # exactly 2 days
    (local(2026, 11, 1, 23), local(2026, 11, 4, 0), 3, "B", "30.00"),   # 3 days by the calendar
    (local(2026, 11, 1, 12), local(2026, 11, 6, 23), 5, "B", "30.00"),
    (local(2026, 11, 1, 12), local(2026, 11, 7, 8), 6, "C", "60.00"),
])
def test_delay_compensation_by_tier(settings_rows, make_shipment, register, agent, promised,
                                    delivered, days, tier, amount):
    shipment = make_shipment(shipped=promised - timedelta(days=2), promised=promised,
                             delivered=delivered)
    incident = register(shipment)
    s.incident_notify_delay(incident_pk=incident.pk, version=None, actor=agent,
                            reason="Storm", new_eta=delivered)
    line = s.incident_offer_delay_compensation(incident_pk=incident.pk, actor=agent)
    incident.refresh_from_db()
    assert (incident.delay_days, incident.delay_tier) == (days, tier)
    assert line.value == Decimal(amount) and line.type == "COUPON"
    assert line.carrier == "SF" and line.state == LineState.PROPOSED
    assert incident.state == State.REMEDY


def test_tier_c_needs_a_supervisor(settings_rows, make_shipment, register, agent, agent2,
                                   supervisor):
    shipment = make_shipment(promised=local(2026, 11, 1), delivered=local(2026, 11, 9))
    incident = register(shipment)
    s.incident_notify_delay(incident_pk=incident.pk, version=None, actor=agent,
                            reason="Storm", new_eta=local(2026, 11, 9))
    line = s.incident_offer_delay_compensation(incident_pk=incident.pk, actor=agent)
    with pytest.raises(PermissionRefused):
        comp.compensation_approve(line_pk=line.pk, actor=agent2)
    assert comp.compensation_approve(line_pk=line.pk, actor=supervisor).state == "APPROVED"


def test_no_compensation_for_a_parcel_on_time(settings_rows, make_shipment, register, agent):
    shipment = make_shipment(promised=local(2026, 11, 1, 9), delivered=local(2026, 11, 1, 20))
    incident = register(shipment)
    s.incident_notify_delay(incident_pk=incident.pk, version=None, actor=agent,
                            reason="Checked", new_eta=local(2026, 11, 1, 20))
    with pytest.raises(NotLate):
        s.incident_offer_delay_compensation(incident_pk=incident.pk, actor=agent)


def test_delay_customer_told_at_once_with_reason_and_eta(settings_rows, make_shipment, register,
                                                         agent):
    incident = register(make_shipment(promised=local(2026, 11, 1)))
    assert incident.sla_clock == "first_response"
    assert incident.sla_due_at - incident.received_at == timedelta(hours=2)  # T19
    with pytest.raises(TransitionRefused):
        s.incident_offer_delay_compensation(incident_pk=incident.pk, actor=agent)
    s.incident_notify_delay(incident_pk=incident.pk, version=incident.version, actor=agent,
                            reason="Storm closed the motorway", new_eta=local(2026, 11, 4))
    incident = DeliveryIncident.objects.get(pk=incident.pk)
    assert incident.state == State.NOTIFIED and incident.first_response_at is not None
    event = incident.events.get(action="delivery.incident.notify_delay")
    assert event.customer_visible and event.data["delay_reason"] == "Storm closed the motorway"
    sent = OutboxMessage.objects.filter(task="delivery.notify_customer")
    assert sorted(m.args[1] for m in sent) == ["delay", "registered"]


def test_delay_email_says_reason_and_eta(settings_rows, make_shipment, register, agent,
                                         mailoutbox):
    from delivery.tasks import notify_customer

    incident = register(make_shipment(promised=local(2026, 11, 1)), language="en")
    s.incident_notify_delay(incident_pk=incident.pk, version=None, actor=agent,
                            reason="Storm", new_eta=local(2026, 11, 4, 15))
    notify_customer.apply(args=[incident.pk, "delay"])
    body = mailoutbox[-1].body
    assert "Storm" in body and "2026-11-04 15:00" in body
    assert f"/d/track/{incident.tracking_token}/" in body


def test_delay_flow_executes_only_after_consent(settings_rows, make_shipment, register, agent,
                                                agent2, supervisor):
    shipment = make_shipment(promised=local(2026, 11, 1), delivered=local(2026, 11, 5))
    incident = register(shipment)
    s.incident_notify_delay(incident_pk=incident.pk, version=None, actor=agent, reason="Storm",
                            new_eta=local(2026, 11, 5))
    line = s.incident_offer_delay_compensation(incident_pk=incident.pk, actor=agent)
    with pytest.raises(AlreadyOffered):
        s.incident_offer_delay_compensation(incident_pk=incident.pk, actor=agent)
    comp.compensation_approve(line_pk=line.pk, actor=agent2)
    with pytest.raises(ConsentMissing):
        comp.compensation_execute(line_pk=line.pk, actor=supervisor)
    with pytest.raises(TransitionRefused):
        s.incident_resolve(incident_pk=incident.pk, version=None, actor=agent)
    comp.compensation_consent(line_pk=line.pk, version=1, via=ConsentVia.PORTAL)
    comp.compensation_execute(line_pk=line.pk, actor=supervisor)
    s.incident_resolve(incident_pk=incident.pk, version=None, actor=agent)
    s.incident_close(incident_pk=incident.pk, version=None, actor=supervisor)
    assert DeliveryIncident.objects.get(pk=incident.pk).state == State.CLOSED


@pytest.fixture
def fake_return_kind():
    made = []

    def spawn(*, origin, actor, reason="", order_line=None, request_type="", return_reason=""):
        ticket = Ticket.objects.create(
            number=f"RT-20261201-{len(made) + 1:04d}", kind="RETURN", channel="OTHERDEPT",
            customer=origin.customer, order=origin.order, order_line=order_line,
            origin=origin, received_at=timezone.now(), state="REGISTERED")
        made.append((ticket, reason, request_type, return_reason))
        return ticket

    real = kinds.find_kind("RETURN")
    kinds.register_kind(CaseKind(code="RETURN", prefix=real.prefix if real else "RT",
                                 label="Return", label_plural="Returns", model="aftersales.Ticket",
                                 detail_url_name="", subject=lambda t: "", spawn=spawn))
    yield made
    kinds.unregister_kind("RETURN")
    if real is not None:
        kinds.register_kind(real)


def test_damage_pickup_spawns_a_linked_return_at_no_cost(settings_rows, make_shipment,
                                                         register, agent, fake_return_kind):
    incident = register(make_shipment(delivered=timezone.now()), "DAMAGE")
    s.incident_arrange_pickup(incident_pk=incident.pk, version=None, actor=agent,
                              pickup_at=timezone.now() + timedelta(days=1))
    event = incident.events.get(action="delivery.incident.arrange_pickup")
    assert event.data["free_of_charge"] is True and event.customer_visible
    claim = s.incident_file_claim(incident_pk=incident.pk, actor=agent, amount=Decimal("199"))
    s.incident_pickup_done(incident_pk=incident.pk, version=None, actor=agent, remedy="EXCHANGE")
    [(spawned, reason, request_type, return_reason)] = fake_return_kind
    assert spawned.origin_id == incident.pk and request_type == "EXCHANGE"
    assert return_reason == "TRANSPORT_DAMAGE"
    assert "no cost to the customer" in reason
    s.claim_settle(claim_pk=claim.pk, actor=agent, recovered=Decimal("150.00"))
    assert s.incident_resolve(incident_pk=incident.pk, version=None,
                              actor=agent).state == State.RESOLVED


def test_damage_without_a_claim_cannot_be_resolved(settings_rows, make_shipment, register,
                                                   agent):
    incident = register(make_shipment(delivered=timezone.now()), "DAMAGE")
    s.incident_arrange_pickup(incident_pk=incident.pk, version=None, actor=agent,
                              pickup_at=timezone.now())
    s.incident_pickup_done(incident_pk=incident.pk, version=None, actor=agent, remedy="RETURN")
    with pytest.raises(TransitionRefused):
        s.incident_resolve(incident_pk=incident.pk, version=None, actor=agent)


def test_loss_trace_then_reship_and_claim(settings_rows, make_shipment, register, agent):
    incident = register(make_shipment(), "LOSS")
    s.incident_start_trace(incident_pk=incident.pk, version=None, actor=agent)
    with pytest.raises(DomainError):
        s.incident_trace_result(incident_pk=incident.pk, version=None, actor=agent,
                                result="RESHIP")
    s.incident_trace_result(incident_pk=incident.pk, version=None, actor=agent,
                            result="RESHIP", reship_tracking_number="SF999")
    s.incident_file_claim(incident_pk=incident.pk, actor=agent, amount=Decimal("199.00"))
    assert s.incident_resolve(incident_pk=incident.pk, version=None,
                              actor=agent).state == State.RESOLVED


def test_attitude_finding_is_recorded(settings_rows, make_shipment, register, agent, courier):
    incident = register(make_shipment(), "ATTITUDE")
    assert incident.courier == courier
    s.incident_investigate(incident_pk=incident.pk, version=None, actor=agent)
    with pytest.raises(TransitionRefused):
        s.incident_resolve(incident_pk=incident.pk, version=None, actor=agent)
    with pytest.raises(DomainError):
        s.incident_record_finding(incident_pk=incident.pk, version=None, actor=agent,
                                  finding="SUBSTANTIATED", note="")
    s.incident_record_finding(incident_pk=incident.pk, version=None, actor=agent,
                              finding="SUBSTANTIATED", note="Recording confirms it")
    event = incident.events.get(action="delivery.incident.finding")
    assert event.data == {"courier_finding": "SUBSTANTIATED", "courier_code": "SF101"}
    assert s.incident_resolve(incident_pk=incident.pk, version=None,
                              actor=agent).state == State.RESOLVED


def test_a_type_only_takes_its_own_first_step(settings_rows, make_shipment, register, agent):
    incident = register(make_shipment(), "ATTITUDE")
    with pytest.raises(TransitionRefused):
        s.incident_start_trace(incident_pk=incident.pk, version=None, actor=agent)


def test_a_handler_cannot_register(settings_rows, make_shipment, register, handler):
    with pytest.raises(PermissionRefused):
        register(make_shipment(), actor=handler)


def test_customer_registers_on_the_portal(settings_rows, make_shipment, register):
    shipment = make_shipment()
    incident = register(shipment, "LOSS", actor=None, channel="WEBFORM", name="Wang",
                        email="given@example.com")
    assert incident.state == State.REGISTERED and incident.registered_by is None
    assert incident.customer_id == shipment.order.customer_id
    assert incident.contact_email_given == "given@example.com"


def test_spawned_from_a_complaint(settings_rows, make_shipment, agent):
    shipment = make_shipment()
    complaint = Ticket.objects.create(
        number="CP-20261201-0042", kind="COMPLAINT", channel="HOTLINE",
        customer=shipment.order.customer, order=shipment.order, received_at=timezone.now())
    incident = kinds.spawn_case("DELIVERY", origin=complaint, actor=agent,
                                reason="Customer says parcel is a week late")
    assert isinstance(incident, DeliveryIncident)
    assert incident.origin_id == complaint.pk and incident.shipment == shipment
    assert incident.number.startswith("DL-")


def test_status_updates_keep_raw_and_normalised_history(settings_rows, make_shipment, carrier):
    from delivery.models import StatusMapping

    StatusMapping.objects.create(carrier=carrier, raw_status="已签收", status="DELIVERED")
    shipment = make_shipment()
    s.shipment_record_status(shipment_pk=shipment.pk, raw_status="???", at=timezone.now())
    s.shipment_record_status(shipment_pk=shipment.pk, raw_status="已签收", at=timezone.now(),
                             signed_for_by="Front desk")
    shipment.refresh_from_db()
    assert (shipment.raw_status, shipment.status) == ("已签收", "DELIVERED")
    assert shipment.delivered_at is not None and shipment.signed_for_by == "Front desk"
    assert list(shipment.events.values_list("raw_status", "status")) == [
        ("???", "EXCEPTION"), ("已签收", "DELIVERED")]


@given(days=st.integers(min_value=-30, max_value=365))
def test_a_longer_delay_never_falls_into_a_lower_tier(days):
    order = [None, "A", "B", "C"]
    assert order.index(delay_tier(days)) <= order.index(delay_tier(days + 1))
