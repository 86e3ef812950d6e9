"""The dynamic inventory of a large account against a tight rate limit: every server, no failure.

The listing reads its pages concurrently, so at a limit of 2 requests/s (burst 2) its readers meet
429 answers at once; the run must still list every server exactly once, inside the client's retry
budget, with one request per page plus the refused ones. A row of the fault report (make faults).
"""

from __future__ import annotations

import pytest
from harness import rate_limit, run_inventory
from vps_sim.testing import Simulator

RATE, BURST = 2.0, 2
SERVERS, PAGES = 1500, 15


@pytest.fixture(scope="module")
def sim():
    with Simulator(provision_delay=0.6, transition_delay=0.3) as simulator:
        yield simulator


def test_an_inventory_at_a_tight_limit_lists_every_server_once(sim, tmp_path, fault_row):
    sim.reset()
    sim.seed(SERVERS)
    sim.clear_requests()
    with rate_limit(sim, RATE, BURST):
        result = run_inventory(tmp_path, "plugin: vpsorg.cloud.vps\n", sim=sim, verbosity=0)
    throttled = sim.counters()["throttled"]
    fault_row.add(
        f"inventory of {SERVERS:,} servers at {RATE:g} requests/s, burst {BURST}",
        sim,
        [result],
        throttled,
        0,
        rate_applies=True,
    )
    assert result.rc == 0, result.output[-3000:]
    hosts = result.json()["_meta"]["hostvars"]
    assert len(hosts) == SERVERS
    assert throttled > 0, "the limit was never reached: the scenario tests nothing"
    listed = [e for e in sim.requests() if e["method"] == "GET" and e["status"] == 200]
    assert len(listed) == PAGES
