"""Which outside services a test can use, and what to do when one is missing.

Tests that need PostgreSQL, Redis or Chromium skip with a clear reason on a laptop that lacks
them. CI sets ``REQUIRE_SERVICES=1`` and installs all three, so there a missing service is a
failure instead of a silent skip::

    from tests.services import chromium_path, require_or_skip

    def test_public_form_in_browser():
        path = chromium_path()
        require_or_skip(path is not None, "Chromium is not installed (set CHROMIUM_PATH)")
"""

import os
import shutil
from pathlib import Path

import pytest

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def services_required() -> bool:
    """True where every outside service must be present (CI)."""
    return os.environ.get("REQUIRE_SERVICES", "").strip().lower() in ("1", "true", "yes")


def require_or_skip(condition: object, reason: str) -> None:
    """Go on when ``condition`` holds; otherwise skip the test, or fail it in CI."""
    if condition:
        return
    if services_required():
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1: a missing service is a failure)",
                    pytrace=False)
    pytest.skip(reason)


def redis_url() -> str | None:
    """The Redis the deployment is configured with: REDIS_URL, else a Redis Celery broker."""
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        value = os.environ.get(name, "").strip()
        if value.startswith(REDIS_SCHEMES):
            return value
    return None


def redis_available(url: str | None = None, timeout: float = 1.0) -> bool:
    """True when a configured Redis answers PING within ``timeout`` seconds."""
    url = url or redis_url()
    if not url:
        return False
    try:
        import redis

        client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # any connection, DNS or protocol error means "not usable here"
        return False


def postgres_in_use() -> bool:
    """True when the tests run against PostgreSQL (DATABASE_URL points at it)."""
    from django.db import connection

    return connection.vendor == "postgresql"


def chromium_path() -> str | None:
    """An executable Chromium: CHROMIUM_PATH if set and usable, else one found on PATH."""
    configured = os.environ.get("CHROMIUM_PATH", "").strip()
    if configured:
        path = Path(configured)
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_redis() -> str:
    """The Redis URL to use, or skip (fail in CI) when none answers."""
    url = redis_url()
    require_or_skip(url is not None, "Redis is not configured (set REDIS_URL or a redis:// "
                                     "CELERY_BROKER_URL)")
    require_or_skip(redis_available(url), f"Redis at {url} does not answer")
    return url


def require_postgres() -> None:
    """Skip (fail in CI) unless the tests run on PostgreSQL."""
    require_or_skip(postgres_in_use(), "this test needs PostgreSQL (set DATABASE_URL)")


def require_chromium() -> str:
    """The Chromium executable to drive, or skip (fail in CI) when there is none."""
    path = chromium_path()
    require_or_skip(path is not None, "Chromium is not installed (set CHROMIUM_PATH)")
    return path
