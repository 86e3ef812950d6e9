"""What the client tests run on: the fake HTTP layer (responses), so no request leaves the process, and a
fake clock, so no test waits."""

from __future__ import annotations

import pytest
import responses


@pytest.fixture
def api():
    """A responses mock: each test adds the answers it needs; an answer it does not use is no failure."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


class FakeClock:
    """Time that only moves when the client sleeps; a client that keeps retrying fails the test fast."""

    MAX_SLEEPS = 20

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        assert len(self.sleeps) < self.MAX_SLEEPS, "retrying without end"
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return FakeClock()
