# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pause gate: every client of one task waits out a 429 together and then keeps to the API's pace.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import threading
import time

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract, retry


class PauseGate:
    """Shared by the clients that work for one task: a 429 with Retry-After pauses them all.

    A rate limit is per account, so one worker asked to wait means every worker should. The gate
    also learns the pace the API sustains, so the limit is met rarely instead of after every burst:
    - at the first 429, from the requests the API took before it and that answer's Retry-After
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
        self._taken = 0  # answers other than 429 since the task began
        self._refused_at = None
        self._first_retry_after = None  # the first 429's Retry-After, until its pause is over

    def took(self):
        """An answer other than 429: the API took the request."""
        with self._lock:
            self._taken += 1

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

    def slot(self):
        """Wait for any pause, then for this request's turn at the learned pace."""
        self.wait()
        with self._lock:
            now = self._clock()
            if self._first_retry_after and now >= self._until and self._taken:
                self._slow_to(contract.first_spacing(self._taken, self._first_retry_after) / retry.PACE_MARGIN)
                self._first_retry_after = None
            start = max(now, self._next)
            self._next = start + self.spacing
            self._sent += 1
        if start > now:
            self._sleep(start - now)
