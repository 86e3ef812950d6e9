"""Concurrent runs that create one name: every run keeps the oldest server and deletes only its own."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.name_races import keep_oldest, race_message, winner
from fake_api import FakeAccount, FakeClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "modules"))
from ansible_collections.vpsorg.cloud.plugins.modules.vps_fleet import VpsFleet
from test_vps_fleet_module import DEFAULTS, Exit, FakeModule
from test_vps_fleet_module import run as run_fleet


def named(account, name):
    return sorted(server["id"] for server in account.servers.values() if server["name"] == name)


def test_the_oldest_of_one_name_wins_whoever_asks():
    listing = [{"id": 7, "name": "a"}, {"id": 3, "name": "a"}, {"id": 1, "name": "b"}]
    assert winner(listing, "a", {"id": 9, "name": "a"})["id"] == 3
    assert winner(listing, "a", {"id": 2, "name": "a"})["id"] == 2
    # Ours alone (the listing may not show it yet): ours wins.
    assert winner([], "a", {"id": 9, "name": "a"})["id"] == 9


def test_ours_is_deleted_when_another_run_created_the_name_first():
    account = FakeAccount()
    theirs = account.add("a", status="provisioning")
    ours = account.add("a", status="provisioning")
    claims = keep_oldest(FakeClient(account), {"a": dict(ours)})
    assert claims["a"].kept["id"] == theirs["id"] and claims["a"].deleted == ours["id"] and claims["a"].error is None
    assert named(account, "a") == [theirs["id"]]
    assert f"id {theirs['id']}" in race_message("a", claims["a"]) and f"id {ours['id']}" in race_message(
        "a", claims["a"]
    )


def test_a_younger_server_of_another_run_is_never_deleted_by_us():
    account = FakeAccount()
    ours = account.add("a", status="provisioning")
    theirs = account.add("a", status="provisioning")
    claims = keep_oldest(FakeClient(account), {"a": dict(ours)})
    assert claims["a"].kept["id"] == ours["id"] and claims["a"].deleted is None
    # The other run deletes its own when it settles its claim; we leave it alone.
    assert named(account, "a") == [ours["id"], theirs["id"]]
    assert ("DELETE", theirs["id"]) not in account.calls


def test_every_name_is_settled_with_one_listing():
    account = FakeAccount()
    created = {name: dict(account.add(name)) for name in ("a", "b", "c")}
    claims = keep_oldest(FakeClient(account), created)
    assert account.calls == [("LIST", None)]
    assert {name: claim.kept["id"] for name, claim in claims.items()} == {n: s["id"] for n, s in created.items()}
    # Ours is the only one of each name: nothing is deleted.
    assert [claim.deleted for claim in claims.values()] == [None] * 3
    assert [named(account, name) for name in created] == [[s["id"]] for s in created.values()]
    assert keep_oldest(FakeClient(account), {}) == {} and account.calls == [("LIST", None)]


def test_a_failed_delete_of_ours_is_an_error_naming_both_servers():
    account = FakeAccount()
    theirs = account.add("a")
    ours = account.add("a")
    account.fail[("DELETE", ours["id"])] = VpsApiError(
        "boom", status=503, method="DELETE", path="/servers/x/", body={"detail": "down"}, reason="server_error"
    )
    claim = keep_oldest(FakeClient(account), {"a": dict(ours)})["a"]
    assert claim.deleted is None and claim.kept["id"] == ours["id"]
    assert f"id {ours['id']}" in str(claim.error) and f"id {theirs['id']}" in str(claim.error)
    assert claim.error.status == 503 and "two servers now have this name" in str(claim.error)
    assert (claim.error.method, claim.error.path) == ("DELETE", "/servers/x/")
    assert (claim.error.body, claim.error.reason) == ({"detail": "down"}, "server_error")


def test_after_a_failed_delete_the_other_names_are_still_settled():
    account = FakeAccount()
    account.add("a")
    ours_a, theirs_b = account.add("a"), account.add("b")
    ours_b = account.add("b")
    account.fail[("DELETE", ours_a["id"])] = VpsApiError("boom", status=503, method="DELETE", path="/servers/x/")
    claims = keep_oldest(FakeClient(account), {"a": dict(ours_a), "b": dict(ours_b)})
    assert claims["a"].error is not None and claims["a"].deleted is None
    assert (
        claims["b"].error is None and claims["b"].deleted == ours_b["id"] and claims["b"].kept["id"] == theirs_b["id"]
    )


class RacingClient(FakeClient):
    """Another run creates the same name just before (or just after) each of our creates."""

    def __init__(self, account, before=True):
        super().__init__(account)
        self.before = before
        self.theirs = {}

    def worker(self):
        worker = RacingClient(self.account, self.before)
        worker.theirs = self.theirs
        return worker

    def _theirs(self, name):
        with self.account.lock:
            server = self.theirs[name] = self.account.add(name, status="provisioning")
            self.account.pending[server["id"]] = (self.account.settle_after, "active")

    def create_server(self, body, existing_ids=()):
        if self.before:
            self._theirs(body["name"])
        ours = super().create_server(body, existing_ids)
        if not self.before:
            self._theirs(body["name"])
        return ours


def run_racing_fleet(before, servers):
    account = FakeAccount()
    client = RacingClient(account, before)
    module = FakeModule({"servers": servers, "defaults": DEFAULTS})
    with pytest.raises(Exit) as done:
        VpsFleet(module=module, client=client).execute()
    return account, client, done.value.result, module


def test_the_fleet_keeps_the_other_runs_older_server_and_reports_it():
    account, client, result, module = run_racing_fleet(True, [{"name": "a", "power": "stopped"}, {"name": "b"}])
    assert not result["failed"], result["msg"]
    for name in ("a", "b"):
        assert named(account, name) == [client.theirs[name]["id"]]
    assert [s["id"] for s in result["servers"]] == [client.theirs["a"]["id"], client.theirs["b"]["id"]]
    assert all("another run" in r["msg"] and r["changed"] for r in result["results"])
    assert len(module.warnings) == 2
    # The entry that wants the server stopped stops the kept one once it has settled.
    assert account.servers[client.theirs["a"]["id"]]["status"] == "stopped"


def test_the_fleet_keeps_its_own_older_server_and_leaves_the_younger_one_to_its_run():
    account, client, result, module = run_racing_fleet(False, [{"name": "a"}])
    assert not result["failed"], result["msg"]
    ours = result["results"][0]["id"]
    assert ours < client.theirs["a"]["id"] and named(account, "a") == [ours, client.theirs["a"]["id"]]
    assert module.warnings == [] and result["results"][0]["msg"] == "created"


def test_without_races_a_fleet_run_is_unchanged_by_the_check():
    account = FakeAccount()
    result, _module = run_fleet(account, [{"name": "a"}, {"name": "b"}])
    assert not result["failed"] and sorted(s["name"] for s in account.servers.values()) == ["a", "b"]


def test_a_failed_second_listing_is_an_error_saying_the_server_was_created():
    account = FakeAccount()
    ours = account.add("a")
    account.fail[("LIST", None)] = VpsApiError("down", status=503, method="GET", path="/servers/")
    claim = keep_oldest(FakeClient(account), {"a": dict(ours)})["a"]
    assert claim.kept["id"] == ours["id"] and claim.deleted is None
    assert f"was created (id {ours['id']}), but listing the account again" in str(claim.error)
    assert claim.error.status == 503 and named(account, "a") == [ours["id"]]


class FilteringClient(FakeClient):
    """Applies the status filter as the API does, and records which listing was read."""

    def __init__(self, account):
        super().__init__(account)
        self.filters = []

    def list_servers(self, filters=None, page_size=None):
        self.filters.append(filters)
        servers = super().list_servers()
        status = (filters or {}).get("status")
        return [server for server in servers if status is None or server["status"] == status]


def large_account_race(status_of_theirs):
    account = FakeAccount()
    theirs = account.add("a", status=status_of_theirs)
    ours = account.add("a", status="provisioning")
    return account, theirs, ours


@pytest.mark.parametrize("pages", [2, 100])
def test_in_a_large_account_a_recent_race_is_settled_from_the_provisioning_servers(pages):
    account, theirs, ours = large_account_race("provisioning")
    client = FilteringClient(account)
    claims = keep_oldest(client, {"a": dict(ours)}, since=time.monotonic(), account_pages=pages)
    assert client.filters == [{"status": "provisioning"}]
    assert claims["a"].kept["id"] == theirs["id"] and named(account, "a") == [theirs["id"]]


@pytest.mark.parametrize(
    ("since_ago", "pages"),
    [(contract.PROVISIONING_LASTS_AT_LEAST + 1, 100), (0, 1), (None, 100)],
    ids=["listing-began-too-long-ago", "small-account", "unknown-start"],
)
def test_whole_account_is_read_when_the_provisioning_servers_may_not_hold_the_race(since_ago, pages):
    # Their older server already went active: only the whole list shows it.
    account, theirs, ours = large_account_race("active")
    client = FilteringClient(account)
    since = None if since_ago is None else time.monotonic() - since_ago
    claims = keep_oldest(client, {"a": dict(ours)}, since=since, account_pages=pages)
    assert client.filters == [None]
    assert claims["a"].kept["id"] == theirs["id"] and named(account, "a") == [theirs["id"]]


def test_a_failed_listing_of_the_provisioning_servers_says_that_is_what_failed():
    account, _theirs, ours = large_account_race("provisioning")
    account.fail[("LIST", None)] = VpsApiError(
        "down", status=503, method="GET", path="/servers/", body={"detail": "down"}, reason="server_error"
    )
    claim = keep_oldest(FilteringClient(account), {"a": dict(ours)}, since=time.monotonic(), account_pages=100)["a"]
    assert f"server 'a' was created (id {ours['id']}), but listing the provisioning servers to check" in str(
        claim.error
    )
    assert claim.kept["id"] == ours["id"] and claim.deleted is None
    # The API's own error is kept whole, so the module's `failure` says what failed and where.
    assert (claim.error.status, claim.error.method, claim.error.path) == (503, "GET", "/servers/")
    assert (claim.error.body, claim.error.reason) == ({"detail": "down"}, "server_error")
