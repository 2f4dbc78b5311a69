"""Recompute every KPI fact and rollup cell from the cases themselves."""

from django.core.management.base import BaseCommand

from analytics.kpis.rollups import rebuild_rollups


class Command(BaseCommand):
    help = "Rebuild the KPI rollups from scratch (the refresh task then continues from here)."

    def add_arguments(self, parser):
        parser.add_argument("--chunk", type=int, default=5000, help="cases per batch")

    def handle(self, *args, **options):
        verbose = options["verbosity"] > 1

        def progress(done: int) -> None:
            if verbose:
                self.stdout.write(f"{done} cases")

        result = rebuild_rollups(chunk=options["chunk"], progress=progress)
        self.stdout.write(
            f"Rebuilt the KPI rollups: {result.tickets} cases, {result.days} days, "
            f"{result.seconds:.1f} s; continuing after event {result.last_event_id}."
        )
