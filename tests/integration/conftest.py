"""Fixtures shared by the integration tests: one simulator per test module (xdist-safe)."""

from __future__ import annotations

import pytest
from vps_sim.testing import Simulator

# Short but non-zero delays: the modules must really wait through provisioning and
# power transitions, yet a full run of the suite stays within minutes.
PROVISION_DELAY = 0.6
TRANSITION_DELAY = 0.3


@pytest.fixture(scope="module")
def sim():
    with Simulator(provision_delay=PROVISION_DELAY, transition_delay=TRANSITION_DELAY) as simulator:
        yield simulator


@pytest.fixture
def clean_sim(sim):
    sim.reset()
    return sim
