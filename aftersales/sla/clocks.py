"""SLA clocks on cases: which target is running, when it is due, pause and resume.

Targets come from the admins' SLA policies (per kind of case and severity) and are
counted in business hours or calendar hours on the business calendar. Due times are
computed once when a clock starts (a case enters a stage) and stored on the case, so the
sweep and the inbox only compare stored, indexed columns with the current time.

While a case waits on the customer the clock is paused: the time that was left is kept
(in the policy's basis) and a fresh due time is computed from it on resume.

Which policy applies: the most specific active row for the case's kind and severity
(kind+severity, kind, severity, general); without any row, the defaults of domain.md §6.
"""

from __future__ import annotations

import logging
import time as monotonic_time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.models import Ticket, TimelineEvent
from aftersales.core.choices import CLOCK_LABELS, SLA_STATUS_COLOUR, SlaStatus
from aftersales.followups.models import FollowUp
from aftersales.sla.calendar import (
    CONFIG_TTL_SECONDS,
    config_version,
    get_calendar,
    on_configuration_change,
)
from aftersales.sla.models import SlaPolicy, TimeBasis

logger = logging.getLogger(__name__)

CLOCK_FIELDS = [
    "first_response_due_at", "first_response_at", "resolution_due_at", "resolved_at",
    "close_due_at", "closed_at", "sla_clock", "sla_started_at", "sla_due_at", "sla_warn_at",
    "sla_status", "sla_paused_at", "sla_remaining_seconds",
]
CLOCKS = ("first_response", "resolution", "close")
DUE_FIELD = {
    "first_response": "first_response_due_at",
    "resolution": "resolution_due_at",
    "close": "close_due_at",
}
PENDING_FOLLOW_UP = ("SCHEDULED", "SENT", "REMINDED")

ACTION_AT_RISK = "aftersales.sla.at_risk"
ACTION_BREACHED = "aftersales.sla.breached"
ACTION_ESCALATED = "aftersales.sla.escalated"


@dataclass(frozen=True)
class Target:
    duration: timedelta
    business: bool


@dataclass(frozen=True)
class EffectivePolicy:
    """The targets that apply to one case, resolved from the policy table."""

    name: str
    first_response: Target | None
    resolution: Target | None
    close: Target | None
    follow_up: Target | None
    at_risk_fraction: float = 0.8
    roll_to_working_day: bool = True
    escalate_on_breach: bool = False
    policy_id: int | None = None

    def target(self, clock: str) -> Target | None:
        return getattr(self, clock)


def _minutes(value: int) -> timedelta:
    return timedelta(minutes=value)


# Defaults from domain.md §6, used when no policy row matches (the same values the first
# migration seeds for admins to edit). T1: first response to an urgent case, 30 minutes of
# working time. T2: acknowledgement within 24 h. T3: result reply within 7 calendar days.
# T18: return visit 3 days after the reply; the close target leaves room for the survey,
# its reminder and the no-response cut-off. A critical (S1) complaint escalates on breach.
GENERAL_DEFAULT = EffectivePolicy(
    name="domain.md §6 defaults",
    first_response=Target(timedelta(hours=24), False),
    resolution=Target(timedelta(days=7), False),
    close=Target(timedelta(days=7), False),
    follow_up=Target(timedelta(days=3), False),
)
URGENT_DEFAULT = replace(
    GENERAL_DEFAULT, name="domain.md §6 defaults (urgent)",
    first_response=Target(timedelta(minutes=30), True),
)
BUILT_IN_POLICIES: dict[tuple[str, str], EffectivePolicy] = {
    ("", ""): GENERAL_DEFAULT,
    ("COMPLAINT", "S1"): replace(URGENT_DEFAULT, name="domain.md §6 defaults (critical)",
                                 resolution=Target(timedelta(days=3), False),
                                 escalate_on_breach=True),
    ("COMPLAINT", "S2"): URGENT_DEFAULT,
    ("COMPLAINT", "S3"): URGENT_DEFAULT,
    ("DELIVERY", ""): replace(GENERAL_DEFAULT, first_response=Target(timedelta(hours=2), False)),
}


def _from_row(row: SlaPolicy) -> EffectivePolicy:
    def target(minutes: int | None, basis: str) -> Target | None:
        if not minutes:
            return None
        return Target(_minutes(minutes), basis == TimeBasis.BUSINESS)

    return EffectivePolicy(
        name=row.name,
        first_response=target(row.first_response_minutes, row.first_response_basis),
        resolution=target(row.resolution_minutes, row.resolution_basis),
        close=target(row.close_minutes, row.close_basis),
        follow_up=target(row.follow_up_delay_minutes, row.follow_up_basis),
        at_risk_fraction=row.at_risk_percent / 100,
        roll_to_working_day=row.roll_to_working_day,
        escalate_on_breach=row.escalate_on_breach,
        policy_id=row.pk,
    )


_policies: dict = {"version": None, "loaded": 0.0, "rows": None}


def forget_policies() -> None:
    _policies["rows"] = None


def _policy_rows() -> dict[tuple[str, str], EffectivePolicy]:
    version = config_version()
    fresh = monotonic_time.monotonic() - _policies["loaded"] < CONFIG_TTL_SECONDS
    if _policies["rows"] is not None and _policies["version"] == version and fresh:
        return _policies["rows"]
    try:
        rows = {(r.kind, r.severity): _from_row(r) for r in SlaPolicy.objects.filter(active=True)}
    except Exception:  # e.g. before migrations: keep the product running on the defaults
        logger.exception("Could not load SLA policies; using the defaults")
        rows = {}
    _policies.update(rows=rows, version=version, loaded=monotonic_time.monotonic())
    return rows


on_configuration_change(forget_policies)


def policy_for(kind: str, severity: str) -> EffectivePolicy:
    """The most specific active policy for a kind of case and a severity."""
    rows = _policy_rows()
    keys = ((kind, severity), (kind, ""), ("", severity), ("", ""))
    for table in (rows, BUILT_IN_POLICIES):
        for key in keys:
            if key in table:
                return table[key]
    return GENERAL_DEFAULT


def policy_for_ticket(ticket: Ticket) -> EffectivePolicy:
    return policy_for(ticket.kind, ticket.severity or "")


def due_after(start: datetime, target: Target, *, roll: bool = False) -> datetime:
    return get_calendar().due(start, target.duration, business=target.business, roll=roll)


def _clear_running(ticket: Ticket) -> None:
    ticket.sla_clock = ""
    ticket.sla_started_at = None
    ticket.sla_due_at = None
    ticket.sla_warn_at = None
    ticket.sla_status = SlaStatus.NONE
    ticket.sla_paused_at = None
    ticket.sla_remaining_seconds = None


def _warn_at(start: datetime, target: Target, remaining: timedelta,
             fraction: float) -> datetime:
    """When the at-risk share of the target is used, given what is left from ``start``."""
    left_when_at_risk = target.duration * (1 - fraction)
    if remaining <= left_when_at_risk:
        return start
    return get_calendar().due(start, remaining - left_when_at_risk, business=target.business)


def ticket_start_clock(ticket: Ticket, clock: str, *, at: datetime | None = None) -> None:
    """Start a clock when the case enters its stage; the due time is stored on the case."""
    if clock not in DUE_FIELD:
        raise ValueError(f"Unknown SLA clock {clock!r}")
    start = at or timezone.now()
    policy = policy_for_ticket(ticket)
    target = policy.target(clock)
    _clear_running(ticket)
    if target is None:
        setattr(ticket, DUE_FIELD[clock], None)
        return
    due = due_after(start, target, roll=policy.roll_to_working_day)
    ticket.sla_clock = clock
    ticket.sla_started_at = start
    ticket.sla_due_at = due
    ticket.sla_warn_at = min(due, _warn_at(start, target, target.duration,
                                           policy.at_risk_fraction))
    ticket.sla_status = SlaStatus.ON_TRACK
    setattr(ticket, DUE_FIELD[clock], due)


def ticket_first_response_done(ticket: Ticket, *, at: datetime | None = None) -> None:
    if ticket.first_response_at is None:
        ticket.first_response_at = at or timezone.now()
    if ticket.sla_clock == "first_response":
        ticket_stop_clock(ticket)


def ticket_resolved(ticket: Ticket, *, at: datetime | None = None) -> None:
    now = at or timezone.now()
    ticket.resolved_at = now
    ticket_start_clock(ticket, "close", at=now)


def ticket_stop_clock(ticket: Ticket, *, closed: bool = False,
                      at: datetime | None = None) -> None:
    _clear_running(ticket)
    if closed:
        ticket.closed_at = at or timezone.now()


def ticket_pause_clock(ticket: Ticket, *, at: datetime | None = None) -> None:
    """Stop counting while the case waits on the customer; keep the time that was left."""
    if not ticket.sla_clock or ticket.sla_status in (SlaStatus.PAUSED, SlaStatus.NONE):
        return
    now = at or timezone.now()
    target = policy_for_ticket(ticket).target(ticket.sla_clock)
    business = target.business if target else False
    remaining = timedelta(0)
    if ticket.sla_due_at is not None and now < ticket.sla_due_at:
        remaining = get_calendar().elapsed(now, ticket.sla_due_at, business=business)
    ticket.sla_paused_at = now
    ticket.sla_remaining_seconds = int(remaining.total_seconds())
    ticket.sla_status = SlaStatus.PAUSED
    # A paused case has no running deadline: it sorts after running ones in the inbox and
    # stays out of the sweep's indexes.
    ticket.sla_due_at = None
    ticket.sla_warn_at = None


def _status_already_recorded(ticket: Ticket) -> str:
    """The furthest SLA event the sweep recorded for the clock run that is paused."""
    actions = set(
        TimelineEvent.objects.filter(
            ticket_id=ticket.pk, action__in=[ACTION_AT_RISK, ACTION_BREACHED],
            data__clock=ticket.sla_clock, created_at__gte=ticket.sla_started_at,
        ).values_list("action", flat=True)
    ) if ticket.pk and ticket.sla_started_at else set()
    if ACTION_BREACHED in actions:
        return SlaStatus.BREACHED
    if ACTION_AT_RISK in actions:
        return SlaStatus.AT_RISK
    return SlaStatus.ON_TRACK


def ticket_resume_clock(ticket: Ticket, *, at: datetime | None = None) -> None:
    """Resume a paused clock with the time that was left when it paused.

    The status goes back to what the sweep had already recorded for this run, so a
    resumed case is never reported at risk or breached a second time; anything newly due
    is left for the next sweep to record.
    """
    if ticket.sla_status != SlaStatus.PAUSED or not ticket.sla_clock:
        return
    now = at or timezone.now()
    policy = policy_for_ticket(ticket)
    remaining = timedelta(seconds=ticket.sla_remaining_seconds or 0)
    target = policy.target(ticket.sla_clock) or Target(remaining, False)
    due = due_after(now, Target(remaining, target.business), roll=policy.roll_to_working_day)
    ticket.sla_due_at = due
    ticket.sla_warn_at = min(due, _warn_at(now, target, remaining, policy.at_risk_fraction))
    ticket.sla_status = _status_already_recorded(ticket)
    ticket.sla_paused_at = None
    ticket.sla_remaining_seconds = None
    setattr(ticket, DUE_FIELD[ticket.sla_clock], due)


def follow_up_schedule(ticket: Ticket, *, at: datetime | None = None) -> FollowUp | None:
    """Schedule the return visit (回访) after a reply (T18); earlier pending ones are cancelled.

    Returns ``None`` when the case's policy has no return visit.
    """
    ticket.follow_ups.filter(status__in=PENDING_FOLLOW_UP).update(status="CANCELLED")
    policy = policy_for_ticket(ticket)
    if policy.follow_up is None:
        return None
    start = at or timezone.now()
    due = due_after(start, policy.follow_up, roll=policy.roll_to_working_day)
    return FollowUp.objects.create(ticket=ticket, due_at=due)


# --- display -------------------------------------------------------------------------

@dataclass(frozen=True)
class SlaView:
    """What the inbox and case pages show about a case's running clock."""

    status: str
    colour: str
    label: str
    words: str
    due_at: datetime | None
    seconds_left: int | None
    clock: str = ""

    @property
    def clock_label(self) -> str:
        return str(CLOCK_LABELS.get(self.clock, ""))


def format_duration(seconds: float) -> str:
    """Short, translatable wording of a duration: "2 d 3 h", "3 h 20 min", "5 min"."""
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return str(_("%(days)d d %(hours)d h")) % {"days": days, "hours": hours}
    if hours:
        return str(_("%(hours)d h %(minutes)d min")) % {"hours": hours, "minutes": minutes}
    return str(_("%(minutes)d min")) % {"minutes": max(minutes, 1 if seconds else 0)}


def sla_view(ticket: Ticket, *, now: datetime | None = None) -> SlaView:
    """Time left, at risk or breached, in colour and in words.

    The stored status is what the sweep recorded; between two sweeps the stored due and
    warn times already tell, so the page is never behind the clock. Reads only the fields
    the inbox loads (no ``sla_clock`` unless it was loaded).
    """
    now = now or timezone.now()
    status = ticket.sla_status or SlaStatus.NONE
    clock = "" if "sla_clock" in ticket.get_deferred_fields() else ticket.sla_clock
    if status == SlaStatus.PAUSED:
        left = ticket.sla_remaining_seconds or 0
        words = str(_("Paused, waiting for the customer; %(left)s left")) % {
            "left": format_duration(left)}
        return SlaView(status, SLA_STATUS_COLOUR[status], str(SlaStatus(status).label), words,
                       None, left, clock)
    due = ticket.sla_due_at
    if status == SlaStatus.NONE or due is None:
        return SlaView(SlaStatus.NONE, SLA_STATUS_COLOUR[SlaStatus.NONE],
                       str(SlaStatus.NONE.label), str(_("No running deadline")), None, None,
                       clock)
    seconds_left = int((due - now).total_seconds())
    if status == SlaStatus.BREACHED or seconds_left <= 0:
        status = SlaStatus.BREACHED
        words = str(_("Breached %(ago)s ago")) % {"ago": format_duration(seconds_left)}
    elif status == SlaStatus.AT_RISK or (ticket.sla_warn_at and ticket.sla_warn_at <= now):
        status = SlaStatus.AT_RISK
        words = str(_("At risk: %(left)s left")) % {"left": format_duration(seconds_left)}
    else:
        status = SlaStatus.ON_TRACK
        words = str(_("%(left)s left")) % {"left": format_duration(seconds_left)}
    return SlaView(status, SLA_STATUS_COLOUR[status], str(SlaStatus(status).label), words, due,
                   seconds_left, clock)
