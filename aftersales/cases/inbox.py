"""The staff inbox over every kind of case: tabs, filters, search, sort and pages.

Built for a ledger of millions of cases with a few percent open: every tab reads a partial
index on open cases that delivers its order, a page is found by walking that index
(``OFFSET`` over ids only) and only the page's rows are joined, and the tab counts stop at
``COUNT_CAP`` instead of counting the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, Q, QuerySet

from aftersales.cases.kinds import (
    approval_states,
    customer_wait_states,
    find_kind,
    return_visit_states,
)
from aftersales.cases.models import Ticket
from aftersales.cases.selectors import tickets_visible_to
from aftersales.catalog.models import Order
from aftersales.core.sql import planner_settings
from aftersales.people import crypto
from aftersales.people.models import Customer
from aftersales.people.selectors import user_department_id

PAGE_SIZE = 25
COUNT_CAP = 1000
# More orders or customers than this behind one search text is not a search any more.
MAX_MATCHES = 100

TABS = ("needs_owner", "mine", "department", "approval", "customer", "emergency", "all_open")

SORTS = {
    "due": (F("sla_due_at").asc(nulls_last=True), "priority", "id"),
    "priority": ("priority", F("sla_due_at").asc(nulls_last=True), "id"),
    "age": ("received_at", "id"),
}

ROW_FIELDS = (
    "number", "kind", "subject", "channel", "state", "stage", "severity", "priority",
    "received_at", "is_emergency", "escalation_level", "repeat_of_id", "sla_clock",
    "sla_status", "sla_due_at", "sla_warn_at", "sla_paused_at", "sla_remaining_seconds",
    "customer__name", "customer__phone", "customer__email", "department__name",
    "assignee__username", "assignee__first_name", "assignee__last_name",
)


@dataclass
class InboxQuery:
    """What one inbox view shows: a tab, filters, a search and an order."""

    tab: str = "all_open"
    kind: str = ""
    state: str = ""
    stage: str = ""
    severity: str = ""
    channel: str = ""
    department: int | None = None
    handler: int | None = None
    sla: str = ""
    repeat: bool = False
    regulator: bool = False
    search: str = ""
    sort: str = "due"
    filters_used: list[str] = field(default_factory=list)
    # The search's condition, looked up once for the page and every tab count.
    _search_condition: Q | None = field(default=None, repr=False, compare=False)

    def search_condition(self) -> Q:
        if self._search_condition is None:
            self._search_condition = _search_filter(self.search)
        return self._search_condition


@dataclass
class InboxPage:
    rows: list
    number: int
    has_next: bool
    per_page: int = PAGE_SIZE

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def page_numbers(self) -> list[int]:
        """Numbers to offer around the current page (the last one is not counted)."""
        last = self.number + 1 if self.has_next else self.number
        return list(range(max(1, self.number - 3), last + 1))


def _tab_filter(tab: str, user) -> Q | None:
    """The condition of a tab, or ``None`` when the tab shows nothing for this user."""
    if tab == "needs_owner":
        waiting = customer_wait_states() | return_visit_states()
        return Q(assignee__isnull=True) & ~Q(state__in=waiting)
    if tab == "mine":
        return Q(assignee=user)
    if tab == "department":
        # Someone without a department has none to show, not the unclassified cases.
        department_id = user_department_id(user)
        return Q(department_id=department_id) if department_id is not None else None
    if tab == "approval":
        return Q(state__in=approval_states())
    if tab == "customer":
        return Q(state__in=customer_wait_states())
    if tab == "emergency":
        return Q(is_emergency=True)
    return Q()


def _search_filter(search: str) -> Q:
    """Exact case or order number, exact phone or e-mail (keyed hash), or customer name.

    Orders and customers are looked up first: a short list of ids lets the database combine
    the indexes of the alternatives, where a join in an ``OR`` made it read every open case.
    """
    text = search.strip()
    if not text:
        return Q()
    condition = Q(number=text.upper()) | Q(order_number_given=text)
    orders = list(Order.objects.filter(number=text).values_list("pk", flat=True)[:MAX_MATCHES])
    if orders:
        condition |= Q(order_id__in=orders)
    customers: list[int] = []
    phone = crypto.normalize_phone(text)
    if len(phone) >= 7:
        customers += Customer.objects.filter(phone_hash=crypto.lookup_hash(phone)).values_list(
            "pk", flat=True)[:MAX_MATCHES]
    if "@" in text:
        customers += Customer.objects.filter(
            email_hash=crypto.lookup_hash(crypto.normalize_email(text))
        ).values_list("pk", flat=True)[:MAX_MATCHES]
    if customers:
        condition |= Q(customer_id__in=customers)
    if not any(ch.isdigit() for ch in text) and "@" not in text:
        condition |= Q(customer__name__icontains=text)
    return condition


def inbox_queryset(user, query: InboxQuery, *, tab: str | None = None) -> QuerySet[Ticket]:
    """Open cases this person may see, for a tab, with the query's filters and search."""
    condition = _tab_filter(tab or query.tab, user)
    qs = tickets_visible_to(user).filter(is_open=True)
    if condition is None:
        return qs.none()
    qs = qs.filter(condition)
    if query.kind:
        qs = qs.filter(kind=query.kind)
    if query.state:
        qs = qs.filter(state=query.state)
    if query.stage:
        qs = qs.filter(stage=query.stage)
    if query.severity:
        qs = qs.filter(severity=query.severity)
    if query.channel:
        qs = qs.filter(channel=query.channel)
    if query.department:
        qs = qs.filter(department_id=query.department)
    if query.handler:
        qs = qs.filter(assignee_id=query.handler)
    if query.sla:
        qs = qs.filter(sla_status=query.sla)
    if query.repeat:
        qs = qs.filter(repeat_of__isnull=False)
    if query.regulator:
        qs = qs.filter(channel="REGULATOR")
    if query.search:
        qs = qs.filter(query.search_condition())
    return qs


def tab_counts(user, query: InboxQuery) -> dict[str, int]:
    """Cases per tab with the current filters, each counted up to ``COUNT_CAP + 1``.

    One statement for all tabs: each count reads at most ``COUNT_CAP + 1`` index entries.
    """
    counts: dict[str, int] = {}
    parts, params = [], []
    for tab in TABS:
        capped_ids = inbox_queryset(user, query, tab=tab).order_by().values("id")[: COUNT_CAP + 1]
        try:
            sql, tab_params = capped_ids.query.sql_with_params()
        except EmptyResultSet:
            counts[tab] = 0
            continue
        # The ORM's own SQL with its parameters kept bound; the alias is a fixed tab name.
        parts.append((tab, f"(SELECT count(*) FROM ({sql}) AS {tab}_ids)"))  # nosec B608
        params.extend(tab_params)
    if parts:
        with connections[Ticket.objects.db].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(sql for _tab, sql in parts), params)  # nosec B608
            counts.update(zip((tab for tab, _sql in parts), cursor.fetchone(), strict=True))
    return {tab: counts[tab] for tab in TABS}


def capped(count: int) -> str:
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}"


# Tabs over a few states of several kinds: each state's cases come in urgency order from
# ``ticket_open_state_urgency``; merged, they give the tab's order without a sort.
STATE_TABS = {"approval": approval_states, "customer": customer_wait_states}


def _page_ids(user, query: InboxQuery, order, offset: int, limit: int) -> list[int]:
    qs = inbox_queryset(user, query)
    states = sorted(STATE_TABS[query.tab]()) if query.tab in STATE_TABS else []
    # Per-state branches merged in order are a PostgreSQL plan (Merge Append); SQLite also
    # refuses parenthesised UNION members.
    if query.sort != "due" or len(states) < 2 or connections[qs.db].vendor != "postgresql":
        return list(qs.order_by(*order).values_list("id", flat=True)[offset:offset + limit])
    branches, params = [], []
    for state in states:
        branch = qs.filter(state=state).order_by(*order).values_list(
            "id", "sla_due_at", "priority")
        try:
            sql, branch_params = branch.query.sql_with_params()
        except EmptyResultSet:
            continue
        branches.append(f"({sql})")
        params.extend(branch_params)
    if not branches:
        return []
    # The ORM's own SQL per state, parameters kept bound.
    merged = (
        f"SELECT id FROM ({' UNION ALL '.join(branches)}) AS tab_cases "  # nosec B608
        "ORDER BY sla_due_at ASC NULLS LAST, priority ASC, id ASC LIMIT %s OFFSET %s"
    )
    with connections[qs.db].cursor() as cursor:
        cursor.execute(merged, [*params, limit, offset])
        return [row[0] for row in cursor.fetchall()]


def inbox_read(user, query: InboxQuery, *, page: int = 1
               ) -> tuple[InboxPage, dict[str, int]]:
    """The inbox's page and its tab counts, each read by walking an index in order.

    A page wants the index that delivers its order, and a capped count a walk that stops
    at the cap. Bitmap plans read every match and sort it; the planner picks them when it
    underestimates how many of a department's cases a handler or a tab holds (the two are
    correlated), and deep pages look cheap to it once past its estimate. So bitmap scans
    are off for these reads. A search is the exception: its alternatives are combined
    from their own indexes.
    """
    walk = {} if query.search else {"enable_bitmapscan": "off"}
    with planner_settings(Ticket.objects.db, **walk):
        return inbox_page(user, query, page=page), tab_counts(user, query)


def inbox_page(user, query: InboxQuery, *, page: int = 1, per_page: int | None = None
               ) -> InboxPage:
    """One page of the inbox, in the query's order.

    The page's ids come from the ordered index alone (no joins while skipping earlier
    pages); then only those rows are read with their customer, department and handler.
    One more id than a page tells whether another page follows.
    """
    page = max(1, page)
    per_page = per_page or PAGE_SIZE
    order = SORTS.get(query.sort, SORTS["due"])
    ids = _page_ids(user, query, order, (page - 1) * per_page, per_page + 1)
    has_next = len(ids) > per_page
    ids = ids[:per_page]
    rows = list(
        Ticket.objects.filter(pk__in=ids).select_related("customer", "department", "assignee")
        .only(*ROW_FIELDS).order_by(*order)
    ) if ids else []
    for row in rows:
        kind = find_kind(row.kind)
        row.kind_label = kind.label if kind else row.kind
        row.state_label = kind.state_label(row.state) if kind else row.state
        row.state_colour = (kind.state_colours.get(row.state) if kind else None) or "secondary"
        row.url = kind.case_path(row.number) if kind else ""
    return InboxPage(rows=rows, number=page, has_next=has_next, per_page=per_page)
