"""retry.py: which answers may simply be sent again, Retry-After in both forms, and the backoff's bounds."""

from __future__ import annotations

import datetime
import random

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import retry

NOW = datetime.datetime(2026, 11, 27, 12, 0, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("method", "status", "repeat", "maybe"),
    [
        ("GET", 429, True, False),
        ("GET", 503, True, False),
        ("GET", 500, True, False),
        ("GET", 404, False, False),
        ("POST", 429, True, False),
        ("POST", 502, False, True),
        ("POST", 500, False, True),
        ("DELETE", 504, False, True),
        ("PATCH", 400, False, False),
    ],
)
def test_what_may_be_sent_again_and_what_may_have_happened(method, status, repeat, maybe):
    assert retry.safe_to_repeat(method, status) is repeat
    assert retry.may_have_happened(method, status) is maybe


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("0", 0.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        (" 2 ", 2.0),
        (3, 3.0),
        ("Fri, 27 Nov 2026 12:00:09 GMT", 9.0),
        ("Fri, 27 Nov 2026 11:00:00 GMT", 0.0),
        # "-0000" is RFC 5322's "zone unknown": a naive time, which the API means as UTC.
        ("Fri, 27 Nov 2026 12:00:30 -0000", 30.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date_never_negative(header, seconds):
    assert retry.parse_retry_after(header, now=NOW) == seconds


def test_a_retry_after_date_is_compared_with_the_current_time():
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=60)
    assert 50 < retry.parse_retry_after(soon.strftime("%a, %d %b %Y %H:%M:%S GMT")) <= 60


def test_backoff_grows_with_each_attempt_over_its_whole_range_up_to_the_cap():
    rng = random.Random(3)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, retry.BACKOFF_CAP)]:
        delays = [retry.backoff_delay(attempt, rng) for _draw in range(400)]
        assert 0.9 * ceiling < max(delays) <= ceiling and min(delays) < 0.1 * ceiling
