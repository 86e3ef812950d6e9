"""vps_fleet through real ansible-playbook runs against the simulator, checked against its request log."""

from __future__ import annotations

from harness import api_call, create_server, last_seq, mutating_requests, play, run_playbook, wait_status

LIST = "/api/v1/servers/"
DEFAULTS = {"plan_id": 1, "os_id": 5, "location": "us-west"}

FLEET = """
    - name: Fleet
      vpsorg.cloud.vps_fleet:
        servers: "{{ fleet }}"
        defaults: "{{ fleet_defaults | default(omit) }}"
        poll_interval: 0.2
        wait_timeout: 60
        concurrency: 4
      register: out
"""


def run_fleet(tmp_path, sim, servers, **kwargs):
    extra = {"fleet": servers, "fleet_defaults": DEFAULTS}
    return run_playbook(tmp_path, play(FLEET), sim=sim, extra_vars=extra, **kwargs)


def by_name(sim):
    return {server["name"]: server for server in sim.servers()}


def api_requests(sim, since=0):
    return [r for r in sim.requests(since=since) if r["path"].startswith("/api/v1/")]


def test_every_state_and_power_then_a_rerun_changes_nothing(clean_sim, tmp_path):
    running = wait_status(clean_sim, create_server(clean_sim, "run-01", hostname="old.example.com")["id"], "active")
    to_start = wait_status(clean_sim, create_server(clean_sim, "start-01")["id"], "active")
    api_call(clean_sim, "POST", f"/servers/{to_start['id']}/stop/")
    wait_status(clean_sim, to_start["id"], "stopped")
    reboot = wait_status(clean_sim, create_server(clean_sim, "reboot-01")["id"], "active")
    doomed = create_server(clean_sim, "gone-01")
    bystander = create_server(clean_sim, "bystander")
    fleet = [
        {"name": "new-01", "hostname": "new-01.example.com", "backups_enabled": True},
        {"name": "new-02", "power": "stopped", "os_id": 3},
        {"name": "run-01", "hostname": "new.example.com", "power": "stopped"},
        {"name": "start-01", "power": "started"},
        {"name": "reboot-01", "power": "restarted"},
        {"name": "gone-01", "state": "absent"},
        {"name": "never-01", "state": "absent"},
    ]
    since = last_seq(clean_sim)
    first = run_fleet(tmp_path / "1", clean_sim, fleet)
    assert first.rc == 0, first.output
    out = first.task("Fleet")["result"]
    state = by_name(clean_sim)
    assert sorted(state) == ["bystander", "new-01", "new-02", "reboot-01", "run-01", "start-01"]
    assert state["bystander"]["id"] == bystander["id"]
    assert state["new-01"]["status"] == "active" and state["new-01"]["backups_enabled"] is True
    assert state["new-02"]["status"] == "stopped" and state["new-02"]["os"]["id"] == 3
    assert state["run-01"]["status"] == "stopped" and state["run-01"]["hostname"] == "new.example.com"
    assert state["start-01"]["status"] == state["reboot-01"]["status"] == "active"
    assert [r["done"] for r in out["results"]] == [
        ["created"],
        ["created", "stopped"],
        ["updated", "stopped"],
        ["started"],
        ["restarted"],
        ["deleted"],
        [],
    ]
    assert [s["name"] for s in out["servers"]] == ["new-01", "new-02", "run-01", "start-01", "reboot-01"]
    assert [s["status"] for s in out["servers"]] == ["active", "stopped", "stopped", "active", "active"]
    assert out["servers"][0]["ip_address"].startswith("203.0.113.")

    log = api_requests(clean_sim, since)
    sent = [(r["method"], r["path"]) for r in log if r["method"] != "GET"]
    assert sorted(sent) == sorted(
        [
            ("POST", LIST),
            ("POST", LIST),
            ("PATCH", f"{LIST}{running['id']}/"),
            ("POST", f"{LIST}{running['id']}/stop/"),
            ("POST", f"{LIST}{to_start['id']}/start/"),
            ("POST", f"{LIST}{reboot['id']}/reboot/"),
            ("DELETE", f"{LIST}{doomed['id']}/"),
            ("POST", f"{LIST}{state['new-02']['id']}/stop/"),
        ]
    )
    # One listing to plan, then only listings to wait: no detail read at all.
    assert log[0]["method"] == "GET" and log[0]["path"] == LIST
    assert [r["path"] for r in log if r["method"] == "GET" and r["path"] != LIST] == []

    since = last_seq(clean_sim)
    second = run_fleet(tmp_path / "2", clean_sim, fleet)
    assert second.rc == 0, second.output
    rerun = second.task("Fleet")
    # restarted acts on every run, as vps_server_power does; everything else is settled.
    assert [r["msg"] for r in rerun["result"]["results"]] == ["unchanged"] * 4 + ["restarted", "unchanged", "unchanged"]
    sent = [(r["method"], r["path"]) for r in mutating_requests(clean_sim, since)]
    assert sent == [("POST", f"{LIST}{reboot['id']}/reboot/")]

    fleet[4].pop("power")
    since = last_seq(clean_sim)
    third = run_fleet(tmp_path / "3", clean_sim, fleet)
    assert third.rc == 0 and third.task("Fleet")["status"] == "ok", third.output
    log = api_requests(clean_sim, since)
    # new-01 sets backups_enabled, which only the detail shows: one detail read, no other.
    assert [(r["method"], r["path"]) for r in log] == [("GET", LIST), ("GET", f"{LIST}{state['new-01']['id']}/")]


def test_check_and_diff_predict_each_entry_and_send_nothing(clean_sim, tmp_path):
    existing = wait_status(clean_sim, create_server(clean_sim, "web-01", hostname="old.example.com")["id"], "active")
    create_server(clean_sim, "old-01")
    since = last_seq(clean_sim)
    fleet = [
        {"name": "new-01"},
        {"name": "web-01", "hostname": "new.example.com", "power": "stopped"},
        {"name": "old-01", "state": "absent"},
    ]
    result = run_fleet(tmp_path, clean_sim, fleet, args=("--check", "--diff"))
    assert result.rc == 0, result.output
    task = result.task("Fleet")
    assert task["status"] == "changed"
    assert [(r["action"], r["power"], r["msg"]) for r in task["result"]["results"]] == [
        ("create", None, "would be created"),
        ("update", "stop", "would be updated, stopped"),
        ("delete", None, "would be deleted"),
    ]
    assert mutating_requests(clean_sim, since) == []
    assert sorted(by_name(clean_sim)) == ["old-01", "web-01"]
    diff = task["result"]["diff"]
    assert [d["before_header"] for d in diff] == ["new-01", "web-01", "old-01"]
    assert diff[1]["before"]["hostname"] == "old.example.com" and diff[1]["after"]["hostname"] == "new.example.com"
    assert diff[1]["before"]["status"] == "active" and diff[1]["after"]["status"] == "stopped"
    assert diff[0]["before"] == {"state": "absent"} and diff[2]["after"] == {"state": "absent"}
    assert '"hostname": "new.example.com"' in result.stdout
    assert by_name(clean_sim)["web-01"]["hostname"] == existing["hostname"]


def test_bad_entries_are_all_refused_before_any_request(clean_sim, tmp_path):
    since = last_seq(clean_sim)
    fleet = [
        {"name": "ok-01"},
        {"name": "bad_name"},
        {"name": "ok-01", "plan_id": -1},
        {"name": "x", "location": "us west\n"},
        {"name": "y", "power": "paused"},
    ]
    result = run_fleet(tmp_path, clean_sim, fleet[:4])
    assert result.rc != 0
    task = result.task("Fleet")["result"]
    assert task["failure"]["reason"] == "invalid_option" and task["failure"]["option"] == "servers[1].name"
    for expected in (
        "servers[1] (bad_name): name 'bad_name' is not a valid server name",
        "servers[2] (ok-01): plan_id must be a positive integer",
        "servers[2] (ok-01): name 'ok-01' is already used by servers[0]",
        "servers[3] (x): location",
    ):
        assert expected in task["msg"], task["msg"]
    choice = run_fleet(tmp_path / "choice", clean_sim, fleet[4:])
    assert choice.rc != 0 and "power" in choice.task("Fleet")["result"]["msg"]
    unknown = run_fleet(tmp_path / "unknown", clean_sim, [{"name": "z", "plan": 1}])
    assert unknown.rc != 0 and "plan" in unknown.task("Fleet")["result"]["msg"]
    assert api_requests(clean_sim, since) == []


def test_one_failed_server_is_named_and_the_others_converge(clean_sim, tmp_path):
    twin_a, twin_b = create_server(clean_sim, "twin"), create_server(clean_sim, "twin")
    fleet = [{"name": "good-01"}, {"name": "bad-plan", "plan_id": 999}, {"name": "twin"}, {"name": "good-02"}]
    result = run_fleet(tmp_path, clean_sim, fleet)
    assert result.rc != 0
    out = result.task("Fleet")["result"]
    assert out["msg"].startswith("2 of 4 servers failed: bad-plan: ")
    assert "plan_id" in out["failure"]["servers"]["bad-plan"]["field_errors"]
    assert f"twin: 2 servers in the account have this name (ids {twin_a['id']}, {twin_b['id']})" in out["msg"]
    assert [s["name"] for s in out["servers"]] == ["good-01", "good-02"]
    assert [r["failed"] for r in out["results"]] == [False, True, True, False]
    assert {s["name"]: s["status"] for s in clean_sim.servers() if s["name"].startswith("good")} == {
        "good-01": "active",
        "good-02": "active",
    }


def test_wait_false_still_provisions_before_stopping_and_returns_early_otherwise(clean_sim, tmp_path):
    tasks = FLEET.replace("concurrency: 4", "concurrency: 4\n        wait: false")
    result = run_playbook(
        tmp_path,
        play(tasks),
        sim=clean_sim,
        extra_vars={"fleet": [{"name": "plain"}, {"name": "cold", "power": "stopped"}], "fleet_defaults": DEFAULTS},
    )
    assert result.rc == 0, result.output
    out = result.task("Fleet")["result"]
    # The stop was sent once the server was provisioned; the task did not wait for it to finish.
    assert [s["status"] for s in out["servers"]] == ["provisioning", "stopping"]
    assert [r["path"].endswith("/stop/") for r in mutating_requests(clean_sim)] == [False, False, True]
