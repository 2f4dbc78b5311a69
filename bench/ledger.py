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
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import (  # noqa: E402
    SPACING_SECONDS,
    START,
    load,
    page_timings,
    prepare_database,
    reference_data,
    setup_django,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/aftersales_bench_desk"
PAGE_RUNS = 15


# --- measuring --------------------------------------------------------------------------------

def median_ms(client, url: str, runs: int = PAGE_RUNS) -> dict:
    return page_timings(client, url, runs=runs, row_marker='<a href="/c/')


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
