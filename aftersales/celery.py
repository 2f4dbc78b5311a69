import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, import_modules

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")

app = Celery("aftersales")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Task names are stable strings ("aftersales.notify_customer"), so queued messages and
# outbox rows survive code moving between modules.
KERNEL_TASK_PACKAGES = [
    "aftersales.core", "aftersales.notifications", "aftersales.followups", "aftersales.sla",
]
app.autodiscover_tasks()
# Listed as imports rather than discovered, so that a process other than the worker (web,
# a management command) can import them when the outbox hands a task over by name.
app.conf.imports = [f"{package}.tasks" for package in KERNEL_TASK_PACKAGES]


@after_setup_logger.connect
@after_setup_task_logger.connect
def mask_worker_logs(logger=None, **kwargs) -> None:
    """The worker replaces Django's log handlers with its own: mask on those too."""
    from aftersales.core.masking import add_masking_filter

    add_masking_filter(logger)


@import_modules.connect(sender=app)
def refuse_a_wrong_field_key(**kwargs) -> None:
    """Runs after Celery's Django fixup has set Django up. Celery re-raises what this
    raises, so a worker or beat whose field key cannot decrypt the stored data does not
    start (aftersales/keycheck.py)."""
    from aftersales.people.keycheck import verify_field_key

    verify_field_key()
