"""Periodic field-service checks. Beat entry (settings ``CELERY_BEAT_SCHEDULE``)::

    "fieldservice-sweep": {"task": "fieldservice.sweep", "schedule": 300.0,
                           "options": {"expires": 290}},
"""

from celery import shared_task


@shared_task(name="fieldservice.sweep")
def fieldservice_sweep() -> dict:
    from .sweep import fieldservice_sweep as run

    return run().as_dict()
