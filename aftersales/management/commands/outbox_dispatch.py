"""Hand every owed outbox message to the broker now, and say what is still owed."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from aftersales.core import outbox
from aftersales.core.models import OutboxMessage


class Command(BaseCommand):
    help = ("Hand every owed outbox message that is due to the broker (what the periodic "
            "aftersales.outbox_dispatch task does), then count what is still owed.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true",
            help="Also hand over messages not due yet: handed over but not done, and those "
                 "abandoned after OUTBOX_MAX_ATTEMPTS hand-overs (their count starts again).",
        )

    def handle(self, *args, all: bool = False, **options):
        now = timezone.now()
        if all:
            OutboxMessage.objects.filter(sent_at__isnull=True).filter(
                Q(available_at__gt=now) | Q(attempts__gte=settings.OUTBOX_MAX_ATTEMPTS)
            ).update(available_at=now, attempts=0)
        outbox.reset_broker_state()
        total = outbox.DispatchResult()
        while True:
            result = outbox.dispatch(now=now)
            total.dispatched += result.dispatched
            total.failed += result.failed
            total.abandoned += result.abandoned
            if result.failed or result.dispatched + result.abandoned == 0:
                break
        owed = OutboxMessage.objects.filter(sent_at__isnull=True)
        abandoned = owed.filter(attempts__gte=settings.OUTBOX_MAX_ATTEMPTS).count()
        self.stdout.write(
            f"handed over: {total.dispatched}, refused by the broker: {total.failed}, "
            f"still owed: {owed.count()} (abandoned: {abandoned})"
        )
        if total.failed:
            raise CommandError("The broker refused a message; it stays owed. Check the broker "
                               "(CELERY_BROKER_URL) and run this again.")
