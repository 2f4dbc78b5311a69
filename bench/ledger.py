"""Benchmark of the complaint ledger on PostgreSQL.

Creates (or reuses) a separate database and loads complaints with ``COPY``: kernel tickets,
their complaint rows, handling plans for the handled ones and return-visit ratings for the
closed ones, spread over a year, ten departments, fourteen channels and 10,000 customers.
Then it measures, as a supervisor, through the whole Django stack (middleware, view,
template):

* the first page of the ledger with one filter (a channel), median of several requests;
* a deep page (keyset cursor about 90 % of the way through the filtered rows);
* an export of about 100,000 rows to Excel by the worker's code, in a fresh process,
  reporting its wall time and the peak resident memory of that process.

Targets: at most 50 ms per page, at most 150 MB peak memory for the export.

Usage (PostgreSQL on 127.0.0.1, user postgres, trust auth):

    .venv/bin/python bench/ledger.py --rows 200000
    .venv/bin/python bench/ledger.py --rows 1000000 --keep

``BENCH_LEDGER_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/aftersales_bench_ledger``) names the database; it is
dropped and created again unless ``--keep`` finds it filled to the asked size.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sla_sweep import prepare_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/aftersales_bench_ledger"
DEPARTMENTS = 10
CUSTOMERS = 10_000
PRODUCTS = 200
SPACING_SECONDS = 30
START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CHANNELS = ["HOTLINE", "ONLINE", "EMAIL", "WEBFORM", "MEMBER", "LETTER", "VISIT", "SOCIAL",
            "STORE", "THIRDPARTY", "FIELD", "OFFICE", "REGULATOR", "OTHERDEPT"]
CATEGORIES = [("QUAL", "FUNC"), ("QUAL", "SAFETY"), ("SVC", "ATTITUDE"), ("LOGI", "DELAY"),
              ("LOGI", "DAMAGE"), ("PRICE", "PRICE_CHANGE"), ("COUPON", "EXPIRED"),
              ("OTHER", "")]
PAGE_RUNS = 15


# --- loading ----------------------------------------------------------------------------------

class Lines(io.RawIOBase):
    """A read-only file over a generator of text lines, for ``COPY ... FROM STDIN``."""

    def __init__(self, lines, lines_per_chunk: int = 2000) -> None:
        self.lines = lines
        self.lines_per_chunk = lines_per_chunk
        self.pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def _refill(self) -> None:
        chunk = []
        for line in self.lines:
            chunk.append(line)
            if len(chunk) >= self.lines_per_chunk:
                break
        self.pending = memoryview("".join(chunk).encode())

    def readinto(self, target) -> int:
        if not self.pending:
            self._refill()
        size = min(len(target), len(self.pending))
        target[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def _columns(cursor, table: str) -> list[tuple[str, bool, str]]:
    cursor.execute(
        "SELECT column_name, is_nullable = 'YES', data_type FROM information_schema.columns "
        "WHERE table_name = %s ORDER BY ordinal_position", [table])
    return cursor.fetchall()


def _fill(data_type: str) -> str:
    if data_type in ("integer", "bigint", "smallint", "numeric"):
        return "0"
    if data_type == "boolean":
        return "f"
    if data_type == "jsonb":
        return "{}"
    return ""


def copy_rows(cursor, table: str, rows) -> None:
    """COPY dicts into ``table``; a NOT NULL column the rows lack gets an empty value.

    Reading the table's columns keeps the loader working while other columns come and go.
    """
    columns = _columns(cursor, table)
    first = next(rows)
    names = [name for name, nullable, _type in columns if name in first or not nullable]
    fills = {name: _fill(data_type) for name, _nullable, data_type in columns}

    def text(row) -> str:
        values = []
        for name in names:
            value = row.get(name, fills[name])
            if value is None:
                values.append("\\N")
            elif isinstance(value, bool):
                values.append("t" if value else "f")
            elif isinstance(value, datetime):
                values.append(value.isoformat())
            else:
                values.append(str(value).replace("\\", "\\\\").replace("\t", " ")
                              .replace("\n", " "))
        return "\t".join(values) + "\n"

    def lines():
        yield text(first)
        for row in rows:
            yield text(row)

    cursor.copy_expert(f"COPY {table} ({', '.join(names)}) FROM STDIN",
                       io.BufferedReader(Lines(lines()), buffer_size=1 << 20))


def reference_data() -> dict:
    """Departments with a supervisor and handlers, customers with phones, products."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from aftersales.models import Customer, Department, Product, StaffProfile

    user_model = get_user_model()
    supervisor, created = user_model.objects.get_or_create(username="bench-ledger-super")
    if created:
        supervisor.groups.add(Group.objects.get(name="supervisor"))
        StaffProfile.objects.create(user=supervisor)
    departments, handlers = [], []
    handler_group = Group.objects.get(name="handler")
    for d in range(DEPARTMENTS):
        dept, _ = Department.objects.get_or_create(
            code=f"ledger{d}", defaults={"name": f"Department {d}", "kind": "QA"})
        departments.append(dept.pk)
        user, created = user_model.objects.get_or_create(username=f"bench-ledger-h{d}")
        if created:
            user.groups.add(handler_group)
            StaffProfile.objects.create(user=user, department=dept)
        handlers.append(user.pk)
    if not Customer.objects.filter(name__startswith="Ledger customer").exists():
        customers = []
        for c in range(CUSTOMERS):
            customer = Customer(name=f"Ledger customer {c}")
            customer.set_contact(phone=f"139{c:08d}")
            customers.append(customer)
        Customer.objects.bulk_create(customers, batch_size=2000)
    if not Product.objects.filter(sku__startswith="LEDGER-").exists():
        Product.objects.bulk_create([Product(sku=f"LEDGER-{p:04d}", name=f"Product {p}")
                                     for p in range(PRODUCTS)])
    return {
        "supervisor": supervisor.pk, "departments": departments, "handlers": handlers,
        "customers": list(Customer.objects.filter(name__startswith="Ledger customer")
                          .order_by("pk").values_list("pk", flat=True)),
        "products": list(Product.objects.filter(sku__startswith="LEDGER-")
                         .order_by("pk").values_list("pk", flat=True)),
    }


STATES = [  # (state, stage, open, replied, closed), cycled
    ("CLOSED", "archive", False, True, True), ("CLOSED", "archive", False, True, True),
    ("CLOSED", "archive", False, True, True), ("CLOSED", "archive", False, True, True),
    ("CLOSED", "archive", False, True, True), ("RETURN_VISIT", "archive", True, True, False),
    ("RESOLVED", "reply", True, True, False), ("IN_PROGRESS", "handle", True, False, False),
    ("ANALYSING", "handle", True, False, False), ("REGISTERED", "register", True, False, False),
]


def load(count: int, ref: dict) -> None:
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM aftersales_ticket WHERE number LIKE 'LB-%%'")
        have = cursor.fetchone()[0]
    if have >= count:
        print(f"  {have:,} ledger complaints already loaded", flush=True)
        return
    if have:
        raise SystemExit("the bench database holds a different size; run without --keep")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM aftersales_ticket")
        first_id = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM complaints_handlingplan")
        first_plan = cursor.fetchone()[0] + 1
        cursor.execute("SELECT coalesce(max(id), 0) FROM aftersales_followup")
        first_follow_up = cursor.fetchone()[0] + 1

    def facts(i: int) -> dict:
        state, stage, is_open, replied, closed = STATES[i % len(STATES)]
        received = START - timedelta(seconds=SPACING_SECONDS * i)
        dept = i % DEPARTMENTS
        category, subcategory = CATEGORIES[i % len(CATEGORIES)]
        late = i % 7 == 0
        return {
            "id": first_id + i, "i": i, "state": state, "stage": stage, "open": is_open,
            "replied": received + timedelta(hours=30 if late else 20) if replied else None,
            "closed": received + timedelta(days=9 if late else 5) if closed else None,
            "received": received, "dept": dept, "category": category,
            "subcategory": subcategory, "handled": stage in ("handle", "reply", "archive")
            and state != "ANALYSING", "late": late,
        }

    def tickets():
        for i in range(count):
            f = facts(i)
            received = f["received"]
            yield {
                "id": f["id"], "number": f"LB-{received:%Y%m%d}-{i:07d}", "kind": "COMPLAINT",
                "channel": CHANNELS[i % len(CHANNELS)], "state": f["state"],
                "stage": f["stage"], "is_open": f["open"],
                "customer_id": ref["customers"][i % len(ref["customers"])],
                "product_id": ref["products"][i % len(ref["products"])] if i % 3 else None,
                "order_number_given": f"SO{i:08d}", "product_given": "",
                "severity": f"S{1 + i % 5}", "priority": 1 + i % 5,
                "is_emergency": i % 5 == 0, "escalation_level": 0,
                "department_id": ref["departments"][f["dept"]],
                "assignee_id": ref["handlers"][f["dept"]], "tracking_token": f"lb-{i}",
                "repeat_of_id": f["id"] - 1 if i % 50 == 1 else None,
                "language": "zh-hans", "received_at": received, "created_at": received,
                "updated_at": received,
                "first_response_due_at": received + timedelta(hours=24),
                "first_response_at": received + timedelta(hours=26 if f["late"] else 2),
                "resolution_due_at": received + timedelta(days=1),
                "resolved_at": f["replied"],
                "close_due_at": received + timedelta(days=7) if f["replied"] else None,
                "closed_at": f["closed"], "sla_clock": "", "sla_status": "none",
                "version": 0,
            }

    def complaints():
        for i in range(count):
            f = facts(i)
            yield {
                "ticket_ptr_id": f["id"], "request_type": "QUALITY", "category_hint": "",
                "category": f["category"], "subcategory": f["subcategory"],
                "description": "Bench complaint", "customer_request": "",
                "regulator_case_number": f"12315-{i}" if i % len(CHANNELS) == 12 else "",
                "not_accepted_reason": "",
                "current_plan_id": first_plan + i if f["handled"] else None,
                "outcome": "SOLVED" if f["replied"] else "", "replied_at": f["replied"],
                "return_visit_result": "SATISFIED" if f["closed"] else "",
                "reopen_count": 0,
            }

    def plans():
        for i in range(count):
            f = facts(i)
            if not f["handled"]:
                continue
            yield {
                "id": first_plan + i, "complaint_id": f["id"], "cause": "QUALITY_DEFECT",
                "nature": "", "liability": "COMPANY",
                "responsible_department_id": ref["departments"][(f["dept"] + i % 2) %
                                                                DEPARTMENTS],
                "responsible_person_id": ref["handlers"][f["dept"]],
                "solution_type": "REPAIR", "measures": "Repair",
                "compensation_amount": f"{i % 200}.00",
                "deadline": f["received"] + timedelta(days=3), "status": "NOT_NEEDED",
                "customer_decision": "NOT_NEEDED", "customer_comment": "",
                "submitted_at": f["received"] + timedelta(hours=3), "decision_comment": "",
            }

    def follow_ups():
        for i in range(count):
            f = facts(i)
            if not f["closed"]:
                continue
            yield {
                "id": first_follow_up + i, "ticket_id": f["id"], "status": "ANSWERED",
                "method": "ONLINE", "due_at": f["replied"] + timedelta(days=3),
                "token": f"lbf-{i}", "answered_at": f["replied"] + timedelta(days=3),
                "rating": 1 + i % 5, "problem_solved": True, "comment": "",
                "created_at": f["replied"],
            }

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        for table, rows in (("aftersales_ticket", tickets()),
                            ("complaints_complaint", complaints()),
                            ("complaints_handlingplan", plans()),
                            ("aftersales_followup", follow_ups())):
            step = time.perf_counter()
            copy_rows(cursor, table, rows)
            print(f"  COPY {table}: {time.perf_counter() - step:.1f} s", flush=True)
    with connection.cursor() as cursor:
        for table, column in (("aftersales_ticket", "id"), ("complaints_handlingplan", "id"),
                              ("aftersales_followup", "id")):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                           f"(SELECT max({column}) FROM {table}))")
        for table in ("aftersales_ticket", "complaints_complaint", "complaints_handlingplan",
                      "aftersales_followup"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")
    print(f"  loaded {count:,} complaints in {time.perf_counter() - started:.0f} s", flush=True)


# --- measuring --------------------------------------------------------------------------------

def median_ms(client, url: str, runs: int = PAGE_RUNS) -> dict:
    """Median wall time of a request, and how it splits: this process's CPU, SQL time.

    On a shared machine the wall time also holds the wait for a core; the CPU and SQL
    figures show what the page itself costs.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: permissions, templates, plan cache
    wall, cpu, sql = [], [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        assert response.status_code == 200, response.status_code
    rows = response.content.decode().count('<a href="/c/')
    return {"wall": statistics.median(wall), "max": max(wall), "cpu": statistics.median(cpu),
            "sql": statistics.median(sql), "queries": len(captured.captured_queries),
            "rows": rows}


def deep_cursor(filters, fraction: float = 0.9) -> tuple[str, int]:
    """A real cursor deep in the filtered rows (found once with OFFSET, outside the timing)."""
    from django.contrib.auth import get_user_model

    from analytics.ledger.selectors import Cursor, ledger_count, ledger_queryset

    user = get_user_model().objects.get(username="bench-ledger-super")
    total = ledger_count(user=user, filters=filters, cap=None)
    offset = int(total * fraction)
    row = (ledger_queryset(user=user, filters=filters).order_by("-received_at", "-pk")
           .values_list("received_at", "pk")[offset])
    return Cursor(row[0], row[1]).encode(), offset


def explain(filters, after: str | None) -> str:
    from django.contrib.auth import get_user_model

    from analytics.ledger.selectors import Cursor, _beyond, ledger_queryset

    user = get_user_model().objects.get(username="bench-ledger-super")
    qs = ledger_queryset(user=user, filters=filters).order_by("-received_at", "-pk")
    cursor = Cursor.decode(after)
    if cursor:
        qs = qs.filter(_beyond("received_at", cursor, descending=True, nullable=False))
    return qs[:51].explain(analyze=True)


def measure_pages() -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from analytics.ledger.filters import filters_from_query

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-ledger-super"))
    query = "channel=HOTLINE"
    first = median_ms(client, f"/ledger/?{query}")
    cursor, offset = deep_cursor(filters_from_query(query))
    deep = median_ms(client, f"/ledger/?{query}&after={cursor}")
    plain = median_ms(client, "/ledger/")
    for label, result in ((f"first page, {query}", first),
                          (f"deep page after row {offset:,}", deep),
                          ("first page, no filter", plain)):
        print(f"  {label}: median {result['wall']:.1f} ms wall (max {result['max']:.1f}), "
              f"{result['cpu']:.1f} ms CPU, {result['sql']:.1f} ms SQL in "
              f"{result['queries']} queries, {result['rows']} rows", flush=True)
    print("\n  plan of the deep page query:")
    for line in explain(filters_from_query(query), cursor).splitlines():
        print("    " + line)
    return {"first": first["wall"], "deep": deep["wall"]}


def export_in_fresh_process(url: str, query: str) -> dict:
    env = {**os.environ, "BENCH_LEDGER_DATABASE_URL": url}
    out = subprocess.run([sys.executable, __file__, "--export-only", query], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def export_only(url: str, query: str) -> None:
    """In its own process: run the worker's export of ``query`` and report peak memory."""
    import resource

    setup_django(url)
    from django.contrib.auth import get_user_model

    from analytics.ledger.filters import filters_from_query
    from analytics.ledger.services import export_path, export_run
    from analytics.models import ExportJob

    user = get_user_model().objects.get(username="bench-ledger-super")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    job = ExportJob.objects.create(owner=user, owner_name=user.username, format="xlsx",
                                   language="zh-hans",
                                   filters=filters_from_query(query).as_json(), background=True)
    started = time.perf_counter()
    job = export_run(job_id=job.pk)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    path = export_path(job)
    size = path.stat().st_size if path else 0
    if path:
        path.unlink()
    print(json.dumps({"status": job.status, "rows": job.row_count, "seconds": seconds,
                      "peak_mb": peak / 1024, "before_mb": before / 1024,
                      "file_mb": size / 1024 / 1024, "error": job.error}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="complaints to load")
    parser.add_argument("--export-rows", type=int, default=100_000,
                        help="about how many rows the measured export holds")
    parser.add_argument("--keep", action="store_true", help="reuse a filled bench database")
    parser.add_argument("--load-only", action="store_true",
                        help="load the data and stop (measure later with --keep)")
    parser.add_argument("--export-only", metavar="QUERY", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = os.environ.get("BENCH_LEDGER_DATABASE_URL", DEFAULT_URL)
    os.environ["LEDGER_EXPORT_ROOT"] = str(ROOT / "var" / "bench-exports")
    if args.export_only is not None:
        export_only(url, args.export_only)
        return

    total_started = time.perf_counter()
    print(f"database: {url}", flush=True)
    prepare_database(url, args.keep)
    setup_django(url)
    ref = reference_data()
    load(args.rows, ref)
    if args.load_only:
        return

    print(f"\nLedger pages over {args.rows:,} complaints (supervisor, {PAGE_RUNS} requests "
          "each, whole Django stack):", flush=True)
    pages = measure_pages()

    span = timedelta(seconds=SPACING_SECONDS * min(args.export_rows, args.rows))
    date_from = (START - span).astimezone(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    query = f"date_from={date_from.isoformat()}"
    print(f"\nExport to Excel ({query}), worker code in a fresh process:", flush=True)
    result = export_in_fresh_process(url, query)
    print(f"  {result['rows']:,} rows in {result['seconds']:.1f} s, file "
          f"{result['file_mb']:.1f} MB, peak RSS {result['peak_mb']:.0f} MB "
          f"(after start-up {result['before_mb']:.0f} MB), status {result['status']}")

    ok_pages = max(pages.values()) <= 50
    ok_memory = result["peak_mb"] <= 150 and result["status"] == "DONE"
    print(f"\n{'PASS' if ok_pages else 'FAIL'}: ledger page median first {pages['first']:.1f} "
          f"ms, deep {pages['deep']:.1f} ms (target 50 ms) at {args.rows:,} complaints")
    print(f"{'PASS' if ok_memory else 'FAIL'}: export of {result['rows']:,} rows peaked at "
          f"{result['peak_mb']:.0f} MB (target 150 MB)")
    print(f"Total run time {time.perf_counter() - total_started:.0f} s.")
    if not (ok_pages and ok_memory):
        sys.exit(1)


if __name__ == "__main__":
    main()
