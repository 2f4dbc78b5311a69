from celery import shared_task

from aftersales.core import outbox


@shared_task(name="aftersales.outbox_dispatch")
def outbox_dispatch() -> dict:
    """Hand every owed message to the broker that is not handed over or done yet."""
    return outbox.dispatch().as_dict()


@shared_task(name="aftersales.outbox_purge")
def outbox_purge() -> int:
    return outbox.purge()
