"""The concurrent executor: one sibling client per thread, one shared pause, failures kept apart."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
import responses
from ansible_collections.vpsorg.cloud.plugins.module_utils import executor as executor_module
from ansible_collections.vpsorg.cloud.plugins.module_utils.client import VpsClient
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.executor import MAX_CONCURRENCY, Executor

API = "https://api.test/api/v1"
JSON = "application/json"


def detail(server_id):
    return {"id": server_id, "name": f"s-{server_id}", "status": "active"}


class SleepRecorder:
    """Records who was asked to sleep how long, without sleeping."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_thread = {}

    def __call__(self, seconds):
        with self.lock:
            self.by_thread.setdefault(threading.get_ident(), []).append(seconds)


def test_a_429_with_retry_after_pauses_every_worker_of_the_pool():
    sleeps = SleepRecorder()
    client = VpsClient(API, "tok-123", retries=3, sleep=sleeps, clock=time.monotonic)
    throttled = threading.Event()
    second_started = threading.Event()
    served = {"first": True}

    def answer(request):
        if request.url.endswith("/servers/1/") and served.pop("first", False):
            return 429, {"Retry-After": "30", "Content-Type": JSON}, '{"detail": "Request was throttled."}'
        server_id = int(request.url.rstrip("/").rsplit("/", 1)[1])
        return 200, {"Content-Type": JSON}, json.dumps(detail(server_id))

    slept = {}  # job -> the pauses its own requests took

    def job(server_id):
        def run(worker):
            mine = sleeps.by_thread.setdefault(threading.get_ident(), [])
            before = len(mine)
            if server_id == 1:
                # Job 2 runs on another thread before job 1 is throttled: the pool really is concurrent.
                assert second_started.wait(10)
            elif server_id == 2:
                second_started.set()
            worker.get_server(server_id)
            if server_id == 1:
                throttled.set()  # the 429 was answered and the pause is on the shared gate
            else:
                assert throttled.wait(10)
                worker.get_server(server_id)
            slept[server_id] = mine[before:]
            return server_id

        return run

    with responses.RequestsMock() as api:
        api.add_callback(responses.GET, re.compile(API + r"/servers/\d+/"), callback=answer)
        executor = Executor(client, concurrency=4, ramp=None)
        outcomes = executor.run([(n, job(n)) for n in (1, 2, 3, 4)])

    assert outcomes == {n: (n, None) for n in (1, 2, 3, 4)}
    # Every job, not only the throttled one, waited out (about) the 30 s asked for.
    for server_id in (1, 2, 3, 4):
        assert any(25 < s <= 30 for s in slept[server_id]), (server_id, slept)
    # Jobs 2-4 block until job 1 is done, so at least two threads ran; all share one gate.
    assert len(executor.workers) >= 2 and all(worker.gate is client.gate for worker in executor.workers)


class Worker:
    def __init__(self, parent):
        self.parent = parent
        self.request_count = 0
        self.throttled = 0


class FakeClient:
    def __init__(self):
        self.request_count = 0
        self.lock = threading.Lock()
        self.workers = 0

    def worker(self):
        with self.lock:
            self.workers += 1
        return Worker(self)


def test_one_failing_job_among_many_is_recorded_and_the_others_finish():
    client = FakeClient()

    def job(n):
        def run(worker):
            worker.request_count += 1
            if n == 13:
                raise VpsApiError("boom", status=500)
            return n * 2

        return run

    executor = Executor(client, concurrency=5)
    outcomes = executor.run([(n, job(n)) for n in range(40)])
    assert list(outcomes) == list(range(40))
    assert str(outcomes[13][1]) == "boom" and outcomes[13][0] is None
    assert all(outcomes[n] == (n * 2, None) for n in range(40) if n != 13)
    assert 1 <= client.workers <= 5
    assert executor.request_count == 40


def test_a_bug_in_a_job_is_not_swallowed():
    executor = Executor(FakeClient(), concurrency=3)

    def broken(_worker):
        raise KeyError("bug")

    with pytest.raises(KeyError):
        executor.run([(1, broken), (2, broken)])


def test_concurrency_is_bounded_and_jobs_overlap():
    assert Executor(FakeClient(), concurrency=1000).concurrency == MAX_CONCURRENCY
    assert Executor(FakeClient(), concurrency=0).concurrency == 1
    barrier = threading.Barrier(3, timeout=5)

    def job(_worker):
        barrier.wait()  # only passes when three jobs run at the same time
        return True

    outcomes = Executor(FakeClient(), concurrency=3, ramp=None).run([(n, job) for n in range(3)])
    assert all(value for value, _error in outcomes.values())


def test_a_task_starts_with_few_requests_at_a_time_and_adds_one_per_round():
    lock, running, most_seen = threading.Lock(), [0], []

    def job(_worker):
        with lock:
            running[0] += 1
            most_seen.append(running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return True

    executor = Executor(FakeClient(), concurrency=6, ramp=2)
    executor.run([(n, job) for n in range(40)])
    # 2 at first, never more than one round's growth at once, and the concurrency reached.
    assert most_seen[:2] == [1, 2] and max(most_seen[:4]) <= 3 and max(most_seen) == 6
    # Once there, a later step starts at the full concurrency.
    barrier = threading.Barrier(6, timeout=5)
    outcomes = executor.run([(n, lambda _worker: barrier.wait() is not None) for n in range(6)])
    assert all(value for value, _error in outcomes.values())


@pytest.mark.parametrize(("concurrency", "jobs"), [(1, 3), (4, 1), (2, 1)])
def test_one_job_or_one_at_a_time_runs_on_the_calling_client(concurrency, jobs):
    client = FakeClient()
    executor = Executor(client, concurrency=concurrency)

    def job(n):
        def run(given):
            if n == 0:
                raise VpsApiError("refused", status=400)
            return given, threading.get_ident()

        return run

    outcomes = executor.run([(n, job(n)) for n in range(jobs)])
    assert outcomes[0][0] is None and str(outcomes[0][1]) == "refused"
    assert all(outcomes[n] == ((client, threading.get_ident()), None) for n in range(1, jobs))
    assert client.workers == 0 and executor.workers == []


@pytest.mark.parametrize(("concurrency", "jobs", "threads"), [(3, 10, 3), (8, 2, 2)])
def test_the_pool_has_no_more_threads_than_the_concurrency_or_the_jobs(monkeypatch, concurrency, jobs, threads):
    sizes = []

    class Pool(executor_module.ThreadPoolExecutor):
        def __init__(self, max_workers=None, **kwargs):
            sizes.append(max_workers)
            super().__init__(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(executor_module, "ThreadPoolExecutor", Pool)
    outcomes = Executor(FakeClient(), concurrency=concurrency).run([(n, lambda worker: 1) for n in range(jobs)])
    assert sizes == [threads] and outcomes == dict.fromkeys(range(jobs), (1, None))


# -- fewer requests at a time after a 429 -------------------------------------------------------


class Throttling:
    """Details of servers 1..n; the first request for each id in `refused` is answered 429 (Retry-After 0)."""

    def __init__(self, refused, delay=0.005):
        self.refused = set(refused)
        self.delay = delay
        self.lock = threading.Lock()
        self.in_flight = 0
        self.in_flight_later = []  # requests at the same time, seen by jobs after id 20

    def __call__(self, request):
        server_id = int(request.url.rstrip("/").rsplit("/", 1)[1])
        with self.lock:
            if server_id in self.refused:
                self.refused.discard(server_id)
                return 429, {"Retry-After": "0", "Content-Type": JSON}, '{"detail": "Request was throttled."}'
            self.in_flight += 1
            if server_id > 20:
                self.in_flight_later.append(self.in_flight)
        time.sleep(self.delay)
        with self.lock:
            self.in_flight -= 1
        return 200, {"Content-Type": JSON}, json.dumps(detail(server_id))


def throttled_run(refused, concurrency, jobs=40, ramp=None):
    logged = []
    client = VpsClient(API, "tok-123", retries=2, sleep=lambda _s: None, log=logged.append)
    limit = Throttling(refused)
    with responses.RequestsMock() as api:
        api.add_callback(responses.GET, re.compile(API + r"/servers/\d+/"), callback=limit)
        executor = Executor(client, concurrency=concurrency, ramp=ramp)
        # Ids 1..4 first, as one step of a task, so their 429s come before the later step starts.
        first = executor.run([(n, lambda worker, n=n: worker.get_server(n)["id"]) for n in (1, 2, 3, 4)])
        rest = executor.run([(n, lambda worker, n=n: worker.get_server(n)["id"]) for n in range(5, jobs + 1)])
    return {**first, **rest}, limit, logged, executor


def test_each_job_answered_429_takes_one_request_at_a_time_off_the_rest_of_the_task():
    outcomes, limit, logged, executor = throttled_run(refused=(1, 2, 3), concurrency=4)
    assert outcomes == {n: (n, None) for n in range(1, 41)}
    assert [line for line in logged if "at a time" in line] == [
        f"the API answered HTTP 429 (too many requests): sending {n} requests at a time from now on" for n in (3, 2, 1)
    ]
    # The later batch ran one request at a time: the lowered count holds for the rest of the task.
    assert limit.in_flight_later and max(limit.in_flight_later) == 1
    assert executor.pool.most == 1 and executor.request_count == 40 + 3


def test_the_last_sender_never_leaves_and_every_job_is_carried_by_the_retries():
    outcomes, _limit, logged, executor = throttled_run(refused=range(1, 41), concurrency=2)
    assert outcomes == {n: (n, None) for n in range(1, 41)}
    assert [line.split(": ", 1)[1] for line in logged if "at a time" in line] == [
        "sending 1 requests at a time from now on"
    ]
    assert executor.request_count == 80


def test_answers_without_429_keep_every_sender():
    outcomes, limit, logged, executor = throttled_run(refused=(), concurrency=4)
    assert outcomes == {n: (n, None) for n in range(1, 41)}
    assert not [line for line in logged if "at a time" in line] and executor.pool.most == 4
    assert max(limit.in_flight_later) > 1


def test_a_429_while_the_task_starts_ends_the_growth_below_the_requests_then_at_work():
    outcomes, limit, logged, executor = throttled_run(refused=(1,), concurrency=8, ramp=2)
    assert outcomes == {n: (n, None) for n in range(1, 41)}
    assert [line.split(": ", 1)[1] for line in logged if "at a time" in line] == [
        "sending 1 requests at a time from now on"
    ]
    assert executor.pool.most == 1 and max(limit.in_flight_later) == 1
