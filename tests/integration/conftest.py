"""Fixtures shared by the integration tests: one simulator per test module (xdist-safe), and the token scan."""

from __future__ import annotations

import json
import os

import harness
import pytest
from fault_rows import FaultRows
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


@pytest.fixture
def fault_row(request):
    """The test's fault-report rows (fault_rows.py); appended to $VPS_FAULT_REPORT after the test with
    its outcome (passed or failed), so a failing scenario shows as failing."""
    rows = FaultRows(request.node.name)
    yield rows
    path = os.environ.get("VPS_FAULT_REPORT")
    report = getattr(request.node, "rep_call", None)
    if path:
        outcome = "passed" if report is not None and report.passed else "failed"
        with open(path, "a", encoding="utf-8") as handle:
            for row in rows.rows or [rows.values]:
                handle.write(json.dumps({**row, "outcome": outcome}) + "\n")
