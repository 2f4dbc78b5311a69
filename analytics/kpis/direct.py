"""The KPIs of domain.md §9 computed straight from the complaints, without the rollups.

A second, independent reading of the same rules, written with ordinary queries over the
cases, their timeline and their return visits. It scans every case of the period, so it
is for checking (the property tests compare it with the rollups; ``kpis --direct`` could
audit a month), never for a page.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Exists, F, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce

from aftersales.models import FollowUp, TimelineEvent
from complaints.models import Complaint

from ..models import KpiExclusion
from . import formulas as f
from .buckets import BUCKET_COUNT, bucket_of
from .facts import reopen_window, reopened_soon, satisfied_min_rating
from .selectors import Filters

ACCEPTED = "complaints.complaint.accepted"
REPLIED = "complaints.complaint.replied"
REOPENED = "complaints.complaint.reopened"


def counted_complaints(filters: Filters):
    """Complaints the KPIs count: not marked as excluded, not a merged duplicate."""
    excluded = KpiExclusion.objects.values("ticket_id")
    return (Complaint.objects.filter(filters.q())
            .exclude(pk__in=excluded)
            .exclude(state="NOT_ACCEPTED", not_accepted_reason="DUPLICATE"))


def accepted_complaints(filters: Filters):
    accepted = TimelineEvent.objects.filter(ticket_id=OuterRef("pk"), action=ACCEPTED)
    first = (TimelineEvent.objects.filter(ticket_id=OuterRef("pk"), action=ACCEPTED)
             .values("ticket_id").annotate(at=Min("created_at")).values("at"))
    return counted_complaints(filters).filter(Exists(accepted)).annotate(
        accepted_at=Subquery(first))


def _durations(rows) -> f.DurationStat:
    seconds = [max(0, int((end - start).total_seconds())) for start, end in rows]
    histogram = [0] * BUCKET_COUNT
    for value in seconds:
        histogram[bucket_of(value)] += 1
    return f.DurationStat(len(seconds), sum(seconds), tuple(histogram))


def _events(ticket_ids) -> dict[int, list]:
    out: dict[int, list] = defaultdict(list)
    for ticket_id, at, action in (
            TimelineEvent.objects.filter(ticket_id__in=ticket_ids, action__in=[REPLIED, REOPENED])
            .order_by("ticket_id", "created_at", "id").values_list("ticket_id", "created_at",
                                                                   "action")):
        out[ticket_id].append((at, action == REOPENED))
    return out


def _last_visit_unsolved(ticket_ids) -> set[int]:
    last: dict[int, bool | None] = {}
    for ticket_id, solved in (FollowUp.objects.filter(ticket_id__in=ticket_ids, status="ANSWERED")
                              .order_by("ticket_id", "id")
                              .values_list("ticket_id", "problem_solved")):
        last[ticket_id] = solved
    return {pk for pk, solved in last.items() if solved is False}


def direct_kpis(filters: Filters, date_from: date, date_to: date) -> dict:
    period = (date_from, date_to)
    accepted = accepted_complaints(filters)
    out: dict = {}

    due = accepted.filter(resolution_due_at__date__range=period)
    out["timeliness"] = f.KpiValue(
        due.filter(resolved_at__isnull=False, resolved_at__lte=F("resolution_due_at")).count(),
        due.count())
    due = accepted.filter(first_response_due_at__date__range=period)
    out["first_response"] = f.KpiValue(
        due.filter(first_response_at__isnull=False,
                   first_response_at__lte=F("first_response_due_at")).count(),
        due.count())

    closed = list(accepted.filter(state="CLOSED", closed_at__date__range=period)
                  .values_list("pk", "outcome"))
    ids = [pk for pk, _outcome in closed]
    events = _events(ids)
    unsolved = _last_visit_unsolved(ids)
    window = reopen_window()
    solved = sum(1 for pk, outcome in closed
                 if outcome == "SOLVED" and pk not in unsolved
                 and not reopened_soon(events.get(pk, []), window))
    out["resolution"] = f.KpiValue(solved, len(closed))

    visits = (FollowUp.objects.filter(ticket__in=counted_complaints(filters).values("pk"),
                                      status__in=["SENT", "REMINDED", "ANSWERED", "NO_RESPONSE"])
              .annotate(moment=Coalesce("answered_at", "sent_at", "due_at"))
              .filter(moment__date__range=period))
    rated = visits.filter(rating__isnull=False)
    out["satisfaction"] = f.KpiValue(rated.filter(rating__gte=satisfied_min_rating()).count(),
                                     rated.count())
    out["survey_response"] = f.KpiValue(rated.count(), visits.count())

    in_period = accepted.filter(accepted_at__date__range=period)
    repeats = in_period.filter(repeat_of__isnull=False).exclude(
        repeat_of_id__in=KpiExclusion.objects.values("ticket_id"))
    out["repeat"] = f.KpiValue(repeats.count(), in_period.count())

    out["response_time"] = _durations(
        accepted.filter(first_response_at__date__range=period)
        .values_list("received_at", "first_response_at"))
    out["cycle_time"] = _durations(
        accepted.filter(resolved_at__date__range=period).values_list("received_at",
                                                                     "resolved_at"))

    liable = (accepted.filter(state="CLOSED", closed_at__date__range=period,
                              current_plan__isnull=False)
              .exclude(outcome="NOT_LIABLE")
              .exclude(current_plan__liability="NOT_LIABLE"))
    by_unit: dict[int, int] = defaultdict(int)
    for unit_id in liable.values_list("current_plan__responsible_department_id", flat=True):
        by_unit[unit_id] += 1
    out["liable_by_unit"] = dict(by_unit)
    out["received"] = counted_complaints(filters).filter(received_at__date__range=period).count()
    return out


def direct_matches(rollup: dict, direct: dict) -> list[str]:
    """Names of the KPIs where two summaries disagree (empty when they agree)."""
    wrong = []
    for key in ("timeliness", "first_response", "resolution", "satisfaction",
                "survey_response", "repeat", "response_time", "cycle_time"):
        if rollup[key] != direct[key]:
            wrong.append(key)
    return wrong


__all__ = ["accepted_complaints", "counted_complaints", "direct_kpis", "direct_matches"]
