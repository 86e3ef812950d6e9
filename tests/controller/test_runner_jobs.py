"""Provision, power and teardown jobs run as automation controller runs them: ansible-runner over a private
data directory, with the credential's injected variables in env/envvars and the survey / extra variables
in env/extravars, the collection's playbooks imported by a project playbook.

Every artifact the runs write (job events, stdout, fact cache, status, rc, command) is searched for the
token. ansible-runner's own `artifacts/<ident>/command` records the whole environment of the run, the
token injected by the credential included: that file is the one place it is expected (docs/controller.md).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import yaml
from controller import CONTROLLER_BIN, controller_env, files_holding, injected_env, run, sim_secrets
from harness import REPO

FLEET = yaml.safe_load((REPO / "docs" / "examples" / "fleet.yml").read_text())
FAST = {"vps_servers_poll_interval": 0.2, "vps_servers_wait_timeout": 60}

# Project playbooks, as a project of job templates would hold them. The provision job also keeps what it
# saw in the fact cache (controller's "Enable fact storage"); the power job gathers facts on localhost
# without the env subset, the way docs/controller.md asks.
PROJECT = {
    "provision.yml": """\
- name: Provision the fleet
  ansible.builtin.import_playbook: vpsorg.cloud.provision

- name: Remember the fleet for later jobs
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/vpsorg.cloud.vps:
      api_token: "{{ vps_api_token | default(omit) }}"
  tasks:
    - name: Read the servers
      vpsorg.cloud.vps_server_info:
      register: vps_seen
    - name: Keep their names in the fact cache
      ansible.builtin.set_fact:
        vps_fleet_names: "{{ vps_seen.servers | map(attribute='name') | sort }}"
        cacheable: true
""",
    "power.yml": """\
- name: Facts of the job's own host, without its environment
  hosts: localhost
  gather_facts: true
  gather_subset: ["!env"]
  tasks: []

- name: Power
  ansible.builtin.import_playbook: vpsorg.cloud.power
""",
    "teardown.yml": "- name: Tear down\n  ansible.builtin.import_playbook: vpsorg.cloud.teardown\n",
}


def private_data_dir(tmp_path: Path, envvars: dict) -> Path:
    pdd = tmp_path / "pdd"
    (pdd / "env").mkdir(parents=True)
    (pdd / "inventory").mkdir()
    (pdd / "project").mkdir()
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    python = CONTROLLER_BIN / "python"
    (pdd / "inventory" / "hosts").write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={python}\n"
    )
    for name, text in PROJECT.items():
        (pdd / "project" / name).write_text(text)
    return pdd


def job(pdd: Path, playbook: str, extravars: dict):
    """One job: ansible-runner run -p <playbook> at -vvv; returns its artifact directory."""
    (pdd / "env" / "extravars").write_text(yaml.safe_dump({**FAST, **extravars}))
    ident = Path(playbook).stem
    command = [str(CONTROLLER_BIN / "ansible-runner"), "run", str(pdd), "-p", playbook, "--ident", ident, "-vvv"]
    proc = run(command, controller_env(), pdd)
    artifacts = pdd / "artifacts" / ident
    assert proc.returncode == 0, (artifacts / "stdout").read_text() if (artifacts / "stdout").exists() else proc.stdout
    assert (artifacts / "status").read_text() == "successful"
    assert list((artifacts / "job_events").glob("*.json")), "the job wrote no events"
    return artifacts, proc


def untagged(value):
    """A cached value without the origin tags that ansible-core 2.19+ keeps beside it ({value, tags})."""
    if isinstance(value, dict):
        if {"value", "tags"} <= set(value) and set(value) <= {"value", "tags", "__ansible_type"}:
            return untagged(value["value"])
        return {key: untagged(item) for key, item in value.items()}
    if isinstance(value, list):
        return [untagged(item) for item in value]
    return value


def cached_facts(artifacts: Path, host: str) -> dict:
    """The host's entry of the jsonfile fact cache. ansible-core 2.21 prefixes the file name (s1_) and wraps
    the facts in a JSON text under __payload__."""
    (path,) = [p for p in (artifacts / "fact_cache").iterdir() if p.name == host or p.name.endswith("_" + host)]
    data = json.loads(path.read_text())
    return untagged(json.loads(data["__payload__"]) if "__payload__" in data else data)


def statuses(sim):
    return {server["name"]: server["status"] for server in sim.servers()}


def test_provision_power_and_teardown_jobs_keep_the_token_out_of_their_artifacts(tmp_path, clean_sim):
    sim = clean_sim
    secrets = sim_secrets(sim)
    pdd = private_data_dir(tmp_path, injected_env(sim))
    present = sorted(entry["name"] for entry in FLEET["vps_servers"] if entry.get("state", "present") == "present")

    provision, proc = job(pdd, "provision.yml", FLEET)
    assert sorted(statuses(sim)) == present
    cached = cached_facts(provision, "localhost")
    assert cached["vps_fleet_names"] == present

    power = job(pdd, "power.yml", {"vps_power_state": "stopped", "vps_power_names": ["web-01"]})[0]
    assert statuses(sim)["web-01"] == "stopped"
    assert "ansible_env" not in cached_facts(power, "localhost")

    teardown = job(pdd, "teardown.yml", FLEET)[0]
    assert statuses(sim) == {}

    for artifacts in (provision, power, teardown):
        # Only ansible-runner's record of the process environment holds it, readable by its owner alone.
        assert files_holding(artifacts, secrets) == {"command": 1}
        assert json.loads((artifacts / "command").read_text())["env"]["VPS_API_TOKEN"] == sim.token
        assert stat.S_IMODE((artifacts / "command").stat().st_mode) == 0o600
    assert not any(secret in proc.stdout + proc.stderr for secret in secrets)


def test_token_as_an_extra_variable_reaches_no_artifact(tmp_path, clean_sim):
    """The way a new user first tries it: the token in the job's extra variables (vps_api_token), nothing in
    the environment. Then not even ansible-runner's command record holds it."""
    sim = clean_sim
    pdd = private_data_dir(tmp_path, {"VPS_API_URL": sim.api_url})
    provision, proc = job(pdd, "provision.yml", {**FLEET, "vps_api_token": sim.token})
    assert "web-01" in statuses(sim)
    assert files_holding(provision, sim_secrets(sim)) == {}
    assert not any(secret in proc.stdout + proc.stderr for secret in sim_secrets(sim))
