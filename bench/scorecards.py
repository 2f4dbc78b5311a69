"""Benchmark of the carrier and courier scorecards on PostgreSQL.

Creates (or reuses) a database of its own and loads one month of shipments with COPY: by
default 1,000,000 shipments over 8 carriers and 400 couriers, about 8 % late, with 1 % of
them carrying a delivery incident (delay, damage, loss or courier attitude) and a claim on
every damage and loss. Then it times ``delivery.selectors.scorecards`` for the month, by
carrier and by courier (median of several runs after one warm-up), and checks one carrier's
figures against a direct count in SQL.

Usage (PostgreSQL on 127.0.0.1, user postgres, trust auth):

    .venv/bin/python bench/scorecards.py                        # 1,000,000 shipments
    .venv/bin/python bench/scorecards.py --shipments 100000 --keep

``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/as_bench_delivery``)
names the database; it is dropped and created again unless ``--keep`` finds it filled.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import prepare_database, setup_django  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/as_bench_delivery"
ZONE = ZoneInfo("Asia/Shanghai")
MONTH = date(2026, 10, 1)
CARRIERS = 8
COURIERS_PER_CARRIER = 50
ORDERS = 20_000
INCIDENT_PER_100 = 1
TYPES = ["DELAY", "DAMAGE", "LOSS", "ATTITUDE"]


def load(n: int, seed: int) -> None:
    from django.db import connection

    from bench.dashboard import copy_rows
    from delivery.models import Carrier, Courier
    from tests.factories import CustomerFactory

    rng = random.Random(seed)  # nosec B311
    started = time.perf_counter()
    customer = CustomerFactory()
    carriers = [Carrier.objects.create(code=f"C{i}", name=f"Carrier {i}")
                for i in range(CARRIERS)]
    couriers = [[Courier.objects.create(carrier=c, code=f"{c.code}-{k}", name=f"K{k}").pk
                 for k in range(COURIERS_PER_CARRIER)] for c in carriers]
    month_start = datetime(MONTH.year, MONTH.month, 1, tzinfo=ZONE)
    span = (datetime(MONTH.year, MONTH.month + 1, 1, tzinfo=ZONE) - month_start).total_seconds()
    with connection.cursor() as cursor:
        copy_rows(cursor, "aftersales_order", ["number", "customer_id", "placed_at",
                                               "sale_channel"],
                  ((f"BO-{j}", customer.pk, month_start.isoformat(), "DISTANCE")
                   for j in range(ORDERS)))
        cursor.execute("SELECT min(id) FROM aftersales_order WHERE number LIKE 'BO-%%'")
        first_order = cursor.fetchone()[0]

        def shipments():
            for j in range(n):
                c = rng.randrange(CARRIERS)
                shipped = month_start + timedelta(seconds=span * j / n)
                promised = shipped + timedelta(days=2)
                late = rng.random() < 0.08
                delivered = promised + timedelta(hours=rng.uniform(1, 120) if late
                                                 else -rng.uniform(1, 30))
                yield (first_order + j % ORDERS, carriers[c].pk,
                       rng.choice(couriers[c]), f"T{j:09d}", shipped.isoformat(),
                       promised.isoformat(), delivered.isoformat(), "已签收", "DELIVERED",
                       shipped.isoformat())

        copy_rows(cursor, "delivery_shipment", [
            "order_id", "carrier_id", "courier_id", "tracking_number", "shipped_at",
            "promised_at", "delivered_at", "raw_status", "status", "updated_at"], shipments())
        cursor.execute("SELECT min(id), max(id) FROM delivery_shipment")
        low, high = cursor.fetchone()
        incident_ships = rng.sample(range(low, high + 1), n * INCIDENT_PER_100 // 100)
        cursor.execute("SELECT coalesce(max(id), 0) FROM aftersales_ticket")
        base = cursor.fetchone()[0]
        received = (month_start + timedelta(days=20)).isoformat()
        tickets = ((base + i + 1, f"DL-B-{i:07d}", "DELIVERY", "HOTLINE", "RESOLVED", "reply",
                    "f", customer.pk, f"bench-{base + i + 1}", received, received, received)
                   for i in range(len(incident_ships)))
        copy_rows(cursor, "aftersales_ticket", [
            "id", "number", "kind", "channel", "state", "stage", "is_open", "customer_id",
            "tracking_token", "received_at", "created_at", "updated_at"], tickets)
        kinds = [TYPES[i % 4] for i in range(len(incident_ships))]
        cursor.execute("SELECT id, carrier_id, courier_id, shipped_at FROM delivery_shipment "
                       "WHERE id = ANY(%s)", [incident_ships])
        ships = {row[0]: row[1:] for row in cursor.fetchall()}
        copy_rows(cursor, "delivery_deliveryincident", [
            "ticket_ptr_id", "incident_type", "shipment_id", "carrier_id", "courier_id",
            "shipped_at", "description", "finding", "has_claim"],
            ((base + i + 1, kinds[i], ship, ships[ship][0], ships[ship][1],
              ships[ship][2].isoformat(), "bench",
              "NOT_SUBSTANTIATED" if kinds[i] == "ATTITUDE" and i % 3 == 0 else "",
              "t" if kinds[i] in ("DAMAGE", "LOSS") else "f")
             for i, ship in enumerate(incident_ships)))
        cursor.execute(
            "SELECT ticket_ptr_id, carrier_id FROM delivery_deliveryincident "
            "WHERE incident_type IN ('DAMAGE', 'LOSS')")
        claims = [(pk, carrier, "300.00", "200.00", "SETTLED", received)
                  for pk, carrier in cursor.fetchall()]
        copy_rows(cursor, "delivery_carrierclaim", [
            "incident_id", "carrier_id", "amount_claimed", "recovered_amount", "status",
            "filed_at"], claims)
        cursor.execute("SELECT setval(pg_get_serial_sequence('aftersales_ticket', 'id'), "
                       "(SELECT max(id) FROM aftersales_ticket))")
        for table in ("aftersales_order", "delivery_shipment", "aftersales_ticket",
                      "delivery_deliveryincident", "delivery_carrierclaim"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"  loaded {n:,} shipments, {len(incident_ships):,} incidents, {len(claims):,} "
          f"claims in {time.perf_counter() - started:.0f} s", flush=True)


def timed(by: str, runs: int) -> tuple[float, list]:
    from delivery.selectors import scorecards

    scorecards(MONTH, by=by)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        cards = scorecards(MONTH, by=by)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), cards


def check(cards) -> None:
    """The first carrier's figures against a direct count."""
    from django.db import connection

    card = next(c for c in cards if c.name == "Carrier 0")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE delivered_at > promised_at) "
            "FROM delivery_shipment s JOIN delivery_carrier c ON c.id = s.carrier_id "
            "WHERE c.code = 'C0'")
        shipments, late = cursor.fetchone()
    assert (card.shipments, card.late) == (shipments, late), (card, shipments, late)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true",
                        help="reuse the database when it is already filled")
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    kept = prepare_database(url, args.keep)
    setup_django(url)
    from django.core.management import call_command

    for app in ("compensation", "delivery"):
        call_command("migrate", app, verbosity=0)
    from delivery.models import Shipment

    if not (kept and Shipment.objects.exists()):
        print(f"loading {args.shipments:,} shipments into {url.rsplit('/', 1)[-1]} …",
              flush=True)
        load(args.shipments, args.seed)
    total = Shipment.objects.count()
    for by in ("carrier", "courier"):
        median, cards = timed(by, args.runs)
        if by == "carrier":
            check(cards)
        print(f"scorecards by {by:<8} {len(cards):>4} cards over {total:,} shipments: "
              f"median {median * 1000:.0f} ms ({args.runs} runs)")


if __name__ == "__main__":
    main()
