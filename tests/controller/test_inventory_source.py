"""An inventory source sourced from a project, synced the way automation controller syncs it.

controller runs `ansible-inventory --list --export -i <file> --output <json> --playbook-dir <dir>`
with ANSIBLE_INVENTORY_UNPARSED_FAILED, ANSIBLE_INVENTORY_EXPORT and ANSIBLE_VERBOSE_TO_STDERR set and
the credential's variables in the environment, then imports the JSON: groups with their `vars`
(group_vars/ next to the file included, thanks to --export), hosts, and `_meta.hostvars`.
"""

from __future__ import annotations

import json
from pathlib import Path

from compat import plain
from controller import CONTROLLER_BIN, controller_env, injected_env, leaked, run, sim_secrets
from harness import api_call, create_server, wait_status

SOURCE = """\
plugin: vpsorg.cloud.vps
keyed_groups:
  - key: vps_location
    prefix: location
groups:
  running: vps_status == 'active'
compose:
  vcpus: vps_plan.vcpus
"""
# What controller forces on every inventory update.
CONTROLLER_INVENTORY_ENV = {
    "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
    "ANSIBLE_INVENTORY_EXPORT": "True",
    "ANSIBLE_VERBOSE_TO_STDERR": "True",
}


def project(tmp_path: Path) -> Path:
    """A project checkout: inventories/prod.vps.yml and group_vars/ beside it."""
    inventories = tmp_path / "project" / "inventories"
    (inventories / "group_vars").mkdir(parents=True)
    (inventories / "prod.vps.yml").write_text(SOURCE)
    (inventories / "group_vars" / "location_us_west.yml").write_text("ntp_server: ntp.us-west.example.com\n")
    (inventories / "group_vars" / "all.yml").write_text("ansible_user: deploy\n")
    return inventories / "prod.vps.yml"


def sync(tmp_path: Path, sim, source: Path, name: str):
    """One inventory update as controller runs it; returns (imported JSON, process)."""
    output = tmp_path / f"{name}.json"
    command = [
        str(CONTROLLER_BIN / "ansible-inventory"),
        "--list",
        "--export",
        "-i",
        str(source),
        "--output",
        str(output),
        "--playbook-dir",
        str(source.parent),
        "-vvv",
    ]
    proc = run(command, controller_env({**injected_env(sim), **CONTROLLER_INVENTORY_ENV}), source.parent.parent)
    assert proc.returncode == 0, proc.stderr
    text = output.read_text()
    assert not leaked([text, proc.stdout, proc.stderr], sim_secrets(sim)), "the API token is in the inventory update"
    return plain(json.loads(text)), proc


def hosts_of(data, group):
    return sorted(data.get(group, {}).get("hosts", []))


def test_project_inventory_source_as_controller_syncs_it(tmp_path, clean_sim):
    sim = clean_sim
    servers = {
        name: create_server(sim, name, location=location)
        for name, location in (("web-01", "us-west"), ("web-02", "us-east"), ("db-01", "us-west"))
    }
    for server in servers.values():
        wait_status(sim, server["id"], "active")
    assert api_call(sim, "POST", f"/servers/{servers['db-01']['id']}/stop/")[0] in (200, 202)
    wait_status(sim, servers["db-01"]["id"], "stopped")
    source = project(tmp_path)

    data, proc = sync(tmp_path, sim, source, "first")
    assert hosts_of(data, "location_us_west") == ["db-01", "web-01"]
    assert hosts_of(data, "location_us_east") == ["web-02"]
    assert hosts_of(data, "running") == ["web-01", "web-02"]
    # --export keeps group_vars/ next to the file as the groups' own vars, as controller stores them.
    assert data["location_us_west"]["vars"] == {"ntp_server": "ntp.us-west.example.com"}
    assert data["all"]["vars"] == {"ansible_user": "deploy"}
    hostvars = data["_meta"]["hostvars"]
    assert set(hostvars) == set(servers)
    for name, server in servers.items():
        listed = api_call(sim, "GET", f"/servers/{server['id']}/")[1]
        assert hostvars[name]["vps_id"] == server["id"]
        assert hostvars[name]["vcpus"] == listed["plan"]["vcpus"]
        assert hostvars[name]["ansible_host"] == listed["ip_address"]
        # controller's enabled_var / enabled_value: vps_status == active.
        assert (hostvars[name]["vps_status"] == "active") is (name != "db-01")
        assert "ntp_server" not in hostvars[name], "group vars stay on the group with --export"
    assert "vpsorg.cloud.vps" in proc.stderr, "ANSIBLE_VERBOSE_TO_STDERR: the plugin's -v lines go to the log"

    # A rename keeps vps_id: with instance_id vps_id, controller renames its host instead of replacing it.
    status = api_call(sim, "PATCH", f"/servers/{servers['web-02']['id']}/", {"name": "web-02-renamed"})[0]
    assert status == 200
    renamed = sync(tmp_path, sim, source, "second")[0]
    assert set(renamed["_meta"]["hostvars"]) == {"web-01", "web-02-renamed", "db-01"}
    assert renamed["_meta"]["hostvars"]["web-02-renamed"]["vps_id"] == servers["web-02"]["id"]


def test_a_source_that_fails_fails_the_update_without_the_token(tmp_path, clean_sim):
    """With ANSIBLE_INVENTORY_UNPARSED_FAILED a refused token fails the sync (no empty inventory is imported),
    and the log names the cause, not the token."""
    source = project(tmp_path)
    env = controller_env(
        {**injected_env(clean_sim), **CONTROLLER_INVENTORY_ENV, "VPS_API_TOKEN": "ctl-wrong-token-0f3a9c"}
    )
    output = tmp_path / "failed.json"
    command = [str(CONTROLLER_BIN / "ansible-inventory"), "--list", "--export", "-i", str(source)]
    command += ["--output", str(output), "--playbook-dir", str(source.parent), "-vvv"]
    proc = run(command, env, source.parent.parent)
    assert proc.returncode != 0
    assert not output.exists() or not json.loads(output.read_text()).get("_meta", {}).get("hostvars")
    assert "401" in proc.stderr
    secrets = sim_secrets(clean_sim) | {"ctl-wrong-token-0f3a9c"}
    assert not leaked([proc.stdout, proc.stderr], secrets)
