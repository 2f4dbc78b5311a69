"""Complaint use-cases. Each runs in one transaction and schedules its side effects on commit."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.contacts import ticket_customer_email
from aftersales.cases.kinds import spawn_case, spawnable
from aftersales.cases.selectors import ticket_in_scope
from aftersales.cases.services import (
    attachments_store,
    ticket_create,
    ticket_create_once,
    ticket_ensure_writable,
    ticket_lock,
    ticket_save,
    ticket_transition,
    timeline_record,
    transition_allowed,
)
from aftersales.cases.uploads import CheckedUpload
from aftersales.core import outbox
from aftersales.core.choices import PRIORITY_BY_SEVERITY, Channel, Stage, TicketKind
from aftersales.core.exceptions import DomainError, PermissionRefused, TransitionRefused
from aftersales.core.rows import instance_from_row
from aftersales.core.sql import db_time
from aftersales.followups.services import follow_up_record, follow_up_take_open
from aftersales.models import (
    Customer,
    Department,
    FollowUp,
    Order,
    OrderLine,
    Product,
    Ticket,
    TimelineEvent,
)
from aftersales.people.services import Actor, customer_for_intake_created
from aftersales.sla import clocks as sla

from .choices import (
    SOLUTIONS_NEEDING_CONFIRMATION,
    SUBCATEGORIES,
    Category,
    CustomerDecision,
    Outcome,
    PlanStatus,
    RequestType,
    State,
)
from .disputes import dispute_record, on_consent_requested, on_customer_decided
from .models import Complaint, HandlingPlan, customer_agreed_or_not_needed, is_responsible_person

ACTION = "complaints.complaint.{}".format


def _on_commit_notify(complaint: Complaint, template: str) -> None:
    outbox.enqueue("aftersales.notify_customer", [complaint.pk, template])


def _on_commit_notify_staff(complaint: Complaint, template: str, recipients: str) -> None:
    outbox.enqueue("aftersales.notify_staff", [complaint.pk, template, recipients])


@dataclass
class ComplaintIntake:
    """What a register form collects (投诉登记表, domain.md §4)."""

    name: str
    phone: str = ""
    email: str = ""
    order_number: str = ""
    product_text: str = ""
    product: Product | None = None
    category_hint: str = ""
    request_type: str = "QUALITY"
    description: str = ""
    customer_request: str = ""
    purchase_date: date | None = None
    channel: str = Channel.WEBFORM
    received_at: datetime | None = None
    customer: Customer | None = None
    regulator_case_number: str = ""
    language: str = "zh-hans"
    order_line: OrderLine | None = None
    origin: Ticket | None = None


def find_repeat_of(*, customer: Customer, order: Order | None, category: str,
                   now: datetime, exclude_pk: int | None = None) -> Complaint | None:
    """An earlier complaint by the same customer about the same order or category that is
    still open or was closed within the repeat window (domain.md §9, T21).

    Every complaint filed by a known customer asks this; written in SQL, which the index on
    (customer, received_at) answers, because building the query is most of its cost.
    """
    same_issue, same_issue_params = [], []
    if order is not None:
        same_issue.append("t.order_id = %s")
        same_issue_params.append(order.pk)
    if category:
        same_issue.append("c.category = %s OR c.category_hint = %s")
        same_issue_params += [category, category]
    if not same_issue:
        return None
    window_start = now - timedelta(days=settings.REPEAT_COMPLAINT_WINDOW_DAYS)
    params = [customer.pk, db_time(now), State.NOT_ACCEPTED, db_time(window_start),
              *same_issue_params]
    other = ""
    if exclude_pk is not None:
        other = " AND t.id <> %s"
        params.append(exclude_pk)
    ticket, complaint = (connection.ops.quote_name(model._meta.db_table)
                         for model in (Ticket, Complaint))
    sql = (
        f"SELECT t.id, t.number, c.ticket_ptr_id FROM {complaint} c "  # nosec B608: table names from model metadata, SQL from code, values bound
        f"JOIN {ticket} t ON t.id = c.ticket_ptr_id "
        f"WHERE t.customer_id = %s AND t.received_at < %s AND t.state <> %s "
        f"AND (t.is_open OR t.closed_at >= %s) AND ({' OR '.join(same_issue)}){other} "
        f"ORDER BY t.received_at DESC LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else instance_from_row(
        Complaint, ("id", "number", "ticket_ptr_id"), row)


def complaint_register(*, intake: ComplaintIntake, actor: Actor,
                       uploads: list[CheckedUpload] = (),
                       form_token: str | None = None,
                       check_permission: bool | None = None) -> Complaint:
    """Create a complaint and register it: the ledger number is issued here (§5.1 step 1).

    With the ``form_token`` of the form it came from, a second post of the same form returns
    the complaint the first one made and creates nothing. ``check_permission`` defaults to
    checking a staff actor's right to register; a complaint opened from another case is
    registered on that case's authority instead.
    """
    return ticket_create_once(Complaint, form_token, lambda: _complaint_register(
        intake=intake, actor=actor, uploads=uploads, form_token=form_token,
        check_permission=check_permission))


def _complaint_register(*, intake: ComplaintIntake, actor: Actor,
                        uploads: list[CheckedUpload], form_token: str | None,
                        check_permission: bool | None) -> Complaint:
    received_at = intake.received_at or timezone.now()
    staff = bool(getattr(actor, "is_authenticated", False))
    with transaction.atomic():
        customer, new_customer = customer_for_intake_created(
            name=intake.name, phone=intake.phone, email=intake.email, actor=actor,
            customer=intake.customer,
        )
        order = None
        if intake.order_line is not None:
            order = intake.order_line.order
        elif intake.order_number:
            order = Order.objects.filter(number=intake.order_number.strip()).first()
        product = intake.product
        order_line = intake.order_line
        if order_line is not None:
            product = product or order_line.product
        elif order is not None:
            lines = list(order.lines.select_related("product")[:20])
            if product is not None:
                order_line = next((ln for ln in lines if ln.product_id == product.pk), None)
            elif len(lines) == 1:
                order_line = lines[0]
                product = order_line.product
        repeat_of = None if new_customer else find_repeat_of(
            customer=customer, order=order, category=intake.category_hint, now=received_at
        )
        complaint = Complaint(
            kind=TicketKind.COMPLAINT,
            channel=intake.channel,
            customer=customer,
            order=order,
            order_line=order_line,
            product=product,
            order_number_given=intake.order_number.strip(),
            product_given=intake.product_text.strip(),
            category_hint=intake.category_hint,
            request_type=intake.request_type,
            description=intake.description,
            customer_request=intake.customer_request,
            purchase_date=intake.purchase_date,
            regulator_case_number=intake.regulator_case_number,
            received_at=received_at,
            registered_by=actor if staff else None,
            repeat_of=repeat_of,
            origin=intake.origin,
            language=intake.language,
        )
        complaint.set_contact_given(phone=intake.phone, email=intake.email)
        if intake.channel == Channel.REGULATOR:
            # Regulator transfers are at least urgent (domain.md §5.9).
            complaint.severity = "S3"
            complaint.priority = PRIORITY_BY_SEVERITY["S3"]
        sla.ticket_start_clock(complaint, "first_response", at=received_at)
        event = ticket_create(
            complaint, actor=actor, form_token=form_token,
            received_action=ACTION("received"), received_data={"channel": intake.channel},
            transition="register", action=ACTION("registered"),
            data={"channel": intake.channel, "repeat_of": repeat_of.number if repeat_of else None},
            check_permission=staff if check_permission is None else check_permission,
        )
        attachments_store(complaint, list(uploads), event=event, customer_visible=True)
        if ticket_customer_email(complaint):
            _on_commit_notify(complaint, "registered")
    return complaint


def _lock(complaint_pk: int, version: int | None) -> Complaint:
    return ticket_lock(Complaint, complaint_pk, version=version)


def complaint_accept(*, complaint_pk: int, version: int | None, actor: Actor,
                     checklist: dict[str, bool], note: str = "") -> Complaint:
    """Accept (受理) once the four checks pass; acceptance is not approval of a remedy."""
    missing = [key for key, ok in checklist.items() if not ok]
    if missing:
        raise DomainError(_("All acceptance checks must pass before a complaint is accepted."))
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        ticket_transition(
            complaint, "accept", actor=actor, action=ACTION("accepted"), note=note,
            data={"checklist": checklist}, customer_visible=True,
        )
        sla.ticket_first_response_done(complaint)
        ticket_save(complaint, sla.CLOCK_FIELDS)
        _on_commit_notify(complaint, "accepted")
    return complaint


def complaint_reject(*, complaint_pk: int, version: int | None, actor: Actor,
                     reason: str, reply: str) -> Complaint:
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        ticket_transition(
            complaint, "reject", actor=actor, action=ACTION("not_accepted"), note=reply,
            data={"reason": reason}, customer_visible=True, args=(reason,),
        )
        sla.ticket_first_response_done(complaint)
        sla.ticket_stop_clock(complaint, closed=True)
        ticket_save(complaint, ["not_accepted_reason", *sla.CLOCK_FIELDS])
        _on_commit_notify(complaint, "not_accepted")
    return complaint


def complaint_classify(*, complaint_pk: int, version: int | None, actor: Actor, category: str,
                       subcategory: str, severity: str, department: Department,
                       assignee=None, note: str = "") -> Complaint:
    allowed_subs = SUBCATEGORIES.get(category, [])
    if subcategory and subcategory not in allowed_subs:
        raise DomainError(_("The sub-category does not belong to the chosen category."))
    if allowed_subs and not subcategory:
        raise DomainError(_("Choose a sub-category for this category."))
    if assignee is not None:
        profile = getattr(assignee, "staff_profile", None)
        if profile is None or profile.department_id != department.pk:
            raise DomainError(_("The handler must belong to the responsible department."))
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        if complaint.channel == Channel.REGULATOR and severity in ("S4", "S5"):
            raise DomainError(_("Regulator transfers are at least severity S3."))
        old = {"category": complaint.category, "severity": complaint.severity}
        ticket_transition(
            complaint, "classify", actor=actor, action=ACTION("classified"), note=note,
            data={"old": old, "new": {"category": category, "subcategory": subcategory,
                                      "severity": severity, "department": department.name,
                                      "assignee": (assignee.get_full_name()
                                                   or assignee.get_username())
                                      if assignee else None}},
        )
        complaint.category = category
        complaint.subcategory = subcategory
        complaint.severity = severity
        complaint.priority = PRIORITY_BY_SEVERITY[severity]
        complaint.is_emergency = severity == "S1"
        complaint.department = department
        complaint.assignee = assignee
        if complaint.repeat_of_id is None:
            complaint.repeat_of = find_repeat_of(
                customer=complaint.customer, order=complaint.order, category=category,
                now=complaint.received_at, exclude_pk=complaint.pk,
            )
        sla.ticket_start_clock(complaint, "resolution")
        ticket_save(complaint, ["category", "subcategory", "severity", "priority", "is_emergency",
                                "department", "assignee", "repeat_of", *sla.CLOCK_FIELDS])
        dispute_record(complaint=complaint, actor=actor)
        _on_commit_notify_staff(complaint, "assigned", "assignee")
        if complaint.is_emergency:
            _on_commit_notify_staff(complaint, "emergency", "supervisors")
    return complaint


def complaint_start_handling(*, complaint_pk: int, version: int | None, actor: Actor,
                             acknowledgement: str, expected_by: datetime) -> Complaint:
    """Tell the customer the complaint is being handled and when to expect a result."""
    if expected_by <= timezone.now():
        raise DomainError(_("The expected time must be in the future."))
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        ticket_transition(
            complaint, "start_handling", actor=actor, action=ACTION("handling_started"),
            note=acknowledgement, data={"expected_by": expected_by.isoformat()},
            customer_visible=True,
        )
        if complaint.assignee_id is None:
            complaint.assignee = actor
        ticket_save(complaint, ["assignee"])
        _on_commit_notify(complaint, "message")
    return complaint


@dataclass
class PlanInput:
    cause: str
    liability: str
    responsible_department: Department
    solution_type: str
    measures: str
    deadline: datetime
    nature: str = ""
    responsible_person: object = None
    compensation_amount: Decimal = Decimal("0.00")


def complaint_submit_plan(*, complaint_pk: int, version: int | None, actor: Actor,
                          plan: PlanInput) -> Complaint:
    """Record cause, responsibility and measures; serious cases go to a superior (§5.1 6–7)."""
    if plan.compensation_amount < 0:
        raise DomainError(_("Compensation cannot be negative."))
    if plan.deadline <= timezone.now():
        raise DomainError(_("The deadline must be in the future."))
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        needs_confirmation = (
            plan.solution_type in SOLUTIONS_NEEDING_CONFIRMATION or plan.compensation_amount > 0
        )
        record = HandlingPlan(
            complaint=complaint,
            cause=plan.cause, nature=plan.nature, liability=plan.liability,
            responsible_department=plan.responsible_department,
            responsible_person=plan.responsible_person,
            solution_type=plan.solution_type, measures=plan.measures,
            compensation_amount=plan.compensation_amount, deadline=plan.deadline,
            status=PlanStatus.SUBMITTED if complaint.plan_needs_approval else PlanStatus.NOT_NEEDED,
            customer_decision=(
                CustomerDecision.PENDING if needs_confirmation else CustomerDecision.NOT_NEEDED
            ),
            submitted_by=actor, submitted_at=timezone.now(),
        )
        ticket_transition(
            complaint, "submit_plan", actor=actor, action=ACTION("plan_submitted"),
            note=plan.measures,
            data={"cause": plan.cause, "nature": plan.nature, "liability": plan.liability,
                  "solution": plan.solution_type,
                  "compensation": str(plan.compensation_amount),
                  "responsible_department": plan.responsible_department.name,
                  "deadline": plan.deadline.isoformat(),
                  "needs_approval": complaint.plan_needs_approval},
        )
        record.save()
        complaint.current_plan = record
        ticket_save(complaint, ["current_plan"])
        if complaint.state == State.PLAN_APPROVAL:
            _on_commit_notify_staff(complaint, "plan_submitted", "supervisors")
    return complaint


def complaint_decide_plan(*, complaint_pk: int, version: int | None, actor: Actor,
                          approve: bool, comment: str = "") -> Complaint:
    if not approve and not comment.strip():
        raise DomainError(_("Say what must change when sending a plan back."))
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        plan = complaint.current_plan
        ticket_transition(
            complaint, "approve_plan" if approve else "return_plan", actor=actor,
            action=ACTION("plan_approved" if approve else "plan_returned"), note=comment,
        )
        plan.status = PlanStatus.APPROVED if approve else PlanStatus.RETURNED
        plan.decided_by = actor
        plan.decided_at = timezone.now()
        plan.decision_comment = comment
        plan.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
        ticket_save(complaint, [])
        _on_commit_notify_staff(complaint, "plan_decided", "assignee")
    return complaint


def complaint_request_confirmation(*, complaint_pk: int, version: int | None, actor: Actor,
                                   message: str) -> Complaint:
    """Send the plan to the customer; money and process changes wait for their consent."""
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        plan = complaint.current_plan
        ticket_transition(
            complaint, "request_confirmation", actor=actor,
            action=ACTION("confirmation_requested"), note=message, customer_visible=True,
            data={"solution": plan.solution_type if plan else "",
                  "compensation": str(plan.compensation_amount) if plan else "0.00"},
        )
        on_consent_requested(complaint)
        sla.ticket_pause_clock(complaint)
        ticket_save(complaint, sla.CLOCK_FIELDS)
        _on_commit_notify(complaint, "confirmation_requested")
    return complaint


class ProposalChanged(TransitionRefused):
    """The customer answered a proposal that is no longer the one waiting for them."""

    default_message = _("This proposal has changed, please read the new one.")


class AlreadyAnswered(TransitionRefused):
    """The question was answered meanwhile (a second tab, a double click, a replayed post)."""

    default_message = _("This has already been answered; the page shows the current state "
                        "of your case.")


def complaint_customer_decide(*, complaint_pk: int, plan_pk: int | None,
                              plan_version: int | None, agree: bool,
                              comment: str = "") -> Complaint:
    """The customer agrees to the plan, or declines it so it is adjusted (§5.1 step 8).

    The answer names the plan and the version the customer read; an answer to any other
    proposal (an earlier one, or one changed since) is refused.
    """
    if not agree and not comment.strip():
        raise DomainError(_("Please tell us why the proposal does not work for you."))
    with transaction.atomic():
        complaint = _lock(complaint_pk, None)
        return _customer_decide(complaint, plan_pk=plan_pk, plan_version=plan_version,
                                agree=agree, comment=comment, via="PORTAL", actor=None)


def complaint_record_phone_consent(*, complaint_pk: int, version: int | None, actor: Actor,
                                   plan_pk: int | None, plan_version: int | None, agree: bool,
                                   note: str) -> Complaint:
    """An agent records the customer's answer given by phone, with the time and a note."""
    if not note.strip():
        raise DomainError(_("Note what the customer said on the phone, and when."))
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        if not (actor.has_perm("complaints.reply_complaint")
                and transition_allowed(complaint, "customer_decide", actor)):
            raise PermissionRefused()
        return _customer_decide(complaint, plan_pk=plan_pk, plan_version=plan_version,
                                agree=agree, comment=note, via="PHONE", actor=actor)


def _customer_decide(complaint: Complaint, *, plan_pk: int | None, plan_version: int | None,
                     agree: bool, comment: str, via: str, actor: Actor) -> Complaint:
    # Called inside the caller's transaction; the block makes that visible to the outbox check.
    with transaction.atomic():
        plan = (HandlingPlan.objects.select_for_update().get(pk=complaint.current_plan_id)
                if complaint.current_plan_id else None)
        if plan is None or (plan.pk, plan.version) != (plan_pk, plan_version):
            raise ProposalChanged()
        if (complaint.state != State.AWAIT_CUSTOMER
                or plan.customer_decision != CustomerDecision.PENDING):
            raise AlreadyAnswered()
        staff = actor is not None
        ticket_transition(
            complaint, "customer_decide", actor=actor,
            action=ACTION("customer_confirmed" if agree else "customer_declined"),
            note=comment, customer_visible=True, check_permission=False,
            actor_kind=None if staff else TimelineEvent.ActorKind.CUSTOMER,
            data={"plan": plan.pk, "plan_version": plan.version, "via": via},
        )
        plan.customer_decision = CustomerDecision.CONFIRMED if agree else CustomerDecision.DECLINED
        plan.customer_decided_at = timezone.now()
        plan.customer_comment = comment
        plan.save(update_fields=["customer_decision", "customer_decided_at", "customer_comment"])
        complaint.current_plan = plan
        on_customer_decided(complaint, agree=agree, via=via, actor=actor, note=comment)
        sla.ticket_resume_clock(complaint)
        ticket_save(complaint, sla.CLOCK_FIELDS)
        _on_commit_notify_staff(complaint, "customer_decided", "assignee")
        return complaint


def complaint_resolve_on_spot(*, complaint_pk: int, version: int | None, actor: Actor,
                              solution: str, customer_confirmed: bool) -> Complaint:
    if not customer_confirmed:
        raise DomainError(_("Record that the customer agreed to the solution."))
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        ticket_transition(
            complaint, "resolve_on_spot", actor=actor, action=ACTION("resolved_on_spot"),
            note=solution, data={"customer_confirmed": True}, customer_visible=True,
        )
        sla.ticket_first_response_done(complaint)
        ticket_save(complaint, sla.CLOCK_FIELDS)
    return complaint


def complaint_reply(*, complaint_pk: int, version: int | None, actor: Actor,
                    text: str, outcome: str) -> Complaint:
    """Reply the result to the customer (答复); a return visit is scheduled."""
    if not text.strip():
        raise DomainError(_("Write the reply the customer will read."))
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        if complaint.state == State.ANALYSING:
            if outcome != Outcome.NOT_LIABLE:
                raise TransitionRefused(
                    _("Only a not-liable determination can be replied before a plan is in force.")
                )
            name = "reply_not_liable"
        else:
            name = "reply"
            if not customer_agreed_or_not_needed(complaint):
                raise TransitionRefused(
                    _("The customer has not yet confirmed the plan; it cannot be executed "
                      "or replied to before they do.")
                )
        ticket_transition(
            complaint, name, actor=actor, action=ACTION("replied"), note=text,
            data={"outcome": outcome}, customer_visible=True,
        )
        complaint.outcome = outcome
        complaint.replied_at = timezone.now()
        sla.ticket_resolved(complaint)
        ticket_save(complaint, ["outcome", "replied_at", *sla.CLOCK_FIELDS])
        sla.follow_up_schedule(complaint)
        _on_commit_notify(complaint, "replied")
    return complaint


def complaint_record_feedback(*, complaint_pk: int, actor: Actor, satisfied: bool,
                              rating: int | None, comment: str, method: str,
                              problem_solved: bool | None = None,
                              follow_up: FollowUp | None = None,
                              ratings: dict[str, int] | None = None) -> Complaint:
    """The result of a return visit, from the customer online or an agent by phone.

    Not satisfied reopens the complaint with the reason (§5.1 step 12). Recorded once: a
    second answer (a double submit, another tab, the survey after the tracking page) finds
    the case no longer replied and is refused.
    """
    if not satisfied and not comment.strip():
        raise DomainError(_("Please tell us what is still wrong."))
    staff = getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        # The case first, then its follow-up: the same order as every other writer, and
        # both are checked again now that nobody else can change them.
        complaint = _lock(complaint_pk, None)
        # An archived case is reopened only by a supervisor (complaint_reopen), never by a
        # late answer to the satisfaction question.
        ticket_ensure_writable(complaint)
        if staff and is_responsible_person(complaint, actor):
            # Also when not satisfied: the rule is about who records the visit (domain.md §2).
            raise PermissionRefused(
                _("The person responsible for this complaint may not record its return visit.")
            )
        follow_up = follow_up_take_open(complaint.pk, follow_up)
        if complaint.state != State.RESOLVED:
            raise AlreadyAnswered()
        follow_up = follow_up_record(
            complaint, follow_up, method=method, rating=rating, ratings=ratings,
            problem_solved=satisfied if problem_solved is None else problem_solved,
            comment=comment, recorded_by=actor if staff else None)
        data = {"satisfied": satisfied, "rating": rating, "method": method}
        who = {"actor": actor if staff else None, "check_permission": staff,
               "actor_kind": None if staff else TimelineEvent.ActorKind.CUSTOMER}
        if satisfied:
            ticket_transition(
                complaint, "record_return_visit", action=ACTION("return_visit"), note=comment,
                data=data, customer_visible=True, **who,
            )
            complaint.return_visit_result = Complaint.ReturnVisitResult.SATISFIED
        else:
            ticket_transition(
                complaint, "reopen", action=ACTION("reopened"), note=comment,
                data=data, customer_visible=True, **who,
            )
            complaint.return_visit_result = ""
            sla.ticket_start_clock(complaint, "resolution")
        ticket_save(complaint, ["return_visit_result", "reopen_count", *sla.CLOCK_FIELDS])
        if not satisfied:
            _on_commit_notify_staff(complaint, "reopened", "assignee_and_supervisors")
    return complaint


def complaint_record_no_response(*, complaint_pk: int,
                                 follow_up: FollowUp | None = None) -> Complaint:
    """The customer did not answer the return-visit survey, not even after the reminder.

    The return visit is recorded as "no response" so the complaint can be archived; a
    complaint that has moved on meanwhile (reopened, archived) is left as it is.
    """
    with transaction.atomic():
        complaint = _lock(complaint_pk, None)
        if complaint.state != State.RESOLVED:
            return complaint
        ticket_transition(
            complaint, "record_return_visit", actor=None, action=ACTION("return_visit"),
            data={"result": Complaint.ReturnVisitResult.NO_RESPONSE,
                  "follow_up": follow_up.pk if follow_up else None},
            check_permission=False,
        )
        complaint.return_visit_result = Complaint.ReturnVisitResult.NO_RESPONSE
        ticket_save(complaint, ["return_visit_result"])
    return complaint


def complaint_archive(*, complaint_pk: int, version: int | None, actor: Actor,
                      note: str = "") -> Complaint:
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        if complaint.state == State.RETURN_VISIT and not complaint.return_visit_result:
            raise TransitionRefused(_("Record the return visit before archiving."))
        ticket_transition(complaint, "archive", actor=actor, action=ACTION("archived"), note=note)
        sla.ticket_stop_clock(complaint, closed=True)
        ticket_save(complaint, sla.CLOCK_FIELDS)
    return complaint


def complaint_reopen(*, complaint_pk: int, version: int | None, actor: Actor,
                     reason: str) -> Complaint:
    if not reason.strip():
        raise DomainError(_("Give the reason for reopening."))
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        ticket_transition(
            complaint, "reopen", actor=actor, action=ACTION("reopened"), note=reason,
            customer_visible=True,
        )
        sla.ticket_start_clock(complaint, "resolution")
        ticket_save(complaint, ["reopen_count", "return_visit_result", *sla.CLOCK_FIELDS])
        _on_commit_notify_staff(complaint, "reopened", "assignee_and_supervisors")
    return complaint


def complaint_resume(*, complaint_pk: int, version: int | None, actor: Actor,
                     note: str = "") -> Complaint:
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        ticket_transition(complaint, "resume", actor=actor, action=ACTION("resumed"), note=note)
        ticket_save(complaint, [])
    return complaint


def complaint_escalate(*, complaint_pk: int, version: int | None, actor: Actor,
                       reason: str) -> Complaint:
    """Alert supervisors: the case is blocked, overdue or the customer is dissatisfied."""
    if not reason.strip():
        raise DomainError(_("Say why the complaint is escalated."))
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        ticket_transition(
            complaint, "escalate", actor=actor, action=ACTION("escalated"), note=reason,
            data={"level": complaint.escalation_level + 1},
        )
        complaint.escalated_at = timezone.now()
        ticket_save(complaint, ["escalation_level", "escalated_at"])
        _on_commit_notify_staff(complaint, "escalated", "supervisors")
    return complaint


RETURN_REQUEST_TYPES = ("REFUND_ONLY", "RETURN_REFUND", "EXCHANGE")


def complaint_start_return(*, complaint_pk: int, version: int | None, actor: Actor,
                           order_line: OrderLine | None, request_type: str, quantity: int,
                           reason: str) -> Ticket:
    """Start a return, exchange or refund for the complained-of goods, linked to this
    complaint; the returns side reviews it against the law like any other request."""
    if not spawnable(TicketKind.RETURN):
        raise DomainError(_("Returns are not available here."))
    with transaction.atomic():
        complaint = _lock(complaint_pk, version)
        if complaint.is_read_only or not complaint.is_open:
            raise TransitionRefused(_("A closed complaint cannot start a return."))
        if complaint.stage != Stage.HANDLE:
            raise TransitionRefused(_("A return is started while the complaint is handled."))
        if not (actor.has_perm("complaints.handle_complaint")
                and ticket_in_scope(actor, complaint)):
            raise PermissionRefused(_("Only the complaint's handlers can start a return."))
        if complaint.order_id is None and complaint.order_line_id is None:
            raise TransitionRefused(_("This complaint has no order to return goods from."))
    if request_type not in RETURN_REQUEST_TYPES:
        raise DomainError(_("Choose refund only, return and refund, or exchange."))
    if not reason.strip():
        raise DomainError(_("Say why the return is started."))
    if order_line is None or (order_line.order_id != complaint.order_id
                              and order_line.pk != complaint.order_line_id):
        raise DomainError(_("The order line is not on this complaint's order."))
    return spawn_case(TicketKind.RETURN, origin=complaint, actor=actor, reason=reason,
                      order_line=order_line, request_type=request_type, quantity=quantity)


def complaint_spawn(*, origin: Ticket, actor: Actor, reason: str = "", description: str = "",
                    category: str = "", customer_request: str = "",
                    request_type: str = RequestType.QUALITY,
                    order_line: OrderLine | None = None, **details) -> Complaint:
    """A complaint opened from another case (a failed inspection, a disputed decline, a
    delivery incident), registered on that case's authority and linked to it by ``origin``.

    The customer, order, line and product are the origin's unless given; the complaint
    starts registered, for an agent to accept and classify like any other.
    """
    if category and category not in Category.values:
        raise DomainError(_("Unknown complaint category."))
    if request_type not in RequestType.values:
        request_type = RequestType.QUALITY
    customer = origin.customer
    line = order_line if order_line is not None else origin.order_line
    order = line.order if line is not None else origin.order
    text = (description or reason).strip() or str(_("Opened from case %(number)s")
                                                   % {"number": origin.number})
    with transaction.atomic():
        complaint = complaint_register(
            intake=ComplaintIntake(
                name=customer.name, customer=customer,
                order_number=order.number if order is not None else "",
                order_line=line, product=origin.product if line is None else None,
                product_text=origin.product_given, category_hint=category,
                request_type=request_type, description=text[:5000],
                customer_request=customer_request, channel=Channel.OTHERDEPT,
                language=origin.language, origin=origin,
            ),
            actor=actor, check_permission=False,
        )
        timeline_record(
            ticket=complaint, action=ACTION("spawned"), actor=actor, note=reason,
            data={"origin": origin.number, "origin_kind": origin.kind},
        )
    return complaint


__all__ = [
    "AlreadyAnswered",
    "ComplaintIntake",
    "PermissionRefused",
    "PlanInput",
    "ProposalChanged",
    "complaint_accept",
    "complaint_archive",
    "complaint_classify",
    "complaint_customer_decide",
    "complaint_decide_plan",
    "complaint_escalate",
    "complaint_record_feedback",
    "complaint_record_phone_consent",
    "complaint_register",
    "complaint_reject",
    "complaint_reopen",
    "complaint_reply",
    "complaint_request_confirmation",
    "complaint_resolve_on_spot",
    "complaint_resume",
    "complaint_spawn",
    "complaint_start_handling",
    "complaint_submit_plan",
]
