"""Benchmark of the SLA sweep on PostgreSQL.

Creates (or reuses) a separate database, fills it with open cases by bulk SQL
(``INSERT ... SELECT generate_series``), then times one ``aftersales.sweep.sla_sweep()``:

* series A: 1,000 cases just breached, with 10 thousand to 1 million open cases;
* series B: 1 million open cases, with 100 to 10,000 just breached.

The claim it checks: with 1,000,000 open cases of which 1,000 just breached, one sweep
takes under a second, and its time follows the number of newly breached cases, not the
number of open ones. Each point is the median of several runs; between runs the breached
cases are put back on track and the sweep's events and notifications are deleted.

Usage (PostgreSQL on 127.0.0.1, user postgres, trust auth):

    .venv/bin/python bench/sla_sweep.py
    .venv/bin/python bench/sla_sweep.py --open 1000000 --repeat 5 --keep

``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/aftersales_bench``)
names the database; it is dropped and created again unless ``--keep`` finds it filled.
The whole run takes about two to four minutes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import prepare_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/aftersales_bench"
DEPARTMENTS = 10
AGENTS = 50


def people() -> tuple[int, list[int], list[int]]:
    """A customer, departments with one supervisor each, and agents spread over them."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from aftersales.models import Customer, Department, StaffProfile

    User = get_user_model()
    customer = Customer.objects.order_by("pk").first()
    if customer is None:
        customer = Customer(name="Bench customer")
        customer.set_contact(phone="13800000000", email="bench@example.com")
        customer.save()
    departments, agents = [], []
    supervisor_group = Group.objects.get(name="supervisor")
    agent_group = Group.objects.get(name="agent")
    for d in range(DEPARTMENTS):
        dept, _ = Department.objects.get_or_create(code=f"bench{d}",
                                                   defaults={"name": f"Bench {d}", "kind": "QA"})
        departments.append(dept.pk)
        user, created = User.objects.get_or_create(username=f"bench-super{d}",
                                                   defaults={"email": f"s{d}@bench.example"})
        if created:
            user.groups.add(supervisor_group)
            StaffProfile.objects.create(user=user, department=dept)
    for a in range(AGENTS):
        user, created = User.objects.get_or_create(username=f"bench-agent{a}",
                                                   defaults={"email": f"a{a}@bench.example"})
        if created:
            user.groups.add(agent_group)
            StaffProfile.objects.create(user=user, department_id=departments[a % DEPARTMENTS])
        agents.append(user.pk)
    return customer.pk, departments, agents


INSERT = """
INSERT INTO aftersales_ticket (
    number, kind, channel, state, stage, is_open, customer_id, order_number_given,
    product_given, severity, priority, is_emergency, escalation_level, department_id,
    assignee_id, tracking_token, language, received_at, created_at, updated_at,
    resolution_due_at, sla_clock, sla_started_at, sla_due_at, sla_warn_at, sla_status, version
)
SELECT
    'BM-' || g, 'COMPLAINT', 'HOTLINE', 'IN_PROGRESS', 'handle', true, %(customer)s, '', '',
    CASE WHEN g %% 100 = 0 THEN 'S1' ELSE 'S4' END, CASE WHEN g %% 100 = 0 THEN 1 ELSE 4 END,
    false, 0, (%(departments)s::bigint[])[1 + g %% %(n_departments)s],
    (%(agents)s::bigint[])[1 + g %% %(n_agents)s], md5('bench-' || g), 'zh-hans',
    now() - interval '1 day', now() - interval '1 day', now() - interval '1 day',
    now() + (600 + g %% 43200) * interval '1 minute', 'resolution', now() - interval '1 day',
    now() + (600 + g %% 43200) * interval '1 minute',
    now() + (300 + g %% 43200) * interval '1 minute', 'on_track', 0
FROM generate_series(%(first)s, %(last)s) AS g
"""


def grow_to(target: int, people_ids) -> int:
    from django.db import connection

    customer, departments, agents = people_ids
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM aftersales_ticket WHERE number LIKE 'BM-%'")
        have = cursor.fetchone()[0]
        if have >= target:
            return have
        started = time.perf_counter()
        cursor.execute("SET synchronous_commit = off")
        step = 250_000
        for first in range(have + 1, target + 1, step):
            last = min(target, first + step - 1)
            cursor.execute(INSERT, {"customer": customer, "departments": departments,
                                    "n_departments": len(departments), "agents": agents,
                                    "n_agents": len(agents), "first": first, "last": last})
        cursor.execute("VACUUM ANALYZE aftersales_ticket")
        # Write the load out now, so its checkpoint does not land inside a timed sweep.
        cursor.execute("CHECKPOINT")
        print(f"  loaded {target - have:,} cases in {time.perf_counter() - started:.1f} s",
              flush=True)
    return target


def open_cases() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM aftersales_ticket WHERE sla_status = 'on_track'")
        return cursor.fetchone()[0]


def breach(count: int) -> None:
    """Make ``count`` random open cases just breached (due within the last minute)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            UPDATE aftersales_ticket SET
                sla_due_at = now() - (id %% 60) * interval '1 second',
                sla_warn_at = now() - interval '1 hour'
            WHERE id IN (
                SELECT id FROM aftersales_ticket
                WHERE sla_status = 'on_track' AND number LIKE 'BM-%%'
                ORDER BY random() LIMIT %s
            )""", [count])
        cursor.execute("VACUUM ANALYZE aftersales_ticket")


def reset() -> None:
    """Put the breached cases back on track and forget what the sweep recorded."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM aftersales_notification")
        cursor.execute("DELETE FROM aftersales_timelineevent WHERE action LIKE 'aftersales.sla.%'")
        cursor.execute("""
            UPDATE aftersales_ticket SET sla_status = 'on_track', escalation_level = 0,
                escalated_at = NULL,
                sla_due_at = now() + (600 + id % 43200) * interval '1 minute',
                sla_warn_at = now() + (300 + id % 43200) * interval '1 minute'
            WHERE sla_status IN ('breached', 'at_risk')""")
        cursor.execute("VACUUM ANALYZE aftersales_ticket")
        cursor.execute("VACUUM ANALYZE aftersales_timelineevent")
        cursor.execute("VACUUM ANALYZE aftersales_notification")


def show_plan() -> None:
    """The plan of the sweep's selection: a range scan of the partial due-time index."""
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT id FROM aftersales_ticket WHERE sla_status IN ('on_track', "
            "'at_risk') AND sla_due_at <= %s ORDER BY sla_due_at LIMIT 5000 "
            "FOR UPDATE SKIP LOCKED", [timezone.now()])
        print("\n".join("    " + row[0] for row in cursor.fetchall()))


def sweep_seconds(breached: int, repeat: int) -> tuple[float, float, dict]:
    from django.utils import timezone

    from aftersales.sla.sweep import sla_sweep

    timings, last = [], {}
    for _ in range(repeat):
        reset()
        breach(breached)
        now = timezone.now()
        started = time.perf_counter()
        result = sla_sweep(now=now)
        timings.append(time.perf_counter() - started)
        last = result.as_dict()
        if last["breached"] != breached:
            raise SystemExit(f"expected {breached} breaches, the sweep found {last}")
        again = sla_sweep(now=now).as_dict()
        if again["breached"] or again["at_risk"]:
            raise SystemExit(f"a second sweep changed something: {again}")
    reset()
    return statistics.median(timings), min(timings), last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=1_000_000, help="largest number of open cases")
    parser.add_argument("--breached", type=int, default=1_000,
                        help="newly breached cases in series A")
    parser.add_argument("--repeat", type=int, default=5, help="runs per point (median)")
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

    sizes = [n for n in (10_000, 100_000, 1_000_000) if n < args.open] + [args.open]
    print(f"\nSeries A: {args.breached:,} newly breached, open cases growing")
    print(f"{'open cases':>12} {'breached':>9} {'median ms':>10} {'min ms':>8}  result")
    for size in sizes:
        grow_to(size, people_ids)
        median, fastest, result = sweep_seconds(args.breached, args.repeat)
        print(f"{open_cases():>12,} {args.breached:>9,} {median * 1000:>10.0f} "
              f"{fastest * 1000:>8.0f}  {result}", flush=True)
        if size == args.open:
            headline = median

    print("\n  plan of the breach selection:")
    show_plan()

    print(f"\nSeries B: {args.open:,} open cases, newly breached growing")
    print(f"{'open cases':>12} {'breached':>9} {'median ms':>10} {'min ms':>8}  result")
    for count in (100, 1_000, 5_000, 10_000):
        median, fastest, result = sweep_seconds(count, args.repeat)
        print(f"{open_cases():>12,} {count:>9,} {median * 1000:>10.0f} "
              f"{fastest * 1000:>8.0f}  {result}", flush=True)

    verdict = "PASS" if headline < 1.0 else "FAIL"
    print(f"\n{verdict}: one sweep over {args.open:,} open cases with {args.breached:,} just "
          f"breached took {headline * 1000:.0f} ms (limit 1000 ms).")
    print(f"Total run time {time.perf_counter() - total_started:.0f} s.")
    if verdict == "FAIL":
        sys.exit(1)


if __name__ == "__main__":
    main()
