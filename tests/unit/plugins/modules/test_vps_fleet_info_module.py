"""vps_fleet_info on the simulator: the account exported as a fleet (fleet_export), names it cannot export,
and the detail reads for backups_enabled under the task's one budget."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.modules.vps_fleet_info import VpsFleetInfo
from module_runner import add, https_url, named, sent, session


@pytest.fixture
def account(sim):
    """Servers of every kind an export meets; their ids by name (both ids of the name `dup`)."""
    ids = {
        "web-1": add(sim, "web-1", hostname="web-1.example.com", backups_enabled=True),
        "web-2": add(sim, "web-2", "stopped", backups_enabled=True),
        "db-1": add(sim, "db-1", plan_id=2, location="us-east"),
        "dup": [add(sim, "dup"), add(sim, "dup")],
        "frozen": add(sim, "frozen", "suspended"),
        "busy": add(sim, "busy", "starting"),
        "odd one": add(sim, "odd"),
    }
    # A name the API's own checks refuse now, kept by a server from before them: only its storage can say so.
    storage = sim._state.storage
    storage.save_server(storage.get_server(ids["odd one"], None), {"name": "odd one"})
    return ids


def test_the_account_is_exported_as_a_fleet_that_plans_no_change(run, sim, account):
    done = run(VpsFleetInfo)
    defaults = {"plan_id": 1, "os_id": 5, "location": "us-west", "backups_enabled": False}
    servers = [
        {"name": "busy", "hostname": "busy", "power": "started"},
        {"name": "db-1", "hostname": "db-1", "plan_id": 2, "location": "us-east", "power": "started"},
        {"name": "frozen", "hostname": "frozen"},
        {"name": "web-1", "hostname": "web-1.example.com", "backups_enabled": True, "power": "started"},
        {"name": "web-2", "hostname": "web-2", "backups_enabled": True, "power": "stopped"},
    ]
    dup = ", ".join(map(str, account["dup"]))
    assert done.result == {
        "changed": False,
        "fleet": {"defaults": defaults, "servers": servers},
        "fleet_file": {"vps_servers_defaults": defaults, "vps_servers": servers},
        "duplicates": [{"name": "dup", "ids": account["dup"]}],
        "unmanaged_power": ["frozen"],
        "header": f"# Fleet exported from {https_url(sim)} by vpsorg.cloud.export: 5 server(s).\n"
        "# Provision with: ansible-playbook vpsorg.cloud.provision -e @<this file>\n"
        f"# Not exported: 2 servers are named 'dup' (ids {dup}); rename or delete the extra ones and export again.\n"
        f"# Not exported: server 'odd one' (id {account['odd one']}), which provision would refuse: name 'odd one' "
        "is not a valid server name: use 1 to 63 letters, digits and hyphens; correct it in the account and export "
        "again.\n"
        "# Exported without power (suspended by VPS.org): frozen.\n",
    }
    assert done.warnings == [
        f"2 servers are named 'dup' (ids {dup}): not exported, since a fleet names each server once"
    ]
    # One listing, then each server in detail (the list does not show backups_enabled).
    assert sent(sim, changing=False)[0] == ("GET", "/servers/") and len(sim.requests()) == 9


def test_without_backups_the_account_is_listed_only(run, sim, account):
    done = run(VpsFleetInfo, backups=False)
    assert sent(sim, changing=False) == [("GET", "/servers/")]
    assert done.result["fleet"]["defaults"] == {"plan_id": 1, "os_id": 5, "location": "us-west"}
    assert all("backups_enabled" not in entry for entry in done.result["fleet"]["servers"])


@pytest.mark.parametrize(("concurrency", "threads"), [(1, {"MainThread"}), (8, None)])
def test_details_are_read_concurrency_at_a_time(run, sim, account, concurrency, threads):
    seen = []
    assert not run(VpsFleetInfo, concurrency=concurrency, http=session(sim, seen)).failed
    used = {request["thread"] for request in seen[1:]}
    assert used == threads if threads else "MainThread" not in used


def test_a_server_deleted_after_the_listing_is_left_out(run, sim, account):
    doomed = account["web-2"]

    def delete_it(method, url):  # a person deletes web-2 as the details are read
        if url.endswith("/servers/10001/"):
            sim.session().delete(f"{sim.api_url}/servers/{doomed}/", headers={"Authorization": f"Bearer {sim.token}"})

    done = run(VpsFleetInfo, concurrency=1, http=session(sim, before=delete_it))
    assert named(sim, "web-2") == [] and not done.failed
    assert [entry["name"] for entry in done.result["fleet"]["servers"]] == ["busy", "db-1", "frozen", "web-1"]


def test_the_details_of_a_large_account_are_all_read_at_a_rate_limit(run, sim, clock):
    sim.seed(30)
    sim.set_rate_limit(5, 5)
    done = run(VpsFleetInfo)
    assert not done.failed, done.result["msg"]
    assert len(done.result["fleet"]["servers"]) == 30 and done.result["fleet"]["defaults"]["backups_enabled"] is False
    assert sim.counters()["throttled"] >= 1 and sum(clock.sleeps) >= 5
    assert len([entry for entry in sim.requests() if entry["status"] == 200]) == 31


def test_a_detail_read_that_fails_fails_the_task(run, sim, account):
    sim.add_fault(kind="status", status=502, path=r"^/api/v1/servers/\d+/$", count=1)
    done = run(VpsFleetInfo, api_retries=0)
    assert done.failed and done.result["failure"]["status"] == 502
    assert done.result["msg"].startswith("the VPS.org API failed with a server error (HTTP 502)")
