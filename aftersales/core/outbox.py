"""The transactional outbox: side effects are written with the change, then handed to Celery.

Services never call ``task.delay`` themselves. Inside their transaction they call::

    outbox.enqueue("aftersales.notify_customer", [ticket.pk, "accepted"])

which writes an ``OutboxMessage`` in the same transaction: the message exists exactly when
the change committed. After the commit it is handed to the broker at once, on a best-effort
basis (a broker that is down costs the request nothing and fails nothing); the periodic
``aftersales.outbox_dispatch`` task and ``manage.py outbox_dispatch`` hand over whatever is
still due, so an outage of the broker delays side effects but never drops them.

A task run from the outbox is best an ``OutboxTask``: it claims its message with a
conditional UPDATE before doing anything and marks it sent when done, so a copy redelivered
after a crash, or handed over twice, does nothing once the first copy has finished, and two
workers never run it at the same time. Any other task is marked sent once the broker took
it (as ``delay`` on commit did, but not lost to a broker outage). Messages are handed to
Celery under the task id ``outbox-<pk>``, which is how an ``OutboxTask`` finds its message.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from importlib import import_module

from celery import Task
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from aftersales.core.masking import mask
from aftersales.core.models import OutboxMessage

logger = logging.getLogger(__name__)

TASK_ID_PREFIX = "outbox-"
# One reconnection attempt on a stale pooled connection, then give up: the periodic
# dispatch tries again, and a web request must not wait for a broker that is down.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                        "interval_max": 0.2}
# What a broker that is down or unreachable raises on publish (kombu wraps most of it).
BROKER_ERRORS = (KombuOperationalError, OSError, RedisError)
# A dispatcher that died between taking a message and handing it over frees it after this.
DISPATCH_LEASE = timedelta(seconds=60)

# Monotonic time until which this process skips the on-commit hand-over: the broker just
# refused one, so requests do not each wait for it. The periodic dispatch ignores this.
_broker_down_until = 0.0


@dataclass(frozen=True)
class Owed:
    """One task owed by a change: Celery task name, JSON arguments, optional key."""

    task: str
    args: Sequence = ()
    kwargs: Mapping = field(default_factory=dict)
    key: str | None = None


@dataclass
class DispatchResult:
    dispatched: int = 0
    failed: int = 0
    abandoned: int = 0

    def as_dict(self) -> dict:
        return {"dispatched": self.dispatched, "failed": self.failed,
                "abandoned": self.abandoned}


# --- writing ---------------------------------------------------------------------------

def enqueue(task: str, args: Sequence = (), kwargs: Mapping | None = None, *,
            key: str | None = None) -> str:
    """Owe ``task(*args, **kwargs)`` once the current transaction commits; return its key.

    Call it inside the transaction that makes the change. A message whose ``key`` is
    already in the outbox is not owed twice.
    """
    return enqueue_many([Owed(task, args, kwargs or {}, key)])[0]


def enqueue_many(messages: Iterable[Owed]) -> list[str]:
    """``enqueue`` for many messages with one INSERT and one hand-over after commit."""
    now = timezone.now()
    rows = [
        OutboxMessage(task=m.task, args=list(m.args), kwargs=dict(m.kwargs),
                      key=m.key or f"{m.task}:{uuid.uuid4().hex}", created_at=now,
                      available_at=now)
        for m in messages
    ]
    if not rows:
        return []
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    keys = [row.key for row in rows]
    transaction.on_commit(partial(_hand_over_after_commit, keys), robust=True)
    return keys


# In a web request the hand-over waits until the response went out (``request_finished``
# fires when the server closes the response), so no request waits for the broker.
_request = threading.local()


def _request_started(**kwargs) -> None:
    _request.pending = []


def _request_finished(**kwargs) -> None:
    pending, _request.pending = getattr(_request, "pending", None), None
    if pending:
        dispatch_after_commit(pending)


request_started.connect(_request_started, dispatch_uid="outbox-request-started")
request_finished.connect(_request_finished, dispatch_uid="outbox-request-finished")


def _hand_over_after_commit(keys: Sequence[str]) -> None:
    pending = getattr(_request, "pending", None)
    if pending is not None:
        pending.extend(keys)
    else:
        dispatch_after_commit(keys)


# --- handing over to the broker --------------------------------------------------------

def dispatch_after_commit(keys: Sequence[str]) -> DispatchResult:
    """Hand the just-committed messages over now, unless the broker just failed."""
    total = DispatchResult()
    chunk = settings.OUTBOX_DISPATCH_BATCH
    for start in range(0, len(keys), chunk):
        if broker_failed_recently():
            total.failed += len(keys) - start
            break
        part = keys[start:start + chunk]
        try:
            result = dispatch(keys=part, limit=len(part))
        except Exception:  # the change is committed; the periodic dispatch will catch up
            logger.warning("Outbox: hand-over after commit failed; the periodic dispatch "
                           "will retry", exc_info=True)
            total.failed += len(keys) - start
            break
        total.dispatched += result.dispatched
        total.failed += result.failed
        total.abandoned += result.abandoned
    return total


def dispatch(*, keys: Sequence[str] | None = None, limit: int | None = None,
             now: datetime | None = None) -> DispatchResult:
    """Hand every due message (or the due ones among ``keys``) to the broker.

    Due: not sent, its ``available_at`` passed, and fewer than ``OUTBOX_MAX_ATTEMPTS``
    hand-overs so far. A message handed over but not sent within
    ``OUTBOX_REDISPATCH_SECONDS`` is due again (the broker lost it, or its worker died and
    the copy was consumed without running). Stops at the first refusal by the broker.
    """
    now = now or timezone.now()
    due = OutboxMessage.objects.filter(
        sent_at__isnull=True, available_at__lte=now,
        attempts__lt=settings.OUTBOX_MAX_ATTEMPTS,
    )
    if keys is not None:
        due = due.filter(key__in=list(keys))
    messages = list(due.order_by("available_at", "pk")[: limit or settings.OUTBOX_DISPATCH_BATCH])
    result = DispatchResult()
    for message in messages:
        if not _take(message, now):
            continue
        task = _task(message.task)
        if task is None:
            result.abandoned += _unknown(message, now)
            continue
        try:
            task.apply_async(args=message.args, kwargs=message.kwargs,
                             task_id=f"{TASK_ID_PREFIX}{message.pk}",
                             retry=True, retry_policy=PUBLISH_RETRY_POLICY)
        except BROKER_ERRORS as error:  # the broker is down or refused: try again later
            _broker_failed(message, error, now)
            result.failed += 1
            break
        except Exception as error:  # e.g. arguments the serializer refuses: this one only
            logger.exception("Outbox: message %s could not be handed over", message.pk)
            OutboxMessage.objects.filter(pk=message.pk).update(
                attempts=F("attempts") + 1, last_error=describe(error),
                available_at=now + timedelta(seconds=settings.OUTBOX_REDISPATCH_SECONDS))
            result.failed += 1
            continue
        handed_over = {"dispatched_at": now, "attempts": F("attempts") + 1,
                       "available_at": now + timedelta(seconds=settings.OUTBOX_REDISPATCH_SECONDS)}
        if not isinstance(task, OutboxTask):
            # A plain task does not report back: the hand-over is all the outbox can see.
            handed_over["sent_at"] = now
        OutboxMessage.objects.filter(pk=message.pk).update(**handed_over)
        result.dispatched += 1
    return result


def _take(message: OutboxMessage, now: datetime) -> bool:
    """Take a message for hand-over; another dispatcher that took it first wins."""
    return bool(OutboxMessage.objects.filter(
        pk=message.pk, available_at=message.available_at, sent_at__isnull=True,
    ).update(available_at=now + DISPATCH_LEASE))


def _task(name: str) -> Task | None:
    from aftersales.celery import app

    if name not in app.tasks:
        # Outside a worker the task modules are imported only on demand: the apps' own
        # (<app>.tasks) and those the Celery app lists (``imports``, ``include``). Celery's
        # loader would import them too, but would also run Django's checks and reconfigure
        # logging in a web process.
        autodiscover_modules("tasks")
        for module in (*app.conf.imports, *app.conf.include):
            import_module(module)
    return app.tasks.get(name)


def _unknown(message: OutboxMessage, now: datetime) -> bool:
    """Count an attempt for a task this code does not know; True once given up."""
    reason = f"unknown task {message.task!r}"
    logger.error("Outbox: message %s names an %s", message.pk, reason)
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=F("attempts") + 1, last_error=reason,
        available_at=now + timedelta(seconds=settings.OUTBOX_REDISPATCH_SECONDS))
    return message.attempts + 1 >= settings.OUTBOX_MAX_ATTEMPTS


def _broker_failed(message: OutboxMessage, error: BaseException, now: datetime) -> None:
    global _broker_down_until
    _broker_down_until = time.monotonic() + settings.OUTBOX_BROKER_RETRY_SECONDS
    logger.warning("Outbox: the broker refused message %s (%s); it stays owed and is "
                   "handed over again by the periodic dispatch", message.pk,
                   error.__class__.__name__)
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=now,
                                                       last_error=describe(error))


def broker_failed_recently() -> bool:
    return time.monotonic() < _broker_down_until


def reset_broker_state() -> None:
    """Forget a recent broker failure (tests, and after an operator fixed the broker)."""
    global _broker_down_until
    _broker_down_until = 0.0


def purge(*, now: datetime | None = None) -> int:
    """Delete messages sent more than ``OUTBOX_KEEP_DAYS`` ago."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    deleted, _ = OutboxMessage.objects.filter(sent_at__lt=cutoff).delete()
    return deleted


def describe(error: BaseException) -> str:
    """An error for ``last_error``: its type and masked text (SMTP errors name recipients)."""
    error = getattr(error, "exc", None) or error  # a Celery Retry carries the cause
    return mask(f"{error.__class__.__name__}: {error}")[:2000]


# --- running ---------------------------------------------------------------------------

def message_id(task_id: str | None) -> int | None:
    """The outbox message a Celery task id stands for, if any."""
    if not task_id or not task_id.startswith(TASK_ID_PREFIX):
        return None
    number = task_id[len(TASK_ID_PREFIX):]
    return int(number) if number.isdigit() else None


class OutboxTask(Task):
    """A task that runs at most once to completion per outbox message.

    Called with an ``outbox-<pk>`` task id, it first claims its message: a conditional
    UPDATE that succeeds only while the message is not sent and no other worker claimed it
    within ``OUTBOX_CLAIM_SECONDS``. A copy that finds the message sent does nothing; one
    that finds it claimed looks again once the claim would have expired. Success marks the
    message sent; an error frees the claim so Celery's retry can run it again.

    ``outbox_atomic`` tasks only write the database: they run inside one transaction that
    locks the message, so their writes and "sent" commit together and a redelivered copy
    cannot write them twice. Called any other way (directly, ``delay``), the task just runs.
    """

    outbox_atomic = False

    def __call__(self, *args, **kwargs):
        request = self.request
        if request.called_directly:
            return super().__call__(*args, **kwargs)
        pk = message_id(request.id)
        if pk is None:
            # The worker pushed the request already; calling ``run`` keeps it for retries.
            return self.run(*args, **kwargs)
        if self.outbox_atomic:
            return self._run_atomic(pk, args, kwargs)
        return self._run_claimed(pk, args, kwargs)

    def _run_atomic(self, pk: int, args, kwargs):
        try:
            with transaction.atomic():
                message = (OutboxMessage.objects.select_for_update()
                           .filter(pk=pk, sent_at__isnull=True).first())
                if message is None:
                    logger.info("Outbox: message %s already sent; nothing to do", pk)
                    return None
                result = self.run(*args, **kwargs)
                done = timezone.now()
                OutboxMessage.objects.filter(pk=pk).update(claimed_at=done, sent_at=done,
                                                           last_error="")
        except BaseException as error:
            OutboxMessage.objects.filter(pk=pk).update(last_error=describe(error))
            raise
        return result

    def _run_claimed(self, pk: int, args, kwargs):
        now = timezone.now()
        lease = timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
        claimed = OutboxMessage.objects.filter(pk=pk, sent_at__isnull=True).filter(
            Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease)
        ).update(claimed_at=now)
        if not claimed:
            return self._not_claimed(pk, now, lease)
        try:
            result = self.run(*args, **kwargs)
        except BaseException as error:
            OutboxMessage.objects.filter(pk=pk, claimed_at=now).update(
                claimed_at=None, last_error=describe(error))
            raise
        OutboxMessage.objects.filter(pk=pk).update(sent_at=timezone.now(), last_error="")
        return result

    def _not_claimed(self, pk: int, now: datetime, lease: timedelta):
        state = OutboxMessage.objects.filter(pk=pk).values("sent_at", "claimed_at").first()
        if state is None or state["sent_at"] is not None:
            logger.info("Outbox: message %s already sent; nothing to do", pk)
            return None
        # Another worker is running it, or died within its claim: look again once the
        # claim would have expired (sent by then, or free to take).
        wait = (state["claimed_at"] + lease - now).total_seconds() if state["claimed_at"] \
            else 0
        logger.info("Outbox: message %s is claimed by another worker; looking again in "
                    "%d s", pk, wait + 1)
        raise self.retry(countdown=max(1, int(wait) + 1))
