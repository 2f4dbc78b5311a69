"""The project's Celery app, for worker processes a test kills (``-A tests.reliability.killable``).

Two hooks, each switched on by an environment variable, make a worker stop at a known
point so the test can SIGKILL it there:

``HANG_AFTER_TASKS=n``: after its n-th customer message task has finished (message sent and
marked), before the worker acknowledges it to the broker.

``HANG_IN_SEND=1``: inside its first send, before the mail reaches the mail server (the
``HangingFileBackend``, which otherwise writes mail as Django's file backend does).

Either hook writes the file named by ``HANG_MARKER`` and then sleeps.
"""

import os
import time
from pathlib import Path

from celery.signals import task_postrun
from django.core.mail.backends.filebased import EmailBackend as FileBackend

from aftersales.celery import app

__all__ = ["HangingFileBackend", "app"]

_finished = 0
_sends = 0


def _hang(reason: str) -> None:
    Path(os.environ["HANG_MARKER"]).write_text(reason)
    time.sleep(600)


@task_postrun.connect
def hang_after_tasks(task=None, **kwargs) -> None:
    global _finished
    if task is None or task.name != "aftersales.notify_customer":
        return
    _finished += 1
    if _finished == int(os.environ.get("HANG_AFTER_TASKS", "0")):
        _hang(f"after task {_finished}")


class HangingFileBackend(FileBackend):
    def send_messages(self, email_messages):
        global _sends
        _sends += 1
        if os.environ.get("HANG_IN_SEND") and _sends == 1:
            _hang(f"in the send to {email_messages[0].to[0]}")
        return super().send_messages(email_messages)
