"""A normal run shows the user no deprecation warning, on every ansible-core the suites run on.

ansible-core deprecates what collections use (2.22: `remove_values()`, passing `warnings` to
`exit_json`, ...) and says so to the user of every run that reaches it. These runs go through
each module, the role, the inventory plugin and ansible-doc at the default verbosity and fail on
any deprecation warning, whoever issues it.
"""

from __future__ import annotations

import subprocess

from harness import BIN, base_env, play, run_inventory, run_playbook

NEW = "plan_id: 1, os_id: 5, location: us-west"


def deprecations(result) -> list:
    lines = [line for line in result.output.splitlines() if "DEPRECATION" in line.upper()]
    return lines + [task["result"]["deprecations"] for task in result.tasks if task["result"].get("deprecations")]


def test_modules_and_role_run_without_a_deprecation_warning(clean_sim, tmp_path):
    tasks = f"""
    - name: Create
      vpsorg.cloud.vps_server: {{name: dep-1, {NEW}, wait_timeout: 60}}
    - name: Update
      vpsorg.cloud.vps_server: {{name: dep-1, hostname: dep-1.example.com}}
    - name: Stop
      vpsorg.cloud.vps_server_power: {{name: dep-1, state: stopped, wait_timeout: 60}}
    - name: Info
      vpsorg.cloud.vps_server_info: {{name: dep-1}}
    - name: Fleet
      vpsorg.cloud.vps_fleet:
        servers: [{{name: dep-2, {NEW}}}]
        poll_interval: 0.2
        wait_timeout: 60
    - name: Role
      ansible.builtin.include_role:
        name: vpsorg.cloud.servers
      vars:
        vps_servers: [{{name: dep-3, {NEW}}}]
        vps_servers_poll_interval: 0.2
    - name: Delete
      vpsorg.cloud.vps_server: {{name: dep-1, state: absent}}
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim, verbosity=0)
    assert result.rc == 0, result.output
    assert result.task("Info")["result"]["servers"][0]["hostname"] == "dep-1.example.com"
    assert deprecations(result) == [], result.output


def test_inventory_runs_without_a_deprecation_warning(clean_sim, tmp_path):
    clean_sim.seed(3)
    config = "plugin: vpsorg.cloud.vps\ncache: true\ncache_plugin: ansible.builtin.jsonfile\n"
    config += f"cache_connection: {tmp_path / 'cache'}\nkeyed_groups: [{{key: vps_status, prefix: status}}]\n"
    for run in ("cold", "cached"):
        result = run_inventory(tmp_path, config, sim=clean_sim, verbosity=0)
        assert result.rc == 0, (run, result.output)
        assert deprecations(result) == [], (run, result.output)


def test_ansible_doc_shows_no_deprecation_warning(tmp_path):
    plugins = [
        ("module", "vpsorg.cloud.vps_server"),
        ("module", "vpsorg.cloud.vps_fleet"),
        ("inventory", "vpsorg.cloud.vps"),
        ("role", "vpsorg.cloud.servers"),
    ]
    for kind, name in plugins:
        done = subprocess.run(
            [str(BIN / "ansible-doc"), "-t", kind, name],
            env=base_env(None, {"ANSIBLE_HOME": str(tmp_path / "home")}),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "DEPRECATION" not in (done.stdout + done.stderr).upper(), done.stderr
