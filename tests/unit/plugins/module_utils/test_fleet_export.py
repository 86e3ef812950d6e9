"""The account written as a fleet: one entry per server, shared defaults, power, repeated names left out."""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.module_utils.fleet import merge_entries
from ansible_collections.vpsorg.cloud.plugins.module_utils.fleet_export import (
    entry_of,
    export_fleet,
    file_header,
    power_of,
    shared_defaults,
)


def server(server_id, name, status="active", plan=1, os=5, location="us-west", **extra):
    return dict(
        {"id": server_id, "name": name, "status": status, "plan": {"id": plan}, "os": {"id": os}, "location": location},
        **extra,
    )


def test_every_status_maps_to_the_power_state_it_is_in_or_heading_for():
    assert {
        status: power_of(status) for status in ("active", "provisioning", "starting", "rebooting")
    } == dict.fromkeys(("active", "provisioning", "starting", "rebooting"), "started")
    assert power_of("stopped") == power_of("stopping") == "stopped"
    assert power_of("suspended") is None and power_of("unknown-new-status") is None


def test_an_entry_leaves_out_what_the_api_did_not_report():
    assert entry_of(server(1, "a", hostname=None)) == {
        "name": "a",
        "plan_id": 1,
        "os_id": 5,
        "location": "us-west",
        "power": "started",
    }
    assert entry_of(server(1, "a", "suspended", hostname="a.example", backups_enabled=False)) == {
        "name": "a",
        "hostname": "a.example",
        "plan_id": 1,
        "os_id": 5,
        "location": "us-west",
        "backups_enabled": False,
    }


def test_defaults_hold_values_two_or_more_share_and_never_one_an_entry_lacks():
    entries = [
        {"name": "a", "plan_id": 1, "power": "started"},
        {"name": "b", "plan_id": 1},
        {"name": "c", "plan_id": 2},
    ]
    # power: b has none, so a default would give it one.
    assert shared_defaults(entries) == {"plan_id": 1}
    assert shared_defaults([{"name": "a", "plan_id": 1}]) == {}
    assert shared_defaults([]) == {}


def test_merged_back_every_entry_is_the_server_it_came_from():
    servers = [
        server(1, "web-1", hostname="w1"),
        server(2, "web-2", "stopped", backups_enabled=True),
        server(3, "db", plan=2, os=3, location="us-east"),
        server(4, "jail", "suspended"),
    ]
    exported = export_fleet(servers)
    merged = {entry["name"]: entry for entry in merge_entries(exported["servers"], exported["defaults"])}
    for original in servers:
        expected = entry_of(original)
        assert {key: value for key, value in merged[original["name"]].items() if value is not None} == dict(
            expected, state="present"
        )
    assert [entry["name"] for entry in exported["servers"]] == ["db", "jail", "web-1", "web-2"]
    assert exported["unmanaged_power"] == ["jail"] and exported["duplicates"] == []


def test_repeated_names_are_left_out_and_listed_with_their_ids():
    exported = export_fleet([server(9, "twin"), server(3, "twin"), server(5, "solo")])
    assert exported["duplicates"] == [{"name": "twin", "ids": [3, 9]}]
    assert [entry["name"] for entry in exported["servers"]] == ["solo"]
    header = file_header(exported, "https://api.test/api/v1")
    assert all(line.startswith("# ") for line in header.splitlines()) and header.endswith("\n")
    assert "# Not exported: 2 servers are named 'twin' (ids 3, 9)" in header
    assert "1 server(s)" in header and "https://api.test/api/v1" in header
