"""The checked examples of docs/request-costs.md, measured against the simulator's request log.

Each row of the page's "Checked examples" table is run here (real ansible-playbook and
ansible-inventory runs) in an account of 250 servers, and the requests the simulator logged must be
the number the page states: a change that makes a run cost more, or a page that was not updated
with it, fails here.
"""

from __future__ import annotations

import re

import pytest
from harness import REPO, play, run_inventory, run_playbook
from vps_sim.testing import Simulator

PAGE = REPO / "docs" / "request-costs.md"
ACCOUNT = 250
NEW = [{"name": f"new-{i}"} for i in range(1, 6)]
EXISTING = [{"name": f"cost-{i}"} for i in range(1, 6)]
DEFAULTS = {"plan_id": 1, "os_id": 5, "location": "us-west"}


def documented() -> dict:
    """{run: requests} from the page's "Checked examples" table."""
    text = PAGE.read_text()
    section = text.split("## Checked examples", 1)[1]
    rows = re.findall(r"^\| (.+?) \| (\d+) \|$", section, re.MULTILINE)
    return {run: int(requests) for run, requests in rows}


def task(body: str) -> str:
    return play("    - name: Run\n" + "".join(f"      {line}\n" for line in body.strip().splitlines()))


def first_id(sim) -> int:
    return min(server["id"] for server in sim.servers())


def info_by_id(sim, tmp_path):
    return run_playbook(tmp_path, task(f"vpsorg.cloud.vps_server_info:\n  id: {first_id(sim)}"), sim=sim, verbosity=0)


def info_all(sim, tmp_path):
    return run_playbook(tmp_path, task("vpsorg.cloud.vps_server_info:"), sim=sim, verbosity=0)


def info_location(sim, tmp_path):
    return run_playbook(tmp_path, task("vpsorg.cloud.vps_server_info:\n  location: us-west"), sim=sim, verbosity=0)


def server_by_name(sim, tmp_path):
    return run_playbook(tmp_path, task("vpsorg.cloud.vps_server:\n  name: cost-1"), sim=sim, verbosity=0)


def server_hostname(sim, tmp_path):
    body = f"vpsorg.cloud.vps_server:\n  id: {first_id(sim)}\n  hostname: new.example.com"
    return run_playbook(tmp_path, task(body), sim=sim, verbosity=0)


def power_stop(sim, tmp_path):
    body = f"vpsorg.cloud.vps_server_power:\n  id: {first_id(sim)}\n  state: stopped\n  wait: false"
    return run_playbook(tmp_path, task(body), sim=sim, verbosity=0)


def fleet(servers, defaults):
    def run(sim, tmp_path):
        body = 'vpsorg.cloud.vps_fleet:\n  servers: "{{ fleet }}"\n  defaults: "{{ fleet_defaults }}"'
        return run_playbook(
            tmp_path, task(body), sim=sim, extra_vars={"fleet": servers, "fleet_defaults": defaults}, verbosity=0
        )

    return run


def provision_playbook(sim, tmp_path):
    text = "- name: Provision\n  ansible.builtin.import_playbook: vpsorg.cloud.provision\n"
    return run_playbook(tmp_path, text, sim=sim, extra_vars={"vps_servers": EXISTING}, verbosity=0)


def inventory(config):
    def run(sim, tmp_path):
        return run_inventory(tmp_path, config, sim=sim, verbosity=0)

    return run


SCENARIOS = {
    "`vps_server_info` with `id`": info_by_id,
    "`vps_server_info` without filters": info_all,
    "`vps_server_info` with `location: us-west`": info_location,
    "`vps_server` with `name`, no change": server_by_name,
    "`vps_server` with `id`, new `hostname`": server_hostname,
    "`vps_server_power` with `id`, `stopped`, `wait: false`": power_stop,
    "`vps_fleet`, 5 existing servers, no change": fleet(EXISTING, {}),
    "`vps_fleet`, 5 new servers": fleet(NEW, DEFAULTS),
    "playbook `vpsorg.cloud.provision`, 5 existing servers, no change": provision_playbook,
    "inventory `vpsorg.cloud.vps`": inventory("plugin: vpsorg.cloud.vps\n"),
    "inventory `vpsorg.cloud.vps` with `fetch_details: true`": inventory(
        "plugin: vpsorg.cloud.vps\nfetch_details: true\n"
    ),
}


@pytest.fixture(scope="module")
def sim():
    # No provisioning or transition time: a wait ends at its first poll, so every count is exact.
    with Simulator(provision_delay=0, transition_delay=0) as simulator:
        yield simulator


def test_the_page_lists_exactly_the_measured_examples():
    assert sorted(documented()) == sorted(SCENARIOS)


@pytest.mark.parametrize("run", list(SCENARIOS))
def test_a_run_sends_the_requests_the_page_states(sim, tmp_path, run):
    sim.reset()
    sim.seed(ACCOUNT, name_prefix="cost")
    result = SCENARIOS[run](sim, tmp_path)
    assert result.rc == 0, result.output[-3000:]
    log = sim.requests()
    sent = [f"{entry['method']} {entry['path']}?{entry['query']} -> {entry['status']}" for entry in log]
    assert len(log) == documented()[run], "\n".join(sent)
