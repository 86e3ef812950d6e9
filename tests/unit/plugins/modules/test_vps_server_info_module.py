"""vps_server_info on the simulator: filters sent to the API and applied locally, by id, pages read at once,
a short list refused unless allow_partial; it never changes anything."""

from __future__ import annotations

import threading

import pytest
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server_info import VpsServerInfo
from module_runner import add, https_url, sent, session

PARTIAL = (
    "api_url {url}: the server list's pages do not fit together although the list did not change: page 2 of 2 "
    "answered HTTP 410 in each of 3 reads, while every read counted 150 servers; those pages are not the API's pages "
    "(does a `next` link leave api_url's path?); "
)


@pytest.fixture
def account(sim):
    """web-1 active in us-west, web-2 stopped in us-east, db-1 active in us-east: their ids."""
    return [add(sim, "web-1"), add(sim, "web-2", "stopped", location="us-east"), add(sim, "db-1", location="us-east")]


def ids(done):
    return [server["id"] for server in done.result["servers"]]


def queries(sim):
    return [entry["query"] for entry in sim.requests()]


def test_every_server_without_filters_in_one_page(run, sim, account):
    done = run(VpsServerInfo)
    assert done.result["changed"] is False and ids(done) == account and queries(sim) == ["page_size=100"]
    assert done.result["servers"][0]["name"] == "web-1" and "progress" not in done.result


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        ({"status": "active", "location": "us-east"}, [2]),
        ({"location": "us-east"}, [1, 2]),
        ({"name": "web-2"}, [1]),
        ({"name": "web-2", "status": "active"}, []),
    ],
)
def test_status_and_location_are_filtered_by_the_api_and_a_name_locally(run, sim, account, args, wanted):
    done = run(VpsServerInfo, **args)
    assert ids(done) == [account[index] for index in wanted]
    server_side = "".join(f"{key}={args[key]}&" for key in ("status", "location") if key in args)
    assert queries(sim) == [f"{server_side}page_size=100"]


@pytest.mark.parametrize(
    ("index", "args", "found"), [(1, {}, True), (1, {"status": "active"}, False), (None, {}, False)]
)
def test_by_id_one_detail_is_read_and_the_other_filters_still_apply(run, sim, account, index, args, found):
    server_id = account[index] if index is not None else 99
    done = run(VpsServerInfo, id=server_id, **args)
    assert ids(done) == ([server_id] if found else [])
    assert sent(sim, changing=False) == [("GET", f"/servers/{server_id}/")]
    if found:
        assert done.result["servers"][0]["backups_enabled"] is False  # a field only the detail carries


def test_the_pages_after_the_first_are_read_at_once(run, sim):
    sim.seed(450)
    together = threading.Barrier(4, timeout=2)  # pages 2 to 5: passes only when all four are in flight at once

    def meet(method, url):
        if "page=" in url:
            together.wait()

    done = run(VpsServerInfo, http=session(sim, before=meet))
    assert len(done.result["servers"]) == 450 and not together.broken


def test_page_concurrency_one_reads_the_pages_one_after_another(run, sim):
    sim.seed(450)
    seen = []
    done = run(VpsServerInfo, http=session(sim, seen), page_concurrency=1)
    assert len(done.result["servers"]) == 450 and {request["thread"] for request in seen} == {"MainThread"}


def test_page_concurrency_out_of_range_is_refused(run, sim):
    done = run(VpsServerInfo, page_concurrency=0)
    assert done.result["msg"] == "page_concurrency must be between 1 and 64, got 0" and sim.requests() == []


def test_a_short_list_fails_unless_allow_partial(run, sim):
    sim.seed(150)
    sim.short_list(kind="gone", status=410, from_page=2)
    done = run(VpsServerInfo)
    assert done.failed and done.result["failure"]["reason"] == "incomplete_listing"
    assert done.result["msg"] == PARTIAL.format(url=https_url(sim)) + (
        "nothing is created, changed or deleted on a list that may miss servers "
        "(allow_partial: true returns the servers read)"
    )
    partial = run(VpsServerInfo, allow_partial=True)
    assert not partial.failed and len(partial.result["servers"]) == 100
    assert partial.warnings == [
        PARTIAL.format(url=https_url(sim)) + "returning the 100 servers read, which are not all of them"
    ]
