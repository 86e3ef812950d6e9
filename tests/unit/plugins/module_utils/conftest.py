"""The fake HTTP layer (responses) that the client tests answer through: no request leaves the process."""

from __future__ import annotations

import pytest
import responses


@pytest.fixture
def api():
    """A responses mock: each test adds the answers it needs; an answer it does not use is no failure."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
