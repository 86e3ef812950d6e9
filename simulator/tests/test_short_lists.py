"""Short server lists: a path prefix whose links drop it, pages that are gone, empty or repeated."""

from __future__ import annotations

import pytest
import requests
from vps_sim.testing import SimulatorError


def page(api, number, size=10):
    return api.get("/servers/", params={"page": number, "page_size": size})


def test_a_prefix_is_served_but_the_next_links_leave_it_out(clean, api):
    clean.seed(25)
    clean.short_list(kind="prefix", prefix="/edge")
    edge = clean.api_url.replace("/api/v1", "/edge/api/v1")
    headers = api.session.headers
    first = requests.get(edge + "/servers/", params={"page_size": 10}, headers=headers, timeout=10).json()
    assert first["count"] == 25 and len(first["results"]) == 10
    assert first["next"].startswith(clean.api_url + "/servers/?")
    # Glued below api_url as a path, the link names a path the API does not have.
    misread = requests.get(edge + "/api/v1/servers/?page=2&page_size=10", headers=headers, timeout=10)
    assert misread.status_code == 404 and misread.json() == {"detail": "Not found."}
    assert clean.short_list()["fired"] == 2
    # Without the prefix the API answers as before.
    assert page(api, 2).json()["count"] == 25


@pytest.mark.parametrize("status", [404, 410])
def test_pages_from_one_on_are_gone_while_the_first_keeps_its_count(clean, api, status):
    clean.seed(30)
    clean.short_list(kind="gone", status=status, from_page=2)
    assert page(api, 1).json()["count"] == 30
    for number in (2, 3):
        answer = page(api, number)
        assert answer.status_code == status and "detail" in answer.json()
    assert clean.short_list()["fired"] == 2


def test_an_empty_page_before_the_count_has_no_next_link(clean, api):
    clean.seed(30)
    clean.short_list(kind="empty", from_page=3)
    assert len(page(api, 2).json()["results"]) == 10
    third = page(api, 3).json()
    assert third == {"count": 30, "next": None, "previous": third["previous"], "results": []}


def test_a_repeated_page_holds_the_servers_of_the_page_before(clean, api):
    clean.seed(30)
    clean.short_list(kind="repeat", page=2)
    first, second, third = (page(api, number).json() for number in (1, 2, 3))
    assert [s["id"] for s in second["results"]] == [s["id"] for s in first["results"]]
    assert second["next"] and len(third["results"]) == 10


def test_reset_and_delete_disarm_and_bad_ways_are_refused(clean, api):
    clean.seed(30)
    clean.short_list(kind="empty", from_page=2)
    clean.reset()
    clean.seed(30)
    assert len(page(api, 2).json()["results"]) == 10
    clean.short_list(kind="gone", from_page=2)
    assert clean.admin("DELETE", "/_sim/short-list") == {"kind": None}
    assert page(api, 2).status_code == 200
    for bad in ({"kind": "lost"}, {"kind": "gone", "status": 500}, {"kind": "repeat", "page": 1}, {"kind": "prefix"}):
        with pytest.raises(SimulatorError):
            clean.admin("POST", "/_sim/short-list", bad)
