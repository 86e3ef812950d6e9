# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One request budget per task: every request of a task goes through it, from whatever thread.

Each rule of the API's limits lives here once (docs/request-costs.md, "Rate limits and time"):

- Time. A task has a deadline (its wait_timeout, or the bound of its kind). Every wait of the
  task (a 429's pause, a retry's backoff, a request's turn at the pace, a poll's interval) ends
  before it, or the task ends at once with OutOfTimeError naming the wait and when to try again.
  A Retry-After longer than what remains is never waited for in part.
- The shared pause. A 429 is an answer about the account, not the request: its Retry-After holds
  every request of the task, from every thread. 429 answers are waited out within the deadline and
  do not use up api_retries.
- The pace. From the first 429 the budget knows roughly what the API takes (contract.first_spacing);
  between two 429 answers it knows exactly. Requests then start no closer together than that,
  PACE_MARGIN below it, never slower than one per MAX_SPACING.
- Concurrency. At most `limit` requests are in flight. The limit starts low and grows in rounds
  up to `most`: while it grows, `limit` requests are a round, and no request starts after them
  until every one of them is answered (also when some were answered before the last of them
  started). When all of a round were in flight at once, each of its answers that is not a 429
  adds one, so such a round answered in full doubles the limit; a round that never filled the
  limit does not grow it. A 429 while several were in flight sets
  it to one fewer than were in flight at most since it last changed (a round of L: L-1), never below
  one, and it never grows again in that task (a 429 with one request in flight is about the rate,
  which the pace answers). The API's limit is then met by one round, not by every request sent
  while the round's answers came in one by one.

run_all is the one way the collection runs work concurrently: its threads share the task's budget.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError

# A task without a wait_timeout of its own (the info modules) ends within this many seconds.
DEFAULT_BOUND = 600
# Requests paced after 429 answers go at this share of the rate the API was seen to take, so
# the next refusal is rare, not one burst away.
PACE_MARGIN = 0.9
# Requests never start further apart than this, whatever the API's answers suggested.
MAX_SPACING = 30.0
# Threads of one run_all, and requests in flight for one task: more only floods the API.
MAX_CONCURRENCY = 64
# The answers whose time is kept for the first pace: more than any per-window limit a hosted API
# sets for one token (thousands an hour), so the count is exact and memory stays bounded.
MAX_ANSWERS_KEPT = 20000


class OutOfTimeError(VpsApiError):
    """A wait the task's deadline does not leave room for: the task ends now, not later."""

    def _default_reason(self):
        return "out_of_time"


def _at(seconds):
    """When a wait of `seconds` from now ends (the last time a datetime holds, for a wait past it)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    try:
        when = now + datetime.timedelta(seconds=math.ceil(seconds))
    except OverflowError:  # a Retry-After of 1e308 or inf
        when = datetime.datetime.max
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


class Budget:
    """The deadline, the shared pause, the pace and the concurrency limit of one task.

    bound: seconds the task may take in all (None: no deadline; each wait still ends within
    DEFAULT_BOUND). what: the task's bound in words, for the errors ("wait_timeout (60 s)").
    start, most: requests in flight at first and at most.
    """

    def __init__(self, bound=None, what=None, start=1, most=MAX_CONCURRENCY, clock=time.monotonic, sleep=time.sleep):
        self._clock = clock
        self._sleep = sleep
        self.started = clock()
        self.bound = bound
        self.deadline = None if bound is None else self.started + bound
        self.what = what or (f"the task's bound ({bound} s)" if bound is not None else f"{DEFAULT_BOUND} s")
        self._lock = threading.Condition()
        self.most = max(1, min(most, MAX_CONCURRENCY))
        self.limit = max(1, min(start, self.most))
        self._growing = self.limit < self.most
        self.in_flight = 0
        self._peak = 0  # the most in flight since the limit last changed
        self._round = 0  # requests started in this round of a growing limit
        self._round_size = self.limit  # the limit when the round began: no more of it start
        self._round_met = False  # all of the round were in flight at once: the limit was reached
        self.requests = 0  # requests started
        self.throttled = 0  # answers 429
        self.spacing = 0.0
        self._until = 0.0  # no request starts before this (a 429's pause)
        self._last = -math.inf  # when the latest request started (the next starts `spacing` later)
        self._taken = deque(maxlen=MAX_ANSWERS_KEPT)  # when answers other than 429 came
        self._refused_at = None  # when the latest 429 came
        self._sent_since = 0  # requests started since then
        self._first_retry_after = None  # the first 429's Retry-After, until its pause is over

    # -- time -------------------------------------------------------------------------------

    def elapsed(self):
        return self._clock() - self.started

    def remaining(self):
        """Seconds left before the deadline (DEFAULT_BOUND for a task without one)."""
        return DEFAULT_BOUND if self.deadline is None else self.deadline - self._clock()

    def check(self, seconds, waiting_for):
        """Raise OutOfTimeError unless a wait of `seconds` ends before the deadline."""
        remaining = self.remaining()
        if seconds > 0 and seconds > remaining:
            raise OutOfTimeError(
                f"{waiting_for} would take {seconds:.0f} s, more than the {max(0.0, remaining):.0f} s left of "
                f"{self.what}; the task stops now instead: try again after {_at(seconds)}",
            )

    def nap(self, seconds):
        """Sleep `seconds` or until the deadline, whichever comes first; False when no time was left."""
        remaining = self.remaining()
        if remaining <= 0:
            return False
        self._sleep(min(seconds, remaining))
        return True

    def sleep(self, seconds, waiting_for):
        """Wait `seconds`, or raise at once when that would end past the deadline."""
        self.check(seconds, waiting_for)
        if seconds > 0:
            self._sleep(seconds)

    # -- requests ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def turn(self):
        """One request: wait for a place in flight, the pause and the pace; yield a dict for its answer.

        The request sets answer["status"] and, for a 429, answer["retry_after"] (seconds or None);
        once it is over, answer["lowered_to"] says the new limit when this answer lowered it.
        """
        wait = self._enter()
        answer = {}
        try:
            self.sleep(wait, "waiting for the API's rate limit")
            yield answer
        finally:
            self._leave(answer)

    def _enter(self):
        with self._lock:
            while self.in_flight >= self.limit or (self._growing and self._round >= self._round_size):
                self._lock.wait()
            if not self._round:
                self._round_size, self._round_met = self.limit, False
            self._round += 1
            self.in_flight += 1
            self._round_met = self._round_met or self.in_flight >= self._round_size
            self._peak = max(self._peak, self.in_flight)
            now = self._clock()
            if self._first_retry_after is not None and now >= self._until:
                self._learn_first_pace(self._first_retry_after)
                self._first_retry_after = None
            start = max(now, self._until, self._last + self.spacing)
            self._last = start
            self.requests += 1
            self._sent_since += 1
            return start - now

    def _leave(self, answer):
        status, retry_after = answer.get("status"), answer.get("retry_after")
        with self._lock:
            self.in_flight -= 1
            now = self._clock()
            if status == 429:
                self.throttled += 1
                if self._peak > 1:
                    # Too many at once: one fewer than were in flight at most, for the rest of the task.
                    # (A 429 with one request in flight is about the rate: the pace answers it.)
                    self._growing = False
                    lowered = max(1, min(self.limit, self._peak) - 1)
                    if lowered < self.limit:
                        answer["lowered_to"] = lowered
                    self.most = self.limit = lowered
                    self._peak = self.in_flight
                self._refused(now, retry_after)
                if retry_after:
                    self._until = max(self._until, now + retry_after)
            elif status is not None:
                self._taken.append(now)
                if self._growing and self._round_met:
                    self.limit += 1
                    self._growing = self.limit < self.most
            if self.in_flight == 0 and self._round >= self._round_size:
                self._round = 0
            self._lock.notify_all()

    def _refused(self, now, retry_after):
        """Learn the API's pace from the requests it took since the previous 429."""
        taken = self._sent_since - 1  # the refused request was counted when it started
        if self._refused_at is None:
            self._first_retry_after = retry_after
        elif taken > 0 and now > self._refused_at:
            spacing = (now - self._refused_at) / taken / PACE_MARGIN
            self._slow_to(min(spacing, retry_after) if retry_after else spacing)
        self._refused_at, self._sent_since = now, 0

    def _learn_first_pace(self, retry_after):
        """The requests the API took in the Retry-After before its first 429, spread over it."""
        since = self._refused_at - retry_after
        taken = sum(1 for answered in self._taken if since <= answered < self._until)
        if taken:
            self._slow_to(min(contract.first_spacing(taken, retry_after) / PACE_MARGIN, retry_after))

    def _slow_to(self, spacing):
        self.spacing = min(MAX_SPACING, max(self.spacing, spacing))


def run_all(budget, jobs, most=None):
    """Run jobs [(key, job)] concurrently under `budget`: {key: (value, None) or (None, VpsApiError)}.

    budget may be None when each job has a budget of its own (the inventory's accounts); `most` then
    says how many run at once.

    A job that fails with a VpsApiError does not stop the others; anything else is a bug and is
    raised. One job, or `most` 1, runs on the calling thread. The budget, not the number of
    threads, decides how many requests are in flight.
    """
    jobs = list(jobs)
    threads = max(1, min(most or budget.most, len(jobs), MAX_CONCURRENCY))

    def call(job):
        try:
            return job(), None
        except VpsApiError as exc:
            return None, exc

    if threads == 1:
        return {key: call(job) for key, job in jobs}
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [(key, pool.submit(call, job)) for key, job in jobs]
        return {key: future.result() for key, future in futures}
