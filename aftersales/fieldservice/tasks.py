"""Periodic field-service checks. Beat entry (settings ``CELERY_BEAT_SCHEDULE``)::

    "fieldservice-sweep": {"task": "fieldservice.sweep", "schedule": 300.0,
                           "options": {"expires": 290}},
"""

from celery import shared_task

from aftersales.core.retry import MESSAGE


@shared_task(name="fieldservice.sweep")
def fieldservice_sweep() -> dict:
    from .sweep import fieldservice_sweep as run

    return run().as_dict()


@shared_task(name="fieldservice.offer_installation", **MESSAGE)
def offer_installation(self, order_id: int) -> int:
    """Send the installation booking link for a delivered order."""
    from .services import installation_offer_send

    return installation_offer_send(order_id=order_id)
