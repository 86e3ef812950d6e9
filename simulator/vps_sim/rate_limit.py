"""The API's rate limit: one token bucket per account (per API token), as a hosted API throttles its callers.

A bucket holds up to ``burst`` tokens and gains ``rate`` tokens per second; each authenticated request
takes one. A request that finds the bucket empty is refused with 429 and DRF's throttle answer: the
wait until the next token, rounded up to whole seconds, in the message and in ``Retry-After``. A fixed
``retry_after`` replaces that wait, as a quota that resets hourly tells its callers to come back in an hour.

Written here rather than taken from a library: the libraries at hand (limits/slowapi, pyrate-limiter,
token-bucket, aiolimiter) either use windows instead of a bucket, wait instead of refusing, or do not
say how long until the next token, and that wait is what ``Retry-After`` must carry.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


def throttled_detail(wait: int) -> str:
    """DRF's ``Throttled`` message for a wait of ``wait`` whole seconds."""
    unit = "second" if wait == 1 else "seconds"
    return f"Request was throttled. Expected available in {wait} {unit}."


def default_burst(rate: float) -> int:
    """One second's worth of requests (at least one) when no burst is given."""
    return max(1, math.ceil(rate))


@dataclass
class Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Per-key token buckets; no rate means no limit (the default, as in the demo)."""

    def __init__(self, rate: float | None = None, burst: int | None = None, clock=time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict = {}
        self.rate: float | None = None
        self.burst: int | None = None
        self.retry_after: int | None = None
        self.configure(rate, burst)

    def configure(self, rate: float | None, burst: int | None = None, retry_after: int | None = None) -> None:
        """Set the limit (``rate`` None or 0 turns it off); every bucket starts full again.

        ``retry_after`` (whole seconds) is the wait a refusal asks for, instead of the time to the next token.
        """
        if rate is not None and rate < 0:
            raise ValueError("rate must be >= 0")
        if burst is not None and burst < 1:
            raise ValueError("burst must be >= 1")
        if retry_after is not None and retry_after < 1:
            raise ValueError("retry_after must be >= 1")
        with self._lock:
            self.rate = float(rate) if rate else None
            self.burst = None if self.rate is None else (burst or default_burst(self.rate))
            self.retry_after = None if self.rate is None else retry_after
            self._buckets.clear()

    def public(self) -> dict:
        return {"rate_limit": self.rate, "rate_burst": self.burst, "retry_after": self.retry_after}

    def take(self, key) -> int:
        """Take one token for ``key``: 0 when the request may proceed, else the whole seconds to wait."""
        if self.rate is None:
            return 0
        with self._lock:
            now = self.clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = Bucket(float(self.burst), now)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0
            # A refused request takes nothing: the caller may come back as soon as one token is there.
            return self.retry_after or math.ceil((1.0 - bucket.tokens) / self.rate)
