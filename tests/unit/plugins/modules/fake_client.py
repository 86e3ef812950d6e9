"""An in-memory stand-in for VpsClient: the same methods, a list of calls, no HTTP."""

from __future__ import annotations

import copy

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError

MUTATING = ("create_server", "update_server", "delete_server", "power")


def a_server(server_id, name, status="active", **extra):
    server = {
        "id": server_id,
        "name": name,
        "hostname": f"{name}.example.com",
        "status": status,
        "ip_address": "203.0.113.10",
        "location": "us-west",
        "plan": {"id": 1, "name": "Standard VPS"},
        "os": {"id": 5, "name": "Ubuntu 22.04 LTS"},
        "backups_enabled": False,
        "updated_at": "t0",
    }
    server.update(extra)
    return server


class FakeClient:
    def __init__(self, *servers, fail=None):
        self.servers = {server["id"]: copy.deepcopy(server) for server in servers}
        self.calls = []
        self.partial_ok = None
        # Pages of the last listing (Listing.listed_pages): one, as in a small account.
        self.listed_pages = 1
        self.next_id = 100
        # method name -> VpsApiError to raise when it is called
        self.fail = fail or {}
        # (method, server id, timeout, label) of every wait, to check what a module waits for and how long
        self.waits = []
        # the server as the module saw it before each power action (the client settles lost answers with it)
        self.power_before = []

    def _call(self, name, *args):
        self.calls.append((name, *args))
        if name in self.fail:
            raise self.fail[name]

    def mutations(self):
        return [call for call in self.calls if call[0] in MUTATING]

    def list_servers(self, filters=None, page_size=None, partial_ok=False):
        self._call("list_servers", filters)
        # Only modules that report may take a list that came back short (completeness.py).
        self.partial_ok = partial_ok
        found = self.servers.values()
        for key, value in (filters or {}).items():
            if value is not None:
                found = [server for server in found if server.get(key) == value]
        return copy.deepcopy(list(found))

    def get_server(self, server_id):
        self._call("get_server", server_id)
        if server_id not in self.servers:
            raise VpsApiError(f"server {server_id} not found", status=404, method="GET", path=f"/servers/{server_id}/")
        return copy.deepcopy(self.servers[server_id])

    def get_server_or_none(self, server_id):
        self._call("get_server_or_none", server_id)
        return copy.deepcopy(self.servers.get(server_id))

    def create_server(self, body, existing_ids=()):
        self._call("create_server", body)
        self.next_id += 1
        fields = {key: value for key, value in body.items() if key in ("hostname", "backups_enabled")}
        self.servers[self.next_id] = a_server(self.next_id, body["name"], status="provisioning", **fields)
        return copy.deepcopy(self.servers[self.next_id])

    def update_server(self, server_id, changes):
        self._call("update_server", server_id, changes)
        self.servers[server_id].update(changes)
        return copy.deepcopy(self.servers[server_id])

    def delete_server(self, server_id):
        self._call("delete_server", server_id)
        del self.servers[server_id]

    def power(self, server_id, action, before=None):
        self._call("power", server_id, action)
        self.power_before.append(before)
        self.servers[server_id]["status"] = contract.POWER_ACTIONS[action]["transitional"]
        return {"status": "success"}

    def wait_for_status(self, server_id, targets, timeout, label=None):
        self._call("wait_for_status", server_id, sorted(targets))
        self.waits.append(("wait_for_status", server_id, timeout, label))
        server = self.servers[server_id]
        if server["status"] not in targets:
            server["status"] = sorted(targets)[0]
        return copy.deepcopy(server)

    def wait_until_settled(self, server_id, timeout, label=None):
        self._call("wait_until_settled", server_id)
        self.waits.append(("wait_until_settled", server_id, timeout, label))
        server = self.servers[server_id]
        for spec in contract.POWER_ACTIONS.values():
            if server["status"] == spec["transitional"]:
                server["status"] = spec["settled"]
        if server["status"] == contract.STATUS_PROVISIONING:
            server["status"] = contract.STATUS_ACTIVE
        return copy.deepcopy(server)

    def wait_until_gone(self, server_id, timeout, label=None):
        self._call("wait_until_gone", server_id)
        self.waits.append(("wait_until_gone", server_id, timeout, label))
