"""The modules on the Python that runs them (harness.TARGET_PYTHON), through real playbook runs.

`make integration-py39` runs this file and the module suites with VPS_TARGET_PYTHON set to a
Python 3.9 venv that has requests (the floor tests/config.yml claims); `make integration` runs
them on the tool venv's own Python. What the target's Python changes is asserted here.
"""

from __future__ import annotations

import subprocess

from harness import TARGET_PYTHON, mutating_requests, play, run_playbook

NEW = "plan_id: 1, os_id: 5, location: us-west"


def target_version() -> tuple[int, int]:
    out = subprocess.run(
        [TARGET_PYTHON, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True, text=True, check=True
    )
    major, minor = out.stdout.split()
    return int(major), int(minor)


def test_the_modules_run_on_the_target_python(clean_sim, tmp_path):
    tasks = """
    - name: Facts
      ansible.builtin.setup:
        gather_subset: [min]
        filter: [ansible_python]
    - name: List
      vpsorg.cloud.vps_server_info:
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim)
    assert result.rc == 0, result.output
    python = result.task("Facts")["result"]["ansible_facts"]["ansible_python"]
    assert (python["version"]["major"], python["version"]["minor"]) == target_version()
    assert python["executable"] == TARGET_PYTHON
    assert result.task("List")["result"]["servers"] == []


def test_a_nul_byte_in_hostname_is_refused_before_any_request(clean_sim, tmp_path):
    # ansible-core logs a module's arguments to syslog before the module runs; CPython 3.12+
    # refuses a NUL byte there, so on such a target ansible-core refuses the value itself and
    # names its way out. On 3.9-3.11 the module refuses it, naming the option.
    tasks = f"""
    - name: Create
      vpsorg.cloud.vps_server: {{name: nul-1, hostname: "h\\0.example.com", {NEW}}}
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim)
    assert result.rc != 0
    msg = result.task("Create")["result"]["msg"]
    if target_version() >= (3, 12):
        assert msg.startswith("Failed to log to syslog (embedded null character)"), msg
        assert "no_target_syslog" in msg
    else:
        assert "hostname" in msg and result.task("Create")["result"]["failure"]["reason"] == "invalid_option", msg
    assert mutating_requests(clean_sim) == [] and clean_sim.servers() == []


def test_with_no_target_syslog_the_module_names_the_option(clean_sim, tmp_path):
    tasks = f"""
    - name: Create
      vpsorg.cloud.vps_server: {{name: nul-2, hostname: "h\\0.example.com", {NEW}}}
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim, env={"ANSIBLE_NO_TARGET_SYSLOG": "1"})
    assert result.rc != 0
    failed = result.task("Create")["result"]
    assert failed["failure"] == {"reason": "invalid_option", "option": "hostname"}, failed
    assert mutating_requests(clean_sim) == [] and clean_sim.servers() == []
