"""The simulator for the ansible-rulebook tests, with a token that is easy to look for in output."""

from __future__ import annotations

import sys
from pathlib import Path

# The integration suite's harness (base environment, API helpers, token scan) is shared.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from harness import secret_token_simulator_fixtures
from rulebook import PROVISION_DELAY, TRANSITION_DELAY

sim, clean_sim = secret_token_simulator_fixtures("eda", PROVISION_DELAY, TRANSITION_DELAY)
