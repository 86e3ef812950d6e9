"""Status transitions that take real (configurable) time, and power actions in every state."""

from __future__ import annotations

import time

import pytest


def wait_for(api, server_id: int, status: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = api.get(f"/servers/{server_id}/").json()
        if body["status"] == status or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


@pytest.fixture
def active(clean, api):
    clean.set_timings(provision_delay=0, transition_delay=0)
    server = api.create("web-01")
    assert wait_for(api, server["id"], "active")["status"] == "active"
    return server


def test_provisioning_lasts_the_configured_delay_then_assigns_addresses(clean, api):
    clean.set_timings(provision_delay=0.5)
    server = api.create("web-01")
    early = api.get(f"/servers/{server['id']}/").json()
    assert early["status"] == "provisioning" and early["ip_address"] is None
    time.sleep(0.6)
    late = api.get(f"/servers/{server['id']}/").json()
    assert late["status"] == "active"
    assert late["ip_address"].startswith("203.0.113.")
    assert late["ipv6_address"].startswith("2001:db8:")
    assert late["updated_at"] >= early["updated_at"]


@pytest.mark.parametrize(
    ("setup", "action", "passing", "final", "message"),
    [
        ([], "stop", "stopping", "stopped", "Server is stopping"),
        (["stop"], "start", "starting", "active", "Server is starting"),
        ([], "reboot", "rebooting", "active", "Server is rebooting"),
    ],
)
def test_power_action_passes_through_transitional_status(clean, api, active, setup, action, passing, final, message):
    for step in setup:
        assert api.post(f"/servers/{active['id']}/{step}/").status_code == 200
    clean.set_timings(transition_delay=0.4)
    response = api.post(f"/servers/{active['id']}/{action}/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "message": message,
        "server": {"id": active["id"], "name": "web-01", "status": passing},
    }
    assert api.get(f"/servers/{active['id']}/").json()["status"] == passing
    assert wait_for(api, active["id"], final)["status"] == final


@pytest.mark.parametrize(
    ("setup", "action", "detail"),
    [
        ([], "start", "Server is already running."),
        (["stop"], "stop", "Server is not running."),
        (["stop"], "reboot", "Server is not running."),
    ],
)
def test_power_action_in_wrong_state_is_400_with_doc_wording(api, active, setup, action, detail):
    for step in setup:
        api.post(f"/servers/{active['id']}/{step}/")
    response = api.post(f"/servers/{active['id']}/{action}/")
    assert response.status_code == 400
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize("action", ["start", "stop", "reboot"])
def test_actions_while_provisioning_are_refused(clean, api, action):
    clean.set_timings(provision_delay=30)
    server = api.create("web-01")
    response = api.post(f"/servers/{server['id']}/{action}/")
    assert response.status_code == 400
    assert "provisioned" in response.json()["detail"]


def test_actions_during_a_transition_are_refused(clean, api, active):
    clean.set_timings(transition_delay=30)
    api.post(f"/servers/{active['id']}/stop/")
    response = api.post(f"/servers/{active['id']}/start/")
    assert response.status_code == 400
    assert "stopping" in response.json()["detail"]


@pytest.mark.parametrize("action", ["start", "stop", "reboot"])
def test_suspended_server_refuses_power_actions(clean, api, active, action):
    clean.suspend(active["id"])
    response = api.post(f"/servers/{active['id']}/{action}/")
    assert response.status_code == 400
    assert response.json() == {"detail": "Server is suspended."}


def test_unsuspend_restores_the_previous_status(clean, api, active):
    api.post(f"/servers/{active['id']}/stop/")
    assert wait_for(api, active["id"], "stopped")["status"] == "stopped"
    assert clean.suspend(active["id"])["status"] == "suspended"
    assert api.get(f"/servers/{active['id']}/").json()["status"] == "suspended"
    assert clean.unsuspend(active["id"])["status"] == "stopped"


def test_suspended_server_can_still_be_renamed_and_deleted(clean, api, active):
    clean.suspend(active["id"])
    assert api.call("PATCH", f"/servers/{active['id']}/", json={"name": "renamed"}).status_code == 200
    assert api.call("DELETE", f"/servers/{active['id']}/").status_code == 204


def test_status_filter_sees_finished_transitions(clean, api):
    clean.set_timings(provision_delay=0.2)
    api.create("web-01")
    assert api.get("/servers/", params={"status": "provisioning"}).json()["count"] == 1
    time.sleep(0.3)
    assert api.get("/servers/", params={"status": "provisioning"}).json()["count"] == 0
    assert api.get("/servers/", params={"status": "active"}).json()["count"] == 1
