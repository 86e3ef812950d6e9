"""Fixtures of the controller suite: a simulator whose token is easy to search for, and the controller venv."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest
from vps_sim.testing import Simulator

# The integration suite's harness (base environment, API helpers) is shared.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from controller import require_controller_venv

PROVISION_DELAY = 0.3
TRANSITION_DELAY = 0.2


@pytest.fixture(scope="session")
def controller_bin() -> Path:
    return require_controller_venv()


@pytest.fixture(scope="module")
def sim():
    token = "ctl-secret-" + secrets.token_hex(12)
    with Simulator(tokens=[token], provision_delay=PROVISION_DELAY, transition_delay=TRANSITION_DELAY) as simulator:
        yield simulator


@pytest.fixture
def clean_sim(sim):
    sim.reset()
    return sim
