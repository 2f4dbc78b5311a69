"""Workers killed with SIGKILL in the middle of a queue of customer messages: each customer
still gets each message exactly once.

The workers are real processes (``celery -A tests.reliability.killable worker``) on a private
Redis, sharing the test's PostgreSQL database, with Django's file mail backend so what was
sent survives the processes. The visibility timeout is 3 s here (300 s in production), so
the broker hands a killed worker's message to the next worker within seconds.
"""

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from aftersales.models import OutboxMessage
from complaints import services as s
from tests.factories import intake
from tests.services import require_postgres

from .conftest import wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres,
              pytest.mark.django_db(transaction=True)]

CUSTOMERS = [f"customer{i}@example.com" for i in range(6)]


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")


class Workers:
    def __init__(self, redis, directory: Path) -> None:
        self.directory = directory
        self.mail = directory / "mail"
        self.mail.mkdir()
        self.processes: list[subprocess.Popen] = []
        self.env = {
            **os.environ, "PYTHONPATH": str(settings.BASE_DIR),
            "DJANGO_SETTINGS_MODULE": "aftersales.settings", "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": redis.url(0), "REDIS_URL": redis.url(1),
            "EMAIL_BACKEND": "tests.reliability.killable.HangingFileBackend",
            "EMAIL_FILE_PATH": str(self.mail), "CELERY_SKIP_CHECKS": "1",
            "CELERY_VISIBILITY_TIMEOUT": "3", "CELERY_UNACKED_RESTORE_SECONDS": "1",
            "OUTBOX_CLAIM_SECONDS": "2",
        }

    def start(self, **hooks: str) -> tuple[subprocess.Popen, Path]:
        number = len(self.processes) + 1
        marker = self.directory / f"worker{number}.hung"
        log = open(self.directory / f"worker{number}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.reliability.killable", "worker",
             "--pool=prefork", "--concurrency=1", "--loglevel=INFO", "--without-gossip",
             "--without-mingle", "--without-heartbeat", f"--hostname=kill{number}@%h"],
            env={**self.env, "HANG_MARKER": str(marker), **hooks}, cwd=settings.BASE_DIR,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        self.processes.append(process)
        return process, marker

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool process: no warm shutdown, no acknowledgement."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)

    def log(self) -> str:
        return "\n".join(path.read_text(errors="replace")
                         for path in sorted(self.directory.glob("worker*.log")))

    def recipients(self) -> Counter:
        """How many messages each address got, read from the mail files."""
        return Counter(
            address
            for path in self.mail.iterdir()
            for address in re.findall(r"^To: (.+)$", path.read_text(), re.MULTILINE)
        )


@pytest.fixture
def postgres():
    """Worker processes share the test database: only PostgreSQL's is reachable from them."""
    require_postgres()


def test_customer_messages_are_sent_exactly_once_across_worker_kills(
        postgres, private_redis, celery_on, tmp_path):
    celery_on(private_redis.url(0))
    # Six complaints filed: six customer e-mails owed and queued on the broker.
    for i, address in enumerate(CUSTOMERS):
        s.complaint_register(intake=intake(phone=f"1390000000{i}", email=address), actor=None)
    owed = OutboxMessage.objects.filter(task="aftersales.notify_customer")
    assert owed.count() == 6 and not owed.filter(dispatched_at__isnull=True).exists()
    broker = private_redis.client()
    workers = Workers(private_redis, tmp_path)
    started = time.monotonic()
    try:
        # The first worker is killed after its second message went out and was marked sent,
        # before it acknowledged the message: the broker will deliver it again.
        first, hung = workers.start(HANG_AFTER_TASKS="2")
        wait_for(hung.exists, 40, "the first worker to send two messages")
        workers.kill(first)
        assert sum(workers.recipients().values()) == 2
        assert broker.zcard("unacked_index") == 1

        # The second is killed inside its first send: claimed, not sent.
        second, hung = workers.start(HANG_IN_SEND="1")
        wait_for(hung.exists, 40, "the second worker to start a send")
        workers.kill(second)
        assert owed.filter(claimed_at__isnull=False, sent_at__isnull=True).count() == 1

        # The third finishes the queue, including both messages the killed ones held.
        workers.start()
        wait_for(lambda: not owed.filter(sent_at__isnull=True).exists()
                 and broker.zcard("unacked_index") == 0 and broker.llen("celery") == 0,
                 40, "the third worker to finish the queue")
    finally:
        workers.stop_all()
    elapsed = time.monotonic() - started

    assert workers.recipients() == Counter(CUSTOMERS), workers.log()[-4000:]
    assert "already sent; nothing to do" in workers.log()
    assert elapsed < 60
