"""vps_server when another run creates the same name at the same time: the oldest server is kept."""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.modules.vps_server import VpsServer
from fake_client import FakeClient, a_server
from module_runner import run_module

NEW = {"name": "web-1", "plan_id": 1, "os_id": 5, "location": "us-west"}


class RacingClient(FakeClient):
    """Another run's create of the same name lands `offset` ids away from ours."""

    def __init__(self, offset):
        super().__init__()
        self.offset = offset
        self.logged = []

    def log(self, message):
        self.logged.append(message)

    def create_server(self, body, existing_ids=()):
        ours = super().create_server(body, existing_ids)
        theirs = ours["id"] + self.offset
        self.servers[theirs] = a_server(theirs, body["name"], status="provisioning")
        return ours


def names(client):
    return sorted(server_id for server_id, server in client.servers.items() if server["name"] == NEW["name"])


def test_ours_is_deleted_and_the_older_server_returned(monkeypatch):
    client = RacingClient(offset=-50)
    done = run_module(VpsServer, NEW, client, monkeypatch)
    assert not done.failed and done.result["changed"] is True
    assert names(client) == [51] and done.result["server"]["id"] == 51
    assert done.result["deleted_duplicate"] == 101
    assert [call[:2] for call in client.mutations()] == [("create_server", NEW), ("delete_server", 101)]
    # The kept server is another run's: any settled status ends the wait.
    assert client.calls[-1] == ("wait_for_status", 51, ["active", "stopped", "suspended"])


def test_ours_is_kept_when_it_is_the_older_and_theirs_is_left_to_its_own_run(monkeypatch):
    client = RacingClient(offset=+50)
    done = run_module(VpsServer, NEW, client, monkeypatch)
    assert not done.failed and done.result["server"]["id"] == 101 and "deleted_duplicate" not in done.result
    assert [call[0] for call in client.mutations()] == ["create_server"]
    assert names(client) == [101, 151]
    assert client.calls[-1] == ("wait_for_status", 101, ["active"])


def test_without_a_race_one_listing_follows_the_create(monkeypatch):
    client = FakeClient()
    done = run_module(VpsServer, NEW, client, monkeypatch)
    assert not done.failed
    assert [call[0] for call in client.calls] == ["list_servers", "create_server", "list_servers", "wait_for_status"]


class LargeAccountLostCreate(FakeClient):
    """An account of 100 pages whose create answer is lost: the client finds it on a filtered listing."""

    def list_servers(self, filters=None, page_size=None, partial_ok=False):
        servers = super().list_servers(filters, page_size, partial_ok)
        self.listed_pages = 1 if filters else 100
        return servers

    def create_server(self, body, existing_ids=()):
        server = super().create_server(body, existing_ids)
        self.list_servers({"status": "provisioning", "location": body["location"]})
        return server


def test_a_lost_create_in_a_large_account_still_checks_races_on_the_provisioning_servers(monkeypatch):
    client = LargeAccountLostCreate()
    done = run_module(VpsServer, NEW, client, monkeypatch)
    assert not done.failed
    lists = [call[1] for call in client.calls if call[0] == "list_servers"]
    assert lists == [None, {"status": "provisioning", "location": "us-west"}, {"status": "provisioning"}]
