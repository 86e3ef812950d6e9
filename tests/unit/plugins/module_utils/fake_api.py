"""An in-memory account behind the client's interface, for planning and executor tests."""

from __future__ import annotations

import itertools
import threading

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.server_state import power_target
from ansible_collections.vpsorg.cloud.plugins.module_utils.waiting import ServerWaiter


class FakeAccount:
    """Servers by id; transitional statuses settle after `settle_after` listings."""

    def __init__(self, settle_after=2):
        self.servers = {}
        self.ids = itertools.count(10001)
        self.lock = threading.Lock()
        self.calls = []
        self.settle_after = settle_after
        self.pending = {}  # id -> (listings left, settled status)
        self.fail = {}  # (method, name) -> VpsApiError
        self.existing_ids = []  # the ids each create was told exist already (to settle a lost answer)

    def add(self, name, status="active", **fields):
        server_id = next(self.ids)
        self.servers[server_id] = dict(
            {
                "id": server_id,
                "name": name,
                "status": status,
                "hostname": None,
                "location": "us-west",
                "plan": {"id": 1},
                "os": {"id": 5},
                "updated_at": "t0",
            },
            **fields,
        )
        return self.servers[server_id]

    def summary(self, server):
        return {key: value for key, value in server.items() if key != "backups_enabled"}

    def tick(self):
        for server_id, (left, settled) in list(self.pending.items()):
            if left <= 1:
                self.servers[server_id]["status"] = settled
                del self.pending[server_id]
            else:
                self.pending[server_id] = (left - 1, settled)


class FakeClient(ServerWaiter):
    """The client methods the fleet uses, recording every call; worker() shares the account."""

    # A small account: every listing is one page, so every poll reads the whole listing.
    listed_pages = 1

    def __init__(self, account, clock=None):
        self.account = account
        self.request_count = 0
        self.throttled = 0  # answers 429 so far: none here
        self.now = 0.0
        self.sleeps = []
        self.logged = []

    def _clock(self):
        return self.now

    def _sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def log(self, message):
        self.logged.append(message)

    def worker(self):
        return FakeClient(self.account)

    def _call(self, method, what):
        with self.account.lock:
            self.account.calls.append((method, what))
            self.request_count += 1
            error = self.account.fail.get((method, what))
            if error:
                raise error

    def list_servers(self, filters=None, page_size=None):
        self._call("LIST", None)
        with self.account.lock:
            self.account.tick()
            return [self.account.summary(s) for s in self.account.servers.values()]

    def get_server(self, server_id):
        self._call("GET", server_id)
        return dict(self.account.servers[server_id])

    def create_server(self, body, existing_ids=()):
        self._call("POST", body["name"])
        self.account.existing_ids.append(existing_ids)
        with self.account.lock:
            server = self.account.add(
                body["name"],
                status=contract.STATUS_PROVISIONING,
                hostname=body.get("hostname"),
                location=body["location"],
                plan={"id": body["plan_id"]},
                os={"id": body["os_id"]},
                backups_enabled=body.get("backups_enabled", False),
            )
            self.account.pending[server["id"]] = (self.account.settle_after, contract.STATUS_ACTIVE)
            return dict(server)

    def update_server(self, server_id, changes):
        self._call("PATCH", server_id)
        self.account.servers[server_id].update(changes)
        return dict(self.account.servers[server_id])

    def delete_server(self, server_id):
        self._call("DELETE", server_id)
        with self.account.lock:
            del self.account.servers[server_id]
            self.account.pending.pop(server_id, None)

    def power(self, server_id, action, before=None):
        if before is None:
            # Like the real client: without the server as seen before, it is read first.
            self.get_server(server_id)
        self._call(action, server_id)
        with self.account.lock:
            server = self.account.servers[server_id]
            if server["status"] not in contract.POWER_ACTIONS[action]["from_statuses"]:
                raise VpsApiError(f"cannot {action} a server that is {server['status']}", status=400)
            server["status"] = contract.POWER_ACTIONS[action]["transitional"]
            self.account.pending[server_id] = (self.account.settle_after, power_target(action))
        return {"status": "success"}
