# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running one job per server on a bounded pool of threads, each job on a sibling client.

Each job borrows one sibling client (`client.worker()`: its own HTTP session, as a
requests.Session is not meant to be shared between threads, and the pause gate shared by the
whole pool, so a 429 with Retry-After seen by one job holds every job's next request). The
siblings form a pool.ThrottledPool: a sibling answered 429 leaves it, never the last one, so the
fleet sends fewer requests at a time for the rest of the task (its later steps and the reads of
its wait included) and the API's limit is met rarely instead of on every round. A job that fails
with an API error is recorded and does not stop the others; anything else is a bug and is raised.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.pool import ThrottledPool

# Enough to overlap the round trips of a large fleet, few enough to stay well inside an
# account's rate limit and the controller's CPU.
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 32
# Requests at a time when a task starts, one more per round up to the concurrency (pool.py): a
# fleet's first creates then meet a low rate limit with one or two refusals, not a burst of them.
RAMP = 1


def concurrency_problem(concurrency):
    """The sentence that refuses a `concurrency` option out of range, or None."""
    if 1 <= concurrency <= MAX_CONCURRENCY:
        return None
    return f"concurrency must be between 1 and {MAX_CONCURRENCY}, got {concurrency}"


class Executor:
    """Runs jobs `job(client)` concurrently; `run` returns {key: (value, error)} in the given order."""

    def __init__(self, client, concurrency=DEFAULT_CONCURRENCY, ramp=RAMP):
        self.client = client
        self.concurrency = max(1, min(int(concurrency), MAX_CONCURRENCY))
        self.pool = ThrottledPool(client, self.concurrency, "sending {} requests", ramp=ramp)

    @property
    def workers(self):
        return self.pool.clients

    def _call(self, job):
        with self.pool.take() as worker:
            try:
                return job(worker), None
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
        with ThreadPoolExecutor(max_workers=self.pool.start(len(jobs))) as pool:
            futures = [(key, pool.submit(self._call, job)) for key, job in jobs]
            return {key: future.result() for key, future in futures}

    @property
    def request_count(self):
        return self.client.request_count + sum(worker.request_count for worker in self.workers)
