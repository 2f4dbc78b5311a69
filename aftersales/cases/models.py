import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from aftersales.catalog.models import Order, OrderLine, Product
from aftersales.core.choices import (
    Channel,
    Severity,
    SlaStatus,
    Stage,
    TicketKind,
)
from aftersales.people import crypto
from aftersales.people.fields import EncryptedModelMixin, EncryptedTextField
from aftersales.people.models import Customer, Department


def new_tracking_token() -> str:
    return secrets.token_urlsafe(32)


class TicketSequence(models.Model):
    """Per-prefix, per-day counter behind human case numbers such as CP-20261122-0001."""

    prefix = models.CharField(max_length=4)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "day"], name="ticketsequence_prefix_day")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.day:%Y%m%d}: {self.last}"


# The case's optional foreign keys, indexed only where set (``Ticket.Meta.indexes``).
OPTIONAL_LINKS = ("order", "order_line", "product", "department", "assignee", "registered_by",
                  "repeat_of", "origin")


class Ticket(EncryptedModelMixin, FSMModelMixin, models.Model):
    """After-sales work order (售后工单): the common base of every kind of case.

    Complaints, return orders, repair jobs and delivery incidents extend it (multi-table
    inheritance) so the inbox, the timeline and the SLA sweep work on one table.
    """

    number = models.CharField(_("number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=TicketKind.choices)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    state = FSMField(_("state"), max_length=32, default="RECEIVED", protected=True)
    stage = models.CharField(
        _("stage"), max_length=10, choices=Stage.choices, default=Stage.REGISTER
    )
    is_open = models.BooleanField(_("open"), default=True)

    # Indexed by ``ticket_customer_recent``, which leads with the customer.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("customer"),
        db_index=False,
    )
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets",
        verbose_name=_("order"), db_index=False,
    )
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets",
        db_index=False,
    )
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets",
        verbose_name=_("product"), db_index=False,
    )
    # One line saying what the case is about, written by the kind (``CaseKind.subject``).
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    order_number_given = models.CharField(_("order number as given"), max_length=64, blank=True)
    # The contact the case was filed with, kept apart from the customer's contact on file:
    # an anonymous submission never changes what is on file (an agent confirms it instead).
    contact_phone_given = EncryptedTextField(_("phone as given"), blank=True)
    contact_email_given = EncryptedTextField(_("e-mail as given"), blank=True)
    contact_phone_given_hash = models.CharField(max_length=64, blank=True, editable=False)
    contact_email_given_hash = models.CharField(max_length=64, blank=True, editable=False)
    product_given = models.CharField(_("product as given"), max_length=200, blank=True)

    severity = models.CharField(_("severity"), max_length=2, choices=Severity.choices, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=4)
    is_emergency = models.BooleanField(_("emergency"), default=False)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets",
        verbose_name=_("responsible department"), db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="assigned_tickets", verbose_name=_("handler"), db_index=False,
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="registered_tickets", verbose_name=_("registered by"), db_index=False,
    )

    tracking_token = models.CharField(
        max_length=64, unique=True, default=new_tracking_token, editable=False
    )
    # The one-time token of the form the case was created from: a second post of that form
    # (a double click, a retry after a timeout) fails on the unique index and finds this case.
    form_token = models.CharField(max_length=64, null=True, blank=True, editable=False)
    repeat_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="repeats",
        verbose_name=_("repeat of"), db_index=False,
    )
    origin = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="spawned",
        verbose_name=_("spawned from"), db_index=False,
    )

    language = models.CharField(_("customer language"), max_length=10, default="zh-hans")
    received_at = models.DateTimeField(_("received at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # SLA clocks: each target is computed when its stage starts and stored, so the sweep
    # and the inbox read indexed columns instead of recomputing calendars per row.
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    close_due_at = models.DateTimeField(_("close due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    sla_clock = models.CharField(_("running clock"), max_length=16, blank=True)
    sla_started_at = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_status = models.CharField(
        _("SLA status"), max_length=10, choices=SlaStatus.choices, default=SlaStatus.NONE
    )
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    sla_remaining_seconds = models.PositiveIntegerField(null=True, blank=True)

    # Bumped on every write; a form carries the version it was rendered with, so an
    # action taken on a stale page is refused instead of overwriting someone else's work.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("after-sales case")
        verbose_name_plural = _("after-sales cases")
        permissions = [
            ("view_all_tickets", _("Can see cases of every department")),
            ("add_note", _("Can add notes and messages to cases")),
            ("confirm_contact", _("Can confirm a contact given with a case onto the customer")),
            ("reassign_ticket", _("Can move cases to another department or handler")),
        ]
        indexes = [
            models.Index(
                "sla_due_at", "priority", "id",
                name="ticket_open_urgency", condition=Q(is_open=True),
            ),
            # The department rides along so a handler's own tab (scoped to their department)
            # is read from the index alone.
            models.Index(
                fields=["assignee", "sla_due_at", "priority", "id"], include=["department"],
                name="ticket_assignee_urgency", condition=Q(is_open=True),
            ),
            models.Index(
                "sla_due_at", "priority", "id", name="ticket_unassigned_urgency",
                condition=Q(is_open=True, assignee__isnull=True),
            ),
            # Kind and severity ride along: a filtered emergency tab (or its count) checks
            # them in the index instead of reading every emergency's row.
            models.Index(
                fields=["sla_due_at", "priority", "id"], include=["kind", "severity"],
                name="ticket_emergency_urgency", condition=Q(is_open=True, is_emergency=True),
            ),
            models.Index(
                "department", "sla_due_at", "priority", "id",
                name="ticket_dept_urgency", condition=Q(is_open=True),
            ),
            # A handler's tabs are scoped to their department: the same orders, led by it.
            models.Index(
                "department", "sla_due_at", "priority", "id",
                name="ticket_dept_unassigned_urgency",
                condition=Q(is_open=True, assignee__isnull=True),
            ),
            models.Index(
                fields=["department", "sla_due_at", "priority", "id"], include=["kind", "severity"],
                name="ticket_dept_emergency_urgency", condition=Q(is_open=True, is_emergency=True),
            ),
            models.Index(
                "department", "state", "sla_due_at", "priority", "id",
                name="ticket_dept_state_urgency", condition=Q(is_open=True),
            ),
            models.Index(
                "state", "sla_due_at", name="ticket_state_urgency",
            ),
            # Approval and waiting-on-customer tabs: the open cases of a few states, in
            # urgency order, without the closed history the index above also holds.
            models.Index(
                "state", "sla_due_at", "priority", "id", name="ticket_open_state_urgency",
                condition=Q(is_open=True),
            ),
            models.Index(
                "priority", "sla_due_at", "id", name="ticket_open_priority",
                condition=Q(is_open=True),
            ),
            models.Index("received_at", "id", name="ticket_open_age", condition=Q(is_open=True)),
            models.Index(fields=["customer", "-received_at"], name="ticket_customer_recent"),
            models.Index(fields=["-received_at"], name="ticket_received"),
            models.Index("closed_at", "id", name="ticket_closed_id",
                         condition=Q(closed_at__isnull=False)),
            models.Index("order_number_given", name="ticket_order_given",
                         condition=~Q(order_number_given="")),
            models.Index(
                "sla_due_at", name="ticket_sla_due",
                condition=Q(sla_status__in=["on_track", "at_risk"]),
            ),
            models.Index(
                "sla_warn_at", name="ticket_sla_warn", condition=Q(sla_status="on_track"),
            ),
            # Links a new case mostly lacks (no order given, no handler yet, not a repeat):
            # indexed where set, so registering a case writes none of these entries.
            *(models.Index(fields=[link], name=f"ticket_{link}_set",
                           condition=Q(**{f"{link}__isnull": False}))
              for link in OPTIONAL_LINKS),
        ]
        constraints = [
            models.UniqueConstraint(fields=["form_token"], name="ticket_form_token_once",
                                    condition=Q(form_token__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.number

    def set_contact_given(self, *, phone: str = "", email: str = "") -> None:
        """Keep the contact this case was filed with, normalised like the customer's."""
        self.contact_phone_given = crypto.normalize_phone(phone)
        self.contact_email_given = crypto.normalize_email(email)
        self.contact_phone_given_hash = crypto.lookup_hash(self.contact_phone_given)
        self.contact_email_given_hash = crypto.lookup_hash(self.contact_email_given)

    @property
    def unconfirmed_contact(self) -> dict[str, str]:
        """The contact given with this case that differs from the customer's on file.

        Keys are ``phone`` and ``email``; compared by lookup hash, so nothing is decrypted.
        """
        customer = self.customer
        differs = {}
        if self.contact_phone_given_hash and self.contact_phone_given_hash != customer.phone_hash:
            differs["phone"] = self.contact_phone_given
        if self.contact_email_given_hash and self.contact_email_given_hash != customer.email_hash:
            differs["email"] = self.contact_email_given
        return differs

    def get_state_display(self) -> str:
        """The state's label; each kind of case declares its states as ``States``."""
        states = getattr(self, "States", None)
        if states is None or self.state not in states.values:
            return self.state
        return states(self.state).label


class TimelineEvent(models.Model):
    """Append-only history of a case: the audit trail and the ledger's record of every step.

    ``action`` is a stable code; the text shown is looked up in the action registry and
    translated at display time, so nothing is stored in the writer's language.
    """

    class ActorKind(models.TextChoices):
        STAFF = "staff", _("Staff")
        CUSTOMER = "customer", _("Customer")
        SYSTEM = "system", _("System")

    # Indexed by ``event_ticket_time``, which leads with the case.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events",
                               db_index=False)
    action = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_name = models.CharField(max_length=150, blank=True)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    customer_visible = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="event_ticket_time"),
            models.Index(fields=["action", "created_at"], name="event_action_time"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Timeline events are append-only")
        super().save(*args, **kwargs)


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.ticket_id}/{secrets.token_hex(8)}{instance.extension}"


class Attachment(models.Model):
    """Evidence file (photo, video, PDF). Stored under a random name; served only by a view."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        TimelineEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField()
    customer_visible = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="attachment_ticket")]

    def __str__(self) -> str:
        return self.original_name


class CannedResponse(models.Model):
    """A reusable reply text agents can start from."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    kind = models.CharField(_("case kind"), max_length=10, choices=TicketKind.choices, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self) -> str:
        return self.title
