"""How tasks that talk to the outside world retry, and how message tasks run."""

from django.conf import settings

from aftersales.core import outbox

# OSError covers SMTP and SMS gateway failures.
RETRY = {"bind": True, "autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}
# A message task is killed after the time limit, so an older claim is a dead worker's.
MESSAGE = {**RETRY, "base": outbox.OutboxTask, "time_limit": settings.OUTBOX_TASK_TIME_LIMIT}
