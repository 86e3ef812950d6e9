"""Adopting an account: export it as a fleet file, then provision with that file in check mode.

Property: for any account the simulator can hold (every status, plan, OS, location, host name or
none, backups on or off, names that repeat), provisioning with the exported fleet plans no change
and sends no changing request. Checked in-process (the modules' own argument parsing, a real client
over HTTP) for many accounts, and with real `ansible-playbook` runs of vpsorg.cloud.export and
vpsorg.cloud.provision --check for a few.
"""

from __future__ import annotations

import sqlite3
import sys
from collections import Counter
from pathlib import Path

import pytest
import requests
import yaml
from harness import api_call, create_server, ensure_collection_link, last_seq, mutating_requests, run_playbook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vps_sim.testing import Simulator

# The modules run in this process too (the fast property): the collection and the unit tests'
# module runner (real argument parsing) become importable.
sys.path[:0] = [
    str(ensure_collection_link()),
    str(Path(__file__).resolve().parents[1] / "unit" / "plugins" / "modules"),
]
from ansible_collections.vpsorg.cloud.plugins.modules.vps_fleet import VpsFleet  # noqa: E402
from ansible_collections.vpsorg.cloud.plugins.modules.vps_fleet_info import VpsFleetInfo  # noqa: E402
from module_runner import run_module  # noqa: E402

STATUSES = ("provisioning", "active", "stopped", "suspended", "starting", "stopping", "rebooting")
FAST = {"vps_servers_poll_interval": 0.1, "vps_servers_wait_timeout": 60, "vps_show_fleet": False}

server_specs = st.fixed_dictionaries(
    {
        # A small pool of names, so that names repeat in many accounts.
        "name": st.sampled_from(["web-01", "db-01", "B-9", "x" * 63, "0123", "on", "null"]),
        "plan_id": st.sampled_from([1, 2, 3]),
        "os_id": st.sampled_from([3, 4, 5, 6]),
        "location": st.sampled_from(["us-west", "us-east", "eu-central", "ap-northeast"]),
        "hostname": st.one_of(st.none(), st.sampled_from(["web.example.com", "db.example.org.", "h-1"])),
        "backups_enabled": st.one_of(st.none(), st.booleans()),
        "status": st.sampled_from(STATUSES),
    }
)
accounts = st.lists(server_specs, max_size=8)


def action(sim, server_id, verb):
    status, body = api_call(sim, "POST", f"/servers/{server_id}/{verb}/")
    assert status == 200, body


def build(sim, specs):
    """Put the servers in the account, each in its status (transitional ones are left moving)."""
    sim.reset()
    for spec in specs:
        fields = {key: spec[key] for key in ("plan_id", "os_id", "location", "hostname", "backups_enabled")}
        server = create_server(sim, spec["name"], **{k: v for k, v in fields.items() if v is not None})
        status = spec["status"]
        if status == "provisioning":
            continue
        sim.settle(server["id"])
        if status in ("stopped", "stopping", "starting"):
            action(sim, server["id"], "stop")
            if status != "stopping":
                sim.settle(server["id"])
            if status == "starting":
                action(sim, server["id"], "start")
        elif status == "rebooting":
            action(sim, server["id"], "reboot")
        elif status == "suspended":
            sim.suspend(server["id"])


def repeated(specs):
    return sorted(name for name, count in Counter(spec["name"] for spec in specs).items() if count > 1)


def in_process(module_class, args, sim, monkeypatch, check_mode=False):
    """The module in this process against the simulator process, on the wall clock."""
    args = dict(args, api_url=sim.api_url, api_retries=2)
    return run_module(module_class, args, sim, None, monkeypatch, check_mode=check_mode, http=requests.Session())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=accounts)
def test_exported_fleet_plans_no_change_in_process(sim, monkeypatch, specs):
    build(sim, specs)
    exported = in_process(VpsFleetInfo, {}, sim, monkeypatch)
    assert not exported.failed, exported.result
    result = exported.result
    assert sorted(d["name"] for d in result["duplicates"]) == repeated(specs)
    unique = sorted({spec["name"] for spec in specs} - set(repeated(specs)))
    assert [entry["name"] for entry in result["fleet"]["servers"]] == unique
    since = last_seq(sim)
    fleet = dict(result["fleet"], poll_interval=0.1)
    provisioned = in_process(VpsFleet, fleet, sim, monkeypatch, check_mode=True)
    assert not provisioned.failed, (provisioned.result["msg"], result["fleet"])
    assert provisioned.result["changed"] is False, [r for r in provisioned.result["results"] if r["changed"]]
    assert mutating_requests(sim, since) == []


def export_and_check(sim, tmp_path):
    """Run vpsorg.cloud.export, then vpsorg.cloud.provision --check with the file; returns (file, both runs)."""
    fleet_file = Path(tmp_path) / "fleet.yml"
    exported = run_playbook(
        Path(tmp_path) / "export",
        Path("vpsorg.cloud.export"),
        sim=sim,
        extra_vars={"vps_export_file": str(fleet_file)},
        verbosity=1,
    )
    assert exported.rc == 0, exported.output
    since = last_seq(sim)
    checked = run_playbook(
        Path(tmp_path) / "provision",
        Path("vpsorg.cloud.provision"),
        sim=sim,
        extra_vars=FAST,
        args=("--check", "-e", f"@{fleet_file}"),
        verbosity=1,
    )
    assert checked.rc == 0, checked.output
    assert checked.recap["localhost"]["changed"] == 0, checked.output
    assert mutating_requests(sim, since) == []
    return fleet_file, exported, checked


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=accounts)
def test_exported_fleet_file_provisions_with_no_change(sim, tmp_path_factory, specs):
    build(sim, specs)
    export_and_check(sim, tmp_path_factory.mktemp("adopt"))


def test_export_writes_shared_defaults_one_entry_per_server_and_names_repeated_names(clean_sim, tmp_path):
    web = create_server(clean_sim, "web-01", hostname="web-01.example.com")
    create_server(clean_sim, "web-02")
    db = create_server(clean_sim, "db-01", plan_id=2, location="us-east", backups_enabled=True)
    batch = create_server(clean_sim, "batch-01", os_id=3)
    twins = [create_server(clean_sim, "twin"), create_server(clean_sim, "twin")]
    # Names YAML would read as a number, a boolean or null unless the file quotes them.
    for name in ("0123", "on", "null"):
        create_server(clean_sim, name)
    for server in (web, db, batch, *twins):
        clean_sim.settle(server["id"])
    action(clean_sim, batch["id"], "stop")
    clean_sim.suspend(db["id"])

    fleet_file, exported, _checked = export_and_check(clean_sim, tmp_path)
    text = fleet_file.read_text()
    fleet = yaml.safe_load(text)
    assert fleet["vps_servers_defaults"] == {
        "plan_id": 1,
        "os_id": 5,
        "location": "us-west",
        "backups_enabled": False,
    }
    assert fleet["vps_servers"] == [
        {"name": "0123", "hostname": "0123", "power": "started"},
        {"name": "batch-01", "hostname": "batch-01", "os_id": 3, "power": "stopped"},
        # Suspended: no power state can be set on it, so power is not shared through the defaults.
        {"name": "db-01", "hostname": "db-01", "plan_id": 2, "location": "us-east", "backups_enabled": True},
        {"name": "null", "hostname": "null", "power": "started"},
        {"name": "on", "hostname": "on", "power": "started"},
        {"name": "web-01", "hostname": "web-01.example.com", "power": "started"},
        {"name": "web-02", "hostname": "web-02", "power": "started"},
    ]
    ids = f"{twins[0]['id']}, {twins[1]['id']}"
    assert f"# Not exported: 2 servers are named 'twin' (ids {ids})" in text
    assert "# Exported without power (suspended by VPS.org): db-01." in text
    assert f"2 servers are named 'twin' (ids {ids})" in exported.output


def test_export_refuses_a_missing_file_name_before_any_request(clean_sim, tmp_path):
    since = last_seq(clean_sim)
    result = run_playbook(tmp_path, Path("vpsorg.cloud.export"), sim=clean_sim, verbosity=1)
    assert result.rc != 0 and "vps_export_file must name the file to write" in result.output
    assert last_seq(clean_sim) == since


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_is_exported_as_a_power_state_provision_keeps(sim, monkeypatch, status):
    build(
        sim,
        [
            {
                "name": "one",
                "plan_id": 1,
                "os_id": 5,
                "location": "us-west",
                "hostname": None,
                "backups_enabled": None,
                "status": status,
            }
        ],
    )
    exported = in_process(VpsFleetInfo, {"backups": False}, sim, monkeypatch).result
    expected = {"stopped": "stopped", "stopping": "stopped", "suspended": None}.get(status, "started")
    entry = {**exported["fleet"]["defaults"], **exported["fleet"]["servers"][0]}
    assert entry.get("power") == expected and entry["os_id"] == 5
    assert "backups_enabled" not in entry


def test_a_relative_file_name_is_written_where_the_command_runs(clean_sim, tmp_path):
    create_server(clean_sim, "web-01")
    result = run_playbook(
        tmp_path,
        Path("vpsorg.cloud.export"),
        sim=clean_sim,
        extra_vars={"vps_export_file": "fleet.yml"},
        env={"PWD": str(tmp_path)},
        verbosity=1,
    )
    assert result.rc == 0, result.output
    assert yaml.safe_load((tmp_path / "fleet.yml").read_text())["vps_servers"][0]["name"] == "web-01"


@pytest.fixture(scope="module")
def stored_sim(tmp_path_factory):
    """A simulator whose database is a file, so a test can store what its API refuses but a real API may hold."""
    db = tmp_path_factory.mktemp("stored-sim") / "vps.sqlite3"
    with Simulator(db=str(db), provision_delay=0.3, transition_delay=0.2) as simulator:
        simulator.db_path = db
        yield simulator


def store(sim, server_id, **columns):
    """Write columns of a server straight into the simulator's database (its API validates what it is sent)."""
    db = sqlite3.connect(sim.db_path, timeout=10)
    try:
        assignments = ", ".join(f"{column} = ?" for column in columns)
        db.execute(f"UPDATE servers SET {assignments} WHERE id = ?", (*columns.values(), server_id))
        db.commit()
    finally:
        db.close()


def test_export_leaves_out_what_provision_refuses_and_the_file_provisions_with_no_change(stored_sim, tmp_path):
    sim = stored_sim
    sim.reset()
    web = create_server(sim, "web-01", hostname="web-01.example.com")
    blank = create_server(sim, "blank-01")
    munich = create_server(sim, "web-muenchen")
    for server in (web, blank, munich):
        sim.settle(server["id"])
    # An API that stores "" for "no host name" (Django's blank=True), and a name the API holds but
    # vps_fleet refuses (letters outside ASCII).
    store(sim, blank["id"], hostname="")
    store(sim, munich["id"], name="web-münchen")
    assert {s["name"]: s["hostname"] for s in api_call(sim, "GET", "/servers/")[1]["results"]}["blank-01"] == ""

    fleet_file, exported, _checked = export_and_check(sim, tmp_path)
    text = fleet_file.read_text(encoding="utf-8")
    fleet = yaml.safe_load(text)
    entries = [{**fleet["vps_servers_defaults"], **entry} for entry in fleet["vps_servers"]]
    assert [entry["name"] for entry in entries] == ["blank-01", "web-01"]
    assert "hostname" not in entries[0] and entries[1]["hostname"] == "web-01.example.com"
    assert (
        f"# Not exported: server 'web-münchen' (id {munich['id']}), which provision would refuse: "
        "name 'web-münchen' is not a valid server name: use 1 to 63 letters, digits and hyphens; "
        "correct it in the account and export again.\n"
    ) in text
    assert "2 server(s)" in text
    # The run says so too, not only the file.
    assert f"Not exported: server 'web-münchen' (id {munich['id']})" in exported.output

    # Not only planned: a real provision with the file fails nowhere and changes nothing.
    since = last_seq(sim)
    provisioned = run_playbook(
        tmp_path / "provision-for-real",
        Path("vpsorg.cloud.provision"),
        sim=sim,
        extra_vars=FAST,
        args=("-e", f"@{fleet_file}"),
        verbosity=1,
    )
    assert provisioned.rc == 0, provisioned.output
    assert provisioned.recap["localhost"]["changed"] == 0, provisioned.output
    assert provisioned.recap["localhost"]["failed"] == 0, provisioned.output
    assert mutating_requests(sim, since) == []
    assert {s["id"]: s["hostname"] for s in sim.servers()}[blank["id"]] == ""
