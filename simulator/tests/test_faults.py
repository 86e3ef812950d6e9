"""Each fault kind, matched by method/path, fired by count or seeded rate."""

from __future__ import annotations

import time

import pytest
import requests
from vps_sim.testing import SimulatorError

CREATE = {"name": "web-01", "plan_id": 1, "os_id": 5, "location": "us-west"}


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_status_fault_answers_without_performing_the_request(clean, api, status):
    clean.add_fault(kind="status", status=status, method="POST", path="^/api/v1/servers/$", count=1, retry_after=3)
    response = api.post("/servers/", json=CREATE)
    assert response.status_code == status
    if status in (429, 503):
        assert response.headers["Retry-After"] == "3"
    else:
        assert "Retry-After" not in response.headers
    if status == 429:
        assert response.json() == {"detail": "Request was throttled. Expected available in 3 seconds."}
    assert clean.servers() == []
    assert api.post("/servers/", json=CREATE).status_code == 201  # count=1: the next one passes
    counters = clean.counters()
    assert counters["faulted"] == 1 and counters["mutating"] == 1
    assert counters["by_endpoint"]["POST /api/v1/servers/"] == 2
    assert [e["fault"] for e in clean.requests()] == ["status", None]


def test_fault_matches_method_and_path_only(clean, api):
    clean.add_fault(kind="status", status=500, method="GET", path=r"/servers/\d+/$")
    server = api.create("web-01")
    assert api.get("/servers/").status_code == 200
    assert api.get(f"/servers/{server['id']}/").status_code == 500
    assert api.call("PATCH", f"/servers/{server['id']}/", json={}).status_code == 200


def test_rate_faults_are_reproducible_with_a_seed(clean, api):
    def pattern() -> list[int]:
        clean.clear_faults()
        clean.add_fault(kind="status", status=503, rate=0.3, seed=7)
        return [api.get("/servers/").status_code for _request in range(40)]

    first = pattern()
    assert first == pattern()
    assert 3 <= first.count(503) <= 25
    assert clean.faults()[0]["fired"] == first.count(503)


def test_latency_fault_delays_but_answers(clean, api):
    clean.add_fault(kind="latency", seconds=0.4, count=1)
    started = time.perf_counter()
    assert api.get("/servers/").status_code == 200
    assert time.perf_counter() - started >= 0.4
    started = time.perf_counter()
    api.get("/servers/")
    assert time.perf_counter() - started < 0.3


def test_drop_after_commit_processes_the_request_then_closes_without_answer(clean, api):
    clean.add_fault(kind="drop_after_commit", method="POST", path="^/api/v1/servers/$", count=1)
    with pytest.raises(requests.ConnectionError):
        api.post("/servers/", json=CREATE)
    assert [s["name"] for s in clean.servers()] == ["web-01"]
    entry = clean.requests()[-1]
    assert entry["fault"] == "drop_after_commit" and entry["status"] == 201
    assert clean.counters()["mutating"] == 1
    assert api.post("/servers/", json=CREATE).status_code == 201


def test_drop_after_commit_on_a_power_action(clean, api):
    server = api.create("web-01")
    clean.add_fault(kind="drop_after_commit", method="POST", path="/stop/$", count=1)
    with pytest.raises(requests.ConnectionError):
        api.post(f"/servers/{server['id']}/stop/")
    assert api.get(f"/servers/{server['id']}/").json()["status"] in ("stopping", "stopped")


def test_timeout_fault_holds_the_request(clean, api):
    clean.add_fault(kind="timeout", seconds=30, count=1)
    started = time.perf_counter()
    with pytest.raises(requests.Timeout):
        api.get("/servers/", timeout=0.5)
    assert time.perf_counter() - started < 5
    assert api.get("/servers/").status_code == 200
    assert clean.requests()[0]["fault"] == "timeout"


def test_short_timeout_fault_ends_with_a_dropped_connection(clean, api):
    clean.add_fault(kind="timeout", seconds=0.2, count=1)
    with pytest.raises(requests.ConnectionError):
        api.get("/servers/", timeout=5)


def test_fault_listing_counts_and_clearing(clean, api):
    rule = clean.add_fault(kind="status", status=502, count=2)
    assert rule["id"] >= 1 and rule["fired"] == 0
    for _request in range(3):
        api.get("/servers/")
    (listed,) = clean.faults()
    assert listed["fired"] == 2 and listed["remaining"] == 0
    clean.clear_faults()
    assert clean.faults() == []


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "explode"},
        {"kind": "status", "status": 418},
        {"kind": "status", "status": 500, "rate": 2},
        {"kind": "status", "status": 500, "count": 0},
        {"kind": "latency", "seconds": -1},
        {"kind": "status", "status": 500, "path": "("},
        {"kind": "status", "status": 500, "rate": 0.5, "count": 1},
    ],
)
def test_invalid_fault_rules_are_rejected(clean, rule):
    with pytest.raises(SimulatorError, match="400"):
        clean.add_fault(**rule)


def test_faults_never_touch_the_control_plane(clean):
    clean.add_fault(kind="status", status=500)
    assert clean.servers() == []
