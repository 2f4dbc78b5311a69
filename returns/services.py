"""Return order use-cases (domain.md §5.2). One transaction each; side effects via the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.contacts import ticket_customer_email, ticket_customer_phone
from aftersales.cases.kinds import UnknownKind, spawn_case, spawnable
from aftersales.cases.services import (
    attachments_store,
    ticket_create,
    ticket_create_once,
    ticket_lock,
    ticket_save,
    ticket_transition,
    timeline_record,
)
from aftersales.cases.uploads import CheckedUpload
from aftersales.core import outbox
from aftersales.core.choices import Channel, DepartmentKind, SlaStatus, TicketKind
from aftersales.core.exceptions import DomainError, PermissionRefused
from aftersales.eligibility import Decision, Option, refund_deadline
from aftersales.eligibility.days import T10_DELIBERATE_DAYS
from aftersales.followups.services import SurveyClosed, follow_up_record, follow_up_take_open
from aftersales.models import (
    Customer,
    Department,
    FollowUp,
    Order,
    OrderLine,
    Ticket,
    TimelineEvent,
)
from aftersales.people.services import Actor
from aftersales.sla import clocks as sla
from aftersales.sla.calendar import get_calendar

from . import conf, rules
from .choices import (
    FORBIDDEN_DECLINE_REASONS,
    Carrier,
    DeclineReason,
    Reason,
    RequestType,
    ReturnVisitResult,
    State,
)
from .models import ReturnLine, ReturnOrder

ACTION = "returns.return.{}".format
DECISION_FIELDS = [
    "decision_rule", "decision_options", "decision_basis", "decision_window_ends",
    "decision_return_shipping", "decision_reshipment", "decision_pickup", "decision_facts",
    "decision_at",
]
# T5: the warehouse inspects within two working days of receipt.
INSPECTION_WORKING_DAYS = 2
# What each request needs the engine to offer.
OPTION_OF_REQUEST = {
    RequestType.REFUND_ONLY: Option.RETURN,
    RequestType.RETURN_REFUND: Option.RETURN,
    RequestType.EXCHANGE: Option.EXCHANGE,
}


def _notify_customer(ret: ReturnOrder, template: str) -> None:
    outbox.enqueue("returns.notify_customer", [ret.pk, template])


def _notify_staff(ret: ReturnOrder, template: str, recipients: str) -> None:
    outbox.enqueue("aftersales.notify_staff", [ret.pk, template, recipients])


def _lock(return_pk: int, version: int | None) -> ReturnOrder:
    return ticket_lock(ReturnOrder, return_pk, version=version)


def _is_staff(actor: Actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


# --- the engine's decision ------------------------------------------------------------

def lines_of(ret: ReturnOrder) -> list[ReturnLine]:
    return list(ret.lines.select_related("order_line__order", "order_line__product"))


def return_evaluate(ret: ReturnOrder, *, lines: list[ReturnLine] | None = None
                    ) -> Decision | None:
    """Ask the engine about the case's first line with what is known now; store the answer.

    The caller saves ``DECISION_FIELDS``.
    """
    lines = lines if lines is not None else lines_of(ret)
    if not lines:
        return None
    # Findings recorded with an earlier decision (repairs so far, damage by use) still hold.
    earlier = ret.decision_facts or {}
    facts = rules.facts_for_line(
        lines[0].order_line, reason=ret.reason, notice_at=ret.received_at,
        goods_complete=ret.goods_complete, quality_confirmed=ret.quality_confirmed,
        repair_count=earlier.get("repair_count", 0),
        repair_overrun=earlier.get("repair_overrun", False),
        human_damage=earlier.get("fault_type") == "HUMAN_DAMAGE",
    )
    decision = rules.decide(facts)
    ret.decision_at = timezone.now()
    if decision is None:
        ret.decision_rule = ""
        ret.decision_options = []
        ret.decision_basis = ""
        ret.decision_window_ends = None
        ret.decision_return_shipping = ret.decision_reshipment = ""
        ret.decision_pickup = False
        ret.decision_facts = {}
        return None
    ret.decision_rule = decision.rule
    ret.decision_options = sorted(decision.options)
    ret.decision_basis = decision.basis
    ret.decision_window_ends = decision.window_ends
    ret.decision_return_shipping = decision.return_shipping or ""
    ret.decision_reshipment = decision.reshipment or ""
    ret.decision_pickup = decision.pickup
    ret.decision_facts = rules.facts_as_dict(facts)
    return decision


def engine_grants(ret: ReturnOrder) -> bool:
    """Whether the stored decision gives the customer what they asked for."""
    wanted = OPTION_OF_REQUEST[ret.request_type]
    return wanted in (ret.decision_options or [])


def stored_decision(ret: ReturnOrder) -> Decision | None:
    """The decision re-rendered from the stored facts (its explanation in today's language)."""
    if not ret.decision_facts:
        return None
    return rules.decide(rules.facts_from_dict(ret.decision_facts))


# --- create -----------------------------------------------------------------------------

@dataclass
class ReturnIntake:
    """What a return request collects: who, which order lines, what and why."""

    name: str
    order: Order
    lines: list[tuple[OrderLine, int]]
    request_type: str
    reason: str
    phone: str = ""
    email: str = ""
    description: str = ""
    channel: str = Channel.WEBFORM
    received_at: datetime | None = None
    customer: Customer | None = None
    origin: Ticket | None = None
    language: str = "zh-hans"
    extra: dict = field(default_factory=dict)


def returned_so_far(order_line_ids: list[int], *, exclude_pk: int | None = None
                    ) -> dict[int, int]:
    """Units of each line already asked back by open or completed returns (not declined)."""
    rows = (ReturnLine.objects.filter(order_line_id__in=order_line_ids)
            .exclude(return_order__state=State.DECLINED))
    if exclude_pk is not None:
        rows = rows.exclude(return_order_id=exclude_pk)
    return dict(rows.values("order_line_id").annotate(units=Sum("quantity"))
                .values_list("order_line_id", "units"))


def _check_lines(intake: ReturnIntake) -> None:
    if intake.request_type not in RequestType.values:
        raise DomainError(_("Choose refund only, return and refund, or exchange."))
    if intake.reason not in Reason.values:
        raise DomainError(_("Choose why you want to return the goods."))
    if not intake.lines:
        raise DomainError(_("Choose at least one item of the order."))
    seen = set()
    for line, quantity in intake.lines:
        if line.order_id != intake.order.pk:
            raise DomainError(_("That item is not part of this order."))
        if line.pk in seen:
            raise DomainError(_("Each item can be chosen once."))
        seen.add(line.pk)
        if quantity < 1 or quantity > line.quantity:
            raise DomainError(_("You can return between 1 and %(max)d of %(product)s.")
                              % {"max": line.quantity, "product": line.product.name})
    if (intake.request_type == RequestType.EXCHANGE
            and intake.reason == Reason.NO_REASON and not conf.tenant_policy().no_reason_exchange):
        raise DomainError(_("An exchange without a reason is not offered; choose a return "
                            "and refund instead, or tell us what is wrong."))


def return_create(*, intake: ReturnIntake, actor: Actor, uploads: list[CheckedUpload] = (),
                  form_token: str | None = None) -> ReturnOrder:
    """Create a return request and put it up for review, with the engine's first answer.

    With the ``form_token`` of the form it came from, a second post returns the first case.
    """
    _check_lines(intake)
    return ticket_create_once(ReturnOrder, form_token, lambda: _return_create(
        intake=intake, actor=actor, uploads=uploads, form_token=form_token))


def _return_create(*, intake: ReturnIntake, actor: Actor, uploads: list[CheckedUpload],
                   form_token: str | None) -> ReturnOrder:
    received_at = intake.received_at or timezone.now()
    with transaction.atomic():
        wanted = {line.pk: quantity for line, quantity in intake.lines}
        # Lock the order lines so two requests at once cannot both take the last unit.
        locked = {line.pk: line for line in OrderLine.objects.select_for_update()
                  .select_related("order", "product").filter(pk__in=wanted).order_by("pk")}
        earlier_units = returned_so_far(list(wanted))
        for line_pk, quantity in wanted.items():
            left = locked[line_pk].quantity - earlier_units.get(line_pk, 0)
            if quantity > left:
                raise DomainError(
                    _("Only %(left)d of %(product)s can still be returned; the rest is in "
                      "another request.") % {"left": max(left, 0),
                                              "product": locked[line_pk].product.name})
        # The order's customer: the portal found the order by its number and the contact
        # on it; an agent registers for the caller the order names.
        customer = intake.customer or intake.order.customer
        first = locked[intake.lines[0][0].pk]
        ret = ReturnOrder(
            kind=TicketKind.RETURN,
            channel=intake.channel,
            customer=customer,
            order=intake.order,
            order_line=first,
            product=first.product,
            order_number_given=intake.order.number,
            request_type=intake.request_type,
            reason=intake.reason,
            description=intake.description,
            received_at=received_at,
            registered_by=actor if _is_staff(actor) else None,
            origin=intake.origin,
            language=intake.language,
            severity="S4",
            state=State.REQUESTED,
        )
        ret.set_contact_given(phone=intake.phone, email=intake.email)
        lines = [ReturnLine(return_order=ret, order_line=locked[pk], quantity=quantity)
                 for pk, quantity in wanted.items()]
        decision = return_evaluate(ret, lines=lines)
        # T4: the review is due within the first-response target (24 h by default).
        sla.ticket_start_clock(ret, "first_response", at=received_at)
        event = ticket_create(
            ret, actor=actor, form_token=form_token, received_action=ACTION("received"),
            received_data={"channel": intake.channel, "request_type": intake.request_type,
                           "return_reason": intake.reason,
                           "origin": intake.origin.number if intake.origin else None},
            transition="start_review", action=ACTION("review_started"),
            data={"rule": decision.rule if decision else None,
                  "options": sorted(decision.options) if decision else []},
        )
        ReturnLine.objects.bulk_create(lines)
        attachments_store(ret, list(uploads), event=event, customer_visible=True)
        if ticket_customer_email(ret) or ticket_customer_phone(ret):
            _notify_customer(ret, "received")
    return ret


def return_spawn(*, origin: Ticket, actor: Actor, reason: str = "",
                 order_line: OrderLine | None = None, request_type: str = RequestType.RETURN_REFUND,
                 quantity: int = 1, return_reason: str | None = None, description: str = "",
                 **details) -> ReturnOrder:
    """A return started from another case (a complaint, a repair job), linked by origin.

    ``reason`` is why the other case starts it (shown on the timeline); ``return_reason``
    the return's own reason code, a quality problem unless given.
    """
    line = order_line or origin.order_line
    if line is None:
        raise DomainError(_("Choose the order line the return is for."))
    line = OrderLine.objects.select_related("order__customer", "product").get(pk=line.pk)
    customer = origin.customer if origin.customer_id else line.order.customer
    ret = return_create(
        intake=ReturnIntake(
            name=customer.name, order=line.order, lines=[(line, quantity)],
            request_type=request_type, reason=return_reason or Reason.QUALITY,
            description=description or reason, channel=origin.channel or Channel.OTHERDEPT,
            customer=customer, origin=origin, language=origin.language,
        ),
        actor=actor,
    )
    with transaction.atomic():
        timeline_record(ticket=origin, action=ACTION("spawned"), actor=actor, note=reason,
                        data={"number": ret.number})
    return ret


# --- review -----------------------------------------------------------------------------

def return_accept(*, return_pk: int, version: int | None, actor: Actor, rule: str = "",
                  note: str = "") -> ReturnOrder:
    """Accept (受理): the case is taken on under a rule; the next step follows at once.

    Accepting where the engine gives nothing is deciding in the customer's favour: allowed
    and recorded, as is the rule the reviewer relied on.
    """
    with transaction.atomic():
        ret = _lock(return_pk, version)
        lines = lines_of(ret)
        return_evaluate(ret, lines=lines)
        favour = not engine_grants(ret)
        relied_on = rule or ret.decision_rule
        if favour and not note.strip():
            raise DomainError(_("The rules do not give the customer this; say why you accept "
                                "it in their favour."))
        ticket_transition(
            ret, "accept", actor=actor, action=ACTION("accepted"), note=note,
            customer_visible=True,
            data={"rule": relied_on, "engine_rule": ret.decision_rule,
                  "in_customer_favour": favour},
        )
        ret.review_rule = relied_on
        ret.reviewed_by = actor
        ret.reviewed_at = timezone.now()
        ret.against_engine = favour
        sla.ticket_first_response_done(ret)
        _route(ret, actor)
        ticket_save(ret, ["review_rule", "reviewed_by", "reviewed_at", "against_engine",
                          *DECISION_FIELDS, *ROUTE_FIELDS, *sla.CLOCK_FIELDS])
        _notify_customer(ret, "accepted")
    return ret


ROUTE_FIELDS = ["department", "shipback_address", "shipback_contact", "shipback_phone",
                "shipback_sent_at", "pickup_booked", "return_carrier", "refund_due_on",
                "refund_breakdown", "refund_amount_due"]


def _route(ret: ReturnOrder, actor: Actor) -> None:
    """After acceptance (or a confirming quality report): inspection, ship-back or refund."""
    if ret.state == State.ACCEPTED:
        ticket_transition(ret, "route", actor=actor, action=ACTION("routed"),
                          check_permission=False)
    routed_to = {State.INSPECTION: DepartmentKind.QUALITY,
                 State.AWAIT_SHIPBACK: DepartmentKind.WAREHOUSE}.get(ret.state)
    if routed_to is not None:
        department = (Department.objects.filter(kind=routed_to, active=True)
                      .order_by("pk").first())
        if department is not None:
            ret.department = department
    if ret.state == State.AWAIT_SHIPBACK:
        _send_shipback(ret, actor)
    elif ret.state == State.REFUNDING:
        _start_refund_clock(ret, timezone.now())


def _send_shipback(ret: ReturnOrder, actor: Actor) -> None:
    """Return address, contact and phone, sent at once (7D Art. 11); pickup for damage."""
    address = conf.return_address()
    ret.shipback_address = address.address
    ret.shipback_contact = address.contact
    ret.shipback_phone = address.phone
    ret.shipback_sent_at = timezone.now()
    ret.pickup_booked = bool(ret.decision_pickup or ret.reason == Reason.TRANSPORT_DAMAGE)
    if ret.pickup_booked:
        ret.return_carrier = Carrier.PICKUP
    timeline_record(
        ticket=ret, action=ACTION("shipback_sent"), actor=actor, customer_visible=True,
        data={"pickup": ret.pickup_booked, "return_shipping": ret.decision_return_shipping},
    )
    _notify_customer(ret, "shipback")


def return_decline(*, return_pk: int, version: int | None, actor: Actor, reason: str,
                   message: str) -> ReturnOrder:
    """Decline with a reason the customer sees.

    A reason the law forbids is refused whoever asks (7D Art. 8, 31). Declining what the
    engine grants is deciding against the customer: a supervisor only.
    """
    if reason not in DeclineReason.values:
        raise DomainError(_("Choose a reason."))
    if not message.strip():
        raise DomainError(_("Write the reason the customer will read."))
    with transaction.atomic():
        ret = _lock(return_pk, version)
        if reason in FORBIDDEN_DECLINE_REASONS:
            raise DomainError(_(
                "A return cannot be refused because the package was opened: opening it or a "
                "reasonable trial keeps the goods complete (7D Art. 8 and 31)."))
        lines = lines_of(ret)
        return_evaluate(ret, lines=lines)
        against = engine_grants(ret)
        if against and not actor.has_perm("returns.decide_against_customer"):
            raise PermissionRefused(_(
                "The rules give the customer this (rule %(rule)s); only a supervisor may "
                "decline it.") % {"rule": ret.decision_rule})
        ticket_transition(
            ret, "decline", actor=actor, action=ACTION("declined"), note=message,
            customer_visible=True, args=(reason, message),
            data={"decline_reason": reason, "engine_rule": ret.decision_rule,
                  "against_customer": against},
        )
        ret.reviewed_by = actor
        ret.reviewed_at = timezone.now()
        ret.against_engine = against
        sla.ticket_first_response_done(ret)
        sla.ticket_stop_clock(ret, closed=True)
        ticket_save(ret, ["decline_reason", "decline_message", "reviewed_by", "reviewed_at",
                          "against_engine", *DECISION_FIELDS, *sla.CLOCK_FIELDS])
        _notify_customer(ret, "declined")
    return ret


def _spawn_complaint(ret: ReturnOrder, actor: Actor, reason: str, description: str
                     ) -> Ticket | None:
    """A linked complaint through the kernel's registry; nothing when no kind takes it."""
    if not spawnable("COMPLAINT"):
        return None
    try:
        complaint = spawn_case("COMPLAINT", origin=ret, actor=actor, reason=reason,
                               description=description)
    except UnknownKind:
        return None
    timeline_record(ticket=ret, action=ACTION("complaint_spawned"), actor=actor,
                    data={"number": complaint.number, "spawn_reason": reason})
    return complaint


def return_dispute(*, return_pk: int, text: str) -> Ticket | None:
    """The customer disputes a decline from the tracking page: a linked complaint starts."""
    if not text.strip():
        raise DomainError(_("Please tell us why you disagree."))
    with transaction.atomic():
        ret = _lock(return_pk, None)
        if ret.state != State.DECLINED:
            raise DomainError(_("Only a declined request can be disputed."))
        if ret.disputed_at is not None:
            raise DomainError(_("You have disputed this decision already; a complaint is "
                                "being handled."))
        ret.disputed_at = timezone.now()
        timeline_record(ticket=ret, action=ACTION("disputed"), note=text,
                        actor_kind=TimelineEvent.ActorKind.CUSTOMER, customer_visible=True)
        complaint = _spawn_complaint(ret, None, "disputed_decline", text)
        ticket_save(ret, ["disputed_at"])
    return complaint


# --- quality report -----------------------------------------------------------------------

def return_quality_report(*, return_pk: int, version: int | None, actor: Actor,
                          confirmed: bool, report: str,
                          uploads: list[CheckedUpload] = ()) -> ReturnOrder:
    """The quality department's inspection report (P1 6.2.3); never for no-reason returns."""
    if not report.strip():
        raise DomainError(_("Write the inspection report."))
    with transaction.atomic():
        ret = _lock(return_pk, version)
        event = ticket_transition(
            ret, "record_quality_report", actor=actor, action=ACTION("quality_reported"),
            note=report, args=(confirmed,), customer_visible=True,
            data={"confirmed": confirmed},
        )
        attachments_store(ret, list(uploads), event=event, customer_visible=True)
        ret.quality_report = report
        ret.quality_reported_at = timezone.now()
        return_evaluate(ret)
        _route(ret, actor)
        ticket_save(ret, ["quality_confirmed", "quality_report", "quality_reported_at",
                          *DECISION_FIELDS, *ROUTE_FIELDS, *sla.CLOCK_FIELDS])
    return ret


# --- ship-back, warehouse -------------------------------------------------------------------

def return_customer_ship(*, return_pk: int, carrier: str, tracking_number: str,
                         actor: Actor = None, version: int | None = None) -> ReturnOrder:
    """The customer (tracking page) or an agent for them enters carrier and tracking number.

    Any carrier is accepted: the customer's own return method is never restricted
    (7D Art. 19).
    """
    tracking_number = "".join(tracking_number.split())
    if carrier not in Carrier.values:
        raise DomainError(_("Choose the carrier."))
    if not tracking_number and carrier != Carrier.PICKUP:
        raise DomainError(_("Enter the tracking number."))
    staff = _is_staff(actor)
    with transaction.atomic():
        ret = _lock(return_pk, version)
        ticket_transition(
            ret, "ship_back", actor=actor, action=ACTION("shipped_back"),
            args=(carrier, tracking_number), customer_visible=True, check_permission=staff,
            actor_kind=None if staff else TimelineEvent.ActorKind.CUSTOMER,
            data={"carrier": carrier, "tracking_number": tracking_number},
        )
        ret.customer_shipped_at = timezone.now()
        ticket_save(ret, ["return_carrier", "return_tracking_number", "customer_shipped_at"])
    return ret


def inspection_due(start: datetime) -> datetime:
    """T5: the end of the second working day after the day the goods arrived."""
    calendar = get_calendar()
    day = timezone.localdate(start)
    for _step in range(INSPECTION_WORKING_DAYS):
        day = calendar.next_working_day(day + timedelta(days=1))
    return _end_of(day)


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min,
                            tzinfo=timezone.get_current_timezone())


def _start_deadline(ret: ReturnOrder, due: datetime, start: datetime) -> None:
    """Run the case's resolution clock to a statutory or working-day deadline."""
    ret.sla_clock = "resolution"
    ret.sla_started_at = start
    ret.sla_due_at = due
    ret.sla_warn_at = start + (due - start) * 0.8
    ret.sla_status = SlaStatus.ON_TRACK
    ret.sla_paused_at = None
    ret.sla_remaining_seconds = None
    ret.resolution_due_at = due


def _start_refund_clock(ret: ReturnOrder, start: datetime) -> None:
    """T6: refund within the policy's days of receipt (a seller deadline, never extended)."""
    received = timezone.localdate(ret.goods_received_at or start)
    ret.refund_due_on = refund_deadline(received, conf.tenant_policy().refund_days)
    breakdown = refund_breakdown_for(ret)
    ret.refund_breakdown = rules.breakdown_as_dict(breakdown)
    ret.refund_amount_due = breakdown.total
    _start_deadline(ret, _end_of(ret.refund_due_on), start)


def refund_breakdown_for(ret: ReturnOrder):
    order = Order.objects.prefetch_related("lines__product", "payments", "deals").get(
        pk=ret.order_id)
    quantities = dict(ret.lines.values_list("order_line_id", "quantity"))
    return rules.refund_for(order, quantities, reason=ret.reason, lines=order.lines.all(),
                            payments=order.payments.all(), deals=order.deals.all())


def return_receive(*, return_pk: int, version: int | None, actor: Actor) -> ReturnOrder:
    """The warehouse has the goods: receipt time stamped, T5 inspection clock starts."""
    with transaction.atomic():
        ret = _lock(return_pk, version)
        now = timezone.now()
        ticket_transition(ret, "receive", actor=actor, action=ACTION("received_goods"),
                          customer_visible=True)
        ret.goods_received_at = now
        _start_deadline(ret, inspection_due(now), now)
        ticket_save(ret, ["goods_received_at", *sla.CLOCK_FIELDS])
    return ret


def return_inspect(*, return_pk: int, version: int | None, actor: Actor, complete: bool,
                   original: bool, quality_problem: bool, note: str = "",
                   uploads: list[CheckedUpload] = ()) -> ReturnOrder:
    """The warehouse's inspection; a failed one spawns a linked complaint."""
    with transaction.atomic():
        ret = _lock(return_pk, version)
        event = ticket_transition(
            ret, "inspect", actor=actor, action=ACTION("inspected"), note=note,
            customer_visible=True, args=(complete, original, quality_problem),
            data={"complete": complete, "original": original, "quality_problem": quality_problem},
        )
        ret.inspected_at = timezone.now()
        ret.inspection_note = note
        attachments_store(ret, list(uploads), event=event, customer_visible=True)
        return_evaluate(ret)
        if ret.state == State.REFUNDING:
            _start_refund_clock(ret, ret.inspected_at)
        else:
            sla.ticket_stop_clock(ret)
        if ret.inspection_passed is False:
            _spawn_complaint(ret, actor, "inspection_failed", note)
        ticket_save(ret, ["inspected_at", "inspection_note", "goods_complete", "goods_original",
                          "quality_problem", "inspection_passed", "refund_due_on",
                          "refund_breakdown", "refund_amount_due", *DECISION_FIELDS,
                          *sla.CLOCK_FIELDS])
    return ret


def return_reject_goods(*, return_pk: int, version: int | None, actor: Actor,
                        message: str) -> ReturnOrder:
    if not message.strip():
        raise DomainError(_("Write the reason the customer will read."))
    with transaction.atomic():
        ret = _lock(return_pk, version)
        ticket_transition(ret, "reject_goods", actor=actor, action=ACTION("goods_rejected"),
                          note=message, args=(message,), customer_visible=True)
        sla.ticket_stop_clock(ret, closed=True)
        ticket_save(ret, ["decline_reason", "decline_message", *sla.CLOCK_FIELDS])
        _notify_customer(ret, "declined")
    return ret


# --- refund -------------------------------------------------------------------------------

def return_start_refund(*, return_pk: int, version: int | None, actor: Actor) -> ReturnOrder:
    with transaction.atomic():
        ret = _lock(return_pk, version)
        ticket_transition(ret, "start_refund", actor=actor, action=ACTION("refund_started"),
                          customer_visible=True)
        _start_refund_clock(ret, timezone.now())
        ticket_save(ret, ["refund_due_on", "refund_breakdown", "refund_amount_due",
                          *sla.CLOCK_FIELDS])
    return ret


def return_refund(*, return_pk: int, version: int | None, actor: Actor,
                  amount: Decimal | None = None, lowered_reason: str = "") -> ReturnOrder:
    """Pay the refund per §7.5; a lower amount needs a reason and a supervisor."""
    with transaction.atomic():
        ret = _lock(return_pk, version)
        due = ret.refund_amount_due
        if due is None:
            breakdown = refund_breakdown_for(ret)
            due = breakdown.total
            ret.refund_breakdown = rules.breakdown_as_dict(breakdown)
            ret.refund_amount_due = due
        amount = due if amount is None else amount.quantize(Decimal("0.01"))
        if amount < 0:
            raise DomainError(_("A refund cannot be negative."))
        if amount > due:
            raise DomainError(_("The refund cannot be more than %(due)s yuan, what was paid "
                                "for these goods.") % {"due": due})
        if amount < due:
            if not lowered_reason.strip():
                raise DomainError(_("Say why the refund is lower than the %(due)s yuan due.")
                                  % {"due": due})
            if not actor.has_perm("returns.approve_refund_reduction"):
                raise PermissionRefused(_("A refund lower than due needs a supervisor."))
            ret.refund_lowered_reason = lowered_reason
            ret.refund_lowered_approved_by = actor
        ticket_transition(
            ret, "refund", actor=actor, action=ACTION("refunded"), customer_visible=True,
            note=lowered_reason if amount < due else "",
            data={"amount": str(amount), "due": str(due), "lowered": amount < due,
                  "late": timezone.localdate() > ret.refund_due_on if ret.refund_due_on
                  else False},
        )
        ret.refund_amount = amount
        ret.refunded_at = timezone.now()
        _finish(ret)
        ticket_save(ret, ["refund_amount", "refund_breakdown", "refund_amount_due",
                          "refund_lowered_reason", "refund_lowered_approved_by", "refunded_at",
                          *sla.CLOCK_FIELDS])
        _notify_customer(ret, "refunded")
    return ret


def _finish(ret: ReturnOrder) -> None:
    """The case is done: clocks stop, the return visit (回访) is scheduled."""
    now = timezone.now()
    ret.resolved_at = now
    sla.ticket_stop_clock(ret, closed=True, at=now)
    sla.follow_up_schedule(ret, at=now)


# --- exchange ------------------------------------------------------------------------------

def return_ship_replacement(*, return_pk: int, version: int | None, actor: Actor,
                            carrier: str, tracking_number: str) -> ReturnOrder:
    """Same model and spec, re-shipped at the seller's cost with a tracking number."""
    tracking_number = "".join(tracking_number.split())
    if carrier not in Carrier.values or carrier == Carrier.PICKUP or not tracking_number:
        raise DomainError(_("Enter the carrier and the tracking number of the replacement."))
    with transaction.atomic():
        ret = _lock(return_pk, version)
        ticket_transition(ret, "ship_replacement", actor=actor,
                          action=ACTION("replacement_shipped"), args=(carrier, tracking_number),
                          customer_visible=True,
                          data={"carrier": carrier, "tracking_number": tracking_number})
        ret.replacement_shipped_at = timezone.now()
        ticket_save(ret, ["replacement_carrier", "replacement_tracking_number",
                          "replacement_shipped_at"])
        _notify_customer(ret, "replacement_shipped")
    return ret


@dataclass(frozen=True)
class AdvanceCheck:
    allowed: bool
    reason: str = ""


def advance_replacement_check(ret: ReturnOrder) -> AdvanceCheck:
    """先发后退 under the configured conditions: amount cap and the customer's standing."""
    cap = conf.advance_replacement_cap()
    paid = sum((line.order_line.price_paid * line.quantity for line in ret.lines.all()),
               Decimal("0.00"))
    if cap <= 0:
        return AdvanceCheck(False, str(_("Advance replacement is not offered.")))
    if paid > cap:
        return AdvanceCheck(False, str(_("The goods cost more than the %(cap)s yuan up to which "
                                         "we replace in advance.") % {"cap": cap}))
    unreturned = (ReturnOrder.objects.filter(customer_id=ret.customer_id,
                                             unreturned_charge__isnull=False)
                  .exclude(pk=ret.pk).exists())
    if unreturned:
        return AdvanceCheck(False, str(_("The customer once kept an old unit after an advance "
                                         "replacement.")))
    return AdvanceCheck(True)


def return_ship_advance(*, return_pk: int, version: int | None, actor: Actor, carrier: str,
                        tracking_number: str) -> ReturnOrder:
    """Ship the replacement before the old unit is back; its return is due and tracked."""
    tracking_number = "".join(tracking_number.split())
    if carrier not in Carrier.values or carrier == Carrier.PICKUP or not tracking_number:
        raise DomainError(_("Enter the carrier and the tracking number of the replacement."))
    with transaction.atomic():
        ret = _lock(return_pk, version)
        check = advance_replacement_check(ret)
        if not check.allowed:
            raise DomainError(check.reason)
        now = timezone.now()
        ticket_transition(ret, "ship_advance", actor=actor, action=ACTION("advance_shipped"),
                          args=(carrier, tracking_number), customer_visible=True,
                          data={"carrier": carrier, "tracking_number": tracking_number})
        ret.advance_shipped_at = now
        ret.replacement_shipped_at = now
        ret.old_unit_due_on = timezone.localdate(now) + timedelta(days=conf.advance_return_days())
        ticket_save(ret, ["replacement_carrier", "replacement_tracking_number",
                          "replacement_shipped_at", "advance_shipped_at", "old_unit_due_on"])
        _notify_customer(ret, "advance_shipped")
    return ret


def return_replacement_delivered(*, return_pk: int, version: int | None, actor: Actor
                                 ) -> ReturnOrder:
    with transaction.atomic():
        ret = _lock(return_pk, version)
        ticket_transition(ret, "replacement_delivered", actor=actor,
                          action=ACTION("completed"), customer_visible=True)
        _finish(ret)
        ticket_save(ret, sla.CLOCK_FIELDS)
    return ret


def return_close_exchange(*, return_pk: int, version: int | None, actor: Actor) -> ReturnOrder:
    """The old unit of an advance replacement is back and inspected: the exchange is done."""
    with transaction.atomic():
        ret = _lock(return_pk, version)
        ticket_transition(ret, "close_exchange", actor=actor, action=ACTION("completed"),
                          customer_visible=True)
        _finish(ret)
        ticket_save(ret, sla.CLOCK_FIELDS)
    return ret


def return_charge_unreturned(*, return_pk: int, version: int | None, actor: Actor,
                             note: str = "") -> ReturnOrder:
    """The old unit never came back: charge what was paid for it (the charge rule)."""
    with transaction.atomic():
        ret = _lock(return_pk, version)
        amount = sum((line.order_line.price_paid * line.quantity
                      for line in ret.lines.select_related("order_line")), Decimal("0.00"))
        ticket_transition(ret, "charge_unreturned", actor=actor, action=ACTION("charged"),
                          args=(amount,), note=note, customer_visible=True,
                          data={"amount": str(amount), "due_on": str(ret.old_unit_due_on)})
        _finish(ret)
        ticket_save(ret, ["unreturned_charge", *sla.CLOCK_FIELDS])
        _notify_customer(ret, "charged")
    return ret


# --- return visit ---------------------------------------------------------------------------

def return_record_feedback(*, ticket_pk: int, actor: Actor = None, satisfied: bool,
                           rating: int | None = None, comment: str = "", method: str = "ONLINE",
                           problem_solved: bool | None = None, follow_up: FollowUp | None = None,
                           ratings: dict | None = None) -> ReturnOrder:
    """The return visit's answer; a dissatisfied customer gets a linked complaint."""
    staff = _is_staff(actor)
    with transaction.atomic():
        ret = _lock(ticket_pk, None)
        if ret.return_visit_result:
            raise SurveyClosed()
        follow_up_record(
            ret, follow_up_take_open(ret.pk, follow_up), method=method, rating=rating,
            ratings=ratings, problem_solved=satisfied if problem_solved is None else problem_solved,
            comment=comment, recorded_by=actor if staff else None)
        ret.return_visit_result = (ReturnVisitResult.SATISFIED if satisfied
                                   else ReturnVisitResult.DISSATISFIED)
        timeline_record(ticket=ret, action=ACTION("return_visit"), note=comment,
                        actor=actor if staff else None, customer_visible=True,
                        actor_kind=None if staff else TimelineEvent.ActorKind.CUSTOMER,
                        data={"satisfied": satisfied, "rating": rating, "method": method})
        if not satisfied:
            _spawn_complaint(ret, actor, "return_visit_dissatisfied", comment)
        ticket_save(ret, ["return_visit_result"])
    return ret


def return_record_no_response(*, ticket_pk: int, follow_up: FollowUp | None = None
                              ) -> ReturnOrder:
    with transaction.atomic():
        ret = _lock(ticket_pk, None)
        if ret.return_visit_result:
            return ret
        ret.return_visit_result = ReturnVisitResult.NO_RESPONSE
        timeline_record(ticket=ret, action=ACTION("return_visit"),
                        data={"result": ReturnVisitResult.NO_RESPONSE,
                              "follow_up": follow_up.pk if follow_up else None})
        ticket_save(ret, ["return_visit_result"])
    return ret


# --- sweeps (set-based) ------------------------------------------------------------------

def flag_deliberate_delays(*, now: datetime | None = None) -> list[int]:
    """T10: refunds still owed more than 15 days after receipt are flagged, once each.

    One UPDATE … RETURNING over the partial index of owed refunds; the flag column is set
    in the same statement, so a repeated sweep flags nothing twice.
    """
    now = now or timezone.now()
    # Received on day R is deliberate from day R + 16 (delay_deemed_deliberate): the last
    # receipt day that counts today is 16 days ago, up to its 24:00.
    last_day = timezone.localdate(now) - timedelta(days=T10_DELIBERATE_DAYS + 1)
    table = connection.ops.quote_name(ReturnOrder._meta.db_table)
    ticket_table = connection.ops.quote_name(Ticket._meta.db_table)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET delay_flagged_at = %s "  # nosec B608: table names from model metadata; values bound
                f"WHERE refunded_at IS NULL AND delay_flagged_at IS NULL "
                f"AND goods_received_at IS NOT NULL AND goods_received_at < %s "
                f"AND ticket_ptr_id IN (SELECT id FROM {ticket_table} WHERE is_open = %s) "
                f"RETURNING ticket_ptr_id",
                [connection.ops.adapt_datetimefield_value(now),
                 connection.ops.adapt_datetimefield_value(_end_of(last_day)), True],
            )
            flagged = [row[0] for row in cursor.fetchall()]
        if flagged:
            TimelineEvent.objects.bulk_create([
                TimelineEvent(ticket_id=pk, action=ACTION("deemed_deliberate_delay"),
                              actor_kind=TimelineEvent.ActorKind.SYSTEM, created_at=now,
                              data={"days": T10_DELIBERATE_DAYS})
                for pk in flagged
            ])
            outbox.enqueue_many([
                outbox.Owed("aftersales.notify_staff", [pk, "deemed_deliberate_delay",
                                                        "supervisors"])
                for pk in flagged
            ])
    return flagged


def remind_old_units(*, now: datetime | None = None) -> list[int]:
    """Remind customers whose old unit of an advance replacement is due back soon, once."""
    now = now or timezone.now()
    soon = timezone.localdate(now) + timedelta(days=conf.advance_reminder_days())
    table = connection.ops.quote_name(ReturnOrder._meta.db_table)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET old_unit_reminded_at = %s "  # nosec B608: table name from model metadata; values bound
                f"WHERE advance_shipped_at IS NOT NULL AND goods_received_at IS NULL "
                f"AND old_unit_reminded_at IS NULL AND unreturned_charge IS NULL "
                f"AND old_unit_due_on <= %s RETURNING ticket_ptr_id",
                [connection.ops.adapt_datetimefield_value(now),
                 connection.ops.adapt_datefield_value(soon)],
            )
            reminded = [row[0] for row in cursor.fetchall()]
        if reminded:
            TimelineEvent.objects.bulk_create([
                TimelineEvent(ticket_id=pk, action=ACTION("old_unit_reminded"),
                              actor_kind=TimelineEvent.ActorKind.SYSTEM, created_at=now,
                              customer_visible=True)
                for pk in reminded
            ])
            outbox.enqueue_many([outbox.Owed("returns.notify_customer", [pk, "old_unit_due"])
                                 for pk in reminded])
    return reminded
