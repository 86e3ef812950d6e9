"""Fixtures shared by the integration tests: one simulator per test module (xdist-safe), and the token scan."""

from __future__ import annotations

import harness
import pytest
from vps_sim.testing import Simulator

# Short but non-zero delays: the modules must really wait through provisioning and
# power transitions, yet a full run of the suite stays within minutes.
PROVISION_DELAY = 0.6
TRANSITION_DELAY = 0.3


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "prints_token_on_purpose: the test prints an API token itself; its runs skip the token scan"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keeps the call phase's report on the test item, so a fixture can see after the test how it went.
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


@pytest.fixture(autouse=True)
def every_ansible_run_is_scanned_for_tokens(request):
    """After each test, search the stdout, stderr and task results of every ansible run it made for the API
    tokens that run could have seen (the simulator's tokens, the admin token, VPS_API_TOKEN)."""
    harness.RUNS.clear()
    yield
    runs, harness.RUNS[:] = list(harness.RUNS), []
    if request.node.get_closest_marker("prints_token_on_purpose") is None:
        for result in runs:
            harness.assert_no_secrets(result)


@pytest.fixture(scope="module")
def sim():
    with Simulator(provision_delay=PROVISION_DELAY, transition_delay=TRANSITION_DELAY) as simulator:
        yield simulator


@pytest.fixture
def clean_sim(sim):
    sim.reset()
    return sim
