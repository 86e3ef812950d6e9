"""The shared client against a fake HTTP layer: retries, pagination, ambiguity, wording, secrecy."""

from __future__ import annotations

import random
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import yaml
from ansible_collections.vpsorg.cloud.plugins.module_utils import retry
from ansible_collections.vpsorg.cloud.plugins.module_utils.client import VpsClient
from ansible_collections.vpsorg.cloud.plugins.module_utils.connection import connection_problems, insecure_url_warning
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import AmbiguousRequestError, VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.version import COLLECTION_VERSION
from responses import matchers
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

API = "https://api.test/api/v1"
TOKEN = "tok-SECRET-0123456789"
SERVERS = API + "/servers/"


@pytest.fixture
def client(clock):
    return VpsClient(API, TOKEN, retries=3, sleep=clock.sleep, clock=clock, rng=random.Random(7))


def server(server_id, name="web-1", status="active", **extra):
    return dict({"id": server_id, "name": name, "status": status, "updated_at": "t0"}, **extra)


def page(results, next_url=None, count=None):
    return {"count": len(results) if count is None else count, "next": next_url, "previous": None, "results": results}


def dropped():
    return requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))


def refused():
    reason = NewConnectionError(None, "Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, SERVERS, reason=reason))


def methods(api, method=None):
    return [call.request for call in api.calls if method is None or call.request.method == method]


# A lost create is looked for among the new servers of its location, then confirmed absent on the
# whole list, twice: what the client sends between two POSTs when the create did not happen.
NOT_CREATED_READS = ["GET provisioning us-west", "GET all", "GET provisioning us-west", "GET all"]


def shapes(api):
    """Each request as METHOD plus, for a listing, the filters it carried ("all" for none)."""
    found = []
    for request in methods(api):
        parts = urlsplit(request.url)
        query = parse_qs(parts.query)
        filters = [query[key][0] for key in ("status", "location") if key in query]
        listing = request.method == "GET" and parts.path.endswith("/servers/")
        found.append(request.method + (" " + (" ".join(filters) or "all") if listing else ""))
    return found


# -- requests carry what the API needs -------------------------------------------------------


def test_headers_carry_token_user_agent_and_json(client, api):
    api.get(SERVERS + "1/", json=server(1))
    client.get_server(1)
    sent = api.calls[0].request
    assert sent.headers["Authorization"] == "Bearer " + TOKEN
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["User-Agent"].startswith(f"vpsorg.cloud/{COLLECTION_VERSION} ansible-core/")


def test_collection_version_matches_galaxy_yml():
    galaxy = yaml.safe_load((Path(__file__).resolve().parents[4] / "galaxy.yml").read_text())
    assert galaxy["version"] == COLLECTION_VERSION


def test_every_request_has_a_timeout(client, api, monkeypatch):
    seen = []
    original = client.session.request
    monkeypatch.setattr(
        client.session, "request", lambda *a, **kw: seen.append(kw.get("timeout")) or original(*a, **kw)
    )
    api.get(SERVERS + "1/", json=server(1))
    client.get_server(1)
    assert seen == [30]


# -- pagination ------------------------------------------------------------------------------


def test_list_follows_next_until_null(client, api):
    api.get(
        SERVERS,
        match=[matchers.query_param_matcher({"page_size": "100"})],
        json=page([server(1)], SERVERS + "?page=2&page_size=100", 3),
    )
    api.get(
        SERVERS,
        match=[matchers.query_param_matcher({"page": "2", "page_size": "100"})],
        json=page([server(2)], SERVERS + "?page=3&page_size=100", 3),
    )
    api.get(
        SERVERS,
        match=[matchers.query_param_matcher({"page": "3", "page_size": "100"})],
        json=page([server(3)], None, 3),
    )
    assert [s["id"] for s in client.list_servers()] == [1, 2, 3]
    assert client.request_count == 3


def test_list_sends_filters_and_page_size(client, api):
    api.get(
        SERVERS,
        match=[matchers.query_param_matcher({"status": "stopped", "location": "us-east", "page_size": "50"})],
        json=page([]),
    )
    assert client.list_servers({"status": "stopped", "location": "us-east"}, page_size=50) == []


def test_next_link_to_another_host_never_receives_the_token(client, api):
    api.get(
        SERVERS,
        match=[matchers.query_param_matcher({"page_size": "100"})],
        json=page([server(1)], "http://evil.test/api/v1/servers/?page=2", 2),
    )
    api.get(SERVERS, match=[matchers.query_param_matcher({"page": "2"})], json=page([server(2)], None, 2))
    assert [s["id"] for s in client.list_servers()] == [1, 2]
    assert all(call.request.url.startswith(API) for call in api.calls)


def test_list_falls_back_to_page_numbers_without_next(client, api):
    api.get(
        SERVERS, match=[matchers.query_param_matcher({"page_size": "100"})], json={"count": 2, "results": [server(1)]}
    )
    api.get(
        SERVERS,
        match=[matchers.query_param_matcher({"page_size": "100", "page": "2"})],
        json={"count": 2, "results": [server(2)]},
    )
    assert [s["id"] for s in client.list_servers()] == [1, 2]


def test_list_stops_on_a_pagination_loop(client, api):
    api.get(SERVERS, json=page([server(1)], SERVERS + "?page=2", 10))
    client.page_concurrency = 1  # nothing in flight beside page 2, so the count is exact
    with pytest.raises(VpsApiError, match="pagination does not end"):
        client.list_servers()
    assert client.request_count == 2


def test_a_read_that_only_reports_gets_items_repeated_across_pages_once(client, api):
    api.get(
        SERVERS,
        match=[matchers.query_param_matcher({"page_size": "100"})],
        json=page([server(1), server(2)], SERVERS + "?page=2", 3),
    )
    api.get(SERVERS, match=[matchers.query_param_matcher({"page": "2"})], json=page([server(2), server(3)], None, 3))
    assert [s["id"] for s in client.list_servers(partial_ok=True)] == [1, 2, 3]


# -- retries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_get_retries_transient_statuses(client, api, clock, status):
    api.get(SERVERS + "1/", status=status, json={"detail": "busy"})
    api.get(SERVERS + "1/", json=server(1))
    assert client.get_server(1)["id"] == 1
    assert len(clock.sleeps) == 1


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 501])
def test_get_does_not_retry_final_statuses(client, api, clock, status):
    api.get(SERVERS + "1/", status=status, json={"detail": "no"})
    with pytest.raises(VpsApiError) as err:
        client.get_server(1)
    assert err.value.status == status
    assert client.request_count == 1 and clock.sleeps == []


def test_retry_after_seconds_is_honoured(client, api, clock):
    api.get(SERVERS + "1/", status=429, headers={"Retry-After": "7"}, json={"detail": "slow down"})
    api.get(SERVERS + "1/", json=server(1))
    client.get_server(1)
    assert clock.sleeps == [7.0]


def test_retry_after_http_date_is_honoured():
    import datetime

    now = datetime.datetime(2026, 11, 27, 12, 0, 0, tzinfo=datetime.UTC)
    assert retry.parse_retry_after("Fri, 27 Nov 2026 12:00:09 GMT", now=now) == 9.0
    assert retry.parse_retry_after("Fri, 27 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert retry.parse_retry_after("soon") is None


def test_huge_retry_after_is_capped(client, api, clock):
    api.get(SERVERS + "1/", status=503, headers={"Retry-After": "86400"}, json={})
    api.get(SERVERS + "1/", json=server(1))
    client.get_server(1)
    assert clock.sleeps == [retry.RETRY_AFTER_CAP]


def test_backoff_is_exponential_with_full_jitter_and_capped(client, api, clock):
    api.get(SERVERS + "1/", status=502, json={})
    with pytest.raises(VpsApiError) as err:
        client.get_server(1)
    assert err.value.status == 502
    assert client.request_count == 4  # one try + three retries
    for attempt, slept in enumerate(clock.sleeps):
        assert 0 <= slept <= min(retry.BACKOFF_CAP, retry.BACKOFF_BASE * 2**attempt)
    assert max(retry.backoff_delay(30, random.Random(1)) for _attempt in range(50)) <= retry.BACKOFF_CAP


@pytest.mark.parametrize("failure", [dropped, requests.exceptions.ReadTimeout, refused])
def test_get_retries_connection_failures(client, api, failure):
    api.get(SERVERS + "1/", body=failure())
    api.get(SERVERS + "1/", json=server(1))
    assert client.get_server(1)["id"] == 1


def test_patch_and_delete_are_repeated_after_reads_show_they_did_not_happen(client, api):
    api.patch(SERVERS + "1/", status=503, json={})
    api.patch(SERVERS + "1/", json=server(1, hostname="h"))
    api.get(SERVERS + "1/", json=server(1, hostname="old"))
    api.delete(SERVERS + "1/", body=dropped())
    api.delete(SERVERS + "1/", status=204)
    assert client.update_server(1, {"hostname": "h"})["hostname"] == "h"
    client.delete_server(1)
    assert len(methods(api, "PATCH")) == 2 and len(methods(api, "DELETE")) == 2
    assert [r.method for r in methods(api)] == ["PATCH", "GET", "GET", "PATCH", "DELETE", "GET", "GET", "DELETE"]


def test_lost_delete_answer_with_the_server_gone_is_success(client, api):
    api.delete(SERVERS + "1/", body=dropped())
    api.get(SERVERS + "1/", status=404, json={"detail": "Not found."})
    client.delete_server(1)
    assert len(methods(api, "DELETE")) == 1


def test_repeated_delete_answered_404_is_success(client, api):
    api.delete(SERVERS + "1/", status=502, body="<html>bad gateway</html>", content_type="text/html")
    api.get(SERVERS + "1/", json=server(1))
    api.delete(SERVERS + "1/", status=404, json={"detail": "Not found."})
    client.delete_server(1)
    assert len(methods(api, "DELETE")) == 2


def test_lost_patch_answer_with_the_change_in_place_is_not_repeated(client, api):
    api.patch(SERVERS + "1/", body=dropped())
    api.get(SERVERS + "1/", json=server(1, hostname="h"))
    assert client.update_server(1, {"hostname": "h"})["hostname"] == "h"
    assert len(methods(api, "PATCH")) == 1


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_settling_a_lost_create_does_not_depend_on_the_retry_budget(clock, api, retries):
    client = VpsClient(API, TOKEN, retries=retries, sleep=clock.sleep, clock=clock, rng=random.Random(7))
    api.post(SERVERS, body=dropped())
    api.get(SERVERS, json=page([server(9, status="provisioning")]))
    api.get(SERVERS + "9/", json=server(9, status="provisioning"))
    assert client.create_server(BODY)["id"] == 9
    assert len(methods(api, "POST")) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_delete_repeated_after_a_committed_delete_finds_it_gone(client, api, status):
    api.delete(SERVERS + "1/", status=status, body="<h1>gateway</h1>")
    api.get(SERVERS + "1/", json=server(1))
    api.delete(SERVERS + "1/", status=404, json={"detail": "Not found."})
    client.delete_server(1)
    assert len(methods(api, "DELETE")) == 2


def test_delete_other_errors_still_fail(client, api):
    api.delete(SERVERS + "1/", status=403, json={"detail": "not yours"})
    with pytest.raises(VpsApiError) as err:
        client.delete_server(1)
    assert err.value.status == 403


# -- POST is never blindly repeated ------------------------------------------------------------

BODY = {"name": "web-1", "plan_id": 1, "os_id": 5, "location": "us-west"}


def test_create_repeats_an_answer_that_proves_nothing_happened(client, api):
    api.post(SERVERS, status=429, headers={"Retry-After": "1"}, json={"detail": "later"})
    api.post(SERVERS, status=201, json=server(9, status="provisioning"))
    assert client.create_server(BODY)["id"] == 9
    assert [r.method for r in methods(api)] == ["POST", "POST"]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_create_reads_before_repeating_after_a_gateway_error(client, api, status):
    api.post(SERVERS, status=status, headers={"Retry-After": "1"}, json={"detail": "later"})
    api.post(SERVERS, status=201, json=server(9, status="provisioning"))
    api.get(SERVERS, json=page([]))
    assert client.create_server(BODY)["id"] == 9
    assert shapes(api) == ["POST", *NOT_CREATED_READS, "POST"]


def test_create_repeats_when_the_connection_was_never_made(client, api):
    api.post(SERVERS, body=refused())
    api.post(SERVERS, status=201, json=server(9))
    assert client.create_server(BODY)["id"] == 9


@pytest.mark.parametrize("failure", [dropped, requests.exceptions.ReadTimeout])
def test_create_without_answer_finds_the_created_server_instead_of_posting_again(client, api, failure):
    api.post(SERVERS, body=failure())
    api.get(SERVERS, json=page([server(4, name="other"), server(9, status="provisioning")]))
    api.get(SERVERS + "9/", json=server(9, status="provisioning"))
    assert client.create_server(BODY)["id"] == 9
    assert len(methods(api, "POST")) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_create_server_error_is_resolved_by_reading_not_by_posting_again(client, api, status):
    # The API may have committed the create before the error: only a read can tell.
    api.post(SERVERS, status=status, body="<h1>gateway error</h1>")
    api.get(SERVERS, json=page([server(9, status="provisioning")]))
    api.get(SERVERS + "9/", json=server(9, status="provisioning"))
    assert client.create_server(BODY)["id"] == 9
    assert len(methods(api, "POST")) == 1


def test_create_ignores_servers_of_that_name_that_existed_before(client, api):
    api.post(SERVERS, body=dropped())
    api.get(SERVERS, json=page([server(3)]))
    api.post(SERVERS, status=201, json=server(9))
    assert client.create_server(BODY, existing_ids={3})["id"] == 9
    assert len(methods(api, "POST")) == 2


@pytest.mark.parametrize("failure", [dropped, requests.exceptions.ReadTimeout])
def test_a_lost_create_found_among_the_new_servers_of_its_location_costs_no_whole_listing(client, api, failure):
    api.post(SERVERS, body=failure())
    api.get(
        SERVERS,
        json=page([server(9, status="provisioning")]),
        match=[matchers.query_param_matcher({"status": "provisioning", "location": "us-west"}, strict_match=False)],
    )
    api.get(SERVERS + "9/", json=server(9, status="provisioning"))
    assert client.create_server(BODY)["id"] == 9
    assert shapes(api) == ["POST", "GET provisioning us-west", "GET"]


def test_a_lost_create_missing_from_the_narrow_listing_is_found_on_the_whole_list(client, api):
    """A server that left provisioning already, or whose location the API spells otherwise."""
    api.post(SERVERS, body=dropped())
    api.get(
        SERVERS,
        json=page([]),
        match=[matchers.query_param_matcher({"status": "provisioning"}, strict_match=False)],
    )
    api.get(SERVERS, json=page([server(4, name="other"), server(9, status="active")]))
    api.get(SERVERS + "9/", json=server(9, status="active"))
    assert client.create_server(BODY)["id"] == 9
    assert shapes(api) == ["POST", "GET provisioning us-west", "GET all", "GET"]
    assert len(methods(api, "POST")) == 1


def test_create_posts_again_only_after_two_reads_show_nothing(client, api):
    api.post(SERVERS, body=dropped())
    api.post(SERVERS, status=201, json=server(9))
    api.get(SERVERS, json=page([]))
    assert client.create_server(BODY)["id"] == 9
    assert shapes(api) == ["POST", *NOT_CREATED_READS, "POST"]


def test_create_gives_up_without_guessing_when_retries_are_used_up(client, api):
    api.post(SERVERS, body=dropped())
    api.get(SERVERS, json=page([]))
    with pytest.raises(VpsApiError, match="read twice, shows it did not take effect, and retries are used up"):
        client.create_server(BODY)
    assert len(methods(api, "POST")) == 4  # retries=3: one try and three repeats, each after two reads


def test_create_refuses_to_guess_between_two_new_servers(client, api):
    api.post(SERVERS, body=dropped())
    api.get(SERVERS, json=page([server(8), server(9)]))
    with pytest.raises(VpsApiError, match="several new servers"):
        client.create_server(BODY)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_create_posts_again_after_a_server_error_only_when_reads_show_nothing(client, api, status):
    api.post(SERVERS, status=status, body="<h1>gateway error</h1>")
    api.post(SERVERS, status=201, json=server(9))
    api.get(SERVERS, json=page([]))
    assert client.create_server(BODY)["id"] == 9
    assert shapes(api) == ["POST", *NOT_CREATED_READS, "POST"]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_power_action_answered_with_a_server_error_is_settled_by_the_status(client, api, status):
    api.post(SERVERS + "1/stop/", status=status, body="<h1>gateway error</h1>")
    api.get(SERVERS + "1/", json=server(1, status="stopping"))
    assert client.power(1, "stop", before=server(1))["server"]["status"] == "stopping"
    assert len(methods(api, "POST")) == 1


def test_power_action_without_answer_is_settled_by_the_status(client, api):
    api.post(SERVERS + "1/stop/", body=dropped())
    api.get(SERVERS + "1/", json=server(1, status="stopping"))
    result = client.power(1, "stop", before=server(1))
    assert result["server"]["status"] == "stopping"
    assert len(methods(api, "POST")) == 1


def test_power_action_is_sent_again_when_status_shows_it_did_not_happen(client, api):
    api.post(SERVERS + "1/start/", body=dropped())
    api.post(SERVERS + "1/start/", json={"status": "success", "server": {"id": 1, "status": "starting"}})
    api.get(SERVERS + "1/", json=server(1, status="stopped"))
    assert client.power(1, "start", before=server(1, status="stopped"))["status"] == "success"
    assert len(methods(api, "POST")) == 2


def test_finished_reboot_is_recognised_by_updated_at(client, api):
    api.post(SERVERS + "1/reboot/", body=dropped())
    api.get(SERVERS + "1/", json=server(1, status="active", updated_at="t1"))
    assert client.power(1, "reboot", before=server(1, updated_at="t0"))["server"]["updated_at"] == "t1"
    assert len(methods(api, "POST")) == 1


# -- waiting ---------------------------------------------------------------------------------


def test_wait_polls_until_target(client, api, clock):
    api.get(SERVERS + "1/", json=server(1, status="provisioning"))
    api.get(SERVERS + "1/", json=server(1, status="provisioning"))
    api.get(SERVERS + "1/", json=server(1, status="active"))
    assert client.wait_for_status(1, ["active"], 60)["status"] == "active"
    assert clock.sleeps == [0.25, 0.375]


def test_wait_timeout_names_the_last_status(client, api, clock):
    api.get(SERVERS + "1/", json=server(1, status="provisioning"))
    with pytest.raises(VpsApiError, match=r"timed out after 10 s .* last status: provisioning"):
        client.wait_for_status(1, ["active"], 10)
    assert clock.now == pytest.approx(10)


def test_wait_fails_fast_when_the_server_settles_elsewhere(client, api):
    api.get(SERVERS + "1/", json=server(1, status="suspended"))
    with pytest.raises(VpsApiError, match="settled as suspended"):
        client.wait_for_status(1, ["active"], 600)


def test_wait_reports_progress_through_log(clock, api):
    lines = []
    client = VpsClient(API, TOKEN, sleep=clock.sleep, clock=clock, log=lines.append)
    api.get(SERVERS + "1/", json=server(1, status="provisioning"))
    api.get(SERVERS + "1/", json=server(1, status="active"))
    client.wait_for_status(1, ["active"], 60)
    assert lines == ["server 1 is provisioning after 0.0 s", "server 1 is active after 0.2 s"]


# -- wording ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            400,
            {"plan_id": ['Invalid pk "999" - object does not exist.']},
            'plan_id: Invalid pk "999" - object does not exist.',
        ),
        (400, {"name": ["Bad."], "non_field_errors": ["Nope."]}, "name: Bad.; Nope."),
        (401, {"detail": "Invalid token."}, "API token missing or invalid"),
        (402, {"detail": "Insufficient balance."}, "insufficient account balance: Insufficient balance."),
        (404, {"detail": "Not found."}, "server 77 not found"),
        (500, "<html>oops</html>", "server error (HTTP 500)"),
    ],
)
def test_errors_read_as_sentences(client, api, status, body, expected):
    if isinstance(body, str):
        api.get(SERVERS + "77/", status=status, body=body)
    else:
        api.get(SERVERS + "77/", status=status, json=body)
    with pytest.raises(VpsApiError) as err:
        client.get_server(77)
    assert expected in str(err.value)
    assert "GET /servers/77/" in str(err.value)
    assert err.value.status == status and err.value.method == "GET" and err.value.path == "/servers/77/"


def test_unreachable_api_names_url_and_cause(clock):
    client = VpsClient("http://127.0.0.1:9/api/v1", TOKEN, retries=1, timeout=2, sleep=clock.sleep, clock=clock)
    with pytest.raises(VpsApiError) as err:
        client.list_servers()
    assert "cannot reach the VPS.org API at http://127.0.0.1:9/api/v1: connection failed" in str(err.value)
    assert client.request_count == 2


# -- the token never leaks -------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 401, "json": {"detail": "Bad token " + TOKEN}},
        {"status": 400, "json": {"name": ["echo " + TOKEN]}},
        {"status": 400, "json": {"detail": "Bad request (request had Authorization: Bearer " + TOKEN + ")"}},
        {"status": 402, "json": {"detail": "Insufficient balance for Bearer " + TOKEN}},
        {"status": 403, "json": {"detail": "Forbidden for " + TOKEN}},
        {"status": 409, "json": {"detail": "Conflict for " + TOKEN}},
        {"status": 503, "json": {"detail": TOKEN}},
        {"body": dropped()},
        {"body": requests.exceptions.ReadTimeout("read timed out with header Bearer " + TOKEN)},
    ],
)
def test_token_is_absent_from_every_error(client, api, failure):
    api.get(SERVERS + "1/", **failure)
    with pytest.raises(VpsApiError) as err:
        client.get_server(1)
    rendered = " ".join([str(err.value), repr(err.value), repr(err.value.args), err.value.message])
    assert TOKEN not in rendered
    assert err.value.__cause__ is None
    assert err.value.__context__ is None or err.value.__suppress_context__


def test_plain_http_to_a_remote_host_is_warned_about():
    assert "unencrypted" in insecure_url_warning("http://api.example.com/api/v1")
    assert insecure_url_warning("http://127.0.0.1:8080/api/v1") is None
    assert insecure_url_warning("http://localhost:8080/api/v1") is None
    assert insecure_url_warning("https://api.example.com/api/v1") is None


def test_connection_problems_name_each_option():
    assert connection_problems("https://api.example.com/api/v1", 30, 0) == []
    problems = connection_problems("ftp://x", 0, -1)
    assert [p.split(" ", 1)[0] for p in problems] == ["api_url", "api_timeout", "api_retries"]
    assert connection_problems(None, 1, 1)[0].startswith("api_url must be an http:// or https:// URL")


def test_ambiguous_error_is_a_vps_api_error():
    assert issubclass(AmbiguousRequestError, VpsApiError)


def test_a_retry_after_pauses_every_worker_of_the_task(client, api, clock):
    api.get(SERVERS + "1/", status=429, headers={"Retry-After": "7"}, json={"detail": "slow down"})
    api.get(SERVERS + "1/", json=server(1))
    api.get(SERVERS + "2/", json=server(2))
    sibling = client.worker()
    assert sibling.gate is client.gate and sibling.session is not client.session
    client.get_server(1)
    assert clock.sleeps == [7]
    clock.sleeps.clear()
    client.gate.hold(5)
    sibling.get_server(2)
    assert clock.sleeps == [5]
