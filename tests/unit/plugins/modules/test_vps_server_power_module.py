"""vps_server_power's decisions with a fake client: which action, when none, transitions, check mode."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server_power import VpsServerPower
from fake_client import FakeClient, a_server
from module_runner import run_module


def run(monkeypatch, client, check_mode=False, **args):
    return run_module(VpsServerPower, args, client, monkeypatch, check_mode=check_mode, diff=True)


@pytest.mark.parametrize(
    ("status", "state", "action", "final"),
    [
        ("stopped", "started", "start", "active"),
        ("active", "stopped", "stop", "stopped"),
        ("active", "restarted", "reboot", "active"),
        ("stopped", "restarted", "start", "active"),
    ],
)
def test_the_action_that_reaches_the_state_is_sent_once(monkeypatch, status, state, action, final):
    client = FakeClient(a_server(7, "web-1", status=status))
    done = run(monkeypatch, client, name="web-1", state=state)
    assert done.result["changed"] is True and client.mutations() == [("power", 7, action)]
    assert done.result["server"]["status"] == final
    assert done.result["diff"] == {"before": {"status": status}, "after": {"status": final}}


@pytest.mark.parametrize(("status", "state"), [("active", "started"), ("stopped", "stopped")])
def test_server_already_there_is_unchanged(monkeypatch, status, state):
    client = FakeClient(a_server(7, "web-1", status=status))
    done = run(monkeypatch, client, id=7, state=state)
    assert done.result["changed"] is False and client.mutations() == []


@pytest.mark.parametrize(
    ("status", "settled"), [("stopping", "stopped"), ("starting", "active"), ("rebooting", "active")]
)
def test_transitional_status_is_waited_out_before_deciding(monkeypatch, status, settled):
    client = FakeClient(a_server(7, "web-1", status=status))
    done = run(monkeypatch, client, id=7, state="stopped")
    assert ("wait_until_settled", 7) in client.calls
    expected = [] if settled == "stopped" else [("power", 7, "stop")]
    assert client.mutations() == expected and done.result["changed"] is bool(expected)


def test_check_mode_sends_no_action(monkeypatch):
    client = FakeClient(a_server(7, "web-1", status="active"))
    done = run(monkeypatch, client, check_mode=True, id=7, state="stopped")
    assert done.result["changed"] is True and client.mutations() == []


def test_suspended_server_is_refused(monkeypatch):
    client = FakeClient(a_server(7, "web-1", status="suspended"))
    done = run(monkeypatch, client, id=7, state="started")
    assert done.failed and "suspended" in done.result["msg"] and done.result["failure"]["reason"] == "refused"
    assert client.mutations() == []


def test_missing_server_fails_naming_it(monkeypatch):
    done = run(monkeypatch, FakeClient(), name="web-9", state="started")
    assert done.failed and "no server named 'web-9' exists" in done.result["msg"]


def test_no_wait_reads_the_server_once_more(monkeypatch):
    client = FakeClient(a_server(7, "web-1", status="active"))
    done = run(monkeypatch, client, id=7, state="stopped", wait=False)
    assert done.result["server"]["status"] == "stopping"
    assert "wait_for_status" not in [call[0] for call in client.calls]
