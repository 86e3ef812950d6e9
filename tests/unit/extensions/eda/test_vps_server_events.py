"""The vps_server_events source: argument checks, and polls through the real client over mocked HTTP."""

from __future__ import annotations

import asyncio
import importlib.machinery
import importlib.util
import json
import logging
import sys
from pathlib import Path

import pytest
import responses

SOURCE = Path(__file__).resolve().parents[4] / "extensions/eda/plugins/event_source/vps_server_events.py"
API = "https://api.test/api/v1"
SERVERS = API + "/servers/"
TOKEN = "tok-SECRET-eda-0123456789"
ENV = {"VPS_API_TOKEN": TOKEN}


@pytest.fixture(scope="module")
def source():
    # ansible-rulebook loads event sources by path, as a file of code, not from a package; so
    # here. (runpy.run_path would let an import path hook claim the path: Ansible's collection
    # finder does for paths below ansible_collections/, as in the mutation copy.)
    loader = importlib.machinery.SourceFileLoader("vps_server_events", str(SOURCE))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    sys.modules[loader.name] = module
    loader.exec_module(module)
    return vars(module)


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def srv(server_id, status="active", **extra):
    return dict({"id": server_id, "name": f"s{server_id}", "status": status, "updated_at": "t0"}, **extra)


class Account:
    """A fake list endpoint: serves `servers`, or the queued failures first."""

    def __init__(self, api, servers=()):
        self.servers = list(servers)
        self.failures = []
        self.queries = []
        api.add_callback(responses.GET, SERVERS, callback=self.answer, content_type="application/json")

    def answer(self, request):
        self.queries.append(request.url)
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        if self.failures:
            return self.failures.pop(0)
        body = {"count": len(self.servers), "next": None, "previous": None, "results": self.servers}
        return 200, {}, json.dumps(body)


def poller_for(source, args=None):
    # No request budget unless a test sets one: the budget has tests of its own.
    defaults = {"api_url": API, "interval": 1, "api_retries": 0, "requests_per_minute": 0}
    settings = source["settings_from"](dict(defaults, **(args or {})), ENV)
    return source["build_poller"](settings)


def poll(poller):
    return asyncio.run(poller.poll())


# -- arguments ----------------------------------------------------------------------------------


def test_defaults_and_environment_fallbacks(source):
    settings = source["settings_from"]({}, {"VPS_API_TOKEN": TOKEN, "VPS_API_URL": "http://127.0.0.1:9/api/v1"})
    assert settings == {
        "api_url": "http://127.0.0.1:9/api/v1",
        "api_token": TOKEN,
        "api_timeout": 30.0,
        "api_retries": 5,
        "interval": 10.0,
        "validate_certs": True,
        "initial_snapshot": False,
        "filters": {},
        "requests_per_minute": 60.0,
    }
    assert source["settings_from"]({}, ENV)["api_url"] == "https://admin.vps.org/api/v1"
    given = source["settings_from"]({"api_url": API, "api_token": "other"}, {"VPS_API_URL": "x", **ENV})
    assert (given["api_url"], given["api_token"]) == (API, "other")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"interval": 0}, "interval must be more than 0"),
        ({"interval": -1}, "interval must be more than 0"),
        ({"interval": "soon"}, "interval must be a number"),
        ({"interval": True}, "interval must be a number"),
        ({"interval": "nan"}, "interval must be a number"),
        ({"interval": float("inf")}, "interval must be a number"),
        ({"api_retries": "1e400"}, "api_retries must be an integer"),
        ({"api_timeout": 0}, "api_timeout must be more than 0"),
        ({"api_retries": -1}, "api_retries must be 0 or more"),
        ({"api_retries": 1.5}, "api_retries must be an integer"),
        ({"api_url": "admin.vps.org"}, "api_url must be an http:// or https:// URL"),
        ({"api_url": 5}, "api_url must be an http:// or https:// URL"),
        ({"validate_certs": "maybe"}, "validate_certs must be true or false"),
        ({"initial_snapshot": "sometimes"}, "initial_snapshot must be true or false"),
        ({"filters": ["status"]}, "filters must be a dictionary"),
        ({"filters": {"name": "web"}}, "unsupported filters name; the API filters by status and location"),
        ({"filters": {"status": "actve"}}, "filters.status must be one of"),
        ({"filters": {"location": 3}}, "filters.location must be a non-empty string"),
        ({"filters": {"location": " "}}, "filters.location must be a non-empty string"),
        ({"intervall": 5}, "unknown argument intervall"),
    ],
)
def test_bad_arguments_are_refused_naming_the_argument(source, args, named):
    with pytest.raises(ValueError, match=r"^vpsorg\.cloud\.vps_server_events: ") as error:
        source["settings_from"](args, ENV)
    assert named in str(error.value)


@pytest.mark.parametrize("token", [None, "", "  ", 12345])
def test_a_missing_token_is_refused_without_echoing_it(source, token):
    with pytest.raises(ValueError, match="api_token is not set") as error:
        source["settings_from"]({"api_token": token} if token is not None else {}, {})
    assert "12345" not in str(error.value)


def test_every_problem_is_named_at_once(source):
    with pytest.raises(ValueError) as error:
        source["settings_from"](
            {"interval": 0, "filters": {"status": "x"}, "api_token": None, "api_timeout": -1, "api_url": "ftp://x"}, {}
        )
    message = str(error.value)
    assert all(name in message for name in ("interval", "filters.status", "api_token", "api_timeout", "api_url"))


@pytest.mark.parametrize("token", ["tok\u00e9n-0123456789", "tok en-0123456789", "tok\ten", "tok\x00en"])
@pytest.mark.parametrize("from_environment", [False, True])
def test_a_token_no_header_can_carry_is_named_with_every_other_problem_before_any_request(
    source, api, token, from_environment
):
    account = Account(api)
    args = {"api_url": API, "interval": 0, "filters": {"status": "actve"}}
    environ = {"VPS_API_TOKEN": token} if from_environment else {}
    if not from_environment:
        args["api_token"] = token
    with pytest.raises(ValueError) as error:
        source["settings_from"](args, environ)
    message = str(error.value)
    assert message.startswith("vpsorg.cloud.vps_server_events: ")
    assert all(name in message for name in ("interval must be", "filters.status must be", "api_token contains"))
    assert token not in message and token.strip() not in message
    assert account.queries == []
    # ansible-rulebook lists the frames it finds in __traceback__: an argument error has none to show.
    assert error.value.__traceback__ is None


def test_rulebook_arguments_of_ansible_rulebook_itself_are_accepted(source):
    # What ansible-rulebook 1.3 passes to a source that sets `feedback: true` (event persistence).
    assert source["settings_from"]({"feedback": True, "eda_feedback_queue": object()}, ENV)["interval"] == 10


def test_a_misspelt_argument_beside_the_engine_ones_is_still_refused(source):
    with pytest.raises(ValueError, match="unknown argument feedbak"):
        source["settings_from"]({"feedback": True, "feedbak": True}, ENV)


def test_numbers_and_booleans_from_templated_strings(source):
    settings = source["settings_from"](
        {"interval": "2.5", "api_retries": "3", "validate_certs": "false", "initial_snapshot": "yes"}, ENV
    )
    assert (settings["interval"], settings["api_retries"]) == (2.5, 3)
    assert (settings["validate_certs"], settings["initial_snapshot"]) == (False, True)


def test_bad_arguments_fail_main_before_any_request(source, api):
    account = Account(api)
    with pytest.raises(ValueError, match="interval"):
        asyncio.run(source["main"](asyncio.Queue(), {"api_url": API, "api_token": TOKEN, "interval": 0}))
    assert account.queries == []


# -- polling -----------------------------------------------------------------------------------


def test_polls_send_events_and_filters_go_to_the_api_except_status(source, api):
    account = Account(api, [srv(1, "provisioning", location="eu-central")])
    poller = poller_for(source, {"filters": {"location": "eu-central", "status": "active"}})
    assert poll(poller) == []
    assert "location=eu-central" in account.queries[0]
    assert "status=" not in account.queries[0]
    account.servers = [srv(1, "active", location="eu-central")]
    (event,) = poll(poller)
    assert (event["type"], event["new_status"]) == ("status_changed", "active")
    assert poller.last_requests == 1


def test_a_disappearing_server_costs_one_confirming_listing(source, api):
    account = Account(api, [srv(1), srv(2)])
    poller = poller_for(source)
    poll(poller)
    account.servers = [srv(1)]
    (event,) = poll(poller)
    assert (event["type"], event["server"]["id"]) == ("deleted", 2)
    assert poller.last_requests == 2
    assert len(account.queries) == 3


def test_failed_listings_produce_no_events_and_the_next_success_reports_each_change_once(source, api, caplog):
    caplog.set_level(logging.DEBUG)
    account = Account(api, [srv(1), srv(2)])
    poller = poller_for(source)
    poll(poller)
    # The API is down: an HTML 503, then an empty listing served by a broken proxy page.
    account.servers = [srv(1, "stopped")]
    account.failures = [(503, {}, "<html>down</html>"), (200, {}, "<html>proxy</html>")]
    assert poll(poller) is None
    assert poll(poller) is None
    assert poller.failures == 2
    assert poller.next_delay() == 4
    assert "could not be listed" in caplog.text and "2 failed poll(s) in a row" in caplog.text
    events = poll(poller)
    assert [(e["type"], e["server"]["id"]) for e in events] == [("status_changed", 1), ("deleted", 2)]
    assert (events[0]["old_status"], events[0]["new_status"]) == ("active", "stopped")
    assert "answers again after 2 failed poll(s)" in caplog.text
    assert poller.failures == 0 and poller.next_delay() == 1
    assert poll(poller) == []


def test_a_failing_confirmation_listing_fails_the_poll_without_a_deleted_event(source, api):
    account = Account(api, [srv(1), srv(2)])
    poller = poller_for(source)
    poll(poller)
    account.servers = [srv(1)]
    account.failures = [(200, {}, json.dumps({"count": 1, "next": None, "results": [srv(1)]})), (502, {}, "bad")]
    assert poll(poller) is None
    assert poller.watcher.snapshot.keys() == {1, 2}


def test_a_malformed_server_list_is_a_failed_poll(source, api):
    account = Account(api, [srv(1)])
    poller = poller_for(source)
    poll(poller)
    account.servers = [{"name": "no id"}]
    assert poll(poller) is None
    assert poller.watcher.snapshot.keys() == {1}


def test_a_short_server_list_is_a_failed_poll_not_a_deletion(source, api, caplog):
    # Servers on pages that were never read are not deleted: two short listings in a row (what
    # confirms a deletion) still report nothing and keep the snapshot.
    account = Account(api, [srv(1), srv(2), srv(3)])
    poller = poller_for(source)
    poll(poller)
    short = json.dumps({"count": 3, "next": None, "results": [srv(1)]})
    account.failures = [(200, {}, short), (200, {}, short)]
    assert poll(poller) is None
    assert poller.watcher.snapshot.keys() == {1, 2, 3}
    assert f"api_url {API}: the server list stopped linking to a next page after 1 of the 3 servers" in caplog.text


def test_backoff_doubles_up_to_the_cap(source, api):
    poller = poller_for(source, {"interval": 100})
    delays = []
    for failures in range(6):
        poller.failures = failures
        delays.append(poller.next_delay())
    assert delays == [100, 200, 300, 300, 300, 300]
    poller.interval, poller.failures = 600, 3
    assert poller.next_delay() == 600


def test_the_token_appears_in_no_log_and_no_event(source, api, caplog):
    caplog.set_level(logging.DEBUG)
    account = Account(api, [srv(1)])
    poller = poller_for(source, {"api_retries": 1, "initial_snapshot": True})
    events = poll(poller)
    # An API that echoes the token back in an error, and a 429 that is retried.
    account.failures = [(429, {"Retry-After": "0"}, "{}"), (500, {}, json.dumps({"detail": f"bad token {TOKEN}"}))]
    assert poll(poller) is None
    account.servers = [srv(1, "stopped")]
    events += poll(poller)
    assert [e["type"] for e in events] == ["created", "status_changed"]
    assert "retrying" in caplog.text and "could not be listed" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN not in json.dumps(events)


def test_insecure_url_is_warned_about(source, api, caplog):
    settings = source["settings_from"]({"api_url": "http://api.example.com/api/v1"}, ENV)
    source["build_poller"](settings)
    assert "plain HTTP to a remote host" in caplog.text


def test_main_puts_events_on_the_queue_poll_after_poll(source, api):
    account = Account(api, [srv(1)])

    async def scenario():
        queue = asyncio.Queue()
        args = {"api_url": API, "interval": 0.05, "api_retries": 0}
        task = asyncio.create_task(source["main"](queue, dict(args, api_token=TOKEN)))
        while not account.queries:
            await asyncio.sleep(0.01)
        account.servers = [srv(1), srv(2, "provisioning")]
        first = await asyncio.wait_for(queue.get(), 5)
        account.servers = [srv(1), srv(2, "active")]
        second = await asyncio.wait_for(queue.get(), 5)
        task.cancel()
        return first, second

    first, second = asyncio.run(scenario())
    assert (first["type"], second["type"], second["new_status"]) == ("created", "status_changed", "active")


# -- the request budget -------------------------------------------------------------------------


class PagedAccount:
    """`total` servers in pages of 100, with DRF's `next` links; the first `throttle` requests answer 429."""

    def __init__(self, api, total, throttle=0):
        self.servers = [srv(n) for n in range(1, total + 1)]
        self.throttle = throttle
        self.requests = 0
        api.add_callback(responses.GET, SERVERS, callback=self.answer, content_type="application/json")

    def answer(self, request):
        self.requests += 1
        if self.throttle:
            self.throttle -= 1
            return 429, {"Retry-After": "0"}, json.dumps({"detail": "Request was throttled."})
        query = dict(part.split("=") for part in request.url.split("?", 1)[1].split("&"))
        page = int(query.get("page", 1))
        results = self.servers[(page - 1) * 100 : page * 100]
        more = page * 100 < len(self.servers)
        body = {"count": len(self.servers), "next": f"{SERVERS}?page={page + 1}&page_size=100" if more else None}
        return 200, {}, json.dumps(dict(body, previous=None, results=results))


def test_a_poll_of_25_pages_under_60_requests_a_minute_starts_every_25_seconds_and_says_so_once(source, api, caplog):
    account = PagedAccount(api, 2500)
    poller = poller_for(source, {"interval": 10, "requests_per_minute": 60})
    with caplog.at_level(logging.WARNING):
        for _poll in range(3):
            assert poll(poller) is not None
            assert poller.last_requests == 25 and poller.next_delay() == pytest.approx(25.0)
    assert account.requests == 75
    stretched = [r.getMessage() for r in caplog.records if "requests_per_minute" in r.getMessage()]
    assert stretched == [
        "vpsorg.cloud.vps_server_events: a poll sends 25 requests, so polls start every 25.0 s instead of every 10 s "
        "to stay within requests_per_minute 60"
    ]


def test_a_poll_within_the_budget_keeps_the_interval_and_says_nothing(source, api, caplog):
    PagedAccount(api, 250)
    poller = poller_for(source, {"interval": 10, "requests_per_minute": 60})
    with caplog.at_level(logging.WARNING):
        poll(poller)
    assert poller.last_requests == 3 and poller.next_delay() == 10
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_throttled_poll_doubles_the_pause_and_polls_without_429_bring_it_back(source, api, caplog):
    account = PagedAccount(api, 250, throttle=1)
    poller = poller_for(source, {"interval": 10, "requests_per_minute": 60, "api_retries": 2})
    with caplog.at_level(logging.WARNING):
        assert poll(poller) is not None  # the retry carried the 429
    assert poller.last_requests == 4 and poller.next_delay() == pytest.approx(20.0)
    assert any("HTTP 429" in r.getMessage() and "every 20.0 s" in r.getMessage() for r in caplog.records)
    poll(poller)
    assert poller.next_delay() == 10 and account.requests == 7


def test_no_budget_keeps_the_interval_whatever_a_poll_costs(source, api):
    PagedAccount(api, 2500)
    poller = poller_for(source, {"interval": 10, "requests_per_minute": 0})
    poll(poller)
    assert poller.last_requests == 25 and poller.next_delay() == 10


def test_failed_polls_back_off_from_the_budget_interval(source, api):
    poller = poller_for(source, {"interval": 10, "requests_per_minute": 60})
    poller.last_requests, poller.failures = 25, 1
    assert poller.next_delay() == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("value", "named"),
    [(-1, "requests_per_minute must be more than 0"), ("lots", "requests_per_minute must be a number")],
)
def test_a_bad_budget_is_refused_naming_it(source, value, named):
    with pytest.raises(ValueError, match=named):
        source["settings_from"]({"requests_per_minute": value}, ENV)
