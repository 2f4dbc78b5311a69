"""Benchmark of the service desk on PostgreSQL at a million cases.

Loads (or reuses) the shared bench database of ``bench/seed.py``: 1,000,000 complaints, 3 %
open, 9 timeline events each, the two newest open ones with 10 and 500 events. Then:

* **inbox**: every tab, its first page and a deep page (page 200, or the last one when the
  tab is shorter), a search by phone and one by order number, through the whole Django
  stack in this process: median wall time, this process's CPU, SQL time, queries, rows;
* **EXPLAIN ANALYZE** of each tab's page query and count query, to show each is an index
  scan that delivers the order (no sort of the open set);
* **case page** with 10 and with 500 events;
* **public submit**: gunicorn with 2 sync workers on this database, the public complaint
  form posted over 4 connections for a bounded time by ``wrk`` (a C client, so the client
  takes little of the two cores; ``--client python`` uses 4 Python threads instead):
  requests per second; then 400 posts by the Python client, which waits for every
  response, and the complaints created per successful response (must be exactly 1);
* the load average before and after each part.

Targets (issue: service desk): inbox ≤ 50 ms for every tab, first and deep page, and for a
search; case page ≤ 40 ms with 10 events and ≤ 80 ms with 500; public submit ≥ 170 req/s in
≤ 12 queries.

Usage (PostgreSQL on 127.0.0.1, user postgres, trust auth; Redis on 127.0.0.1:6379):

    .venv/bin/python bench/service_desk.py                 # load 1,000,000 and measure
    .venv/bin/python bench/service_desk.py --keep          # reuse a loaded database
    .venv/bin/python bench/service_desk.py --keep --skip-submit

``BENCH_DESK_DATABASE_URL`` names the database (default
``postgres://postgres@127.0.0.1:5432/aftersales_bench_desk``, shared with bench/ledger.py).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import (  # noqa: E402
    load,
    page_timings,
    prepare_database,
    reference_data,
    setup_django,
)
from bench.wrk import wrk_run  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/aftersales_bench_desk"
RUNS = 15
DEEP_PAGE = 200
SUBMIT_THREADS = 4
SUBMIT_SECONDS = 20
SUBMIT_MAX_REQUESTS = 6000
SUBMIT_COUNTED_REQUESTS = 400
PORT = 8765
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


ROW_MARKER = 'class="inbox-subject"'


def median_ms(client, url: str, runs: int = RUNS, row_marker: str = ROW_MARKER) -> dict:
    return page_timings(client, url, runs=runs, row_marker=row_marker)


def report(label: str, result: dict) -> None:
    print(f"  {label:<44} {result['wall']:7.1f} ms wall {result['cpu']:6.1f} ms CPU "
          f"{result['sql']:6.1f} ms SQL {result['queries']:3d} queries {result['rows']:3d} rows",
          flush=True)


def users() -> dict:
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    return {"supervisor": user_model.objects.get(username="bench-ledger-super"),
            "handler": user_model.objects.get(username="bench-ledger-h0")}


def tab_sizes(user) -> dict[str, int]:
    from aftersales.cases.inbox import TABS, InboxQuery, inbox_queryset

    return {tab: inbox_queryset(user, InboxQuery(tab=tab)).count() for tab in TABS}


def search_url(client, text: str) -> str:
    response = client.post("/inbox/", {"search": text})
    assert response.status_code == 302, response.status_code
    return response["Location"]


def measure_inbox(people: dict) -> dict:
    from django.test import Client

    from aftersales.cases.inbox import PAGE_SIZE, TABS

    results = {}
    for who in ("supervisor", "handler"):
        user = people[who]
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        sizes = tab_sizes(user)
        tabs = TABS if who == "supervisor" else ("mine", "department")
        for tab in tabs:
            last = max(1, -(-sizes[tab] // PAGE_SIZE))
            for page in sorted({1, min(DEEP_PAGE, last)}):
                result = median_ms(client, f"/inbox/?tab={tab}&page={page}")
                results[(who, tab, page)] = result
                report(f"{who} {tab} page {page} of {last} ({sizes[tab]:,})", result)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(people["supervisor"])
    for label, text in (("search by phone", "13900000107"),
                        ("search by order number", "SO00000300")):
        result = median_ms(client, search_url(client, text))
        results[("supervisor", label, 1)] = result
        report(f"supervisor {label}", result)
    result = median_ms(client, "/inbox/?tab=all_open&kind=COMPLAINT&severity=S2&sort=age")
    results[("supervisor", "filtered", 1)] = result
    report("supervisor all_open kind+severity by age", result)
    return results


def explain_inbox(user) -> None:
    """EXPLAIN ANALYZE of the statements the inbox really runs: each tab's page of ids
    (first and deep) and the one statement that counts every tab, with bitmap scans off
    as ``inbox_read`` runs them."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from aftersales.cases.inbox import PAGE_SIZE, SORTS, TABS, InboxQuery, _page_ids, tab_counts

    def explain(sql: str, *, no_bitmaps: bool = False) -> str:
        with transaction.atomic(), connection.cursor() as cursor:
            if no_bitmaps:
                cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN ANALYZE " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())

    def show(label: str, plan: str) -> None:
        print(f"\n  -- {label}")
        for line in plan.splitlines():
            print("     " + line)
        # A Sort node (not the "Sort Key" of a Merge Append, which merges ordered scans).
        if re.search(r"(^|->)\s*Sort\s+\(", plan, re.MULTILINE):
            print("     !! this plan sorts")

    for tab in TABS:
        query = InboxQuery(tab=tab)
        for page in (1, DEEP_PAGE):
            with CaptureQueriesContext(connection) as captured:
                _page_ids(user, query, SORTS["due"], (page - 1) * PAGE_SIZE, PAGE_SIZE + 1)
            if not captured.captured_queries:
                print(f"\n  -- {tab}, page {page}: nothing to read for this person")
                continue
            show(f"{tab}, page {page}",
                 explain(captured.captured_queries[-1]["sql"], no_bitmaps=True))
    with CaptureQueriesContext(connection) as captured:
        tab_counts(user, InboxQuery())
    counts = next(q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT"))
    show("tab counts (every tab, one statement)", explain(counts, no_bitmaps=True))


def measure_case_pages(people: dict) -> dict:
    from django.test import Client

    from aftersales.models import Ticket

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(people["supervisor"])
    # The loader gives the two newest cases 10 and 500 events.
    numbers = [Ticket.objects.filter(tracking_token=f"lb-{i}").values_list("number", flat=True)
               .get() for i in (0, 1)]
    results = {}
    for events, number in zip((10, 500), numbers, strict=True):
        result = median_ms(client, f"/c/{number}/", row_marker="data-action=")
        results[events] = result
        report(f"case page, {events} events ({number})", result)
    return results


# --- public submit ----------------------------------------------------------------------------

def start_server(url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false", "LOG_LEVEL": "WARNING",
           "PUBLIC_FORM_RATE_LIMIT": "1000000000", "REDIS_URL": "redis://127.0.0.1:6379/9",
           "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9", "CONN_MAX_AGE": "60"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "aftersales.wsgi", "--workers", "2",
         "--config", str(ROOT / "bench/gunicorn_bench.py"), "--bind", f"127.0.0.1:{PORT}",
         "--log-level", "warning"], cwd=ROOT, env=env, start_new_session=True)
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/c/new/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("gunicorn did not start")


def csrf_pair() -> tuple[str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    conn.request("GET", "/c/new/")
    response = conn.getresponse()
    body = response.read().decode()
    cookie = next(c for c in response.headers.get_all("Set-Cookie") if c.startswith("csrftoken="))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    return cookie.split(";")[0], token


def submit_load_wrk(seconds: int = SUBMIT_SECONDS) -> dict:
    """The load from ``wrk`` (a C client): the server, not the client, takes the CPU."""
    cookie, csrf = csrf_pair()
    figures, _output = wrk_run(
        ROOT / "bench/public_submit.lua", f"http://127.0.0.1:{PORT}",
        env={"BENCH_COOKIE": cookie, "BENCH_CSRF": csrf,
             "BENCH_REFERER": f"http://127.0.0.1:{PORT}/c/new/"},
        seconds=seconds, connections=SUBMIT_THREADS)
    requests, errors = int(figures["requests"]), int(figures["errors"])
    return {"seconds": figures["seconds"], "requests": requests,
            "statuses": {"3xx": requests - errors, "errors": errors},
            "ok": requests - errors, "p50_ms": figures["p50_ms"]}


def submit_load(tokens: list[str]) -> dict:
    cookie, csrf = csrf_pair()
    lock = threading.Lock()
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    deadline = time.perf_counter() + SUBMIT_SECONDS

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        while time.perf_counter() < deadline:
            with lock:
                if not tokens:
                    return
                token = tokens.pop()
            body = urllib.parse.urlencode({
                "csrfmiddlewaretoken": csrf, "form_token": token, "name": "压测客户",
                "phone": "13800001111", "email": "", "order_number": "",
                "product": "Electric kettle K1", "category_hint": "QUAL",
                "description": "The kettle switches itself off after ten seconds.",
                "customer_request": "Please exchange it.", "website": "",
            })
            started = time.perf_counter()
            conn.request("POST", "/c/new/", body, {
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                "Referer": f"http://127.0.0.1:{PORT}/c/new/", "Accept-Language": "zh-hans"})
            response = conn.getresponse()
            response.read()
            with lock:
                latencies.append(time.perf_counter() - started)
                statuses[response.status] = statuses.get(response.status, 0) + 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(SUBMIT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "statuses": statuses, "requests": sum(statuses.values()),
            "ok": statuses.get(302, 0),
            "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0}


def measure_submit(url: str, load_client: str) -> dict:
    """Throughput under ``load_client`` for ``SUBMIT_SECONDS``, then an exact count: a
    bounded run by the Python client, which waits for every response, must leave exactly one
    complaint per successful response (``wrk`` drops the posts in flight when it stops)."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from aftersales.cases.services import form_token_new
    from aftersales.models import Ticket
    from complaints.models import Complaint

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")

    def submit():
        return client.post("/c/new/", {
            "form_token": form_token_new(), "name": "压测客户", "phone": "13800001111",
            "email": "", "order_number": "", "product": "Electric kettle K1",
            "category_hint": "QUAL", "description": "The kettle switches itself off.",
            "customer_request": "", "website": ""})

    # Everything this part creates is deleted at the end, the warm-up posts included.
    last_id = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with override_settings(PUBLIC_FORM_RATE_LIMIT=10**9):
        submit()  # warm: content types, permissions, the calendar
        with CaptureQueriesContext(connection) as captured:
            response = submit()
    assert response.status_code == 302, response.status_code
    statements = [q["sql"] for q in captured.captured_queries]
    queries = sum(1 for sql in statements if not sql.startswith(TRANSACTION_CONTROL))
    print(f"  one public submit in this process: {queries} queries "
          f"(+{len(statements) - queries} transaction control statements)", flush=True)

    server = start_server(url)
    try:
        print(f"  load average before: {load_average()}", flush=True)
        if load_client == "wrk":
            result = submit_load_wrk()
        else:
            result = submit_load([form_token_new() for _ in range(SUBMIT_MAX_REQUESTS)])
        print(f"  load average after:  {load_average()}", flush=True)
        rate = result["requests"] / result["seconds"]
        print(f"  {result['requests']:,} posts in {result['seconds']:.1f} s over "
              f"{SUBMIT_THREADS} connections ({load_client}): {rate:.0f} req/s, "
              f"p50 {result['p50_ms']:.0f} ms, statuses {result['statuses']}", flush=True)
        time.sleep(3)  # the posts wrk left in flight finish on the server
        before = Ticket.objects.filter(kind="COMPLAINT").count()
        counted = submit_load([form_token_new() for _ in range(SUBMIT_COUNTED_REQUESTS)])
        created = Ticket.objects.filter(kind="COMPLAINT").count() - before
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        # The database stays as loaded (3 % open) for the next run's inbox figures.
        Complaint.objects.filter(pk__gt=last_id).delete()
    ok = counted["ok"]
    per_response = created / ok if ok else 0.0
    print(f"  exact count: {created:,} complaints for {ok:,} successful responses "
          f"({per_response:.3f} each; statuses {counted['statuses']})", flush=True)
    return {"queries": queries, "rate": rate, "per_response": per_response}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="reuse a filled bench database")
    parser.add_argument("--skip-submit", action="store_true")
    parser.add_argument("--submit-only", action="store_true",
                        help="only the public submit (to interleave runs with a peer's)")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--client", choices=("wrk", "python"),
                        help="the load generator (default: wrk when installed)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DESK_DATABASE_URL", DEFAULT_URL)
    print(f"database: {url}", flush=True)
    prepare_database(url, args.keep)
    setup_django(url)
    load(args.rows, reference_data())
    people = users()

    checks: list[tuple[bool, str]] = []
    if not args.submit_only:
        print(f"\nInbox over {args.rows:,} complaints (median of {RUNS}; load average "
              f"{load_average()}):", flush=True)
        inbox = measure_inbox(people)
        print(f"\nCase page (load average {load_average()}):", flush=True)
        cases = measure_case_pages(people)
        if not args.no_explain:
            for who in ("supervisor", "handler"):
                print(f"\nEXPLAIN ANALYZE of the inbox queries ({who}):")
                explain_inbox(people[who])
    submit = None
    if not args.skip_submit:
        client = args.client or ("wrk" if shutil.which("wrk") else "python")
        print(f"\nPublic submit, gunicorn with 2 sync workers, client {client}:", flush=True)
        submit = measure_submit(url, client)

    if not args.submit_only:
        worst_inbox = max(r["wall"] for r in inbox.values())
        checks += [
            (worst_inbox <= 50, f"inbox slowest median {worst_inbox:.1f} ms (target 50 ms)"),
            (cases[10]["wall"] <= 40,
             f"case page, 10 events {cases[10]['wall']:.1f} ms (target 40)"),
            (cases[500]["wall"] <= 80,
             f"case page, 500 events {cases[500]['wall']:.1f} ms (target 80)"),
        ]
    if submit:
        checks += [
            (submit["rate"] >= 170, f"public submit {submit['rate']:.0f} req/s (target 170)"),
            (submit["queries"] <= 12, f"public submit {submit['queries']} queries (budget 12)"),
            (abs(submit["per_response"] - 1.0) < 1e-9,
             f"{submit['per_response']:.3f} complaints per successful response (exactly 1)"),
        ]
    print()
    for ok, text in checks:
        print(f"{'PASS' if ok else 'FAIL'}: {text}")
    if not all(ok for ok, _ in checks):
        sys.exit(1)


if __name__ == "__main__":
    main()
