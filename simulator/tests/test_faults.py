"""Each fault kind, matched by method/path, fired by count or seeded rate."""

from __future__ import annotations

import json
import time

import pytest
import requests
from vps_sim.testing import Simulator, SimulatorError

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


def test_a_429_fault_can_ask_for_an_hour(clean, api):
    clean.add_fault(kind="status", status=429, retry_after=3600, count=1)
    response = api.get("/servers/")
    assert response.status_code == 429 and response.headers["Retry-After"] == "3600"
    assert response.json() == {"detail": "Request was throttled. Expected available in 3600 seconds."}


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
        {"kind": "insert", "server": ["lp-1"]},
        {"kind": "insert", "server": {"name": "bad name"}},
        {"kind": "insert", "server": {"plan_id": 99}},
        {"kind": "insert", "server": {"location": "mars"}},
        {"kind": "insert", "server": {"status": "melted"}},
        {"kind": "insert", "server": {"colour": "red"}},
        {"kind": "insert", "when": "during"},
        {"kind": "status", "status": 502, "server": {"name": "x"}},
        {"kind": "latency", "when": "after"},
    ],
)
def test_invalid_fault_rules_are_rejected(clean, rule):
    with pytest.raises(SimulatorError, match="400"):
        clean.add_fault(**rule)


def test_faults_never_touch_the_control_plane(clean):
    clean.add_fault(kind="status", status=500)
    assert clean.servers() == []


def _error_after_commit_cases():
    # (method, path template, body, what the committed request left behind)
    return [
        ("POST", "/servers/", CREATE, lambda s: [x["name"] for x in s] == ["web-01", "web-01"]),
        ("POST", "/servers/{id}/stop/", None, lambda s: s[0]["status"] in ("stopping", "stopped")),
        ("POST", "/servers/{id}/reboot/", None, lambda s: s[0]["status"] in ("rebooting", "active")),
        (
            "PATCH",
            "/servers/{id}/",
            {"hostname": "patched.example.com"},
            lambda s: s[0]["hostname"] == "patched.example.com",
        ),
        (
            "PUT",
            "/servers/{id}/",
            {"name": "renamed", "hostname": "put.example.com", "backups_enabled": True},
            lambda s: s[0]["name"] == "renamed" and s[0]["backups_enabled"] is True,
        ),
        ("DELETE", "/servers/{id}/", None, lambda s: s == []),
    ]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize(("method", "path", "body", "committed"), _error_after_commit_cases())
def test_error_after_commit_performs_the_request_then_answers_a_gateway_error(
    clean, api, status, method, path, body, committed
):
    server = api.create("web-01")
    clean.add_fault(kind="error_after_commit", status=status, method=method, count=1)
    response = api.call(method, path.format(id=server["id"]), json=body)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert str(status).encode() in response.content
    assert committed(clean.servers())
    entry = clean.requests()[-1]
    assert entry["fault"] == "error_after_commit" and entry["status"] == status
    assert entry["committed_status"] in (200, 201, 202, 204)
    counters = clean.counters()
    assert counters["mutating"] == 2 and counters["faulted"] == 1
    assert clean.faults()[0]["fired"] == 1


@pytest.mark.parametrize("status", [429, 418])
def test_error_after_commit_only_takes_gateway_statuses(clean, status):
    with pytest.raises(SimulatorError, match="400"):
        clean.add_fault(kind="error_after_commit", status=status)


def test_echo_mode_puts_the_callers_authorization_into_every_error_body(clean, api):
    clean.set_modes(echo_token=True)
    server = api.create("web-01")
    wanted = f"Bearer {clean.token}"
    bad_create = api.post("/servers/", json={"name": "bad name"})
    assert bad_create.status_code == 400 and wanted in json.dumps(bad_create.json()["non_field_errors"])
    assert "name" in bad_create.json()
    missing = api.get("/servers/99999/")
    assert missing.status_code == 404 and wanted in missing.json()["detail"]
    clean.set_balance(clean.token, 0)
    broke = api.post("/servers/", json=CREATE)
    assert broke.status_code == 402 and wanted in broke.json()["detail"]
    assert broke.json()["detail"].startswith("Insufficient balance")
    clean.add_fault(kind="status", status=500, count=1)
    failed = api.get("/servers/")
    assert failed.status_code == 500 and wanted.encode() in failed.content
    assert int(failed.headers["content-length"]) == len(failed.content)
    clean.add_fault(kind="error_after_commit", status=502, method="PATCH", count=1)
    gateway = api.call("PATCH", f"/servers/{server['id']}/", json={"hostname": "h.example.com"})
    assert gateway.status_code == 502 and wanted.encode() in gateway.content
    wrong = requests.get(clean.api_url + "/servers/", headers={"Authorization": "Bearer not-a-token"}, timeout=10)
    assert wrong.status_code == 401 and "Bearer not-a-token" in wrong.json()["detail"]
    ok = api.get(f"/servers/{server['id']}/")
    assert ok.status_code == 200 and clean.token not in ok.text


def test_echo_mode_is_off_by_default_and_from_the_command_line():
    with Simulator() as plain:
        answer = requests.get(plain.api_url + "/servers/1/", headers={"Authorization": "Bearer x"}, timeout=10)
        assert "Bearer x" not in answer.text
    with Simulator(echo_token=True) as echoing:
        headers = {"Authorization": f"Bearer {echoing.token}"}
        answer = requests.get(echoing.api_url + "/servers/1/", headers=headers, timeout=10)
        assert answer.status_code == 404 and echoing.token in answer.json()["detail"]
        assert echoing.modes()["echo_token"] is True


# -- a person acting in the account (insert rules) ----------------------------------------------------

CREATE_PATH = "^/api/v1/servers/$"


def test_a_person_creates_a_server_just_before_the_clients_create(clean, api):
    rule = clean.add_insert("POST", CREATE_PATH, name="lp-1", plan_id=2, location="eu-central")
    assert rule["kind"] == "insert" and rule["when"] == "before" and rule["count"] == 1
    assert rule["server"] == {
        "name": "lp-1",
        "plan_id": 2,
        "os_id": 5,
        "location": "eu-central",
        "hostname": "lp-1",
        "backups_enabled": False,
        "status": "provisioning",
    }
    clean.set_timings(provision_delay=3600)
    ours = api.create("web-01")
    person, client = clean.servers()
    assert person["id"] < ours["id"] == client["id"]
    assert (person["name"], person["plan"]["id"], person["location"]) == ("lp-1", 2, "eu-central")
    assert person["status"] == client["status"] == "provisioning"
    assert person["account"] == client["account"] == "account-1"
    assert clean.accounts()[0]["balance"] == 10_000.0 - 24 - 12
    (listed,) = clean.faults()
    assert listed["fired"] == 1 and listed["remaining"] == 0 and listed["created"] == [person["id"]]
    # The log is what the client sent: one create, no fault.
    assert [(e["method"], e["status"], e["fault"]) for e in clean.requests()] == [("POST", 201, None)]
    assert clean.counters()["total"] == 1 and clean.counters()["mutating"] == 1
    api.create("web-02")
    assert len(clean.servers()) == 3  # count=1: the person acted once


def test_a_persons_server_lands_although_the_clients_create_is_answered_502(clean, api):
    # The gateway's rule comes first: it decides the request's fate, and the person acts all the same.
    clean.add_fault(kind="status", status=502, method="POST", path=CREATE_PATH, count=1)
    clean.add_insert("POST", CREATE_PATH, name="lp-1")
    response = api.post("/servers/", json=CREATE)
    assert response.status_code == 502
    assert [s["name"] for s in clean.servers()] == ["lp-1"], "the client's create must not be applied"
    assert [rule["fired"] for rule in clean.faults()] == [1, 1]
    assert [(e["status"], e["fault"]) for e in clean.requests()] == [(502, "status")]
    assert clean.counters()["mutating"] == 0


def test_a_person_creates_the_same_name_just_after_the_clients_create_landed(clean, api):
    clean.add_insert("POST", CREATE_PATH, when="after", name="web-01", location="us-west")
    ours = api.create("web-01")
    client, person = clean.servers()
    assert client["id"] == ours["id"] < person["id"]
    assert person["name"] == client["name"] == "web-01"
    assert clean.faults()[0]["created"] == [person["id"]]
    listed = api.get("/servers/").json()
    assert [s["id"] for s in listed["results"]] == [ours["id"], person["id"]]


def test_a_person_acting_after_a_committed_create_whose_answer_is_lost(clean, api):
    clean.add_insert("POST", CREATE_PATH, when="after", name="web-01")
    clean.add_fault(kind="error_after_commit", status=502, method="POST", path=CREATE_PATH, count=1)
    assert api.post("/servers/", json=CREATE).status_code == 502
    (person_id,) = clean.faults()[0]["created"]
    servers = clean.servers()
    assert [s["name"] for s in servers] == ["web-01", "web-01"]
    assert person_id == max(s["id"] for s in servers), "the person's server must come after the committed create"


def test_a_person_acts_in_the_account_of_the_request_and_never_for_a_stranger(clean, api, other_api):
    clean.add_insert("GET", CREATE_PATH, status="active", name="seen")
    assert requests.get(clean.api_url + "/servers/", timeout=10).status_code == 401
    assert clean.servers() == [] and clean.faults()[0]["fired"] == 0
    listed = other_api.get("/servers/").json()
    assert [s["name"] for s in listed["results"]] == ["seen"], "the list the client reads already holds it"
    (person,) = clean.servers()
    assert person["account"] == "account-2" and person["status"] == "active" and person["ip_address"]
    assert api.get("/servers/").json()["count"] == 0


def test_an_insert_rule_defaults_from_the_catalogue_over_http(clean, api):
    response = requests.post(
        clean.url + "/_sim/faults",
        json={"kind": "insert", "method": "POST", "path": CREATE_PATH, "count": 1},
        headers={"X-Sim-Admin-Token": clean.admin_token},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    api.create("web-01")
    person = clean.servers()[0]
    assert (person["name"], person["plan"]["id"], person["os"]["id"], person["location"]) == ("manual", 1, 5, "us-west")


def test_a_person_whose_create_the_balance_cannot_pay_creates_nothing(clean, api):
    clean.set_balance(clean.token, 12)
    clean.add_insert("POST", CREATE_PATH, plan_id=2)
    api.create("web-01")
    assert [s["name"] for s in clean.servers()] == ["web-01"]
    assert clean.faults()[0]["fired"] == 1 and clean.faults()[0]["created"] == []
