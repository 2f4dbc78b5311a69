"""Per-case KPI facts: what one case contributes to each KPI of domain.md §9.

Computed for a batch of cases with a fixed number of queries (cases, kind extras,
acceptance times, reply/reopen events, exclusions, return visits), whatever the batch
size. The readings of §9 that the facts encode:

* excluded from every KPI: cases marked as test data, merged duplicates (a duplicate
  refused as such, or marked), cases withdrawn before acceptance (``KpiExclusion``);
* accepted: the kind's acceptance event exists (complaints: ``accepted``);
* first response on time: ``first_response_at <= first_response_due_at``; handled on
  time: ``resolved_at <= resolution_due_at``. The kernel moves the due time on when a
  paused clock resumes, so waiting on the customer is not counted against the case;
* response time: received → first response; cycle time: received → (latest) reply;
* solved: outcome SOLVED, the return visit did not say "not solved", and no reopening
  within ``KPI_REOPEN_WINDOW_DAYS`` (15) of a reply;
* repeat: linked to an earlier case (the kernel's repeat rule, T21) that is itself counted;
* liable to a unit: archived, the plan names a responsible unit, and neither the outcome
  nor the plan's liability is NOT_LIABLE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from aftersales.models import FollowUp, Ticket

from ..models import KpiExclusion
from .buckets import bucket_of
from .kinds import kind_facts

ATTEMPTED_VISIT = ("SENT", "REMINDED", "ANSWERED", "NO_RESPONSE")
CLOSED_STATE = "CLOSED"
TICKET_FIELDS = (
    "pk", "kind", "channel", "state", "department_id", "severity", "assignee_id",
    "repeat_of_id", "received_at", "first_response_due_at", "first_response_at",
    "resolution_due_at", "resolved_at", "closed_at",
)


def local_day(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def reopen_window() -> timedelta:
    return timedelta(days=getattr(settings, "KPI_REOPEN_WINDOW_DAYS", 15))


def satisfied_min_rating() -> int:
    return getattr(settings, "KPI_SATISFIED_MIN_RATING", 4)


def reopened_soon(events: list[tuple[datetime, bool]], window: timedelta) -> bool:
    """Whether a reopening came within ``window`` after the reply it reopened."""
    last_reply = None
    for at, is_reopen in events:
        if not is_reopen:
            last_reply = at
        elif last_reply is not None and at - last_reply <= window:
            return True
    return False


@dataclass(slots=True)
class FactRow:
    """One ``KpiCaseFact`` row before it is written (a model instance costs ten times more
    to build, which a rebuild does a million times)."""

    ticket_id: int
    kind: str
    category: str
    channel: str
    department_id: int | None
    severity: str
    unit_id: int | None
    owner_id: int | None
    received_day: date | None
    repeat: bool = False
    accepted_day: date | None = None
    fr_due_day: date | None = None
    fr_on_time: bool = False
    res_due_day: date | None = None
    res_on_time: bool = False
    responded_day: date | None = None
    response_seconds: int | None = None
    response_bucket: int | None = None
    resolved_day: date | None = None
    cycle_seconds: int | None = None
    cycle_bucket: int | None = None
    reopened: bool = False
    closed_day: date | None = None
    closed_solved: bool = False
    closed_liable: bool = False


@dataclass(slots=True)
class VisitRow:
    follow_up_id: int
    ticket_id: int
    day: date | None
    rated: bool
    satisfied: bool


@dataclass
class FactBatch:
    facts: list[FactRow]
    visits: list[VisitRow]
    excluded: set[int]


def compute_facts(ticket_ids: list[int], *, using: str = "default") -> FactBatch:
    """The facts of the given cases as they are now; missing cases simply have none."""
    tickets = list(
        Ticket.objects.using(using).filter(pk__in=ticket_ids).values(*TICKET_FIELDS)
    )
    by_kind: dict[str, list[int]] = {}
    for row in tickets:
        by_kind.setdefault(row["kind"], []).append(row["pk"])
    extras: dict[int, object] = {}
    accepted: dict[int, datetime] = {}
    events: dict[int, list] = {}
    for kind, ids in by_kind.items():
        spec = kind_facts(kind)
        extras.update(spec.extras(ids))
        received = {row["pk"]: row["received_at"] for row in tickets if row["kind"] == kind}
        accepted.update(spec.accepted_at(ids, received))
        events.update(spec.reply_and_reopen_events(ids))
    parents = {row["repeat_of_id"] for row in tickets if row["repeat_of_id"]}
    marked = set(
        KpiExclusion.objects.using(using)
        .filter(ticket_id__in=[row["pk"] for row in tickets] + list(parents))
        .values_list("ticket_id", flat=True)
    )
    visits_by_ticket: dict[int, list] = {}
    for visit in FollowUp.objects.using(using).filter(ticket_id__in=ticket_ids).order_by(
            "ticket_id", "id").values("pk", "ticket_id", "status", "sent_at", "answered_at",
                                      "due_at", "rating", "problem_solved"):
        visits_by_ticket.setdefault(visit["ticket_id"], []).append(visit)

    window = reopen_window()
    min_rating = satisfied_min_rating()
    facts, visits, excluded = [], [], set()
    for row in tickets:
        pk = row["pk"]
        spec = kind_facts(row["kind"])
        extra = extras.get(pk)
        if pk in marked or (extra is not None and extra.merged_duplicate):
            excluded.add(pk)
            continue
        category = getattr(extra, "category", "")
        outcome = getattr(extra, "outcome", "")
        unit_id = getattr(extra, "unit_id", None)
        liability = getattr(extra, "liability", "")
        case_events = events.get(pk, [])
        accepted_at = accepted.get(pk)
        is_accepted = accepted_at is not None
        answered = [v for v in visits_by_ticket.get(pk, []) if v["status"] == "ANSWERED"]
        visit_says_unsolved = bool(answered) and answered[-1]["problem_solved"] is False
        is_closed = is_accepted and row["state"] == CLOSED_STATE and row["closed_at"]
        fact = FactRow(
            ticket_id=pk, kind=row["kind"], category=category or "",
            channel=row["channel"] or "", department_id=row["department_id"],
            severity=row["severity"] or "", unit_id=unit_id, owner_id=row["assignee_id"],
            received_day=local_day(row["received_at"]),
            repeat=bool(row["repeat_of_id"]) and row["repeat_of_id"] not in marked,
        )
        if is_accepted:
            fact.accepted_day = local_day(accepted_at)
            if row["first_response_due_at"]:
                fact.fr_due_day = local_day(row["first_response_due_at"])
                fact.fr_on_time = bool(row["first_response_at"]
                                       and row["first_response_at"]
                                       <= row["first_response_due_at"])
            if row["resolution_due_at"]:
                fact.res_due_day = local_day(row["resolution_due_at"])
                fact.res_on_time = bool(row["resolved_at"]
                                        and row["resolved_at"] <= row["resolution_due_at"])
            if row["first_response_at"]:
                seconds = max(0, int((row["first_response_at"]
                                      - row["received_at"]).total_seconds()))
                fact.responded_day = local_day(row["first_response_at"])
                fact.response_seconds = seconds
                fact.response_bucket = bucket_of(seconds)
            if row["resolved_at"]:
                seconds = max(0, int((row["resolved_at"] - row["received_at"]).total_seconds()))
                fact.resolved_day = local_day(row["resolved_at"])
                fact.cycle_seconds = seconds
                fact.cycle_bucket = bucket_of(seconds)
            fact.reopened = any(is_reopen for _at, is_reopen in case_events)
            if is_closed:
                fact.closed_day = local_day(row["closed_at"])
                fact.closed_solved = (outcome in spec.solved_outcomes
                                      and not visit_says_unsolved
                                      and not reopened_soon(case_events, window))
                fact.closed_liable = (unit_id is not None
                                      and outcome != spec.not_liable_outcome
                                      and liability != "NOT_LIABLE")
        else:
            fact.repeat = False
        facts.append(fact)
        for visit in visits_by_ticket.get(pk, []):
            if visit["status"] not in ATTEMPTED_VISIT:
                continue
            moment = visit["answered_at"] or visit["sent_at"] or visit["due_at"]
            rated = visit["rating"] is not None
            visits.append(VisitRow(
                follow_up_id=visit["pk"], ticket_id=pk, day=local_day(moment), rated=rated,
                satisfied=rated and visit["rating"] >= min_rating,
            ))
    return FactBatch(facts=facts, visits=visits, excluded=excluded)
