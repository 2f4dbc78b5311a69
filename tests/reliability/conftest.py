"""Outage and crash tests: private Redis servers the test stops and starts, real workers.

Each private Redis runs on its own port (6390-6399), never the shared 6379, so a test can
stop it without disturbing anyone. Tests needing it skip with the reason when
``redis-server`` is not installed, and fail instead under ``REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from kombu import pools

from aftersales.celery import app as celery_app
from aftersales.core import outbox
from aftersales.core.cache import ResilientRedisCache
from tests.services import require_or_skip

PORTS = range(6390, 6400)
# Nothing listens here: a Redis that is down.
DEAD_REDIS = "redis://127.0.0.1:6399/0"


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class PortTaken(AssertionError):
    pass


class PrivateRedis:
    """A redis-server of the test's own, stopped and started at will."""

    def __init__(self, binary: str, port: int) -> None:
        self.binary = binary
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="aftersales-redis-")
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0):
        import redis

        return redis.Redis.from_url(self.url(db), socket_connect_timeout=1, socket_timeout=2)

    def start(self) -> None:
        """Start (again) on this port; fail if another process took the port meanwhile."""
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                # The server answering must be ours, not another test run's on this port.
                if self.client().info("server")["process_id"] == self.process.pid:
                    return
            except Exception:
                pass
            time.sleep(0.05)
        self.stop()
        raise PortTaken(f"redis-server could not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_redis():
    binary = shutil.which("redis-server")
    require_or_skip(binary is not None, "redis-server is not installed (the outage tests "
                                        "start private Redis servers)")
    # In random order: two test runs at once (CI jobs, developers) rarely pick the same.
    server = None
    for port in random.sample(PORTS[:-1], len(PORTS) - 1):
        if not _port_free(port):
            continue
        candidate = PrivateRedis(binary, port)
        try:
            candidate.start()
        except PortTaken:
            candidate.cleanup()
            continue
        server = candidate
        break
    require_or_skip(server is not None, "no free port in 6390-6398 for a private Redis")
    # A port is reused by later tests: forget any outage an earlier one left recorded.
    ResilientRedisCache._down_until.clear()
    try:
        yield server
    finally:
        server.cleanup()


def reset_connections(app=celery_app) -> None:
    """Drop pooled connections and the result backend so a changed broker URL applies."""
    pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    app._backend_cache = None
    app._local = threading.local()
    app.__dict__.pop("amqp", None)


@pytest.fixture
def celery_on():
    """Point the project's Celery app at a broker (not eager) for the test: ``celery_on(url)``."""
    keys = ("task_always_eager", "broker_url", "broker_transport_options")
    saved = {key: celery_app.conf[key] for key in keys}
    saved_env = os.environ.get("CELERY_BROKER_URL")

    def point(url: str, **transport_options) -> None:
        # Celery reads CELERY_BROKER_URL from the environment before its configuration
        # (CI sets it), so the variable has to point at the test's broker too.
        os.environ["CELERY_BROKER_URL"] = url
        celery_app.conf.update(
            task_always_eager=False, broker_url=url,
            broker_transport_options={"visibility_timeout": 300, "socket_connect_timeout": 1,
                                      "socket_timeout": 5, **transport_options},
        )
        reset_connections()

    outbox.reset_broker_state()
    try:
        yield point
    finally:
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        celery_app.conf.update(saved)
        reset_connections()
        outbox.reset_broker_state()


@contextmanager
def worker_thread():
    """A real Celery worker in this process (shares the test database and mail outbox)."""
    with start_worker(celery_app, perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=20):
        yield


def wait_for(condition, timeout: float = 45.0, what: str = "the worker", state=None) -> None:
    """Poll ``condition``; on timeout fail, saying what ``state()`` looked like."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f": {state()}" if state else ""))
