# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pause gate: every client of one task waits out a 429 together and then keeps to the API's pace.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract, retry

# The answers whose time the gate keeps for the first pace: more than any per-window limit a
# hosted API sets for one token (thousands an hour), so the count is exact, and memory stays bounded.
MAX_ANSWERS_KEPT = 20000


class PauseGate:
    """Shared by the clients that work for one task: a 429 with Retry-After pauses them all.

    A rate limit is per account, so one worker asked to wait means every worker should. The gate
    also learns the pace the API sustains, so the limit is met rarely instead of after every burst:
    - at the first 429, from the requests the API took in the Retry-After before it (the window a
      throttle counts in is at least that long; answers from longer ago would make a long task,
      such as an event source polling for hours, pace far too fast) and that Retry-After
      (contract.first_spacing), once the pause is over and every answer of the burst is in;
    - between two 429 answers the limit was met at both ends, so the requests the API took in
      between, over the time between, is its rate.
    Requests then start no closer together than that rate allows (retry.PACE_MARGIN below it). The
    pace never speeds up again within a task, and is never slower than one request per Retry-After
    (the API's own wait for one).
    """

    def __init__(self, clock=time.monotonic, sleep=time.sleep):
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._until = 0.0
        self.spacing = 0.0  # seconds between request starts; 0 until a 429 teaches one
        self._next = 0.0
        self._sent = 0
        # When the latest answers other than 429 came; more than a throttle's window can hold.
        self._taken = deque(maxlen=MAX_ANSWERS_KEPT)
        self._refused_at = None
        self._first_retry_after = None  # the first 429's Retry-After, until its pause is over

    def took(self):
        """An answer other than 429: the API took the request."""
        with self._lock:
            self._taken.append(self._clock())

    def refused(self, retry_after=None):
        """A 429 answer: learn the API's pace from the requests it took since the previous one."""
        with self._lock:
            now = self._clock()
            taken = self._sent - 1  # the refused request was counted when it was sent
            if self._refused_at is None:
                self._first_retry_after = retry_after
            elif taken > 0 and now > self._refused_at:
                spacing = (now - self._refused_at) / taken / retry.PACE_MARGIN
                if retry_after:
                    spacing = min(spacing, retry_after)
                self._slow_to(spacing)
            self._refused_at, self._sent = now, 0

    def _slow_to(self, spacing):
        self.spacing = max(self.spacing, spacing)

    def hold(self, seconds):
        with self._lock:
            self._until = max(self._until, self._clock() + seconds)

    def wait(self):
        remaining = self._until - self._clock()
        if remaining > 0:
            self._sleep(remaining)

    def _first_pace(self, retry_after):
        since = self._refused_at - retry_after
        taken = sum(1 for answered in self._taken if answered >= since)
        if taken:
            self._slow_to(min(contract.first_spacing(taken, retry_after) / retry.PACE_MARGIN, retry_after))

    def slot(self):
        """Wait for any pause, then for this request's turn at the learned pace."""
        self.wait()
        with self._lock:
            now = self._clock()
            if self._first_retry_after and now >= self._until:
                self._first_pace(self._first_retry_after)
                self._first_retry_after = None
            start = max(now, self._next)
            self._next = start + self.spacing
            self._sent += 1
        if start > now:
            self._sleep(start - now)
