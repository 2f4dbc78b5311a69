"""Peer benchmark: public ticket submission of django-helpdesk 2.6.1 at a million tickets.

What it measures: the requests per second (and the median latency) of django-helpdesk's public
"submit a ticket" form (``POST /tickets/submit/``, the ``PublicTicketForm``), served by gunicorn
with 2 sync workers, while its PostgreSQL database holds 1,000,000 tickets (spread over a year,
four queues, mixed statuses, one follow-up each). The load is ``wrk -t1 -c4 -d20s`` with
``bench/peer_helpdesk.lua``, which posts a complete public form (queue, summary, description,
priority, e-mail address, empty due date) with the CSRF cookie and token a browser would have
got from the form page (urlencoded, as our own bench posts; the page's form says multipart,
which only adds parsing of an empty file part). Each post does all that helpdesk does on a
public submit: the ticket, its "Ticket Opened Via Web" follow-up, the e-mail to the
submitter rendered from helpdesk's database templates (delivered to Django's in-memory
``locmem`` backend instead of an SMTP server), the backlink scan and the ``new_ticket_done``
signal. It is the peer figure to set
beside our own public submit (``bench/service_desk.py``) on the same machine in the same
sitting.

It prints the tickets in the table, the validation post (status, redirect, one ticket more),
requests per second, p50, the response statuses, the tickets created during the run against
the successful (302) responses, and the load average before and after.

Everything lives under ``var/peer-helpdesk/`` (git-ignored): the virtualenv (``venv/``, made
with ``python3.11 -m venv`` and pip), a minimal Django project (``site/``) and gunicorn's log.
The database is ``peer_helpdesk`` on PostgreSQL 127.0.0.1:5432, user postgres, trust auth.

Usage (from the repository root; the load goes to 127.0.0.1:8766 only):

    python3.11 bench/peer_helpdesk.py                  # new venv + database, seed, measure
    python3.11 bench/peer_helpdesk.py --keep           # reuse venv and database (seeds only
                                                       # when fewer than --rows tickets)
    python3.11 bench/peer_helpdesk.py --measure-only   # no install, no seed: only the load
    python3.11 bench/peer_helpdesk.py --keep --setup-only     # install and seed, no load
    python3.11 bench/peer_helpdesk.py --measure-only --check-only  # one post, no load

The first run installs and seeds (a few minutes on 2 cores); ``--measure-only`` then takes
about 40 seconds, of which 20 are load.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.wrk import wrk_run  # noqa: E402

PEER = ROOT / "var" / "peer-helpdesk"
VENV = PEER / "venv"
VENV_PY = VENV / "bin" / "python"
SITE = PEER / "site"
LUA = ROOT / "bench" / "peer_helpdesk.lua"
GUNICORN_LOG = PEER / "gunicorn.log"

PACKAGES = ["django-helpdesk==2.6.1", "gunicorn", "psycopg2-binary"]
DB_NAME = "peer_helpdesk"
DB_DSN = f"dbname={DB_NAME} host=127.0.0.1 port=5432 user=postgres"
HOST, PORT = "127.0.0.1", 8766
SUBMIT_PATH = "/tickets/submit/"
PUBLIC_QUEUE_SLUG = "public"
# (title, slug, allow_public_submission): the seeded tickets are spread over all four.
QUEUES = [
    ("Public support", PUBLIC_QUEUE_SLUG, True),
    ("Returns", "returns", False),
    ("Repairs", "repairs", False),
    ("Billing", "billing", False),
]
DEFAULT_ROWS = 1_000_000
SECRET_KEY = "peer-helpdesk-bench-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"

SETTINGS = f'''"""Minimal Django project for django-helpdesk 2.6.1.

Written by bench/peer_helpdesk.py: edit that file, not this one.
"""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "{SECRET_KEY}"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",  # helpdesk: domain in e-mail links
    "django.contrib.humanize",  # helpdesk: elapsed time formatting
    "rest_framework",  # helpdesk: its API
    "helpdesk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "peersite.urls"
WSGI_APPLICATION = "peersite.wsgi.application"

TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }},
]

DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "{DB_NAME}",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
        # The same persistent connections as our own server under bench/service_desk.py.
        "CONN_MAX_AGE": 60,
    }}
}}

SITE_ID = 1
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"

# E-mail: helpdesk renders and sends its messages as usual; Django's in-memory backend
# takes them instead of an SMTP server.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.com"
SERVER_EMAIL = "helpdesk@example.com"

# django-helpdesk: the public portal as its docs show it.
HELPDESK_PUBLIC_ENABLED = True
HELPDESK_VIEW_A_TICKET_PUBLIC = True
HELPDESK_SUBMIT_A_TICKET_PUBLIC = True
HELPDESK_REDIRECT_TO_LOGIN_BY_DEFAULT = False
# Teams mode (its default) needs pinax-teams and its three apps; the docs' way out is this.
HELPDESK_TEAMS_MODE_ENABLED = False

LOGGING = {{
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {{"console": {{"class": "logging.StreamHandler"}}}},
    "root": {{"handlers": ["console"], "level": "WARNING"}},
}}
'''

URLS = '''from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
'''

WSGI = '''import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")
application = get_wsgi_application()
'''

MANAGE = '''#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
'''


def log(text: str) -> None:
    print(text, flush=True)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# --- outside the venv: install -------------------------------------------------------------


def ensure_venv(keep: bool) -> None:
    if VENV_PY.exists() and keep:
        log(f"venv: reusing {VENV}")
        return
    if VENV.exists():
        shutil.rmtree(VENV)
    PEER.mkdir(parents=True, exist_ok=True)
    log(f"venv: python3.11 -m venv {VENV}")
    subprocess.run(["python3.11", "-m", "venv", str(VENV)], check=True)
    log(f"venv: pip install {' '.join(PACKAGES)}")
    subprocess.run([str(VENV_PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    *PACKAGES], check=True)


def write_site() -> None:
    package = SITE / "peersite"
    package.mkdir(parents=True, exist_ok=True)
    files = {SITE / "manage.py": MANAGE, package / "__init__.py": "",
             package / "settings.py": SETTINGS, package / "urls.py": URLS,
             package / "wsgi.py": WSGI}
    for path, text in files.items():
        path.write_text(text)


# --- inside the venv: database ----------------------------------------------------------------


def setup_django() -> None:
    sys.path.insert(0, str(SITE))
    os.environ["DJANGO_SETTINGS_MODULE"] = "peersite.settings"
    import django

    django.setup()


def ensure_database(fresh: bool) -> None:
    import psycopg2

    admin = psycopg2.connect("dbname=postgres host=127.0.0.1 port=5432 user=postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
        exists = cur.fetchone() is not None
        if exists and fresh:
            log(f"database: dropping {DB_NAME}")
            cur.execute(f"DROP DATABASE {DB_NAME} WITH (FORCE)")
            exists = False
        if not exists:
            log(f"database: creating {DB_NAME}")
            cur.execute(f"CREATE DATABASE {DB_NAME}")
    admin.close()


def prepare(rows: int, fresh: bool) -> None:
    ensure_database(fresh)
    setup_django()
    from django.contrib.sites.models import Site
    from django.core.management import call_command

    log("migrate")
    call_command("migrate", verbosity=0, interactive=False)
    Site.objects.update_or_create(pk=1, defaults={"domain": f"{HOST}:{PORT}",
                                                  "name": "peer helpdesk"})
    from helpdesk.models import Queue

    for title, slug, public in QUEUES:
        Queue.objects.update_or_create(
            slug=slug, defaults={"title": title, "allow_public_submission": public})
    seed(rows)


class CopySource(io.RawIOBase):
    """A file-like reader over generated COPY text, so no temporary file is needed."""

    def __init__(self, lines):
        self.lines = lines
        self.buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) < size:
            chunk = "".join(line for _, line in zip(range(2000), self.lines, strict=False))
            if not chunk:
                break
            self.buffer += chunk.encode()
        if size < 0:
            size = len(self.buffer)
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out


def seed(rows: int) -> None:
    from django.db import connection
    from helpdesk.models import Queue

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM helpdesk_ticket")
        have = cur.fetchone()[0]
    if have >= rows:
        log(f"seed: helpdesk_ticket holds {have:,} tickets (>= {rows:,}): reusing them")
        return
    log(f"seed: helpdesk_ticket holds {have:,}: truncating and loading {rows:,} by COPY")
    queue_ids = [q.id for q in Queue.objects.order_by("id")]
    rng = random.Random(20240601)
    now = datetime.now(UTC)
    start = now - timedelta(days=365)
    span = int((now - start).total_seconds()) - 3600
    # status: 1 open, 2 reopened, 3 resolved, 4 closed, 5 duplicate
    statuses = [1] * 8 + [2] * 2 + [3] * 15 + [4] * 73 + [5] * 2
    created = sorted(start + timedelta(seconds=rng.randrange(span)) for _ in range(rows))
    words = ["kettle", "printer", "router", "laptop", "phone", "washer", "heater", "blender",
             "monitor", "camera", "broken", "late", "missing", "noisy", "cracked", "refund",
             "swap", "repair", "invoice", "warranty"]

    def ticket_lines():
        for n in range(1, rows + 1):
            when = created[n - 1]
            modified = min(when + timedelta(hours=rng.randrange(1, 240)), now)
            status = rng.choice(statuses)
            title = f"{rng.choice(words)} {rng.choice(words)} {rng.choice(words)} #{n}"
            description = (f"Customer {n} reports: the {rng.choice(words)} is "
                           f"{rng.choice(words)} since delivery.")
            resolution = "Resolved by replacement." if status in (3, 4) else r"\N"
            yield (f"{n}\t{title}\t{queue_ids[n % len(queue_ids)]}\t{when.isoformat()}\t"
                   f"{modified.isoformat()}\tcustomer{n % 50_000}@example.com\t{status}\tf\t"
                   f"{description}\t{resolution}\t{rng.randint(1, 5)}\t{uuid.uuid4()}\n")

    def followup_lines():
        for n in range(1, rows + 1):
            yield (f"{n}\t{n}\t{created[n - 1].isoformat()}\tTicket Opened Via Web\t"
                   f"Opened through the public form (seeded #{n}).\tt\t[]\n")

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE helpdesk_ticket RESTART IDENTITY CASCADE")
        raw = cur.cursor  # the psycopg2 cursor under Django's wrapper
        raw.copy_expert(
            "COPY helpdesk_ticket (id, title, queue_id, created, modified, submitter_email, "
            "status, on_hold, description, resolution, priority, secret_key) FROM STDIN",
            CopySource(ticket_lines()), size=1 << 20)
        log(f"seed: {rows:,} tickets copied in {time.perf_counter() - started:.0f} s")
        raw.copy_expert(
            "COPY helpdesk_followup (id, ticket_id, date, title, comment, public, "
            "email_recipients) FROM STDIN",
            CopySource(followup_lines()), size=1 << 20)
        log(f"seed: {rows:,} follow-ups copied in {time.perf_counter() - started:.0f} s")
        for table in ("helpdesk_ticket", "helpdesk_followup"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
    with connection.cursor() as cur:
        cur.execute("ANALYZE helpdesk_ticket")
        cur.execute("ANALYZE helpdesk_followup")
    log(f"seed: done, ANALYZE done, {time.perf_counter() - started:.0f} s in all")


def count(table: str) -> int:
    import psycopg2

    conn = psycopg2.connect(DB_DSN)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {table}")
            return cur.fetchone()[0]
    finally:
        conn.close()


def last_ticket() -> tuple:
    import psycopg2

    conn = psycopg2.connect(DB_DSN)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT t.id, t.title, t.status, q.slug, f.title, f.email_recipients "
                "FROM helpdesk_ticket t JOIN helpdesk_queue q ON q.id = t.queue_id "
                "LEFT JOIN helpdesk_followup f ON f.ticket_id = t.id "
                "ORDER BY t.id DESC, f.id LIMIT 1")
            return cur.fetchone()
    finally:
        conn.close()


# --- the load --------------------------------------------------------------------------------


def start_server() -> subprocess.Popen:
    refuse_busy_port()
    log_file = GUNICORN_LOG.open("a")
    server = subprocess.Popen(
        [str(VENV / "bin" / "gunicorn"), "peersite.wsgi:application", "--workers", "2",
         "--worker-class", "sync", "--bind", f"{HOST}:{PORT}", "--chdir", str(SITE),
         "--log-level", "warning"],
        cwd=SITE, stdout=log_file, stderr=log_file, start_new_session=True)
    for _ in range(150):
        try:
            conn = http.client.HTTPConnection(HOST, PORT, timeout=2)
            conn.request("GET", SUBMIT_PATH)
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return server
            raise SystemExit(f"GET {SUBMIT_PATH}: {response.status}, see {GUNICORN_LOG}")
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited, see {GUNICORN_LOG}") from None
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not start")


def refuse_busy_port() -> None:
    """Refuse to start when something already listens on the port."""
    try:
        conn = http.client.HTTPConnection(HOST, PORT, timeout=1)
        conn.request("GET", "/")
        conn.getresponse()
    except OSError:
        return
    raise SystemExit(f"{HOST}:{PORT} is already in use")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def form_page() -> dict:
    """GET the public form as a browser would: the CSRF cookie, the token, the public queue."""
    conn = http.client.HTTPConnection(HOST, PORT, timeout=10)
    conn.request("GET", SUBMIT_PATH)
    response = conn.getresponse()
    body = response.read().decode()
    cookie = next(c for c in response.headers.get_all("Set-Cookie") if c.startswith("csrftoken="))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    select = re.search(r'<select name="queue".*?</select>', body, re.S).group(0)
    queues = dict((title, value) for value, title in
                  re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', select))
    fields = sorted(set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([a-z_]+)"', body))
                    - {"csrfmiddlewaretoken"})
    return {"cookie": cookie.split(";")[0], "token": token, "queue": queues[QUEUES[0][0]],
            "fields": fields}


def validation_post(form: dict) -> None:
    body = urllib.parse.urlencode({
        "csrfmiddlewaretoken": form["token"], "queue": form["queue"],
        "title": "Kettle switches itself off (validation post)",
        "body": "The kettle switches itself off after ten seconds. Please exchange it.",
        "priority": "3", "due_date": "", "submitter_email": "validation@example.com"})
    before = count("helpdesk_ticket")
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    conn.request("POST", SUBMIT_PATH, body, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": form["cookie"],
        "Referer": f"http://{HOST}:{PORT}{SUBMIT_PATH}"})
    response = conn.getresponse()
    response.read()
    after = count("helpdesk_ticket")
    location = response.getheader("Location", "")
    log(f"validation post: status {response.status}, Location {location}, "
        f"tickets {before:,} -> {after:,}")
    if response.status != 302 or not location.startswith("/view/") or after != before + 1:
        raise SystemExit("the public form did not accept the post: see above and "
                         f"{GUNICORN_LOG}")
    ticket_id, title, status, queue, followup, recipients = last_ticket()
    log(f"  new ticket #{ticket_id} {title!r} status {status} queue {queue}; follow-up "
        f"{followup!r} e-mailed to {recipients!r}")


def run_wrk(form: dict, seconds: int, connections: int) -> dict:
    log(f"load: wrk -t1 -c{connections} -d{seconds}s -s {LUA} http://{HOST}:{PORT}")
    figures, output = wrk_run(
        LUA, f"http://{HOST}:{PORT}", seconds=seconds, connections=connections,
        env={"BENCH_COOKIE": form["cookie"], "BENCH_CSRF": form["token"],
             "BENCH_QUEUE": form["queue"], "BENCH_PATH": SUBMIT_PATH,
             "BENCH_REFERER": f"http://{HOST}:{PORT}{SUBMIT_PATH}"})
    statuses = dict(pair.split("=") for pair in
                    re.search(r"^WRK_STATUS ?(.*)$", output, re.M).group(1).split())
    return {"requests": int(figures["requests"]), "seconds": figures["seconds"],
            "p50_ms": figures["p50_ms"], "p99_ms": figures["p99_ms"],
            "errors": int(figures["errors"]),
            "statuses": {int(k): int(v) for k, v in statuses.items()}, "raw": output}


def measure(seconds: int, connections: int, check_only: bool = False) -> None:
    tickets = count("helpdesk_ticket")
    log(f"tickets in helpdesk_ticket: {tickets:,}; follow-ups: {count('helpdesk_followup'):,}")
    server = start_server()
    try:
        form = form_page()
        log(f"public form {SUBMIT_PATH}: fields {', '.join(form['fields'])}; "
            f"public queue id {form['queue']}")
        validation_post(form)
        if check_only:
            return
        form = form_page()  # a fresh cookie and token, as a new visitor would have
        time.sleep(2)
        before = count("helpdesk_ticket")
        log(f"load average before: {load_average()}")
        result = run_wrk(form, seconds, connections)
        log(f"load average after:  {load_average()}")
        time.sleep(3)  # the posts wrk left in flight finish on the server
        created = count("helpdesk_ticket") - before
    finally:
        stop_server(server)
    ok = result["statuses"].get(302, 0)
    others = {code: n for code, n in result["statuses"].items() if code != 302}
    if others:
        log(f"WARNING: responses other than the redirect to the ticket: {others}")
    rate = result["requests"] / result["seconds"]
    log(result["raw"].rstrip())
    log(f"RESULT peer=django-helpdesk-2.6.1 tickets={tickets} req_per_s={rate:.1f} "
        f"p50_ms={result['p50_ms']:.2f} p99_ms={result['p99_ms']:.2f} "
        f"requests={result['requests']} errors={result['errors']} "
        f"statuses={result['statuses']} created={created} ok_302={ok}")
    log(f"tickets in helpdesk_ticket after the run: {count('helpdesk_ticket'):,}")
    log(f"  {result['requests']:,} posts in {result['seconds']:.1f} s over {connections} "
        f"connections: {rate:.1f} req/s, p50 {result['p50_ms']:.1f} ms; tickets created "
        f"{created:,} for {ok:,} successful (302) responses "
        f"({created / ok if ok else 0:.3f} per response; wrk drops the posts in flight "
        "when it stops, so a few more tickets than counted responses are expected)")


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true",
                        help="reuse the venv and the database (seed only when short of --rows)")
    parser.add_argument("--measure-only", action="store_true",
                        help="no install, no seed: only the load on what is there")
    parser.add_argument("--setup-only", action="store_true", help="install and seed, no load")
    parser.add_argument("--check-only", action="store_true",
                        help="start the server, post the form once and stop: no load")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="tickets to seed")
    parser.add_argument("--seconds", type=int, default=20, help="wrk duration")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--in-venv", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if not args.in_venv:
        log(f"load average at start: {load_average()}")
        if not args.measure_only:
            ensure_venv(args.keep)
            write_site()
        elif not VENV_PY.exists():
            raise SystemExit(f"{VENV_PY} is missing: run without --measure-only first")
        os.execv(str(VENV_PY), [str(VENV_PY), __file__, *sys.argv[1:], "--in-venv"])

    if not args.measure_only:
        prepare(args.rows, fresh=not args.keep)
    if not args.setup_only:
        measure(args.seconds, args.connections, check_only=args.check_only)


if __name__ == "__main__":
    main()
