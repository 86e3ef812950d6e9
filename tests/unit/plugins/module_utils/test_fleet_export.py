"""The account written as a fleet: one entry per server, shared defaults, power, repeated names and entries the
fleet would refuse left out."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils.fleet import entry_problems, merge_entries
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


def provision_problems(exported):
    """What vps_fleet's own check before any request says about the exported fleet."""
    return entry_problems(merge_entries(exported["servers"], exported["defaults"]))


def test_an_empty_host_name_is_not_exported_as_a_key():
    # An API that stores "" for "no host name" (Django's blank=True); a fleet refuses an empty one.
    exported = export_fleet([server(1, "web-1", hostname=""), server(2, "web-2", hostname="web-2.example")])
    assert exported["servers"] == [{"name": "web-1"}, {"name": "web-2", "hostname": "web-2.example"}]
    assert exported["refused"] == [] and provision_problems(exported) == []
    assert "hostname" not in entry_of(server(1, "a", hostname=""))


def test_a_server_the_fleet_would_refuse_is_left_out_and_named_with_its_id_and_reason():
    exported = export_fleet(
        [server(7, "web-münchen", plan=2, location="eu-central"), server(5, "web-1"), server(6, "web-2")]
    )
    assert [entry["name"] for entry in exported["servers"]] == ["web-1", "web-2"]
    # The refused server does not sway the defaults either.
    assert exported["defaults"] == {"plan_id": 1, "os_id": 5, "location": "us-west", "power": "started"}
    assert exported["refused"] == [
        {
            "name": "web-münchen",
            "id": 7,
            "reason": "name 'web-münchen' is not a valid server name: use 1 to 63 letters, digits and hyphens",
        }
    ]
    assert provision_problems(exported) == []
    header = file_header(exported, "https://api.test/api/v1")
    assert all(line.startswith("# ") for line in header.splitlines())
    assert "2 server(s)" in header
    assert (
        "# Not exported: server 'web-münchen' (id 7), which provision would refuse: name 'web-münchen' is not a "
        "valid server name: use 1 to 63 letters, digits and hyphens; correct it in the account and export again.\n"
    ) in header


@pytest.mark.parametrize(
    "odd",
    [
        {"name": "web-münchen"},
        {"name": "x" * 64},
        {"name": "web 01"},
        {"name": "web-01\n# injected"},
        {"hostname": "a\nb"},
        {"hostname": "  "},
        {"hostname": " web.example"},
        {"hostname": "h" * 254},
        {"location": ""},
        {"location": "us\twest"},
        {"plan": {"id": 0}},
        {"os": {"id": 2**31}},
    ],
    ids=[
        "name-non-ascii",
        "name-64-chars",
        "name-space",
        "name-newline",
        "hostname-newline",
        "hostname-blank",
        "hostname-leading-space",
        "hostname-254-chars",
        "location-empty",
        "location-tab",
        "plan-id-0",
        "os-id-too-large",
    ],
)
def test_whatever_the_api_holds_the_export_is_a_fleet_provision_accepts(odd):
    servers = [server(1, "web-1"), server(2, "web-2"), dict(server(3, "odd"), **odd)]
    exported = export_fleet(servers)
    assert provision_problems(exported) == []
    assert [entry["name"] for entry in exported["servers"]] == ["web-1", "web-2"]
    [refused] = exported["refused"]
    assert refused["id"] == 3 and refused["reason"]
    assert not refused["reason"].startswith("servers[")
    # One comment line per refusal, whatever characters the name or host name holds.
    header = file_header(exported, "https://api.test/api/v1")
    assert all(line.startswith("# ") for line in header.splitlines()) and len(header.splitlines()) == 3
