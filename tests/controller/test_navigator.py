"""ansible-navigator, the way many users start: `ansible-navigator run <playbook> --ee false --mode stdout
--pae false` with the token in the environment, against the simulator."""

from __future__ import annotations

import yaml
from controller import CONTROLLER_BIN, controller_env, files_holding, injected_env, leaked, run, sim_secrets
from harness import REPO

FLEET = REPO / "docs" / "examples" / "fleet.yml"


def test_navigator_runs_provision_and_teardown_without_an_execution_environment(tmp_path, clean_sim):
    sim = clean_sim
    (tmp_path / "site.yml").write_text("- name: Provision\n  ansible.builtin.import_playbook: vpsorg.cloud.provision\n")
    (tmp_path / "teardown.yml").write_text(
        "- name: Tear down\n  ansible.builtin.import_playbook: vpsorg.cloud.teardown\n"
    )
    (tmp_path / "hosts").write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={CONTROLLER_BIN / 'python'}\n"
    )
    env = controller_env(injected_env(sim))
    fast = ["-e", "vps_servers_poll_interval=0.2", "-e", "vps_servers_wait_timeout=60"]
    outputs = []
    for playbook in ("site.yml", "teardown.yml"):
        command = [str(CONTROLLER_BIN / "ansible-navigator"), "run", playbook, "--ee", "false", "--mode", "stdout"]
        command += ["--pae", "false", "--lf", str(tmp_path / "navigator.log"), "--ll", "debug"]
        command += ["-i", "hosts", "-e", f"@{FLEET}", *fast, "-vvv"]
        proc = run(command, env, tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outputs += [proc.stdout, proc.stderr]
        if playbook == "site.yml":
            present = [
                s["name"] for s in yaml.safe_load(FLEET.read_text())["vps_servers"] if s.get("state") != "absent"
            ]
            assert sorted(server["name"] for server in sim.servers()) == sorted(present)
            assert "PLAY RECAP" in proc.stdout and "failed=0" in proc.stdout
    assert sim.servers() == []
    assert not leaked(outputs, sim_secrets(sim))
    # The navigator's debug log records its settings and the command it ran, never the environment's values.
    assert (tmp_path / "navigator.log").exists()
    assert files_holding(tmp_path, sim_secrets(sim)) == {}
