"""The API token stays out of every output, also when the API itself puts it into its answers.

Each ansible-playbook and ansible-inventory run of the suite has its stdout, stderr and recorded
task results searched for every token it could know (conftest.py, after each test). These tests
run at -vvvv, where Ansible prints the most (module arguments, results, the client's progress),
and show that search finds a token that really is printed, that failing tasks
show the no_log marker where the token was, and, with the simulator's echo mode (every error answer
repeats the request's Authorization header), that module, inventory and role failures show the
API's message with the token masked.
"""

from __future__ import annotations

import pytest
from compat import NO_LOG_MARKER, SECRET_TRACKING, VALUE_MASK, WITH_INVOCATION
from harness import create_server, leaked_secrets, play, run_inventory, run_playbook, secrets_of

# What the echo mode's text looks like once the token in it has been masked.
MASKED_ECHO = "request had Authorization: Bearer ********"


@pytest.mark.prints_token_on_purpose
def test_scan_detects_a_printed_token(clean_sim, tmp_path):
    tasks = """
    - name: Print the token on purpose
      ansible.builtin.debug:
        msg: "{{ lookup('ansible.builtin.env', 'VPS_API_TOKEN') }}"
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim, verbosity=4)
    assert leaked_secrets(result, secrets_of(clean_sim, {})) == [clean_sim.token]


@pytest.mark.parametrize(
    "task",
    [
        "vpsorg.cloud.vps_server: {name: 'bad name', plan_id: 1, os_id: 5, location: us-west}",
        "vpsorg.cloud.vps_server: {name: web, plan_id: 999, os_id: 5, location: us-west}",
        "vpsorg.cloud.vps_server_power: {id: 31337, state: started}",
        "vpsorg.cloud.vps_server_info: {api_url: 'http://127.0.0.1:9/api/v1', api_retries: 0}",
    ],
)
@pytest.mark.parametrize("token_from", ["environment", "task argument"])
def test_failures_at_vvvv_show_the_no_log_marker_not_the_token(clean_sim, tmp_path, task, token_from):
    if token_from == "task argument":
        task = f"{task[:-1]}, api_token: {clean_sim.token}}}"
    play_text = play(f"    - name: Fail\n      {task}\n")
    result = run_playbook(tmp_path, play_text, sim=clean_sim, verbosity=4, env=WITH_INVOCATION)
    assert result.rc != 0
    # The failed result's invocation lists the module arguments; the token's place shows the marker.
    invocation = result.task("Fail")["result"]["invocation"]["module_args"]
    assert invocation["api_token"] == NO_LOG_MARKER
    assert NO_LOG_MARKER in result.stdout


@pytest.fixture
def echo_sim(clean_sim):
    clean_sim.set_modes(echo_token=True)
    return clean_sim


@pytest.mark.parametrize("verbosity", [0, 4])
def test_echoed_token_is_masked_in_a_module_failure(echo_sim, tmp_path, verbosity):
    tasks = """
    - name: Create with a plan the API refuses
      vpsorg.cloud.vps_server: {name: web, plan_id: 999, os_id: 5, location: us-west}
"""
    result = run_playbook(tmp_path, play(tasks), sim=echo_sim, verbosity=verbosity)
    assert result.rc != 0
    msg = result.task("Create with a plan the API refuses")["result"]["msg"]
    assert "plan_id" in msg and MASKED_ECHO in msg, msg
    assert [entry["status"] for entry in echo_sim.requests() if entry["method"] == "POST"] == [400]


@pytest.mark.parametrize("verbosity", [0, 4])
def test_echoed_token_is_masked_in_an_inventory_failure(echo_sim, tmp_path, verbosity):
    strict = {"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1", "ANSIBLE_INVENTORY_ENABLED": "vpsorg.cloud.vps"}
    config = "plugin: vpsorg.cloud.vps\nfilters: {status: sleeping}\n"
    result = run_inventory(tmp_path, config, sim=echo_sim, env=strict, verbosity=verbosity)
    assert result.rc != 0, result.output
    # ansible-core before 2.19 wraps the plugin's message at 80 columns: read it with the lines joined.
    stderr = " ".join(result.stderr.split())
    assert "the API rejected the request: status:" in stderr and MASKED_ECHO in stderr, result.stderr
    assert [entry["status"] for entry in echo_sim.requests()] == [400]


@pytest.mark.parametrize("token_as", ["environment", "role variable"])
def test_echoed_token_is_masked_in_a_role_failure(echo_sim, tmp_path, token_as):
    fleet = {
        "vps_servers": [{"name": "echo-1"}, {"name": "echo-2", "plan_id": 999}],
        "vps_servers_defaults": {"plan_id": 1, "os_id": 5, "location": "us-west"},
        "vps_servers_poll_interval": 0.2,
    }
    if token_as == "role variable":
        fleet["vps_api_token"] = echo_sim.token
    playbook = "- name: Fleet\n  hosts: localhost\n  gather_facts: false\n  roles:\n    - role: vpsorg.cloud.servers\n"
    result = run_playbook(tmp_path, playbook, sim=echo_sim, extra_vars=fleet, verbosity=4)
    assert result.rc != 0
    assert MASKED_ECHO in result.output, result.output
    assert "echo-2" in result.output
    assert [s["name"] for s in echo_sim.servers()] == ["echo-1"]


def test_a_listed_server_holding_the_token_is_shown_masked(clean_sim, tmp_path):
    # The listing itself carries the token here (a server named after it): the module result must
    # show it masked, like any value that holds a no_log value, and the run must not print it.
    create_server(clean_sim, f"db-{clean_sim.token}")
    create_server(clean_sim, "plain")
    tasks = """
    - name: List
      vpsorg.cloud.vps_server_info:
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim, verbosity=4)
    assert result.rc == 0, result.output
    names = sorted(server["name"] for server in result.task("List")["result"]["servers"])
    assert names == [f"db-{VALUE_MASK}", "plain"]


def test_a_listing_without_the_token_still_masks_the_token_argument(clean_sim, tmp_path):
    create_server(clean_sim, "plain")
    tasks = """
    - name: List
      vpsorg.cloud.vps_server_info:
        api_token: "  {token}  "
""".replace("{token}", clean_sim.token)
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim, verbosity=4, env=WITH_INVOCATION)
    assert result.rc == 0, result.output
    listed = result.task("List")["result"]
    assert [server["name"] for server in listed["servers"]] == ["plain"]
    # 2.22 masks the token inside the argument and keeps the spaces around it.
    masked = listed["invocation"]["module_args"]["api_token"]
    assert masked == (f"  {NO_LOG_MARKER}  " if SECRET_TRACKING else NO_LOG_MARKER)
