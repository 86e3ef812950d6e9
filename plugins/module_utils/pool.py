# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sibling clients that share one task's requests, fewer of them at a time after each 429.

A 429 means the API takes fewer requests at a time than it is sent. The sibling that was answered
429 (once its request is done, retries included) leaves the pool, never the last one, and stays out
for the rest of the task: the pool settles at what the API accepts instead of meeting its limit on
every round and spending the retry budget there. The listing's page readers and the fleet's
executor are both such a pool.

A pool may also start slowly (`ramp`): that many siblings at first, then one more each time one
job more than are at work was answered without a 429 (about one more per round), up to `most`.
The first burst is what meets a limit nobody has learned yet: the requests in flight when the
API's allowance runs out are the ones refused, so growing slowly keeps that to one or two, where
starting at `most` has every request beyond the allowance refused. It costs a few round trips at
the start of a task where the limit is high (a fleet then waits minutes for its servers).

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import contextlib
import queue
import threading


class ThrottledPool:
    """At most `most` sibling clients of `client` (client.worker()) at work; `doing` names the work in the log.

    `doing` is a format with one place for the count, for example "reading {} pages".
    """

    def __init__(self, client, most, doing, ramp=None):
        self._client = client
        self._doing = doing
        self._lock = threading.Lock()
        self._idle = queue.SimpleQueue()
        self.clients = []
        self.most = max(1, most)
        self._active = 0
        self._ramp = ramp  # None once the pool has been at `most`, or met a 429
        self._held = []  # siblings of this batch not yet at work while ramping
        self._answered = 0  # jobs answered since the last sibling was added

    def start(self, jobs_left):
        """Siblings for one batch of jobs; returns how many there are."""
        count = max(1, min(self.most, jobs_left))
        while len(self.clients) < count:
            self.clients.append(self._client.worker())
        self._idle = queue.SimpleQueue()
        working = min(count, self._ramp) if self._ramp else count
        for client in self.clients[:working]:
            self._idle.put(client)
        self._held = self.clients[working:count]
        self._answered = 0
        self._active = working
        return count

    @contextlib.contextmanager
    def take(self):
        """An idle sibling for one job (waits for one); it leaves the pool if the job was answered 429."""
        client = self._idle.get()
        throttled = client.throttled
        try:
            yield client
        finally:
            if client.throttled != throttled:
                with self._lock:
                    self._ramp, self._held = None, []
                if not self._leave():
                    self._idle.put(client)
            else:
                self._idle.put(client)
                self._grow()

    def _grow(self):
        with self._lock:
            if not self._held:
                return
            self._answered += 1
            if self._answered <= self._active:
                return
            self._answered = 0
            self._active += 1
            self._idle.put(self._held.pop(0))
            if not self._held and self._active == self.most:
                self._ramp = None

    def _leave(self):
        with self._lock:
            if self._active == 1:
                return False
            self._active -= 1
            self.most = min(self.most, self._active)
            active = self._active
        what = self._doing.format(active)
        self._client.log(f"the API answered HTTP 429 (too many requests): {what} at a time from now on")
        return True
