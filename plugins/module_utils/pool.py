# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sibling clients that share one task's requests, fewer of them at a time after each 429.

A 429 means the API takes fewer requests at a time than it is sent. The sibling that was answered
429 (once its request is done, retries included) leaves the pool, never the last one, and stays out
for the rest of the task: the pool settles at what the API accepts instead of meeting its limit on
every round and spending the retry budget there. The listing's page readers and the fleet's
executor are both such a pool.

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

    def __init__(self, client, most, doing):
        self._client = client
        self._doing = doing
        self._lock = threading.Lock()
        self._idle = queue.SimpleQueue()
        self.clients = []
        self.most = max(1, most)
        self._active = 0

    def start(self, jobs_left):
        """Siblings for one batch of jobs; returns how many there are."""
        count = max(1, min(self.most, jobs_left))
        while len(self.clients) < count:
            self.clients.append(self._client.worker())
        self._idle = queue.SimpleQueue()
        for client in self.clients[:count]:
            self._idle.put(client)
        self._active = count
        return count

    @contextlib.contextmanager
    def take(self):
        """An idle sibling for one job (waits for one); it leaves the pool if the job was answered 429."""
        client = self._idle.get()
        throttled = client.throttled
        try:
            yield client
        finally:
            if client.throttled == throttled or not self._leave():
                self._idle.put(client)

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
