"""The provision, power and teardown playbooks, run by their FQCN with the documented example fleet."""

from __future__ import annotations

from pathlib import Path

import yaml
from harness import REPO, create_server, last_seq, mutating_requests, run_playbook

EXAMPLE_FLEET = REPO / "docs" / "examples" / "fleet.yml"
FAST = {"vps_servers_poll_interval": 0.2, "vps_servers_wait_timeout": 60}


def statuses(sim):
    return {server["name"]: server["status"] for server in sim.servers()}


def run(tmp_path, playbook, sim, *, extra_vars=None, fleet=True):
    args = ("-e", f"@{EXAMPLE_FLEET}") if fleet else ()
    return run_playbook(Path(tmp_path), Path(playbook), sim=sim, extra_vars={**FAST, **(extra_vars or {})}, args=args)


def test_example_fleet_provision_power_and_teardown(clean_sim, tmp_path):
    fleet = yaml.safe_load(EXAMPLE_FLEET.read_text())
    present = [s["name"] for s in fleet["vps_servers"] if s.get("state", "present") == "present"]
    create_server(clean_sim, "legacy-01")
    create_server(clean_sim, "bystander")

    provisioned = run(tmp_path / "provision", "vpsorg.cloud.provision", clean_sim)
    assert provisioned.rc == 0, provisioned.output
    assert statuses(clean_sim) == {
        "bystander": "active",
        "web-01": "active",
        "web-02": "active",
        "db-01": "active",
        "batch-01": "stopped",
    }
    for name in present:
        assert provisioned.recap[name]["ok"] == 1, provisioned.output

    since = last_seq(clean_sim)
    stopped = run(
        tmp_path / "stop",
        "vpsorg.cloud.power",
        clean_sim,
        extra_vars={"vps_power_state": "stopped", "vps_power_names": ["web-01", "db-01"]},
        fleet=False,
    )
    assert stopped.rc == 0, stopped.output
    assert [r["path"].rsplit("/", 2)[-2] for r in mutating_requests(clean_sim, since)] == ["stop", "stop"]
    assert statuses(clean_sim)["web-01"] == statuses(clean_sim)["db-01"] == "stopped"

    since = last_seq(clean_sim)
    restarted = run(tmp_path / "restart", "vpsorg.cloud.power", clean_sim, extra_vars={"vps_power_state": "restarted"})
    assert restarted.rc == 0, restarted.output
    actions = sorted(r["path"].rsplit("/", 2)[-2] for r in mutating_requests(clean_sim, since))
    assert actions == ["reboot", "start", "start", "start"]
    assert {statuses(clean_sim)[name] for name in present} == {"active"}

    torn_down = run(tmp_path / "teardown", "vpsorg.cloud.teardown", clean_sim)
    assert torn_down.rc == 0, torn_down.output
    assert statuses(clean_sim) == {"bystander": "active"}


def test_provision_without_showing_visits_no_server(clean_sim, tmp_path):
    fleet = yaml.safe_load(EXAMPLE_FLEET.read_text())
    present = [s["name"] for s in fleet["vps_servers"] if s.get("state", "present") == "present"]

    quiet = run(tmp_path / "quiet", "vpsorg.cloud.provision", clean_sim, extra_vars={"vps_show_fleet": False})

    assert quiet.rc == 0, quiet.output
    assert {"web-01", "db-01"} <= set(statuses(clean_sim))
    # The second play matched no host: no server was visited only to be skipped.
    assert not set(present) & set(quiet.recap), quiet.output
    assert "Show where each server is" not in quiet.output


def test_power_names_unknown_servers_and_powers_the_rest(clean_sim, tmp_path):
    create_server(clean_sim, "known")
    result = run(
        tmp_path,
        "vpsorg.cloud.power",
        clean_sim,
        extra_vars={"vps_power_state": "stopped", "vps_power_names": ["known", "ghost"]},
        fleet=False,
    )
    assert result.rc != 0
    message = "ghost: no server named 'ghost' exists in the account; an entry with only a power state creates none"
    assert f"{message} (the names come from vps_power_names)" in result.output
    assert "to create it" not in result.output
    assert statuses(clean_sim) == {"known": "stopped"}
