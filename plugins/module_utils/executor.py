# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running one job per server on a bounded pool of threads, each with its own sibling client.

Every thread gets one `client.worker()`: its own HTTP session (a requests.Session is not meant
to be shared between threads) and the pause gate shared by the whole pool, so a 429 with
Retry-After seen by one thread holds every thread's next request. A job that fails with an API
error is recorded and does not stop the others; anything else is a bug and is raised.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError

# Enough to overlap the round trips of a large fleet, few enough to stay well inside an
# account's rate limit and the controller's CPU.
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 32


class Executor:
    """Runs jobs `job(client)` concurrently; `run` returns {key: (value, error)} in the given order."""

    def __init__(self, client, concurrency=DEFAULT_CONCURRENCY):
        self.client = client
        self.concurrency = max(1, min(int(concurrency), MAX_CONCURRENCY))
        self._local = threading.local()
        self._lock = threading.Lock()
        self.workers = []

    def _worker(self):
        worker = getattr(self._local, "client", None)
        if worker is None:
            worker = self._local.client = self.client.worker()
            with self._lock:
                self.workers.append(worker)
        return worker

    def _call(self, job):
        try:
            return job(self._worker()), None
        except VpsApiError as exc:
            return None, exc

    def run(self, jobs):
        """jobs: [(key, job)]. One job alone runs on the calling client, no thread needed."""
        jobs = list(jobs)
        if not jobs:
            return {}
        if len(jobs) == 1 or self.concurrency == 1:
            outcomes = {}
            for key, job in jobs:
                try:
                    outcomes[key] = (job(self.client), None)
                except VpsApiError as exc:
                    outcomes[key] = (None, exc)
            return outcomes
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(jobs))) as pool:
            futures = [(key, pool.submit(self._call, job)) for key, job in jobs]
            return {key: future.result() for key, future in futures}

    @property
    def request_count(self):
        return self.client.request_count + sum(worker.request_count for worker in self.workers)
