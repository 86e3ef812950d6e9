"""Two real `ansible-playbook` runs of the same provision started together, and what they left behind.

The race is made real with the simulator's latency knob: every create is held for HOLD_CREATE
seconds before the API commits it, far longer than the gap between the two runs' start-ups, so
each run lists the account before the other's create exists and both decide to create every name.
Used by test_concurrent_provision.py and by scripts/concurrent_provision.py (the 10-round count).
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness import run_playbook

HOLD_CREATE = 3.0
NAMES = ("race-web-01", "race-web-02", "race-db-01")
FLEET = {
    "vps_servers_defaults": {"plan_id": 1, "os_id": 5, "location": "us-west"},
    "vps_servers": [{"name": name} for name in NAMES],
    "vps_servers_poll_interval": 0.2,
    "vps_servers_wait_timeout": 120,
    "vps_show_fleet": False,
}
SERVER_PLAY = """- name: One server, by vps_server
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Make sure the server exists
      vpsorg.cloud.vps_server:
        name: race-solo-01
        plan_id: 1
        os_id: 5
        location: us-west
"""


def hold_creates(sim):
    sim.add_fault(kind="latency", seconds=HOLD_CREATE, method="POST", path=r"^/api/v1/servers/$")


def servers_per_name(sim) -> dict:
    return dict(Counter(server["name"] for server in sim.servers()))


def creates_sent(sim) -> int:
    return sum(1 for entry in sim.requests() if entry["method"] == "POST" and entry["path"].endswith("/servers/"))


def two_runs(sim, workdir, playbook="provision"):
    """Reset the account, start two identical runs at once, wait for both; returns (results, counts, creates)."""
    sim.reset()
    hold_creates(sim)
    workdir = Path(workdir)
    if playbook == "provision":
        target, extra_vars = Path("vpsorg.cloud.provision"), FLEET
    else:
        target, extra_vars = SERVER_PLAY, None
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(run_playbook, workdir / f"run-{n}", target, sim=sim, extra_vars=extra_vars, verbosity=1)
            for n in (1, 2)
        ]
        results = [future.result() for future in futures]
    return results, servers_per_name(sim), creates_sent(sim)
