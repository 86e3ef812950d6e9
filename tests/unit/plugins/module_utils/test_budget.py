"""budget.py: the task's deadline, the pause after a 429 that every thread keeps, the pace learned from the
API's 429 answers, the concurrency limit, and run_all. On the simulator's rate limit and the one fake clock."""

from __future__ import annotations

import contextlib
import datetime
import math
import re
import threading
import time

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import budget as budget_module
from ansible_collections.vpsorg.cloud.plugins.module_utils.budget import (
    DEFAULT_BOUND,
    MAX_ANSWERS_KEPT,
    MAX_CONCURRENCY,
    MAX_SPACING,
    PACE_MARGIN,
    Budget,
    OutOfTimeError,
    run_all,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from vps_sim.in_process import FakeClock
from vps_sim.rate_limit import RateLimiter


def make(clock, bound=600, **kwargs):
    return Budget(bound, f"wait_timeout ({bound} s)", clock=clock, sleep=clock.sleep, **kwargs)


def answer(budget, status=200, retry_after=None):
    """One request through the budget, answered `status` (a 429 with `retry_after`): what the budget said of it."""
    before = budget.in_flight
    with budget.turn() as answered:
        assert budget.in_flight == before + 1, "a request in flight is counted once"
        answered.update(status=status, **({"retry_after": retry_after} if status == 429 else {}))
    assert budget.in_flight == before, "an answered request is no longer in flight"
    return answered


def in_thread(job):
    """Run job in another thread; a job that blocks for ever fails the test instead of hanging it."""
    thread = threading.Thread(target=job, daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive(), "blocked"


# -- time ------------------------------------------------------------------------------------------


def test_a_wait_ends_by_the_deadline_and_says_when_no_time_was_left(clock):
    budget = make(clock, 10)
    assert budget.nap(4) is True and budget.nap(100) is True and budget.nap(1) is False
    assert clock.sleeps == [4, 6] and budget.elapsed() == 10 and budget.remaining() == 0


def test_a_wait_that_fits_is_waited_and_one_that_does_not_ends_the_task_at_once(clock):
    budget = make(clock, 10)
    budget.sleep(10, "all of it")
    clock.sleep(5)  # past the deadline: never a negative time left
    budget.sleep(0, "nothing")
    with pytest.raises(OutOfTimeError) as err:
        budget.sleep(0.6, "the pause")
    assert clock.sleeps == [10, 5]
    assert err.value.reason == "out_of_time"
    assert re.fullmatch(
        r"the pause would take 1 s, more than the 0 s left of wait_timeout \(10 s\); "
        r"the task stops now instead: try again after (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC",
        str(err.value),
    )
    when = datetime.datetime.strptime(str(err.value)[-23:-4], "%Y-%m-%d %H:%M:%S")
    soon = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(seconds=1)
    assert abs((when - soon).total_seconds()) < 3


def test_when_to_try_again_is_said_in_utc_whatever_the_local_zone(clock, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        with pytest.raises(OutOfTimeError) as err:
            make(clock, 0).check(3600, "the pause")
    finally:
        monkeypatch.undo()
        time.tzset()
    when = datetime.datetime.strptime(str(err.value)[-23:-4], "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.UTC)
    assert abs((when - datetime.datetime.now(datetime.UTC)).total_seconds() - 3600) < 3


@pytest.mark.parametrize("seconds", [1e308, math.inf, 10**30])
def test_a_wait_too_long_for_a_date_still_ends_the_task_saying_so(clock, seconds):
    with pytest.raises(OutOfTimeError, match=r"the task stops now instead: try again after 9999-12-31 23:59:59 UTC$"):
        make(clock).check(seconds, "the pause")


def test_a_task_without_a_bound_has_each_wait_bounded_and_says_so(clock):
    budget = Budget(clock=clock, sleep=clock.sleep)
    clock.sleep(10 * DEFAULT_BOUND)
    assert budget.deadline is None and budget.remaining() == DEFAULT_BOUND and budget.what == f"{DEFAULT_BOUND} s"
    assert Budget(30).what == "the task's bound (30 s)" and Budget(30, "wait_timeout (30 s)").what.startswith("wait")
    with pytest.raises(OutOfTimeError, match=rf"more than the {DEFAULT_BOUND} s left of {DEFAULT_BOUND} s;"):
        budget.check(DEFAULT_BOUND + 1, "a wait")


# -- the pause after a 429 --------------------------------------------------------------------------


def test_a_retry_after_pauses_the_requests_of_every_thread_and_the_refused_one_sleeps_nothing(clock):
    budget, started = make(clock), []
    refused_at = clock()
    in_thread(lambda: answer(budget, 429, 7))
    assert budget.throttled == 1 and clock.sleeps == []

    def request():
        with budget.turn() as answered:
            started.append(clock() - refused_at)
            answered["status"] = 200

    in_thread(request)
    request()
    assert started == [7, 7] and clock.sleeps == [7]


def test_a_retry_after_longer_than_what_remains_ends_the_task_at_once(sim, make_client, clock):
    sim.seed(1)
    sim.set_rate_limit(5, 5, retry_after=3600)
    client = make_client(bound=60)
    with pytest.raises(OutOfTimeError) as err:
        for _request in range(6):
            client.get_server(10001)
    assert clock.sleeps == [] and err.value.reason == "out_of_time"
    assert str(err.value).startswith(
        "the pause the API asked for (GET /servers/10001/ answered HTTP 429 (rate limited) and asked: 3600 s) would "
        "take 3600 s, more than the 60 s left of wait_timeout (60 s); the task stops now instead: try again after "
    )


def test_a_pace_longer_than_what_remains_ends_the_task_at_once(clock):
    budget = make(clock, 20)
    answer(budget, 429, 10)
    clock.sleep(10)
    for _request in range(3):
        answer(budget)
    answer(budget, 429)  # 3 taken in the 10 s between two 429s: 3.7 s apart, the third after it ends too late
    for _request in range(2):
        answer(budget)
    with pytest.raises(OutOfTimeError, match=r"^waiting for the API's rate limit would take 4 s, more than the 3 s"):
        answer(budget)


# -- the pace ---------------------------------------------------------------------------------------


def paced(sim, client, clock, rate, burst, requests=200):
    """`requests` detail reads as fast as the client may at the simulator's rate limit: (429 answers, seconds)."""
    sim.seed(1)
    sim.set_rate_limit(rate, burst)
    started = clock()
    for _request in range(requests):
        client.get_server(10001)
    return sim.counters()["throttled"], clock() - started


@pytest.mark.parametrize(("rate", "burst"), [(5, 5), (2, 2), (0.5, 1), (10, 10)])
def test_a_limit_whose_burst_is_one_retry_after_of_requests_is_learned_from_its_first_429(
    sim, client, clock, rate, burst
):
    # DRF's throttles (so many requests per window) look like this from outside.
    refused, took = paced(sim, client, clock, rate, burst)
    assert refused == 1 == client.budget.throttled
    # Never slower than one request per Retry-After (whole seconds): the API's own wait for one.
    assert client.budget.spacing == pytest.approx(min(1 / (rate * PACE_MARGIN), math.ceil(1 / rate)))
    assert took <= 1.25 * (200 - burst) / rate


@pytest.mark.parametrize(("rate", "burst"), [(10, 20), (3, 10), (5, 60)])
def test_a_burst_larger_than_the_rate_is_paced_too_fast_at_first_and_corrected_by_the_second_429(
    sim, client, clock, rate, burst
):
    refused, took = paced(sim, client, clock, rate, burst, requests=300)
    assert refused == 2
    # The second measure spans the pause and the first pace: up to a tenth slower than the API allows.
    assert 0.95 <= client.budget.spacing * rate * PACE_MARGIN <= 1.1
    assert took <= 1.25 * (300 - burst) / rate


@pytest.mark.parametrize(("rate", "burst"), [(5, 5), (2, 2), (10, 20), (0.5, 1), (3, 10)])
def test_without_retry_after_two_429s_teach_the_pace(clock, rate, burst):
    # The simulator's own bucket, answered as a 429 without Retry-After, which the transport backs off from.
    budget, limiter, refused, done = make(clock, None), RateLimiter(rate, burst, clock), 0, 0
    while done < 200:
        with budget.turn() as answered:
            wait = limiter.take("account")
            answered["status"] = 429 if wait else 200
        refused, done = refused + bool(wait), done + (not wait)
        clock.sleep(wait)
    assert refused == 2 and budget.spacing == pytest.approx(1 / (rate * PACE_MARGIN), rel=0.05)


def test_the_first_pace_counts_the_answers_of_the_retry_after_before_the_429_and_not_the_retried_request(clock):
    budget = make(clock, start=2, most=2)  # two in flight from the start, no rounds
    answer(budget)  # a minute before the 429: not in the Retry-After before it
    clock.sleep(58)
    answer(budget)  # exactly one Retry-After (2 s) before the 429: it counts
    clock.sleep(2)
    for _request in range(3):
        answer(budget)
    with budget.turn() as late:  # an answer of the burst that comes in during the pause counts too
        answer(budget, 429, 2)
        late["status"] = 200
    answer(budget)  # the refused request again, at the end of the pause: taken after the 429
    assert budget.spacing == 0
    answer(budget)
    assert budget.spacing == pytest.approx(2 / 5 / PACE_MARGIN)
    assert budget.elapsed() == pytest.approx(62 + budget.spacing)


def test_a_first_429_without_answers_before_it_teaches_nothing_and_the_pace_only_ever_slows(clock):
    budget = make(clock, None)
    answer(budget, 429, 1)
    answer(budget)
    assert budget.spacing == 0
    for _request in range(4):
        answer(budget)
    clock.sleep(1)
    answer(budget, 429)  # 5 taken in the 2 s since the first 429
    assert budget.spacing == pytest.approx(2 / 5 / PACE_MARGIN)
    learned = budget.spacing
    answer(budget)
    answer(budget, 429, 0.1)  # a shorter Retry-After never makes the pace faster
    assert budget.spacing == learned
    answer(budget)
    clock.sleep(60)
    answer(budget, 429, 1)  # one request in a quiet minute between two 429s: never slower than the Retry-After
    assert budget.spacing == 1


def test_the_pace_is_never_slower_than_max_spacing_and_old_answer_times_are_not_all_kept(clock):
    budget = make(clock, None)
    answer(budget, 429, 3600)
    clock.sleep(3600)
    answer(budget)
    clock.sleep(1000)
    answer(budget, 429, 3600)  # one request in 1000 s
    assert budget.spacing == MAX_SPACING
    clock.sleep(3600)
    for _request in range(MAX_ANSWERS_KEPT + 5):
        answer(budget)
    assert len(budget._taken) == MAX_ANSWERS_KEPT


def test_without_429_nothing_waits_whatever_the_clock_reads(clock):
    budget = make(clock)
    assert (budget.in_flight, budget.requests, budget.throttled, budget.spacing) == (0, 0, 0, 0)
    for _request in range(50):
        answer(budget, 503)
    assert clock.sleeps == [] and budget.spacing == 0 and budget.requests == 50 and budget.throttled == 0
    clock_at_zero = FakeClock(0)
    answer(make(clock_at_zero))
    assert clock_at_zero.sleeps == []


# -- how many at a time ---------------------------------------------------------------------------


def test_concurrency_starts_low_and_grows_by_one_with_each_answer_of_a_round_at_the_limit(clock):
    assert make(clock).limit == 1
    budget = make(clock, start=2, most=4)
    assert (budget.limit, budget.most) == (2, 4)
    answer(budget)  # one in flight of two allowed: the limit is not reached, no more
    assert budget.limit == 2
    answer(budget)  # the second of the round, alone in flight too: the round is over, the limit as it was
    assert budget.limit == 2
    with budget.turn() as first:
        answer(budget)  # two in flight, the limit: a round, each of whose answers adds one
        assert budget.limit == 3
        first["status"] = 200
    assert budget.limit == 4
    with budget.turn(), budget.turn():
        answer(budget)  # at most already
    assert budget.limit == 4
    with budget.turn(), budget.turn(), budget.turn():
        answer(budget)  # at most already
    assert budget.limit == 4 and budget.in_flight == 0
    assert (make(clock, start=0).limit, make(clock, start=9, most=3).limit) == (1, 3)
    assert make(clock, most=1000).most == MAX_CONCURRENCY
    for most in (0, 1, 3):  # started at its most: an answer at the limit does not grow it past
        budget = make(clock, start=3, most=most)
        with contextlib.ExitStack() as others:
            for _other in range(budget.limit - 1):
                others.enter_context(budget.turn())
            answer(budget)
        assert budget.limit == budget.most == max(1, most)


def test_a_429_with_several_in_flight_sets_one_fewer_than_the_most_seen_for_the_rest_of_the_task(clock):
    budget = make(clock, start=6, most=8)
    with budget.turn(), budget.turn(), budget.turn():
        refused = answer(budget, 429, 0)  # four in flight
    assert refused["lowered_to"] == 3 and (budget.limit, budget.most) == (3, 3)
    with budget.turn(), budget.turn():
        assert "lowered_to" not in answer(budget)  # at the limit, but it never grows again
    assert budget.limit == 3
    # Three were in flight since the limit last changed; then one alone since: that one is about the rate.
    assert answer(budget, 429, 0)["lowered_to"] == 2
    assert "lowered_to" not in answer(budget, 429, 0) and budget.limit == 2


def test_a_429_with_one_request_in_flight_is_about_the_rate_and_leaves_the_concurrency(clock):
    budget = make(clock, start=1, most=8)
    assert "lowered_to" not in answer(budget, 429, 0)
    answer(budget)
    assert (budget.limit, budget.most) == (2, 8)


class Held:
    """One request in a thread of its own: it starts when the budget lets it and is answered when told."""

    def __init__(self, budget):
        self.started, self._told, self._status = threading.Event(), threading.Event(), None
        self.said = {}
        self._thread = threading.Thread(target=self._run, args=(budget,), daemon=True)
        self._thread.start()

    def _run(self, budget):
        with budget.turn() as answered:
            self.started.set()
            self._told.wait(5)
            answered.update(status=self._status, **({"retry_after": 0} if self._status == 429 else {}))
        self.said = answered

    def waiting(self):
        """Whether it is still held back by the budget (given a moment to start if it may)."""
        return not self.started.wait(0.1)

    def answer(self, status=200):
        assert self.started.wait(5), "never started"
        self._status = status
        self._told.set()
        self._thread.join(5)
        assert not self._thread.is_alive(), "blocked"
        return self.said


def test_while_the_limit_grows_no_request_starts_until_every_request_of_the_round_is_answered(clock):
    budget = make(clock, start=2, most=8)
    first, second = Held(budget), Held(budget)
    assert first.started.wait(5) and second.started.wait(5)  # two in flight, the limit: a round
    later = Held(budget)
    assert later.waiting()
    first.answer()
    assert budget.limit == 3 and budget.in_flight == 1
    assert later.waiting(), "a place is free, but the round is not answered yet"
    second.answer()
    assert budget.limit == 4
    assert later.started.wait(5)  # the round is over: the next begins
    later.answer()
    assert budget.requests == 3 and budget.in_flight == 0


def test_a_round_is_limit_requests_even_when_some_are_answered_before_the_last_starts(clock):
    # Fast answers free places before the round is all in flight: the round is still `limit` requests, not
    # `limit` plus every one a fast answer let through (the API's burst met by 8 of a round of 4), and a round
    # that never had all its requests in flight at once did not reach the limit: it does not grow it.
    budget = make(clock, start=4, most=8)
    early = Held(budget)
    early.answer()  # the only one in flight, answered: the round goes on (1 of 4)
    assert budget.limit == 4 and budget.in_flight == 0
    round_ = [Held(budget) for _request in range(3)]
    assert all(held.started.wait(5) for held in round_)
    beyond = Held(budget)
    assert beyond.waiting(), "one place is free, but the round of four has all started"
    round_[0].answer()
    assert beyond.waiting() and budget.limit == 4
    round_[1].answer()
    round_[2].answer()
    assert budget.limit == 4, "never four in flight at once: the limit was not reached"
    assert beyond.started.wait(5)  # the round is over: the next begins
    beyond.answer()
    assert budget.requests == 5 and budget.in_flight == 0


def test_each_round_at_the_limit_answered_in_full_doubles_the_limit_up_to_most(clock):
    budget, limits = make(clock, start=1, most=40), []
    while budget.limit < budget.most:
        limits.append(budget.limit)
        with contextlib.ExitStack() as round_:
            for _request in range(budget.limit):
                round_.enter_context(budget.turn())["status"] = 200
    assert limits == [1, 2, 4, 8, 16, 32] and budget.limit == 40


def test_a_429_in_a_round_of_l_sets_l_minus_one_whatever_the_round_had_grown_to(clock):
    budget = make(clock, start=4, most=8)
    round_ = [Held(budget) for _request in range(4)]
    assert all(held.started.wait(5) for held in round_)
    others = [Held(budget), Held(budget)]
    round_[0].answer()
    round_[1].answer()
    assert budget.limit == 6
    assert all(held.waiting() for held in others), "none starts before the round is answered"
    assert round_[2].answer(429)["lowered_to"] == 3
    assert (budget.limit, budget.most) == (3, 3)
    round_[3].answer()
    for held in others:  # the limit no longer grows: no more rounds, three at a time
        held.answer()
    assert budget.limit == 3 and budget.in_flight == 0 and budget.requests == 6


def test_no_more_requests_are_in_flight_than_the_limit_whatever_the_threads(clock):
    budget, lock, seen = make(clock, start=2, most=5), threading.Lock(), []

    def job():
        with budget.turn() as answered:
            with lock:
                seen.append(budget.in_flight)
            threading.Event().wait(0.002)
            answered["status"] = 200
        return True

    # Ten threads, five requests in flight at most: the budget, not the pool, decides.
    outcomes = {}
    in_thread(lambda: outcomes.update(run_all(budget, [(n, job) for n in range(60)], most=10)))
    assert outcomes == dict.fromkeys(range(60), (True, None))
    assert max(seen[:2]) <= 2 and max(seen) == 5 == budget.limit


# -- run_all ------------------------------------------------------------------------------------------


def test_run_all_keeps_each_jobs_value_or_api_error_in_job_order_and_finishes_the_others(clock):
    def job(n):
        if n == 13:
            raise VpsApiError("refused", status=400)
        return n * 2

    outcomes = run_all(make(clock), [(n, lambda n=n: job(n)) for n in range(40)], most=5)
    assert list(outcomes) == list(range(40)) and str(outcomes[13][1]) == "refused" and outcomes[13][0] is None
    assert all(outcomes[n] == (n * 2, None) for n in range(40) if n != 13)


@pytest.mark.parametrize("jobs", [1, 3])
def test_run_all_raises_what_is_not_an_api_error(clock, jobs):
    with pytest.raises(KeyError):
        run_all(make(clock), [(n, lambda: {}["bug"]) for n in range(jobs)])


@pytest.mark.parametrize(
    ("most", "jobs", "threads"), [(1, 3, None), (4, 1, None), (3, 10, 3), (None, 2, 2), (100, 100, MAX_CONCURRENCY)]
)
def test_one_job_or_one_at_a_time_runs_on_the_calling_thread_and_no_more_threads_than_jobs(
    monkeypatch, clock, most, jobs, threads
):
    sizes = []

    class Pool(budget_module.ThreadPoolExecutor):
        def __init__(self, max_workers=None, **kwargs):
            sizes.append(max_workers)
            super().__init__(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(budget_module, "ThreadPoolExecutor", Pool)
    outcomes = run_all(make(clock, most=8), [(n, threading.get_ident) for n in range(jobs)], most)
    assert sizes == ([threads] if threads else [])
    assert (threading.get_ident() in {value for value, _error in outcomes.values()}) is (threads is None)
