"""Per-key rate limits: a token bucket per API key (or per client address without a key).

In memory, per process: with several server processes each enforces the limit on its own
(the effective limit is N times the setting). A bucket holds `burst` tokens and refills at
`per_minute / 60` tokens a second; a request takes one. Idle buckets are dropped, so memory
stays bounded by the number of recently active callers.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

IDLE_BUCKETS_DROPPED_AFTER_S = 600.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_minute: float, burst: int, clock=time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def take(self, caller: str) -> float:
        """0.0 when `caller` may go ahead (a token is taken), else the seconds to wait."""
        now = self._clock()
        with self._lock:
            self._sweep(now)
            bucket = self._buckets.get(caller)
            if bucket is None:
                bucket = self._buckets[caller] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < IDLE_BUCKETS_DROPPED_AFTER_S:
            return
        self._last_sweep = now
        full_after = self.burst / self.rate
        for caller in [
            c for c, b in self._buckets.items() if now - b.updated > max(full_after, 60.0)
        ]:
            del self._buckets[caller]


def retry_after_header(seconds: float) -> str:
    """Retry-After in whole seconds (RFC 9110), never 0 while refused."""
    return str(max(1, math.ceil(seconds)))
