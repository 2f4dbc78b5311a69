"""Compensation ledger use-cases (domain.md §8). Each runs in one transaction: lock the line,
run its transition, record the step on the case's timeline, owe the customer's message."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed, has_transition_perm

from aftersales.cases.models import Ticket
from aftersales.cases.selectors import ticket_in_scope
from aftersales.cases.services import timeline_record
from aftersales.core import outbox
from aftersales.core.exceptions import PermissionRefused, TransitionRefused
from aftersales.people.services import Actor

from .choices import POINTS_TYPES, Approver, ConsentVia, LineState, LineType
from .exceptions import AboveLimit, ConsentMissing, InvalidOffer, OfferChanged, OwnLine
from .models import CompensationLine, CompensationPolicy, fraud_damages_amount
from .selectors import compensation_totals, lines_for_case

__all__ = [
    "compensation_approve", "compensation_change", "compensation_consent",
    "compensation_decline", "compensation_execute", "compensation_propose",
    "compensation_reject", "compensation_totals", "compensation_withdraw", "lines_for_case",
]

ACTION = "compensation.line.{}".format
NOTIFY_TASK = "compensation.notify_customer"


def _is_staff(actor: Actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _lock(line_pk: int) -> CompensationLine:
    return CompensationLine.objects.select_for_update().select_related("ticket").get(pk=line_pk)


def _data(line: CompensationLine, **extra) -> dict:
    data = {"line": line.pk, "compensation_type": line.type, "compensation_reason": line.reason,
            "offer_version": line.version}
    if line.type in POINTS_TYPES:
        data["compensation_points"] = line.points
    else:
        data["compensation_value"] = f"{line.value:.2f}"
    data.update(extra)
    return data


def _record(line: CompensationLine, step: str, actor: Actor, *, from_state: str,
            note: str = "", customer_visible: bool = False, **extra) -> None:
    # The line's states go in the data: the event's own from/to states are the case's.
    timeline_record(
        ticket=line.ticket, action=ACTION(step), actor=actor, note=note,
        data=_data(line, line_from=from_state, line_state=line.state, **extra),
        customer_visible=customer_visible,
    )


def _notify(line: CompensationLine, template: str) -> None:
    outbox.enqueue(NOTIFY_TASK, [line.pk, template],
                   key=f"{NOTIFY_TASK}:{line.pk}:{line.version}:{template}")


def _check(line: CompensationLine, name: str, actor: Actor) -> None:
    method = getattr(line, name)
    if not can_proceed(method):
        raise TransitionRefused()
    if not (has_transition_perm(method, actor) and ticket_in_scope(actor, line.ticket)):
        raise PermissionRefused()


def _clean_offer(*, ticket: Ticket, type: str, value: Decimal | None,
                 points: int | None) -> tuple[Decimal, int | None]:
    if type not in LineType.values:
        raise InvalidOffer(_("Unknown compensation type."))
    if type in POINTS_TYPES:
        if not points or points <= 0:
            raise InvalidOffer(_("Give the number of points."))
        return Decimal("0.00"), int(points)
    if type == LineType.FRAUD_DAMAGES:
        statutory = fraud_damages_amount(_price_paid(ticket))
        value = statutory if value is None else value
        if value < statutory:
            raise InvalidOffer(_(
                "Fraud damages are at least three times the price paid and at least "
                "500 yuan: %(amount)s yuan here.") % {"amount": f"{statutory:.2f}"})
    if value is None or value <= 0:
        raise InvalidOffer(_("Give an amount above zero."))
    return Decimal(value).quantize(Decimal("0.01")), None


def _price_paid(ticket: Ticket) -> Decimal:
    line = ticket.order_line
    if line is None:
        return Decimal("0.00")
    return Decimal(line.price_paid) * line.quantity


def compensation_propose(*, ticket: Ticket, type: str, value: Decimal | None, reason: str,
                         actor: Actor, points: int | None = None, note: str = "",
                         carrier: str = "", min_approver: str = Approver.AGENT,
                         ) -> CompensationLine:
    """Put a compensation on a case, to be approved within the approver's limit."""
    with transaction.atomic():
        if not (actor.has_perm("compensation.propose_compensation")
                and ticket_in_scope(actor, ticket)):
            raise PermissionRefused()
        value, points = _clean_offer(ticket=ticket, type=type, value=value, points=points)
        line = CompensationLine.objects.create(
            ticket=ticket, type=type, value=value, points=points, reason=reason, note=note,
            carrier=carrier, min_approver=min_approver, proposed_by=actor,
            proposed_at=timezone.now(),
        )
        _record(line, "proposed", actor, from_state="", note=note)
    return line


def compensation_approve(*, line_pk: int, actor: Actor, note: str = "") -> CompensationLine:
    """Approve within the actor's limit; never the proposer's own line. The customer is then
    asked to agree."""
    with transaction.atomic():
        line = _lock(line_pk)
        if not can_proceed(line.approve):
            raise TransitionRefused()
        if line.proposed_by_id == actor.pk:
            raise OwnLine()
        limit = CompensationPolicy.current().limit_for(actor, line.type, line.min_approver)
        if limit is None or not ticket_in_scope(actor, line.ticket):
            raise PermissionRefused()
        if line.approval_amount() > limit:
            raise AboveLimit(_("%(amount)s yuan is above your approval limit of %(limit)s "
                               "yuan; a higher role must approve it.")
                             % {"amount": f"{line.approval_amount():.2f}",
                                "limit": f"{limit:.2f}"})
        from_state = line.state
        line.approve()
        line.approved_by = actor
        line.approved_at = timezone.now()
        line.decided_note = note
        line.save()
        _record(line, "approved", actor, from_state=from_state, note=note)
        _record(line, "offered", None, from_state=from_state, customer_visible=True)
        _notify(line, "offered")
    return line


def compensation_reject(*, line_pk: int, actor: Actor, note: str) -> CompensationLine:
    with transaction.atomic():
        line = _lock(line_pk)
        if line.proposed_by_id == actor.pk and can_proceed(line.reject):
            raise OwnLine()
        _check(line, "reject", actor)
        if not note.strip():
            raise InvalidOffer(_("Say why the compensation is rejected."))
        from_state = line.state
        line.reject()
        line.approved_by = actor
        line.approved_at = timezone.now()
        line.decided_note = note
        line.save()
        _record(line, "rejected", actor, from_state=from_state, note=note)
    return line


def compensation_change(*, line_pk: int, actor: Actor, value: Decimal | None = None,
                        points: int | None = None, note: str = "") -> CompensationLine:
    """A changed offer: a new version, approved again and agreed to again."""
    with transaction.atomic():
        line = _lock(line_pk)
        _check(line, "change", actor)
        new_value, new_points = _clean_offer(
            ticket=line.ticket, type=line.type,
            value=line.value if value is None else value,
            points=line.points if points is None else points)
        from_state = line.state
        line.change()
        line.value, line.points = new_value, new_points
        line.version += 1
        line.proposed_by = actor
        line.proposed_at = timezone.now()
        line.approved_by = line.approved_at = None
        line.consented_at = line.consent_by = line.consent_version = line.declined_at = None
        line.consent_via = line.consent_note = line.decided_note = ""
        if note:
            line.note = note
        line.save()
        _record(line, "changed", actor, from_state=from_state, note=note)
    return line


def compensation_withdraw(*, line_pk: int, actor: Actor, note: str = "") -> CompensationLine:
    with transaction.atomic():
        line = _lock(line_pk)
        _check(line, "withdraw", actor)
        from_state = line.state
        line.withdraw()
        line.save()
        _record(line, "withdrawn", actor, from_state=from_state, note=note,
                customer_visible=from_state == LineState.APPROVED)
    return line


def _customer_answer(*, line_pk: int, version: int, via: str, actor: Actor,
                     note: str) -> CompensationLine:
    line = _lock(line_pk)
    if line.version != version:
        raise OfferChanged()
    if via not in ConsentVia.values:
        raise InvalidOffer(_("Unknown way of giving consent."))
    if via == ConsentVia.PHONE:
        if not (_is_staff(actor) and actor.has_perm("compensation.record_consent")
                and ticket_in_scope(actor, line.ticket)):
            raise PermissionRefused()
        if not note.strip():
            raise InvalidOffer(_("Record what the customer said on the phone, and when."))
    elif _is_staff(actor):
        raise PermissionRefused(_("Only the customer answers on the tracking page."))
    if line.state != LineState.APPROVED:
        raise TransitionRefused(_("This offer is not waiting for the customer's answer."))
    return line


def compensation_consent(*, line_pk: int, version: int, via: str, actor: Actor = None,
                         note: str = "") -> CompensationLine:
    """The customer agrees to exactly this version of the offer (portal or phone)."""
    with transaction.atomic():
        line = _customer_answer(line_pk=line_pk, version=version, via=via, actor=actor,
                                note=note)
        from_state = line.state
        line.consent()
        line.consented_at = timezone.now()
        line.consent_via = via
        line.consent_note = note
        line.consent_by = actor if _is_staff(actor) else None
        line.consent_version = line.version
        line.save()
        _record(line, "consented", actor, from_state=from_state, note=note,
                customer_visible=True, consent_via=via)
    return line


def compensation_decline(*, line_pk: int, version: int, via: str, actor: Actor = None,
                         note: str = "") -> CompensationLine:
    with transaction.atomic():
        line = _customer_answer(line_pk=line_pk, version=version, via=via, actor=actor,
                                note=note)
        from_state = line.state
        line.decline()
        line.declined_at = timezone.now()
        line.consent_via = via
        line.consent_note = note
        line.consent_by = actor if _is_staff(actor) else None
        line.save()
        _record(line, "declined", actor, from_state=from_state, note=note,
                customer_visible=True, consent_via=via)
    return line


def compensation_execute(*, line_pk: int, actor: Actor) -> CompensationLine:
    """Carry out an approved line the customer agreed to; refused, with why, before that."""
    with transaction.atomic():
        line = _lock(line_pk)
        if line.state in (LineState.PROPOSED, LineState.APPROVED, LineState.DECLINED):
            raise ConsentMissing()
        if line.state == LineState.CONSENTED and line.consent_version != line.version:
            raise ConsentMissing(_("The customer agreed to an earlier version of this offer; "
                                   "they must agree to the current one first."))
        _check(line, "execute", actor)
        from_state = line.state
        line.execute()
        line.executed_by = actor
        line.executed_at = timezone.now()
        line.save()
        _record(line, "executed", actor, from_state=from_state, customer_visible=True)
        _notify(line, "executed")
    return line
