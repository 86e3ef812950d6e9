"""A whole fleet against a tight rate limit: no failed task, no duplicate server.

The simulator's own limit (a token bucket per token, 429 with Retry-After as DRF throttles answer)
is set well below what the runs would send unthrottled, so every run meets 429 answers; each
scenario is a row of the fault report (make faults).
"""

from __future__ import annotations

import pytest
from fault_rows import duplicates, failed_tasks
from harness import rate_limit, run_playbook
from vps_sim.testing import Simulator

RATE, BURST = 2.0, 2
FLEET = [{"name": f"limited-{i:02d}"} for i in range(1, 25)]
PROVISION_PLAY = "- name: Provision\n  ansible.builtin.import_playbook: vpsorg.cloud.provision\n"


@pytest.fixture(scope="module")
def sim():
    with Simulator(provision_delay=0.6, transition_delay=0.3) as simulator:
        yield simulator


def fleet_vars(servers):
    return {
        "vps_servers": servers,
        "vps_servers_defaults": {"plan_id": 1, "os_id": 5, "location": "us-west"},
        "vps_servers_poll_interval": 0.5,
        "vps_show_fleet": False,
    }


def test_a_fleet_at_a_tight_limit_converges_once_then_rests(sim, tmp_path, fault_row):
    sim.reset()
    with rate_limit(sim, RATE, BURST):
        first = run_playbook(tmp_path / "1", PROVISION_PLAY, sim=sim, extra_vars=fleet_vars(FLEET), verbosity=1)
        second = run_playbook(tmp_path / "2", PROVISION_PLAY, sim=sim, extra_vars=fleet_vars(FLEET), verbosity=1)
    throttled = sim.counters()["throttled"]
    fault_row.add(
        f"{len(FLEET)}-server fleet (role) at {RATE:g} requests/s, burst {BURST}, run twice",
        sim,
        [first, second],
        throttled,
        duplicates(sim),
        rate_applies=True,
    )
    assert first.rc == 0, first.output[-3000:]
    assert second.rc == 0, second.output[-3000:]
    assert failed_tasks(first) == failed_tasks(second) == 0
    assert second.recap["localhost"]["changed"] == 0
    assert throttled > 0, "the limit was never reached: the scenario tests nothing"
    servers = sim.servers()
    assert sorted(s["name"] for s in servers) == [entry["name"] for entry in FLEET]
    assert duplicates(sim) == 0
    assert {s["status"] for s in servers} == {"active"}
    creates = [e for e in sim.requests() if e["method"] == "POST" and e["path"] == "/api/v1/servers/"]
    assert sum(1 for e in creates if e["status"] == 201) == len(FLEET)
