"""The vpsorg.cloud.servers role through real ansible-playbook runs against the simulator."""

from __future__ import annotations

import itertools

from harness import api_call, create_server, last_seq, mutating_requests, run_playbook, wait_status

# Short polls: the simulator of the integration suite provisions in well under a second.
FAST = {"vps_servers_poll_interval": 0.2, "vps_servers_wait_timeout": 60}
DEFAULTS = {"plan_id": 1, "os_id": 5, "location": "us-west"}

# The role, then a second play on the group it filled: proves add_host and the hostvars.
PLAYBOOK = """
- name: Fleet
  hosts: localhost
  gather_facts: false
  roles:
    - role: vpsorg.cloud.servers

- name: Configure the fleet
  hosts: vps_fleet
  gather_facts: false
  tasks:
    - name: Check the inventory entry
      ansible.builtin.assert:
        that:
          - ansible_host == vps_server.ip_address
          - vps_server.name == inventory_hostname
          - vps_server.status in ['active', 'stopped']
"""

ROLE = "vpsorg.cloud.servers : "
LIST = "/api/v1/servers/"


def fleet(*servers, **extra):
    return {"vps_servers": list(servers), "vps_servers_defaults": DEFAULTS, **FAST, **extra}


def by_name(sim):
    return {server["name"]: server for server in sim.servers()}


def requests_since(sim, since):
    return [r for r in sim.requests(since=since) if r["path"].startswith("/api/v1/")]


def list_requests(entries):
    return [r for r in entries if r["method"] == "GET" and r["path"] == LIST]


def summary_lines(result):
    return result.task(ROLE + "Summarise the fleet")["result"]["msg"]


def test_provisions_fleet_waits_once_and_rerun_changes_nothing(clean_sim, tmp_path):
    other = create_server(clean_sim, "not-in-fleet")
    wanted = fleet(
        {"name": "web-01", "hostname": "web-01.example.com"},
        {"name": "web-02", "backups_enabled": True},
        {"name": "batch-01", "power": "stopped", "os_id": 3},
    )
    since = last_seq(clean_sim)
    first = run_playbook(tmp_path / "1", PLAYBOOK, sim=clean_sim, extra_vars=wanted)
    assert first.rc == 0, first.output

    servers = by_name(clean_sim)
    assert servers["web-01"]["status"] == "active" and servers["web-01"]["hostname"] == "web-01.example.com"
    assert servers["web-02"]["backups_enabled"] is True
    assert servers["batch-01"]["status"] == "stopped" and servers["batch-01"]["os"]["id"] == 3
    assert servers["not-in-fleet"]["id"] == other["id"]
    for host in ("web-01", "web-02", "batch-01"):
        assert first.recap[host]["ok"] == 1 and first.recap[host]["failed"] == 0, first.output

    # Every create is sent before any wait; the wait polls the list, never a server's detail.
    log = requests_since(clean_sim, since)
    posts = [i for i, r in enumerate(log) if r["method"] == "POST" and r["path"] == LIST]
    assert len(posts) == 3
    after = log[posts[-1] + 1 :]
    polls = list(itertools.takewhile(lambda r: r["method"] == "GET" and r["path"] == LIST, after))
    assert polls, after
    # The next request is batch-01's stop, sent once it is provisioned, without a detail read.
    assert (after[len(polls)]["method"], after[len(polls)]["path"]) == (
        "POST",
        "/api/v1/servers/{}/stop/".format(servers["batch-01"]["id"]),
    )

    since = last_seq(clean_sim)
    second = run_playbook(tmp_path / "2", PLAYBOOK, sim=clean_sim, extra_vars=wanted)
    assert second.rc == 0, second.output
    assert all(counts["changed"] == 0 for counts in second.recap.values()), second.recap
    assert mutating_requests(clean_sim, since) == []
    assert len(list_requests(requests_since(clean_sim, since))) == 1
    assert summary_lines(second) == [
        "web-01: unchanged; id {id}, active, {ip_address}".format(**servers["web-01"]),
        "web-02: unchanged; id {id}, active, {ip_address}".format(**servers["web-02"]),
        "batch-01: unchanged; id {id}, stopped, {ip_address}".format(**servers["batch-01"]),
    ]


def test_changes_existing_servers_in_place_and_deletes_absent_ones(clean_sim, tmp_path):
    keep = wait_status(clean_sim, create_server(clean_sim, "app-01", hostname="old.example.com")["id"], "active")
    doomed = create_server(clean_sim, "app-02")
    wait_status(clean_sim, doomed["id"], "active")
    since = last_seq(clean_sim)
    wanted = fleet(
        {"name": "app-01", "hostname": "new.example.com", "power": "stopped"},
        {"name": "app-02", "state": "absent"},
    )
    result = run_playbook(tmp_path, PLAYBOOK, sim=clean_sim, extra_vars=wanted)
    assert result.rc == 0, result.output
    sent = [(r["method"], r["path"]) for r in mutating_requests(clean_sim, since)]
    # Servers are handled concurrently; one server's update comes before its power action.
    assert sorted(sent) == [
        ("DELETE", f"/api/v1/servers/{doomed['id']}/"),
        ("PATCH", f"/api/v1/servers/{keep['id']}/"),
        ("POST", f"/api/v1/servers/{keep['id']}/stop/"),
    ]
    assert sent.index(("PATCH", f"/api/v1/servers/{keep['id']}/")) < sent.index(
        ("POST", f"/api/v1/servers/{keep['id']}/stop/")
    )
    assert list(by_name(clean_sim)) == ["app-01"]
    assert by_name(clean_sim)["app-01"]["status"] == "stopped"
    assert summary_lines(result) == [
        f"app-01: updated, stopped; id {keep['id']}, stopped, {keep['ip_address']}",
        "app-02: deleted",
    ]
    assert "app-02" not in result.recap


def test_one_failed_server_is_named_and_the_others_are_provisioned(clean_sim, tmp_path):
    twin_a = create_server(clean_sim, "twin")
    twin_b = create_server(clean_sim, "twin")
    wanted = fleet(
        {"name": "good-01"},
        {"name": "bad-plan", "plan_id": 999},
        {"name": "twin", "power": "stopped"},
        {"name": "good-02"},
    )
    result = run_playbook(tmp_path, PLAYBOOK, sim=clean_sim, extra_vars=wanted)
    assert result.rc != 0

    servers = by_name(clean_sim)
    assert servers["good-01"]["status"] == servers["good-02"]["status"] == "active"
    assert "bad-plan" not in servers
    # The good servers reached the inventory; the failure then stops the playbook.
    published = result.task(ROLE + "Publish the outcome for later tasks and plays")["result"]["ansible_facts"]
    assert [s["name"] for s in published["vps_servers_result"]["servers"]] == ["good-01", "good-02"]
    assert set(published["vps_servers_result"]["failed"]) == {"bad-plan", "twin"}

    message = result.task(ROLE + "Check that every server of the fleet succeeded")["result"]["msg"]
    assert message.startswith("2 server(s) failed:"), message
    assert "bad-plan: " in message and "plan_id" in message
    assert f"twin: 2 servers in the account have this name (ids {twin_a['id']}, {twin_b['id']})" in message
    lines = summary_lines(result)
    assert lines[0].startswith("good-01: created; id ") and lines[3].startswith("good-02: created; id ")
    assert lines[1].startswith("bad-plan: FAILED - ") and lines[2].startswith("twin: FAILED - ")
    # Nothing was done to the ambiguous servers.
    assert {s["status"] for s in clean_sim.servers() if s["name"] == "twin"} == {"active"}


def test_servers_that_do_not_settle_in_time_are_named(clean_sim, tmp_path):
    clean_sim.set_timings(provision_delay=30)
    wanted = fleet({"name": "slow-01"}, {"name": "slow-02"}, vps_servers_wait_timeout=1, vps_servers_poll_interval=0.3)
    result = run_playbook(tmp_path, PLAYBOOK, sim=clean_sim, extra_vars=wanted)
    assert result.rc != 0
    message = result.task(ROLE + "Check that every server of the fleet succeeded")["result"]["msg"]
    for name in ("slow-01", "slow-02"):
        assert f"{name}: server '{name}' (id " in message and "): still provisioning after 1 s" in message, message


def test_check_mode_predicts_and_sends_nothing(clean_sim, tmp_path):
    create_server(clean_sim, "old-01")
    since = last_seq(clean_sim)
    wanted = fleet({"name": "new-01"}, {"name": "old-01", "state": "absent"})
    result = run_playbook(tmp_path, PLAYBOOK, sim=clean_sim, extra_vars=wanted, args=("--check",))
    assert result.rc == 0, result.output
    results = result.task(ROLE + "Make the account match the fleet")["result"]["results"]
    assert [(r["name"], r["msg"]) for r in results] == [("new-01", "would be created"), ("old-01", "would be deleted")]
    assert result.recap["localhost"]["changed"] == 1
    assert mutating_requests(clean_sim, since) == []
    assert list(by_name(clean_sim)) == ["old-01"]


def test_token_given_as_variable_never_shows(clean_sim, tmp_path):
    # The harness scans the output for every token; here the token only comes from a
    # variable, and the per-server results are shown (vps_servers_no_log false).
    wanted = fleet(
        {"name": "tok-01"},
        vps_api_url=clean_sim.api_url,
        vps_api_token=clean_sim.token,
        vps_servers_no_log=False,
    )
    result = run_playbook(tmp_path, PLAYBOOK, sim=clean_sim, extra_vars=wanted, env={"VPS_API_TOKEN": None})
    assert result.rc == 0, result.output
    assert "tok-01" in by_name(clean_sim)
    assert api_call(clean_sim, "GET", "/servers/")[1]["count"] == 1


def test_bad_role_variables_are_refused_before_any_request(clean_sim, tmp_path):
    since = last_seq(clean_sim)
    cases = {
        "poll0": {"vps_servers_poll_interval": 0},
        "timeout": {"vps_servers_wait_timeout": -5},
        "concurrency": {"vps_servers_concurrency": 100},
        "group": {"vps_servers_group": "bad group"},
        "not-a-number": {"vps_servers_poll_interval": "soon"},
        "entry": {"vps_servers": [{"name": "ok-01"}, {"name": "no spaces"}]},
    }
    for label, bad in cases.items():
        wanted = dict(fleet({"name": "ok-01"}), **bad)
        result = run_playbook(tmp_path / label, PLAYBOOK, sim=clean_sim, extra_vars=wanted)
        assert result.rc != 0, label
        assert "vps_servers" in result.output or "servers[1]" in result.output, (label, result.output)
    # Nothing was sent for any of them: not even a listing.
    assert [r for r in clean_sim.requests(since=since) if r["path"].startswith("/api/")] == []
    assert clean_sim.servers() == []
