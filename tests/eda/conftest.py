"""The simulator for the ansible-rulebook tests, with a token that is easy to look for in output."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest
from vps_sim.testing import Simulator

# The integration suite's harness (base environment, API helpers, token scan) is shared.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from rulebook import PROVISION_DELAY, TRANSITION_DELAY


@pytest.fixture(scope="module")
def sim():
    token = "eda-secret-" + secrets.token_hex(12)
    with Simulator(tokens=[token], provision_delay=PROVISION_DELAY, transition_delay=TRANSITION_DELAY) as simulator:
        yield simulator


@pytest.fixture
def clean_sim(sim):
    sim.reset()
    sim.set_timings(provision_delay=PROVISION_DELAY, transition_delay=TRANSITION_DELAY)
    return sim
