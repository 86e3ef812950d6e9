"""Make `ansible_collections.vpsorg.cloud` importable when pytest runs from the checkout."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve()
# Unit tests share the integration tests' version normalisation (compat.py).
sys.path.insert(0, str(HERE.parents[1] / "integration"))

# Under ansible-test (and in the mutation copy) the tree already sits in
# ansible_collections/vpsorg/cloud.
if not any(parent.name == "ansible_collections" for parent in HERE.parents):
    from harness import ensure_collection_link

    root = str(ensure_collection_link())
    if root not in sys.path:
        sys.path.insert(0, root)

    # Plugins resolve doc fragments such as vpsorg.cloud.api through Ansible's collection
    # loader, as they do under ansible-test units.
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    _AnsibleCollectionFinder(paths=[root])._install()


# -- the one fake API and the one clock of the unit tests -----------------------------------------
# The simulator's own application, in this process (vps_sim.in_process), on a clock that moves only
# when something sleeps on it: the lifecycle of servers and the client's waits share it. Answers the
# API never gives (a proxy's HTML page, garbled bytes) are made with `responses` where a test needs them.

import pytest  # noqa: E402
from vps_sim.in_process import FakeClock, InProcessSimulator  # noqa: E402

TOKEN = "unit-SECRET-token"
PROVISION_DELAY = 3.0
TRANSITION_DELAY = 1.0


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sim(clock):
    with InProcessSimulator(
        tokens=[TOKEN], clock=clock, provision_delay=PROVISION_DELAY, transition_delay=TRANSITION_DELAY
    ) as simulator:
        yield simulator


@pytest.fixture
def make_client(sim, clock):
    """make_client(**options): the real VpsClient against `sim`, its budget on `clock` (bound 600 s unless given)."""
    from ansible_collections.vpsorg.cloud.plugins.module_utils.client import Budget, VpsClient

    def make(bound=600, start=1, log=None, **options):
        budget = Budget(bound, f"wait_timeout ({bound} s)", start=start, clock=clock, sleep=clock.sleep)
        return VpsClient(sim.api_url, sim.token, budget=budget, session=sim.session(), log=log, **options)

    return make


@pytest.fixture
def client(make_client):
    return make_client()
