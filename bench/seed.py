"""What the PostgreSQL benchmarks share: a database of their own, Django set up on it, and a
loader that writes a million complaints with ``COPY``.

The complaints are spread over a year, ten departments, fourteen channels and 10,000
customers; about 3 % are open (spread over the open states the inbox tabs read), the rest
closed with a plan and a return-visit rating. Each case has ``events`` timeline events; the
two newest open cases hold 10 and 500, for the case page.
"""

from __future__ import annotations

import io
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

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
OPEN_PER_100 = 3
# (state, stage, replied, has handler), cycled over the open cases.
OPEN_STATES = [
    ("REGISTERED", "register", False, False), ("ACCEPTED", "register", False, False),
    ("ANALYSING", "handle", False, True), ("IN_PROGRESS", "handle", False, True),
    ("PLAN_APPROVAL", "handle", False, True), ("AWAIT_CUSTOMER", "handle", False, True),
    ("RESOLVED", "reply", True, True), ("RETURN_VISIT", "archive", True, True),
]
EVENT_ACTIONS = ["complaints.complaint.received", "complaints.complaint.accepted",
                 "complaints.complaint.classified", "complaints.complaint.handling_started",
                 "complaints.complaint.plan_submitted", "note", "complaints.complaint.replied",
                 "complaints.complaint.return_visit", "complaints.complaint.archived"]
CASE_PAGE_EVENTS = (10, 500)


def prepare_database(url: str, keep: bool) -> bool:
    """Create the database; True when an existing one is kept."""
    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = psycopg2.connect(host=parsed.hostname or "127.0.0.1", port=parsed.port or 5432,
                             user=parsed.username or "postgres", password=parsed.password,
                             dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if exists and not keep:
            cursor.execute(f'DROP DATABASE "{name}"')
            exists = False
        if not exists:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return exists


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
    import django

    django.setup()
    from django.core.management import call_command

    # Every app: the pages measured read the others' tables too (e.g. compensation lines on
    # a case page); those tables stay empty.
    call_command("migrate", verbosity=0)



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


def case_facts(i: int, first_id: int) -> dict:
    """Case ``i`` (0 = newest): its state, dates and department."""
    received = START - timedelta(seconds=SPACING_SECONDS * i)
    dept = i % DEPARTMENTS
    category, subcategory = CATEGORIES[i % len(CATEGORIES)]
    late = i % 7 == 0
    is_open = i % 100 < OPEN_PER_100
    if is_open:
        state, stage, replied, handled = OPEN_STATES[(i // 100) % len(OPEN_STATES)]
        closed = False
    else:
        state, stage, replied, handled, closed = "CLOSED", "archive", True, True, True
    return {
        "id": first_id + i, "i": i, "state": state, "stage": stage, "open": is_open,
        "replied": received + timedelta(hours=30 if late else 20) if replied else None,
        "closed": received + timedelta(days=9 if late else 5) if closed else None,
        "received": received, "dept": dept, "category": category,
        "subcategory": subcategory, "handled": handled, "late": late,
    }


def events_of(i: int, events: int) -> int:
    """How many timeline events case ``i`` has: the two newest open ones hold 10 and 500."""
    if i < 2:
        return CASE_PAGE_EVENTS[i]
    return events


def load(count: int, ref: dict, *, events: int = 9) -> None:
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM aftersales_ticket WHERE number LIKE 'LB-%%'")
        have = cursor.fetchone()[0]
    if have >= count:
        print(f"  {have:,} bench complaints already loaded", flush=True)
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
        cursor.execute("SELECT coalesce(max(id), 0) FROM aftersales_timelineevent")
        first_event = cursor.fetchone()[0] + 1

    def tickets():
        for i in range(count):
            f = case_facts(i, first_id)
            received = f["received"]
            due = received + timedelta(hours=24 + i % 48)
            yield {
                "id": f["id"], "number": f"LB-{received:%Y%m%d}-{i:07d}", "kind": "COMPLAINT",
                "subject": f"{f['category']} · Product {i % PRODUCTS} · bench complaint {i}",
                "channel": CHANNELS[i % len(CHANNELS)], "state": f["state"],
                "stage": f["stage"], "is_open": f["open"],
                "customer_id": ref["customers"][i % len(ref["customers"])],
                "product_id": ref["products"][i % len(ref["products"])] if i % 3 else None,
                "order_number_given": f"SO{i:08d}", "product_given": "",
                "severity": f"S{1 + i % 5}", "priority": 1 + i % 5,
                "is_emergency": i % 5 == 0, "escalation_level": 0,
                "department_id": ref["departments"][f["dept"]],
                "assignee_id": ref["handlers"][f["dept"]] if f["handled"] else None,
                "tracking_token": f"lb-{i}",
                "repeat_of_id": f["id"] - 1 if i % 50 == 1 else None,
                "language": "zh-hans", "received_at": received, "created_at": received,
                "updated_at": received,
                "first_response_due_at": received + timedelta(hours=24),
                "first_response_at": received + timedelta(hours=26 if f["late"] else 2),
                "resolution_due_at": received + timedelta(days=1),
                "resolved_at": f["replied"],
                "close_due_at": received + timedelta(days=7) if f["replied"] else None,
                "closed_at": f["closed"],
                "sla_clock": "reply" if f["open"] else "",
                "sla_started_at": received if f["open"] else None,
                "sla_due_at": due if f["open"] else None,
                "sla_warn_at": due - timedelta(hours=4) if f["open"] else None,
                "sla_status": ("breached" if i % 9 == 0 else "on_track") if f["open"]
                else "none",
                "version": 0,
            }

    def complaints():
        for i in range(count):
            f = case_facts(i, first_id)
            yield {
                "ticket_ptr_id": f["id"], "request_type": "QUALITY", "category_hint": "",
                "category": f["category"], "subcategory": f["subcategory"],
                "description": f"Bench complaint {i}: the product stopped working.",
                "customer_request": "Repair or exchange",
                "regulator_case_number": f"12315-{i}" if i % len(CHANNELS) == 12 else "",
                "not_accepted_reason": "",
                "current_plan_id": first_plan + i if f["handled"] else None,
                "outcome": "SOLVED" if f["replied"] else "", "replied_at": f["replied"],
                "return_visit_result": "SATISFIED" if f["closed"] else "",
                "reopen_count": 0,
            }

    def plans():
        for i in range(count):
            f = case_facts(i, first_id)
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
            f = case_facts(i, first_id)
            if not f["closed"]:
                continue
            yield {
                "id": first_follow_up + i, "ticket_id": f["id"], "status": "ANSWERED",
                "method": "ONLINE", "due_at": f["replied"] + timedelta(days=3),
                "token": f"lbf-{i}", "answered_at": f["replied"] + timedelta(days=3),
                "rating": 1 + i % 5, "problem_solved": True, "comment": "",
                "created_at": f["replied"],
            }

    def timeline():
        event_id = first_event
        for i in range(count):
            f = case_facts(i, first_id)
            for e in range(events_of(i, events)):
                event_id += 1
                yield {
                    "id": event_id, "ticket_id": f["id"],
                    "action": EVENT_ACTIONS[e % len(EVENT_ACTIONS)],
                    "actor_kind": "staff" if e else "customer",
                    "actor_id": ref["handlers"][f["dept"]] if e else None,
                    "actor_name": f"Handler {f['dept']}" if e else "", "from_state": "",
                    "to_state": "", "note": f"Step {e} of bench complaint {i}.",
                    "data": "{}", "customer_visible": e % 3 == 0,
                    "created_at": f["received"] + timedelta(minutes=10 * e),
                }

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        for table, rows in (("aftersales_ticket", tickets()),
                            ("complaints_complaint", complaints()),
                            ("complaints_handlingplan", plans()),
                            ("aftersales_followup", follow_ups()),
                            ("aftersales_timelineevent", timeline())):
            step = time.perf_counter()
            copy_rows(cursor, table, rows)
            print(f"  COPY {table}: {time.perf_counter() - step:.1f} s", flush=True)
    with connection.cursor() as cursor:
        for table, column in (("aftersales_ticket", "id"), ("complaints_handlingplan", "id"),
                              ("aftersales_followup", "id"), ("aftersales_timelineevent", "id")):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                           f"(SELECT max({column}) FROM {table}))")
        for table in ("aftersales_ticket", "complaints_complaint", "complaints_handlingplan",
                      "aftersales_followup", "aftersales_timelineevent"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")
    print(f"  loaded {count:,} complaints in {time.perf_counter() - started:.0f} s", flush=True)


def page_timings(client, url: str, *, runs: int, row_marker: str) -> dict:
    """Median wall time of a page through the whole Django stack, and how it splits.

    Also this process's CPU and the SQL time, the queries of the last request and how many
    times ``row_marker`` appears in it. On a shared machine the wall time also holds the
    wait for a core; the CPU and SQL figures show what the page itself costs.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm: permissions, templates, plan cache
    assert response.status_code == 200, (url, response.status_code)
    wall, cpu, sql = [], [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {"wall": statistics.median(wall), "max": max(wall), "cpu": statistics.median(cpu),
            "sql": statistics.median(sql), "queries": len(captured.captured_queries),
            "rows": response.content.decode().count(row_marker)}
