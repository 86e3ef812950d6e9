"""name_races.keep_oldest on the simulator: identical copies of a name (runs of the same playbook) are settled by
keeping the oldest and deleting only our own; a server of that name that is not a copy (someone else's) fails
the name, naming every id, and nothing is deleted; a check that could not be made says what was not checked."""

from __future__ import annotations

import types

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import contract, name_races
from ansible_collections.vpsorg.cloud.plugins.module_utils.name_races import keep_oldest, race_message

BODY = {"name": "web-1", "plan_id": 1, "os_id": 5, "location": "us-west", "hostname": "web-1.example.com"}


@pytest.fixture
def race(sim, client, person):
    """race(*others, name="web-1"): their servers (create bodies; "ours" marks when ours is made) -> (ours, theirs)."""

    def make(*others, name="web-1"):
        body, theirs, ours = {**BODY, "name": name}, [], None
        for other in others:
            if other == "ours":
                ours = client.create_server(body, [])
            else:
                theirs.append(person("POST", "/servers/", {**body, **other}))
        return ours or client.create_server(body, []), theirs

    return make


def deletes(sim):
    return [r["path"] for r in sim.requests() if r["method"] == "DELETE"]


def names(sim, name="web-1"):
    return [s["id"] for s in sim.servers() if s["name"] == name]


def test_the_oldest_of_identical_copies_is_kept_and_only_ours_is_deleted(sim, make_client, race):
    ours, (older, younger) = race({}, "ours", {})
    logged = []
    claim = keep_oldest(make_client(log=logged.append).http, {"web-1": (ours, BODY)})["web-1"]
    assert (claim.kept["id"], claim.deleted, claim.error) == (older["id"], ours["id"], None)
    assert logged == [
        f"another run created 'web-1' at the same time (id {older['id']}, older): deleted ours (id {ours['id']})"
    ]
    # The younger copy is its own run's to delete: never ours.
    assert names(sim) == [older["id"], younger["id"]] and deletes(sim) == [f"/api/v1/servers/{ours['id']}/"]
    assert race_message("web-1", claim) == (
        f"server 'web-1' was also created at the same time by another run: kept the oldest (id {older['id']}) "
        f"and deleted the one this run created (id {ours['id']})"
    )


def test_ours_is_kept_when_it_is_the_oldest_copy(sim, client, race):
    ours, (younger,) = race("ours", {})
    assert keep_oldest(client.http, {"web-1": (ours, BODY)}) == {"web-1": (ours, None, None)}
    assert names(sim) == [ours["id"], younger["id"]] and deletes(sim) == []


@pytest.mark.parametrize(
    "strangers",
    [
        [{"plan_id": 2}],
        [{"os_id": 3}],
        [{"location": "eu-central"}],
        [{"hostname": "other.example.com"}],
        [{}, {"plan_id": 3}],  # a copy and a stranger: not copies only
        [{"plan_id": 2}, {"plan_id": 3}],
    ],
)
@pytest.mark.parametrize("first", [True, False])
def test_a_server_of_that_name_that_is_not_a_copy_fails_the_name_naming_every_id_and_nothing_is_deleted(
    sim, client, race, strangers, first
):
    ours, theirs = race(*strangers, "ours") if first else race("ours", *strangers)
    claim = keep_oldest(client.http, {"web-1": (ours, BODY)})["web-1"]
    every = ", ".join(str(i) for i in sorted([ours["id"], *(s["id"] for s in theirs)]))
    not_copies = sum(not contract.shows_request(s, BODY) for s in theirs)
    assert (claim.kept, claim.deleted, claim.error.reason) == (ours, None, "name_conflict")
    assert str(claim.error) == (
        f"after this run created 'web-1' (id {ours['id']}), servers {every} carry that name, and "
        f"{'they do' if not_copies > 1 else 'one does'} not match what this run asked for (someone else's): "
        "nothing was deleted; keep one and rename or delete the others"
    )
    assert deletes(sim) == [] and len(names(sim)) == 1 + len(theirs)


def test_every_name_is_settled_with_one_listing_and_a_failed_delete_leaves_the_others_settled(sim, client, race, sent):
    created = {}
    for name in "abc":
        ours, _theirs = race({}, "ours", name=name) if name != "c" else race("ours", {}, name=name)
        created[name] = (ours, {**BODY, "name": name})
    sim.clear_requests()
    assert keep_oldest(client.http, {}) == {} and sim.requests() == []
    ours_a = created["a"][0]["id"]
    sim.add_fault(kind="status", status=503, method="DELETE", path=f"/servers/{ours_a}/")
    claims = keep_oldest(client.http, created)
    assert [r for r in sent() if r.startswith("GET /servers/?")] == ["GET /servers/?page_size=100"]
    a, b, c = (claims[name] for name in "abc")
    assert (a.kept["id"], a.deleted, b.deleted, b.error, c.kept, c.deleted, c.error) == (
        ours_a,
        None,
        created["b"][0]["id"],
        None,
        created["c"][0],
        None,
        None,
    )
    failed = f"(DELETE /servers/{ours_a}/ answered HTTP 503)"
    assert str(a.error).startswith(
        f"server 'a' (id {ours_a}) was created by this run while another run created 'a' (id {ours_a - 1}), and "
        f"deleting ours failed: DELETE /servers/{ours_a}/ got no usable answer ("
    )
    assert str(a.error).endswith(f"retries are used up {failed}; two servers now have this name {failed}")
    assert (a.error.status, a.error.method, a.error.path, a.error.reason) == (
        503,
        "DELETE",
        f"/servers/{ours_a}/",
        "http_error",
    )


@pytest.mark.parametrize(
    ("ago", "pages", "query", "listed"),
    [
        (
            contract.PROVISIONING_LASTS_AT_LEAST - 0.1,
            2,
            "status=provisioning&page_size=100",
            "the provisioning servers",
        ),
        (0, 1, "page_size=100", "the account again"),  # a small account: one page either way
        (contract.PROVISIONING_LASTS_AT_LEAST, 100, "page_size=100", "the account again"),
        (None, 100, "page_size=100", "the account again"),
    ],
)
def test_a_recent_race_in_a_large_account_is_checked_among_the_provisioning_servers_and_any_other_on_the_whole_list(
    sim, make_client, race, sent, monkeypatch, ago, pages, query, listed
):
    monkeypatch.setattr(name_races, "time", types.SimpleNamespace(monotonic=lambda: 1000.0))
    if query == "page_size=100":
        sim.set_timings(provision_delay=0)  # their copy is active already: only the whole list shows it
    ours, (theirs,) = race({}, "ours")
    since = None if ago is None else 1000.0 - ago
    claim = keep_oldest(make_client().http, {"web-1": (ours, BODY)}, since, pages)["web-1"]
    assert (claim.kept["id"], claim.deleted) == (theirs["id"], ours["id"])
    assert sent()[-2:] == [f"GET /servers/?{query}", f"DELETE /servers/{ours['id']}/"]
    sim.add_fault(kind="status", status=503, method="GET", path="^/api/v1/servers/$")
    claim = keep_oldest(make_client(retries=0).http, {"web-1": (ours, BODY)}, since, pages)["web-1"]
    assert (claim.kept, claim.deleted) == (ours, None) and str(claim.error) == (
        f"server 'web-1' was created (id {ours['id']}), but listing {listed} to check for a concurrent create of the "
        "same name failed: the VPS.org API failed with a server error (HTTP 503); try again later (api_url "
        f"{sim.api_url}) (GET /servers/ answered HTTP 503) (GET /servers/ answered HTTP 503)"
    )
    assert (claim.error.status, claim.error.method, claim.error.path, claim.error.reason) == (
        503,
        "GET",
        "/servers/",
        "http_error",
    )


@pytest.mark.parametrize(
    ("way", "body", "reason"),
    [("token", {"detail": "Invalid token."}, "http_error"), ("short", None, "incomplete_listing")],
)
def test_a_listing_that_failed_is_kept_whole_in_the_error(sim, client, client_at, race, way, body, reason):
    ours, _theirs = race("ours")
    if way == "short":
        sim.seed(150)
        sim.short_list(kind="gone", from_page=2)
    http = client_at(sim.api_url, "unit-OTHER-token").http if way == "token" else client.http
    error = keep_oldest(http, {"web-1": (ours, BODY)})["web-1"].error
    assert (error.body, error.reason) == (body, reason)


def shown(server_id):
    return {"id": server_id, "status": "provisioning", "plan": {"id": 1}, "os": {"id": 5}, **BODY}


@pytest.mark.parametrize(
    ("answer", "status", "body", "reason"),
    [
        ({"status": 503, "json": {"detail": "down"}}, 503, {"detail": "down"}, "http_error"),
        ({"status": 404, "body": "<h1>Not Found</h1>", "content_type": "text/html"}, 404, None, "not_the_api"),
    ],
)
def test_a_delete_of_ours_that_failed_is_kept_whole_in_the_error(foreign, answer, status, body, reason):
    # Answers the API never gives: a JSON 503 from a gateway, a proxy's 404 page.
    theirs, ours = shown(1), shown(2)
    page = {"count": 2, "next": None, "results": [theirs, ours]}
    foreign.mock.get(foreign.url + "/servers/?page_size=100", json=page)
    foreign.mock.get(foreign.url + "/servers/2/", json=ours)
    foreign.mock.delete(foreign.url + "/servers/2/", **answer)
    error = keep_oldest(foreign.make().http, {"web-1": (ours, BODY)})["web-1"].error
    assert (error.status, error.method, error.path, error.body, error.reason) == (
        status,
        "DELETE",
        "/servers/2/",
        body,
        reason,
    )
