"""Benchmark of the dispatch board: a week of 50 technicians on PostgreSQL.

Loads 50 technicians in 5 regions, then a week of repair jobs with one visit each, first
at N jobs per technician per day and then at 2N, plus jobs waiting for dispatch. For each
load it reports the board's queries (selector and whole page as a dispatcher sees it) and
its time (median of several runs). The claim it checks: the number of queries is the same
at N and 2N jobs per day.

Usage (PostgreSQL on 127.0.0.1, user postgres, trust auth):

    .venv/bin/python bench/dispatch.py                # N = 3 jobs per technician per day
    .venv/bin/python bench/dispatch.py --per-day 4

``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/aftersales_bench_dispatch``)
names the database; it is dropped and created again.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import prepare_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/aftersales_bench_dispatch"
TECHNICIANS = 50
REGIONS = ["上海", "北京", "广州", "深圳", "杭州"]
RUNS = 7


def load_people():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from aftersales.fieldservice.models import Technician
    from aftersales.models import Customer, Department, Product, StaffProfile
    from aftersales.people.roles import ensure_roles

    ensure_roles()
    users = get_user_model()
    field = Department.objects.create(code="field", name="Field", kind="FIELD")
    dispatcher = users.objects.create_user("dispatcher", password="x")
    dispatcher.groups.add(Group.objects.get(name="dispatcher"))
    StaffProfile.objects.create(user=dispatcher, department=field)
    technicians = []
    for n in range(TECHNICIANS):
        user = users.objects.create_user(f"tech{n:02d}", password="x", first_name=f"T{n:02d}")
        user.groups.add(Group.objects.get(name="technician"))
        StaffProfile.objects.create(user=user, department=field)
        technicians.append(Technician.objects.create(
            user=user, region=REGIONS[n % len(REGIONS)], skills=["大家电"]))
    customer = Customer.objects.create(name="客户")
    product = Product.objects.create(sku="WM-1", name="洗衣机", category="大家电")
    return dispatcher, technicians, customer, product, field


def load_jobs(technicians, customer, product, field, *, week: datetime, per_day: int,
              offset: int) -> int:
    """``per_day`` visits per technician per day of the week, after ``offset`` slots."""
    from aftersales.fieldservice.models import RepairJob, Visit

    made = 0
    for technician in technicians:
        for day in range(7):
            for slot in range(offset, offset + per_day):
                start = week + timedelta(days=day, hours=8 + slot * 2)
                made += 1
                job = RepairJob.objects.create(
                    number=f"RP-{start:%Y%m%d}-{technician.pk:03d}{slot}{made:05d}",
                    kind="REPAIR", channel="HOTLINE", state="DISPATCHED", stage="handle",
                    customer=customer, product=product, department=field,
                    assignee=technician.user, received_at=start - timedelta(days=2),
                    region=technician.region, address_area="区", free_of_charge=True,
                    agreed_start=start, agreed_end=start + timedelta(hours=1, minutes=30))
                Visit.objects.create(job=job, technician=technician, start=start,
                                     end=start + timedelta(hours=1, minutes=30),
                                     blocked_until=start + timedelta(hours=2))
    for n in range(40):
        RepairJob.objects.create(
            number=f"RP-{week:%Y%m%d}-9{offset}{n:04d}", kind="REPAIR", channel="WEBFORM",
            state="TRIAGED", stage="classify", customer=customer, product=product,
            department=field, received_at=week, region=REGIONS[n % len(REGIONS)],
            address_area="区", free_of_charge=True)
    return made


def measure(client, week: datetime) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from aftersales.fieldservice.selectors import board

    first = week.date()
    reset_queries()
    with CaptureQueriesContext(connection) as selector_queries:
        data = board(first=first)
    selector_count = len(selector_queries)
    blocks = sum(len(day) for row in data.rows for day in row.days)
    params = {"week": first.isoformat()}
    client.get("/jobs/board/", params)
    reset_queries()
    with CaptureQueriesContext(connection) as page_queries:
        response = client.get("/jobs/board/", params)
    assert response.status_code == 200, response.status_code
    page_count = len(page_queries)
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get("/jobs/board/", params)
        timings.append((time.perf_counter() - started) * 1000)
    selector_ms = []
    for _ in range(RUNS):
        started = time.perf_counter()
        board(first=first)
        selector_ms.append((time.perf_counter() - started) * 1000)
    return {"blocks": blocks, "selector_queries": selector_count,
            "page_queries": page_count, "page_ms": statistics.median(timings),
            "selector_ms": statistics.median(selector_ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-day", type=int, default=3,
                        help="N: jobs per technician per day in the first load")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    prepare_database(url, keep=False)
    setup_django(url)
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    for app in ("sessions", "fieldservice"):
        call_command("migrate", app, verbosity=0)
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    dispatcher, technicians, customer, product, field = load_people()
    today = timezone.localdate()
    week = timezone.make_aware(datetime.combine(today - timedelta(days=today.weekday()),
                                                datetime.min.time()))
    client = Client()
    client.force_login(dispatcher)
    made = load_jobs(technicians, customer, product, field, week=week, per_day=args.per_day,
                     offset=0)
    n = measure(client, week)
    made += load_jobs(technicians, customer, product, field, week=week,
                      per_day=args.per_day, offset=args.per_day)
    two_n = measure(client, week)
    print(f"dispatch board, {TECHNICIANS} technicians × 7 days, PostgreSQL")
    for label, result in ((f"N = {args.per_day}/day", n), (f"2N = {2 * args.per_day}/day",
                                                            two_n)):
        print(f"  {label:<12} {result['blocks']:>5} visit blocks · selector "
              f"{result['selector_queries']} queries {result['selector_ms']:.0f} ms · page "
              f"{result['page_queries']} queries {result['page_ms']:.0f} ms (median of {RUNS})")
    constant = n["page_queries"] == two_n["page_queries"]
    print(f"  queries constant in jobs per day: {'yes' if constant else 'NO'}")
    sys.exit(0 if constant else 1)


if __name__ == "__main__":
    main()
