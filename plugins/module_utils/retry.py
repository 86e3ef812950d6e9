# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When and how long to wait before trying a request again."""

from __future__ import annotations

import datetime
import email.utils

# Answers that prove the request was not acted on: rate limiting is decided before any work.
NOTHING_HAPPENED_STATUSES = frozenset((429,))
# reading: "5xx may happen at any time", so a 500 is as passing as a gateway error.
SERVER_ERROR_STATUSES = frozenset((500, 502, 503, 504))
# Answers after which a read may simply be repeated.
READ_RETRY_STATUSES = NOTHING_HAPPENED_STATUSES | SERVER_ERROR_STATUSES
# Server and gateway errors can come after the work was done (a gateway that passed the request
# on, an API that failed while answering): for a request that changes something they are
# ambiguous, and the state is re-read before anything is repeated.
MAY_HAVE_HAPPENED_STATUSES = SERVER_ERROR_STATUSES


def safe_to_repeat(method, status):
    """Whether an answer with this status may be answered by simply sending the request again."""
    if method == "GET":
        return status in READ_RETRY_STATUSES
    return status in NOTHING_HAPPENED_STATUSES


def may_have_happened(method, status):
    return method != "GET" and status in MAY_HAVE_HAPPENED_STATUSES


# Full-jitter exponential backoff: 0.5 s, 1 s, 2 s ... capped so a run with the default
# five retries gives up within about a minute instead of hanging a pipeline. A 429 is not retried
# on this budget: it is waited out as the API asks, within the task's deadline (budget.py).
BACKOFF_BASE = 0.5
BACKOFF_CAP = 20.0


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
