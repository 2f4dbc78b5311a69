"""Load demo data: departments, staff logins, products, customers, orders, canned responses,
then the demo cases of every registered kind (complaints in every state of their lifecycle,
and so on).

Idempotent: when demo logins or any demo case exist already, nothing is added unless
``--force`` is given.
"""

import random
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from aftersales.cases.kinds import registered_kinds
from aftersales.management import demo_data as d
from aftersales.management.demo import DemoWorld, TaskLog, quiet_side_effects

DEFAULT_SEED = 20261122


def demo_kinds():
    return [kind for kind in registered_kinds() if kind.demo is not None]


def demo_present() -> bool:
    return get_user_model().objects.filter(username__in=d.DEMO_USERNAMES).exists() or any(
        kind.demo.present() for kind in demo_kinds()
    )


class Command(BaseCommand):
    help = (
        "Load demo data (departments, staff logins, products, customers, orders, canned "
        "responses and complaints in every state). Does nothing when demo data exist."
    )

    def add_arguments(self, parser):
        for kind in demo_kinds():
            parser.add_argument(f"--{kind.demo.option}", type=int, default=kind.demo.default,
                                help=f"{kind.demo.help} (default {kind.demo.default})")
        parser.add_argument("--customers", type=int, default=None,
                            help="how many customers (default: the number of cases + 20)")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                            help="random seed; the same seed gives the same data")
        parser.add_argument("--force", action="store_true",
                            help="add a batch of complaints even when demo data exist")
        parser.add_argument("--logins", action="store_true",
                            help="only print the demo logins")

    def handle(self, *args, customers: int | None, seed: int, force: bool, logins: bool,
               **options):
        if logins:
            self.print_logins()
            return
        counts = {kind.code: options[kind.demo.option] for kind in demo_kinds()}
        for kind in demo_kinds():
            if counts[kind.code] < 0:
                raise CommandError(f"--{kind.demo.option} must not be negative")
        if demo_present() and not force:
            self.stdout.write(
                "Demo data already present; nothing added. Use --force to add another batch."
            )
            return
        started = time.monotonic()
        # nosec B311: reproducible demo data, not a secret
        world = DemoWorld(rng=random.Random(seed), now=timezone.now())  # nosec B311
        customers = customers or sum(counts.values()) + 20
        task_log = TaskLog()
        # The transaction commits, and the notifications scheduled on it run, inside the
        # quiet block.
        with quiet_side_effects(task_log), transaction.atomic():
            world.reference_data()
            world.make_customers(customers)
            for kind in demo_kinds():
                kind.demo.run(world, counts[kind.code])
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"Demo data loaded in {elapsed:.1f}s: {len(d.DEPARTMENTS)} departments, "
            f"{len(d.DEMO_USERS)} staff logins, {len(d.PRODUCTS)} products, "
            f"{len(world.customers)} customers, {world.orders_created} orders, "
            f"{len(d.CANNED_RESPONSES)} canned responses."
        ))
        for line in world.summary:
            self.stdout.write(line)
        for line in world.stopped_early:
            self.stderr.write(f"  note: {line}")
        if task_log.failures:
            self.stderr.write(
                f"  warning: {len(task_log.failures)} notification task(s) failed while seeding, "
                f"first: {task_log.failures[0]}"
            )
        self.print_logins()

    def print_logins(self) -> None:
        self.stdout.write("\nDemo logins:")
        self.stdout.write(f"  {'username':<12} {'password':<17} {'role':<17} department")
        for u in d.DEMO_USERS:
            role = f"{u.role}+superuser" if u.superuser else u.role
            department = u.department or "-"
            self.stdout.write(f"  {u.username:<12} {u.password:<17} {role:<17} {department}")
