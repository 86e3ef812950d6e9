"""DRF page-number pagination and list filters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit


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
