"""Fixtures of the controller suite: a simulator whose token is easy to search for, and the controller venv."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The integration suite's harness (base environment, API helpers) is shared.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from controller import require_controller_venv
from harness import secret_token_simulator_fixtures

sim, clean_sim = secret_token_simulator_fixtures("ctl", provision_delay=0.3, transition_delay=0.2)


@pytest.fixture(scope="session", autouse=True)
def controller_venv() -> Path:
    """Fails every test, saying how to build it, when the controller venv is missing."""
    return require_controller_venv()
