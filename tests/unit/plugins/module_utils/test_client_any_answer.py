"""Property: whatever stands at api_url answers, the client keeps its promises.

A stub answers every request with statuses, content types, bodies and Retry-After values drawn
by hypothesis (HTML, empty, truncated JSON, JSON of the wrong shape, binary, pages whose `next`
points elsewhere or loops, bodies that echo the token). For every public operation of the client:

- it returns a well-shaped value or raises VpsApiError (or a subclass) with a sentence;
- it never loops (a bounded number of requests, on a clock that only moves when it sleeps);
- every request goes to api_url's own host, so the token never travels anywhere else;
- no message, log line, error body or structured failure contains the token.
"""

from __future__ import annotations

import json
import re

import pytest
import requests
import responses
from ansible_collections.vpsorg.cloud.plugins.module_utils import answers, contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.client import Budget, VpsClient
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from hypothesis import example, given, settings
from hypothesis import strategies as st
from vps_sim.in_process import FakeClock

API = "https://api.test/api/v1"
TOKEN = "tok-SECRET-0123456789abcdef"
# Any request beyond this is a loop: the stub stops it with an error the test reports as such.
RUNAWAY = 400
# Requests one operation may need with api_retries 2 in a task of 60 s (pages, settling reads, polls, 429s).
BOUND = 150


class Runaway(Exception):
    pass


def server_objects():
    good = st.fixed_dictionaries(
        {
            "id": st.integers(1, 50),
            "name": st.sampled_from(["web-1", "web-2", TOKEN]),
            "status": st.sampled_from(["active", "stopped", "provisioning", "stopping", "weird"]),
        },
        optional={"updated_at": st.sampled_from(["t0", "t1"]), "hostname": st.text(max_size=5)},
    )
    wrong = st.fixed_dictionaries(
        {
            "id": st.one_of(st.none(), st.booleans(), st.text(max_size=3), st.floats()),
            "name": st.one_of(st.none(), st.integers()),
            "status": st.one_of(st.none(), st.integers(), st.lists(st.integers(), max_size=2)),
        }
    )
    return st.one_of(good, wrong)


NEXT_LINKS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "?page=2",
            API + "/servers/?page=2",
            API + "/servers/?page=3",
            API + "/servers/?page_size=100",  # the first page again: a loop
            "https://evil.test/api/v1/servers/?page=2",
            "//evil.test/api/v1/servers/?page=2",
            "mailto:@evil.test/servers/",
            "x:.evil.test/servers/",
            "/elsewhere/servers/?page=2",
        ]
    ),
    st.text(max_size=30),
    st.integers(),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def pages():
    return st.fixed_dictionaries(
        {
            "results": st.lists(server_objects(), max_size=3),
            "next": NEXT_LINKS,
            "count": st.one_of(st.none(), st.integers(-5, 10), st.text(max_size=3)),
        }
    )


def bodies():
    def encoded(strategy):
        return strategy.map(lambda value: json.dumps(value).encode())

    return st.one_of(
        st.just(b""),
        st.just(b"<!doctype html><html><head><title>Welcome</title></head><body>It works!</body></html>"),
        encoded(server_objects()),
        encoded(pages()),
        encoded(st.fixed_dictionaries({"detail": st.sampled_from(["Not found.", TOKEN, "x" * 500])})),
        encoded(json_values),
        st.tuples(encoded(pages()), st.integers(1, 60)).map(lambda pair: pair[0][: pair[1]]),
        st.binary(max_size=200),
        # A server that echoes the token at any offset, in HTML or in JSON.
        st.integers(0, 200).map(lambda pad: ("<p>" + "x" * pad + TOKEN + "</p>").encode()),
        st.integers(0, 200).map(lambda pad: json.dumps({"detail": "y" * pad + TOKEN}).encode()),
        st.integers(1, 3000).map(lambda depth: b"[" * depth + b"]" * depth),
    )


answers_strategy = st.fixed_dictionaries(
    {
        "status": st.one_of(
            st.sampled_from([200, 201, 204, 301, 302, 400, 401, 403, 404, 405, 418, 429, 500, 502, 503, 504]),
            st.integers(200, 599),
        ),
        "content_type": st.sampled_from(
            ["application/json", "application/json; charset=utf-8", "text/html; charset=utf-8", "", "text/plain"]
        ),
        "body": bodies(),
        "retry_after": st.one_of(
            st.none(),
            st.sampled_from(["1e308", "-5", "nan", "inf", "99999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"]),
            st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
        ),
    }
)

OPERATIONS = {
    "get_server": lambda client: client.get_server(7),
    "get_server_or_none": lambda client: client.get_server_or_none(7),
    "list_servers": lambda client: client.list_servers(),
    "create_server": lambda client: client.create_server(
        {"name": "web-1", "plan_id": 1, "os_id": 5, "location": "us-west"}, []
    ),
    "update_server": lambda client: client.update_server(7, {"hostname": "h.example.com"}),
    "delete_server": lambda client: client.delete_server(7),
    "power": lambda client: client.power(7, "stop"),
    "wait_for_status": lambda client: client.wait_for_status(7, contract.SETTLED_STATUSES),
}


def secret_parts(token):
    """The token, and for the fixed token its halves: a message cut in an echoed token leaks a half.

    (A drawn token's half could be any word of a message, so only the whole of it is looked for.)
    """
    half = len(token) // 2
    return [token, token[:half], token[half:]] if token == TOKEN else [token]


def run(operation, script, token=TOKEN):
    """Run one operation against the scripted answers; the last answer repeats."""
    seen, logs = [], []
    clock = FakeClock()

    def answer(request):
        seen.append(request)
        if len(seen) > RUNAWAY:
            raise Runaway(f"{len(seen)} requests: the client loops")
        current = script[min(len(seen) - 1, len(script) - 1)]
        headers = {}
        if current["content_type"]:
            headers["Content-Type"] = current["content_type"]
        if current["retry_after"] is not None:
            headers["Retry-After"] = current["retry_after"]
        return current["status"], headers, current["body"]

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            mock.add_callback(method, re.compile(r".*"), callback=answer)
        budget = Budget(60, "wait_timeout (60 s)", clock=clock, sleep=clock.sleep)
        client = VpsClient(API, token, budget=budget, retries=2, log=logs.append, on_partial=logs.append)
        try:
            outcome = OPERATIONS[operation](client)
        except VpsApiError as exc:
            outcome = exc
    return outcome, seen, logs


def check(operation, outcome, seen, logs, token=TOKEN):
    assert len(seen) <= BOUND, f"{operation} sent {len(seen)} requests"
    for request in seen:
        assert requests.utils.urlparse(request.url).hostname == "api.test", f"a request went to {request.url}"
    shown = list(logs)
    if isinstance(outcome, VpsApiError):
        message = str(outcome)
        assert message.strip() and len(message) < 2000, message
        shown += [message, json.dumps(outcome.failure(), default=str), json.dumps(outcome.body, default=str)]
    elif operation in ("get_server", "update_server", "create_server"):
        assert answers.server_problem(outcome) is None, outcome
    elif operation == "list_servers":
        assert all(answers.server_problem(item) is None for item in outcome)
    for text in shown:
        for part in secret_parts(token.strip()):
            assert part not in text, f"the token (or half of it) appears in: {text[:300]!r}"


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@settings(max_examples=60)
@given(script=st.lists(answers_strategy, min_size=1, max_size=4))
@example(script=[{"status": 200, "content_type": "application/json", "body": b"[" * 5000, "retry_after": None}])
def test_any_answer_gives_a_result_or_our_error(operation, script):
    outcome, seen, logs = run(operation, script)
    check(operation, outcome, seen, logs)


def page_with_next(link):
    server = {"id": 1, "name": "web-1", "status": "active"}
    body = json.dumps({"count": 5, "next": link, "results": [server]}).encode()
    return {"status": 200, "content_type": "application/json", "body": body, "retry_after": None}


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.test/api/v1/servers/?page=2",
        "//evil.test/api/v1/servers/?page=2",
        "mailto:@evil.test/servers/",
        "x:.evil.test/servers/",
        "javascript:evil",
    ],
)
@pytest.mark.parametrize("api_url", [API, "https://api.test", "https://api.test/"])
def test_a_next_link_never_takes_the_token_to_another_host(api_url, link):
    seen, last = [], {"count": 1, "next": None, "results": []}

    def answer(request):
        seen.append(request)
        return 200, {}, page_with_next(link)["body"] if len(seen) == 1 else json.dumps(last)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("GET", re.compile(r".*"), callback=answer, content_type="application/json")
        clock = FakeClock()
        budget = Budget(60, clock=clock, sleep=clock.sleep)
        VpsClient(api_url, TOKEN, budget=budget, retries=0, on_partial=lambda warning: None).list_servers()
    # How many pages are read depends on the listing strategy; where they are read does not.
    hosts = [requests.utils.urlparse(request.url).hostname for request in seen]
    assert len(hosts) >= 2 and set(hosts) == {"api.test"}


@given(
    token=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=4, max_size=80).map("tok~".__add__)
)
def test_an_echoed_token_of_any_form_is_never_shown(token):
    script = [
        {"status": 502, "content_type": "text/html", "body": f"<p>{' ' * 100}{token}</p>".encode(), "retry_after": None}
    ]
    outcome, seen, logs = run("get_server", script, token=token + "\n")
    assert isinstance(outcome, VpsApiError)
    check("get_server", outcome, seen, logs, token=token)
