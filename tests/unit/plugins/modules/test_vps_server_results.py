"""vps_server's returned server, diff, warnings, error wording and what it waits for, exactly."""

from __future__ import annotations

import pytest
from ansible.module_utils import basic
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server import VpsServer
from fake_client import FakeClient, a_server
from module_runner import run_module

NEW = {"name": "web-1", "plan_id": 1, "os_id": 5, "location": "us-west"}


def run(monkeypatch, client, check_mode=False, **args):
    return run_module(VpsServer, args, client, monkeypatch, check_mode=check_mode, diff=True)


def view(**fields):
    """The managed fields of web-1 as a_server builds it, in --diff form."""
    base = {
        "name": "web-1",
        "hostname": "web-1.example.com",
        "backups_enabled": False,
        "plan_id": 1,
        "os_id": 5,
        "location": "us-west",
        "state": "present",
    }
    return dict(base, **fields)


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, message: seen.append(message))
    return seen


def test_unknown_id_names_the_id_and_how_to_create(monkeypatch):
    done = run(monkeypatch, FakeClient(), id=99, **NEW)
    assert done.failed
    assert done.result["msg"] == "server id 99 not found; to create a server, give its name without id"


def test_uncomparable_option_is_warned_about_naming_the_server(monkeypatch, warnings):
    client = FakeClient(a_server(7, "web-1"))
    done = run(monkeypatch, client, ssh_key_id=4, **NEW)
    assert not done.failed and done.result["changed"] is False
    assert warnings == [
        "ssh_key_id cannot be compared on server 'web-1' (id 7): the API does not report it for existing servers"
    ]


def test_create_diff_shows_the_new_managed_fields(monkeypatch):
    done = run(monkeypatch, FakeClient(), hostname="h.example.com", **NEW)
    assert done.result["diff"] == {
        "before": {"state": "absent"},
        "after": view(hostname="h.example.com", backups_enabled=None),
    }


def test_create_waits_for_active_with_the_timeout_and_the_server_named(monkeypatch):
    client = FakeClient()
    run(monkeypatch, client, wait_timeout=42, **NEW)
    assert client.waits == [("wait_for_status", 101, 42, "server 'web-1' (id 101)")]


def test_update_diff_and_check_mode_result_keep_the_other_fields(monkeypatch):
    client = FakeClient(a_server(7, "web-1"))
    done = run(monkeypatch, client, check_mode=True, hostname="new.example.com", **NEW)
    assert done.result["diff"] == {"before": view(), "after": view(hostname="new.example.com")}
    assert done.result["server"]["id"] == 7 and done.result["server"]["status"] == "active"
    assert done.result["server"]["hostname"] == "new.example.com"


@pytest.mark.parametrize(
    ("status", "wait", "final", "waits"),
    [
        ("provisioning", True, "active", [("wait_until_settled", 7, 42, "server 'web-1' (id 7)")]),
        ("provisioning", False, "provisioning", []),
        ("active", True, "active", []),
    ],
)
def test_update_returns_the_updated_server_settled_only_when_waiting(monkeypatch, status, wait, final, waits):
    client = FakeClient(a_server(7, "web-1", status=status))
    done = run(monkeypatch, client, wait=wait, wait_timeout=42, hostname="new.example.com", **NEW)
    assert done.result["server"]["status"] == final
    assert done.result["server"]["hostname"] == "new.example.com"
    assert client.waits == waits


def test_unchanged_server_shows_an_equal_diff(monkeypatch):
    done = run(monkeypatch, FakeClient(a_server(7, "web-1")), **NEW)
    assert done.result["diff"] == {"before": view(), "after": view()}
    assert done.result["server"]["id"] == 7


@pytest.mark.parametrize(
    ("wait", "check_mode", "final", "waited"),
    [(True, False, "active", True), (True, True, "starting", False), (False, False, "starting", False)],
)
def test_unchanged_server_in_transition_is_settled_only_when_waiting_for_real(
    monkeypatch, wait, check_mode, final, waited
):
    client = FakeClient(a_server(7, "web-1", status="starting"))
    done = run(monkeypatch, client, check_mode=check_mode, wait=wait, wait_timeout=42, **NEW)
    assert done.result["changed"] is False and done.result["server"]["status"] == final
    assert client.waits == ([("wait_until_settled", 7, 42, "server 'web-1' (id 7)")] if waited else [])


def test_already_absent_returns_an_empty_server(monkeypatch):
    done = run(monkeypatch, FakeClient(), name="web-1", state="absent")
    assert done.result["server"] == {} and "diff" not in done.result


@pytest.mark.parametrize("check_mode", [False, True])
def test_delete_diff_goes_from_the_managed_fields_to_absent(monkeypatch, check_mode):
    done = run(monkeypatch, FakeClient(a_server(7, "web-1")), check_mode=check_mode, name="web-1", state="absent")
    assert done.result["diff"] == {"before": view(), "after": {"state": "absent"}}


def test_delete_waits_until_gone_with_the_timeout_and_the_server_named(monkeypatch):
    client = FakeClient(a_server(7, "web-1"))
    run(monkeypatch, client, name="web-1", state="absent", wait_timeout=42)
    assert client.waits == [("wait_until_gone", 7, 42, "server 'web-1' (id 7)")]


def test_delete_without_wait_does_not_wait(monkeypatch):
    client = FakeClient(a_server(7, "web-1"))
    run(monkeypatch, client, name="web-1", state="absent", wait=False)
    assert client.waits == [] and client.mutations() == [("delete_server", 7)]
