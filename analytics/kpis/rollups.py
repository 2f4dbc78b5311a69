"""Keeping the KPI rollups current: incrementally from the timeline, or rebuilt whole.

Every write that changes a KPI input (state, clocks, outcome, plan, return visit) writes a
timeline event in the same transaction; that is the kernel's rule. So the refresh reads
the events after its watermark, recomputes the facts of the cases they belong to, and
sums again, set-based, the days those facts fall on (before and after the change), then
the months of those days. No request ever scans the cases.

Grain: the dimensions are kind, category, channel, handling department, severity and
responsible unit. A cell with all of them would hold about one case per anchor, as many
rows as facts, so cells keep chosen combinations instead (``DAY_CUBOIDS``,
``MONTH_CUBOIDS``); a query on any other combination sums the facts of its period. The
owner table is day × kind × department × case owner. Durations are kept as histogram
counters, so P90 stays additive (see ``buckets``). Recomputing whole days rather than
single cells keeps the SQL a few ``INSERT ... SELECT`` per batch of days and costs
little: a day holds a day's cases, not the history.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from aftersales.models import Ticket, TimelineEvent

from ..models import (
    COUNTER_FIELDS,
    KpiCaseFact,
    KpiCell,
    KpiDirtyTicket,
    KpiOwnerDay,
    KpiVisitFact,
    KpiWatermark,
)
from ..models.kpis import CYCLE_BUCKETS, RESPONSE_BUCKETS
from .facts import compute_facts

logger = logging.getLogger(__name__)

WATERMARK = "kpi"
CHUNK = 2000
DAYS_PER_STATEMENT = 200

CELL_DIMS = ("kind", "category", "channel", "department_id", "severity", "unit_id")
OWNER_DIMS = ("kind", "department_id", "owner_id")


def _flag(column: str) -> str:
    return f"CASE WHEN f.{column} THEN 1 ELSE 0 END"


def _buckets(column: str, names: list[str]) -> dict[str, str]:
    return {name: f"CASE WHEN f.{column} = {i} THEN 1 ELSE 0 END" for i, name in enumerate(names)}


# Each anchor date and the counters a fact adds on that day.
BRANCHES: list[tuple[str, dict[str, str]]] = [
    ("received_day", {"received": "1"}),
    ("accepted_day", {"accepted": "1", "repeat": _flag("repeat")}),
    ("fr_due_day", {"fr_due": "1", "fr_on_time": _flag("fr_on_time")}),
    ("res_due_day", {"res_due": "1", "res_on_time": _flag("res_on_time")}),
    ("responded_day", {"responded": "1", "response_seconds": "f.response_seconds",
                       **_buckets("response_bucket", RESPONSE_BUCKETS)}),
    ("resolved_day", {"resolved": "1", "cycle_seconds": "f.cycle_seconds",
                      "resolved_reopened": _flag("reopened"),
                      **_buckets("cycle_bucket", CYCLE_BUCKETS)}),
    ("closed_day", {"closed": "1", "closed_solved": _flag("closed_solved"),
                    "closed_liable": _flag("closed_liable")}),
]
VISIT_COUNTERS = {
    "visits_attempted": "1",
    "visits_rated": "CASE WHEN v.rated THEN 1 ELSE 0 END",
    "visits_satisfied": "CASE WHEN v.satisfied THEN 1 ELSE 0 END",
}


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _day_param(day: date):
    return connection.ops.adapt_datefield_value(day)


def _union_sql(dims: tuple[str, ...], days: list[date] | None = None, *,
               date_range: tuple[date, date] | None = None,
               conditions: str = "", condition_params: list | None = None) -> tuple[str, list]:
    """Each anchor's counters per (anchor day, ``dims``), one grouped SELECT per anchor,
    joined with UNION ALL: restricted to ``days``, or to ``date_range``, or all days;
    optionally with extra ``conditions`` on the fact (``f.<column>``). Grouping inside each
    branch keeps the union as small as the cells it feeds."""
    fact = _q(KpiCaseFact._meta.db_table)
    visit = _q(KpiVisitFact._meta.db_table)
    dim_sql = ", ".join(f"f.{_q(d)} AS {_q(d)}" for d in dims)
    group_dims = ", ".join(f"f.{_q(d)}" for d in dims)
    params: list = []
    parts = []

    def counters(values: dict[str, str]) -> str:
        return ", ".join(f"SUM({values[name]}) AS {_q(name)}" if name in values
                         else f"0 AS {_q(name)}" for name in COUNTER_FIELDS)

    def where(column: str) -> str:
        if date_range is not None:
            params.extend(_day_param(d) for d in date_range)
            clause = f"{column} BETWEEN %s AND %s"
        elif days is None:
            clause = f"{column} IS NOT NULL"
        else:
            params.extend(_day_param(d) for d in days)
            clause = f"{column} IN ({', '.join(['%s'] * len(days))})"
        if conditions:
            params.extend(condition_params or [])
            clause += f" AND {conditions}"
        return clause

    for anchor, values in BRANCHES:
        column = "f." + _q(anchor)
        parts.append(
            f"SELECT {column} AS day, {dim_sql}, {counters(values)} "  # nosec B608: identifiers from code; values are bound
            f"FROM {fact} f WHERE {where(column)} GROUP BY {column}, {group_dims}"
        )
    column = "v." + _q("day")
    parts.append(
        f"SELECT {column} AS day, {dim_sql}, {counters(VISIT_COUNTERS)} "  # nosec B608: identifiers from code; values are bound
        f"FROM {visit} v JOIN {fact} f ON f.{_q('ticket_id')} = v.{_q('ticket_id')} "
        f"WHERE {where(column)} GROUP BY {column}, {group_dims}"
    )
    return " UNION ALL ".join(parts), params


def _sum_list(alias: str = "u") -> str:
    return ", ".join(f"SUM({alias}.{_q(name)})" for name in COUNTER_FIELDS)


def _counter_columns() -> str:
    return ", ".join(_q(name) for name in COUNTER_FIELDS)


# The combinations of dimensions the cells are kept at (besides the kind). Days keep the
# handling department with one more dimension; months also every single dimension and
# none, so an unfiltered month, or one filter and one breakdown, reads a few dozen rows.
# Storing every combination would keep about one cell per case and anchor, as many rows
# as there are cases; a combination not kept is summed from the facts instead.
DAY_CUBOIDS: list[tuple[str, ...]] = [
    ("department_id", "channel"), ("department_id", "category"),
    ("department_id", "severity"), ("department_id", "unit_id"),
]
MONTH_CUBOIDS: list[tuple[str, ...]] = [
    (), ("channel",), ("category",), ("department_id",), ("severity",), ("unit_id",),
    *DAY_CUBOIDS,
]
NULLABLE_DIMS = {"department_id", "unit_id"}


def cuboid_grain(prefix: str, dims: tuple[str, ...]) -> str:
    return f"{prefix}:" + "+".join(dims)


def _cover(cuboids: list[tuple[str, ...]], dims: set[str]) -> tuple[str, ...] | None:
    for cuboid in sorted(cuboids, key=len):
        if dims <= set(cuboid):
            return cuboid
    return None


def grain_for(dims: set[str], *, day: bool = False) -> str | None:
    """The smallest day or month grain that keeps every dimension in ``dims``; ``None``
    when no kept combination does."""
    cuboid = _cover(DAY_CUBOIDS if day else MONTH_CUBOIDS, dims - {"kind"})  # always kept
    return None if cuboid is None else cuboid_grain("D" if day else "M", cuboid)


def _collapsed(kept: tuple[str, ...], alias: str) -> str:
    return ", ".join(
        f"{alias}.{_q(d)}" if d in kept else ("NULL" if d in NULLABLE_DIMS else "''")
        for d in CELL_DIMS)


def _insert_days(days: list[date] | None) -> None:
    """Sum the facts of ``days`` (all days when ``None``) into day cells and owner rows.

    A refresh touches a few days: their facts are grouped once into a temporary table at
    the full grain, which every kept combination is then summed from. A rebuild groups
    each combination straight from the facts, so the full grain is never materialised.
    """
    table = _q(KpiCell._meta.db_table)
    dims = ", ".join(_q(d) for d in CELL_DIMS)
    owner_dims = ", ".join(_q(d) for d in OWNER_DIMS)
    with connection.cursor() as cursor:
        if days is not None:
            temp = _q("kpi_day_sums")
            full = (*CELL_DIMS, "owner_id")
            union, params = _union_sql(full, days)
            cursor.execute(f"DROP TABLE IF EXISTS {temp}")
            cursor.execute(f"CREATE TEMPORARY TABLE {temp} AS SELECT * FROM ({union}) u",  # nosec B608: names from model metadata and constants; values bound
                           params)
            sources = [(cuboid, temp, []) for cuboid in DAY_CUBOIDS]
            owner_source, owner_params = temp, []
        else:
            sources = []
            for cuboid in DAY_CUBOIDS:
                union, params = _union_sql(("kind", *cuboid), None)
                sources.append((cuboid, f"({union})", params))
            union, owner_params = _union_sql(OWNER_DIMS, None)
            owner_source = f"({union})"
        for cuboid, source, params in sources:
            kept = ("kind", *cuboid)
            cursor.execute(
                f"INSERT INTO {table} ({_q('grain')}, {_q('start')}, {dims}, "  # nosec B608: names from model metadata and constants; values bound
                f"{_counter_columns()}) SELECT %s, u.day, {_collapsed(kept, 'u')}, "
                f"{_sum_list('u')} FROM {source} u "
                f"GROUP BY u.day, {', '.join('u.' + _q(d) for d in kept)}",
                [cuboid_grain("D", cuboid), *params])
        u_dims = ", ".join(f"u.{_q(d)}" for d in OWNER_DIMS)
        cursor.execute(
            f"INSERT INTO {_q(KpiOwnerDay._meta.db_table)} "  # nosec B608: names from model metadata and constants; values bound
            f"({_q('day')}, {owner_dims}, {_counter_columns()}) "
            f"SELECT u.day, {u_dims}, {_sum_list()} FROM {owner_source} u "
            f"GROUP BY u.day, {u_dims}",
            owner_params,
        )
        if days is not None:
            cursor.execute(f"DROP TABLE {_q('kpi_day_sums')}")


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _insert_month(month: date) -> None:
    """Month cells of every kept combination, summed from the month's day cells."""
    table = _q(KpiCell._meta.db_table)
    dims = ", ".join(_q(d) for d in CELL_DIMS)
    with connection.cursor() as cursor:
        for cuboid in MONTH_CUBOIDS:
            kept = ("kind", *cuboid)
            source = cuboid_grain("D", _cover(DAY_CUBOIDS, set(cuboid)))
            cursor.execute(
                f"INSERT INTO {table} ({_q('grain')}, {_q('start')}, {dims}, "  # nosec B608: identifiers from code; values are bound
                f"{_counter_columns()}) SELECT %s, %s, {_collapsed(kept, 'c')}, "
                f"{_sum_list('c')} FROM {table} c WHERE c.{_q('grain')} = %s "
                f"AND c.{_q('start')} >= %s AND c.{_q('start')} < %s "
                f"GROUP BY {', '.join('c.' + _q(d) for d in kept)}",
                [cuboid_grain("M", cuboid), _day_param(month), source, _day_param(month),
                 _day_param(next_month(month))])


def recompute_days(days: Iterable[date]) -> int:
    """Sum the given days again from the facts, then their months. Returns the day count."""
    wanted = sorted({d for d in days if d is not None})
    for i in range(0, len(wanted), DAYS_PER_STATEMENT):
        part = wanted[i:i + DAYS_PER_STATEMENT]
        KpiCell.objects.filter(grain__startswith="D:", start__in=part).delete()
        KpiOwnerDay.objects.filter(day__in=part).delete()
        _insert_days(part)
    months = sorted({month_start(d) for d in wanted})
    if months:
        KpiCell.objects.filter(grain__startswith="M:", start__in=months).delete()
        for month in months:
            _insert_month(month)
    return len(wanted)


FACT_COLUMNS = [f.column for f in KpiCaseFact._meta.concrete_fields]
VISIT_COLUMNS = [f.column for f in KpiVisitFact._meta.concrete_fields]


def _insert_rows(model, columns: list[str], objects: list) -> None:
    """Insert plain rows fast: ``bulk_create`` spends more time preparing values than the
    database spends writing them, at the number of rows a rebuild writes."""
    if not objects:
        return
    rows = []
    for obj in objects:
        values = (getattr(obj, name) for name in columns)  # plain fields: column = attname
        rows.append(tuple(_day_param(v) if isinstance(v, date) else v for v in values))
    table = _q(model._meta.db_table)
    names = ", ".join(_q(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            for row in rows:  # codes, numbers, dates and flags only: nothing to escape
                buffer.write("\t".join(_copy_text(v) for v in row) + "\n")
            buffer.seek(0)
            cursor.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", buffer)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # nosec B608: identifiers from code; values are bound


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


# For each anchor, the fact fields its counters read: a case whose anchor day, dimensions
# and these fields are unchanged leaves that anchor's day as it was.
BRANCH_FIELDS: dict[str, tuple[str, ...]] = {
    "received_day": (),
    "accepted_day": ("repeat",),
    "fr_due_day": ("fr_on_time",),
    "res_due_day": ("res_on_time",),
    "responded_day": ("response_seconds", "response_bucket"),
    "resolved_day": ("cycle_seconds", "cycle_bucket", "reopened"),
    "closed_day": ("closed_solved", "closed_liable"),
}
FACT_DIMS = ("kind", "category", "channel", "department_id", "severity", "unit_id", "owner_id")


def _contributions(fact) -> set[tuple]:
    """(anchor, day, what the case adds there) for each anchor the case falls on."""
    dims = tuple(_value(fact, d) for d in FACT_DIMS)
    out = set()
    for anchor, fields in BRANCH_FIELDS.items():
        day = _value(fact, anchor)
        if day is not None:
            out.add((anchor, day, dims, tuple(_value(fact, name) for name in fields)))
    return out


def _value(row, name: str):
    return row[name] if isinstance(row, dict) else getattr(row, name)


def _changed_days(old_facts: dict, new_facts: dict, old_visits: set, new_visits: set) -> set:
    """Days where the sums differ between the old and the new facts of these cases."""
    days: set[date] = set()
    for ticket_id in set(old_facts) | set(new_facts):
        old = _contributions(old_facts[ticket_id]) if ticket_id in old_facts else set()
        new = _contributions(new_facts[ticket_id]) if ticket_id in new_facts else set()
        days.update(day for _anchor, day, _dims, _values in old ^ new)
    days.update(visit[1] for visit in old_visits ^ new_visits)
    return days


def _visit_keys(visits, facts: dict) -> set:
    """Each visit with its day, answer and its case's dimensions (a move of the case to
    another department moves its visits too)."""
    keys = set()
    for visit in visits:
        fact = facts.get(_value(visit, "ticket_id"))
        dims = tuple(_value(fact, d) for d in FACT_DIMS) if fact is not None else None
        keys.add((_value(visit, "follow_up_id"), _value(visit, "day"), _value(visit, "rated"),
                  _value(visit, "satisfied"), dims))
    return keys


def apply_tickets(ticket_ids: Iterable[int]) -> set[date]:
    """Recompute the facts of these cases and return the days whose sums changed."""
    ids = sorted(set(ticket_ids))
    touched: set[date] = set()
    for i in range(0, len(ids), CHUNK):
        part = ids[i:i + CHUNK]
        old_facts = {row["ticket_id"]: row for row in KpiCaseFact.objects.filter(
            ticket_id__in=part).values(*FACT_COLUMNS)}
        old_visits = list(KpiVisitFact.objects.filter(ticket_id__in=part).values(
            *VISIT_COLUMNS))
        batch = compute_facts(part)
        new_facts = {fact.ticket_id: fact for fact in batch.facts}
        touched |= _changed_days(old_facts, new_facts, _visit_keys(old_visits, old_facts),
                                 _visit_keys(batch.visits, new_facts))
        KpiCaseFact.objects.filter(ticket_id__in=part).delete()
        KpiVisitFact.objects.filter(ticket_id__in=part).delete()
        _insert_rows(KpiCaseFact, FACT_COLUMNS, batch.facts)
        _insert_rows(KpiVisitFact, VISIT_COLUMNS, batch.visits)
    touched.discard(None)
    return touched


@dataclass
class RefreshResult:
    events: int = 0
    tickets: int = 0
    days: int = 0
    seconds: float = 0.0
    busy: bool = False
    gaps: int = 0
    last_event_id: int = 0

    def as_dict(self) -> dict:
        return {"events": self.events, "tickets": self.tickets, "days": self.days,
                "seconds": round(self.seconds, 3), "busy": self.busy, "gaps": self.gaps,
                "last_event_id": self.last_event_id}


def _gap_seconds() -> int:
    return getattr(settings, "KPI_ROLLUP_GAP_SECONDS", 600)


def refresh_rollups(*, max_events: int | None = None) -> RefreshResult:
    """Fold the timeline events written since the last run into the rollups.

    Runs under a lock on the watermark row; a second refresh started meanwhile returns
    at once (``busy``) and the next scheduled one catches up.
    """
    started = time.monotonic()
    max_events = max_events or getattr(settings, "KPI_ROLLUP_MAX_EVENTS", 50000)
    result = RefreshResult()
    KpiWatermark.objects.get_or_create(name=WATERMARK)
    with transaction.atomic():
        mark = (KpiWatermark.objects.select_for_update(skip_locked=True)
                .filter(name=WATERMARK).first())
        if mark is None:
            result.busy = True
            return result
        now = timezone.now()
        gaps = {int(k): v for k, v in (mark.gaps or {}).items()
                if v >= now.timestamp() - _gap_seconds()}
        condition = Q(pk__gt=mark.last_event_id)
        if gaps:
            condition |= Q(pk__in=list(gaps))
        rows = list(TimelineEvent.objects.filter(condition).order_by("pk")
                    .values_list("pk", "ticket_id")[:max_events])
        dirty = list(KpiDirtyTicket.objects.values_list("ticket_id", flat=True)[:max_events])
        ticket_ids = {ticket_id for _pk, ticket_id in rows} | set(dirty)
        if ticket_ids:
            days = apply_tickets(ticket_ids)
            result.days = recompute_days(days)
        if dirty:
            KpiDirtyTicket.objects.filter(ticket_id__in=dirty).delete()
        seen = {pk for pk, _ticket in rows}
        new_last = max([mark.last_event_id, *(pk for pk in seen if pk > mark.last_event_id)])
        for pk in seen:
            gaps.pop(pk, None)
        # Before the first run there is no earlier read to have raced with: ids below the
        # first events seen are history (or never used), not gaps.
        missing = (set(range(mark.last_event_id + 1, new_last + 1)) - seen
                   if mark.last_event_id else set())
        for pk in missing:
            gaps[pk] = now.timestamp()
        limit = getattr(settings, "KPI_ROLLUP_MAX_GAPS", 10000)
        if len(gaps) > limit:
            gaps = dict(sorted(gaps.items())[-limit:])
        mark.last_event_id = new_last
        mark.gaps = {str(k): v for k, v in gaps.items()}
        mark.refreshed_at = now
        mark.save()
        result.events = len(rows)
        result.tickets = len(ticket_ids)
        result.gaps = len(gaps)
        result.last_event_id = new_last
    result.seconds = time.monotonic() - started
    return result


def rebuild_rollups(*, chunk: int = 5000, progress=None) -> RefreshResult:
    """Recompute every fact and every cell from the cases; the watermark restarts after
    the last event seen. Holds the watermark lock, so no refresh runs meanwhile."""
    started = time.monotonic()
    result = RefreshResult()
    KpiWatermark.objects.get_or_create(name=WATERMARK)
    with transaction.atomic():
        mark = KpiWatermark.objects.select_for_update().get(name=WATERMARK)
        last_event = TimelineEvent.objects.aggregate(m=Max("pk"))["m"] or 0
        KpiCell.objects.all().delete()
        KpiOwnerDay.objects.all().delete()
        KpiCaseFact.objects.all().delete()
        KpiVisitFact.objects.all().delete()
        KpiDirtyTicket.objects.all().delete()
        after = 0
        while True:
            ids = list(Ticket.objects.filter(pk__gt=after).order_by("pk")
                       .values_list("pk", flat=True)[:chunk])
            if not ids:
                break
            batch = compute_facts(ids)
            _insert_rows(KpiCaseFact, FACT_COLUMNS, batch.facts)
            _insert_rows(KpiVisitFact, VISIT_COLUMNS, batch.visits)
            result.tickets += len(ids)
            after = ids[-1]
            if progress:
                progress(result.tickets)
        _insert_days(None)
        days = set(KpiCell.objects.filter(grain=cuboid_grain("D", DAY_CUBOIDS[0]))
                   .values_list("start", flat=True).distinct())
        for month in sorted({month_start(d) for d in days}):
            _insert_month(month)
        result.days = len(days)
        mark.last_event_id = last_event
        mark.gaps = {}
        mark.refreshed_at = timezone.now()
        mark.save()
        result.last_event_id = last_event
    result.seconds = time.monotonic() - started
    return result


def mark_dirty(ticket_ids: Iterable[int]) -> None:
    """Have the next refresh recompute these cases although no event says they changed."""
    KpiDirtyTicket.objects.bulk_create(
        [KpiDirtyTicket(ticket_id=pk) for pk in set(ticket_ids)], ignore_conflicts=True
    )
