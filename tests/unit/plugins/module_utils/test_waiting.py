"""Waiting for a status or for deletion, over scripted reads and a clock that moves only when slept."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.waiting import ServerWaiter


class Scripted(ServerWaiter):
    """A server whose successive reads give the scripted statuses (None: gone); the last one repeats."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.now = 0.0
        self.sleeps = []
        self.logged = []
        self.reads = 0

    def _clock(self):
        return self.now

    def _sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def log(self, message):
        self.logged.append(message)

    def _status(self):
        self.reads += 1
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def get_server(self, server_id):
        return {"id": server_id, "status": self._status()}

    def get_server_or_none(self, server_id):
        status = self._status()
        return None if status is None else {"id": server_id, "status": status}


def test_polls_until_the_target_and_logs_each_change():
    waiter = Scripted(["provisioning", "provisioning", "active"])
    assert waiter.wait_for_status(1, ["active"], 60)["status"] == "active"
    assert waiter.reads == 3 and len(waiter.logged) == 2 and waiter.sleeps == sorted(waiter.sleeps)


def test_timeout_names_the_last_status_and_never_oversleeps():
    waiter = Scripted(["provisioning"])
    with pytest.raises(VpsApiError, match=r"timed out after 10 s .* last status: provisioning") as err:
        waiter.wait_for_status(1, ["active"], 10)
    assert err.value.reason == "wait_timeout" and waiter.now == pytest.approx(10)


def test_settling_elsewhere_fails_at_once():
    waiter = Scripted(["stopping", "suspended"])
    with pytest.raises(VpsApiError, match="settled as suspended") as err:
        waiter.wait_for_status(1, ["stopped"], 600)
    assert err.value.reason == "unexpected_status" and waiter.reads == 2


def test_settled_means_any_settled_status():
    assert Scripted(["rebooting", "active"]).wait_until_settled(1, 60)["status"] == "active"


def test_gone():
    waiter = Scripted(["active", None])
    waiter.wait_until_gone(1, 60)
    assert waiter.reads == 2


def test_not_gone_in_time():
    with pytest.raises(VpsApiError, match="to be deleted") as err:
        Scripted(["active"]).wait_until_gone(1, 5)
    assert err.value.reason == "wait_timeout"
