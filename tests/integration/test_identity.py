"""A run never takes, changes or deletes a server it did not create or was not told to touch.

Someone else acts on the account at the moment that matters (the simulator's `insert` rule creates
"their" server of the same name just before or just after the run's create):
- the run's create is answered 502 and not applied, and a person's server of that name appeared in
  the same seconds: the re-read after the lost answer must not take it for the run's;
- a person's server of that name (another plan) lands just before the run's: the concurrent-create
  check must not keep theirs and delete the run's own;
- servers that are identical copies of what the run asked for (other runs of the same playbook) are
  still settled: the oldest is kept, and only the run's own is deleted.
"""

from __future__ import annotations

from harness import play, run_playbook

CREATES = "^/api/v1/servers/$"


def fleet(name, **entry):
    fields = {"plan_id": 1, "os_id": 5, "location": "us-west", **entry}
    body = ", ".join(f"{key}: {value}" for key, value in fields.items())
    return play(
        f"""
    - name: Fleet
      vpsorg.cloud.vps_fleet:
        servers:
          - {{name: {name}, {body}}}
        wait_timeout: 60
      register: out
      ignore_errors: true
"""
    )


def server_task(name):
    return play(
        f"""
    - name: Server
      vpsorg.cloud.vps_server: {{name: {name}, plan_id: 1, os_id: 5, location: us-west}}
      ignore_errors: true
"""
    )


def named(sim, name):
    return sorted((s for s in sim.servers() if s["name"] == name), key=lambda s: s["id"])


def requests_about(sim, server_id):
    return [entry for entry in sim.requests() if f"/servers/{server_id}/" in entry["path"]]


def row(fault_row, scenario, sim, result, plan_id=1):
    """A fault-report row: the task fails by design; a duplicate is a second server of the run's own plan."""
    ours = [s for s in sim.servers() if s["plan"]["id"] == plan_id]
    names = [s["name"] for s in ours]
    fired = sum(rule["fired"] for rule in sim.faults())
    fault_row.add(scenario, sim, [result], fired, len(names) - len(set(names)), expected_failures=1)


def test_a_lost_create_never_adopts_a_persons_server_of_the_same_name(clean_sim, tmp_path, fault_row):
    # The run's POST is answered 502 without being applied; a person created lp-1 (plan 2, eu-central) meanwhile.
    clean_sim.add_insert("POST", CREATES, name="lp-1", plan_id=2, location="eu-central")
    clean_sim.add_fault(kind="status", status=502, method="POST", path=CREATES, count=1)
    result = run_playbook(tmp_path, fleet("lp-1", power="stopped"), sim=clean_sim)
    row(fault_row, "vps_fleet: the create's answer lost (502) while a person creates the same name", clean_sim, result)
    theirs, *ours = named(clean_sim, "lp-1")
    assert theirs["plan"]["id"] == 2 and theirs["location"] == "eu-central"
    # Nothing of the run touched their server: no stop, no read reported as ours.
    assert [
        e["method"] + " " + e["path"] for e in requests_about(clean_sim, theirs["id"]) if e["method"] != "GET"
    ] == []
    assert theirs["status"] in ("provisioning", "active")
    # The run created its own (the first POST was not applied), and was not reported done on theirs.
    assert [s["plan"]["id"] for s in ours] == [1] and ours[0]["location"] == "us-west"
    outcome = result.task("Fleet")["result"]["results"][0]
    assert outcome["id"] != theirs["id"]
    # Two servers now carry the name and one is not a copy: the entry fails naming both, nothing deleted.
    assert outcome["failed"] and str(theirs["id"]) in outcome["msg"] and str(ours[0]["id"]) in outcome["msg"]
    assert "stopped" not in outcome["done"]


def test_vps_server_after_a_lost_create_never_reports_a_persons_server(clean_sim, tmp_path, fault_row):
    clean_sim.add_insert("POST", CREATES, name="lp-1", plan_id=2, location="eu-central")
    clean_sim.add_fault(kind="status", status=502, method="POST", path=CREATES, count=1)
    result = run_playbook(tmp_path, server_task("lp-1"), sim=clean_sim)
    row(fault_row, "vps_server: the create's answer lost (502) while a person creates the same name", clean_sim, result)
    theirs, ours = named(clean_sim, "lp-1")
    task = result.task("Server")
    assert task["status"] == "failed", task
    assert task["result"].get("server", {}).get("id") != theirs["id"]
    assert str(theirs["id"]) in task["result"]["msg"] and str(ours["id"]) in task["result"]["msg"]
    assert ours["plan"]["id"] == 1 and theirs["plan"]["id"] == 2


def test_a_persons_server_of_another_plan_landing_first_is_not_kept_for_ours(clean_sim, tmp_path, fault_row):
    # hp-1 with plan 2 lands just before the run's plan-1 create.
    clean_sim.add_insert("POST", CREATES, name="hp-1", plan_id=2)
    result = run_playbook(tmp_path, fleet("hp-1"), sim=clean_sim)
    row(fault_row, "vps_fleet: a person's server of the name (other plan) lands before the create", clean_sim, result)
    theirs, ours = named(clean_sim, "hp-1")
    outcome = result.task("Fleet")["result"]["results"][0]
    assert outcome["failed"], outcome
    assert str(theirs["id"]) in outcome["msg"] and str(ours["id"]) in outcome["msg"]
    # Nothing deleted: not theirs, and not ours either (which to keep is the user's call).
    assert [e for e in clean_sim.requests() if e["method"] == "DELETE"] == []
    assert theirs["plan"]["id"] == 2 and ours["plan"]["id"] == 1


def test_two_older_servers_of_the_name_that_are_not_copies_fail_naming_every_id(clean_sim, tmp_path):
    clean_sim.add_insert("POST", CREATES, name="hp-2", plan_id=2)
    clean_sim.add_insert("POST", CREATES, name="hp-2", plan_id=3)
    result = run_playbook(tmp_path, fleet("hp-2"), sim=clean_sim)
    servers = named(clean_sim, "hp-2")
    assert len(servers) == 3
    outcome = result.task("Fleet")["result"]["results"][0]
    assert outcome["failed"] and all(str(s["id"]) in outcome["msg"] for s in servers), outcome
    assert [e for e in clean_sim.requests() if e["method"] == "DELETE"] == []


def test_an_identical_copy_created_first_is_kept_and_only_ours_is_deleted(clean_sim, tmp_path):
    # Another run of the same playbook: the same name, plan, OS and location, a moment earlier.
    clean_sim.add_insert("POST", CREATES, name="cp-1", plan_id=1, os_id=5, location="us-west")
    result = run_playbook(tmp_path, fleet("cp-1"), sim=clean_sim)
    (kept,) = named(clean_sim, "cp-1")
    outcome = result.task("Fleet")["result"]["results"][0]
    assert not outcome["failed"] and outcome["id"] == kept["id"], outcome
    deletes = [e["path"] for e in clean_sim.requests() if e["method"] == "DELETE"]
    assert len(deletes) == 1 and f"/{kept['id']}/" not in deletes[0]
