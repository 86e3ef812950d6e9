# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When and how long to wait before trying a request again."""

from __future__ import annotations

import datetime
import email.utils

# Answers that mean "try again later" for a request that changes nothing or may be repeated.
RETRY_STATUSES = frozenset((429, 502, 503, 504))
# Answers that prove a POST was not acted on: rate limiting and "unavailable" come before
# any work is done. 502/504 come from a gateway that may have passed the request on.
POST_SAFE_RETRY_STATUSES = frozenset((429, 503))
# Gateway answers to a POST: the request may or may not have reached the API behind it.
POST_AMBIGUOUS_STATUSES = frozenset((502, 504))

# Full-jitter exponential backoff: 0.5 s, 1 s, 2 s ... capped so a run with the default
# five retries gives up within about a minute instead of hanging a pipeline.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 20.0
# A server asking for a longer pause than this is treated as asking for this long; the
# retry budget still bounds the total.
RETRY_AFTER_CAP = 120.0

# Waiting for a status: provisioning takes minutes, transitions seconds. Polls start fast
# so short transitions finish quickly and slow down to one every 5 s so a 10-minute wait
# costs about 120 requests, well inside any rate limit.
POLL_FIRST = 0.25
POLL_FACTOR = 1.5
POLL_CAP = 5.0


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if value is None:
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt, rng):
    """Full jitter: a random pause between 0 and the capped exponential step."""
    return rng.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * (2**attempt)))


def retry_delay(attempt, retry_after, rng):
    if retry_after is not None:
        return min(retry_after, RETRY_AFTER_CAP)
    return backoff_delay(attempt, rng)


def poll_intervals():
    interval = POLL_FIRST
    while True:
        yield interval
        interval = min(POLL_CAP, interval * POLL_FACTOR)
