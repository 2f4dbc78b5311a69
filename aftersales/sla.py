"""SLA clocks on cases: which target is running, when it is due, pause and resume.

Due times are computed once when a clock starts and stored on the case; the sweep only
compares stored columns with the current time.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from .choices import SlaStatus
from .models import FollowUp, Ticket

CLOCK_FIELDS = [
    "first_response_due_at", "first_response_at", "resolution_due_at", "resolved_at",
    "close_due_at", "closed_at", "sla_clock", "sla_started_at", "sla_due_at", "sla_warn_at",
    "sla_status", "sla_paused_at", "sla_remaining_seconds",
]
AT_RISK_FRACTION = 0.8

# Calendar-time defaults from domain.md §6 (T2, T3, T18).
DEFAULT_TARGETS = {
    "first_response": timedelta(hours=24),
    "resolution": timedelta(days=7),
    "close": timedelta(days=3),
}
DUE_FIELD = {
    "first_response": "first_response_due_at",
    "resolution": "resolution_due_at",
    "close": "close_due_at",
}


def target_for(ticket: Ticket, clock: str) -> timedelta:
    return DEFAULT_TARGETS[clock]


def due_after(ticket: Ticket, start: datetime, duration: timedelta) -> datetime:
    return start + duration


def _set_running(ticket: Ticket, clock: str, start: datetime, due: datetime) -> None:
    ticket.sla_clock = clock
    ticket.sla_started_at = start
    ticket.sla_due_at = due
    ticket.sla_warn_at = start + (due - start) * AT_RISK_FRACTION
    ticket.sla_status = SlaStatus.ON_TRACK
    ticket.sla_paused_at = None
    ticket.sla_remaining_seconds = None
    setattr(ticket, DUE_FIELD[clock], due)


def ticket_start_clock(ticket: Ticket, clock: str, *, at: datetime | None = None) -> None:
    start = at or timezone.now()
    _set_running(ticket, clock, start, due_after(ticket, start, target_for(ticket, clock)))


def ticket_first_response_done(ticket: Ticket, *, at: datetime | None = None) -> None:
    if ticket.first_response_at is None:
        ticket.first_response_at = at or timezone.now()
    if ticket.sla_clock == "first_response":
        ticket_stop_clock(ticket)


def ticket_resolved(ticket: Ticket, *, at: datetime | None = None) -> None:
    now = at or timezone.now()
    ticket.resolved_at = now
    ticket_start_clock(ticket, "close", at=now)


def ticket_stop_clock(ticket: Ticket, *, closed: bool = False) -> None:
    ticket.sla_clock = ""
    ticket.sla_due_at = None
    ticket.sla_warn_at = None
    ticket.sla_status = SlaStatus.NONE
    ticket.sla_paused_at = None
    ticket.sla_remaining_seconds = None
    if closed:
        ticket.closed_at = timezone.now()


def ticket_pause_clock(ticket: Ticket) -> None:
    if not ticket.sla_clock or ticket.sla_status == SlaStatus.PAUSED:
        return
    now = timezone.now()
    ticket.sla_paused_at = now
    ticket.sla_remaining_seconds = max(0, int((ticket.sla_due_at - now).total_seconds()))
    ticket.sla_status = SlaStatus.PAUSED


def ticket_resume_clock(ticket: Ticket) -> None:
    if ticket.sla_status != SlaStatus.PAUSED:
        return
    now = timezone.now()
    due = due_after(ticket, now, timedelta(seconds=ticket.sla_remaining_seconds or 0))
    _set_running(ticket, ticket.sla_clock, now - (ticket.sla_due_at - ticket.sla_started_at
                                                 - (due - now)), due)


def follow_up_schedule(ticket: Ticket) -> FollowUp:
    """Schedule the return visit (回访) after a reply (T18)."""
    ticket.follow_ups.filter(status__in=["SCHEDULED", "SENT", "REMINDED"]).update(
        status="CANCELLED"
    )
    return FollowUp.objects.create(ticket=ticket, due_at=timezone.now() + DEFAULT_TARGETS["close"])
