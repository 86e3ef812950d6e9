"""vps_server_power's returned server, error wording and what it hands the client to wait and settle."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server_power import VpsServerPower
from fake_client import FakeClient, a_server
from module_runner import run_module


def run(monkeypatch, client, check_mode=False, **args):
    return run_module(VpsServerPower, args, client, monkeypatch, check_mode=check_mode, diff=True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"id": 9}, "no server id 9 exists"),
        ({"name": "web-9"}, "no server named 'web-9' exists"),
    ],
)
def test_missing_server_fails_as_not_found_naming_how_it_was_looked_for(monkeypatch, args, message):
    client = FakeClient(a_server(7, "web-1"))
    done = run(monkeypatch, client, state="started", **args)
    assert done.failed and done.result["msg"] == message
    assert done.result["failure"]["reason"] == "not_found" and client.mutations() == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_server_already_in_state_is_returned(monkeypatch, check_mode):
    client = FakeClient(a_server(7, "web-1", status="stopped"))
    done = run(monkeypatch, client, check_mode=check_mode, id=7, state="stopped")
    assert done.result["changed"] is False
    assert done.result["server"]["id"] == 7 and done.result["server"]["status"] == "stopped"


def test_check_mode_returns_the_server_as_found(monkeypatch):
    client = FakeClient(a_server(7, "web-1", status="active"))
    done = run(monkeypatch, client, check_mode=True, id=7, state="stopped")
    assert done.result["server"]["status"] == "active" and client.waits == []


def test_action_gets_the_server_as_seen_and_waits_for_the_settled_status(monkeypatch):
    server = a_server(7, "web-1", status="active")
    client = FakeClient(server)
    done = run(monkeypatch, client, id=7, state="stopped", wait_timeout=42)
    assert client.power_before == [server]
    assert client.waits == [("wait_for_status", 7, 42, "server 'web-1' (id 7)")]
    assert done.result["server"]["status"] == "stopped"


def test_transitional_status_is_waited_out_with_the_timeout_and_the_server_named(monkeypatch):
    client = FakeClient(a_server(7, "web-1", status="stopping"))
    run(monkeypatch, client, id=7, state="stopped", wait_timeout=42)
    assert client.waits == [("wait_until_settled", 7, 42, "server 'web-1' (id 7)")]
