"""Per-token rate limits of the alert endpoints: a token bucket per ingest token, in this process's memory."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBuckets:
    """A bucket per key holding up to a minute's worth of requests, refilled continuously at the key's rate.

    Keys are the configured ingest tokens, so the map is as large as the config file makes it and no larger.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (requests left, when counted)
        self._lock = threading.Lock()

    def take(self, key: str, rate_per_minute: int) -> int:
        """Take one request from the key's bucket: 0 when allowed, else the whole seconds until one is."""
        now = self.clock()
        per_second = rate_per_minute / 60
        with self._lock:
            left, then = self._buckets.get(key, (float(rate_per_minute), now))
            left = min(float(rate_per_minute), left + (now - then) * per_second)
            if left >= 1:
                self._buckets[key] = (left - 1, now)
                return 0
            self._buckets[key] = (left, now)
        return max(1, math.ceil((1 - left) / per_second))
