"""Retry-After parsing and backoff bounds, at their edges."""

from __future__ import annotations

import datetime
import random

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import retry


@pytest.mark.parametrize(("header", "seconds"), [("0", 0.0), ("0.5", 0.5), ("-3", 0.0), (" 2 ", 2.0)])
def test_retry_after_seconds_are_taken_as_given_and_never_negative(header, seconds):
    assert retry.parse_retry_after(header) == seconds


def test_retry_after_date_without_zone_is_read_as_utc():
    now = datetime.datetime(2026, 11, 27, 12, 0, 0, tzinfo=datetime.UTC)
    # "-0000" is RFC 5322's "zone unknown": parsed as a naive time, which the API means as UTC.
    assert retry.parse_retry_after("Fri, 27 Nov 2026 12:00:30 -0000", now=now) == 30.0


def test_retry_after_date_is_compared_with_the_current_time():
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=60)
    assert 50 < retry.parse_retry_after(soon.strftime("%a, %d %b %Y %H:%M:%S GMT")) <= 60
    assert retry.parse_retry_after("Thu, 01 Jan 2015 00:00:00 GMT") == 0.0


def test_backoff_grows_with_each_attempt_until_the_cap():
    rng = random.Random(3)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, retry.BACKOFF_CAP)]:
        delays = [retry.backoff_delay(attempt, rng) for _draw in range(400)]
        assert max(delays) <= ceiling
        # Full jitter spreads over the whole range: the largest of 400 draws is near the ceiling.
        assert max(delays) > 0.9 * ceiling


def test_retry_delay_prefers_the_servers_wish_capped():
    rng = random.Random(1)
    assert retry.retry_delay(4, 3.0, rng) == 3.0
    assert retry.retry_delay(0, 10_000.0, rng) == retry.RETRY_AFTER_CAP
    assert 0 <= retry.retry_delay(0, None, rng) <= retry.BACKOFF_BASE
