"""vps_server_power on the simulator: which action, none when there, transitions waited out, check mode."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server_power import VpsServerPower
from module_runner import add, sent

NO_DETAIL = {"status": None, "method": None, "path": None, "detail": None, "field_errors": {}}


@pytest.mark.parametrize(
    ("status", "state", "action", "final"),
    [
        ("stopped", "started", "start", "active"),
        ("active", "stopped", "stop", "stopped"),
        ("active", "restarted", "reboot", "active"),
        ("stopped", "restarted", "start", "active"),
    ],
)
def test_the_action_that_reaches_the_state_is_sent_once_and_waited_for(run, sim, status, state, action, final):
    server_id = add(sim, "web-1", status)
    done = run(VpsServerPower, name="web-1", state=state)
    path = f"/servers/{server_id}/"
    # The server as read decides, and goes with the action: no read between them.
    assert sent(sim, changing=False)[:3] == [("GET", "/servers/"), ("GET", path), ("POST", f"{path}{action}/")]
    assert set(sent(sim, changing=False)[3:]) == {("GET", path)} and sent(sim) == [("POST", f"{path}{action}/")]
    assert done.result["changed"] is True and done.result["server"]["status"] == final
    assert done.result["diff"] == {"before": {"status": status}, "after": {"status": final}}
    assert done.result["progress"][-1].startswith(f"server 'web-1' (id {server_id}) is {final} after ")


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize(("status", "state"), [("active", "started"), ("stopped", "stopped")])
def test_a_server_already_in_the_state_is_returned_unchanged(run, sim, status, state, check_mode):
    server_id = add(sim, "web-1", status)
    done = run(VpsServerPower, check_mode=check_mode, id=server_id, state=state)
    assert done.result["changed"] is False and "diff" not in done.result and sent(sim) == []
    assert (done.result["server"]["id"], done.result["server"]["status"]) == (server_id, status)


@pytest.mark.parametrize(("status", "action"), [("stopping", None), ("starting", "stop"), ("rebooting", "stop")])
def test_a_transition_is_waited_out_before_the_action_is_decided(run, sim, status, action):
    server_id = add(sim, "web-1", status)
    done = run(VpsServerPower, id=server_id, state="stopped")
    assert sent(sim) == ([("POST", f"/servers/{server_id}/{action}/")] if action else [])
    assert done.result["changed"] is bool(action) and done.result["server"]["status"] == "stopped"
    assert done.result["progress"][0] == f"server 'web-1' (id {server_id}) is {status} after 0.0 s"


def test_check_mode_sends_no_action_and_returns_the_server_as_found(run, sim):
    server_id = add(sim, "web-1")
    done = run(VpsServerPower, check_mode=True, id=server_id, state="stopped")
    assert done.result["changed"] is True and sent(sim) == [] and "progress" not in done.result
    assert done.result["server"]["status"] == "active"
    assert done.result["diff"] == {"before": {"status": "active"}, "after": {"status": "stopped"}}


def test_without_wait_the_server_is_read_once_more(run, sim):
    server_id = add(sim, "web-1")
    done = run(VpsServerPower, id=server_id, state="stopped", wait=False)
    assert done.result["server"]["status"] == "stopping" and "progress" not in done.result
    assert sent(sim, changing=False)[-2:] == [
        ("POST", f"/servers/{server_id}/stop/"),
        ("GET", f"/servers/{server_id}/"),
    ]


def test_an_action_whose_answer_was_lost_is_settled_by_reading_the_server_not_sent_again(run, sim):
    server_id = add(sim, "web-1")
    sim.add_fault(kind="error_after_commit", status=502, method="POST", count=1)
    done = run(VpsServerPower, id=server_id, state="stopped")
    assert not done.failed and done.result["server"]["status"] == "stopped"
    assert sent(sim) == [("POST", f"/servers/{server_id}/stop/")]


def test_a_suspended_server_is_refused(run, sim):
    server_id = add(sim, "web-1", "suspended")
    done = run(VpsServerPower, id=server_id, state="started")
    assert done.result["msg"] == (
        f"server 'web-1' (id {server_id}): it is suspended by VPS.org and cannot be powered on or off"
    )
    assert done.result["failure"] == dict(NO_DETAIL, reason="refused") and sent(sim) == []


@pytest.mark.parametrize(
    ("args", "message"), [({"id": 9}, "no server id 9 exists"), ({"name": "web-9"}, "no server named 'web-9' exists")]
)
def test_a_missing_server_fails_naming_how_it_was_looked_for(run, sim, args, message):
    add(sim, "web-1")
    done = run(VpsServerPower, state="started", **args)
    assert done.result["msg"] == message and done.result["failure"] == dict(NO_DETAIL, reason="not_found")
