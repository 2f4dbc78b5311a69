"""Benchmark of the KPI dashboard and of the rollup refresh on PostgreSQL.

Creates (or reuses) a separate database and loads it with COPY: complaints spread over
24 months (with their handling plans, acceptance and reply events, return visits) and
orders. Then it

1. rebuilds the rollups from the cases (``rebuild_rollups``), timed;
2. times the dashboard of one month: the selector alone and the whole page as a
   supervisor sees it (median of several runs, the order-volume cache cleared before
   each "cold" run);
3. times the incremental refresh after 1,000 new timeline events (replies and archivings
   on cases of the last weeks), a few times.

The claim it checks: with 1,000,000 complaints, the month's dashboard page answers within
300 ms, and a refresh folds 1,000 new events in well under the one-minute beat.

Usage (PostgreSQL on 127.0.0.1, user postgres, trust auth):

    .venv/bin/python bench/dashboard.py                       # 1,000,000 complaints
    .venv/bin/python bench/dashboard.py --complaints 100000 --keep

``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/aftersales_bench_kpi``)
names the database; it is dropped and created again unless ``--keep`` finds it filled.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import prepare_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/aftersales_bench_kpi"
DEPARTMENTS = 10
AGENTS = 50
MONTHS = 24
CHANNELS = ["HOTLINE"] * 5 + ["ONLINE"] * 4 + ["WEBFORM"] * 3 + ["EMAIL", "SOCIAL", "REGULATOR"]
CATEGORIES = ["QUAL"] * 4 + ["SVC"] * 2 + ["LOGI"] * 3 + ["PRICE", "PROMO", "COUPON", "APP"]
SEVERITIES = ["S2", "S3", "S4", "S4", "S4", "S5"]
ZONE = ZoneInfo("Asia/Shanghai")
CHUNK = 100_000


def people() -> tuple[int, list[int], list[int], object]:
    """A customer, departments, agents spread over them, and one supervisor."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from aftersales.models import Customer, Department, StaffProfile

    User = get_user_model()
    customer = Customer.objects.order_by("pk").first()
    if customer is None:
        customer = Customer(name="Bench customer")
        customer.set_contact(phone="13800000000", email="bench@example.com")
        customer.save()
    kinds = ["QA", "WH", "LOGI", "FIELD", "CS", "ASD", "BIZ", "QA", "OTHER", "QA"]
    departments = []
    for d in range(DEPARTMENTS):
        dept, _ = Department.objects.get_or_create(
            code=f"kpi{d}", defaults={"name": f"Bench {d}", "kind": kinds[d]})
        departments.append(dept.pk)
    agents = []
    agent_group = Group.objects.get(name="agent")
    for a in range(AGENTS):
        user, created = User.objects.get_or_create(username=f"kpi-agent{a}",
                                                   defaults={"email": f"a{a}@bench.example"})
        if created:
            user.groups.add(agent_group)
            StaffProfile.objects.create(user=user, department_id=departments[a % DEPARTMENTS])
        agents.append(user.pk)
    supervisor, created = User.objects.get_or_create(username="kpi-supervisor",
                                                     defaults={"email": "s@bench.example"})
    if created:
        supervisor.groups.add(Group.objects.get(name="supervisor"))
        StaffProfile.objects.create(user=supervisor, department_id=departments[0])
    return customer.pk, departments, agents, supervisor


def _required_columns(cursor, table: str) -> dict[str, str]:
    """NOT NULL columns without a database default, with their types."""
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL", [table])
    return dict(cursor.fetchall())


FILLER = {"text": "", "character varying": "", "integer": "0", "smallint": "0",
          "bigint": "0", "boolean": "f", "jsonb": "{}", "numeric": "0"}


def copy_rows(cursor, table: str, columns: list[str], rows) -> int:
    """COPY the rows (tuples for ``columns``) in chunks; other required columns get fillers."""
    required = _required_columns(cursor, table)
    extra = [name for name in required if name not in columns and name != "id"]
    fillers = []
    for name in extra:
        kind = required[name]
        if kind.startswith("timestamp"):
            fillers.append(datetime.now(ZONE).isoformat())
        elif kind in FILLER:
            fillers.append(FILLER[kind])
        else:
            raise SystemExit(f"{table}.{name}: no filler for type {kind}")
    names = columns + extra
    count = 0
    buffer = io.StringIO()

    def flush():
        buffer.seek(0)
        cursor.copy_expert(f"COPY {table} ({', '.join(names)}) FROM STDIN WITH (FORMAT text)",
                           buffer)
        buffer.seek(0)
        buffer.truncate()

    for row in rows:
        values = ["\\N" if v is None else str(v) for v in row] + fillers
        buffer.write("\t".join(values) + "\n")
        count += 1
        if count % CHUNK == 0:
            flush()
    flush()
    return count


def seed(n: int, people_ids) -> None:
    from django.db import connection

    customer, departments, agents, _supervisor = people_ids
    rng = random.Random(20261201)
    now = datetime.now(ZONE).replace(minute=0, second=0, microsecond=0)
    start = (now.replace(day=1) - timedelta(days=31 * (MONTHS - 1))).replace(day=1, hour=0)
    span = (now - timedelta(days=2) - start).total_seconds()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SELECT coalesce(max(id), 0) FROM aftersales_ticket")
        base = cursor.fetchone()[0]
        tickets, complaints, plans, events, visits = [], [], [], [], []
        for i in range(n):
            pk = base + i + 1
            received = start + timedelta(seconds=span * i / n + rng.random() * 3600)
            department = departments[rng.randrange(DEPARTMENTS)]
            state = "CLOSED"
            roll = rng.random()
            if roll < 0.03:
                state = "NOT_ACCEPTED"
            elif now - received < timedelta(days=10):
                state = "IN_PROGRESS"
            fr_due = received + timedelta(hours=24)
            fr_at = received + timedelta(minutes=rng.randrange(5, 30 * 60))
            accepted = state != "NOT_ACCEPTED"
            res_due = received + timedelta(days=7) if accepted else None
            resolved = (received + timedelta(hours=rng.randrange(2, 240))
                        if state == "CLOSED" else None)
            closed = resolved + timedelta(days=3) if resolved else None
            outcome = rng.choice(["SOLVED"] * 17 + ["NOT_LIABLE"] * 2 + ["PARTIAL"]) \
                if resolved else ""
            tickets.append((
                pk, f"KB-{pk}", "COMPLAINT", rng.choice(CHANNELS), state,
                "archive" if state == "CLOSED" else "handle" if accepted else "register",
                "f" if state in ("CLOSED", "NOT_ACCEPTED") else "t", customer,
                rng.choice(SEVERITIES), 4, department, rng.choice(agents), f"kb{pk}",
                "zh-hans", received.isoformat(), received.isoformat(), received.isoformat(),
                fr_due.isoformat(), fr_at.isoformat(),
                res_due.isoformat() if res_due else None,
                resolved.isoformat() if resolved else None,
                closed.isoformat() if closed else None,
                (pk - 1) if i and rng.random() < 0.05 else None,
            ))
            complaints.append((pk, rng.choice(CATEGORIES), "generated", outcome,
                               "NO_FACTS" if state == "NOT_ACCEPTED" else "",
                               pk if resolved else None))
            if resolved:
                unit = department if rng.random() < 0.8 else departments[rng.randrange(
                    DEPARTMENTS)]
                plans.append((pk, pk, "OTHER", "COMPANY" if outcome != "NOT_LIABLE"
                               else "NOT_LIABLE", unit, "REPAIR", "m",
                               (received + timedelta(days=3)).isoformat(), "NOT_NEEDED",
                               "NOT_NEEDED", received.isoformat()))
                answered = rng.random() < 0.6
                visit_at = resolved + timedelta(days=2)
                visits.append((pk, "ANSWERED" if answered else "NO_RESPONSE",
                               visit_at.isoformat(), f"kv{pk}", visit_at.isoformat(),
                               visit_at.isoformat() if answered else None,
                               rng.choice([5, 5, 4, 4, 3, 2, 1]) if answered else None,
                               "t" if answered else None))
                events.append((pk, "complaints.complaint.replied", resolved.isoformat()))
            if accepted:
                events.append((pk, "complaints.complaint.accepted", fr_at.isoformat()))
        copy_rows(cursor, "aftersales_ticket", [
            "id", "number", "kind", "channel", "state", "stage", "is_open", "customer_id",
            "severity", "priority", "department_id", "assignee_id", "tracking_token",
            "language", "received_at", "created_at", "updated_at", "first_response_due_at",
            "first_response_at", "resolution_due_at", "resolved_at", "closed_at",
            "repeat_of_id"], tickets)
        copy_rows(cursor, "complaints_complaint", [
            "ticket_ptr_id", "category", "description", "outcome", "not_accepted_reason",
            "current_plan_id"], ((pk, cat, desc, out, reason, None)
                                 for pk, cat, desc, out, reason, _plan in complaints))
        copy_rows(cursor, "complaints_handlingplan", [
            "id", "complaint_id", "cause", "liability", "responsible_department_id",
            "solution_type", "measures", "deadline", "status", "customer_decision",
            "submitted_at"], plans)
        cursor.execute("UPDATE complaints_complaint SET current_plan_id = ticket_ptr_id "
                       "WHERE ticket_ptr_id IN (SELECT complaint_id FROM "
                       "complaints_handlingplan WHERE complaint_id > %s)", [base])
        copy_rows(cursor, "aftersales_followup", [
            "ticket_id", "status", "due_at", "token", "sent_at", "answered_at", "rating",
            "problem_solved"], visits)
        copy_rows(cursor, "aftersales_timelineevent", [
            "ticket_id", "action", "created_at", "actor_kind"],
            ((pk, action, at, "system") for pk, action, at in events))
        orders = ((f"KO-{base}-{j}", customer,
                   (start + timedelta(seconds=span * j / (2 * n))).isoformat(),
                   (start + timedelta(seconds=span * j / (2 * n), days=3)).isoformat(),
                   "DISTANCE") for j in range(2 * n))
        copy_rows(cursor, "aftersales_order", ["number", "customer_id", "placed_at",
                                               "signed_at", "sale_channel"], orders)
        for table in ("aftersales_ticket", "complaints_complaint", "complaints_handlingplan",
                      "aftersales_followup", "aftersales_timelineevent", "aftersales_order"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT max(id) FROM {table}))" if table != "complaints_complaint"
                           else "SELECT 1")
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")
    print(f"  loaded {n:,} complaints, {len(events):,} events, {len(visits):,} return visits, "
          f"{2 * n:,} orders in {time.perf_counter() - started:.0f} s", flush=True)


def complaint_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM aftersales_ticket WHERE number LIKE 'KB-%'")
        return cursor.fetchone()[0]


def time_dashboard(supervisor, repeat: int) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from analytics.kpis.dashboard import dashboard_data
    from analytics.kpis.selectors import Filters, month_range

    month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    first, last = month_range(month)
    out: dict = {"month": f"{month:%Y-%m}"}
    selector, cold, warm = [], [], []
    for _ in range(repeat):
        cache.clear()
        begun = time.perf_counter()
        dashboard_data(Filters(), first, last, units=None, using="default")
        selector.append(time.perf_counter() - begun)
    client = Client()
    client.force_login(supervisor)
    path = reverse("analytics:dashboard")
    for _ in range(repeat):
        cache.clear()
        begun = time.perf_counter()
        response = client.get(path, {"month": f"{month:%Y-%m}"})
        cold.append(time.perf_counter() - begun)
        assert response.status_code == 200
        begun = time.perf_counter()
        client.get(path, {"month": f"{month:%Y-%m}"})
        warm.append(time.perf_counter() - begun)
    with CaptureQueriesContext(connection) as captured:
        client.get(path, {"month": f"{month:%Y-%m}", "channel": "HOTLINE"})
    out.update(selector_ms=statistics.median(selector) * 1000,
               page_cold_ms=statistics.median(cold) * 1000,
               page_warm_ms=statistics.median(warm) * 1000, queries=len(captured))
    return out


def time_refresh(events: int, repeat: int) -> list[dict]:
    """Write ``events`` new replies/archivings on recent cases, then time one refresh."""
    from django.db import connection
    from django.utils import timezone

    from analytics.kpis.rollups import refresh_rollups

    results = []
    for _run in range(repeat):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM aftersales_ticket WHERE number LIKE 'KB-%%' AND state = "
                "'CLOSED' AND closed_at < %s ORDER BY received_at DESC LIMIT %s",
                [timezone.now() - timedelta(days=1), events // 2])
            ids = [row[0] for row in cursor.fetchall()]
            now = timezone.now()
            cursor.execute("UPDATE aftersales_ticket SET closed_at = %s, updated_at = %s "
                           "WHERE id = ANY(%s)", [now, now, ids])
            rows = [(pk, action, now.isoformat(), "system") for pk in ids
                    for action in ("complaints.complaint.return_visit",
                                   "complaints.complaint.archived")]
            copy_rows(cursor, "aftersales_timelineevent",
                      ["ticket_id", "action", "created_at", "actor_kind"], rows)
        begun = time.perf_counter()
        result = refresh_rollups()
        seconds = time.perf_counter() - begun
        results.append({"events": result.events, "cases": result.tickets,
                        "days": result.days, "ms": seconds * 1000})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per measure (median)")
    parser.add_argument("--keep", action="store_true", help="reuse an existing bench database")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    total_started = time.perf_counter()
    print(f"database: {url}", flush=True)
    prepare_database(url, args.keep)
    setup_django(url)
    people_ids = people()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        print(f"PostgreSQL {cursor.fetchone()[0]}", flush=True)

    have = complaint_count()
    if have < args.complaints:
        seed(args.complaints - have, people_ids)
        from analytics.kpis.rollups import rebuild_rollups

        begun = time.perf_counter()
        result = rebuild_rollups(chunk=5000)
        print(f"  rebuild_rollups: {result.tickets:,} cases, {result.days:,} days in "
              f"{time.perf_counter() - begun:.0f} s", flush=True)
        with connection.cursor() as cursor:
            for table in ("analytics_kpicell", "analytics_kpiownerday", "analytics_kpicasefact",
                          "analytics_kpivisitfact"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    from analytics.models import KpiCell

    print(f"complaints: {complaint_count():,}; rollup cells: "
          f"{KpiCell.objects.filter(grain__startswith='D:').count():,} day, "
          f"{KpiCell.objects.filter(grain__startswith='M:').count():,} month", flush=True)

    dashboard = time_dashboard(people_ids[3], args.repeat)
    print(f"\nDashboard of {dashboard['month']} (median of {args.repeat}):")
    print(f"  selector {dashboard['selector_ms']:.0f} ms; page {dashboard['page_cold_ms']:.0f} ms "
          f"with an empty cache, {dashboard['page_warm_ms']:.0f} ms warm; "
          f"{dashboard['queries']} queries", flush=True)

    print("\nRefresh after 1,000 new timeline events:")
    refreshes = time_refresh(1000, max(3, args.repeat // 2))
    for row in refreshes:
        print(f"  {row['events']:,} events, {row['cases']:,} cases, {row['days']:,} days: "
              f"{row['ms']:.0f} ms", flush=True)
    refresh_ms = statistics.median(r["ms"] for r in refreshes)

    ok = dashboard["page_cold_ms"] <= 300
    print(f"\n{'PASS' if ok else 'FAIL'}: the dashboard of one month over "
          f"{complaint_count():,} complaints took {dashboard['page_cold_ms']:.0f} ms "
          f"(limit 300 ms); a refresh of 1,000 events took {refresh_ms:.0f} ms.")
    print(f"Total run time {time.perf_counter() - total_started:.0f} s.")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
