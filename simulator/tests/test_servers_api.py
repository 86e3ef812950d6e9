"""Contract of the nine public endpoints: shapes and status codes."""

from __future__ import annotations

import re

SUMMARY_KEYS = {"id", "name", "hostname", "status", "ip_address", "location", "plan", "os", "created_at", "updated_at"}
DETAIL_KEYS = SUMMARY_KEYS | {"ipv6_address", "backups_enabled", "resource_usage"}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_create_answers_201_with_provisioning_server_and_message(api):
    response = api.post(
        "/servers/",
        json={"name": "web-01", "plan_id": 1, "os_id": 5, "location": "us-west", "hostname": "web-01.example.com"},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == DETAIL_KEYS | {"message"}
    assert body["status"] == "provisioning"
    assert body["ip_address"] is None and body["ipv6_address"] is None
    assert body["backups_enabled"] is False
    assert body["message"] == "Server is being provisioned. This may take 2-5 minutes."
    assert body["plan"] == {
        "id": 1,
        "name": "Standard VPS",
        "vcpus": 2,
        "memory": 4096,
        "storage": 80,
        "bandwidth": 2048,
    }
    assert body["os"] == {"id": 5, "name": "Ubuntu 22.04 LTS"}
    assert ISO_Z.match(body["created_at"]) and ISO_Z.match(body["updated_at"])


def test_list_answers_summaries_in_drf_envelope(api):
    created = api.create("web-01")
    response = api.get("/servers/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    assert response.headers["Allow"] == "GET, POST"
    (summary,) = body["results"]
    assert set(summary) == SUMMARY_KEYS
    assert summary["id"] == created["id"]
    assert set(summary["plan"]) == {"id", "name", "vcpus", "memory", "storage"}


def test_detail_has_ipv6_bandwidth_backups_and_usage(api):
    created = api.create("web-01", backups_enabled=True)
    body = api.get(f"/servers/{created['id']}/").json()
    assert set(body) == DETAIL_KEYS
    assert body["plan"]["bandwidth"] == 2048
    assert body["backups_enabled"] is True
    assert set(body["resource_usage"]) == {"cpu_percent", "memory_used", "disk_used", "bandwidth_used"}


def test_hostname_defaults_to_name(api):
    assert api.create("db-1")["hostname"] == "db-1"


def test_duplicate_names_are_allowed(api):
    first, second = api.create("twin"), api.create("twin")
    assert first["id"] != second["id"]
    assert api.get("/servers/").json()["count"] == 2


def test_put_replaces_updatable_fields(api):
    server = api.create("web-01")
    body = {"name": "web-02", "hostname": "web-02.example.com", "backups_enabled": True}
    response = api.call("PUT", f"/servers/{server['id']}/", json=body)
    assert response.status_code == 200
    updated = response.json()
    assert set(updated) == DETAIL_KEYS
    assert {k: updated[k] for k in body} == body
    assert api.get(f"/servers/{server['id']}/").json()["name"] == "web-02"


def test_patch_changes_only_given_fields(api):
    server = api.create("web-01", hostname="web-01.example.com")
    response = api.call("PATCH", f"/servers/{server['id']}/", json={"backups_enabled": True})
    assert response.status_code == 200
    assert response.json()["backups_enabled"] is True
    assert response.json()["name"] == "web-01" and response.json()["hostname"] == "web-01.example.com"


def test_empty_patch_changes_nothing(api):
    server = api.create("web-01")
    response = api.call("PATCH", f"/servers/{server['id']}/", json={})
    assert response.status_code == 200 and response.json()["name"] == "web-01"


def test_delete_answers_204_then_404(api):
    server = api.create("web-01")
    response = api.call("DELETE", f"/servers/{server['id']}/")
    assert response.status_code == 204 and response.content == b""
    assert api.get(f"/servers/{server['id']}/").status_code == 404
    assert api.call("DELETE", f"/servers/{server['id']}/").json() == {"detail": "Not found."}


def test_unknown_server_is_404_everywhere(api):
    for method, path in [
        ("GET", "/servers/999999/"),
        ("PUT", "/servers/999999/"),
        ("PATCH", "/servers/999999/"),
        ("DELETE", "/servers/999999/"),
        ("POST", "/servers/999999/start/"),
        ("POST", "/servers/999999/stop/"),
        ("POST", "/servers/999999/reboot/"),
    ]:
        response = api.call(method, path, json={})
        assert response.status_code == 404, (method, path)
        assert response.json() == {"detail": "Not found."}


def test_wrong_method_is_405_with_allow_header(api):
    server = api.create("web-01")
    cases = [
        ("PUT", "/servers/", "GET, POST"),
        ("DELETE", "/servers/", "GET, POST"),
        ("POST", f"/servers/{server['id']}/", "GET, PUT, PATCH, DELETE"),
        ("GET", f"/servers/{server['id']}/start/", "POST"),
        ("DELETE", f"/servers/{server['id']}/reboot/", "POST"),
    ]
    for method, path, allow in cases:
        response = api.call(method, path)
        assert response.status_code == 405, (method, path)
        assert response.json() == {"detail": f'Method "{method}" not allowed.'}
        assert response.headers["Allow"] == allow


def test_paths_without_trailing_slash_are_404(api):
    assert api.get("/servers").status_code == 404
    assert api.get("/servers").json() == {"detail": "Not found."}


def test_create_debits_balance_and_answers_402_when_short(clean, api):
    clean.set_balance(clean.token, 30.0)
    api.create("a", plan_id=1)  # 12.00
    api.create("b", plan_id=1)  # 12.00 -> 6.00 left
    response = api.post("/servers/", json={"name": "c", "plan_id": 1, "os_id": 5, "location": "us-west"})
    assert response.status_code == 402
    assert "Insufficient balance" in response.json()["detail"]
    assert api.get("/servers/").json()["count"] == 2
    (account,) = [a for a in clean.accounts() if a["account"] == "account-1"]
    assert account["balance"] == 6.0


def test_validation_runs_before_the_balance_check(clean, api):
    clean.set_balance(clean.token, 0)
    response = api.post("/servers/", json={"name": "bad name"})
    assert response.status_code == 400
