"""The /_sim/ control plane: protection, reset, seeding, timings, request log and counters."""

from __future__ import annotations

import time

import pytest
import requests
from vps_sim.testing import SimulatorError


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/_sim/reset"), ("GET", "/_sim/servers"), ("GET", "/_sim/requests"), ("POST", "/_sim/faults")],
)
def test_control_plane_needs_the_admin_token(clean, method, path):
    for headers in ({}, {"X-Sim-Admin-Token": "wrong"}, {"Authorization": f"Bearer {clean.token}"}):
        response = requests.request(method, clean.url + path, headers=headers, json={}, timeout=10)
        assert response.status_code == 403
        assert "detail" in response.json()


def test_reset_clears_servers_log_counters_faults_and_timings(clean, api):
    api.create("web-01")
    clean.add_fault(kind="latency", seconds=0.01, count=1)
    clean.set_timings(provision_delay=9)
    clean.set_balance(clean.token, 1)
    clean.set_modes(echo_token=True, ordering="-name", last_page=False)
    clean.reset()
    assert clean.servers() == []
    assert clean.requests() == []
    assert clean.counters() == {"by_endpoint": {}, "mutating": 0, "faulted": 0, "throttled": 0, "total": 0}
    assert clean.faults() == []
    assert clean.timings() == {"provision_delay": 0.0, "transition_delay": 0.0}
    assert [a["balance"] for a in clean.accounts()] == [10_000.0, 10_000.0]
    assert clean.modes() == {"echo_token": False, "ordering": "id", "last_page": True}


def test_default_balance_pays_for_a_fleet_and_a_low_one_answers_402(clean, api):
    for index in range(100):
        api.create(f"fleet-{index}")
    assert clean.accounts()[0]["balance"] == 10_000.0 - 100 * 12
    clean.set_balance(clean.token, 11.99)
    refused = api.post("/servers/", json={"name": "one-more", "plan_id": 1, "os_id": 5, "location": "us-west"})
    assert refused.status_code == 402


def test_settle_finishes_a_held_transition_now(clean, api):
    clean.set_timings(transition_delay=3600)
    server = api.create("held")
    api.post(f"/servers/{server['id']}/stop/")
    time.sleep(0.2)
    assert api.get(f"/servers/{server['id']}/").json()["status"] == "stopping"
    settled = clean.settle(server["id"])
    assert settled["status"] == "stopped"
    assert api.get(f"/servers/{server['id']}/").json()["status"] == "stopped"
    assert clean.settle(server["id"])["status"] == "stopped"  # nothing pending: unchanged
    with pytest.raises(SimulatorError, match="404"):
        clean.settle(99999)


@pytest.mark.parametrize(
    "body",
    [
        {"echo_token": "yes"},
        {"shout": True},
        {"ordering": "created"},
        {"ordering": ["name"]},
        {"last_page": 0},
        {"ordering": "name", "last_page": "no"},
    ],
)
def test_modes_reject_bad_values_and_change_nothing(clean, body):
    with pytest.raises(SimulatorError, match="400"):
        clean.admin("PUT", "/_sim/modes", body)
    assert clean.modes() == {"echo_token": False, "ordering": "id", "last_page": True}


def test_seed_creates_servers_quickly_and_reports_ids(clean):
    started = time.perf_counter()
    result = clean.seed(5000, status="stopped", name_prefix="bulk", location="eu-central")
    assert time.perf_counter() - started < 5
    assert result["created"] == 5000
    first, last = result["ids"]
    assert last - first == 4999
    servers = clean.servers()
    assert len(servers) == 5000
    assert {s["status"] for s in servers} == {"stopped"} and {s["location"] for s in servers} == {"eu-central"}
    assert servers[0]["name"] == "bulk-1" and servers[0]["account"] == "account-1"


def test_seed_into_the_second_account(clean, other_api):
    clean.seed(3, token="second-account-token")
    assert other_api.get("/servers/").json()["count"] == 3


def test_seed_rejects_bad_parameters(clean):
    with pytest.raises(SimulatorError, match="400"):
        clean.seed(0)
    with pytest.raises(SimulatorError, match="400"):
        clean.seed(2, status="melted")


def test_timings_round_trip_and_validation(clean):
    assert clean.set_timings(provision_delay=0.5, transition_delay=0.25) == {
        "provision_delay": 0.5,
        "transition_delay": 0.25,
    }
    with pytest.raises(SimulatorError, match="400"):
        clean.set_timings(provision_delay=-1)


def test_servers_view_shows_all_accounts_with_labels(clean, api, other_api):
    api.create("a")
    other_api.create("b")
    assert {(s["name"], s["account"]) for s in clean.servers()} == {("a", "account-1"), ("b", "account-2")}
    assert all("resource_usage" in s for s in clean.servers())


def test_suspend_unknown_server_is_404(clean):
    with pytest.raises(SimulatorError, match="404"):
        clean.suspend(999999)


def test_request_log_records_what_the_client_sent_without_the_token(clean, api):
    api.create("web-01", backups_enabled=True)
    api.get("/servers/", params={"location": "us-west"})
    requests.get(f"{clean.api_url}/servers/", timeout=10)
    requests.get(f"{clean.api_url}/servers/", headers={"Authorization": "Bearer wrong"}, timeout=10)
    log = clean.requests()
    assert [(e["method"], e["path"], e["status"], e["auth"]) for e in log] == [
        ("POST", "/api/v1/servers/", 201, "ok"),
        ("GET", "/api/v1/servers/", 200, "ok"),
        ("GET", "/api/v1/servers/", 401, "missing"),
        ("GET", "/api/v1/servers/", 401, "invalid"),
    ]
    assert log[0]["body"]["backups_enabled"] is True
    assert log[1]["query"] == "location=us-west"
    assert log[0]["user_agent"].startswith("python-requests")
    assert [e["seq"] for e in clean.requests(since=log[1]["seq"])] == [log[2]["seq"], log[3]["seq"]]
    assert clean.token not in str(log)
    clean.clear_requests()
    assert clean.requests() == []


def test_control_plane_calls_are_not_logged(clean):
    clean.servers()
    clean.counters()
    assert clean.requests() == []


def test_counters_by_endpoint(clean, api):
    server = api.create("web-01")
    api.get(f"/servers/{server['id']}/")
    api.get(f"/servers/{server['id']}/")
    api.call("PATCH", f"/servers/{server['id']}/", json={"name": "x"})
    api.post(f"/servers/{server['id']}/reboot/")
    api.get("/servers/")
    counters = clean.counters()
    assert counters["by_endpoint"] == {
        "POST /api/v1/servers/": 1,
        "GET /api/v1/servers/{id}/": 2,
        "PATCH /api/v1/servers/{id}/": 1,
        "POST /api/v1/servers/{id}/reboot/": 1,
        "GET /api/v1/servers/": 1,
    }
    assert counters["mutating"] == 3 and counters["total"] == 6 and counters["faulted"] == 0
