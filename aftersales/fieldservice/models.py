"""Repair jobs (报修) and installation jobs (安装): the kernel's field service.

Both are multi-table children of ``Ticket``. Technicians, their visits (never two at once
for one technician: an exclusion constraint on PostgreSQL), parts, quotes and signatures
hang off the job.
"""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.db import models
from django.db.models import Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import transition

from aftersales.cases.models import Ticket
from aftersales.people.fields import EncryptedTextField

from .choices import (
    FINAL_STATES,
    READ_ONLY_STATES,
    STAGE_OF_STATE,
    ExchangePrompt,
    FaultType,
    JobState,
    QuoteStatus,
    ServiceMode,
    SignerRole,
)

S = JobState
CANCELLABLE = [S.REPORTED, S.REQUESTED, S.TRIAGED, S.PREPARED, S.AWAIT_QUOTE, S.SCHEDULED,
               S.DISPATCHED, S.AWAIT_INBOUND]
HAND_OVER_FROM = [S.TRIAGED, S.AWAIT_QUOTE, S.SCHEDULED, S.DISPATCHED,
                  S.AWAIT_INBOUND, S.IN_SERVICE]


def _has(perm: str):
    def check(instance: "FieldJob", user) -> bool:
        return user.has_perm(perm)

    return check


def _assigned_technician(instance: "FieldJob", user) -> bool:
    """Work on site is recorded by the technician the job is dispatched to."""
    return user.has_perm("fieldservice.work_job") and instance.assignee_id == user.pk


def work_may_start(instance: "FieldJob") -> bool:
    """Free jobs go ahead; paid ones only after the customer accepted the written quote."""
    return instance.free_of_charge or instance.quote_accepted


def _on_site(instance: "FieldJob") -> bool:
    return instance.service_mode == ServiceMode.ON_SITE


def _mail_in(instance: "FieldJob") -> bool:
    return instance.service_mode == ServiceMode.MAIL_IN


def _has_customer_signature(instance: "FieldJob") -> bool:
    return instance.acceptance_signed


def _has_quote(instance: "FieldJob") -> bool:
    return instance.current_quote_id is not None and not instance.quote_accepted


def _has_agreed_time(instance: "FieldJob") -> bool:
    return instance.agreed_start is not None


def _has_cause(instance: "FieldJob") -> bool:
    return bool(instance.cause)


class FieldJob(models.Model):
    """What repair and installation jobs share: the unit, the place, the time, the work."""

    STAGE_OF_STATE = STAGE_OF_STATE
    FINAL_STATES = FINAL_STATES
    READ_ONLY_STATES = READ_ONLY_STATES
    States = JobState

    serial_number = models.CharField(_("serial number"), max_length=64, blank=True)
    fault_description = models.TextField(_("fault or request"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    # The district only (domain.md §10.3): what lists and the board show.
    address_area = models.CharField(_("district"), max_length=100, blank=True)
    region = models.CharField(_("service region"), max_length=50, blank=True)
    # The customer's preferred windows: [{"start": iso, "end": iso}, ...]
    preferred_windows = models.JSONField(_("preferred time windows"), default=list, blank=True)
    # Slots the agent offers for the customer to pick on the tracking page.
    offered_slots = models.JSONField(_("offered slots"), default=list, blank=True)
    agreed_start = models.DateTimeField(_("agreed from"), null=True, blank=True)
    agreed_end = models.DateTimeField(_("agreed until"), null=True, blank=True)
    service_mode = models.CharField(_("service"), max_length=8, choices=ServiceMode.choices,
                                    default=ServiceMode.ON_SITE)

    # Warranty facts found at triage (domain.md §5.3 step 2, §7.3).
    warranty_start = models.DateField(_("warranty starts"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty ends"), null=True, blank=True)
    in_warranty = models.BooleanField(_("in warranty"), null=True)
    genuine = models.BooleanField(_("genuine product"), null=True)
    fault_type = models.CharField(_("fault type"), max_length=20, choices=FaultType.choices,
                                  blank=True)
    eligibility_rule = models.CharField(_("三包 rule"), max_length=4, blank=True)
    free_of_charge = models.BooleanField(_("free of charge"), default=False)
    unit_repair_count = models.PositiveSmallIntegerField(_("repairs of this unit in validity"),
                                                         default=0)
    current_quote = models.ForeignKey("Quote", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+", verbose_name=_("current quote"))
    quote_accepted = models.BooleanField(_("quote accepted"), default=False)

    # The work.
    cause = models.TextField(_("cause found"), blank=True)
    repeat_visits = models.PositiveSmallIntegerField(_("repeat visits"), default=0)
    rejection_reason = models.TextField(_("reason for rejecting the work"), blank=True)
    completed_at = models.DateTimeField(_("work accepted at"), null=True, blank=True)
    # Every signature the acceptance needs is stored (the customer's; on an installation
    # the technician's too). Cleared when the work is handed over for acceptance again.
    acceptance_signed = models.BooleanField(default=False)

    # Clocks (T14, T15, T17): due columns the sweep compares with now.
    service_started_at = models.DateTimeField(_("unit handed in at"), null=True, blank=True)
    customer_wait_seconds = models.PositiveIntegerField(default=0)
    customer_wait_since = models.DateTimeField(null=True, blank=True)
    repair_overrun_at = models.DateTimeField(_("T14: repair overrun at"), null=True, blank=True)
    awaiting_parts_since = models.DateTimeField(_("waiting for parts since"), null=True,
                                                blank=True)
    no_parts_overrun_at = models.DateTimeField(_("T15: no parts overrun at"), null=True,
                                               blank=True)
    exchange_prompt = models.CharField(_("free exchange due"), max_length=4, blank=True,
                                       choices=ExchangePrompt.choices)
    record_due_at = models.DateTimeField(_("service record due"), null=True, blank=True)
    record_filed_at = models.DateTimeField(_("service record filed"), null=True, blank=True)
    record_overdue = models.BooleanField(_("service record overdue"), default=False)

    # Mail-in repair (寄修).
    inbound_carrier = models.CharField(_("inbound carrier"), max_length=50, blank=True)
    inbound_tracking = models.CharField(_("inbound tracking number"), max_length=64, blank=True)
    received_at_centre = models.DateTimeField(_("received at the service centre"), null=True,
                                              blank=True)
    outbound_carrier = models.CharField(_("outbound carrier"), max_length=50, blank=True)
    outbound_tracking = models.CharField(_("outbound tracking number"), max_length=64,
                                         blank=True)
    shipped_back_at = models.DateTimeField(_("shipped back at"), null=True, blank=True)

    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True,
                                                    blank=True)

    class Meta:
        abstract = True

    @property
    def is_read_only(self) -> bool:
        return self.state in self.READ_ONLY_STATES

    @property
    def days_in_repair(self) -> int | None:
        """Calendar days since hand-in, time waiting on the customer excluded."""
        if self.service_started_at is None:
            return None
        end = self.completed_at or timezone.now()
        waited = self.customer_wait_seconds
        if self.customer_wait_since is not None:
            waited += int((end - self.customer_wait_since).total_seconds())
        seconds = (end - self.service_started_at).total_seconds() - waited
        return max(0, int(seconds // 86400))

    # --- shared lifecycle -------------------------------------------------------------
    @transition(field="state", source=[S.TRIAGED, S.PREPARED], target=S.SCHEDULED,
                conditions=[work_may_start, _on_site],
                permission=_has("fieldservice.schedule_job"))
    def schedule(self) -> None:
        pass

    # The customer picks one of the offered slots on the tracking page.
    @transition(field="state", source=[S.TRIAGED, S.PREPARED], target=S.SCHEDULED,
                conditions=[work_may_start, _on_site])
    def customer_pick_slot(self) -> None:
        pass

    @transition(field="state", source=S.SCHEDULED, target=S.DISPATCHED,
                conditions=[_has_agreed_time], permission=_has("fieldservice.dispatch_job"))
    def dispatch(self) -> None:
        pass

    @transition(field="state", source=S.DISPATCHED, target=S.SCHEDULED,
                permission=_has("fieldservice.dispatch_job"))
    def unassign(self) -> None:
        pass

    @transition(field="state", source=S.ACCEPTED, target=S.RECORD_FILED,
                permission=_has("fieldservice.file_record"))
    def file_record(self) -> None:
        pass

    @transition(field="state", source=S.RECORD_FILED, target=S.RETURN_VISIT,
                permission=_has("fieldservice.close_job"))
    def record_return_visit(self) -> None:
        pass

    @transition(field="state", source=S.RETURN_VISIT, target=S.CLOSED,
                permission=_has("fieldservice.close_job"))
    def close(self) -> None:
        pass

    @transition(field="state", source=CANCELLABLE, target=S.CANCELLED,
                permission=_has("fieldservice.triage_job"))
    def cancel(self) -> None:
        pass

    # The customer declines the written quote: nothing is done, the job ends.
    @transition(field="state", source=S.AWAIT_QUOTE, target=S.CANCELLED)
    def customer_decline_quote(self) -> None:
        pass


class RepairJob(FieldJob, Ticket):
    """A repair job (维修工单): 报修 → 确认 → 派工 → 维修 → 验收 → 回访 (domain.md §5.3)."""

    previous_job = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("earlier repair of this unit"),
    )
    # T16: the unit failed again within 30 days of an accepted repair.
    failed_repair = models.BooleanField(_("failed repair (T16)"), default=False)
    counted_repair = models.BooleanField(_("counted as a 三包 repair"), default=False)

    class Meta:
        verbose_name = _("repair job")
        verbose_name_plural = _("repair jobs")
        permissions = [
            ("register_job", _("Can report faults and book installations")),
            ("triage_job", _("Can triage, quote and cancel field jobs")),
            ("schedule_job", _("Can agree visit times with customers")),
            ("dispatch_job", _("Can dispatch technicians")),
            ("work_job", _("Can record work on site")),
            ("file_record", _("Can file service records")),
            ("close_job", _("Can record return visits and close field jobs")),
            ("view_board", _("Can see the dispatch board")),
            ("view_scorecard", _("Can see technician scorecards")),
        ]
        indexes = [
            models.Index(fields=["serial_number"], name="repairjob_serial",
                         condition=~Q(serial_number="")),
            models.Index("record_due_at", name="repairjob_record_due",
                         condition=Q(record_overdue=False, record_filed_at__isnull=True)),
            models.Index("repair_overrun_at", name="repairjob_overrun",
                         condition=Q(exchange_prompt="")),
            models.Index("no_parts_overrun_at", name="repairjob_no_parts",
                         condition=Q(exchange_prompt="")),
        ]

    def __str__(self) -> str:
        return self.number

    @transition(field="state", source=S.REPORTED, target=S.TRIAGED,
                permission=_has("fieldservice.triage_job"))
    def triage(self) -> None:
        pass

    @transition(field="state", source=S.TRIAGED, target=S.AWAIT_QUOTE,
                conditions=[_has_quote], permission=_has("fieldservice.triage_job"))
    def send_quote(self) -> None:
        pass

    @transition(field="state", source=S.AWAIT_QUOTE, target=S.TRIAGED)
    def customer_accept_quote(self) -> None:
        self.quote_accepted = True

    @transition(field="state", source=S.TRIAGED, target=S.AWAIT_INBOUND,
                conditions=[work_may_start, _mail_in],
                permission=_has("fieldservice.schedule_job"))
    def await_inbound(self) -> None:
        pass

    @transition(field="state", source=S.AWAIT_INBOUND, target=S.IN_SERVICE,
                permission=_has("fieldservice.work_job"))
    def receive_inbound(self) -> None:
        pass

    @transition(field="state", source=S.DISPATCHED, target=S.IN_SERVICE,
                conditions=[work_may_start], permission=_assigned_technician)
    def check_in(self) -> None:
        pass

    @transition(field="state", source=S.IN_SERVICE, target=S.ACCEPTANCE,
                conditions=[_has_cause, _on_site], permission=_assigned_technician)
    def complete(self) -> None:
        pass

    @transition(field="state", source=S.IN_SERVICE, target=S.SHIPPED_BACK,
                conditions=[_has_cause, _mail_in], permission=_has("fieldservice.work_job"))
    def ship_back(self) -> None:
        pass

    # On site the customer signs on the technician's screen; a mail-in customer confirms
    # receipt on the tracking page (or an agent records it from a call).
    @transition(field="state", source=S.ACCEPTANCE, target=S.ACCEPTED,
                conditions=[_has_customer_signature], permission=_assigned_technician)
    def customer_accept(self) -> None:
        pass

    @transition(field="state", source=S.SHIPPED_BACK, target=S.ACCEPTED)
    def customer_confirm_receipt(self) -> None:
        pass

    @transition(field="state", source=S.ACCEPTANCE, target=S.IN_SERVICE,
                permission=_assigned_technician)
    def customer_reject(self, reason: str) -> None:
        self.rejection_reason = reason
        self.repeat_visits += 1

    @transition(field="state", source=S.IN_SERVICE, target=None,
                permission=_has("fieldservice.work_job"))
    def wait_for_parts(self) -> None:
        pass

    @transition(field="state", source=HAND_OVER_FROM, target=S.HANDED_OVER,
                permission=_has("fieldservice.triage_job"))
    def hand_over(self) -> None:
        pass


class InstallationJob(FieldJob, Ticket):
    """An installation (安装): 安装 → 联合验收 with both signatures (domain.md §5.4)."""

    installed_at = models.DateTimeField(_("installed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("installation job")
        verbose_name_plural = _("installation jobs")
        indexes = [
            models.Index("record_due_at", name="installjob_record_due",
                         condition=Q(record_overdue=False, record_filed_at__isnull=True)),
        ]
    def __str__(self) -> str:
        return self.number


    @transition(field="state", source=S.REQUESTED, target=S.PREPARED,
                permission=_has("fieldservice.triage_job"))
    def prepare(self) -> None:
        self.free_of_charge = True

    @transition(field="state", source=S.DISPATCHED, target=S.INSTALLING,
                permission=_assigned_technician)
    def check_in(self) -> None:
        pass

    @transition(field="state", source=S.INSTALLING, target=S.JOINT_ACCEPTANCE,
                conditions=[_has_cause], permission=_assigned_technician)
    def complete(self) -> None:
        pass

    @transition(field="state", source=S.JOINT_ACCEPTANCE, target=S.ACCEPTED,
                conditions=[_has_customer_signature], permission=_assigned_technician)
    def customer_accept(self) -> None:
        pass

    @transition(field="state", source=S.JOINT_ACCEPTANCE, target=S.INSTALLING,
                permission=_assigned_technician)
    def customer_reject(self, reason: str) -> None:
        self.rejection_reason = reason
        self.repeat_visits += 1


class Technician(models.Model):
    """A field technician: the product categories they may work on and where."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="technician")
    skills = models.JSONField(_("skills (product categories)"), default=list, blank=True)
    region = models.CharField(_("region"), max_length=50)
    phone = models.CharField(_("work phone"), max_length=32, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["region", "user__username"]
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    def can_work_on(self, category: str) -> bool:
        return not category or category in self.skills


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()


class Visit(models.Model):
    """A technician's booked time at a job, with the travel buffer after it.

    The time a visit blocks is ``[start, blocked_until)``, ``blocked_until`` being the end
    plus the travel buffer. On PostgreSQL an exclusion constraint refuses two active visits
    of one technician whose blocked times overlap.
    """

    job = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="visits")
    technician = models.ForeignKey(Technician, on_delete=models.PROTECT, related_name="visits")
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    travel_buffer = models.DurationField(_("travel buffer"), default=timedelta(minutes=30))
    blocked_until = models.DateTimeField()
    cancelled = models.BooleanField(default=False)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    late_minutes = models.PositiveIntegerField(_("minutes late"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            models.Index(fields=["technician", "start"], name="visit_technician_start",
                         condition=Q(cancelled=False)),
            models.Index(fields=["start"], name="visit_start", condition=Q(cancelled=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")),
                                   name="visit_ends_after_start"),
            models.CheckConstraint(condition=Q(blocked_until__gte=models.F("end")),
                                   name="visit_buffer_after_end"),
            ExclusionConstraint(
                name="visit_no_double_booking",
                expressions=[
                    ("technician", RangeOperators.EQUAL),
                    (TsTzRange("start", "blocked_until", RangeBoundary()),
                     RangeOperators.OVERLAPS),
                ],
                condition=Q(cancelled=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_id} {self.technician_id} {self.start:%Y-%m-%d %H:%M}"


class Part(models.Model):
    """A spare part technicians can use, with its price on paid jobs."""

    code = models.CharField(_("part number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    price = models.DecimalField(_("price (yuan)"), max_digits=10, decimal_places=2,
                                default=Decimal("0.00"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        constraints = [models.CheckConstraint(condition=Q(price__gte=0),
                                              name="part_price_not_negative")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PartUsed(models.Model):
    """Parts fitted on a job; priced on paid jobs, zero on free ones."""

    job = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="parts_used")
    visit = models.ForeignKey(Visit, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="parts_used")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price (yuan)"), max_digits=10, decimal_places=2)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="partused_quantity_pos"),
            models.CheckConstraint(condition=Q(unit_price__gte=0),
                                   name="partused_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.part_id} × {self.quantity}"

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


class Quote(models.Model):
    """A written quote for a paid repair (parts and labour), accepted before any work."""

    job = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="quotes")
    parts_amount = models.DecimalField(_("parts (yuan)"), max_digits=10, decimal_places=2)
    labour_amount = models.DecimalField(_("labour (yuan)"), max_digits=10, decimal_places=2)
    note = models.TextField(_("what the quote covers"), blank=True)
    status = models.CharField(max_length=10, choices=QuoteStatus.choices,
                              default=QuoteStatus.PENDING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(parts_amount__gte=0, labour_amount__gte=0),
                                   name="quote_amounts_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id} {self.total}"

    @property
    def total(self) -> Decimal:
        return self.parts_amount + self.labour_amount


def signature_path(instance: "Signature", filename: str) -> str:
    return f"signatures/{instance.job_id}/{secrets.token_hex(8)}.png"


class Signature(models.Model):
    """A signature drawn with a finger on the technician's screen, kept as a PNG."""

    job = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="signatures")
    visit = models.ForeignKey(Visit, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="signatures")
    role = models.CharField(max_length=10, choices=SignerRole.choices)
    signer_name = models.CharField(_("name of the signer"), max_length=100)
    image = models.FileField(upload_to=signature_path)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.job_id} {self.role}"


class InstallationOffer(models.Model):
    """The booking link sent once an order with goods the seller installs was delivered."""

    order = models.OneToOneField("aftersales.Order", on_delete=models.CASCADE,
                                 related_name="installation_offer", verbose_name=_("order"))
    offered_at = models.DateTimeField(_("offered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("installation offer")
        verbose_name_plural = _("installation offers")

    def __str__(self) -> str:
        return f"{self.order_id} @ {self.offered_at:%Y-%m-%d}"
