"""vps_server's decisions with a fake client: create, update, refuse, delete, check and diff mode."""

from __future__ import annotations

import sys

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server import VpsServer
from fake_client import FakeClient, a_server
from module_runner import TOKEN, run_module

NEW = {"name": "web-1", "plan_id": 1, "os_id": 5, "location": "us-west"}


def run(monkeypatch, client, check_mode=False, **args):
    return run_module(VpsServer, args, client, monkeypatch, check_mode=check_mode, diff=True)


def test_missing_server_is_created_and_waited_for(monkeypatch):
    client = FakeClient()
    done = run(monkeypatch, client, **NEW)
    assert not done.failed and done.result["changed"] is True
    assert [call[0] for call in client.mutations()] == ["create_server"]
    assert client.mutations()[0][1] == NEW
    assert done.result["server"]["status"] == "active"
    assert done.result["diff"]["before"] == {"state": "absent"}


def test_create_without_wait_returns_the_provisioning_server(monkeypatch):
    client = FakeClient()
    done = run(monkeypatch, client, wait=False, **NEW)
    assert done.result["server"]["status"] == "provisioning"
    assert "wait_for_status" not in [call[0] for call in client.calls]
    # A create is decided on a complete list only (completeness.py).
    assert client.partial_ok is False


def test_check_mode_predicts_the_create_and_sends_nothing(monkeypatch):
    client = FakeClient()
    done = run(monkeypatch, client, check_mode=True, **NEW)
    assert done.result["changed"] is True and client.mutations() == []
    assert done.result["server"]["status"] == "provisioning" and done.result["server"]["plan"] == {"id": 1}


def test_create_needs_the_fixed_fields(monkeypatch):
    client = FakeClient()
    done = run(monkeypatch, client, name="web-1", plan_id=1)
    assert done.failed and "also give os_id, location" in done.result["msg"]
    assert done.result["failure"]["reason"] == "refused" and client.mutations() == []


def test_matching_server_is_left_alone(monkeypatch):
    client = FakeClient(a_server(7, "web-1", hostname="h.example.com"))
    done = run(monkeypatch, client, hostname="h.example.com", **NEW)
    assert not done.failed and done.result["changed"] is False and client.mutations() == []
    assert done.result["server"]["id"] == 7


def test_only_changed_fields_are_sent(monkeypatch):
    client = FakeClient(a_server(7, "web-1", hostname="old.example.com", backups_enabled=False))
    done = run(monkeypatch, client, hostname="new.example.com", backups_enabled=False, **NEW)
    assert done.result["changed"] is True
    assert client.mutations() == [("update_server", 7, {"hostname": "new.example.com"})]
    assert done.result["diff"]["before"]["hostname"] == "old.example.com"
    assert done.result["diff"]["after"]["hostname"] == "new.example.com"


def test_check_mode_predicts_the_update_and_sends_nothing(monkeypatch):
    client = FakeClient(a_server(7, "web-1", hostname="old.example.com"))
    done = run(monkeypatch, client, check_mode=True, hostname="new.example.com", name="web-1")
    assert done.result["changed"] is True and client.mutations() == []
    assert done.result["server"]["hostname"] == "new.example.com"


def test_rename_by_id(monkeypatch):
    client = FakeClient(a_server(7, "old-name"))
    done = run(monkeypatch, client, id=7, name="new-name")
    assert client.mutations() == [("update_server", 7, {"name": "new-name"})] and done.result["changed"]


def test_fixed_field_conflict_is_refused_without_a_request(monkeypatch):
    client = FakeClient(a_server(7, "web-1"))
    done = run(monkeypatch, client, name="web-1", os_id=3)
    assert done.failed and "os_id cannot be changed" in done.result["msg"] and client.mutations() == []


def test_absent_server_is_deleted_and_waited_out(monkeypatch):
    client = FakeClient(a_server(7, "web-1"))
    done = run(monkeypatch, client, name="web-1", state="absent")
    assert done.result["changed"] is True and done.result["server"] == {}
    assert [call[0] for call in client.calls][-2:] == ["delete_server", "wait_until_gone"]


def test_check_mode_delete_sends_nothing(monkeypatch):
    client = FakeClient(a_server(7, "web-1"))
    done = run(monkeypatch, client, check_mode=True, name="web-1", state="absent")
    assert done.result["changed"] is True and client.mutations() == []


def test_already_absent_is_unchanged(monkeypatch):
    client = FakeClient()
    done = run(monkeypatch, client, name="web-1", state="absent")
    assert done.result["changed"] is False and client.mutations() == []


def test_unknown_id_is_not_created(monkeypatch):
    client = FakeClient()
    done = run(monkeypatch, client, id=99, **NEW)
    assert done.failed and done.result["failure"]["reason"] == "not_found" and client.mutations() == []


def test_two_servers_with_the_name_are_refused(monkeypatch):
    client = FakeClient(a_server(7, "web-1"), a_server(8, "web-1"))
    done = run(monkeypatch, client, **NEW)
    assert done.failed and "ids 7, 8" in done.result["msg"] and done.result["failure"]["reason"] == "ambiguous_name"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        ({"name": "web-1\n"}, "name"),
        ({"name": "web 1"}, "name"),
        ({"name": "x" * 64}, "name"),
        ({"hostname": " h.example.com"}, "hostname"),
        ({"location": ""}, "location"),
        ({"plan_id": 0}, "plan_id"),
        ({"os_id": 2**31}, "os_id"),
        ({"wait_timeout": 0}, "wait_timeout"),
        ({"api_timeout": 0}, "api_timeout"),
        ({"api_url": "ftp://x"}, "api_url"),
        ({"api_token": "two words"}, "api_token"),
    ],
)
def test_bad_values_are_refused_before_any_request(monkeypatch, args, option):
    client = FakeClient()
    done = run(monkeypatch, client, **dict(NEW, **args))
    assert done.failed and done.result["failure"] == {"reason": "invalid_option", "option": option}
    assert option in done.result["msg"] and client.calls == []


# ansible-core writes every module's arguments to syslog before the module runs, and CPython 3.12+
# refuses a NUL byte there (3.11 and older let it through). So on a 3.12+ target ansible-core
# itself refuses the value, naming the cause and the way out (no_target_syslog, which runs the
# module with no_log); otherwise the module refuses it naming the option. Nothing is sent either way.
SYSLOG_REFUSES_NUL = sys.version_info >= (3, 12)


@pytest.mark.parametrize("no_target_syslog", [False, True])
def test_a_nul_byte_is_refused_before_any_request(monkeypatch, no_target_syslog):
    client = FakeClient()
    args = dict(NEW, hostname="h\x00.example.com", _ansible_no_log=no_target_syslog)
    done = run(monkeypatch, client, **args)
    assert done.failed and client.calls == []
    if SYSLOG_REFUSES_NUL and not no_target_syslog:
        assert done.result["msg"].startswith("Failed to log to syslog (embedded null character)")
        assert "no_target_syslog" in done.result["msg"]
        assert TOKEN not in repr(done.result)
    else:
        assert done.result["failure"] == {"reason": "invalid_option", "option": "hostname"}
        assert "hostname" in done.result["msg"]


def test_token_with_surrounding_whitespace_is_accepted(monkeypatch):
    client = FakeClient()
    done = run(monkeypatch, client, api_token=f"  {TOKEN}\n", **NEW)
    assert not done.failed


def test_api_failure_is_structured(monkeypatch):
    body = {"plan_id": ['Invalid pk "9" - object does not exist.']}
    error = VpsApiError("the API rejected the request", status=400, method="POST", path="/servers/", body=body)
    client = FakeClient(fail={"create_server": error})
    done = run(monkeypatch, client, **NEW)
    assert done.failed
    assert done.result["failure"] == {
        "reason": "http_error",
        "status": 400,
        "method": "POST",
        "path": "/servers/",
        "detail": None,
        "field_errors": {"plan_id": 'Invalid pk "9" - object does not exist.'},
    }
