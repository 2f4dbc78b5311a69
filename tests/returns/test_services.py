"""Return use-cases: review by the law, quality report, ship-back, warehouse, refund,
exchange with advance replacement, the T10 sweep and cases spawned across kinds."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from aftersales.cases.kinds import get_kind, spawn_case, spawnable
from aftersales.core.exceptions import DomainError, PermissionRefused, TransitionRefused
from aftersales.models import FollowUp, OutboxMessage, TimelineEvent
from returns import services as s
from returns.choices import Carrier, Reason, RequestType, State
from returns.models import ReturnOrder
from tests.factories import CustomerFactory
from tests.returns.conftest import create, fresh, make_order, walk


@pytest.fixture(autouse=True)
def _english():
    """The messages below are checked in the language they are written in."""
    with translation.override("en"):
        yield


# --- create ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_gets_a_number_of_its_own_kind_and_the_engines_answer(order):
    ret = create(order)
    assert ret.number.startswith("RT-")
    assert ret.state == State.REVIEWING
    assert (ret.decision_rule, ret.decision_options) == ("A6", ["RETURN"])
    assert ret.decision_facts["sale_channel"] == "DISTANCE"
    assert ret.first_response_due_at is not None
    assert list(ret.events.values_list("action", flat=True)) == [
        "returns.return.received", "returns.return.review_started"]


@pytest.mark.django_db
def test_units_already_asked_back_cannot_be_asked_again(order):
    order.lines.update(quantity=2)
    create(order, quantity=2)
    with pytest.raises(DomainError, match="Only 0 of"):
        create(order)


@pytest.mark.django_db
def test_a_line_of_another_order_is_refused(order):
    other = make_order()
    line = other.lines.select_related("product").get()
    with pytest.raises(DomainError):
        s.return_create(intake=s.ReturnIntake(
            name="x", order=order, lines=[(line, 1)], request_type=RequestType.RETURN_REFUND,
            reason=Reason.NO_REASON), actor=None)


@pytest.mark.django_db
def test_a_no_reason_exchange_is_tenant_policy_only(order, settings):
    with pytest.raises(DomainError, match="exchange without a reason"):
        create(order, request_type=RequestType.EXCHANGE)
    settings.RETURNS_POLICY = {"no_reason_exchange": True}
    assert create(order, request_type=RequestType.EXCHANGE).state == State.REVIEWING


# --- review ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_accepting_records_the_rule_and_sends_the_return_address(order, agent):
    ret = create(order)
    ret = s.return_accept(return_pk=ret.pk, version=ret.version, actor=agent)
    assert ret.state == State.AWAIT_SHIPBACK
    assert ret.review_rule == "A6" and not ret.against_engine
    assert ret.shipback_address and ret.shipback_sent_at is not None
    assert not ret.pickup_booked
    assert OutboxMessage.objects.filter(task="returns.notify_customer",
                                        args=[ret.pk, "shipback"]).exists()
    shown = TimelineEvent.objects.get(ticket=ret, action="returns.return.shipback_sent")
    assert shown.customer_visible


@pytest.mark.django_db
def test_transport_damage_books_a_free_pickup(order, agent):
    ret = create(order, reason=Reason.TRANSPORT_DAMAGE)
    ret = s.return_accept(return_pk=ret.pk, version=ret.version, actor=agent)
    assert ret.pickup_booked and ret.return_carrier == Carrier.PICKUP
    assert ret.decision_rule == "B4"


@pytest.mark.django_db
def test_refusing_because_the_package_was_opened_is_refused_even_to_a_supervisor(order,
                                                                                 supervisor):
    ret = create(order)
    with pytest.raises(DomainError, match=r"7D Art\. 8 and 31"):
        s.return_decline(return_pk=ret.pk, version=ret.version, actor=supervisor,
                         reason="PACKAGE_OPENED", message="You opened it.")
    assert fresh(ret).state == State.REVIEWING


@pytest.mark.django_db
def test_declining_what_the_law_grants_needs_a_supervisor(order, agent, supervisor):
    ret = create(order)
    with pytest.raises(PermissionRefused, match="only a supervisor"):
        s.return_decline(return_pk=ret.pk, version=ret.version, actor=agent, reason="OTHER",
                         message="No.")
    ret = s.return_decline(return_pk=ret.pk, version=ret.version, actor=supervisor,
                           reason="OTHER", message="Explained on the phone.")
    assert ret.state == State.DECLINED and ret.against_engine
    assert ret.decline_message == "Explained on the phone."


@pytest.mark.django_db
def test_an_agent_may_decline_what_the_law_does_not_grant(agent):
    ret = create(make_order(signed_days_ago=20))
    assert ret.decision_rule == "A2"
    ret = s.return_decline(return_pk=ret.pk, version=ret.version, actor=agent,
                           reason="WINDOW_PASSED", message="The 7 days have passed.")
    assert ret.state == State.DECLINED and not ret.against_engine


@pytest.mark.django_db
def test_accepting_in_the_customers_favour_is_allowed_with_a_reason_and_recorded(agent):
    ret = create(make_order(signed_days_ago=20))
    with pytest.raises(DomainError, match="say why"):
        s.return_accept(return_pk=ret.pk, version=ret.version, actor=agent)
    ret = s.return_accept(return_pk=ret.pk, version=ret.version, actor=agent,
                          note="Loyal customer, one day late.")
    assert ret.against_engine and ret.review_rule == "A2"
    event = TimelineEvent.objects.get(ticket=ret, action="returns.return.accepted")
    assert event.data["in_customer_favour"] is True


# --- quality report -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_quality_claim_is_inspected_before_ship_back(order, staff):
    ret = walk(order, State.INSPECTION, staff, reason=Reason.QUALITY)
    assert ret.state == State.INSPECTION
    ret = s.return_quality_report(return_pk=ret.pk, version=ret.version,
                                  actor=staff["quality"], confirmed=True,
                                  report="Heating element fails under load.")
    assert ret.state == State.AWAIT_SHIPBACK
    assert ret.decision_facts["quality_confirmed"] is True
    assert ret.shipback_sent_at is not None


@pytest.mark.django_db
def test_an_unconfirmed_quality_claim_goes_back_to_review(order, staff):
    ret = walk(order, State.INSPECTION, staff, reason=Reason.QUALITY)
    ret = s.return_quality_report(return_pk=ret.pk, version=ret.version,
                                  actor=staff["quality"], confirmed=False, report="Works fine.")
    assert ret.state == State.REVIEWING


@pytest.mark.django_db
def test_a_no_reason_return_never_needs_an_inspection_report(order, staff):
    ret = walk(order, State.AWAIT_SHIPBACK, staff)
    assert not ret.events.filter(to_state=State.INSPECTION).exists()
    with pytest.raises(TransitionRefused):
        s.return_quality_report(return_pk=ret.pk, version=ret.version,
                                actor=staff["quality"], confirmed=True, report="x")


# --- warehouse and refund -----------------------------------------------------------------------

@pytest.mark.django_db
def test_receipt_is_stamped_and_inspection_is_due_in_two_working_days(order, staff):
    ret = walk(order, State.RECEIVED, staff)
    assert ret.goods_received_at is not None
    assert ret.sla_due_at == s.inspection_due(ret.goods_received_at)
    assert ret.sla_due_at - ret.goods_received_at >= timedelta(days=2)


@pytest.mark.django_db
def test_a_passed_inspection_starts_the_refund_due_in_seven_days(order, staff):
    ret = walk(order, State.REFUNDING, staff)
    received = timezone.localdate(ret.goods_received_at)
    assert ret.refund_due_on == received + timedelta(days=7)
    assert ret.refund_amount_due == Decimal("299.00")
    assert ret.refund_breakdown["total"] == "299.00"


@pytest.mark.django_db
def test_a_failed_inspection_spawns_a_linked_complaint(order, staff, fake_complaint_kind):
    ret = walk(order, State.INSPECTED, staff, passed=False)
    assert ret.inspection_passed is False and ret.decision_rule == "A5"
    assert fake_complaint_kind[0]["origin"] == ret.pk
    assert fake_complaint_kind[0]["reason"] == "inspection_failed"


@pytest.mark.django_db
def test_lowering_the_refund_needs_a_reason_and_a_supervisor(order, staff):
    ret = walk(order, State.REFUNDING, staff)
    with pytest.raises(DomainError, match="Say why"):
        s.return_refund(return_pk=ret.pk, version=ret.version, actor=staff["supervisor"],
                        amount=Decimal("250.00"))
    with pytest.raises(PermissionRefused):
        s.return_refund(return_pk=ret.pk, version=ret.version, actor=staff["agent"],
                        amount=Decimal("250.00"), lowered_reason="Scratched")
    with pytest.raises(DomainError, match="cannot be more"):
        s.return_refund(return_pk=ret.pk, version=ret.version, actor=staff["agent"],
                        amount=Decimal("300.00"))
    ret = s.return_refund(return_pk=ret.pk, version=ret.version, actor=staff["supervisor"],
                          amount=Decimal("250.00"), lowered_reason="Scratched")
    assert ret.state == State.COMPLETED and ret.refund_amount == Decimal("250.00")
    assert ret.refund_lowered_approved_by == staff["supervisor"]
    assert FollowUp.objects.filter(ticket=ret).exists()


@pytest.mark.django_db
def test_a_refund_only_request_needs_no_goods_back(order, agent):
    ret = create(order, request_type=RequestType.REFUND_ONLY)
    ret = s.return_accept(return_pk=ret.pk, version=ret.version, actor=agent)
    assert ret.state == State.REFUNDING and ret.shipback_sent_at is None
    ret = s.return_refund(return_pk=ret.pk, version=ret.version, actor=agent)
    assert ret.state == State.COMPLETED


# --- T10 ------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_refunds_owed_more_than_15_days_are_flagged_once(order, staff):
    ret = walk(order, State.REFUNDING, staff)
    paid = walk(make_order(), State.COMPLETED, staff)
    for case in (ret, paid):
        ReturnOrder.objects.filter(pk=case.pk).update(
            goods_received_at=timezone.now() - timedelta(days=16))
    assert s.flag_deliberate_delays() == [ret.pk]
    assert s.flag_deliberate_delays() == []
    assert fresh(ret).delay_flagged_at is not None
    assert OutboxMessage.objects.filter(
        task="aftersales.notify_staff", args=[ret.pk, "deemed_deliberate_delay", "supervisors"]
    ).count() == 1


@pytest.mark.django_db
def test_a_refund_owed_exactly_15_days_is_not_flagged_yet(order, staff):
    ret = walk(order, State.REFUNDING, staff)
    ReturnOrder.objects.filter(pk=ret.pk).update(
        goods_received_at=timezone.now() - timedelta(days=15))
    assert s.flag_deliberate_delays() == []


# --- exchange and advance replacement ------------------------------------------------------------

@pytest.mark.django_db
def test_an_exchange_is_reshipped_with_a_tracking_number(order, staff):
    ret = walk(order, State.INSPECTED, staff, request_type=RequestType.EXCHANGE,
               reason=Reason.NOT_AS_DESCRIBED)
    ret = s.return_ship_replacement(return_pk=ret.pk, version=ret.version, actor=staff["agent"],
                                    carrier="SF", tracking_number="SF 777")
    assert ret.state == State.REPLACEMENT_SHIPPED and ret.replacement_tracking_number == "SF777"
    assert ret.decision_reshipment == "seller"


@pytest.mark.django_db
def test_advance_replacement_tracks_the_old_unit_and_closes_when_it_is_back(order, staff):
    ret = walk(order, State.AWAIT_SHIPBACK, staff, request_type=RequestType.EXCHANGE,
               reason=Reason.NOT_AS_DESCRIBED, advance=True)
    assert ret.advance_shipped_at is not None
    assert ret.old_unit_due_on == timezone.localdate() + timedelta(days=7)
    ret = walk(make_order(), State.COMPLETED, staff, request_type=RequestType.EXCHANGE,
               reason=Reason.NOT_AS_DESCRIBED, advance=True)
    assert ret.state == State.COMPLETED and ret.unreturned_charge is None


@pytest.mark.django_db
def test_advance_replacement_respects_the_cap(staff, settings):
    settings.RETURNS_ADVANCE_REPLACEMENT_CAP = "100.00"
    ret = walk(make_order(price="299.00"), State.AWAIT_SHIPBACK, staff,
               request_type=RequestType.EXCHANGE, reason=Reason.NOT_AS_DESCRIBED)
    with pytest.raises(DomainError, match="cost more than"):
        s.return_ship_advance(return_pk=ret.pk, version=ret.version, actor=staff["agent"],
                              carrier="SF", tracking_number="SF1")


@pytest.mark.django_db
def test_an_old_unit_never_returned_is_reminded_then_charged(staff):
    customer = CustomerFactory()
    ret = walk(make_order(customer=customer), State.AWAIT_SHIPBACK, staff,
               request_type=RequestType.EXCHANGE, reason=Reason.NOT_AS_DESCRIBED, advance=True)
    with pytest.raises(TransitionRefused):
        s.return_charge_unreturned(return_pk=ret.pk, version=ret.version,
                                   actor=staff["supervisor"])
    ReturnOrder.objects.filter(pk=ret.pk).update(
        old_unit_due_on=timezone.localdate() - timedelta(days=1))
    assert s.remind_old_units() == [ret.pk]
    assert s.remind_old_units() == []
    ret = fresh(ret)
    with pytest.raises(PermissionRefused):
        s.return_charge_unreturned(return_pk=ret.pk, version=ret.version, actor=staff["agent"])
    ret = s.return_charge_unreturned(return_pk=ret.pk, version=ret.version,
                                     actor=staff["supervisor"])
    assert ret.state == State.COMPLETED and ret.unreturned_charge == Decimal("299.00")
    # Standing: this customer gets no advance replacement next time.
    later = walk(make_order(customer=customer), State.AWAIT_SHIPBACK, staff,
                 request_type=RequestType.EXCHANGE, reason=Reason.NOT_AS_DESCRIBED)
    assert not s.advance_replacement_check(later).allowed


# --- spawn across kinds and return visit ----------------------------------------------

@pytest.mark.django_db
def test_another_kind_starts_a_return_through_the_registry(order, agent):
    assert spawnable("RETURN")
    origin = create(make_order())
    line = order.lines.get()
    ret = spawn_case("RETURN", origin=origin, actor=agent, reason="complaint_solution",
                     order_line=line, request_type=RequestType.EXCHANGE, quantity=1)
    assert isinstance(ret, ReturnOrder) and ret.origin_id == origin.pk
    assert ret.order_id == order.pk and ret.reason == Reason.QUALITY
    assert origin.events.filter(action="returns.return.spawned").exists()


@pytest.mark.django_db
def test_a_dissatisfied_return_visit_opens_a_complaint(order, staff, fake_complaint_kind):
    ret = walk(order, State.COMPLETED, staff)
    get_kind("RETURN").on_feedback(ticket_pk=ret.pk, actor=None, satisfied=False, rating=2,
                                   comment="Refund came late.", method="ONLINE")
    assert fresh(ret).return_visit_result == "DISSATISFIED"
    assert fake_complaint_kind[0]["reason"] == "return_visit_dissatisfied"


@pytest.mark.django_db
def test_an_inspection_past_its_two_working_days_is_breached_by_the_kernel_sweep(order, staff):
    from aftersales.sla.sweep import sla_sweep

    ret = walk(order, State.RECEIVED, staff)
    result = sla_sweep(now=ret.sla_due_at + timedelta(minutes=1))
    assert ret.pk in result.breached
    assert fresh(ret).sla_status == "breached"


@pytest.mark.django_db
def test_the_periodic_task_runs_both_sweeps(order, staff):
    from returns.tasks import sweep

    ret = walk(order, State.REFUNDING, staff)
    ReturnOrder.objects.filter(pk=ret.pk).update(
        goods_received_at=timezone.now() - timedelta(days=20))
    assert sweep.delay().get() == {"flagged": 1, "reminded": 0}
