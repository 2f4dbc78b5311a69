"""Ledger reads: the filtered, scoped queryset, keyset pages, batches for exports.

Pages are cut by keyset on (sort date, id), never by OFFSET: a deep page costs the same as
the first, and a case registered meanwhile neither shifts nor repeats rows. A case whose
sort date is empty (not yet replied, not yet closed) counts as later than any date: first
when newest come first, last when oldest come first. The total is counted only up to
``COUNT_CAP``; beyond that the page says "1,000+".

All reads here run on ``analytics_db()`` (the read replica when one is configured).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from aftersales.cases.selectors import tickets_visible_to
from aftersales.core.choices import Channel, FollowUpStatus
from aftersales.models import Customer, FollowUp, Order
from analytics.routers import analytics_db

from .filters import PERIODS, SATISFACTION, LedgerFilters
from .kinds import LedgerKind, ledger_kind, ledger_kinds

PAGE_SIZE = 50
COUNT_CAP = 1000
EXPORT_BATCH = 2000

KERNEL_DATES = {"received_at", "closed_at"}
MAX_MATCHES = 1000


# --- cursors ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cursor:
    """The position after (or before) one row: its sort date and its id."""

    value: datetime | None
    pk: int

    def encode(self) -> str:
        raw = json.dumps([self.value.isoformat() if self.value else None, self.pk])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str | None) -> Cursor | None:
        if not token:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            value, pk = json.loads(raw)
            moment = datetime.fromisoformat(value) if value is not None else None
            if moment is not None and timezone.is_naive(moment):
                return None
            if not isinstance(pk, int) or isinstance(pk, bool):
                return None
            return cls(moment, pk)
        except (ValueError, TypeError, UnicodeDecodeError):
            return None


@dataclass
class LedgerPage:
    rows: list
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


# --- the queryset -------------------------------------------------------------------------

def _sort_path(kind: LedgerKind, filters: LedgerFilters) -> str:
    field = filters.sort_field
    if field in KERNEL_DATES:
        return field
    return kind.path(field) or "received_at"


def _period_path(kind: LedgerKind, period: str) -> str | None:
    field = PERIODS.get(period, "received_at")
    return field if field in KERNEL_DATES else kind.path(field)


def _local_midnight(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def overdue_q(now: datetime) -> Q:
    """Some SLA clock was missed: done after its due time, or still running past it."""
    missed = Q()
    for due, done in (("first_response_due_at", "first_response_at"),
                      ("resolution_due_at", "resolved_at"),
                      ("close_due_at", "closed_at")):
        late = Q(**{f"{due}__isnull": False, f"{done}__isnull": False,
                    f"{done}__gt": F(due)})
        running_late = Q(**{f"{due}__lt": now, f"{done}__isnull": True, "is_open": True})
        missed |= late | running_late
    return missed


def ledger_queryset(*, user, filters: LedgerFilters, now: datetime | None = None,
                    using: str | None = None) -> QuerySet:
    """Every case of the filtered kind the user may see, with what the ledger shows.

    Out-of-scope cases are simply not there (``tickets_visible_to``). Unordered.
    """
    kind = ledger_kind(filters.kind) if filters.kind in ledger_kinds() else None
    if kind is None:
        return ledger_kind("COMPLAINT").queryset().none()
    now = now or timezone.now()
    db = using or analytics_db()
    latest_rating = (
        FollowUp.objects.filter(ticket_id=OuterRef("pk"), status=FollowUpStatus.ANSWERED)
        .order_by("-answered_at", "-id").values("rating")[:1]
    )
    qs = tickets_visible_to(user, kind.queryset()).using(db)
    qs = (
        qs.select_related(*kind.select_related).defer(*kind.deferred)
        .annotate(ledger_rating=Subquery(latest_rating))
    )
    return _apply_filters(qs, kind, filters, now)


def _apply_filters(qs: QuerySet, kind: LedgerKind, f: LedgerFilters, now: datetime) -> QuerySet:
    if f.phone_invalid:
        return qs.none()
    conditions = Q()

    if f.date_from or f.date_to:
        path = _period_path(kind, f.period)
        if path is None:
            return qs.none()
        if f.date_from:
            conditions &= Q(**{f"{path}__gte": _local_midnight(f.date_from)})
        if f.date_to:
            conditions &= Q(**{f"{path}__lt": _local_midnight(f.date_to + timedelta(days=1))})
    for name in ("channel", "severity", "stage", "state"):
        value = getattr(f, name)
        if value:
            conditions &= Q(**{name: value})
    if f.handler is not None:
        conditions &= Q(assignee_id=f.handler)
    if f.department is not None:
        plan = kind.path("plan")
        if plan is None:
            conditions &= Q(department_id=f.department)
        else:
            # The plan names the unit held responsible; until there is one, the department
            # the case was assigned to is the responsible one (as the column shows).
            conditions &= (Q(**{f"{kind.path('plan_department')}_id": f.department})
                           | Q(**{f"{plan}__isnull": True, "department_id": f.department}))
    if f.repeat:
        conditions &= Q(repeat_of__isnull=f.repeat == "no")
    if f.overdue == "yes":
        conditions &= overdue_q(now)
    elif f.overdue == "no":
        conditions &= ~overdue_q(now)
    if f.regulator:
        path = kind.path("regulator_case_number")
        regulator = Q(channel=Channel.REGULATOR)
        if path:
            regulator |= ~Q(**{path: ""})
        conditions &= regulator if f.regulator == "yes" else ~regulator
    if f.product:
        conditions &= Q(product__sku=f.product)
    # The order and customer ids are looked up first: a list of ids lets the database
    # combine the indexes of the alternatives, where a subquery made it scan every case.
    if f.number:
        orders = list(Order.objects.using(qs.db).filter(number=f.number)
                      .values_list("pk", flat=True)[:MAX_MATCHES])
        conditions &= (Q(number=f.number) | Q(order_id__in=orders)
                       | Q(order_number_given=f.number))
    if f.phone_hash:
        customers = list(Customer.objects.using(qs.db).filter(phone_hash=f.phone_hash)
                         .values_list("pk", flat=True)[:MAX_MATCHES])
        conditions &= Q(customer_id__in=customers)
    if f.satisfaction == "unrated":
        conditions &= Q(ledger_rating__isnull=True)
    elif f.satisfaction in SATISFACTION:
        low, high = SATISFACTION[f.satisfaction]
        conditions &= Q(ledger_rating__gte=low, ledger_rating__lte=high)
    facts = {name: getattr(f, name) for name in ("category", "subcategory", "outcome")}
    facts["plan_person"] = f.responsible
    for name, value in facts.items():
        if value in ("", None):
            continue
        path = kind.path(name)
        if path is None:  # this kind of case has no such fact
            return qs.none()
        conditions &= Q(**{path: value})
    return qs.filter(conditions)


# --- related rows -----------------------------------------------------------------------------

# What the ledger reads of a related row; the rest stays in the database.
ATTACHED_FIELDS = {
    "aftersales.order": ("number",),
    "aftersales.product": ("name", "sku"),
    "aftersales.department": ("name",),
    "aftersales.ticket": ("number",),
    "auth.user": ("username", "first_name", "last_name"),
}


def attach_related(rows: list, paths: tuple[str, ...], using: str) -> None:
    """Set the related objects named by ``paths`` on ``rows``, one query per model.

    ``paths`` go through objects already joined (``current_plan__responsible_person``).
    """
    wanted: dict[type, set] = defaultdict(set)
    links: list[tuple[object, str, type, object]] = []
    for path in paths:
        *hops, name = path.split("__")
        for row in rows:
            obj = row
            for hop in hops:
                obj = getattr(obj, hop) if obj is not None else None
            if obj is None:
                continue
            field = obj._meta.get_field(name)
            value = getattr(obj, field.attname)
            if value is None:
                continue
            model = field.related_model
            wanted[model].add(value)
            links.append((obj, name, model, value))
    loaded = {}
    for model, ids in wanted.items():
        only = ATTACHED_FIELDS.get(model._meta.label_lower, ())
        loaded[model] = model._base_manager.using(using).only(*only).in_bulk(ids)
    for obj, name, model, value in links:
        related = loaded[model].get(value)
        if related is not None:
            obj._meta.get_field(name).set_cached_value(obj, related)


# --- keyset pages ---------------------------------------------------------------------------

def _is_nullable(kind: LedgerKind, path: str) -> bool:
    model = kind.model
    *hops, last = path.split("__")
    for hop in hops:
        model = model._meta.get_field(hop).related_model
    return model._meta.get_field(last).null


def _ordered(qs: QuerySet, path: str, *, descending: bool, nullable: bool) -> QuerySet:
    if not nullable:
        # Plain ordering, so PostgreSQL can walk an index on the column.
        return qs.order_by(f"-{path}", "-pk") if descending else qs.order_by(path, "pk")
    # An empty date counts as later than any date, PostgreSQL's own order for NULL: one
    # index on (date, id) serves both directions.
    expression = F(path).desc(nulls_first=True) if descending else F(path).asc(nulls_last=True)
    return qs.order_by(expression, "-pk" if descending else "pk")


def _beyond(path: str, cursor: Cursor, *, descending: bool, nullable: bool) -> Q:
    """Rows strictly after ``cursor`` in the order ``_ordered`` gives."""
    op = "lt" if descending else "gt"
    if cursor.value is None:
        after = Q(**{f"{path}__isnull": True, f"pk__{op}": cursor.pk})
        if descending:  # the empty dates came first; every dated row follows
            after |= Q(**{f"{path}__isnull": False})
        return after
    # Written as "≤ and (< or id <)" so the database can range-scan an index on the date.
    after = Q(**{f"{path}__{op}e": cursor.value}) & (
        Q(**{f"{path}__{op}": cursor.value}) | Q(**{f"pk__{op}": cursor.pk})
    )
    if nullable and not descending:  # the empty dates come last
        after |= Q(**{f"{path}__isnull": True})
    return after


def _cursor_of(row, path: str) -> Cursor:
    value = row
    for hop in path.split("__"):
        value = getattr(value, hop) if value is not None else None
    return Cursor(value, row.pk)


def ledger_page(*, user, filters: LedgerFilters, after: str | None = None,
                before: str | None = None, per_page: int = PAGE_SIZE,
                now: datetime | None = None) -> LedgerPage:
    """One page of the ledger after (or before) a cursor; the first page without one."""
    qs = ledger_queryset(user=user, filters=filters, now=now)
    kind = ledger_kinds().get(filters.kind)
    if kind is None:
        return LedgerPage([], None, None)
    path = _sort_path(kind, filters)
    nullable = _is_nullable(kind, path)
    back = Cursor.decode(before)
    forward = Cursor.decode(after) if back is None else None
    if back is not None:
        # Walk the reversed order from the cursor, then turn the rows round.
        descending = not filters.descending
        ordered = _ordered(qs, path, descending=descending, nullable=nullable).filter(
            _beyond(path, back, descending=descending, nullable=nullable))
        rows = list(ordered[:per_page + 1])
        more = len(rows) > per_page
        rows = rows[:per_page][::-1]
        if not rows:
            return LedgerPage([], None, None)
        attach_related(rows, kind.attach, qs.db)
        return LedgerPage(
            rows,
            next_cursor=_cursor_of(rows[-1], path).encode(),
            previous_cursor=_cursor_of(rows[0], path).encode() if more else None,
        )
    ordered = _ordered(qs, path, descending=filters.descending, nullable=nullable)
    if forward is not None:
        ordered = ordered.filter(_beyond(path, forward, descending=filters.descending,
                                         nullable=nullable))
    rows = list(ordered[:per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    attach_related(rows, kind.attach, qs.db)
    return LedgerPage(
        rows,
        next_cursor=_cursor_of(rows[-1], path).encode() if more else None,
        previous_cursor=_cursor_of(rows[0], path).encode() if forward and rows else None,
    )


def ledger_batches(*, user, filters: LedgerFilters, batch_size: int = EXPORT_BATCH,
                   now: datetime | None = None) -> Iterator[list]:
    """The whole filtered ledger in page order, ``batch_size`` rows at a time.

    Each batch is one short keyset query, so memory stays flat and no statement runs long
    (a long statement on a replica can be cancelled by replication).
    """
    now = now or timezone.now()
    after = None
    while True:
        page = ledger_page(user=user, filters=filters, after=after, per_page=batch_size,
                           now=now)
        if page.rows:
            yield page.rows
        if not page.has_next:
            return
        after = page.next_cursor


def ledger_count(*, user, filters: LedgerFilters, cap: int | None = COUNT_CAP,
                 now: datetime | None = None) -> int:
    """How many rows the filters show, counted up to ``cap + 1`` (``None``: all)."""
    qs = ledger_queryset(user=user, filters=filters, now=now).order_by().values("pk")
    if cap is not None:
        qs = qs[:cap + 1]
    return qs.count()


LEDGER_COUNT_CACHE_SECONDS = 60


def ledger_count_cached(*, user, filters: LedgerFilters, now: datetime | None = None) -> int:
    """The page's capped count, kept a minute per person and filters.

    Paging through one filtered ledger asks the same count on every page; a minute old is
    close enough for "about how many", and the rows themselves are always current.
    """
    digest = hashlib.sha256(
        json.dumps(filters.as_json(), sort_keys=True, default=str).encode()
    ).hexdigest()
    key = f"ledger:count:{user.pk}:{digest}"
    count = cache.get(key)
    if count is None:
        count = ledger_count(user=user, filters=filters, now=now)
        cache.set(key, count, LEDGER_COUNT_CACHE_SECONDS)
    return count
