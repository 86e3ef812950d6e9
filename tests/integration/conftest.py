"""Fixtures shared by the integration tests: one simulator per test module (xdist-safe), and the token scan."""

from __future__ import annotations

import json
import os
import pathlib

import harness
import pytest
from fault_rows import FaultRows
from vps_sim.testing import Simulator

# Short but non-zero delays: the modules must really wait through provisioning and
# power transitions, yet a full run of the suite stays within minutes.
PROVISION_DELAY = 0.6
TRANSITION_DELAY = 0.3


# The integration tests the other ansible-core versions run again (make compat), each with what it has
# caught or guards that differs between versions (git log, tests/integration/compat.py). Every other
# integration test is marked core_independent: the main line runs it, `make compat-all` runs it on every
# version before a release. The unit suite runs on every version.
CORE_SENSITIVE = {
    "test_token_ansible_debug.py": "2.22 prints a module's raw answer under ANSIBLE_DEBUG (_ansible_new_secrets)",
    "test_hostile_inputs.py": "2.21 refuses a NUL byte in module arguments in its own syslog step",
    "test_token_secrecy.py": "2.21 leaves invocation out, 2.22 masks with $REDACTED$, 2.16 wraps warnings",
    "test_role_check_diff.py": "the token in the role's --check --diff output",
    "test_role_servers.py": "2.16 takes only whole seconds in until/delay",
    "test_inventory.py": "2.19 tags untrusted strings and keeps native types; --flush-cache from 2.19",
    "test_inventory_several_accounts.py": "tokens templated from extra vars, warnings and keyed groups per core",
    "test_inventory_constructed.py": "2.16-2.18 templated a plain reference differently",
    "test_deprecations.py": "each version's own deprecation warnings",
    "test_vps_server.py": "the module flow end to end, as a smoke run",
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "prints_token_on_purpose: the test prints an API token itself; its runs skip the token scan"
    )
    config.addinivalue_line("markers", "core_independent: not run again on the other ansible-core versions")


def pytest_collection_modifyitems(items):
    # The hook sees every item of the session (the unit suite too, when both run in one session).
    here = pathlib.Path(__file__).parent
    for item in items:
        if item.path.parent == here and item.path.name not in CORE_SENSITIVE:
            item.add_marker(pytest.mark.core_independent)


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
