"""vps_server on the simulator: arguments -> the server as it is -> plan -> change unless check mode -> wait ->
result; never a server of someone else taken, changed or deleted for the run's own."""

from __future__ import annotations

import sys

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server import VpsServer
from module_runner import BODY, add, named, sent

NEW = dict(BODY, name="web-1")
CREATES = "^/api/v1/servers/$"
NO_DETAIL = {"status": None, "method": None, "path": None, "detail": None, "field_errors": {}}


def view(**fields):
    """The managed fields of web-1 as `add` makes it, in --diff form."""
    return dict(NEW, **{"hostname": "web-1", "backups_enabled": False, "state": "present", **fields})


def posted(sim):
    return [entry["body"] for entry in sim.requests() if entry["method"] in ("POST", "PATCH")]


# -- create ---------------------------------------------------------------------------------------


def test_a_missing_server_is_created_once_and_waited_for_until_active(run, sim):
    done = run(VpsServer, **NEW)
    assert not done.failed and done.result["changed"] is True
    assert posted(sim) == [NEW]
    # The listing it decided on, the create, one listing for a concurrent create of the name, then the wait.
    assert sent(sim, changing=False)[:3] == [("GET", "/servers/"), ("POST", "/servers/"), ("GET", "/servers/")]
    assert set(sent(sim, changing=False)[3:]) == {("GET", "/servers/10001/")}
    server = done.result["server"]
    assert (server["id"], server["status"]) == (10001, "active") and tuple(server) == contract.DETAIL_FIELDS
    assert done.result["diff"] == {"before": {"state": "absent"}, "after": view(hostname=None, backups_enabled=None)}
    assert done.result["progress"] == [
        "server 'web-1' (id 10001) is provisioning after 0.0 s",
        "server 'web-1' (id 10001) is active after 3.3 s",
    ]


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_create_without_wait_returns_the_new_server_and_check_mode_predicts_it(run, sim, check_mode):
    extra = {"hostname": "web-1.example.com", "backups_enabled": True, "ssh_key_id": 7}
    done = run(VpsServer, check_mode=check_mode, wait=False, **NEW, **extra)
    assert done.result["changed"] is True and "progress" not in done.result
    assert done.result["diff"]["after"] == view(hostname="web-1.example.com", backups_enabled=True)
    server = done.result["server"]
    if check_mode:
        assert sent(sim) == [] and server == {
            "name": "web-1",
            "hostname": "web-1.example.com",
            "location": "us-west",
            "backups_enabled": True,
            "status": "provisioning",
            "plan": {"id": 1},
            "os": {"id": 5},
        }
    else:
        assert posted(sim) == [dict(NEW, **extra)] and sent(sim, changing=False)[-1] == ("GET", "/servers/")
        # The create's answer, in the documented fields only (it also carries a message).
        assert server["status"] == "provisioning" and tuple(server) == contract.DETAIL_FIELDS


def test_a_create_needs_the_fixed_fields(run, sim):
    done = run(VpsServer, name="web-1", plan_id=1)
    assert done.result["msg"] == "server 'web-1' does not exist; to create it, also give os_id, location"
    assert done.result["failure"] == dict(NO_DETAIL, reason="refused") and sent(sim) == []


def test_a_refused_create_is_the_apis_answer_field_by_field(run, sim):
    done = run(VpsServer, **dict(NEW, plan_id=99))
    assert done.result["msg"] == (
        'the API rejected the request: plan_id: Invalid pk "99" - object does not exist. '
        "(POST /servers/ answered HTTP 400)"
    )
    assert done.result["failure"] == {
        "reason": "http_error",
        "status": 400,
        "method": "POST",
        "path": "/servers/",
        "detail": None,
        "field_errors": {"plan_id": 'Invalid pk "99" - object does not exist.'},
    }


def test_a_token_with_surrounding_whitespace_is_sent_without_it(run, sim):
    assert not run(VpsServer, api_token=f"  {sim.token}\n", wait=False, **NEW).failed


# -- found: unchanged, updated, refused ------------------------------------------------------------


def test_a_matching_server_is_left_alone_with_an_equal_diff(run, sim):
    server_id = add(sim, "web-1")
    done = run(VpsServer, hostname="web-1", **NEW)
    assert done.result["changed"] is False and done.result["server"]["id"] == server_id
    assert done.result["diff"] == {"before": view(), "after": view()}
    assert sent(sim, changing=False) == [("GET", "/servers/"), ("GET", f"/servers/{server_id}/")]


@pytest.mark.parametrize("check_mode", [False, True])
def test_only_the_changed_fields_are_sent_and_check_mode_predicts_them(run, sim, check_mode):
    server_id = add(sim, "web-1")
    done = run(VpsServer, check_mode=check_mode, hostname="new.example.com", backups_enabled=True, **NEW)
    changes = {"hostname": "new.example.com", "backups_enabled": True}
    assert done.result["changed"] is True and done.result["diff"] == {"before": view(), "after": view(**changes)}
    assert posted(sim) == ([] if check_mode else [changes])
    server = done.result["server"]
    assert (server["id"], server["status"], server["hostname"], server["backups_enabled"]) == (
        server_id,
        "active",
        "new.example.com",
        True,
    )


def test_a_server_found_by_id_is_renamed(run, sim):
    server_id = add(sim, "old-name")
    done = run(VpsServer, id=server_id, name="new-name")
    assert done.result["changed"] and sent(sim) == [("PATCH", f"/servers/{server_id}/")]
    assert posted(sim) == [{"name": "new-name"}] and done.result["server"]["name"] == "new-name"


@pytest.mark.parametrize(
    ("status", "args", "final"),
    [
        ("provisioning", {"hostname": "new.example.com"}, "active"),
        ("provisioning", {"hostname": "new.example.com", "wait": False}, "provisioning"),
        ("starting", {}, "active"),
        ("starting", {"wait": False}, "starting"),
        ("starting", {"check_mode": True}, "starting"),
    ],
)
def test_a_busy_server_is_returned_settled_only_when_waiting_for_real(run, sim, status, args, final):
    server_id = add(sim, "web-1", status)
    done = run(VpsServer, **NEW, **args)
    assert done.result["server"]["status"] == final
    waited = final != status
    assert ("progress" in done.result) is waited
    if waited:
        assert done.result["progress"][-1].startswith(f"server 'web-1' (id {server_id}) is {final} after ")


def test_a_fixed_field_that_differs_is_refused_naming_both_values(run, sim):
    server_id = add(sim, "web-1")
    done = run(VpsServer, **dict(NEW, os_id=3))
    assert done.result["msg"] == (
        f"os_id cannot be changed on existing server 'web-1' (id {server_id}): it is 5, requested 3. "
        "Create a new server to change them; this one is left untouched."
    )
    assert done.result["failure"] == dict(NO_DETAIL, reason="refused") and sent(sim) == []


def test_an_option_the_api_does_not_report_is_warned_about_naming_the_server(run, sim):
    server_id = add(sim, "web-1")
    done = run(VpsServer, ssh_key_id=4, **NEW)
    assert not done.failed and done.result["changed"] is False
    assert done.warnings == [
        f"ssh_key_id cannot be compared on server 'web-1' (id {server_id}): the API does not report it for "
        "existing servers"
    ]


def test_an_unknown_id_is_not_created(run, sim):
    done = run(VpsServer, id=99, **NEW)
    assert done.result["msg"] == "server id 99 not found; to create a server, give its name without id"
    assert done.result["failure"] == dict(NO_DETAIL, reason="not_found") and sent(sim) == []
    assert run(VpsServer, id=99, state="absent").result == {"changed": False, "server": {}}


def test_two_servers_of_the_name_are_refused_listing_their_ids(run, sim):
    first, second = add(sim, "web-1"), add(sim, "web-1")
    done = run(VpsServer, **NEW)
    assert done.result["msg"] == f"2 servers are named 'web-1' (ids {first}, {second}); use id to choose one"
    assert done.result["failure"] == dict(NO_DETAIL, reason="ambiguous_name") and sent(sim) == []


# -- delete ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("check_mode", "wait"), [(False, True), (False, False), (True, True)])
def test_an_absent_server_is_deleted_and_waited_out(run, sim, check_mode, wait):
    server_id = add(sim, "web-1")
    done = run(VpsServer, check_mode=check_mode, name="web-1", state="absent", wait=wait)
    assert done.result == {
        "changed": True,
        "diff": {"before": view(), "after": {"state": "absent"}},
        "server": {},
    }
    path = f"/servers/{server_id}/"
    assert sent(sim) == ([] if check_mode else [("DELETE", path)])
    after = sent(sim, changing=False)[3:]
    assert after == ([("GET", path)] if wait and not check_mode else [])
    assert [server["id"] for server in named(sim, "web-1")] == ([server_id] if check_mode else [])


def test_an_absent_server_that_is_not_there_is_unchanged(run, sim):
    assert run(VpsServer, name="web-1", state="absent").result == {"changed": False, "server": {}}
    assert sent(sim) == []


# -- identity: someone else's server of the same name ------------------------------------------------


def test_a_lost_create_never_takes_a_persons_server_of_the_name_for_its_own(run, sim):
    # The create is answered 502 and not applied; meanwhile a person created lp-1 with plan 2 in eu-central.
    sim.add_insert("POST", CREATES, name="lp-1", plan_id=2, location="eu-central")
    sim.add_fault(kind="status", status=502, method="POST", path=CREATES, count=1)
    done = run(VpsServer, **dict(BODY, name="lp-1"))
    theirs, ours = named(sim, "lp-1")
    assert (theirs["plan"]["id"], ours["plan"]["id"]) == (2, 1)
    assert done.failed and "server" not in done.result
    assert done.result["msg"] == (
        f"after this run created 'lp-1' (id {ours['id']}), servers {theirs['id']}, {ours['id']} carry that name, and "
        "one does not match what this run asked for (someone else's): nothing was deleted; keep one and rename or "
        "delete the others"
    )
    assert done.result["failure"] == dict(NO_DETAIL, reason="name_conflict")
    assert (
        f"server 'lp-1' (id {theirs['id']}) appeared meanwhile but does not match the request: not ours"
        in (done.result["progress"])
    )
    assert sent(sim) == [("POST", "/servers/")] * 2


@pytest.mark.parametrize("plan_id", [2, 3])
def test_a_persons_server_of_the_name_landing_first_fails_the_task_and_nothing_is_deleted(run, sim, plan_id):
    sim.add_insert("POST", CREATES, name="hp-1", plan_id=plan_id)
    done = run(VpsServer, **dict(BODY, name="hp-1"))
    theirs, ours = named(sim, "hp-1")
    assert (theirs["plan"]["id"], ours["plan"]["id"]) == (plan_id, 1)
    assert f"servers {theirs['id']}, {ours['id']} carry that name" in done.result["msg"]
    assert done.result["failure"]["reason"] == "name_conflict" and sent(sim) == [("POST", "/servers/")]


def test_an_older_identical_copy_is_kept_and_only_ours_is_deleted(run, sim):
    # Another run of the same playbook created cp-1 a moment earlier, and has already stopped it.
    sim.add_insert("POST", CREATES, name="cp-1", status="stopped", **BODY)
    done = run(VpsServer, **dict(BODY, name="cp-1"))
    ((kept,),) = [named(sim, "cp-1")]
    ours = kept["id"] + 1
    assert not done.failed and done.result["changed"] is True
    assert done.result["deleted_duplicate"] == ours
    assert (done.result["server"]["id"], done.result["server"]["status"]) == (kept["id"], "stopped")
    assert sent(sim) == [("POST", "/servers/"), ("DELETE", f"/servers/{ours}/")]
    assert done.warnings == [
        f"server 'cp-1' was also created at the same time by another run: kept the oldest (id {kept['id']}) and "
        f"deleted the one this run created (id {ours})"
    ]


def test_a_younger_identical_copy_is_left_to_its_own_run(run, sim):
    sim.add_insert("POST", CREATES, when="after", name="cp-1", **BODY)
    done = run(VpsServer, **dict(BODY, name="cp-1"))
    ours, _theirs = named(sim, "cp-1")
    assert not done.failed and "deleted_duplicate" not in done.result and done.warnings == []
    assert (done.result["server"]["id"], done.result["server"]["status"]) == (ours["id"], "active")
    assert sent(sim) == [("POST", "/servers/")]


@pytest.mark.parametrize(
    "fault",
    [{"kind": "drop_after_commit"}, {"kind": "error_after_commit", "status": 504}],
    ids=lambda fault: fault["kind"],
)
def test_a_create_whose_answer_was_lost_after_it_was_applied_is_found_and_never_sent_again(run, sim, fault):
    sim.add_fault(method="POST", path=CREATES, count=1, **fault)
    done = run(VpsServer, **NEW)
    (server,) = named(sim, "web-1")
    assert not done.failed and done.result["server"]["id"] == server["id"]
    assert sent(sim) == [("POST", "/servers/")]


def test_in_a_large_account_the_concurrent_create_check_lists_the_provisioning_servers(run, sim):
    sim.seed(150)
    done = run(VpsServer, wait=False, **NEW)
    assert not done.failed
    lists = [entry["query"] for entry in sim.requests() if entry["path"] == "/api/v1/servers/"]
    assert lists == ["page_size=100", "page_size=100&page=2", "", "status=provisioning&page_size=100"]


# -- refused before any request --------------------------------------------------------------------

# ansible-core writes every module's arguments to syslog before the module runs, and CPython 3.12+
# refuses a NUL byte there (3.11 and older let it through). So on a 3.12+ target ansible-core
# itself refuses the value, naming the cause and the way out (no_target_syslog, which runs the
# module with no_log); otherwise the module refuses it naming the option. Nothing is sent either way.
SYSLOG_REFUSES_NUL = sys.version_info >= (3, 12)


@pytest.mark.parametrize("no_target_syslog", [False, True])
def test_a_nul_byte_is_refused_before_any_request(run, sim, no_target_syslog):
    done = run(VpsServer, **dict(NEW, hostname="h\x00.example.com", _ansible_no_log=no_target_syslog))
    assert done.failed and sim.requests() == []
    if SYSLOG_REFUSES_NUL and not no_target_syslog:
        assert done.result["msg"].startswith("Failed to log to syslog (embedded null character)")
        assert "no_target_syslog" in done.result["msg"] and sim.token not in repr(done.result)
    else:
        assert done.result["failure"] == {"reason": "invalid_option", "option": "hostname"}
