"""vps_server through real ansible-playbook runs against the simulator."""

from __future__ import annotations

from harness import api_call, create_server, last_seq, mutating_requests, play, run_playbook, wait_status

CREATE = """
    - name: Create
      vpsorg.cloud.vps_server:
        name: web-01
        plan_id: 1
        os_id: 5
        location: us-west
        hostname: web-01.example.com
        {extra}
"""


def create_play(extra=""):
    return play(CREATE.format(extra=extra))


def test_create_waits_until_active_and_is_idempotent(clean_sim, tmp_path):
    first = run_playbook(tmp_path / "1", create_play(), sim=clean_sim)
    assert first.rc == 0, first.output
    created = first.task("Create")
    assert created["status"] == "changed"
    server = created["result"]["server"]
    assert server["status"] == "active" and server["ip_address"].startswith("203.0.113.")
    assert "resource_usage" in server and server["hostname"] == "web-01.example.com"
    # The module reports what it waited for (shown at -v).
    progress = created["result"]["progress"]
    assert progress[0].startswith("server 'web-01' (id ") and "is provisioning after" in progress[0]
    assert "is active after" in progress[-1]

    since = last_seq(clean_sim)
    second = run_playbook(tmp_path / "2", create_play(), sim=clean_sim)
    assert second.rc == 0, second.output
    assert second.recap["localhost"]["changed"] == 0
    assert mutating_requests(clean_sim, since) == []
    assert [s["name"] for s in clean_sim.servers()] == ["web-01"]


def test_check_mode_predicts_create_and_sends_nothing(clean_sim, tmp_path):
    result = run_playbook(tmp_path, create_play(), sim=clean_sim, args=("--check", "--diff"))
    assert result.rc == 0, result.output
    assert result.task("Create")["status"] == "changed"
    assert mutating_requests(clean_sim) == []
    assert clean_sim.servers() == []
    assert '"state": "absent"' in result.stdout and '"state": "present"' in result.stdout


def test_wait_false_returns_while_provisioning(clean_sim, tmp_path):
    result = run_playbook(tmp_path, create_play("wait: false"), sim=clean_sim)
    assert result.rc == 0, result.output
    assert result.task("Create")["result"]["server"]["status"] == "provisioning"


def test_update_sends_one_patch_with_only_changed_fields(clean_sim, tmp_path):
    create_server(clean_sim, "web-01", hostname="old.example.com")
    since = last_seq(clean_sim)
    tasks = """
    - name: Update
      vpsorg.cloud.vps_server:
        name: web-01
        hostname: new.example.com
        backups_enabled: false
        plan_id: 1
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim, args=("--diff",))
    assert result.rc == 0, result.output
    assert result.task("Update")["status"] == "changed"
    sent = mutating_requests(clean_sim, since)
    assert [(r["method"], r["body"]) for r in sent] == [("PATCH", {"hostname": "new.example.com"})]
    assert '-    "hostname": "old.example.com"' in result.stdout or '"hostname": "old.example.com"' in result.stdout
    assert result.task("Update")["result"]["server"]["hostname"] == "new.example.com"


def test_check_mode_update_predicts_and_sends_nothing(clean_sim, tmp_path):
    create_server(clean_sim, "web-01", hostname="old.example.com")
    since = last_seq(clean_sim)
    tasks = """
    - name: Update
      vpsorg.cloud.vps_server:
        name: web-01
        backups_enabled: true
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim, args=("--check",))
    assert result.rc == 0, result.output
    assert result.task("Update")["status"] == "changed"
    assert result.task("Update")["result"]["server"]["backups_enabled"] is True
    assert mutating_requests(clean_sim, since) == []


def test_rename_by_id(clean_sim, tmp_path):
    server = create_server(clean_sim, "web-01")
    tasks = f"""
    - name: Rename
      vpsorg.cloud.vps_server:
        id: {server["id"]}
        name: web-02
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim)
    assert result.rc == 0, result.output
    assert result.task("Rename")["status"] == "changed"
    assert [s["name"] for s in clean_sim.servers()] == ["web-02"]


def test_fixed_field_change_fails_naming_current_and_requested(clean_sim, tmp_path):
    create_server(clean_sim, "web-01")
    since = last_seq(clean_sim)
    tasks = """
    - name: Change plan
      vpsorg.cloud.vps_server:
        name: web-01
        plan_id: 2
        location: us-east
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim)
    assert result.rc != 0
    msg = result.task("Change plan")["result"]["msg"]
    assert "plan_id cannot be changed on existing server 'web-01'" in msg and "it is 1, requested 2" in msg
    assert "location cannot be changed" in msg and "it is us-west, requested us-east" in msg
    assert mutating_requests(clean_sim, since) == []
    assert len(clean_sim.servers()) == 1


def test_present_never_changes_power_state(clean_sim, tmp_path):
    server = create_server(clean_sim, "web-01")
    wait_status(clean_sim, server["id"], "active")
    assert api_call(clean_sim, "POST", f"/servers/{server['id']}/stop/")[0] == 200
    wait_status(clean_sim, server["id"], "stopped")
    since = last_seq(clean_sim)
    result = run_playbook(tmp_path, create_play(), sim=clean_sim)
    assert result.rc == 0, result.output
    assert result.task("Create")["result"]["server"]["status"] == "stopped"
    # Only the hostname change is sent: no start, no re-create.
    assert [r["method"] for r in mutating_requests(clean_sim, since)] == ["PATCH"]


def test_duplicate_names_fail_listing_ids(clean_sim, tmp_path):
    first = create_server(clean_sim, "twin")
    second = create_server(clean_sim, "twin")
    tasks = """
    - name: Delete by ambiguous name
      vpsorg.cloud.vps_server:
        name: twin
        state: absent
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim)
    assert result.rc != 0
    msg = result.task("Delete by ambiguous name")["result"]["msg"]
    assert f"2 servers are named 'twin' (ids {first['id']}, {second['id']})" in msg
    assert len(clean_sim.servers()) == 2


def test_absent_deletes_then_is_ok(clean_sim, tmp_path):
    create_server(clean_sim, "web-01")
    tasks = """
    - name: Delete
      vpsorg.cloud.vps_server:
        name: web-01
        state: absent
"""
    check = run_playbook(tmp_path / "check", play(tasks), sim=clean_sim, args=("--check",))
    assert check.task("Delete")["status"] == "changed"
    assert len(clean_sim.servers()) == 1
    first = run_playbook(tmp_path / "1", play(tasks), sim=clean_sim)
    assert first.rc == 0, first.output
    assert first.task("Delete")["status"] == "changed"
    assert clean_sim.servers() == []
    second = run_playbook(tmp_path / "2", play(tasks), sim=clean_sim)
    assert second.rc == 0 and second.task("Delete")["status"] == "ok"
    assert second.task("Delete")["result"]["server"] == {}


def test_action_group_module_defaults_without_env(clean_sim, tmp_path):
    playbook = f"""
- name: Module defaults for the whole group
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/vpsorg.cloud.vps:
      api_url: {clean_sim.api_url}
      api_token: {clean_sim.token}
  tasks:
    - name: Create
      vpsorg.cloud.vps_server:
        name: grouped
        plan_id: 2
        os_id: 3
        location: us-east
    - name: Read
      vpsorg.cloud.vps_server_info:
        name: grouped
    - name: Stop
      vpsorg.cloud.vps_server_power:
        name: grouped
        state: stopped
"""
    result = run_playbook(tmp_path, playbook, sim=clean_sim, env={"VPS_API_URL": None, "VPS_API_TOKEN": None})
    assert result.rc == 0, result.output
    assert result.task("Read")["result"]["servers"][0]["name"] == "grouped"
    assert result.task("Stop")["result"]["server"]["status"] == "stopped"


def test_progress_is_returned_but_only_shown_at_verbosity(clean_sim, tmp_path):
    result = run_playbook(tmp_path, create_play(), sim=clean_sim, verbosity=0)
    assert result.rc == 0, result.output
    assert "is active after" in result.task("Create")["result"]["progress"][-1]
    assert "is active after" not in result.output
