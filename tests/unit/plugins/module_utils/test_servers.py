"""servers.py on the simulator: a change whose answer was lost is settled by re-reading, never done twice; a
server found after a lost create is the run's only when it shows what the run sent (a person's server of the
same name never is); two that both do are never guessed between."""

from __future__ import annotations

import re

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import NotTheApiError, VpsApiError

CREATES = "^/api/v1/servers/$"
BODY = {"name": "web-1", "plan_id": 1, "os_id": 5, "location": "us-west", "hostname": "web-1.example.com"}
NARROW = "GET /servers/?status=provisioning&location=us-west&page_size=100"
WHOLE = "GET /servers/?page_size=100"
LOST = {
    "dropped": {"kind": "drop_after_commit"},
    "504 after commit": {"kind": "error_after_commit", "status": 504},
    "502": {"kind": "status", "status": 502},
    "no answer": {"kind": "timeout"},
}
APPLIED = ["dropped", "504 after commit"]


def retries_counted(logged):
    """Every 'retry N of M' of the log, which must never count past M."""
    return [tuple(map(int, found)) for line in logged for found in re.findall(r"\(retry (\d+) of (\d+)\)", line)]


# -- creates: identity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "theirs",
    [{"plan_id": 2}, {"os_id": 3}, {"location": "eu-central"}, {"hostname": "other.example.com"}],
    ids=["plan", "os", "location", "hostname"],
)
def test_after_a_lost_create_a_persons_server_of_that_name_is_never_taken_for_ours(sim, make_client, sent, theirs):
    # The run's create is answered 502 and not applied; a person created web-1 (another plan ...) meanwhile.
    sim.add_insert("POST", CREATES, **{**BODY, **theirs})
    sim.add_fault(kind="status", status=502, method="POST", path=CREATES, count=1)
    logged = []
    ours = make_client(log=logged.append).create_server(BODY, [])
    person, mine = sim.servers()
    assert ours["id"] == mine["id"] != person["id"] and contract.shows_request(ours, BODY)
    assert not contract.shows_request(person, BODY)
    assert sent() == ["POST /servers/", NARROW, WHOLE, NARROW, WHOLE, "POST /servers/"]
    assert logged.count(
        f"server 'web-1' (id {person['id']}) appeared meanwhile but does not match the request: not ours"
    ) == (2 if "location" in theirs else 4)


@pytest.mark.parametrize("lost", APPLIED)
@pytest.mark.parametrize("retries", [0, 5])
def test_a_lost_create_that_was_applied_is_found_without_sending_it_again(sim, make_client, sent, lost, retries):
    # A person's server of the same name, another plan, lands right after ours: it is not ours either.
    sim.add_insert("POST", CREATES, when="after", **{**BODY, "plan_id": 2})
    sim.add_fault(method="POST", path=CREATES, count=1, **LOST[lost])
    logged = []
    ours = make_client(retries=retries, log=logged.append).create_server(BODY, [])
    assert ours["id"] == 10001 and ours["plan"]["id"] == 1 and sim.counters()["mutating"] == 1
    assert sent() == ["POST /servers/", NARROW, "GET /servers/10001/"]
    assert logged[-1] == "the create request for server 'web-1' took effect although its answer was lost"


def test_a_lost_create_found_no_longer_provisioning_is_found_on_the_whole_list(sim, client, sent):
    sim.set_timings(provision_delay=0)  # already active: the narrow listing cannot show it
    sim.add_fault(kind="drop_after_commit", method="POST", count=1)
    assert client.create_server(BODY, [])["id"] == 10001
    assert sent() == ["POST /servers/", NARROW, WHOLE, "GET /servers/10001/"]


def test_two_new_servers_that_both_show_the_request_are_never_guessed_between(sim, client):
    sim.add_insert("POST", CREATES, **BODY)  # another run of the same playbook, a moment earlier
    sim.add_fault(kind="drop_after_commit", method="POST", count=1)
    with pytest.raises(VpsApiError) as err:
        client.create_server(BODY, [])
    assert str(err.value) == (
        "several new servers named 'web-1' match the request (ids 10001, 10002); refusing to guess which one is "
        "ours (POST /servers/ got no answer)"
    )
    assert sim.counters()["mutating"] == 1


def test_a_server_that_was_there_before_is_not_taken_for_the_new_one(sim, client):
    sim.add_insert("POST", CREATES, **BODY)  # identical, but in the listing the run planned from
    sim.add_fault(kind="status", status=502, method="POST", count=1)
    assert client.create_server(BODY, [10001])["id"] == 10002


@pytest.mark.parametrize("retries", [0, 2, 5])
def test_a_create_never_applied_is_sent_once_per_retry_after_two_reads_then_fails_saying_what_was_read(
    sim, make_client, retries
):
    sim.add_fault(kind="status", status=502, method="POST", count=30)  # a client sending it on and on ends, and fails
    logged = []
    with pytest.raises(VpsApiError) as err:
        make_client(bound=60, retries=retries, log=logged.append).create_server(BODY, [])
    assert err.value.message == (
        "the create request for server 'web-1' got no usable answer (the VPS.org API failed with a server error "
        f"(HTTP 502); try again later (api_url {sim.api_url})); the server list for a new 'web-1', read twice, shows "
        "it did not take effect, and retries are used up"
    )
    assert (err.value.status, err.value.method, err.value.path) == (502, "POST", "/servers/")
    assert len([r for r in sim.requests() if r["method"] == "POST"]) == retries + 1
    # The pause between the two reads is no retry: the log never counts one (it said "retry 6 of 5").
    pauses = [
        line for line in logged if re.fullmatch(r"the change is not visible yet; reading it again in \d+\.\d s", line)
    ]
    assert retries_counted(logged) == [] and len(pauses) == retries + 1


def test_a_lost_power_action_never_applied_fails_naming_it_and_keeps_the_gateways_answer(foreign):
    # A gateway that answers 502 in JSON: an answer the API itself never gives.
    server = {"id": 1, "name": "web-1", "status": "active", "updated_at": "t0"}
    foreign.mock.get(foreign.url + "/servers/1/", json=server)
    for _answer in range(5):  # then a success: a client sending it without end fails instead of hanging
        foreign.mock.post(foreign.url + "/servers/1/stop/", status=502, json={"detail": "bad gateway"})
    foreign.mock.post(foreign.url + "/servers/1/stop/", json={"status": "success"})
    with pytest.raises(VpsApiError) as err:
        foreign.make(retries=1).power(1, "stop")
    assert (err.value.status, err.value.method, err.value.path, err.value.body) == (
        502,
        "POST",
        "/servers/1/stop/",
        {"detail": "bad gateway"},
    )
    assert err.value.message.startswith("POST /servers/1/stop/ got no usable answer (") and err.value.message.endswith(
        "; the status of server 1, read twice, shows it did not take effect, and retries are used up"
    )


# -- changes settled by re-reading -----------------------------------------------------------------


CHANGES = {
    "PATCH": lambda client: client.update_server(10001, {"hostname": "new.example.com"}),
    "DELETE": lambda client: client.delete_server(10001),
    "POST": lambda client: client.power(10001, "stop"),
}
SETTLED = {
    "PATCH": lambda sim: sim.servers()[0]["hostname"] == "new.example.com",
    "DELETE": lambda sim: sim.servers() == [],
    "POST": lambda sim: sim.servers()[0]["status"] == "stopping",
}
CHECKED = {"PATCH": "the server state", "DELETE": "the server state", "POST": "the status of server 10001"}


@pytest.mark.parametrize("method", sorted(CHANGES))
@pytest.mark.parametrize("lost", sorted(LOST))
def test_a_change_whose_answer_was_lost_is_settled_by_reading_and_applied_exactly_once(sim, make_client, method, lost):
    sim.seed(1)
    sim.add_fault(method=method, path=r"^/api/v1/servers/10001/", count=1, **LOST[lost])
    logged = []
    CHANGES[method](make_client(retries=1, log=logged.append))
    # Applied once: by the lost request, or by the one sent again after two reads showed it was not.
    assert SETTLED[method](sim) and sim.counters()["mutating"] == 1
    sent_changes = [r for r in sim.requests() if r["method"] == method]
    assert len(sent_changes) == (1 if lost in APPLIED else 2)
    what = f"{method} {sent_changes[0]['path'][len('/api/v1') :]}"
    assert logged[0].startswith(f"{what} got no usable answer (") and logged[0].endswith(
        f"re-reading {CHECKED[method]}"
    )
    assert (f"{what} took effect although its answer was lost" in logged) is (lost in APPLIED)


def test_a_lost_put_is_settled_by_reading_the_server(sim, make_client, monkeypatch):
    # PUT is the API's other update method, which no module sends; it needs every updatable field.
    monkeypatch.setattr(contract, "UPDATE_METHOD", "PUT")
    sim.seed(1)
    sim.add_fault(kind="drop_after_commit", method="PUT", count=1)
    changes = {"name": "web-2", "hostname": "new.example.com", "backups_enabled": True}
    assert make_client(retries=0).update_server(10001, changes)["name"] == "web-2"
    assert sim.counters()["mutating"] == 1


def test_a_finished_reboot_whose_answer_was_lost_is_recognised_by_updated_at(sim, client, clock):
    sim.seed(1)
    before = client.get_server(10001)
    sim.set_timings(transition_delay=0)
    clock.sleep(5)
    sim.add_fault(kind="drop_after_commit", method="POST", count=1)
    result = client.power(10001, "reboot", before=before)
    assert result["status"] == "success" and result["server"]["status"] == "active"
    assert result["server"]["updated_at"] != before["updated_at"] and sim.counters()["mutating"] == 1


def test_a_repeat_refused_because_the_change_was_made_meanwhile_is_success(sim, client, person, on_answer):
    # The stop is lost and not applied; after the two reads a person stops the server; our repeat is refused.
    sim.seed(1)
    sim.add_fault(kind="status", status=502, method="POST", count=1)
    on_answer(client, "GET", "/servers/10001/", lambda: person("POST", "/servers/10001/stop/"), nth=3)
    result = client.power(10001, "stop", before=client.get_server(10001))
    assert (
        result == {"status": "success", "server": client.get_server(10001)} and result["server"]["status"] == "stopping"
    )


def test_an_error_on_the_first_try_is_not_settled_by_reading(sim, client, sent):
    sim.seed(1)
    with pytest.raises(VpsApiError, match="the API rejected the request: name: "):
        client.update_server(10001, {"name": "no spaces"})
    assert sent() == ["PATCH /servers/10001/"]


def test_a_delete_answered_404_is_done(sim, make_client, sent):
    logged = []
    make_client(log=logged.append).delete_server(10001)
    assert logged == ["server 10001 was already gone"] and sent() == ["DELETE /servers/10001/"]


def test_a_server_gone_reads_as_none_and_a_page_that_is_not_the_apis_as_not_the_api(client, foreign):
    assert client.get_server_or_none(10001) is None
    foreign.mock.get(foreign.url + "/servers/1/", status=404, body="<h1>Not Found</h1>", content_type="text/html")
    foreign.mock.delete(foreign.url + "/servers/1/", status=404, body="<h1>Not Found</h1>", content_type="text/html")
    stranger = foreign.make()
    for call in (stranger.get_server_or_none, stranger.delete_server):
        with pytest.raises(NotTheApiError):
            call(1)


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("GET", "/servers/1/", lambda client: client.get_server(1)),
        ("PATCH", "/servers/1/", lambda client: client.update_server(1, {"hostname": "h"})),
        ("POST", "/servers/", lambda client: client.create_server(BODY, [])),
    ],
)
def test_a_wrong_shaped_server_is_not_the_api_whatever_the_request(foreign, method, path, call):
    foreign.mock.add(method, foreign.url + path, json={"id": "x"})
    with pytest.raises(NotTheApiError) as err:
        call(foreign.make())
    assert err.value.message == (
        f"api_url {foreign.url} does not look like the VPS.org API: a server object was expected, but its 'id' is 'x'"
    )
    assert (err.value.status, err.value.method, err.value.path) == (200, method, path)
    assert len(foreign.mock.calls) == 1
