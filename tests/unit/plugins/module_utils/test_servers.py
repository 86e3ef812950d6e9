"""The servers layer's settling of lost answers, over a scripted transport (no HTTP)."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import (
    AmbiguousRequestError,
    NotTheApiError,
    VpsApiError,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.servers import ServerResource


def lost(method="POST", path="/servers/", status=None, body=None):
    return AmbiguousRequestError("lost", status=status, method=method, path=path, body=body)


class Scripted(ServerResource):
    """Answers each request with the next scripted outcome (an exception is raised); reads come from `state`."""

    api_url = "https://api.test/api/v1"

    def __init__(self, answers, state, retries=2):
        self.answers = list(answers)
        self.state = state
        self.retries = retries
        self.sent = []
        self.bodies = []
        self.pauses = 0
        self.paused = []
        self.logged = []

    def request(self, method, path, params=None, body=None):
        if method == "GET":
            server_id = int(path.strip("/").split("/")[1])
            if server_id not in self.state:
                raise VpsApiError("not found", status=404, method="GET", path=path)
            return dict(self.state[server_id])
        self.sent.append((method, path))
        self.bodies.append(body)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def list_servers(self, filters=None, page_size=None):
        return [dict(server) for server in self.state.values()]

    def error(self, cls, message, status=None, method=None, path=None, body=None):
        return cls(message, status=status, method=method, path=path, body=body)

    def log(self, message):
        self.logged.append(message)

    def pause(self, attempt, retry_after, why):
        self.pauses += 1
        self.paused.append((attempt, retry_after, why))


def server(server_id, name="web", status="active", **extra):
    return dict({"id": server_id, "name": name, "status": status, "updated_at": "t0"}, **extra)


BODY = {"name": "web", "plan_id": 1, "os_id": 5, "location": "us-west"}


@pytest.mark.parametrize("retries", [0, 1, 5])
def test_a_lost_create_that_happened_is_found_whatever_the_budget(retries):
    resource = Scripted([lost()], {9: server(9)}, retries=retries)
    assert resource.create_server(BODY)["id"] == 9
    assert resource.sent == [("POST", "/servers/")]
    assert any("took effect although its answer was lost" in line for line in resource.logged)


def test_a_lost_create_that_did_not_happen_is_sent_again_after_two_reads():
    resource = Scripted([lost(), server(9)], {}, retries=1)
    assert resource.create_server(BODY)["id"] == 9
    assert resource.sent == [("POST", "/servers/"), ("POST", "/servers/")] and resource.pauses == 1


def test_without_retries_the_message_says_what_was_checked():
    resource = Scripted([lost()], {}, retries=0)
    with pytest.raises(VpsApiError, match="the server list for a new 'web', read twice, shows it did not take effect"):
        resource.create_server(BODY)
    assert len(resource.sent) == 1


def test_servers_that_existed_before_are_not_taken_for_the_new_one():
    resource = Scripted([lost(), server(9)], {3: server(3)}, retries=1)
    assert resource.create_server(BODY, existing_ids={3})["id"] == 9
    assert len(resource.sent) == 2


def test_a_foreign_answer_is_never_settled_by_reading():
    resource = Scripted([NotTheApiError("html", status=200, method="POST", path="/servers/")], {9: server(9)})
    with pytest.raises(NotTheApiError):
        resource.create_server(BODY)


def test_a_repeat_refused_because_the_first_worked_is_success():
    refused = VpsApiError("not running", status=400, method="POST", path="/servers/1/stop/")
    resource = Scripted([lost(path="/servers/1/stop/"), refused], {1: server(1)}, retries=1)
    before = server(1)

    # The first stop is lost and not visible; the repeat is refused, by then the server is stopping.
    def request(method, path, params=None, body=None, original=resource.request):
        if method == "POST" and len(resource.sent) == 1:
            resource.state[1] = server(1, status="stopping")
        return original(method, path, params, body)

    resource.request = request
    result = resource.power(1, "stop", before=before)
    assert result["server"]["status"] == "stopping"


def test_an_error_on_the_first_try_is_not_settled():
    refused = VpsApiError("bad", status=400, method="PATCH", path="/servers/1/")
    resource = Scripted([refused], {1: server(1, hostname="h")})
    with pytest.raises(VpsApiError, match="bad"):
        resource.update_server(1, {"hostname": "h"})


def test_a_lost_patch_already_applied_is_not_repeated():
    resource = Scripted([lost("PATCH", "/servers/1/")], {1: server(1, hostname="new")})
    assert resource.update_server(1, {"hostname": "new"})["hostname"] == "new"
    assert len(resource.sent) == 1


def test_a_lost_delete_with_the_server_gone_is_done():
    resource = Scripted([lost("DELETE", "/servers/1/")], {})
    resource.delete_server(1)
    assert resource.sent == [("DELETE", "/servers/1/")]


def test_a_delete_answered_404_is_done():
    resource = Scripted([VpsApiError("gone", status=404, method="DELETE", path="/servers/1/")], {})
    resource.delete_server(1)
    assert any("already gone" in line for line in resource.logged)


def test_a_wrong_shaped_server_is_not_the_api():
    resource = Scripted([{"id": "x"}], {})
    with pytest.raises(NotTheApiError, match=r"does not look like the VPS\.org API"):
        resource.update_server(1, {"hostname": "h"})


# -- what is said and returned ----------------------------------------------------------------


def test_a_lost_change_never_applied_is_sent_once_per_retry_then_fails_saying_what_was_checked():
    gateway = {"detail": "bad gateway"}
    resource = Scripted([lost("PATCH", "/servers/1/", 502, gateway)] * 3, {1: server(1, hostname="old")}, retries=2)
    with pytest.raises(VpsApiError) as failure:
        resource.update_server(1, {"hostname": "new"})
    assert failure.value.message == (
        "PATCH /servers/1/ got no usable answer (lost); the server state, "
        "read twice, shows it did not take effect, and retries are used up"
    )
    assert (failure.value.status, failure.value.method, failure.value.path) == (502, "PATCH", "/servers/1/")
    assert failure.value.body == gateway and not isinstance(failure.value, AmbiguousRequestError)
    assert resource.sent == [("PATCH", "/servers/1/")] * 3 and resource.bodies == [{"hostname": "new"}] * 3
    assert resource.paused == [(attempt, None, "the change is not visible yet") for attempt in (0, 1, 2)]
    assert resource.logged == ["PATCH /servers/1/ got no usable answer (lost); re-reading the server state"] * 3


def test_a_lost_delete_that_happened_says_so():
    resource = Scripted([lost("DELETE", "/servers/1/")], {})
    resource.delete_server(1)
    assert resource.logged == [
        "DELETE /servers/1/ got no usable answer (lost); re-reading the server state",
        "DELETE /servers/1/ took effect although its answer was lost",
    ]


def test_a_lost_create_that_happened_returns_the_new_server_and_says_what_was_read():
    resource = Scripted([lost()], {3: server(3), 9: server(9)})
    assert resource.create_server(BODY, existing_ids=[3]) == server(9)
    assert resource.bodies == [BODY]
    assert resource.logged == [
        "the create request for server 'web' got no usable answer (lost); re-reading the server list for a new 'web'",
        "the create request for server 'web' took effect although its answer was lost",
    ]


def test_two_new_servers_with_the_name_are_never_guessed_between():
    resource = Scripted([lost()], {3: server(3), 9: server(9), 12: server(12), 14: server(14, name="db")})
    with pytest.raises(VpsApiError) as failure:
        resource.create_server(BODY, existing_ids=[3])
    assert str(failure.value) == (
        "several new servers named 'web' appeared (ids 9, 12); refusing to guess which one is ours "
        "(POST /servers/ got no answer)"
    )
    assert (failure.value.status, failure.value.method, failure.value.path) == (None, "POST", "/servers/")
    assert resource.sent == [("POST", "/servers/")]


def test_a_lost_power_action_that_shows_returns_the_server_as_reread():
    resource = Scripted([lost("POST", "/servers/1/stop/")], {1: server(1, status="stopping")})
    result = resource.power(1, "stop", before=server(1))
    assert result == {"status": "success", "server": server(1, status="stopping")}
    assert resource.logged[0] == (
        "POST /servers/1/stop/ got no usable answer (lost); re-reading the status of server 1"
    )
    assert resource.logged[1] == "POST /servers/1/stop/ took effect although its answer was lost"


FOREIGN = {"id": "x"}
SHAPE = "a server object was expected, but its 'id' is 'x'"


@pytest.mark.parametrize(
    ("call", "state", "method", "path"),
    [
        (lambda resource: resource.get_server(1), {1: FOREIGN}, "GET", "/servers/1/"),
        (lambda resource: resource.update_server(1, {"hostname": "h"}), {}, "PATCH", "/servers/1/"),
        (lambda resource: resource.create_server(BODY), {}, "POST", "/servers/"),
    ],
)
def test_a_wrong_shaped_server_is_said_not_to_be_the_api_naming_the_request(call, state, method, path):
    resource = Scripted([FOREIGN], state)
    with pytest.raises(NotTheApiError) as failure:
        call(resource)
    assert failure.value.message == f"api_url {Scripted.api_url} does not look like the VPS.org API: {SHAPE}"
    assert (failure.value.status, failure.value.method, failure.value.path) == (200, method, path)
