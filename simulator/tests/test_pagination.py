"""DRF page-number pagination and list filters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_default_page_size_is_20_and_next_is_absolute(clean, api):
    clean.seed(45)
    body = api.get("/servers/").json()
    assert body["count"] == 45 and len(body["results"]) == 20
    assert body["next"] == f"{clean.api_url}/servers/?page=2"
    assert body["previous"] is None


def test_following_next_visits_every_server_once(clean, api):
    clean.seed(45)
    seen, url = [], f"{clean.api_url}/servers/?page_size=7"
    while url:
        body = api.session.get(url, timeout=10).json()
        seen += [server["id"] for server in body["results"]]
        url = body["next"]
    assert len(seen) == 45 == len(set(seen))
    assert seen == sorted(seen)


def test_links_keep_filters_and_page_size(clean, api):
    clean.seed(30, location="us-east")
    clean.seed(5, location="us-west")
    body = api.get("/servers/", params={"location": "us-east", "page_size": 10, "page": 2}).json()
    assert body["count"] == 30
    assert query_of(body["next"]) == {"location": "us-east", "page_size": "10", "page": "3"}
    assert query_of(body["previous"]) == {"location": "us-east", "page_size": "10"}
    assert all(server["location"] == "us-east" for server in body["results"])


def test_page_size_is_capped_at_the_maximum(clean, api):
    clean.seed(150)
    body = api.get("/servers/", params={"page_size": 1000}).json()
    assert len(body["results"]) == 100


def test_invalid_page_size_falls_back_to_default(clean, api):
    clean.seed(25)
    for raw in ("abc", "0", "-5"):
        assert len(api.get("/servers/", params={"page_size": raw}).json()["results"]) == 20


def test_last_page_keyword(clean, api):
    clean.seed(45)
    body = api.get("/servers/", params={"page": "last"}).json()
    assert len(body["results"]) == 5 and body["next"] is None


def test_pages_out_of_range_are_404_invalid_page(clean, api):
    clean.seed(5)
    for raw in ("2", "0", "-1", "abc", "1.5", "99999999999999999999999999"):
        response = api.get("/servers/", params={"page": raw})
        assert response.status_code == 404, raw
        assert response.json() == {"detail": "Invalid page."}


def test_empty_account_has_an_empty_first_page(api):
    assert api.get("/servers/").json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_status_and_location_filters(clean, api):
    clean.seed(3, status="stopped", location="us-east")
    clean.seed(2, status="active", location="us-east")
    clean.seed(4, status="active", location="eu-central")
    assert api.get("/servers/", params={"status": "stopped"}).json()["count"] == 3
    assert api.get("/servers/", params={"status": "active", "location": "us-east"}).json()["count"] == 2
    assert api.get("/servers/", params={"location": "eu-central"}).json()["count"] == 4
    assert api.get("/servers/", params={"status": ""}).json()["count"] == 9


def test_unknown_filter_values_are_400(api):
    response = api.get("/servers/", params={"status": "melted"})
    assert response.status_code == 400
    assert response.json() == {"status": ["Select a valid choice. melted is not one of the available choices."]}
    assert api.get("/servers/", params={"location": "mars"}).status_code == 400


def test_seed_spreads_over_locations_by_default(clean, api):
    clean.seed(8)
    locations = {server["location"] for server in api.get("/servers/").json()["results"]}
    assert len(locations) == 4


def _walk(api, url: str, link: str) -> list[list[int]]:
    """The ids of each page from ``url`` on, following ``link`` (next or previous)."""
    pages = []
    while url:
        body = api.session.get(url, timeout=10).json()
        pages.append([server["id"] for server in body["results"]])
        url = body[link]
    return pages


def _named_fleet(clean):
    # Name order differs from id order, and names repeat (zeta-1 .. zeta-5 twice) so that ties need the id.
    clean.seed(9, name_prefix="zeta", location="us-east")
    clean.seed(12, name_prefix="alpha", location="us-east")
    clean.seed(5, name_prefix="zeta", location="us-east")
    clean.seed(4, name_prefix="beta", location="us-west")
    return [s for s in clean.servers() if s["location"] == "us-east"]


@pytest.mark.parametrize("ordering", ["name", "-name", "-id", "id"])
def test_every_page_is_served_in_the_chosen_order(clean, api, ordering):
    fleet = _named_fleet(clean)
    by_id = sorted(fleet, key=lambda s: s["id"])
    expected = {
        "id": by_id,
        "-id": by_id[::-1],
        "name": sorted(by_id, key=lambda s: s["name"]),
        "-name": sorted(by_id, key=lambda s: s["name"], reverse=True),  # stable: ties stay in id order
    }[ordering]
    wanted = [s["id"] for s in expected]
    assert clean.set_modes(ordering=ordering)["ordering"] == ordering
    url = f"{clean.api_url}/servers/?location=us-east&page_size=4"
    forward = _walk(api, url, "next")
    assert [len(page) for page in forward] == [4] * 6 + [2]
    assert [server_id for page in forward for server_id in page] == wanted
    backward = _walk(api, url + "&page=last", "previous")
    assert backward == forward[::-1]
    # A status filter together with the location one keeps the order too.
    body = api.get("/servers/", params={"location": "us-east", "status": "active", "page_size": 100}).json()
    assert [server["id"] for server in body["results"]] == wanted


def test_name_order_breaks_ties_by_id_and_reset_restores_id_order(clean, api):
    _named_fleet(clean)
    clean.set_modes(ordering="name")
    first = api.get("/servers/", params={"page_size": 3}).json()["results"]
    assert [s["name"] for s in first] == ["alpha-1", "alpha-10", "alpha-11"]
    listed = api.get("/servers/", params={"page_size": 100}).json()["results"]
    twins = [s["id"] for s in listed if s["name"] == "zeta-1"]
    assert len(twins) == 2 and twins == sorted(twins)
    clean.reset()
    assert clean.modes()["ordering"] == "id"
    clean.seed(5, name_prefix="zeta")
    clean.seed(5, name_prefix="alpha")
    ids = [s["id"] for s in api.get("/servers/").json()["results"]]
    assert ids == sorted(ids) and len(ids) == 10


def test_an_api_without_the_last_page_word_answers_invalid_page(clean, api):
    clean.seed(45)
    assert clean.set_modes(last_page=False)["last_page"] is False
    response = api.get("/servers/", params={"page": "last"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}
    assert len(api.get("/servers/", params={"page": 3}).json()["results"]) == 5
    assert api.get("/servers/").json()["next"] == f"{clean.api_url}/servers/?page=2"
    clean.reset()
    clean.seed(45)
    assert clean.modes()["last_page"] is True
    assert api.get("/servers/", params={"page": "last"}).status_code == 200
