"""Every request that changes something, with its answer lost after the API applied it.

The simulator commits each request, then closes the connection without answering
(`drop_after_commit`): POST create, POST start/stop/reboot, PATCH and DELETE, each in one
playbook run per retry budget (api_retries 0, 1 and the default). Whatever the budget, every
task must report what really happened (changed, the server as it is), nothing may be sent
twice, and the account must end exactly as asked. The modules never send PUT; the client's
handling of a lost PUT is covered by the unit tests.
"""

from __future__ import annotations

import collections

import pytest
from fault_rows import duplicates, failed_tasks
from harness import Result, api_call, create_server, play, run_playbook, wait_status

# name -> (task, the request it sends, the endpoint counter that request increments)
CHANGES = {
    "Create": ("POST", "^/api/v1/servers/$", "POST /api/v1/servers/"),
    "Update": ("PATCH", "^/api/v1/servers/{upd}/$", "PATCH /api/v1/servers/{id}/"),
    "Delete": ("DELETE", "^/api/v1/servers/{dele}/$", "DELETE /api/v1/servers/{id}/"),
    "Stop": ("POST", "^/api/v1/servers/{stp}/stop/$", "POST /api/v1/servers/{id}/stop/"),
    "Start": ("POST", "^/api/v1/servers/{sta}/start/$", "POST /api/v1/servers/{id}/start/"),
    "Restart": ("POST", "^/api/v1/servers/{rbt}/reboot/$", "POST /api/v1/servers/{id}/reboot/"),
}

TASKS = """
    - name: Create
      vpsorg.cloud.vps_server: {{name: new, plan_id: 1, os_id: 5, location: us-west}}
    - name: Update
      vpsorg.cloud.vps_server: {{id: {upd}, hostname: upd.example.com}}
    - name: Delete
      vpsorg.cloud.vps_server: {{id: {dele}, state: absent}}
    - name: Stop
      vpsorg.cloud.vps_server_power: {{id: {stp}, state: stopped}}
    - name: Start
      vpsorg.cloud.vps_server_power: {{id: {sta}, state: started}}
    - name: Restart
      vpsorg.cloud.vps_server_power: {{id: {rbt}, state: restarted}}
"""


class TaskSlice:
    """The simulator as one task of the run saw it: the requests about that task's server."""

    def __init__(self, sim, log, paths):
        self.tokens, self.admin_token = sim.tokens, sim.admin_token
        self._total = sum(1 for entry in log if entry["path"] in paths)

    def counters(self):
        return {"total": self._total}


def task_paths(task, ids, sim):
    """API paths one task's requests use (only Create reads the list: the others go by id)."""
    if task == "Create":
        new = [server["id"] for server in sim.servers() if server["name"] == "new"]
        return {"/api/v1/servers/", *(f"/api/v1/servers/{server_id}/" for server_id in new)}
    server_id = ids[{"Update": "upd", "Delete": "dele", "Stop": "stp", "Start": "sta", "Restart": "rbt"}[task]]
    base = f"/api/v1/servers/{server_id}/"
    return {base, base + "stop/", base + "start/", base + "reboot/"}


def account(sim):
    """One server per change, settled in the status the change starts from."""
    ids = {key: create_server(sim, key)["id"] for key in ("upd", "dele", "stp", "sta", "rbt")}
    for server_id in ids.values():
        wait_status(sim, server_id, "active")
    api_call(sim, "POST", f"/servers/{ids['sta']}/stop/")
    wait_status(sim, ids["sta"], "stopped")
    return ids


@pytest.mark.parametrize("retries", [0, 1, None], ids=["retries-0", "retries-1", "retries-default"])
def test_every_change_whose_answer_is_lost_is_settled(clean_sim, tmp_path, retries, fault_row):
    ids = account(clean_sim)
    for method, path, _counter in CHANGES.values():
        clean_sim.add_fault(kind="drop_after_commit", method=method, path=path.format(**ids), count=1)
    before = collections.Counter(clean_sim.counters()["by_endpoint"])
    defaults = (
        "" if retries is None else f"  module_defaults:\n    group/vpsorg.cloud.vps:\n      api_retries: {retries}\n"
    )
    playbook = play(TASKS.format(**ids)).replace("  tasks:\n", defaults + "  tasks:\n", 1)
    result = run_playbook(tmp_path, playbook, sim=clean_sim)
    faults = sum(rule["fired"] for rule in clean_sim.faults() if rule["kind"] != "latency")
    sent = collections.Counter(clean_sim.counters()["by_endpoint"]) - before
    budget = "default" if retries is None else retries
    log = clean_sim.requests()
    for task, (method, _path, _counter) in CHANGES.items():
        fault_row.add(
            f"R5 lost answer: {method} ({task.lower()}), api_retries {budget}",
            TaskSlice(clean_sim, log, task_paths(task, ids, clean_sim)),
            [Result(result.rc, result.stdout, result.stderr, [t for t in result.tasks if t["task"] == task])],
            1,
            duplicates(clean_sim),
            rate_applies=True,
        )
    assert result.rc == 0, result.output
    assert failed_tasks(result) == 0
    assert faults == len(CHANGES)
    for task, (_method, _path, counter) in CHANGES.items():
        assert sent[counter] == 1, f"{task}: {sent[counter]} {counter} requests reached the API"
        outcome = result.task(task)
        assert outcome["status"] == "changed", (task, outcome)
        progress = outcome["result"].get("progress", [])
        assert any("took effect although its answer was lost" in line for line in progress), (task, progress)

    state = {server["name"]: server for server in clean_sim.servers()}
    assert sorted(state) == ["new", "rbt", "sta", "stp", "upd"]
    assert duplicates(clean_sim) == 0
    assert state["upd"]["hostname"] == "upd.example.com"
    assert state["stp"]["status"] == "stopped"
    assert state["sta"]["status"] == "active" and state["rbt"]["status"] == "active"
    assert state["new"]["status"] == "active"
    assert result.task("Create")["result"]["server"]["id"] == state["new"]["id"]
    assert result.task("Create")["result"]["server"]["status"] == "active"
    assert result.task("Update")["result"]["server"]["hostname"] == "upd.example.com"
    assert result.task("Delete")["result"]["server"] == {}
    assert result.task("Stop")["result"]["server"]["status"] == "stopped"
    assert result.task("Start")["result"]["server"]["status"] == "active"
    assert result.task("Restart")["result"]["server"]["status"] == "active"
