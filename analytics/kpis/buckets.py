"""Duration histograms: how P90 response and cycle times stay additive in the rollups.

A percentile cannot be summed, but a histogram can. Every duration falls in one of
``BUCKET_COUNT`` fixed buckets; the rollups add bucket counts like any other counter, and
the P90 of any set of cells is read from the summed histogram by linear interpolation
inside the bucket that holds the 90th percentile. The edges are spaced so the error stays
within about a quarter of the value at every scale that matters (minutes for a first
response, days for a resolution).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

# Upper edges in hours; the last bucket is open-ended.
EDGES_HOURS: tuple[float, ...] = (
    0.25, 0.5, 1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720, 1440,
)
EDGES_SECONDS: tuple[int, ...] = tuple(int(h * 3600) for h in EDGES_HOURS)
BUCKET_COUNT = len(EDGES_SECONDS) + 1


def bucket_of(seconds: int) -> int:
    """The bucket index of a duration; a duration equal to an edge falls above it."""
    return bisect_right(EDGES_SECONDS, max(0, int(seconds)))


def quantile_seconds(counts: Sequence[int], q: float = 0.9) -> float | None:
    """The ``q`` quantile of a histogram, interpolated inside its bucket; ``None`` if empty.

    The open-ended last bucket reports its lower edge: "at least this long".
    """
    total = sum(counts)
    if total <= 0:
        return None
    rank = q * total
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            low = EDGES_SECONDS[index - 1] if index > 0 else 0
            if index >= len(EDGES_SECONDS):
                return float(low)
            high = EDGES_SECONDS[index]
            return low + (high - low) * (rank - seen) / count
        seen += count
    return float(EDGES_SECONDS[-1])
