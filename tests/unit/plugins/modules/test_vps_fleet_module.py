"""vps_fleet's flow against an in-memory account: plan, concurrent apply, one shared wait, failures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.modules.vps_fleet import VpsFleet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "module_utils"))
from fake_api import FakeAccount, FakeClient

DEFAULTS = {"plan_id": 1, "os_id": 5, "location": "us-west"}


class Exit(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


class FakeModule:
    def __init__(self, params, check_mode=False, diff=False):
        self.params = dict(
            {
                "api_token": "tok",
                "api_url": "https://api.test/api/v1",
                "validate_certs": True,
                "api_timeout": 30,
                "api_retries": 2,
                "defaults": None,
                "concurrency": 4,
                "poll_interval": None,
                "wait": True,
                "wait_timeout": 60,
            },
            **params,
        )
        self.check_mode = check_mode
        self._diff = diff
        self.warnings = []
        self.no_log_values = set()

    def warn(self, message):
        self.warnings.append(message)

    def exit_json(self, **result):
        raise Exit(dict(result, failed=False))

    def fail_json(self, **result):
        raise Exit(dict(result, failed=True))


def run(account, servers, check_mode=False, diff=False, **params):
    module = FakeModule(dict({"servers": servers, "defaults": DEFAULTS}, **params), check_mode, diff)
    client = FakeClient(account)
    with pytest.raises(Exit) as done:
        VpsFleet(module=module, client=client).execute()
    return done.value.result, module


def mutating(account):
    return [call for call in account.calls if call[0] not in ("LIST", "GET")]


def test_creates_updates_powers_and_deletes_with_one_listing_before_any_change():
    account = FakeAccount()
    keep = account.add("keep", hostname="old.example.com")
    doomed = account.add("doomed")
    result, _module = run(
        account,
        [
            {"name": "new-1", "power": "stopped"},
            {"name": "keep", "hostname": "new.example.com", "power": "stopped"},
            {"name": "doomed", "state": "absent"},
            {"name": "new-2"},
        ],
    )
    assert not result["failed"], result["msg"]
    assert account.calls[0] == ("LIST", None)
    by_name = {s["name"]: s for s in account.servers.values()}
    expected = [("POST", "new-1"), ("POST", "new-2"), ("PATCH", keep["id"]), ("stop", keep["id"])]
    expected += [("DELETE", doomed["id"]), ("stop", by_name["new-1"]["id"])]
    assert sorted(mutating(account), key=str) == sorted(expected, key=str)
    # The update of one server comes before its power action.
    assert mutating(account).index(("PATCH", keep["id"])) < mutating(account).index(("stop", keep["id"]))
    # Waiting polls the listing only: no detail read at all.
    assert [call for call in account.calls if call[0] == "GET"] == []
    assert by_name["new-1"]["status"] == "stopped" and by_name["new-2"]["status"] == "active"
    assert by_name["keep"] == dict(by_name["keep"], hostname="new.example.com", status="stopped")
    assert [s["name"] for s in result["servers"]] == ["new-1", "keep", "new-2"]
    assert [r["done"] for r in result["results"]] == [
        ["created", "stopped"],
        ["updated", "stopped"],
        ["deleted"],
        ["created"],
    ]
    assert result["changed"] is True


def test_rerun_changes_nothing_and_lists_once():
    account = FakeAccount()
    account.add("a", hostname="a.example.com")
    account.add("b", status="stopped")
    result, _module = run(account, [{"name": "a", "hostname": "a.example.com"}, {"name": "b", "power": "stopped"}])
    assert result["changed"] is False and not result["failed"]
    assert account.calls == [("LIST", None)]
    assert [r["msg"] for r in result["results"]] == ["unchanged", "unchanged"]


def test_backups_enabled_costs_one_detail_read_and_is_compared_on_the_detail():
    account = FakeAccount()
    server = account.add("a", backups_enabled=True)
    result, _module = run(account, [{"name": "a", "backups_enabled": True}])
    assert account.calls == [("LIST", None), ("GET", server["id"])]
    assert result["changed"] is False


def test_every_entry_problem_is_reported_before_any_request():
    account = FakeAccount()
    result, _module = run(
        account,
        [{"name": "ok"}, {"name": "bad name"}, {"name": "ok", "plan_id": 0}, {"name": "x", "hostname": " h"}],
    )
    assert result["failed"] and result["failure"]["reason"] == "invalid_option"
    assert account.calls == []
    msg = result["msg"]
    assert "servers[1] (bad name): name 'bad name' is not a valid server name" in msg
    assert "servers[2] (ok): plan_id must be a positive integer" in msg
    assert "servers[2] (ok): name 'ok' is already used by servers[0]" in msg
    assert "servers[3] (x): hostname ' h' must not have surrounding whitespace" in msg
    assert result["failure"]["option"] == "servers[1].name"


def test_one_failing_server_does_not_stop_the_others_and_is_named():
    account = FakeAccount()
    twin_a, twin_b = account.add("twin"), account.add("twin")
    account.fail[("POST", "bad")] = VpsApiError(
        "insufficient account balance", status=402, method="POST", path="/servers/"
    )
    names = [f"ok-{i}" for i in range(10)]
    result, _module = run(
        account,
        [{"name": n} for n in names[:5]] + [{"name": "bad"}, {"name": "twin"}] + [{"name": n} for n in names[5:]],
    )
    assert result["failed"]
    assert result["msg"].startswith("2 of 12 servers failed: bad: insufficient account balance")
    assert f"twin: 2 servers in the account have this name (ids {twin_a['id']}, {twin_b['id']})" in result["msg"]
    assert result["failure"]["reason"] == "servers_failed"
    assert result["failure"]["servers"]["bad"]["status"] == 402
    assert result["failure"]["servers"]["twin"]["reason"] == "refused"
    assert [s["name"] for s in result["servers"]] == names
    assert all(s["status"] == "active" for s in result["servers"])
    assert ("POST", "twin") not in account.calls


def test_check_mode_predicts_and_sends_nothing_with_a_diff_per_server():
    account = FakeAccount()
    account.add("old")
    account.add("run", status="active")
    result, _module = run(
        account,
        [{"name": "new", "power": "stopped"}, {"name": "old", "state": "absent"}, {"name": "run", "power": "stopped"}],
        check_mode=True,
        diff=True,
    )
    assert account.calls == [("LIST", None)]
    assert [(r["action"], r["power"], r["msg"]) for r in result["results"]] == [
        ("create", "stop", "would be created, stopped"),
        ("delete", None, "would be deleted"),
        ("none", "stop", "would be stopped"),
    ]
    assert [d["before_header"] for d in result["diff"]] == ["new", "old", "run"]
    assert result["diff"][0]["before"] == {"state": "absent"} and result["diff"][0]["after"]["status"] == "stopped"
    assert result["diff"][1]["after"] == {"state": "absent"}


def test_transitional_server_is_settled_before_its_power_is_decided():
    account = FakeAccount()
    server = account.add("busy", status="starting")
    account.pending[server["id"]] = (2, "active")
    result, _module = run(account, [{"name": "busy", "power": "stopped"}])
    assert not result["failed"], result["msg"]
    assert mutating(account) == [("stop", server["id"])]
    assert account.servers[server["id"]]["status"] == "stopped"


def test_suspended_server_with_a_power_state_fails_alone():
    account = FakeAccount()
    account.add("frozen", status="suspended")
    result, _module = run(account, [{"name": "frozen", "power": "started"}, {"name": "fresh"}])
    assert result["failed"]
    assert "frozen: server 'frozen'" in result["msg"] and "suspended" in result["msg"]
    assert [s["name"] for s in result["servers"]] == ["fresh"]


def test_servers_that_do_not_settle_in_time_fail_with_their_last_status():
    account = FakeAccount(settle_after=10**6)
    result, _module = run(account, [{"name": "slow-1"}, {"name": "slow-2"}], wait_timeout=3, poll_interval=1.0)
    assert result["failed"]
    assert "slow-1: server 'slow-1' (id 10001): still provisioning after 3 s" in result["msg"]
    assert result["failure"]["servers"]["slow-2"]["reason"] == "wait_timeout"


def test_immutable_field_conflict_is_refused_and_names_both_values():
    account = FakeAccount()
    account.add("web", plan={"id": 2})
    result, _module = run(account, [{"name": "web"}])
    assert result["failed"] and mutating(account) == []
    assert "plan_id cannot be changed on existing server 'web'" in result["msg"]


def test_absent_ignores_power_and_missing_absent_server_is_unchanged():
    account = FakeAccount()
    result, _module = run(account, [{"name": "gone", "state": "absent", "power": "stopped"}])
    assert not result["failed"] and result["changed"] is False
    assert result["results"][0]["msg"] == "unchanged"
    assert result["servers"] == []


@pytest.mark.parametrize("concurrency", [0, 33])
def test_concurrency_is_bounded(concurrency):
    account = FakeAccount()
    result, _module = run(account, [{"name": "a"}], concurrency=concurrency)
    assert result["failure"] == {"reason": "invalid_option", "option": "concurrency"}
    assert account.calls == []
