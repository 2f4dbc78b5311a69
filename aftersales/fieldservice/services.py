"""Field-service use-cases. Each runs in one transaction, locks the job, records the step."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.core.files.base import ContentFile
from django.db import IntegrityError, OperationalError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.kinds import spawn_case, spawnable
from aftersales.cases.models import Ticket
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
)
from aftersales.cases.uploads import CheckedUpload
from aftersales.catalog.models import Order, OrderLine
from aftersales.core import outbox
from aftersales.core.choices import Channel, DepartmentKind, TicketKind
from aftersales.core.exceptions import DomainError, PermissionRefused, TransitionRefused
from aftersales.core.sql import deadlock_detected
from aftersales.followups.models import FollowUp
from aftersales.followups.services import SurveyClosed, follow_up_record, follow_up_take_open
from aftersales.people.models import Customer, Department
from aftersales.people.services import Actor, customer_for_intake
from aftersales.sla import clocks as sla
from aftersales.sla.calendar import get_calendar

from .choices import (
    FaultType,
    JobState,
    QuoteStatus,
    ServiceMode,
    SignerRole,
)
from .models import (
    FieldJob,
    InstallationJob,
    InstallationOffer,
    Part,
    PartUsed,
    Quote,
    RepairJob,
    Signature,
    Technician,
    Visit,
    work_may_start,
)
from .signatures import CheckedSignature
from .warranty import (
    T14_DAYS,
    T15_DAYS,
    is_free,
    t16_window_start,
    unit_filter,
    warranty_view,
)

S = JobState
ACTION = "fieldservice.job.{}".format
DEFAULT_BUFFER = timedelta(minutes=30)
# Arriving later than this after the agreed start counts as late.
LATE_GRACE = timedelta(minutes=15)
# T17: the signed service record reaches the after-sales department within 5 working days.
T17_WORKING_DAYS = 5
MODELS: dict[str, type[FieldJob]] = {TicketKind.REPAIR: RepairJob,
                                     TicketKind.INSTALL: InstallationJob}


class DoubleBooking(DomainError):
    """The technician is booked at that time; the message names the visit in the way."""


def model_for(kind: str) -> type[FieldJob]:
    return MODELS[kind]


def _notify_customer(job: Ticket, template: str) -> None:
    outbox.enqueue("aftersales.notify_customer", [job.pk, template])


def _notify_staff(job: Ticket, template: str, recipients: str) -> None:
    outbox.enqueue("aftersales.notify_staff", [job.pk, template, recipients])


def _lock(kind: str, pk: int, version: int | None = None) -> FieldJob:
    return ticket_lock(model_for(kind), pk, version=version)


def _local(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


# --- intake ---------------------------------------------------------------------------

@dataclass
class JobIntake:
    """What the fault report or installation booking collects."""

    name: str
    phone: str = ""
    email: str = ""
    order_number: str = ""
    serial_number: str = ""
    order_line: OrderLine | None = None
    description: str = ""
    address: str = ""
    address_area: str = ""
    region: str = ""
    preferred_windows: list[dict[str, str]] = field(default_factory=list)
    service_mode: str = ServiceMode.ON_SITE
    channel: str = Channel.WEBFORM
    customer: Customer | None = None
    received_at: datetime | None = None
    language: str = "zh-hans"


def field_department() -> Department | None:
    """The installation and repair department (安装维修部) that owns field jobs."""
    return (Department.objects.filter(kind=DepartmentKind.FIELD_SERVICE, active=True)
            .order_by("pk").first())


def find_order_line(*, order_number: str, serial_number: str,
                    installable_only: bool = False) -> OrderLine | None:
    """The unit: by serial number, else the order's only (installable) line."""
    lines = OrderLine.objects.select_related("order", "product")
    if serial_number:
        line = lines.filter(serial_number=serial_number.strip()).first()
        if line is not None:
            return line
    if not order_number:
        return None
    order = Order.objects.filter(number=order_number.strip()).first()
    if order is None:
        return None
    candidates = [ln for ln in lines.filter(order=order)[:20]
                  if not installable_only or ln.product.installable]
    return candidates[0] if len(candidates) == 1 else None


def previous_repair(*, line_id: int | None, serial: str, now: datetime,
                    exclude_pk: int | None = None) -> RepairJob | None:
    """The last accepted repair of this unit within T16, if any."""
    match = unit_filter(line_id, serial)
    if match is None:
        return None
    found = (RepairJob.objects.filter(match, completed_at__gte=t16_window_start(now),
                                      counted_repair=True)
             .order_by("-completed_at"))
    if exclude_pk:
        found = found.exclude(pk=exclude_pk)
    return found.first()


def _create(kind: str, intake: JobIntake, actor: Actor, *, uploads: list[CheckedUpload],
            form_token: str | None) -> FieldJob:
    model = model_for(kind)
    if getattr(actor, "is_authenticated", False) and not actor.has_perm(
            "fieldservice.register_job"):
        raise PermissionRefused()
    return ticket_create_once(model, form_token, lambda: _create_job(
        model, kind, intake, actor, uploads=uploads, form_token=form_token))


def _create_job(model: type[FieldJob], kind: str, intake: JobIntake, actor: Actor, *,
                uploads: list[CheckedUpload], form_token: str | None) -> FieldJob:
    received_at = intake.received_at or timezone.now()
    staff = bool(getattr(actor, "is_authenticated", False))
    with transaction.atomic():
        line = intake.order_line or find_order_line(
            order_number=intake.order_number, serial_number=intake.serial_number,
            installable_only=kind == TicketKind.INSTALL)
        if kind == TicketKind.INSTALL and line is not None and not line.product.installable:
            raise DomainError(_("This product does not need installation."))
        customer = customer_for_intake(name=intake.name, phone=intake.phone,
                                       email=intake.email, actor=actor,
                                       customer=intake.customer)
        job = model(
            kind=kind,
            channel=intake.channel,
            state=S.REPORTED if kind == TicketKind.REPAIR else S.REQUESTED,
            customer=customer,
            order=line.order if line else None,
            order_line=line,
            product=line.product if line else None,
            order_number_given=intake.order_number.strip(),
            serial_number=(intake.serial_number.strip()
                           or (line.serial_number if line else "")),
            fault_description=intake.description,
            address=intake.address.strip(),
            address_area=intake.address_area.strip(),
            region=intake.region.strip(),
            preferred_windows=intake.preferred_windows,
            service_mode=intake.service_mode,
            received_at=received_at,
            registered_by=actor if staff else None,
            language=intake.language,
            department=field_department(),
        )
        job.set_contact_given(phone=intake.phone, email=intake.email)
        if kind == TicketKind.REPAIR:
            earlier_repair = previous_repair(line_id=line.pk if line else None,
                                             serial=job.serial_number, now=received_at)
            if earlier_repair is not None:
                job.previous_job = earlier_repair
                job.failed_repair = True
            if job.service_mode == ServiceMode.ON_SITE:
                job.service_started_at = received_at
                job.repair_overrun_at = received_at + timedelta(days=T14_DAYS)
        sla.ticket_start_clock(job, "first_response", at=received_at)
        event = ticket_create(
            job, actor=actor, form_token=form_token,
            received_action=ACTION("reported" if kind == TicketKind.REPAIR else "requested"),
            received_data={"channel": intake.channel,
                           "failed_repair": getattr(job, "failed_repair", False)})
        attachments_store(job, list(uploads), event=event, customer_visible=True)
        _notify_customer(job, "registered")
    return job


def job_report(*, intake: JobIntake, actor: Actor, uploads: list[CheckedUpload] = (),
               form_token: str | None = None) -> RepairJob:
    """A fault report (报修) from the portal or an agent on the phone (§5.3 step 1)."""
    return _create(TicketKind.REPAIR, intake, actor, uploads=list(uploads),
                   form_token=form_token)


def installation_book(*, intake: JobIntake, actor: Actor, uploads: list[CheckedUpload] = (),
                      form_token: str | None = None) -> InstallationJob:
    """An installation booking (§5.4): for an installable product."""
    return _create(TicketKind.INSTALL, intake, actor, uploads=list(uploads),
                   form_token=form_token)


# --- triage and quote -----------------------------------------------------------------

def unit_repair_count(job: FieldJob) -> int:
    """Accepted repairs of this unit since its warranty started (§7.3 ``repair_count``)."""
    match = unit_filter(job.order_line_id, job.serial_number)
    if match is None:
        return 0
    repairs = RepairJob.objects.filter(match, counted_repair=True).exclude(pk=job.pk)
    if job.warranty_start is not None:
        start = timezone.make_aware(datetime.combine(job.warranty_start, time.min))
        repairs = repairs.filter(completed_at__gte=start)
    return repairs.count()


def job_warranty(job: FieldJob, *, fault_type: str | None = None):
    line = (OrderLine.objects.select_related("order", "product").get(pk=job.order_line_id)
            if job.order_line_id else None)
    count = job.unit_repair_count if fault_type is None else unit_repair_count(job)
    return warranty_view(line=line, fault_type=fault_type or job.fault_type
                         or FaultType.PERFORMANCE, notice_at=job.received_at,
                         repair_count=count, exchange_prompt=job.exchange_prompt)


def job_triage(*, job_pk: int, actor: Actor, version: int | None = None, fault_type: str,
               genuine: bool, service_mode: str, note: str = "") -> RepairJob:
    """Confirm the fault and check the warranty through the statutory engine (§5.3 step 2).

    Free when the engine gives a free remedy and the product is genuine; otherwise a
    written quote comes next.
    """
    with transaction.atomic():
        job = _lock(TicketKind.REPAIR, job_pk, version)
        ticket_ensure_writable(job)
        job.fault_type = fault_type
        job.genuine = genuine
        job.service_mode = service_mode
        view = job_warranty(job, fault_type=fault_type)
        job.warranty_start = view.day_zero
        job.warranty_end = view.validity_ends
        job.in_warranty = view.in_validity
        job.unit_repair_count = view.repair_count
        job.eligibility_rule = view.decision.rule if view.decision else ""
        job.free_of_charge = is_free(view, genuine=genuine)
        if service_mode == ServiceMode.MAIL_IN:
            job.service_started_at = None
            job.repair_overrun_at = None
        ticket_transition(job, "triage", actor=actor, action=ACTION("triaged"), note=note,
                          data={"fault_type": fault_type, "genuine": genuine,
                                "rule": job.eligibility_rule, "free": job.free_of_charge,
                                "repair_count": job.unit_repair_count,
                                "service_mode": service_mode},
                          customer_visible=True)
        sla.ticket_first_response_done(job)
        sla.ticket_start_clock(job, "resolution")
        ticket_save(job, [
            "fault_type", "genuine", "service_mode", "warranty_start", "warranty_end",
            "in_warranty", "unit_repair_count", "eligibility_rule", "free_of_charge",
            "service_started_at", "repair_overrun_at", "first_response_at", *SLA_FIELDS])
    return job


SLA_FIELDS = ["sla_clock", "sla_started_at", "sla_due_at", "sla_warn_at", "sla_status",
              "sla_paused_at", "sla_remaining_seconds", "first_response_due_at",
              "resolution_due_at", "resolved_at", "close_due_at", "closed_at"]


def job_prepare(*, job_pk: int, actor: Actor, version: int | None = None,
                note: str = "") -> InstallationJob:
    """Needs, tools and parts prepared for an installation (§5.4)."""
    with transaction.atomic():
        job = _lock(TicketKind.INSTALL, job_pk, version)
        ticket_transition(job, "prepare", actor=actor, action=ACTION("prepared"), note=note,
                          customer_visible=True)
        sla.ticket_first_response_done(job)
        sla.ticket_start_clock(job, "resolution")
        ticket_save(job, ["free_of_charge", "first_response_at", *SLA_FIELDS])
    return job


def _wait_starts(job: FieldJob, now: datetime) -> None:
    job.customer_wait_since = now
    sla.ticket_pause_clock(job, at=now)


def _wait_ends(job: FieldJob, now: datetime) -> None:
    if job.customer_wait_since is not None:
        waited = now - job.customer_wait_since
        job.customer_wait_seconds += int(waited.total_seconds())
        if job.repair_overrun_at is not None:
            job.repair_overrun_at += waited
        job.customer_wait_since = None
    sla.ticket_resume_clock(job, at=now)


CLOCK_FIELDS = ["repair_overrun_at", "no_parts_overrun_at"]


def _clocks_off(job: FieldJob) -> None:
    """The unit is back with the customer (or the job ended): T14 and T15 stop."""
    job.repair_overrun_at = None
    job.no_parts_overrun_at = None


WAIT_FIELDS = ["customer_wait_since", "customer_wait_seconds", "repair_overrun_at"]


def job_quote(*, job_pk: int, actor: Actor, version: int | None = None,
              parts_amount: Decimal, labour_amount: Decimal, note: str = "") -> Quote:
    """A written quote for a paid repair; the customer accepts it before any work."""
    with transaction.atomic():
        job = _lock(TicketKind.REPAIR, job_pk, version)
        if job.free_of_charge:
            raise DomainError(_("This repair is free of charge: no quote is needed."))
        now = timezone.now()
        quote = Quote.objects.create(job=job, parts_amount=parts_amount,
                                     labour_amount=labour_amount, note=note,
                                     created_by=actor, created_at=now)
        job.current_quote = quote
        job.quote_accepted = False
        ticket_transition(job, "send_quote", actor=actor, action=ACTION("quoted"), note=note,
                          data={"parts": str(parts_amount), "labour": str(labour_amount),
                                "total": str(quote.total)}, customer_visible=True)
        _wait_starts(job, now)
        ticket_save(job, ["current_quote", "quote_accepted", *WAIT_FIELDS, *SLA_FIELDS])
        _notify_customer(job, "confirmation_requested")
    return quote


class QuoteChanged(DomainError):
    default_message = _("The quote was changed in the meantime; please read the new one.")


def job_customer_decide_quote(*, job_pk: int, quote_pk: int, accept: bool,
                              comment: str = "") -> RepairJob:
    """The customer accepts or declines the written quote on the tracking page."""
    with transaction.atomic():
        job = _lock(TicketKind.REPAIR, job_pk)
        if job.current_quote_id != quote_pk:
            raise QuoteChanged()
        if job.state != S.AWAIT_QUOTE:
            raise TransitionRefused(_("This quote has been answered already."))
        quote = Quote.objects.select_for_update().get(pk=quote_pk)
        now = timezone.now()
        quote.status = QuoteStatus.ACCEPTED if accept else QuoteStatus.DECLINED
        quote.decided_at = now
        quote.save(update_fields=["status", "decided_at"])
        _wait_ends(job, now)
        ticket_transition(
            job, "customer_accept_quote" if accept else "customer_decline_quote",
            actor=None, actor_kind="customer", check_permission=False,
            action=ACTION("quote_accepted" if accept else "quote_declined"), note=comment,
            data={"total": str(quote.total)}, customer_visible=True)
        if not accept:
            sla.ticket_stop_clock(job, closed=True, at=now)
        ticket_save(job, ["quote_accepted", *WAIT_FIELDS, *SLA_FIELDS])
        _notify_staff(job, "customer_answered", "assignee_and_supervisors")
    return job


# --- scheduling and dispatch ----------------------------------------------------------

def job_offer_slots(*, job_pk: int, kind: str, actor: Actor, slots: list[tuple[datetime,
                    datetime]], version: int | None = None) -> FieldJob:
    """Offer visit times; the customer picks one on the tracking page."""
    if not slots:
        raise DomainError(_("Offer at least one time slot."))
    with transaction.atomic():
        job = _lock(kind, job_pk, version)
        ticket_ensure_writable(job)
        if not (actor.has_perm("fieldservice.schedule_job") and ticket_in_scope(actor, job)):
            raise PermissionRefused()
        if (job.state not in (S.TRIAGED, S.PREPARED) or job.service_mode != ServiceMode.ON_SITE
                or not work_may_start(job)):
            raise TransitionRefused()
        job.offered_slots = [{"start": start.isoformat(), "end": end.isoformat()}
                             for start, end in sorted(slots)]
        timeline_record(ticket=job, action=ACTION("slots_offered"), actor=actor,
                        data={"slots": [_local(s) for s, _e in sorted(slots)]},
                        customer_visible=True)
        ticket_save(job, ["offered_slots"])
        _notify_customer(job, "confirmation_requested")
    return job


def _agree(job: FieldJob, start: datetime, end: datetime) -> None:
    if end <= start:
        raise DomainError(_("A visit must end after it starts."))
    job.agreed_start = start
    job.agreed_end = end


def job_schedule(*, job_pk: int, kind: str, actor: Actor, start: datetime, end: datetime,
                 version: int | None = None) -> FieldJob:
    """The agent agrees the visit time with the customer by phone (§5.3 step 3)."""
    with transaction.atomic():
        job = _lock(kind, job_pk, version)
        _agree(job, start, end)
        ticket_transition(job, "schedule", actor=actor, action=ACTION("scheduled"),
                          data={"start": _local(start), "end": _local(end)},
                          customer_visible=True)
        ticket_save(job, ["agreed_start", "agreed_end"])
    return job


def job_customer_pick_slot(*, job_pk: int, kind: str, slot: int) -> FieldJob:
    """The customer takes one of the offered slots on the tracking page."""
    with transaction.atomic():
        job = _lock(kind, job_pk)
        try:
            chosen = job.offered_slots[slot]
        except (IndexError, TypeError):
            raise DomainError(_("This time slot is no longer offered.")) from None
        start = datetime.fromisoformat(chosen["start"])
        end = datetime.fromisoformat(chosen["end"])
        if start <= timezone.now():
            raise DomainError(_("This time slot has passed; please pick another."))
        _agree(job, start, end)
        job.offered_slots = []
        ticket_transition(job, "customer_pick_slot", actor=None, actor_kind="customer",
                          check_permission=False, action=ACTION("slot_picked"),
                          data={"start": _local(start), "end": _local(end)},
                          customer_visible=True)
        ticket_save(job, ["agreed_start", "agreed_end", "offered_slots"])
        _notify_staff(job, "customer_answered", "supervisors")
    return job


def visit_in_the_way(technician: Technician, start: datetime, blocked_until: datetime,
                     *, exclude_pk: int | None = None) -> Visit | None:
    """An active visit of this technician whose blocked time overlaps ``[start, until)``."""
    clash = (Visit.objects.select_related("job")
             .filter(technician=technician, cancelled=False, start__lt=blocked_until,
                     blocked_until__gt=start).order_by("start"))
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    return clash.first()


def double_booking(visit: Visit) -> DoubleBooking:
    return DoubleBooking(
        _("%(technician)s is already booked from %(start)s to %(end)s (with travel time) "
          "for job %(number)s. Choose another time or technician.")
        % {"technician": visit.technician.name, "start": _local(visit.start),
           "end": _local(visit.blocked_until), "number": visit.job.number})


def technician_fits(technician: Technician, job: FieldJob) -> str:
    """Why this technician cannot take the job (skills, region, inactive), or ``""``."""
    if not technician.active:
        return str(_("This technician is not active."))
    category = job.product.category if job.product_id and job.product else ""
    if not technician.can_work_on(category):
        return str(_("%(technician)s has no skill for %(category)s.")
                   % {"technician": technician.name, "category": category})
    if job.region and technician.region != job.region:
        return str(_("%(technician)s works in %(region)s, not in %(job_region)s.")
                   % {"technician": technician.name, "region": technician.region,
                      "job_region": job.region})
    return ""


def _visit_book(visit: Visit, attempts: int = 3) -> Visit:
    """Insert the visit; of two clashing visits booked at once the exclusion constraint
    lets one in and the other's dispatcher is told which visit is in the way.

    Two inserts that each find the other's uncommitted row wait on each other, and
    PostgreSQL aborts one as a deadlock. That one inserts again, now waits for the winner
    to commit, and then meets the constraint.
    """
    attempt = 1
    while True:
        try:
            with transaction.atomic():
                visit.save(force_insert=True)
            return visit
        except IntegrityError:
            winner = visit_in_the_way(visit.technician, visit.start, visit.blocked_until)
            if winner is None:
                raise
            raise double_booking(winner) from None
        except OperationalError as error:
            if attempt == attempts or not deadlock_detected(error):
                raise
            attempt += 1


def job_dispatch(*, job_pk: int, kind: str, actor: Actor, technician_pk: int,
                 start: datetime, end: datetime, travel_buffer: timedelta = DEFAULT_BUFFER,
                 version: int | None = None) -> Visit:
    """Book a technician for the job at an agreed slot (派工, §5.3 step 3).

    A job not yet scheduled takes the slot as its agreed time. Two visits of one
    technician never overlap, travel buffer included: on PostgreSQL the exclusion
    constraint decides between two dispatchers booking at the same moment; on SQLite the
    transaction holds the database's write lock while it checks.
    """
    if end <= start:
        raise DomainError(_("A visit must end after it starts."))
    with transaction.atomic():
        job = _lock(kind, job_pk, version)
        ticket_ensure_writable(job)
        technician = Technician.objects.select_related("user", "user__staff_profile").get(
            pk=technician_pk)
        unfit = technician_fits(technician, job)
        if unfit:
            raise DomainError(unfit)
        if job.state in (S.TRIAGED, S.PREPARED):
            _agree(job, start, end)
            ticket_transition(job, "schedule", actor=actor, action=ACTION("scheduled"),
                              data={"start": _local(start), "end": _local(end)},
                              customer_visible=True)
        blocked_until = end + travel_buffer
        in_the_way = visit_in_the_way(technician, start, blocked_until)
        if in_the_way is not None:
            raise double_booking(in_the_way)
        visit = _visit_book(Visit(job=job, technician=technician, start=start, end=end,
                                  travel_buffer=travel_buffer, blocked_until=blocked_until,
                                  booked_by=actor))
        job.assignee = technician.user
        profile = getattr(technician.user, "staff_profile", None)
        if profile is not None and profile.department_id:
            job.department_id = profile.department_id
        ticket_transition(job, "dispatch", actor=actor, action=ACTION("dispatched"),
                          data={"technician": technician.name, "start": _local(start),
                                "end": _local(end), "visit": visit.pk},
                          customer_visible=True)
        ticket_save(job, ["agreed_start", "agreed_end", "assignee", "department"])
        outbox.enqueue("aftersales.notify_staff", [job.pk, "assigned", "assignee"])
    return visit


def job_unassign(*, job_pk: int, kind: str, actor: Actor, version: int | None = None) -> None:
    """Take the technician off the job; its visit is cancelled and the slot freed."""
    with transaction.atomic():
        job = _lock(kind, job_pk, version)
        Visit.objects.filter(job=job, cancelled=False, arrived_at__isnull=True).update(
            cancelled=True)
        job.assignee = None
        ticket_transition(job, "unassign", actor=actor, action=ACTION("unassigned"))
        ticket_save(job, ["assignee"])


def _current_visit(job: FieldJob) -> Visit | None:
    return (Visit.objects.select_for_update().filter(job=job, cancelled=False)
            .order_by("-start").first())


# --- on site --------------------------------------------------------------------------

def job_check_in(*, job_pk: int, kind: str, actor: Actor, at: datetime | None = None
                 ) -> Visit:
    """The technician arrives; lateness against the agreed start is recorded."""
    now = at or timezone.now()
    with transaction.atomic():
        job = _lock(kind, job_pk)
        visit = _current_visit(job)
        if visit is None:
            raise DomainError(_("This job has no booked visit."))
        visit.arrived_at = now
        late = now - visit.start
        visit.late_minutes = int(late.total_seconds() // 60) if late > LATE_GRACE else 0
        visit.save(update_fields=["arrived_at", "late_minutes"])
        ticket_transition(job, "check_in", actor=actor, action=ACTION("checked_in"),
                          data={"visit": visit.pk, "late_minutes": visit.late_minutes},
                          customer_visible=True)
        ticket_save(job, [])
    return visit


@dataclass(frozen=True)
class PartLine:
    part: Part
    quantity: int


def job_record_work(*, job_pk: int, kind: str, actor: Actor, cause: str,
                    parts: list[PartLine] = (), uploads: list[CheckedUpload] = ()) -> FieldJob:
    """Cause found, parts fitted (priced on paid jobs) and photos, by the technician."""
    with transaction.atomic():
        job = _lock(kind, job_pk)
        ticket_ensure_writable(job)
        if job.state not in (S.IN_SERVICE, S.INSTALLING):
            raise TransitionRefused()
        if not (actor.has_perm("fieldservice.work_job")
                and (job.assignee_id == actor.pk or job.service_mode == ServiceMode.MAIL_IN)):
            raise PermissionRefused()
        now = timezone.now()
        visit = _current_visit(job) if job.service_mode == ServiceMode.ON_SITE else None
        job.cause = cause.strip() or job.cause
        used = []
        for line in parts:
            if line.quantity < 1:
                continue
            price = Decimal("0.00") if job.free_of_charge else line.part.price
            used.append(PartUsed(job=job, visit=visit, part=line.part, quantity=line.quantity,
                                 unit_price=price, recorded_by=actor, created_at=now))
        PartUsed.objects.bulk_create(used)
        event = timeline_record(
            ticket=job, action=ACTION("work_recorded"), actor=actor, note=job.cause,
            data={"parts": [f"{u.part.code} × {u.quantity}" for u in used]})
        attachments_store(job, list(uploads), event=event, customer_visible=False)
        ticket_save(job, ["cause"])
    return job


def job_wait_for_parts(*, job_pk: int, actor: Actor) -> RepairJob:
    """No spare part at hand: the T15 clock (90 days from hand-in) is watched."""
    with transaction.atomic():
        job = _lock(TicketKind.REPAIR, job_pk)
        now = timezone.now()
        job.awaiting_parts_since = job.awaiting_parts_since or now
        started = job.service_started_at or now
        job.no_parts_overrun_at = started + timedelta(days=T15_DAYS)
        ticket_transition(job, "wait_for_parts", actor=actor, action=ACTION("waiting_parts"),
                          customer_visible=True)
        ticket_save(job, ["awaiting_parts_since", "no_parts_overrun_at"])
    return job


def job_complete(*, job_pk: int, kind: str, actor: Actor) -> FieldJob:
    """The work is done; the customer checks it (验收) on the technician's screen."""
    with transaction.atomic():
        job = _lock(kind, job_pk)
        job.acceptance_signed = False
        ticket_transition(job, "complete", actor=actor, action=ACTION("completed"),
                          customer_visible=True)
        ticket_save(job, ["acceptance_signed"])
    return job


def _store_signature(job: FieldJob, visit: Visit | None, role: str, name: str,
                     checked: CheckedSignature, now: datetime) -> Signature:
    signature = Signature(job=job, visit=visit, role=role, signer_name=name.strip()[:100],
                          width=checked.width, height=checked.height, size=checked.size,
                          sha256=checked.sha256, created_at=now)
    signature.image.save(f"{role.lower()}.png", ContentFile(checked.content), save=False)
    signature.save()
    return signature


def _working_days_after(moment: datetime, days: int) -> datetime:
    """End of the ``days``-th working day after ``moment`` (Asia/Shanghai)."""
    calendar = get_calendar()
    day = timezone.localdate(moment)
    for _step in range(days):
        day = calendar.next_working_day(day + timedelta(days=1))
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def job_accept(*, job_pk: int, kind: str, actor: Actor, customer_name: str,
               customer_signature: CheckedSignature,
               technician_signature: CheckedSignature | None = None) -> FieldJob:
    """The customer signs on the technician's screen and accepts the work (§5.3 step 4).

    An installation needs both signatures (joint acceptance, §5.4); its completion day
    becomes the order line's installation day, the start of its warranty periods.
    A repair accepted counts towards the unit's repair count.
    """
    if kind == TicketKind.INSTALL and technician_signature is None:
        raise DomainError(_("Joint acceptance needs the technician's signature as well."))
    if not customer_name.strip():
        raise DomainError(_("Enter the name of the person signing."))
    with transaction.atomic():
        job = _lock(kind, job_pk)
        if job.state not in (S.ACCEPTANCE, S.JOINT_ACCEPTANCE):
            raise TransitionRefused()
        now = timezone.now()
        visit = _current_visit(job)
        _store_signature(job, visit, SignerRole.CUSTOMER, customer_name, customer_signature,
                         now)
        if technician_signature is not None:
            name = actor.get_full_name() or actor.get_username()
            _store_signature(job, visit, SignerRole.TECHNICIAN, name, technician_signature,
                             now)
        job.acceptance_signed = True
        ticket_transition(job, "customer_accept", actor=actor, action=ACTION("accepted"),
                          data={"signed_by": customer_name.strip()[:100]},
                          customer_visible=True)
        job.completed_at = now
        job.record_due_at = _working_days_after(now, T17_WORKING_DAYS)
        _clocks_off(job)
        fields = ["acceptance_signed", "completed_at", "record_due_at", "resolved_at",
                  *CLOCK_FIELDS, *SLA_FIELDS]
        if kind == TicketKind.REPAIR:
            job.counted_repair = True
            fields.append("counted_repair")
        else:
            job.installed_at = now
            fields.append("installed_at")
            if job.order_line_id:
                OrderLine.objects.filter(pk=job.order_line_id).update(installed_at=now)
        if visit is not None:
            visit.finished_at = now
            visit.save(update_fields=["finished_at"])
        sla.ticket_resolved(job, at=now)
        ticket_save(job, fields)
        _notify_customer(job, "replied")
    return job


def job_reject(*, job_pk: int, kind: str, actor: Actor, reason: str) -> FieldJob:
    """The customer refuses the work: back to service, and a repeat visit is counted."""
    if not reason.strip():
        raise DomainError(_("Enter the customer's reason."))
    with transaction.atomic():
        job = _lock(kind, job_pk)
        ticket_transition(job, "customer_reject", actor=actor, action=ACTION("rejected"),
                          note=reason.strip(), args=[reason.strip()], customer_visible=True)
        ticket_save(job, ["rejection_reason", "repeat_visits"])
    return job


# --- mail-in repair (寄修) --------------------------------------------------------------

def job_await_inbound(*, job_pk: int, actor: Actor, version: int | None = None) -> RepairJob:
    """Mail-in: the customer is asked to send the unit to the service centre."""
    with transaction.atomic():
        job = _lock(TicketKind.REPAIR, job_pk, version)
        ticket_transition(job, "await_inbound", actor=actor, action=ACTION("await_inbound"),
                          customer_visible=True)
        _wait_starts(job, timezone.now())
        ticket_save(job, [*WAIT_FIELDS, *SLA_FIELDS])
        _notify_customer(job, "confirmation_requested")
    return job


def job_receive_inbound(*, job_pk: int, actor: Actor, carrier: str, tracking: str
                        ) -> RepairJob:
    """The unit arrived at the service centre: the repair clocks (T14) start."""
    with transaction.atomic():
        job = _lock(TicketKind.REPAIR, job_pk)
        now = timezone.now()
        _wait_ends(job, now)
        job.inbound_carrier = carrier.strip()
        job.inbound_tracking = tracking.strip()
        job.received_at_centre = now
        job.service_started_at = now
        job.repair_overrun_at = now + timedelta(days=T14_DAYS)
        ticket_transition(job, "receive_inbound", actor=actor, action=ACTION("received"),
                          data={"carrier": job.inbound_carrier,
                                "tracking": job.inbound_tracking}, customer_visible=True)
        ticket_save(job, ["inbound_carrier", "inbound_tracking", "received_at_centre",
                          "service_started_at", *WAIT_FIELDS, *SLA_FIELDS])
    return job


def job_ship_back(*, job_pk: int, actor: Actor, carrier: str, tracking: str) -> RepairJob:
    """The repaired unit goes back to the customer with a tracking number."""
    if not tracking.strip():
        raise DomainError(_("Enter the tracking number of the parcel."))
    with transaction.atomic():
        job = _lock(TicketKind.REPAIR, job_pk)
        job.outbound_carrier = carrier.strip()
        job.outbound_tracking = tracking.strip()
        job.shipped_back_at = timezone.now()
        ticket_transition(job, "ship_back", actor=actor, action=ACTION("shipped_back"),
                          data={"carrier": job.outbound_carrier,
                                "tracking": job.outbound_tracking}, customer_visible=True)
        ticket_save(job, ["outbound_carrier", "outbound_tracking", "shipped_back_at"])
        _notify_customer(job, "replied")
    return job


def job_customer_confirm_receipt(*, job_pk: int, actor: Actor = None) -> RepairJob:
    """The mail-in customer confirms the repaired unit arrived and works."""
    with transaction.atomic():
        job = _lock(TicketKind.REPAIR, job_pk)
        staff = bool(getattr(actor, "is_authenticated", False))
        if staff and not actor.has_perm("fieldservice.close_job"):
            raise PermissionRefused()
        now = timezone.now()
        ticket_transition(job, "customer_confirm_receipt", actor=actor,
                          actor_kind=None if staff else "customer", check_permission=False,
                          action=ACTION("receipt_confirmed"), customer_visible=True)
        job.completed_at = now
        job.counted_repair = True
        job.record_due_at = _working_days_after(now, T17_WORKING_DAYS)
        _clocks_off(job)
        sla.ticket_resolved(job, at=now)
        ticket_save(job, ["completed_at", "counted_repair", "record_due_at", *CLOCK_FIELDS,
                          *SLA_FIELDS])
    return job


# --- record, return visit, close --------------------------------------------------------

def job_file_record(*, job_pk: int, kind: str, actor: Actor,
                    version: int | None = None) -> FieldJob:
    """The signed service record reached the after-sales department (T17)."""
    with transaction.atomic():
        job = _lock(kind, job_pk, version)
        job.record_filed_at = timezone.now()
        job.record_overdue = False
        ticket_transition(job, "file_record", actor=actor, action=ACTION("record_filed"),
                          data={"late": bool(job.record_due_at
                                             and job.record_filed_at > job.record_due_at)})
        sla.follow_up_schedule(job)
        ticket_save(job, ["record_filed_at", "record_overdue"])
    return job


def job_record_feedback(*, ticket_pk: int, actor: Actor = None, satisfied: bool,
                        rating: int | None, comment: str = "", method: str = "ONLINE",
                        problem_solved: bool | None = None,
                        follow_up: FollowUp | None = None,
                        ratings: dict[str, int] | None = None) -> FieldJob:
    """The return visit's answer (回访): recorded on the follow-up and the job."""
    kind = Ticket.objects.values_list("kind", flat=True).get(pk=ticket_pk)
    with transaction.atomic():
        job = _lock(kind, ticket_pk)
        follow_up = follow_up_take_open(job.pk, follow_up)
        if job.state != S.RECORD_FILED:
            raise SurveyClosed()
        follow_up_record(
            job, follow_up, method=method, rating=rating, ratings=ratings,
            problem_solved=satisfied if problem_solved is None else problem_solved,
            comment=comment)
        job.satisfaction = rating
        ticket_transition(job, "record_return_visit", actor=actor,
                          actor_kind=None if actor else "customer", check_permission=bool(actor),
                          action=ACTION("return_visit"), note=comment,
                          data={"satisfied": satisfied, "rating": rating},
                          customer_visible=True)
        ticket_save(job, ["satisfaction"])
        if not satisfied:
            _notify_staff(job, "survey_dissatisfied", "assignee_and_supervisors")
    return job


def job_record_no_response(*, ticket_pk: int, follow_up: FollowUp | None = None) -> FieldJob:
    kind = Ticket.objects.values_list("kind", flat=True).get(pk=ticket_pk)
    with transaction.atomic():
        job = _lock(kind, ticket_pk)
        ticket_transition(job, "record_return_visit", actor=None, check_permission=False,
                          action=ACTION("no_response"))
        ticket_save(job, [])
    return job


def job_close(*, job_pk: int, kind: str, actor: Actor, version: int | None = None) -> FieldJob:
    with transaction.atomic():
        job = _lock(kind, job_pk, version)
        ticket_transition(job, "close", actor=actor, action=ACTION("closed"),
                          customer_visible=True)
        sla.ticket_stop_clock(job, closed=True)
        ticket_save(job, SLA_FIELDS)
    return job


def job_cancel(*, job_pk: int, kind: str, actor: Actor, reason: str,
               version: int | None = None) -> FieldJob:
    if not reason.strip():
        raise DomainError(_("Give the reason for cancelling."))
    with transaction.atomic():
        job = _lock(kind, job_pk, version)
        Visit.objects.filter(job=job, cancelled=False).update(cancelled=True)
        ticket_transition(job, "cancel", actor=actor, action=ACTION("cancelled"),
                          note=reason.strip(), customer_visible=True)
        sla.ticket_stop_clock(job, closed=True)
        _clocks_off(job)
        ticket_save(job, [*CLOCK_FIELDS, *SLA_FIELDS])
    return job


def job_spawn_return(*, job_pk: int, actor: Actor, request_type: str, reason: str,
                     version: int | None = None) -> Ticket:
    """Table C gives the customer more than a repair: start the return or exchange order,
    linked to this job by ``origin``, and hand the job over to it."""
    if request_type not in ("RETURN_REFUND", "EXCHANGE"):
        raise DomainError(_("Choose a return or an exchange."))
    if not spawnable(TicketKind.RETURN):
        raise DomainError(_("Return and exchange orders cannot be started from here yet."))
    with transaction.atomic():
        job = _lock(TicketKind.REPAIR, job_pk, version)
        view = job_warranty(job)
        if not view.owed_more_than_repair and not job.exchange_prompt:
            raise DomainError(_("The rules give this customer a repair only."))
        if request_type == "RETURN_REFUND" and "RETURN" not in view.return_or_exchange:
            raise DomainError(_("The rules give this customer an exchange, not a return."))
        Visit.objects.filter(job=job, cancelled=False, arrived_at__isnull=True).update(
            cancelled=True)
        spawned = spawn_case(TicketKind.RETURN, origin=job, actor=actor, reason=reason,
                             order_line=job.order_line, request_type=request_type)
        ticket_transition(job, "hand_over", actor=actor, action=ACTION("handed_over"),
                          note=reason, data={"number": spawned.number,
                                             "request_type": request_type},
                          customer_visible=True)
        sla.ticket_stop_clock(job, closed=True)
        _clocks_off(job)
        ticket_save(job, [*CLOCK_FIELDS, *SLA_FIELDS])
    return spawned


def job_reveal_address(*, job_pk: int, actor: Actor) -> str:
    """The full address, for the technician the job is dispatched to; logged."""
    with transaction.atomic():
        job = Ticket.objects.get(pk=job_pk)
        job = model_for(job.kind).objects.get(pk=job_pk)
        if job.assignee_id != actor.pk or not actor.has_perm("fieldservice.work_job"):
            raise PermissionRefused(_("Only the technician dispatched to this job sees the "
                                      "full address."))
        if not job.is_open:
            raise PermissionRefused(_("This job is closed."))
        timeline_record(ticket=job, action=ACTION("address_revealed"), actor=actor,
                        data={"area": job.address_area})
    return str(job.address or "")


# --- the booking offered when installable goods are delivered ---------------------------

def installation_offer(*, order_id: int) -> bool:
    """Once an order holding goods the seller installs is delivered, send the customer the
    booking link, once per order; call inside the transaction that records the delivery."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or not order.seller_installs:
        return False
    if not order.lines.filter(product__installable=True).exists():
        return False
    if InstallationJob.objects.filter(order_id=order_id).exists():
        return False
    _offer, created = InstallationOffer.objects.get_or_create(order=order)
    if created:
        outbox.enqueue("fieldservice.offer_installation", [order_id],
                       key=f"installation-offer:{order_id}")
    return created


def installation_offer_send(*, order_id: int) -> int:
    """E-mail and text the booking link to the contact on the order; how many were sent."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation

    from aftersales.notifications.sms import send_sms

    order = Order.objects.select_related("customer").get(pk=order_id)
    customer = order.customer
    products = list(order.lines.filter(product__installable=True)
                    .values_list("product__name", flat=True))
    url = (settings.SITE_URL.rstrip("/") + reverse("fieldservice:install")
           + "?" + urlencode({"order": order.number}))
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {"order": order, "products": products, "url": url}
        if customer.email:
            subject = render_to_string("fieldservice/emails/installation_offer_subject.txt",
                                       context).strip()
            body = render_to_string("fieldservice/emails/installation_offer_body.txt", context)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [customer.email])
            sent += 1
        if customer.phone:
            send_sms(customer.phone, render_to_string(
                "fieldservice/emails/installation_offer_sms.txt", context).strip())
            sent += 1
    return sent
