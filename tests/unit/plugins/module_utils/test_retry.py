"""Which answers may simply be repeated, and how long to wait."""

from __future__ import annotations

import datetime
import random

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import retry


@pytest.mark.parametrize(
    ("method", "status", "repeat", "maybe"),
    [
        ("GET", 429, True, False),
        ("GET", 503, True, False),
        ("GET", 500, True, False),
        ("POST", 429, True, False),
        ("POST", 502, False, True),
        ("POST", 503, False, True),
        ("POST", 504, False, True),
        ("POST", 500, False, True),
        ("DELETE", 502, False, True),
        ("PATCH", 400, False, False),
    ],
)
def test_repeat_and_ambiguity(method, status, repeat, maybe):
    assert retry.safe_to_repeat(method, status) is repeat
    assert retry.may_have_happened(method, status) is maybe


def test_retry_after_forms():
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    assert retry.parse_retry_after("3", now) == 3.0
    assert retry.parse_retry_after("-3", now) == 0.0
    assert retry.parse_retry_after("Thu, 01 Jan 2026 00:00:10 GMT", now) == 10.0
    assert retry.parse_retry_after("soon", now) is None
    assert retry.parse_retry_after(None, now) is None


def test_delays_are_capped():
    rng = random.Random(1)
    assert retry.retry_delay(0, 10**9, rng) == retry.RETRY_AFTER_CAP
    assert all(0 <= retry.backoff_delay(attempt, rng) <= retry.BACKOFF_CAP for attempt in range(50))


def test_poll_intervals_grow_to_the_cap():
    intervals = retry.poll_intervals()
    first = [next(intervals) for _count in range(20)]
    assert first[0] == retry.POLL_FIRST and first[-1] == retry.POLL_CAP and first == sorted(first)
