"""Bearer authentication and account isolation."""

from __future__ import annotations

import requests


def test_missing_token_is_401(clean):
    response = requests.get(f"{clean.api_url}/servers/", timeout=10)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Allow" not in response.headers  # authentication comes before the view


def test_invalid_token_is_401(clean):
    response = requests.get(f"{clean.api_url}/servers/", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_other_scheme_counts_as_missing(clean):
    headers = {"Authorization": f"Token {clean.token}"}
    assert requests.get(f"{clean.api_url}/servers/", headers=headers, timeout=10).status_code == 401


def test_auth_is_checked_before_method_and_existence(clean):
    assert requests.put(f"{clean.api_url}/servers/", timeout=10).status_code == 401
    assert requests.get(f"{clean.api_url}/servers/424242/", timeout=10).status_code == 401


def test_admin_token_does_not_open_the_public_api(clean):
    headers = {"Authorization": f"Bearer {clean.admin_token}"}
    assert requests.get(f"{clean.api_url}/servers/", headers=headers, timeout=10).status_code == 401


def test_two_accounts_cannot_see_each_others_servers(api, other_api):
    mine = api.create("mine")
    theirs = other_api.create("theirs")
    assert [s["name"] for s in api.get("/servers/").json()["results"]] == ["mine"]
    assert [s["name"] for s in other_api.get("/servers/").json()["results"]] == ["theirs"]
    for method, suffix in [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "stop/")]:
        response = other_api.call(method, f"/servers/{mine['id']}/{suffix}", json={})
        assert response.status_code == 404, (method, suffix)
    assert api.get(f"/servers/{mine['id']}/").status_code == 200
    assert api.get(f"/servers/{theirs['id']}/").status_code == 404


def test_each_account_has_its_own_balance(clean, api, other_api):
    clean.set_balance(clean.token, 0)
    assert api.post("/servers/", json={"name": "a", "plan_id": 1, "os_id": 5, "location": "us-west"}).status_code == 402
    other_api.create("b")


def test_new_account_created_through_the_control_plane(clean):
    assert clean.admin("POST", "/_sim/accounts", {"token": "third-token", "balance": 50})["balance"] == 50
    headers = {"Authorization": "Bearer third-token"}
    assert requests.get(f"{clean.api_url}/servers/", headers=headers, timeout=10).status_code == 200
    assert "third-token" not in str(clean.accounts())
