"""The pause gate learns the API's pace from its 429 answers, so a limit is met rarely.

A token bucket like the API's (and the simulator's) and a client that sends as fast as it may,
over a clock that only moves when slept: no threads, no timing luck.
"""

from __future__ import annotations

import math

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import retry
from ansible_collections.vpsorg.cloud.plugins.module_utils.pacing import MAX_ANSWERS_KEPT, PauseGate


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class Bucket:
    """`rate` tokens a second, up to `burst`; a refusal says the whole seconds until the next token."""

    def __init__(self, clock, rate, burst):
        self.clock, self.rate, self.burst = clock, rate, burst
        self.tokens, self.updated = float(burst), 0.0

    def take(self):
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0
        return max(1, math.ceil((1 - self.tokens) / self.rate - 1e-9))


def send(requests, rate, burst, learn=True, retry_after_known=True):
    """What a client that never waits on its own sends, as Transport tells the gate: (refusals, seconds, gate)."""
    clock = Clock()
    gate, bucket = PauseGate(clock, clock.sleep), Bucket(clock, rate, burst)
    refusals = done = 0
    while done < requests:
        gate.slot()
        retry_after = bucket.take()
        if retry_after:
            refusals += 1
            if learn:
                gate.refused(retry_after if retry_after_known else None)
            gate.hold(retry_after)
        else:
            gate.took()
            done += 1
    return refusals, clock.now, gate


@pytest.mark.parametrize(("rate", "burst"), [(5, 5), (2, 2), (0.5, 1), (10, 10)])
def test_a_limit_whose_burst_is_one_retry_after_of_requests_is_learned_from_its_first_refusal(rate, burst):
    # DRF's throttles (a number of requests per window) look like this from outside.
    refusals, took, gate = send(300, rate, burst)
    assert refusals == 1
    # Never slower than one request per Retry-After (whole seconds), the API's own wait for one.
    assert gate.spacing == pytest.approx(min(1 / (rate * retry.PACE_MARGIN), math.ceil(1 / rate)), rel=0.05)
    assert took <= 1.25 * (300 - burst) / rate


@pytest.mark.parametrize(("rate", "burst"), [(10, 20), (3, 10), (5, 60)])
def test_a_burst_larger_than_the_rate_paces_too_fast_at_first_and_is_corrected_by_the_second_refusal(rate, burst):
    refusals, took, gate = send(300, rate, burst)
    assert refusals == 2
    # The second measurement spans the pause and the fast first pace: up to a tenth slower than the API allows.
    assert 1 / (rate * retry.PACE_MARGIN) * 0.95 <= gate.spacing <= 1 / (rate * retry.PACE_MARGIN) * 1.1
    assert took <= 1.25 * (300 - burst) / rate


@pytest.mark.parametrize(("rate", "burst"), [(5, 5), (2, 2), (10, 20), (0.5, 1), (3, 10)])
def test_without_retry_after_two_refusals_teach_the_pace(rate, burst):
    refusals, took, gate = send(300, rate, burst, retry_after_known=False)
    assert refusals == 2
    assert gate.spacing == pytest.approx(1 / (rate * retry.PACE_MARGIN), rel=0.05)
    # The whole run costs about what the limit itself imposes, not more than 1.25x.
    assert took <= 1.25 * (300 - burst) / rate


def answered(requests, apart=0.0, clock=None):
    """A gate through which `requests` went and were taken, `apart` seconds from one to the next."""
    clock = clock or Clock()
    gate = PauseGate(clock, clock.sleep)
    for _request in range(requests):
        gate.slot()
        gate.took()
        clock.sleep(apart)
    return gate, clock


def refused_after_a_burst(gate, burst, retry_after):
    """`burst` requests taken at once, then a 429: the next request waits out the pause."""
    for _request in range(burst):
        gate.slot()
        gate.took()
    gate.refused(retry_after)
    gate.hold(retry_after)
    gate.slot()


def test_the_first_pace_waits_for_the_pause_to_end_so_every_answer_of_the_burst_counts():
    gate, clock = answered(3)
    gate.refused(2)
    gate.hold(2)
    gate.took()  # an answer of the burst that came in during the pause
    assert gate.spacing == 0
    gate.slot()
    assert clock.now == 2 and gate.spacing == pytest.approx(2 / 4 / retry.PACE_MARGIN)


def test_the_first_pace_counts_only_the_answers_of_the_last_retry_after():
    # An hour of polls at one request a minute, then a burst the API refuses after five: the pace is
    # the burst's, not the hour's (which would be 65 requests over one second).
    gate, _clock = answered(60, apart=60)
    refused_after_a_burst(gate, 5, retry_after=1)
    assert gate.spacing == pytest.approx(1 / 5 / retry.PACE_MARGIN)


def test_an_answer_exactly_one_retry_after_before_the_429_counts_and_old_answer_times_are_bounded():
    gate, clock = answered(1, apart=2)
    refused_after_a_burst(gate, 4, retry_after=2)
    assert clock.now == 4 and gate.spacing == pytest.approx(2 / 5 / retry.PACE_MARGIN)
    for _request in range(MAX_ANSWERS_KEPT + 10):
        gate.took()
    assert len(gate._taken) == MAX_ANSWERS_KEPT


def test_without_learning_a_client_meets_the_limit_after_every_burst():
    refusals, _took, _gate = send(300, 5, 5, learn=False)
    assert refusals >= 50


def test_no_429_means_no_pause_between_requests():
    clock = Clock()
    gate = PauseGate(clock, clock.sleep)
    for _request in range(100):
        gate.slot()
    assert clock.now == 0 and gate.spacing == 0


def test_one_429_alone_teaches_nothing_and_the_gate_only_ever_slows_down():
    clock = Clock()
    gate = PauseGate(clock, clock.sleep)
    gate.slot()
    gate.refused()
    assert gate.spacing == 0
    for _request in range(5):
        gate.slot()
    clock.now = 2.0
    gate.refused()  # 4 requests taken in 2 s
    assert gate.spacing == pytest.approx(0.5 / retry.PACE_MARGIN)
    learned = gate.spacing
    for _request in range(11):
        gate.slot()
    # Refused again at the learned pace: the API takes less than that, so the gate slows down more.
    gate.refused()
    assert gate.spacing > learned


def test_a_quiet_stretch_between_two_429s_never_paces_slower_than_their_retry_after():
    # Refused, then a minute of a few polls (the API was not the limit then), then refused again.
    clock = Clock()
    gate = PauseGate(clock, clock.sleep)
    gate.slot()
    gate.refused(1)
    for _poll in range(12):
        clock.sleep(5)
        gate.slot()
    gate.slot()
    gate.refused(1)
    assert gate.spacing == 1
