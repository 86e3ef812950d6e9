"""The account changes while ansible-inventory / vps_server_info read its pages: nothing skipped or doubled.

The simulator's list gate lets the first page(s) through and holds the next ones; the test changes the
account while they wait and then opens the gate, so every run sees the same change at the same point.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from harness import api_call, play, run_inventory, run_playbook
from vps_sim.testing import Simulator

PAGE_SIZE = 10
LIST_PATH = "/api/v1/servers/"


@pytest.fixture(scope="module")
def sim():
    with Simulator() as simulator:
        yield simulator


@pytest.fixture
def clean_sim(sim):
    sim.reset()
    sim.admin("DELETE", "/_sim/list-gate")
    yield sim
    sim.admin("DELETE", "/_sim/list-gate")


def list_gets(sim):
    return [entry for entry in sim.requests() if entry["method"] == "GET" and entry["path"] == LIST_PATH]


def account_ids(sim, **wanted):
    return sorted(
        s["id"] for s in sim.servers() if s["account"] and all(s.get(key) == value for key, value in wanted.items())
    )


def while_held(sim, after, change, run):
    """Run `run()` in a thread; once `after` list pages were served and the next one waits, `change()`, then open."""
    sim.admin("POST", "/_sim/list-gate", {"after": after, "hold_seconds": 120})
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("result", run()))
    worker.start()
    deadline = time.monotonic() + 120
    while sim.admin("GET", "/_sim/list-gate")["waiting"] == 0:
        assert worker.is_alive() and time.monotonic() < deadline, "the client never asked for the held page"
        time.sleep(0.05)
    change()
    sim.admin("POST", "/_sim/list-gate/open")
    worker.join(300)
    return outcome["result"]


def inventory_ids(tmp_path, sim, config=""):
    output = tmp_path / "inventory.json"
    result = run_inventory(
        tmp_path,
        f"plugin: vpsorg.cloud.vps\npage_size: {PAGE_SIZE}\n{config}",
        sim=sim,
        args=("--list", "--output", str(output)),
        env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"},
        verbosity=1,
    )
    assert result.rc == 0, result.output
    hostvars = json.loads(output.read_text())["_meta"]["hostvars"]
    return sorted(host["vps_id"] for host in hostvars.values()), result


def test_inventory_keeps_the_server_that_a_deletion_shifts_onto_a_page_already_read(clean_sim, tmp_path):
    clean_sim.seed(50)
    ids = account_ids(clean_sim)
    gone = ids[2]

    def delete():
        status, _body = api_call(clean_sim, "DELETE", f"/servers/{gone}/")
        assert status == 204

    listed, result = while_held(clean_sim, 1, delete, lambda: inventory_ids(tmp_path, clean_sim))
    assert listed == account_ids(clean_sim) == [i for i in ids if i != gone]
    # ids[10] moved onto page 1 after it was read: only a second read of the list finds it.
    assert ids[10] in listed
    assert len(list_gets(clean_sim)) == 5 + 5
    assert "changed while it was read" in result.output


def test_inventory_lists_once_a_server_that_joins_the_filter_in_front(clean_sim, tmp_path):
    # A suspended server with the lowest id becomes active mid-listing: with status: active every
    # later page shifts right, so page 1's last server would show again on page 2.
    first = clean_sim.seed(1, status="suspended", name_prefix="back")["ids"][0]
    clean_sim.seed(49, status="active")

    listed, _result = while_held(
        clean_sim,
        1,
        lambda: clean_sim.unsuspend(first),
        lambda: inventory_ids(tmp_path, clean_sim, "filters:\n  status: active\n"),
    )
    assert listed == account_ids(clean_sim, status="active")
    assert first in listed and len(listed) == 50


def test_server_info_includes_servers_created_after_two_pages_were_read(clean_sim, tmp_path):
    # vps_server_info asks for pages of 100 (the simulator's cap): 205 servers are three pages.
    clean_sim.seed(205)
    tasks = """    - name: List
      vpsorg.cloud.vps_server_info:
      register: listed
"""
    result = while_held(
        clean_sim,
        2,
        lambda: clean_sim.seed(30, name_prefix="late"),
        lambda: run_playbook(tmp_path, play(tasks), sim=clean_sim, verbosity=0),
    )
    assert result.rc == 0, result.output
    ids = sorted(server["id"] for server in result.task("List")["result"]["servers"])
    assert ids == account_ids(clean_sim)
    assert len(ids) == 205 + 30
    assert len(list_gets(clean_sim)) == 3 + 3
