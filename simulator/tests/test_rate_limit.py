"""The rate limit: a token bucket per API token, refusing with DRF's 429 and a whole-second Retry-After.

The bucket itself is checked on a clock the test moves; the rest over HTTP against real simulator
processes (started with --rate-limit, and set on the control plane).
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests
from conftest import OTHER_TOKEN, Api
from hypothesis import given, settings
from hypothesis import strategies as st
from vps_sim.rate_limit import RateLimiter
from vps_sim.testing import Simulator, SimulatorError

THROTTLED = "Request was throttled. Expected available in {} second{}."


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(rate, burst=None):
    clock = Clock()
    return RateLimiter(rate, burst, clock=clock), clock


# -- the bucket ------------------------------------------------------------------------------------


def test_off_by_default_admits_everything():
    bucket, _clock = limiter(None)
    assert [bucket.take("a") for _attempt in range(1000)] == [0] * 1000
    assert bucket.public() == {"rate_limit": None, "rate_burst": None, "retry_after": None}


def test_a_full_bucket_admits_the_burst_at_once_then_refuses():
    bucket, _clock = limiter(2, 5)
    assert [bucket.take("a") for _attempt in range(5)] == [0] * 5
    assert bucket.take("a") == 1


def test_the_bucket_refills_at_the_rate_and_never_above_the_burst():
    bucket, clock = limiter(2, 3)
    for _attempt in range(3):
        assert bucket.take("a") == 0
    clock.now += 0.5  # one token back at 2/s
    assert bucket.take("a") == 0
    assert bucket.take("a") == 1
    clock.now += 3600  # an idle hour fills the bucket to the burst, no more
    assert [bucket.take("a") for _attempt in range(4)] == [0, 0, 0, 1]


def test_a_refused_request_takes_no_token():
    bucket, clock = limiter(1, 1)
    assert bucket.take("a") == 0
    for _attempt in range(10):
        assert bucket.take("a") == 1
    clock.now += 1.0
    assert bucket.take("a") == 0


def test_each_token_has_its_own_bucket():
    bucket, _clock = limiter(1, 2)
    assert [bucket.take("a") for _attempt in range(3)] == [0, 0, 1]
    assert [bucket.take("b") for _attempt in range(3)] == [0, 0, 1]


@pytest.mark.parametrize(
    ("rate", "elapsed", "wait"),
    [
        (5, 0.0, 1),  # 0.2 s to the next token: a whole second, as DRF rounds
        (5, 0.19, 1),
        (1, 0.0, 1),
        (1, 0.5, 1),
        (0.5, 0.0, 2),
        (0.5, 0.1, 2),  # 1.8 s left
        (0.5, 1.0, 1),  # 1.0 s left exactly
        (0.1, 0.0, 10),
        (0.3, 0.0, 4),  # 3.33 s
    ],
)
def test_retry_after_is_the_wait_for_the_next_token_rounded_up(rate, elapsed, wait):
    bucket, clock = limiter(rate, 1)
    assert bucket.take("a") == 0
    clock.now += elapsed
    assert bucket.take("a") == wait


def test_burst_defaults_to_one_seconds_worth():
    assert RateLimiter(5).burst == 5
    assert RateLimiter(2.5).burst == 3
    assert RateLimiter(0.2).burst == 1


def test_configure_refills_every_bucket_and_zero_turns_the_limit_off():
    bucket, _clock = limiter(1, 1)
    bucket.take("a")
    assert bucket.take("a") == 1
    bucket.configure(1, 2)
    assert [bucket.take("a") for _attempt in range(3)] == [0, 0, 1]
    bucket.configure(0)
    assert bucket.public() == {"rate_limit": None, "rate_burst": None, "retry_after": None} and bucket.take("a") == 0
    with pytest.raises(ValueError, match="burst"):
        bucket.configure(1, 0)
    with pytest.raises(ValueError, match="rate"):
        bucket.configure(-1)


def test_a_fixed_retry_after_replaces_the_wait_but_not_the_bucket():
    bucket, clock = limiter(5, 5)
    bucket.configure(5, 5, retry_after=3600)
    assert bucket.public() == {"rate_limit": 5.0, "rate_burst": 5, "retry_after": 3600}
    assert [bucket.take("a") for _attempt in range(6)] == [0] * 5 + [3600]
    clock.now += 0.2  # the bucket still refills at the rate
    assert [bucket.take("a") for _attempt in range(2)] == [0, 3600]
    bucket.configure(5, 5)
    assert bucket.public()["retry_after"] is None
    assert [bucket.take("a") for _attempt in range(6)] == [0] * 5 + [1]
    bucket.configure(None, retry_after=60)
    assert bucket.public() == {"rate_limit": None, "rate_burst": None, "retry_after": None}
    with pytest.raises(ValueError, match="retry_after"):
        bucket.configure(1, 1, retry_after=0)


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(min_value=0.1, max_value=50),
    burst=st.integers(min_value=1, max_value=20),
    gaps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=120),
)
def test_no_window_admits_more_than_burst_plus_rate_times_its_length(rate, burst, gaps):
    bucket, clock = limiter(rate, burst)
    admitted = []
    for gap in gaps:
        clock.now += gap
        if bucket.take("a") == 0:
            admitted.append(clock.now)
    for first, start in enumerate(admitted):
        for last in range(first, len(admitted)):
            count = last - first + 1
            assert count <= burst + rate * (admitted[last] - start) + 1e-6


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(min_value=0.1, max_value=50),
    burst=st.integers(min_value=1, max_value=20),
    gaps=st.lists(st.floats(min_value=0, max_value=0.5), max_size=50),
)
def test_waiting_retry_after_is_always_enough_and_a_second_less_is_not(rate, burst, gaps):
    bucket, clock = limiter(rate, burst)
    for gap in gaps:
        clock.now += gap
        bucket.take("a")
    while (wait := bucket.take("a")) == 0:
        pass
    # A refused request takes nothing, so probing a second early does not change what follows.
    if wait > 1:
        clock.now += wait - 1
        assert bucket.take("a") > 0, "Retry-After asked for a second more than needed"
        clock.now += 1
    else:
        clock.now += wait
    assert bucket.take("a") == 0


# -- over HTTP -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited():
    # One token every 20 s: a test's requests never see a refill, however slow the machine.
    with Simulator(tokens=["vps-demo-token", OTHER_TOKEN], rate_limit=0.05, rate_burst=3) as simulator:
        yield simulator


@pytest.fixture
def fresh(limited):
    limited.reset()
    return limited


def test_beyond_the_burst_the_api_answers_429_like_drf(fresh):
    api = Api(fresh, fresh.token)
    assert [api.get("/servers/").status_code for _attempt in range(3)] == [200, 200, 200]
    refused = api.get("/servers/")
    assert refused.status_code == 429
    # 20 s to the next token, less the time the requests took (the exact rounding: the bucket tests).
    wait = int(refused.headers["Retry-After"])
    assert 15 <= wait <= 20
    assert refused.headers["Content-Type"].startswith("application/json")
    assert refused.json() == {"detail": THROTTLED.format(wait, "s")}
    assert api.post("/servers/", json={"name": "x", "plan_id": 1, "os_id": 5, "location": "us-west"}).status_code == 429
    assert fresh.servers() == [], "a throttled create must not create"
    assert fresh.counters()["mutating"] == 0


def test_the_other_token_is_not_slowed_and_bad_tokens_get_401_without_spending(fresh):
    api, other = Api(fresh, fresh.token), Api(fresh, OTHER_TOKEN)
    for _attempt in range(3):
        api.get("/servers/")
    assert api.get("/servers/").status_code == 429
    assert [other.get("/servers/").status_code for _attempt in range(4)] == [200, 200, 200, 429]
    stranger = Api(fresh, "no-such-token")
    assert {stranger.get("/servers/").status_code for _attempt in range(10)} == {401}


def test_throttled_answers_are_counted_and_logged(fresh):
    api = Api(fresh, fresh.token)
    statuses = [api.get("/servers/").status_code for _attempt in range(7)]
    assert statuses == [200] * 3 + [429] * 4
    counters = fresh.counters()
    assert counters["throttled"] == 4 and counters["total"] == 7 and counters["faulted"] == 0
    assert [entry["status"] for entry in fresh.requests()] == statuses


def test_a_fault_rule_429_is_counted_as_a_fault_not_as_the_limit(fresh):
    fresh.set_rate_limit(None)
    fresh.add_fault(kind="status", status=429, retry_after=3, count=1)
    api = Api(fresh, fresh.token)
    assert api.get("/servers/").status_code == 429
    assert fresh.counters()["throttled"] == 0 and fresh.counters()["faulted"] == 1


def test_the_control_plane_sets_and_reads_the_limit_and_reset_restores_the_command_line(fresh):
    assert fresh.rate_limit_settings() == {"rate_limit": 0.05, "rate_burst": 3, "retry_after": None}
    assert fresh.set_rate_limit(1, 1) == {"rate_limit": 1.0, "rate_burst": 1, "retry_after": None}
    api = Api(fresh, fresh.token)
    assert [api.get("/servers/").status_code for _attempt in range(2)] == [200, 429]
    assert fresh.set_rate_limit(None) == {"rate_limit": None, "rate_burst": None, "retry_after": None}
    assert {api.get("/servers/").status_code for _attempt in range(20)} == {200}
    assert fresh.set_rate_limit(4) == {"rate_limit": 4.0, "rate_burst": 4, "retry_after": None}
    reset = fresh.reset()
    assert reset["rate_limit"] == 0.05 and reset["rate_burst"] == 3
    assert fresh.rate_limit_settings() == {"rate_limit": 0.05, "rate_burst": 3, "retry_after": None}


def test_an_hourly_quota_answers_429_with_retry_after_3600(fresh):
    # A slow rate, so that no token comes back during the test: the computed wait would be about 20 s.
    settings = fresh.set_rate_limit(0.05, 5, retry_after=3600)
    assert settings == {"rate_limit": 0.05, "rate_burst": 5, "retry_after": 3600}
    api = Api(fresh, fresh.token)
    assert [api.get("/servers/").status_code for _attempt in range(5)] == [200] * 5
    refused = api.get("/servers/")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3600"
    assert refused.json() == {"detail": THROTTLED.format(3600, "s")}
    assert fresh.counters()["throttled"] == 1
    assert fresh.reset()["retry_after"] is None
    assert fresh.rate_limit_settings()["retry_after"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"rate_limit": -1},
        {"rate_limit": "fast"},
        {"rate_limit": 5, "rate_burst": 0},
        {"rate_limit": 5, "rate_burst": 1.5},
        {"rate_burst": 5},
        {"rate_limit": 5, "window": 60},
        {"rate_limit": 5, "retry_after": 0},
        {"rate_limit": 5, "retry_after": 1.5},
        {"rate_limit": 5, "retry_after": "1h"},
    ],
)
def test_the_control_plane_refuses_bad_settings_and_keeps_the_old_ones(fresh, body):
    with pytest.raises(SimulatorError, match="400"):
        fresh.admin("PUT", "/_sim/rate-limit", body)
    assert fresh.rate_limit_settings() == {"rate_limit": 0.05, "rate_burst": 3, "retry_after": None}


def test_without_the_option_nothing_is_throttled(clean, api):
    assert {api.get("/servers/").status_code for _attempt in range(60)} == {200}
    assert clean.rate_limit_settings() == {"rate_limit": None, "rate_burst": None, "retry_after": None}
    assert clean.counters()["throttled"] == 0


def test_the_limit_holds_the_rate_over_time(fresh):
    fresh.set_rate_limit(5, 2)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {fresh.token}"
    statuses = []
    started = time.monotonic()
    while time.monotonic() - started < 1.0:
        statuses.append(session.get(fresh.api_url + "/servers/", timeout=10).status_code)
    elapsed = time.monotonic() - started
    assert statuses.count(429) > 0
    assert statuses.count(200) <= 2 + 5 * elapsed + 1


def test_cli_refuses_a_burst_without_a_rate_and_a_negative_rate():
    for args, message in ((["--rate-burst", "5"], "--rate-burst needs --rate-limit"), (["--rate-limit", "-1"], ">= 0")):
        result = subprocess.run(
            [sys.executable, "-m", "vps_sim.cli", *args], capture_output=True, text=True, timeout=30, check=False
        )
        assert result.returncode == 2 and message in result.stderr
