"""Lost answers at the client level, for every method, whatever the retry budget.

The modules send POST, PATCH and DELETE (covered end to end by tests/integration/test_lost_answers.py);
PUT is the spec's other update method, which no module sends: this is where it is proven.
A stub account applies each request, then loses the answer (the connection drops).
"""

from __future__ import annotations

import json
import re

import pytest
import requests
import responses
from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.client import VpsClient
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from urllib3.exceptions import ProtocolError

API = "https://api.test/api/v1"


class Account:
    """One server (id 7); every mutating request is applied, then its answer is lost once."""

    def __init__(self, lose=("PUT", "PATCH", "DELETE", "POST")):
        self.server = {"id": 7, "name": "web-1", "status": "active", "hostname": "old.example.com", "updated_at": "t0"}
        self.lose = set(lose)
        self.calls = []

    def respond(self, request):
        """The callback: looks `answer` up at call time, so a test can replace it."""
        return self.answer(request)

    def answer(self, request):
        self.calls.append((request.method, request.path_url))
        path = request.path_url.split("?")[0]
        if request.method in ("PUT", "PATCH") and self.server:
            self.server.update(json.loads(request.body))
        elif request.method == "DELETE":
            self.server = None
        elif request.method == "POST" and path.endswith("/servers/"):
            self.server = dict(json.loads(request.body), id=8, status="provisioning")
        elif request.method == "POST" and self.server:
            self.server["status"] = "stopping"
        if request.method in self.lose:
            self.lose.discard(request.method)
            raise requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))
        if request.method == "GET" and path.endswith("/servers/"):
            results = [self.server] if self.server else []
            return 200, {}, json.dumps({"count": len(results), "next": None, "results": results})
        if self.server is None or not path.startswith(f"/api/v1/servers/{self.server['id']}/"):
            return 404, {}, json.dumps({"detail": "Not found."})
        return 200, {}, json.dumps(self.server)


@pytest.fixture
def account():
    stub = Account()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            mock.add_callback(
                method,
                re.compile(r".*"),
                callback=stub.respond,
                content_type="application/json",
            )
        yield stub


def client(retries, progress):
    return VpsClient(API, "t0ken", retries=retries, sleep=lambda _s: None, log=progress.append)


@pytest.mark.parametrize("retries", [0, 1, 5])
def test_a_lost_put_is_settled_by_reading_the_server(account, monkeypatch, retries):
    monkeypatch.setattr(contract, "UPDATE_METHOD", "PUT")
    progress = []
    server = client(retries, progress).update_server(7, {"hostname": "new.example.com"})
    assert server["hostname"] == "new.example.com"
    assert [call for call in account.calls if call[0] == "PUT"] == [("PUT", "/api/v1/servers/7/")]
    assert any("took effect although its answer was lost" in line for line in progress)


@pytest.mark.parametrize("retries", [0, 1, 5])
@pytest.mark.parametrize(
    ("method", "operation"),
    [
        ("PATCH", lambda c: c.update_server(7, {"hostname": "new.example.com"})),
        ("DELETE", lambda c: c.delete_server(7)),
        ("POST", lambda c: c.create_server({"name": "web-2", "plan_id": 1, "os_id": 5, "location": "us-west"})),
        ("POST", lambda c: c.power(7, "stop")),
    ],
    ids=["patch", "delete", "create", "stop"],
)
def test_every_lost_change_is_settled_once_whatever_the_budget(account, retries, method, operation):
    progress = []
    operation(client(retries, progress))
    assert sum(1 for call in account.calls if call[0] == method) == 1
    assert any("took effect although its answer was lost" in line for line in progress)


def test_a_lost_change_that_did_not_happen_says_what_was_checked(account):
    """With no retries left and the change absent, the message names what was read, twice."""
    account.server = None
    account.answer = _lose_without_applying(account)
    with pytest.raises(VpsApiError) as caught:
        client(0, []).create_server({"name": "web-2", "plan_id": 1, "os_id": 5, "location": "us-west"})
    message = str(caught.value)
    assert "the server list for a new 'web-2', read twice, shows it did not take effect" in message
    assert "retries are used up" in message


def _lose_without_applying(account):
    original = account.answer

    def answer(request):
        if request.method == "POST":
            account.calls.append((request.method, request.path_url))
            raise requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))
        return original(request)

    return answer
