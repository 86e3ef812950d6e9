"""vps_fleet on the simulator: one listing, a plan per entry, the changes at once unless check mode, one
shared wait, the power that needed a settled server, and a result per entry; one entry's failure is its own."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.modules.vps_fleet import VpsFleet
from module_runner import BODY, add, https_url, named, sent, session

CREATES = "^/api/v1/servers/$"
NO_DETAIL = {"status": None, "method": None, "path": None, "detail": None, "field_errors": {}}


@pytest.fixture
def fleet(run):
    """fleet(*entries, **options): one vps_fleet task with BODY as its defaults."""

    def fleet(*servers, **options):
        return run(VpsFleet, servers=list(servers), **dict({"defaults": BODY}, **options))

    return fleet


def by_name(done):
    return {result["name"]: result for result in done.result["results"]}


def test_creates_updates_powers_and_deletes_after_one_listing(fleet, sim):
    keep, doomed = add(sim, "keep"), add(sim, "doomed")
    done = fleet(
        {"name": "new-1", "power": "stopped"},
        {"name": "keep", "hostname": "new.example.com", "power": "stopped"},
        {"name": "doomed", "state": "absent"},
        {"name": "new-2"},
    )
    assert not done.failed and done.result["changed"] is True
    new_1, new_2 = named(sim, "new-1")[0], named(sim, "new-2")[0]
    changes = sent(sim)
    assert sent(sim, changing=False)[0] == ("GET", "/servers/") and changes.count(("POST", "/servers/")) == 2
    assert sorted(set(changes)) == sorted(
        {
            ("POST", "/servers/"),
            ("PATCH", f"/servers/{keep}/"),
            ("POST", f"/servers/{keep}/stop/"),
            ("DELETE", f"/servers/{doomed}/"),
            ("POST", f"/servers/{new_1['id']}/stop/"),
        }
    )
    # A server's update comes before its power action; a new server is stopped once it is active.
    assert changes.index(("PATCH", f"/servers/{keep}/")) < changes.index(("POST", f"/servers/{keep}/stop/"))
    assert changes[-1] == ("POST", f"/servers/{new_1['id']}/stop/") and named(sim, "doomed") == []
    assert [(s["name"], s["status"]) for s in done.result["servers"]] == [
        ("new-1", "stopped"),
        ("keep", "stopped"),
        ("new-2", "active"),
    ]
    assert done.result["servers"][1]["hostname"] == "new.example.com" and new_2["status"] == "active"
    assert [(r["id"], r["action"], r["power"], r["done"], r["msg"]) for r in done.result["results"]] == [
        (new_1["id"], "create", "stop", ["created", "stopped"], "created, stopped"),
        (keep, "update", "stop", ["updated", "stopped"], "updated, stopped"),
        (doomed, "delete", None, ["deleted"], "deleted"),
        (new_2["id"], "create", None, ["created"], "created"),
    ]
    assert by_name(done)["keep"]["changes"] == {"hostname": "new.example.com"}
    assert by_name(done)["new-2"]["changes"] == dict(BODY, name="new-2")


def test_a_second_run_changes_nothing_and_lists_once(fleet, sim):
    add(sim, "a", hostname="a.example.com")
    add(sim, "b", "stopped")
    done = fleet({"name": "a", "hostname": "a.example.com"}, {"name": "b", "power": "stopped"}, diff=True)
    assert done.result["changed"] is False and done.result["diff"] == []
    assert sent(sim, changing=False) == [("GET", "/servers/")]
    assert [(r["msg"], r["failure"], r["changed"]) for r in done.result["results"]] == [("unchanged", None, False)] * 2


def test_backups_enabled_costs_one_detail_read_and_is_compared_on_it(fleet, sim):
    server_id = add(sim, "a", backups_enabled=True)
    done = fleet({"name": "a", "backups_enabled": True})
    assert done.result["changed"] is False
    assert sent(sim, changing=False) == [("GET", "/servers/"), ("GET", f"/servers/{server_id}/")]


def test_a_failed_detail_read_fails_that_server_with_the_apis_answer(fleet, sim):
    server_id = add(sim, "a")
    sim.add_fault(kind="status", status=502, method="GET", path=r"^/api/v1/servers/\d+/$", count=1)
    done = fleet({"name": "a", "backups_enabled": True}, api_retries=0)
    assert sent(sim) == [] and done.result["msg"] == (
        "1 of 1 servers failed: a: the VPS.org API failed with a server error (HTTP 502); try again later "
        f"(api_url {https_url(sim)}) "
        f"(GET /servers/{server_id}/ answered HTTP 502)"
    )


def test_every_entry_problem_is_named_before_any_request(fleet, sim):
    done = fleet({"name": "ok"}, {"name": "bad name"}, {"name": "ok", "plan_id": 0}, {"name": "x", "hostname": " h"})
    assert done.result["failure"] == {"reason": "invalid_option", "option": "servers[1].name"}
    assert done.result["msg"] == (
        "servers[1] (bad name): name 'bad name' is not a valid server name: use 1 to 63 letters, digits and hyphens; "
        f"servers[2] (ok): plan_id must be a positive integer no larger than {contract.MAX_ID}, got 0; "
        "servers[2] (ok): name 'ok' is already used by servers[0]; each server may appear only once; "
        "servers[3] (x): hostname ' h' must not have surrounding whitespace or control characters"
    )
    assert sim.requests() == []


def test_entry_problems_are_named_together_with_the_connection_problems(fleet, sim):
    done = fleet({"name": "bad name"}, concurrency=0)
    assert "concurrency must be between 1 and 32, got 0" in done.result["msg"]
    assert "servers[0] (bad name): name 'bad name' is not a valid server name" in done.result["msg"]


@pytest.mark.parametrize("concurrency", [1, 2])
def test_requests_about_several_servers_go_concurrency_at_a_time(fleet, sim, concurrency):
    sim.seed(250)
    ids = [add(sim, "a"), add(sim, "b")]
    seen = []
    entries = [{"name": name, "backups_enabled": True, "power": "stopped"} for name in ("a", "b")]
    done = fleet(*entries, concurrency=concurrency, http=session(sim, seen))
    assert not done.failed and [s["status"] for s in done.result["servers"]] == ["stopped", "stopped"]
    about = [r for r in seen if any(f"/servers/{server_id}/" in r["url"] for server_id in ids)]
    # Detail reads of the plan, the changes, and the reads of servers that left their status.
    assert len(about) == 8 and len([r for r in about if r["method"] == "GET"]) == 4
    threads = {r["thread"] for r in about}
    assert threads == {"MainThread"} if concurrency == 1 else "MainThread" not in threads


def test_one_failing_server_does_not_stop_the_others_and_is_named(fleet, sim):
    twin_a, twin_b = add(sim, "twin"), add(sim, "twin")
    sim.add_fault(kind="status", status=503, count=1)
    names = [f"ok-{i}" for i in range(6)]
    done = fleet(
        *[{"name": n} for n in names[:3]],
        {"name": "bad", "plan_id": 99},
        {"name": "twin"},
        *[{"name": n} for n in names[3:]],
    )
    assert done.result["msg"] == (
        '2 of 8 servers failed: bad: the API rejected the request: plan_id: Invalid pk "99" - object does not exist. '
        f"(POST /servers/ answered HTTP 400); twin: 2 servers in the account have this name (ids {twin_a}, {twin_b}); "
        "rename or delete the extra ones, nothing is done on a guess"
    )
    failure = done.result["failure"]
    assert failure == dict(NO_DETAIL, reason="servers_failed", servers=failure["servers"])
    assert failure["servers"]["bad"]["field_errors"] == {"plan_id": 'Invalid pk "99" - object does not exist.'}
    assert failure["servers"]["twin"] == dict(NO_DETAIL, reason="refused")
    assert [(s["name"], s["status"]) for s in done.result["servers"]] == [(n, "active") for n in names]
    assert by_name(done)["twin"]["action"] == "refuse" and by_name(done)["bad"]["action"] == "create"
    assert by_name(done)["twin"]["failure"] == failure["servers"]["twin"]
    (retry,) = done.result["progress"]
    assert retry.startswith("GET /servers/ answered HTTP 503; retrying in ")


@pytest.mark.parametrize("check_mode", [False, True])
def test_check_mode_predicts_and_sends_nothing_with_a_diff_per_changing_server(fleet, sim, check_mode):
    old, running = add(sim, "old"), add(sim, "run")
    add(sim, "same", hostname="same.example.com")
    add(sim, "frozen", "suspended")
    done = fleet(
        {"name": "new", "power": "stopped", "hostname": "new.example.com"},
        {"name": "old", "state": "absent"},
        {"name": "run", "power": "stopped"},
        {"name": "same", "hostname": "same.example.com"},
        {"name": "frozen", "power": "started"},
        check_mode=check_mode,
        diff=True,
        wait=False,
    )
    if check_mode:
        assert sent(sim) == [] and [(r["action"], r["power"], r["done"], r["msg"]) for r in done.result["results"]] == [
            ("create", "stop", [], "would be created, stopped"),
            ("delete", None, [], "would be deleted"),
            ("none", "stop", [], "would be stopped"),
            ("none", None, [], "unchanged"),
            ("refuse", None, [], done.result["results"][4]["msg"]),
        ]
        # The shape vps_server predicts for a new server: plan and os as the API shows them.
        predicted = {"name": "new", "hostname": "new.example.com", "location": BODY["location"], "status": "stopped"}
        assert done.result["servers"][0] == dict(predicted, plan={"id": BODY["plan_id"]}, os={"id": BODY["os_id"]})
        assert [r["id"] for r in done.result["results"][1:3]] == [old, running]
    diff = done.result["diff"]
    assert [d["before_header"] for d in diff] == ["new", "old", "run"] == [d["after_header"] for d in diff]
    assert diff[0] == {
        "before_header": "new",
        "after_header": "new",
        "before": {"state": "absent"},
        "after": dict(
            BODY, name="new", hostname="new.example.com", backups_enabled=None, state="present", status="stopped"
        ),
    }
    view = dict(BODY, name="old", hostname="old", backups_enabled=None, state="present", status="active")
    assert diff[1]["before"] == view and diff[1]["after"] == {"state": "absent"}
    assert diff[2]["after"] == dict(view, name="run", hostname="run", status="stopped")
    assert done.result["changed"] is True and done.failed and "frozen" in done.result["failure"]["servers"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_busy_server_is_settled_before_its_power_is_decided(fleet, sim, check_mode):
    busy, stopping = add(sim, "busy", "starting"), add(sim, "halting", "stopping")
    done = fleet({"name": "busy", "power": "stopped"}, {"name": "halting", "power": "stopped"}, check_mode=check_mode)
    assert not done.failed, done.result["msg"]
    assert sent(sim) == ([] if check_mode else [("POST", f"/servers/{busy}/stop/")])
    assert [(r["id"], r["power"], r["msg"]) for r in done.result["results"]] == [
        (busy, "stop", "would be stopped" if check_mode else "stopped"),
        (stopping, None, "unchanged"),
    ]
    # Check mode returns the server as found, with the power it would get.
    assert [s["status"] for s in done.result["servers"]] == ["stopped", "stopping" if check_mode else "stopped"]


def test_a_server_that_comes_up_other_than_active_fails_alone(fleet, sim):
    # A person suspends the new server while it is provisioning: it never becomes active.
    def suspend_the_new_one(method, url):
        if (
            method == "GET"
            and "/servers/" in url
            and named(sim, "a")
            and named(sim, "a")[0]["status"] == "provisioning"
        ):
            sim.suspend(named(sim, "a")[0]["id"])

    done = fleet({"name": "a"}, {"name": "b"}, http=session(sim, before=suspend_the_new_one))
    server_id = named(sim, "a")[0]["id"]
    assert done.result["msg"] == (
        f"1 of 2 servers failed: a: server 'a' (id {server_id}) settled as suspended while waiting for active"
    )
    assert done.result["failure"]["servers"]["a"]["reason"] == "unexpected_status"
    assert [s["name"] for s in done.result["servers"]] == ["b"]


def test_servers_that_do_not_settle_in_time_fail_with_their_last_status(fleet, sim, clock):
    done = fleet({"name": "slow-1"}, {"name": "slow-2"}, wait_timeout=2, poll_interval=0.5)
    one, two = (named(sim, name)[0]["id"] for name in ("slow-1", "slow-2"))
    assert done.result["msg"] == (
        f"2 of 2 servers failed: slow-1: server 'slow-1' (id {one}): still provisioning after 2 s (timed out waiting "
        f"for it to become active); slow-2: server 'slow-2' (id {two}): still provisioning after 2 s (timed out "
        "waiting for it to become active)"
    )
    assert done.result["failure"]["servers"]["slow-2"] == dict(NO_DETAIL, reason="wait_timeout")
    assert set(clock.sleeps) == {0.5}


def test_a_fixed_field_that_differs_is_refused_naming_both_values(fleet, sim):
    server_id = add(sim, "web", plan_id=2)
    done = fleet({"name": "web"})
    assert sent(sim) == [] and done.result["msg"] == (
        f"1 of 1 servers failed: web: plan_id cannot be changed on existing server 'web' (id {server_id}): it is 2, "
        "requested 1. Create a new server to change them; this one is left untouched."
    )


def test_power_only_entries_create_nothing_and_absent_ones_ignore_power(fleet, sim):
    done = fleet(
        {"name": "gone", "state": "absent", "power": "stopped"}, {"name": "ghost", "power": "started"}, defaults=None
    )
    assert sent(sim) == [] and done.result["servers"] == []
    assert done.result["results"][0]["msg"] == "unchanged"
    assert done.result["msg"] == (
        "1 of 2 servers failed: ghost: no server named 'ghost' exists in the account; an entry with only a power "
        "state creates none"
    )


def test_options_the_api_does_not_report_are_warned_about_once_naming_each_server(fleet, sim):
    add(sim, "a")
    add(sim, "b")
    done = fleet({"name": "b", "ssh_key_id": 3}, {"name": "a", "ssh_key_id": 3})
    assert done.warnings == [
        "the API does not report these options for existing servers, so they were not compared: "
        "ssh_key_id (a), ssh_key_id (b)"
    ]


def test_without_wait_the_answers_are_returned_after_the_listing_that_checks_for_a_race(fleet, sim):
    server_id = add(sim, "a", hostname="a.example.com")
    done = fleet({"name": "a", "power": "stopped", "hostname": "new.example.com"}, {"name": "b"}, wait=False)
    new = named(sim, "b")[0]["id"]
    path = f"/servers/{server_id}/"
    assert sorted(sent(sim, changing=False)) == sorted(
        [("GET", "/servers/"), ("PATCH", path), ("POST", f"{path}stop/"), ("POST", "/servers/"), ("GET", "/servers/")]
    )
    a, b = done.result["servers"]
    # The power action's answer shows the transition; the update's answer the detail fields.
    assert (a["status"], a["hostname"], a["backups_enabled"]) == ("stopping", "new.example.com", False)
    assert (b["id"], b["status"]) == (new, "provisioning") and tuple(b) == contract.DETAIL_FIELDS


def test_a_delete_is_waited_out_until_the_listing_no_longer_shows_it(fleet, sim):
    server_id = add(sim, "a")
    done = fleet({"name": "a", "state": "absent"})
    assert not done.failed
    assert sent(sim, changing=False) == [
        ("GET", "/servers/"),
        ("DELETE", f"/servers/{server_id}/"),
        ("GET", "/servers/"),
    ]


@pytest.mark.parametrize(("status", "final"), [("provisioning", "active"), ("stopping", "stopped")])
def test_an_update_of_a_busy_server_waits_until_it_settles_keeping_the_detail_fields(fleet, sim, status, final):
    add(sim, "a", status)
    done = fleet({"name": "a", "backups_enabled": True})
    assert not done.failed and sent(sim, changing=False)[-1] == ("GET", "/servers/")
    assert (done.result["servers"][0]["status"], done.result["servers"][0]["backups_enabled"]) == (final, True)


def test_the_wait_for_new_servers_in_a_large_account_reads_the_newest_page(fleet, sim, clock):
    sim.seed(250)
    done = fleet({"name": "n-1"}, {"name": "n-2"}, {"name": "n-3"}, poll_interval=1.0)
    assert [s["status"] for s in done.result["servers"]] == ["active"] * 3 and set(clock.sleeps) == {1.0}
    lists = [entry["query"] for entry in sim.requests() if entry["method"] == "GET"]
    assert sorted(lists[:3]) == ["page_size=100", "page_size=100&page=2", "page_size=100&page=3"]
    assert lists[3] == "status=provisioning&page_size=100" and set(lists[4:]) == {"page_size=100&page=last"}


# -- identity: someone else's server of the same name ------------------------------------------------


def test_a_lost_create_never_adopts_a_persons_server_of_the_same_name(fleet, sim):
    sim.add_insert("POST", CREATES, name="lp-1", plan_id=2, location="eu-central")
    sim.add_fault(kind="status", status=502, method="POST", path=CREATES, count=1)
    done = fleet({"name": "lp-1", "power": "stopped"})
    theirs, ours = named(sim, "lp-1")
    assert (theirs["plan"]["id"], ours["plan"]["id"]) == (2, 1)
    assert sent(sim) == [("POST", "/servers/")] * 2
    (result,) = done.result["results"]
    assert result["failed"] and result["id"] == ours["id"] and result["done"] == ["created"]
    assert f"servers {theirs['id']}, {ours['id']} carry that name" in result["msg"]
    assert result["failure"]["reason"] == "name_conflict" and done.result["servers"] == []


def test_servers_of_the_name_that_are_not_copies_fail_naming_every_id_and_nothing_is_deleted(fleet, sim):
    sim.add_insert("POST", CREATES, name="hp-2", plan_id=2)
    sim.add_insert("POST", CREATES, name="hp-2", plan_id=3)
    done = fleet({"name": "hp-2"})
    ids = ", ".join(str(server["id"]) for server in named(sim, "hp-2"))
    assert done.result["results"][0]["msg"] == (
        f"after this run created 'hp-2' (id {named(sim, 'hp-2')[-1]['id']}), servers {ids} carry that name, and they "
        "do not match what this run asked for (someone else's): nothing was deleted; keep one and rename or delete "
        "the others"
    )
    assert sent(sim) == [("POST", "/servers/")]


def test_an_identical_copy_created_first_is_kept_and_only_ours_is_deleted(fleet, sim):
    sim.add_insert("POST", CREATES, name="cp-1", status="stopped", **BODY)
    done = fleet({"name": "cp-1"})
    ((kept,),) = [named(sim, "cp-1")]
    ours = kept["id"] + 1
    race = (
        f"server 'cp-1' was also created at the same time by another run: kept the oldest (id {kept['id']}) and "
        f"deleted the one this run created (id {ours})"
    )
    # The kept server is waited for like any the run created (it may be on its way to where the other run put it).
    assert not done.failed and sent(sim, changing=False) == [
        ("GET", "/servers/"),
        ("POST", "/servers/"),
        ("GET", "/servers/"),
        ("DELETE", f"/servers/{ours}/"),
        ("GET", "/servers/"),
    ]
    (result,) = done.result["results"]
    assert (result["id"], result["msg"], result["done"]) == (kept["id"], f"created; {race}", ["created"])
    assert done.warnings == [race] and done.result["servers"][0]["status"] == "stopped"
