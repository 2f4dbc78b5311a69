"""A Redis cache that keeps pages working while Redis is down.

Everything the product keeps in the cache can be lost or kept per process for a while:
rate-limit counters, the SLA configuration version, django-axes' cache (if used). So when
Redis does not answer, each operation falls back to a local-memory cache of this process,
a warning is logged once per outage, and Redis is tried again after ``RETRY_SECONDS``. What
was stored locally during the outage is dropped when Redis answers again.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

FAILURES = (RedisError, OSError)


class ResilientRedisCache(RedisCache):
    """``RedisCache`` that serves from this process's memory while Redis is unreachable."""

    RETRY_SECONDS = 5.0

    # Per location, shared by the per-thread instances Django creates.
    _down_until: dict[str, float] = {}
    _lock = threading.Lock()

    def __init__(self, server, params):
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)
        local = {k: v for k, v in params.items() if k != "OPTIONS"}
        self._fallback = LocMemCache(f"redis-fallback:{self._location}", local)

    def _call(self, name: str, *args, **kwargs):
        if time.monotonic() < self._down_until.get(self._location, 0.0):
            return getattr(self._fallback, name)(*args, **kwargs)
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except FAILURES as error:
            self._went_down(error)
            return getattr(self._fallback, name)(*args, **kwargs)
        if self._location in self._down_until:
            self._came_back()
        return result

    def _went_down(self, error: BaseException) -> None:
        with self._lock:
            first = self._location not in self._down_until
            self._down_until[self._location] = time.monotonic() + self.RETRY_SECONDS
        if first:
            logger.warning(
                "Cache: Redis does not answer (%s); this process uses its own memory "
                "instead (rate limits and throttles count per process) until it does",
                error.__class__.__name__,
            )

    def _came_back(self) -> None:
        with self._lock:
            if self._down_until.pop(self._location, None) is None:
                return
        self._fallback.clear()
        logger.warning("Cache: Redis answers again; back to the shared cache")

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout, version=version)

    def delete(self, key, version=None):
        return self._call("delete", key, version=version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version=version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version=version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout, version=version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version=version)

    def clear(self):
        return self._call("clear")
