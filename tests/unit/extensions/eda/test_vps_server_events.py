"""The vps_server_events source: its arguments, and polls through the real client on the simulator in the
test process and on the test's clock (the client's budget; the poll loop's own pauses are asyncio's)."""

from __future__ import annotations

import asyncio
import functools
import importlib.machinery
import importlib.util
import json
import logging
import sys
from pathlib import Path

import pytest
import responses
from hypothesis import given, settings
from hypothesis import strategies as st

HERE = Path(__file__).resolve()
SOURCE = HERE.parents[4] / "extensions/eda/plugins/event_source/vps_server_events.py"
sys.path.insert(0, str(HERE.parents[2] / "plugins" / "modules"))
from module_runner import https_url, session  # noqa: E402

NAME = "vpsorg.cloud.vps_server_events"
OPTIONS = "api_url, api_token, validate_certs, api_timeout, api_retries, interval, filters, initial_snapshot"


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
def poller(source, sim, clock):
    """poller(**args): a poller on the simulator; no request budget unless a test sets one."""

    def make(before=None, **args):
        defaults = {"api_url": https_url(sim), "interval": 1, "api_retries": 0, "requests_per_minute": 0}
        checked = source["settings_from"](dict(defaults, **args), {"VPS_API_TOKEN": sim.token})
        return source["build_poller"](checked, session=session(sim, before=before), clock=clock)

    return make


def poll(poller):
    return asyncio.run(poller.poll())


def lists(sim):
    return [entry for entry in sim.requests() if entry["path"] == "/api/v1/servers/"]


# -- arguments ------------------------------------------------------------------------------------------


def test_defaults_and_environment_fallbacks(source):
    environ = {"VPS_API_TOKEN": "tok", "VPS_API_URL": "http://127.0.0.1:9/api/v1"}
    assert source["settings_from"]({}, environ) == {
        "api_url": "http://127.0.0.1:9/api/v1",
        "api_token": "tok",
        "api_timeout": 30.0,
        "api_retries": 5,
        "interval": 10.0,
        "validate_certs": True,
        "initial_snapshot": False,
        "filters": {},
        "requests_per_minute": 60.0,
    }
    assert source["settings_from"]({}, {"VPS_API_TOKEN": "tok"})["api_url"] == "https://admin.vps.org/api/v1"
    given_ = source["settings_from"]({"api_url": "https://x.test/api/v1", "api_token": "other"}, environ)
    assert (given_["api_url"], given_["api_token"]) == ("https://x.test/api/v1", "other")
    # Numbers and booleans from templated strings; ansible-rulebook's own arguments (feedback, eda_*).
    templated = source["settings_from"](
        {"interval": "2.5", "api_retries": "3", "validate_certs": "false", "initial_snapshot": "yes", "feedback": 1}
        | {"eda_feedback_queue": object()},
        environ,
    )
    assert (templated["interval"], templated["api_retries"], templated["validate_certs"]) == (2.5, 3, False)
    assert templated["initial_snapshot"] is True


# Each argument with a bad value and the sentence that refuses it, in the order they are checked.
BAD = {
    "intervall": (5, f"unknown argument intervall; known: {OPTIONS}, requests_per_minute"),
    "api_token": (12345, "api_token is not set or not a string (set api_token or VPS_API_TOKEN)"),
    "api_retries": (1.5, "api_retries must be an integer, got 1.5"),
    "interval": ("nan", "interval must be a number, got 'nan'"),
    "validate_certs": ("maybe", "validate_certs must be true or false, got 'maybe'"),
    "initial_snapshot": ("sometimes", "initial_snapshot must be true or false, got 'sometimes'"),
    "filters": (
        {"status": "actve", "name": "web"},
        "unsupported filters name; the API filters by status and location; filters.status must be one of active, "
        "provisioning, rebooting, starting, stopped, stopping, suspended, got 'actve'",
    ),
    "api_url": (5, "api_url must be an http:// or https:// URL with a host name, got 5"),
    "api_timeout": (0, "api_timeout must be a positive number of seconds, got 0.0"),
    "requests_per_minute": (-1, "requests_per_minute must be 0 or more, got -1.0"),
}


@settings(derandomize=True, database=None, deadline=None, max_examples=80)
@given(bad=st.lists(st.sampled_from(list(BAD)), min_size=1, unique=True))
def test_every_bad_argument_is_named_at_once(source, bad):
    with pytest.raises(ValueError) as error:
        source["settings_from"]({key: BAD[key][0] for key in bad}, {"VPS_API_TOKEN": "tok"})
    assert str(error.value) == f"{NAME}: " + "; ".join(BAD[key][1] for key in BAD if key in bad)
    # ansible-rulebook lists the frames it finds in __traceback__: an argument error has none to show.
    assert error.value.__traceback__ is None


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"interval": True}, "interval must be a number, got True"),
        ({"interval": float("inf")}, "interval must be a number, got inf"),
        ({"api_retries": "1e400"}, "api_retries must be an integer, got '1e400'"),
        ({"filters": ["status"]}, "filters must be a dictionary, got list"),
        ({"filters": {"location": " "}}, "filters.location must be a non-empty string, got ' '"),
        ({"feedback": True, "feedbak": True}, "unknown argument feedbak"),
    ],
)
def test_odd_values_are_refused_naming_the_argument(source, args, named):
    with pytest.raises(ValueError, match=f"^{NAME}: {named}"):
        source["settings_from"](args, {"VPS_API_TOKEN": "tok"})


@pytest.mark.parametrize("token", [None, "", "  ", "tok\u00e9n-0123456789", "tok en-0123456789", "tok\x00en"])
@pytest.mark.parametrize("from_environment", [False, True])
def test_a_token_that_cannot_be_sent_is_named_with_the_other_problems_and_never_shown(source, token, from_environment):
    args = {"interval": 0} if from_environment else {"interval": 0, "api_token": token}
    environ = {"VPS_API_TOKEN": token} if from_environment and token is not None else {}
    with pytest.raises(ValueError) as error:
        source["settings_from"](args, environ)
    if token is None:
        said = "api_token is not set or not a string (set api_token or VPS_API_TOKEN)"
    elif not token.strip():
        said = "api_token is empty (set api_token or VPS_API_TOKEN)"
    else:
        said = (
            "api_token contains characters an HTTP header cannot carry (whitespace, control or non-ASCII characters "
            "inside the token); check how the token was stored"
        )
    interval = "interval must be a positive number of seconds, got 0.0"
    parts = [said, interval] if token is None else [interval, said]
    assert str(error.value) == f"{NAME}: " + "; ".join(parts)


def test_bad_arguments_fail_main_before_any_request(source, sim):
    with pytest.raises(ValueError, match="interval"):
        asyncio.run(source["main"](asyncio.Queue(), {"api_url": https_url(sim), "api_token": sim.token, "interval": 0}))
    assert sim.requests() == []


# -- polling --------------------------------------------------------------------------------------------


def test_polls_send_events_and_only_the_location_filter_goes_to_the_api(poller, sim, clock):
    sim.seed(1, location="eu-central", status="provisioning")
    sim.seed(1, location="us-west", status="provisioning")
    watcher = poller(filters={"location": "eu-central", "status": "active"})
    assert poll(watcher) == [] and [entry["query"] for entry in lists(sim)] == ["location=eu-central&page_size=100"]
    clock.sleep(3)
    (event,) = poll(watcher)
    assert (event["type"], event["server"]["id"], event["old_status"], event["new_status"]) == (
        "status_changed",
        10001,
        "provisioning",
        "active",
    )
    assert watcher.last_requests == 1


def test_a_disappearing_server_costs_one_confirming_listing(poller, sim):
    sim.seed(2)
    watcher = poller()
    poll(watcher)
    sim.session().delete(f"{sim.api_url}/servers/10002/", headers={"Authorization": f"Bearer {sim.token}"})
    (event,) = poll(watcher)
    assert (event["type"], event["server"]["id"]) == ("deleted", 10002)
    assert watcher.last_requests == 2 and len(lists(sim)) == 3


def test_failed_polls_produce_no_events_and_the_next_success_reports_each_change_once(poller, sim, clock, caplog):
    caplog.set_level(logging.DEBUG)
    sim.seed(2, status="provisioning")
    watcher = poller()
    poll(watcher)
    sim.add_fault(kind="status", status=503, count=2)
    clock.sleep(3)
    assert poll(watcher) is None and poll(watcher) is None
    assert watcher.failures == 2 and watcher.next_delay() == 4
    assert "could not be listed" in caplog.text and "2 failed poll(s) in a row" in caplog.text
    events = poll(watcher)
    assert [(e["type"], e["server"]["id"], e["new_status"]) for e in events] == [
        ("status_changed", 10001, "active"),
        ("status_changed", 10002, "active"),
    ]
    assert "answers again after 2 failed poll(s)" in caplog.text
    assert watcher.failures == 0 and watcher.next_delay() == 1 and poll(watcher) == []


def test_a_failing_confirmation_listing_fails_the_poll_without_a_deleted_event(poller, sim):
    sim.seed(2)
    seen = []

    def gateway_fails_the_confirmation(method, url):
        seen.append(url)
        if len(seen) == 3:
            sim.add_fault(kind="status", status=502, count=1)

    watcher = poller(before=gateway_fails_the_confirmation)
    poll(watcher)
    sim.session().delete(f"{sim.api_url}/servers/10002/", headers={"Authorization": f"Bearer {sim.token}"})
    assert poll(watcher) is None and watcher.watcher.snapshot.keys() == {10001, 10002}


def test_a_short_server_list_is_a_failed_poll_not_a_deletion(poller, sim, caplog):
    # Servers on pages that were not read are not deleted: two short listings in a row (what confirms a
    # deletion) still report nothing and keep the snapshot.
    sim.seed(150)
    watcher = poller()
    poll(watcher)
    sim.short_list(kind="gone", status=404, from_page=2)
    assert poll(watcher) is None and len(watcher.watcher.snapshot) == 150
    assert f"api_url {https_url(sim)}: the server list's pages do not fit together" in caplog.text


@responses.activate
def test_answers_no_api_gives_are_failed_polls(source):
    # A proxy's page answered 200 and a list whose server has no id: the simulator never answers so.
    url = "https://api.test/api/v1/servers/"
    responses.get(
        url, json={"count": 1, "next": None, "previous": None, "results": [{"id": 1, "name": "a", "status": "active"}]}
    )
    responses.get(url, body="<html>proxy</html>", status=200, content_type="text/html")
    responses.get(url, json={"count": 1, "next": None, "previous": None, "results": [{"name": "no id"}]})
    checked = source["settings_from"](
        {"api_url": url.removesuffix("/servers/"), "api_retries": 0}, {"VPS_API_TOKEN": "tok-0123456789"}
    )
    watcher = source["build_poller"](checked)
    assert poll(watcher) == [] and poll(watcher) is None and poll(watcher) is None
    assert watcher.failures == 2 and watcher.watcher.snapshot.keys() == {1}


def test_backoff_doubles_up_to_the_cap(poller):
    watcher = poller(interval=100)
    delays = []
    for failures in range(6):
        watcher.failures = failures
        delays.append(watcher.next_delay())
    assert delays == [100, 200, 300, 300, 300, 300]
    watcher.interval, watcher.failures = 600, 3
    assert watcher.next_delay() == 600


def test_the_token_appears_in_no_log_and_no_event(poller, sim, caplog):
    # An API that repeats the Authorization header in its errors, a 429 that is waited out, a 500 retried.
    caplog.set_level(logging.DEBUG)
    sim.set_modes(echo_token=True)
    sim.seed(1)
    watcher = poller(api_retries=1, initial_snapshot=True)
    events = poll(watcher)
    sim.add_fault(kind="status", status=429, retry_after=1, count=1)
    sim.add_fault(kind="status", status=500, count=2)
    assert poll(watcher) is None
    bad = poller(filters={"location": "mars"})
    assert poll(bad) is None
    sim.session().post(f"{sim.api_url}/servers/10001/stop/", headers={"Authorization": f"Bearer {sim.token}"})
    events += poll(watcher)
    assert [e["type"] for e in events] == ["created", "status_changed"]
    assert "retrying" in caplog.text and "could not be listed" in caplog.text
    assert "request had Authorization: Bearer ********" in caplog.text
    assert sim.token not in caplog.text and sim.token not in json.dumps(events)


def test_an_insecure_url_is_warned_about(source, sim, caplog):
    source["build_poller"](
        source["settings_from"]({"api_url": "http://api.example.com/api/v1"}, {"VPS_API_TOKEN": "t"})
    )
    assert "plain HTTP to a remote host" in caplog.text


def test_main_puts_events_on_the_queue_poll_after_poll(source, sim, clock, monkeypatch):
    monkeypatch.setitem(
        source, "build_poller", functools.partial(source["build_poller"], session=session(sim), clock=clock)
    )
    sim.seed(1)

    async def scenario():
        queue = asyncio.Queue()
        args = {"api_url": https_url(sim), "api_token": sim.token, "interval": 0.02, "api_retries": 0}
        task = asyncio.create_task(source["main"](queue, args))
        # The simulator's control plane runs its own event loop: called from a thread.
        while not await asyncio.to_thread(lists, sim):
            await asyncio.sleep(0.01)
        await asyncio.to_thread(sim.seed, 1, status="provisioning")
        first = await asyncio.wait_for(queue.get(), 5)
        clock.sleep(3)
        second = await asyncio.wait_for(queue.get(), 5)
        task.cancel()
        return first, second

    first, second = asyncio.run(scenario())
    assert (first["type"], second["type"], second["new_status"]) == ("created", "status_changed", "active")


# -- the request budget ------------------------------------------------------------------------------------


def test_a_poll_of_25_pages_under_60_requests_a_minute_starts_every_25_seconds_and_says_so_once(poller, sim, caplog):
    sim.seed(2500)
    watcher = poller(interval=10, requests_per_minute=60)
    with caplog.at_level(logging.WARNING):
        for _poll in range(3):
            assert poll(watcher) is not None
            assert watcher.last_requests == 25 and watcher.next_delay() == pytest.approx(25.0)
    assert len(lists(sim)) == 75
    assert [r.getMessage() for r in caplog.records if "requests_per_minute" in r.getMessage()] == [
        f"{NAME}: a poll sends 25 requests, so polls start every 25.0 s instead of every 10 s to stay within "
        "requests_per_minute 60"
    ]


@pytest.mark.parametrize(("per_minute", "delay"), [(60, 10), (0, 10), (12, 15)])
def test_a_poll_within_the_budget_or_without_one_keeps_the_interval(poller, sim, caplog, per_minute, delay):
    sim.seed(250)
    watcher = poller(interval=10, requests_per_minute=per_minute)
    with caplog.at_level(logging.WARNING):
        poll(watcher)
    assert watcher.last_requests == 3 and watcher.next_delay() == delay
    assert bool([r for r in caplog.records if r.levelno >= logging.WARNING]) is (delay > 10)
    watcher.failures = 1
    assert watcher.next_delay() == 2 * delay


def test_a_throttled_poll_doubles_the_pause_and_polls_without_429_bring_it_back(poller, sim, clock, caplog):
    sim.seed(250)
    sim.add_fault(kind="status", status=429, retry_after=1, count=1)
    watcher = poller(interval=10, requests_per_minute=60)
    with caplog.at_level(logging.WARNING):
        assert poll(watcher) is not None  # the 429 is waited out as asked
    assert watcher.last_requests == 4 and watcher.next_delay() == pytest.approx(20.0) and clock.sleeps[0] == 1
    assert any("HTTP 429" in r.getMessage() and "every 20.0 s" in r.getMessage() for r in caplog.records)
    poll(watcher)
    assert watcher.next_delay() == 10 and len(lists(sim)) == 7


def test_a_retry_after_longer_than_the_budgets_bound_fails_that_poll_at_once_and_polls_back_off(
    poller, sim, clock, caplog
):
    sim.set_modes(echo_token=True)
    sim.seed(1)
    watcher = poller(interval=10)
    poll(watcher)
    sim.add_fault(kind="status", status=429, retry_after=3600, count=1)
    assert poll(watcher) is None and clock.sleeps == []
    assert watcher.failures == 1 and watcher.next_delay() == 40  # failed, and throttled: 10 s x 2 x 2
    logged = caplog.text
    assert "asked: 3600 s) would take 3600 s, more than the 600 s left of the event source's bound for one wait" in (
        logged
    )
    assert "try again after" in logged and sim.token not in logged
    # The API asked for an hour: until it is over no poll sends a request, each fails at once, and polls back off.
    asked = len(sim.requests())
    assert poll(watcher) is None and len(sim.requests()) == asked and watcher.next_delay() == 40
    clock.sleep(3600)
    assert poll(watcher) == [] and watcher.failures == 0 and watcher.next_delay() == 10


def test_a_failed_poll_says_when_the_next_one_starts(poller, sim, caplog):
    watcher = poller(interval=10)
    sim.add_fault(kind="status", status=429, retry_after=3600, count=1)
    assert poll(watcher) is None
    assert caplog.records[-1].getMessage().endswith(f"next try in {watcher.next_delay():.0f} s")
