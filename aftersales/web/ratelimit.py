"""A fixed-window rate limit on the shared cache, used by every public form.

A cache outage must not take the public pages down: the limit then falls back to a counter
in this process (still a limit, only per process) and says so in the log.
"""

import logging
import threading
import time

from django.core.cache import cache

from aftersales.core.cache import counter_hit
from aftersales.people.crypto import lookup_hash

logger = logging.getLogger(__name__)

_local: dict[str, tuple[float, int]] = {}
_local_lock = threading.Lock()


def _local_hit(key: str, window: int) -> int:
    now = time.monotonic()
    with _local_lock:
        started, count = _local.get(key, (now, 0))
        if now - started >= window:
            started, count = now, 0
        _local[key] = (started, count + 1)
        if len(_local) > 10000:  # forget the oldest windows rather than grow without end
            for stale in sorted(_local, key=lambda k: _local[k][0])[:5000]:
                _local.pop(stale, None)
        return count + 1


def over_limit(bucket: str, who: str, *, limit: int, window: int) -> bool:
    """Count one attempt for ``who`` in ``bucket``; True once more than ``limit`` were made."""
    key = f"ratelimit:{bucket}:{lookup_hash(who) or 'none'}"
    try:
        count = counter_hit(cache, key, window)
    except Exception as error:  # any cache failure
        logger.warning("Rate limit %s: the cache failed (%s); counting in this process",
                       bucket, error.__class__.__name__)
        count = _local_hit(key, window)
    return count > limit
