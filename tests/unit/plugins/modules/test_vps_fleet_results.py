"""vps_fleet's exact wording, waits, power answers, predictions and failure result, entry by entry."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.modules.vps_fleet import VpsFleet
from test_vps_fleet_module import DEFAULTS, Exit, FakeAccount, FakeClient, FakeModule, mutating

NO_DETAIL = {"status": None, "method": None, "path": None, "detail": None, "field_errors": {}}


def execute(account, servers, check_mode=False, diff=False, client=None, progress=(), **params):
    """The result, the module and the client of one run."""
    module = FakeModule(dict({"servers": servers, "defaults": DEFAULTS}, **params), check_mode, diff)
    client = client or FakeClient(account)
    fleet = VpsFleet(module=module, client=client)
    fleet.progress.extend(progress)
    with pytest.raises(Exit) as done:
        fleet.execute()
    return done.value.result, module, client


@pytest.mark.parametrize("concurrency", [1, 32])
def test_concurrency_bounds_are_accepted(concurrency):
    result, _module, _client = execute(FakeAccount(), [{"name": "a"}], concurrency=concurrency)
    assert not result["failed"], result["msg"]


@pytest.mark.parametrize(
    ("params", "option", "msg"),
    [
        ({"concurrency": 0}, "concurrency", "concurrency must be between 1 and 32, got 0"),
        ({"poll_interval": 0.0}, "poll_interval", "poll_interval must be a positive number of seconds, got 0.0"),
        ({"poll_interval": -1.5}, "poll_interval", "poll_interval must be a positive number of seconds, got -1.5"),
        (
            {"concurrency": 33, "poll_interval": 0.0},
            "concurrency",
            "concurrency must be between 1 and 32, got 33; poll_interval must be a positive number of seconds, got 0.0",
        ),
    ],
)
def test_bad_fleet_options_are_refused_before_any_request(params, option, msg):
    account = FakeAccount()
    result, _module, _client = execute(account, [{"name": "a"}], **params)
    assert result["failed"] and result["msg"] == msg
    assert result["failure"] == {"reason": "invalid_option", "option": option}
    assert account.calls == []


def test_concurrency_one_sends_every_request_from_the_calling_client():
    account = FakeAccount()
    result, _module, client = execute(account, [{"name": "a"}, {"name": "b"}], concurrency=1)
    assert not result["failed"] and mutating(account) == [("POST", "a"), ("POST", "b")]
    assert client.request_count == len(account.calls)


def test_creates_are_told_the_ids_already_listed():
    account = FakeAccount()
    old = account.add("old")
    execute(account, [{"name": "a"}, {"name": "b"}])
    assert account.existing_ids == [[old["id"]], [old["id"]]]


@pytest.mark.parametrize("check_mode", [False, True])
def test_server_stopping_when_listed_is_not_stopped_again(check_mode):
    account = FakeAccount()
    server = account.add("busy", status="stopping")
    account.pending[server["id"]] = (2, "stopped")
    result, _module, _client = execute(account, [{"name": "busy", "power": "stopped"}], check_mode=check_mode)
    assert not result["failed"], result["msg"]
    assert mutating(account) == [] and result["changed"] is False
    assert result["results"][0]["msg"] == "unchanged"


def test_check_mode_settles_a_busy_server_to_predict_its_power():
    account = FakeAccount()
    server = account.add("busy", status="starting")
    account.pending[server["id"]] = (2, "active")
    result, _module, _client = execute(account, [{"name": "busy", "power": "stopped"}], check_mode=True)
    assert mutating(account) == [] and account.calls[1:] == [("LIST", None)]
    assert result["results"][0]["msg"] == "would be stopped" and result["servers"][0]["status"] == "stopped"


def test_failed_detail_read_fails_that_server_with_the_apis_answer():
    account = FakeAccount()
    server = account.add("a", backups_enabled=False)
    account.fail[("GET", server["id"])] = VpsApiError("upstream went away", status=502, method="GET", path="/x/")
    result, _module, _client = execute(account, [{"name": "a", "backups_enabled": True}])
    assert result["failed"] and mutating(account) == []
    assert result["msg"] == "1 of 1 servers failed: a: upstream went away (GET /x/ answered HTTP 502)"


def test_options_the_api_does_not_report_are_warned_about_once_naming_each_server():
    account = FakeAccount()
    account.add("a")
    account.add("b")
    _result, module, _client = execute(account, [{"name": "b", "ssh_key_id": 3}, {"name": "a", "ssh_key_id": 3}])
    assert module.warnings == [
        "the API does not report these options for existing servers, so they were not compared: "
        "ssh_key_id (a), ssh_key_id (b)"
    ]


def test_power_answer_showing_the_server_is_what_is_returned_without_waiting():
    account = FakeAccount()
    server = account.add("a", hostname="a.example.com")

    class AnswerShowsStatus(FakeClient):
        def power(self, server_id, action, before=None):
            super().power(server_id, action, before)
            # A lost answer is settled by a re-read: the answer then carries the server.
            return {"status": "success", "server": {"id": server_id, "status": "stopping"}}

    result, _module, _client = execute(
        account, [{"name": "a", "power": "stopped"}], wait=False, client=AnswerShowsStatus(account)
    )
    assert [call for call in account.calls if call[0] == "GET"] == []
    assert result["servers"] == [dict(server, status="stopping")]


def test_update_keeps_the_fields_the_patch_answer_leaves_out():
    account = FakeAccount()
    server = account.add("a", hostname="old.example.com", ipv6_address="2001:db8::1")

    class ShortAnswer(FakeClient):
        def update_server(self, server_id, changes):
            answer = super().update_server(server_id, changes)
            return {key: answer[key] for key in ("id", "name", "hostname", "status")}

    result, _module, _client = execute(
        account, [{"name": "a", "hostname": "new.example.com"}], wait=False, client=ShortAnswer(account)
    )
    assert result["servers"][0]["ipv6_address"] == "2001:db8::1"
    assert result["servers"][0]["hostname"] == "new.example.com" and result["servers"][0]["id"] == server["id"]


def test_without_wait_a_created_server_is_returned_provisioning_after_the_listing_that_checks_for_a_race():
    account = FakeAccount()
    result, _module, _client = execute(account, [{"name": "a"}], wait=False)
    # The second listing looks for a server of the same name created by a concurrent run.
    assert account.calls == [("LIST", None), ("POST", "a"), ("LIST", None)]
    assert result["servers"][0]["status"] == "provisioning"


def test_delete_is_waited_out_until_the_listing_no_longer_shows_it():
    account = FakeAccount()
    server = account.add("a")
    result, _module, _client = execute(account, [{"name": "a", "state": "absent"}])
    assert not result["failed"] and account.calls == [("LIST", None), ("DELETE", server["id"]), ("LIST", None)]


def test_created_server_must_come_up_active():
    account = FakeAccount()

    class ComesUpStopped(FakeClient):
        def create_server(self, body, existing_ids=()):
            server = super().create_server(body, existing_ids)
            self.account.pending[server["id"]] = (1, "stopped")
            return server

    result, _module, _client = execute(account, [{"name": "a"}], client=ComesUpStopped(account))
    assert result["failed"]
    assert (
        result["msg"] == "1 of 1 servers failed: a: server 'a' (id 10001) settled as stopped while waiting for active"
    )


def test_power_done_is_waited_for_and_returned_settled():
    account = FakeAccount()
    account.add("a")
    result, _module, _client = execute(account, [{"name": "a", "power": "stopped"}])
    assert result["servers"][0]["status"] == "stopped" and result["results"][0]["done"] == ["stopped"]


@pytest.mark.parametrize(("status", "final"), [("provisioning", "active"), ("stopping", "stopped")])
def test_update_of_a_busy_server_waits_until_it_settles_keeping_detail_fields(status, final):
    account = FakeAccount()
    server = account.add("a", status=status, backups_enabled=False)
    account.pending[server["id"]] = (2, final)
    result, _module, _client = execute(account, [{"name": "a", "backups_enabled": True}])
    assert not result["failed"], result["msg"]
    assert account.calls[-1] == ("LIST", None)
    assert result["servers"][0]["status"] == final and result["servers"][0]["backups_enabled"] is True


def test_poll_interval_is_the_pause_between_listings():
    account = FakeAccount(settle_after=3)
    _result, _module, client = execute(account, [{"name": "a"}], poll_interval=2.5)
    assert client.sleeps and set(client.sleeps) == {2.5}


def test_check_mode_returns_the_predicted_new_server():
    account = FakeAccount()
    result, _module, _client = execute(account, [{"name": "a", "hostname": "a.example.com"}], check_mode=True)
    assert result["servers"] == [
        {"name": "a", "hostname": "a.example.com", "location": "us-west", "status": "provisioning"}
    ]


def test_diff_holds_only_servers_that_change_and_did_not_fail():
    account = FakeAccount()
    account.add("same", hostname="same.example.com")
    account.add("frozen", status="suspended")
    result, _module, _client = execute(
        account,
        [{"name": "same", "hostname": "same.example.com"}, {"name": "frozen", "power": "started"}, {"name": "new"}],
        diff=True,
    )
    assert [d["before_header"] for d in result["diff"]] == ["new"]


def test_several_failures_are_listed_and_keyed_by_server_with_progress():
    account = FakeAccount()
    account.add("frozen", status="suspended")
    account.fail[("POST", "bad")] = VpsApiError("no balance", status=402, method="POST", path="/servers/")
    result, _module, _client = execute(
        account, [{"name": "frozen", "power": "started"}, {"name": "bad"}], progress=["retried GET /servers/"]
    )
    assert result["msg"] == (
        "2 of 2 servers failed: frozen: server 'frozen' (id 10001): it is suspended by VPS.org and cannot be "
        "powered on or off; bad: no balance (POST /servers/ answered HTTP 402)"
    )
    assert result["failure"] == dict(
        NO_DETAIL,
        reason="servers_failed",
        servers={"frozen": dict(NO_DETAIL, reason="refused"), "bad": account.fail[("POST", "bad")].failure()},
    )
    assert result["progress"] == ["retried GET /servers/"]


def test_created_server_is_waited_for_whatever_status_the_creation_answer_shows():
    account = FakeAccount()

    class AnswersStopped(FakeClient):
        def create_server(self, body, existing_ids=()):
            return dict(super().create_server(body, existing_ids), status="stopped")

    result, _module, _client = execute(account, [{"name": "a"}], client=AnswersStopped(account))
    assert not result["failed"], result["msg"]
    assert result["servers"][0]["status"] == "active" and account.calls[-1] == ("LIST", None)


def test_power_action_answered_without_a_body_is_done():
    account = FakeAccount()
    account.add("a")

    class NoBody(FakeClient):
        def power(self, server_id, action, before=None):
            super().power(server_id, action, before)

    result, _module, _client = execute(account, [{"name": "a", "power": "stopped"}], client=NoBody(account))
    assert not result["failed"], result["msg"]
    assert result["results"][0]["done"] == ["stopped"] and result["servers"][0]["status"] == "stopped"
