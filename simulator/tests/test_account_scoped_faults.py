"""Faults and short lists scoped to one account: requests of the other accounts never meet them."""

from __future__ import annotations

import time

import pytest
import requests
from vps_sim.testing import SimulatorError

OTHER_TOKEN = "second-account-token"  # conftest.OTHER_TOKEN: the fixture simulator's account-2


def labels(sim) -> dict:
    """The account label of each test token (the control plane never shows tokens: the order does)."""
    first, second = (entry["account"] for entry in sim.accounts()[:2])
    return {sim.token: first, OTHER_TOKEN: second}


def test_the_fixture_accounts_are_labelled_account_1_and_account_2(clean):
    assert labels(clean) == {clean.token: "account-1", OTHER_TOKEN: "account-2"}


def test_a_status_fault_for_account_2_never_touches_account_1(clean, api, other_api):
    rule = clean.add_fault(kind="status", status=503, account="account-2")
    assert rule["account"] == "account-2"
    for _round in range(3):
        assert api.get("/servers/").status_code == 200
        assert other_api.get("/servers/").status_code == 503
    assert clean.faults()[0]["fired"] == 3
    log = clean.requests()
    assert [(entry["account"], entry["status"], entry["fault"]) for entry in log] == [
        ("account-1", 200, None),
        ("account-2", 503, "status"),
    ] * 3


def test_a_counted_fault_for_one_account_is_not_used_up_by_another(clean, api, other_api):
    clean.add_fault(kind="status", status=502, count=2, account="account-2")
    assert [api.get("/servers/").status_code for _request in range(4)] == [200] * 4
    assert [other_api.get("/servers/").status_code for _request in range(3)] == [502, 502, 200]


def test_an_account_scoped_rule_never_fires_without_a_valid_token(clean):
    clean.add_fault(kind="status", status=500, account="account-1")
    anonymous = requests.get(f"{clean.api_url}/servers/", timeout=10)
    stranger = requests.get(f"{clean.api_url}/servers/", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert (anonymous.status_code, stranger.status_code) == (401, 401)
    assert clean.faults()[0]["fired"] == 0
    assert [entry["account"] for entry in clean.requests()] == [None, None]


def test_a_rule_for_an_account_that_does_not_exist_never_fires(clean, api, other_api):
    clean.add_fault(kind="status", status=500, account="account-9")
    assert api.get("/servers/").status_code == 200
    assert other_api.get("/servers/").status_code == 200
    assert clean.faults()[0]["fired"] == 0


def test_an_account_added_later_meets_the_rule_armed_for_its_label(clean):
    clean.add_fault(kind="status", status=504, account="account-3")
    created = clean.admin("POST", "/_sim/accounts", {"token": "third-token"})
    assert created["account"] == "account-3"
    third = requests.get(f"{clean.api_url}/servers/", headers={"Authorization": "Bearer third-token"}, timeout=10)
    assert third.status_code == 504


def test_a_latency_fault_for_one_account_delays_only_that_account(clean, api, other_api):
    clean.add_fault(kind="latency", seconds=0.6, account="account-2")
    started = time.perf_counter()
    assert api.get("/servers/").status_code == 200
    assert time.perf_counter() - started < 0.4
    started = time.perf_counter()
    assert other_api.get("/servers/").status_code == 200
    assert time.perf_counter() - started >= 0.6


def test_an_insert_rule_for_one_account_acts_only_in_it(clean, api, other_api):
    clean.add_insert("GET", "^/api/v1/servers/$", account="account-2", name="manual-b")
    api.get("/servers/")
    assert clean.servers() == []
    other_api.get("/servers/")
    assert [(s["name"], s["account"]) for s in clean.servers()] == [("manual-b", "account-2")]


def test_add_account_returns_the_label_that_scopes_a_rule(clean):
    label = clean.add_account("fourth-token")
    assert label == "account-3" and clean.add_account("fourth-token") == label
    clean.add_fault(kind="status", status=503, account=label)
    fourth = requests.get(f"{clean.api_url}/servers/", headers={"Authorization": "Bearer fourth-token"}, timeout=10)
    assert fourth.status_code == 503


def test_rules_with_and_without_account_combine(clean, api, other_api):
    clean.add_fault(kind="status", status=502, account="account-2")
    clean.add_fault(kind="status", status=500, method="POST")
    assert api.get("/servers/").status_code == 200
    assert other_api.get("/servers/").status_code == 502
    assert api.post("/servers/", json={}).status_code == 500


@pytest.mark.parametrize("account", [2, "", ["account-2"], {"label": "account-2"}, True])
def test_an_account_that_is_not_a_label_is_refused(clean, account):
    with pytest.raises(SimulatorError, match=r"400.*account"):
        clean.add_fault(kind="status", status=503, account=account)
    assert clean.faults() == []


def page(api, number, size=10):
    return api.get("/servers/", params={"page": number, "page_size": size})


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_short_list_for_account_2_leaves_account_1_whole(clean, api, other_api, status):
    clean.seed(25, token=clean.token)
    clean.seed(25, token=OTHER_TOKEN)
    armed = clean.short_list(kind="gone", status=status, from_page=2, account="account-2")
    assert armed["account"] == "account-2"
    for number in (1, 2, 3):
        assert page(api, number).status_code == 200
    assert page(other_api, 1).status_code == 200
    assert page(other_api, 2).status_code == status
    assert clean.short_list()["fired"] == 1


def test_empty_and_repeat_short_lists_for_one_account(clean, api, other_api):
    clean.seed(30, token=clean.token)
    clean.seed(30, token=OTHER_TOKEN)
    clean.short_list(kind="empty", from_page=2, account="account-1")
    assert len(page(api, 2).json()["results"]) == 0
    assert len(page(other_api, 2).json()["results"]) == 10
    clean.short_list(kind="repeat", page=2, account="account-1")
    first, second = page(api, 1).json(), page(api, 2).json()
    assert [s["id"] for s in second["results"]] == [s["id"] for s in first["results"]]
    other_first, other_second = page(other_api, 1).json(), page(other_api, 2).json()
    assert not {s["id"] for s in other_first["results"]} & {s["id"] for s in other_second["results"]}


def test_a_prefix_short_list_for_one_account_serves_the_prefix_to_it_only(clean, api, other_api):
    clean.short_list(kind="prefix", prefix="/edge", account="account-2")
    edge = clean.api_url.replace("/api/v1", "/edge/api/v1") + "/servers/"
    mine = requests.get(edge, headers=other_api.session.headers, timeout=10)
    theirs = requests.get(edge, headers=api.session.headers, timeout=10)
    assert (mine.status_code, theirs.status_code) == (200, 404)
    assert clean.short_list()["fired"] == 1


@pytest.mark.parametrize(
    "way",
    [
        {"kind": "gone", "from_page": 2, "account": 2},
        {"kind": "gone", "from_page": 2, "account": ""},
        {"kind": "empty", "from_page": 2, "account": ["account-1"]},
        {"kind": "empty", "from_page": 2, "acount": "account-1"},
    ],
)
def test_a_short_list_with_a_bad_account_or_an_unknown_key_is_refused(clean, way):
    with pytest.raises(SimulatorError, match="400"):
        clean.short_list(**way)
    assert clean.short_list() == {"kind": None}
