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
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

FAILURES = (RedisError, OSError)


_COUNTER_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def counter_hit(cache: BaseCache, key: str, window: int) -> int:
    """Add one to the counter ``key``, which expires ``window`` seconds after its first hit;
    the count so far. Raises what the cache raises when it cannot be reached."""
    own = getattr(cache, "counter_hit", None)
    if own is not None:
        return own(key, window)
    return _counter_hit_add_incr(cache, key, window)


def _counter_hit_add_incr(cache: BaseCache, key: str, window: int) -> int:
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


class _OneClientPerPool(RedisCacheClient):
    """Django's client builds a new ``redis.Redis``, with its table of response callbacks,
    for every cache operation; one per connection pool serves them all (it is thread-safe)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(
                connection_pool=self._get_connection_pool(write))
        return client


class ResilientRedisCache(RedisCache):
    """``RedisCache`` that serves from this process's memory while Redis is unreachable."""

    RETRY_SECONDS = 5.0

    # Per location, shared by the per-thread instances Django creates.
    _down_until: dict[str, float] = {}
    _lock = threading.Lock()

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool
        self._location = server if isinstance(server, str) else ",".join(server)
        local = {k: v for k, v in params.items() if k != "OPTIONS"}
        self._fallback = LocMemCache(f"redis-fallback:{self._location}", local)

    def _call(self, name: str, *args, **kwargs):
        return self._guarded(
            lambda: getattr(super(ResilientRedisCache, self), name)(*args, **kwargs),
            lambda: getattr(self._fallback, name)(*args, **kwargs),
        )

    def _guarded(self, on_redis: Callable[[], Any], on_fallback: Callable[[], Any]) -> Any:
        if time.monotonic() < self._down_until.get(self._location, 0.0):
            return on_fallback()
        try:
            result = on_redis()
        except FAILURES as error:
            self._went_down(error)
            return on_fallback()
        if self._location in self._down_until:
            self._came_back()
        return result

    def counter_hit(self, key: str, window: int) -> int:
        """``counter_hit`` in one round trip: a script increments the counter and sets its
        expiry on the first hit."""
        def on_redis() -> int:
            client = self._cache.get_client(key, write=True)
            return int(client.eval(_COUNTER_HIT_SCRIPT, 1, self.make_and_validate_key(key),
                                   window))

        return self._guarded(on_redis, lambda: _counter_hit_add_incr(self._fallback, key,
                                                                     window))

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
