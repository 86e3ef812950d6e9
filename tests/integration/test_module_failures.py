"""Failures users will meet, worded so they know what to fix, and never with a mutating request."""

from __future__ import annotations

from harness import create_server, mutating_requests, play, run_playbook


def run_task(tmp_path, sim, body, **kwargs):
    result = run_playbook(tmp_path, play("    - name: Task\n" + body), sim=sim, **kwargs)
    assert result.rc != 0, result.output
    return result.task("Task")["result"]["msg"]


def test_bad_name_is_refused_before_any_request(clean_sim, tmp_path):
    msg = run_task(
        tmp_path,
        clean_sim,
        "      vpsorg.cloud.vps_server: {name: 'web_01!', plan_id: 1, os_id: 5, location: us-west}\n",
    )
    assert "name 'web_01!' is not a valid server name" in msg
    assert clean_sim.requests() == []


def test_unknown_plan_is_reported_with_the_api_wording(clean_sim, tmp_path):
    msg = run_task(
        tmp_path, clean_sim, "      vpsorg.cloud.vps_server: {name: web, plan_id: 999, os_id: 5, location: us-west}\n"
    )
    assert 'plan_id: Invalid pk "999" - object does not exist.' in msg
    assert "POST /servers/ answered HTTP 400" in msg
    assert clean_sim.servers() == []


def test_missing_creation_fields_are_named(clean_sim, tmp_path):
    msg = run_task(tmp_path, clean_sim, "      vpsorg.cloud.vps_server: {name: web, plan_id: 1}\n")
    assert msg == "server 'web' does not exist; to create it, also give os_id, location"
    assert mutating_requests(clean_sim) == []


def test_wrong_token(clean_sim, tmp_path):
    msg = run_task(tmp_path, clean_sim, "      vpsorg.cloud.vps_server_info:\n", env={"VPS_API_TOKEN": "not-a-token"})
    assert msg.startswith("API token missing or invalid (GET /servers/ answered HTTP 401)")


def test_insufficient_balance(clean_sim, tmp_path):
    clean_sim.admin("POST", "/_sim/accounts", {"token": clean_sim.token, "balance": 1.0})
    msg = run_task(
        tmp_path, clean_sim, "      vpsorg.cloud.vps_server: {name: web, plan_id: 2, os_id: 5, location: us-west}\n"
    )
    assert msg.startswith("insufficient account balance")
    assert clean_sim.servers() == []


def test_missing_server_by_id(clean_sim, tmp_path):
    msg = run_task(tmp_path, clean_sim, "      vpsorg.cloud.vps_server: {id: 424242, hostname: x.example.com}\n")
    assert msg == "server id 424242 not found; to create a server, give its name without id"


def test_wait_timeout_names_last_status(clean_sim, tmp_path):
    clean_sim.set_timings(provision_delay=30)
    msg = run_task(
        tmp_path,
        clean_sim,
        "      vpsorg.cloud.vps_server: {name: slow, plan_id: 1, os_id: 5, location: us-west, wait_timeout: 1}\n",
    )
    assert "timed out after 1 s waiting for server 'slow'" in msg and "last status: provisioning" in msg


def test_unknown_option_and_bad_state_are_named(clean_sim, tmp_path):
    msg = run_task(tmp_path, clean_sim, "      vpsorg.cloud.vps_server_power: {name: web, state: on}\n")
    assert "state" in msg and "started, stopped, restarted" in msg
    msg = run_task(tmp_path / "2", clean_sim, "      vpsorg.cloud.vps_server: {name: web, flavour: big}\n")
    assert "flavour" in msg
    assert clean_sim.requests() == []


def test_fixed_fields_on_existing_server_are_never_ignored(clean_sim, tmp_path):
    create_server(clean_sim, "web")
    msg = run_task(tmp_path, clean_sim, "      vpsorg.cloud.vps_server: {name: web, os_id: 3}\n")
    assert "os_id cannot be changed on existing server 'web'" in msg and "it is 5, requested 3" in msg


def test_failures_are_structured_for_playbooks_to_branch_on(clean_sim, tmp_path):
    clean_sim.admin("POST", "/_sim/accounts", {"token": clean_sim.token, "balance": 1.0})
    tasks = """    - name: Poor
      vpsorg.cloud.vps_server: {name: web, plan_id: 2, os_id: 5, location: us-west}
      register: poor
      failed_when: poor.failure.status != 402
    - name: Unknown plan
      vpsorg.cloud.vps_server: {name: web, plan_id: 999, os_id: 5, location: us-west}
      register: unknown
      failed_when: "'plan_id' not in unknown.failure.field_errors"
    - name: Bad name
      vpsorg.cloud.vps_server: {name: 'web 1', plan_id: 1, os_id: 5, location: us-west}
      register: bad
      failed_when: bad.failure.option != 'name'
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim)
    assert result.rc == 0, result.output
    assert result.task("Poor")["result"]["failure"] == {
        "reason": "http_error",
        "status": 402,
        "method": "POST",
        "path": "/servers/",
        "detail": result.task("Poor")["result"]["failure"]["detail"],
        "field_errors": {},
    }
    assert result.task("Poor")["result"]["failure"]["detail"]
    assert result.task("Unknown plan")["result"]["failure"]["reason"] == "http_error"
    assert result.task("Bad name")["result"]["failure"] == {"reason": "invalid_option", "option": "name"}
    assert clean_sim.servers() == []
