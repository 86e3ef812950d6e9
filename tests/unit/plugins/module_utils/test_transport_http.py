"""The HTTP layer alone: what each request carries, how failures are worded, typed and retried."""

from __future__ import annotations

import json
import random
import re

import pytest
import requests
import responses
from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import (
    AmbiguousRequestError,
    NotTheApiError,
    VpsApiError,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.pacing import PauseGate
from ansible_collections.vpsorg.cloud.plugins.module_utils.transport import Transport
from ansible_collections.vpsorg.cloud.plugins.module_utils.version import COLLECTION_VERSION
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

API = "https://api.test/api/v1"
TOKEN = "tok-SECRET-0123456789"
SERVER = {"id": 1, "name": "web-1", "status": "active"}
AT = f"(api_url {API})"


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def transport(clock, retries=0, **kwargs):
    return Transport(API, TOKEN, retries=retries, sleep=clock.sleep, clock=clock, rng=random.Random(7), **kwargs)


def failed(client, method, path="/servers/1/", body=None):
    with pytest.raises(VpsApiError) as err:
        client.request(method, path, body=body)
    return err.value


def dropped():
    return requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))


def refused():
    reason = NewConnectionError(None, "Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, API, reason=reason))


# -- what every request carries --------------------------------------------------------------


@pytest.mark.parametrize(("validate_certs", "extra"), [(True, None), (False, "awx/24")])
def test_every_request_carries_auth_json_agent_tls_choice_timeout_and_no_redirects(clock, api, validate_certs, extra):
    api.get(API + "/servers/1/", json=SERVER)
    client = transport(clock, validate_certs=validate_certs, timeout=12, user_agent_extra=extra)
    assert client.request("GET", "/servers/1/") == SERVER
    [call] = api.calls
    agent = f"vpsorg.cloud/{COLLECTION_VERSION} ansible-core/{ANSIBLE_VERSION}" + (f" {extra}" if extra else "")
    headers = {name: call.request.headers[name] for name in ("Authorization", "Content-Type", "Accept", "User-Agent")}
    assert headers == {
        "Authorization": f"Bearer {TOKEN}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": agent,
    }
    # requests may swap True for REQUESTS_CA_BUNDLE; False must reach it as False.
    assert (call.request.req_kwargs["verify"] is False) is (not validate_certs)
    assert call.request.req_kwargs["timeout"] == 12
    assert client.request_count == 1


@pytest.mark.parametrize(
    ("api_url", "path", "params", "url"),
    [
        (" https://api.test/api/v1/ ", "/servers/", None, "https://api.test/api/v1/servers/"),
        ("https://api.test/api/v1", "servers/1/", {"page": 2}, "https://api.test/api/v1/servers/1/?page=2"),
        (
            "https://api.test/api/v1",
            "/servers/?page=2",
            {"page_size": 5},
            "https://api.test/api/v1/servers/?page=2&page_size=5",
        ),
        ("https://api.test:8443", "@evil.test/", None, "https://api.test:8443/@evil.test/"),
        ("https://api.test/apiX/", "/X-files/", None, "https://api.test/apiX/X-files/"),
        ("https://api.test", ".evil.test/", {}, "https://api.test/.evil.test/"),
    ],
)
def test_urls_stay_under_api_url(clock, api_url, path, params, url):
    assert Transport(api_url, TOKEN).url(path, params) == url


def test_a_redirect_is_not_followed_and_is_not_the_api(clock, api):
    api.get(API + "/servers/1/", status=302, headers={"Location": "https://elsewhere.test/servers/1/"})
    error = failed(transport(clock, retries=2), "GET")
    assert isinstance(error, NotTheApiError)
    assert error.status == 302 and len(api.calls) == 1


# -- the token is masked in every form it was given ---------------------------------------------


def test_the_token_is_masked_with_and_without_the_whitespace_it_was_given_with():
    client = Transport(API, f" {TOKEN}\n")
    assert client.scrub(f"a {TOKEN}\nb {TOKEN} c") == "a********b ******** c"


def test_an_error_body_is_kept_with_the_token_masked(clock, api):
    api.post(API + "/servers/", status=400, json={"name": [f"echo {TOKEN}"], "detail": "no"})
    error = failed(transport(clock), "POST", "/servers/", {"name": "x"})
    assert error.body == {"name": ["echo ********"], "detail": "no"}
    assert error.failure()["field_errors"] == {"name": "echo ********"}
    assert str(error) == "the API rejected the request: name: echo ********; no (POST /servers/ answered HTTP 400)"


# -- answers that are errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "kwargs", "cls", "text", "detail"),
    [
        (
            "GET",
            503,
            {"json": {"detail": "maintenance"}},
            VpsApiError,
            "the VPS.org API failed with a server error (HTTP 503); try again later: maintenance",
            "maintenance",
        ),
        (
            "POST",
            500,
            {"body": "<h1>oops</h1>", "content_type": "text/html"},
            AmbiguousRequestError,
            "the VPS.org API failed with a server error (HTTP 500); try again later",
            None,
        ),
        (
            "DELETE",
            502,
            {"body": '{"detail": "gateway"}', "content_type": "text/html"},
            AmbiguousRequestError,
            "the VPS.org API failed with a server error (HTTP 502); try again later",
            "gateway",
        ),
        (
            "GET",
            429,
            {"body": "<h1>slow</h1>", "content_type": "text/html"},
            VpsApiError,
            "rate limited by the API and retries are used up",
            None,
        ),
        (
            "POST",
            429,
            {"json": {"detail": "slow"}},
            VpsApiError,
            "rate limited by the API and retries are used up: slow",
            "slow",
        ),
    ],
)
def test_server_errors_and_rate_limits_name_the_status_whatever_the_body(
    clock, api, method, status, kwargs, cls, text, detail
):
    api.add(method, API + "/servers/1/", status=status, **kwargs)
    error = failed(transport(clock), method)
    assert error.__class__ is cls
    assert str(error) == f"{text} {AT} ({method} /servers/1/ answered HTTP {status})"
    assert (error.status, error.method, error.path) == (status, method, "/servers/1/")
    assert error.failure()["detail"] == detail


@pytest.mark.parametrize(("status", "body"), [(300, {"detail": "moved"}), (409, {"detail": "busy"})])
def test_other_statuses_from_300_up_are_errors(clock, api, status, body):
    api.patch(API + "/servers/1/", status=status, json=body)
    error = failed(transport(clock), "PATCH", body={"name": "x"})
    assert error.__class__ is VpsApiError
    assert error.message == f"unexpected answer from the API (HTTP {status}): {body['detail']}"
    assert (error.status, error.method, error.path, error.body) == (status, "PATCH", "/servers/1/", body)


def test_an_answer_that_is_not_the_api_is_named_with_the_token_masked_before_the_cut(clock, api):
    api.get(API + "/servers/1/", status=200, body="x" * 110 + TOKEN, content_type="text/html")
    error = failed(transport(clock), "GET")
    assert error.__class__ is NotTheApiError
    assert (error.status, error.method, error.path, error.reason) == (200, "GET", "/servers/1/", "not_the_api")
    assert str(error) == (
        f"api_url {API} does not look like the VPS.org API: GET /servers/1/ answered HTTP 200 that is not the API's "
        f"JSON (text/html: '{'x' * 110}********'). Check api_url (it must end in the API's base path, "
        "e.g. https://admin.vps.org/api/v1) (GET /servers/1/ answered HTTP 200)"
    )


# -- no answer ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "cause"),
    [
        (requests.exceptions.ReadTimeout("read timed out"), "no answer within 30 s"),
        (
            requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            "TLS certificate verification failed; set validate_certs: false only for a host you trust",
        ),
        (requests.exceptions.SSLError("[SSL: WRONG_VERSION_NUMBER] wrong version"), "TLS handshake failed (SSLError)"),
        (requests.exceptions.ChunkedEncodingError("cut"), "the answer was cut off or garbled (ChunkedEncodingError)"),
        (requests.exceptions.ContentDecodingError("gzip"), "the answer was cut off or garbled (ContentDecodingError)"),
        (dropped(), "connection failed (ConnectionError)"),
        (requests.exceptions.TooManyRedirects("loop"), "connection failed (TooManyRedirects)"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_failures_without_an_answer_name_the_cause_and_whether_a_change_may_have_happened(
    clock, api, failure, cause, method
):
    api.add(method, API + "/servers/1/", body=failure)
    client = transport(clock, timeout=30)
    error = failed(client, method)
    assert client.request_count == 1
    ambiguous = method == "POST" and not isinstance(failure, requests.exceptions.SSLError)
    assert error.__class__ is (AmbiguousRequestError if ambiguous else VpsApiError)
    assert str(error) == f"cannot reach the VPS.org API at {API}: {cause} ({method} /servers/1/ got no answer)"
    assert (error.status, error.method, error.path) == (None, method, "/servers/1/")
    assert error.reason == "no_answer"


def test_a_tls_failure_is_not_retried(clock, api):
    api.get(API + "/servers/1/", body=requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED"))
    client = transport(clock, retries=3)
    failed(client, "GET")
    assert client.request_count == 1 and clock.sleeps == []


@pytest.mark.parametrize(("failure", "name"), [(dropped, "ConnectionError"), (refused, "ConnectionError")])
def test_a_read_without_answer_is_retried_with_a_logged_reason(clock, api, failure, name):
    lines = []
    api.get(API + "/servers/1/", body=failure())
    api.get(API + "/servers/1/", json=SERVER)
    client = transport(clock, retries=2, log=lines.append)
    assert client.request("GET", "/servers/1/") == SERVER
    assert lines == [f"GET /servers/1/: {name}; retrying in {clock.sleeps[0]:.1f} s (retry 1 of 2)"]


@pytest.mark.parametrize("failure", [refused, lambda: requests.exceptions.ConnectTimeout("connect timed out")])
def test_a_change_is_sent_again_when_the_connection_was_never_made(clock, api, failure):
    api.post(API + "/servers/", body=failure())
    api.post(API + "/servers/", status=201, json=SERVER)
    client = transport(clock, retries=1)
    assert client.request("POST", "/servers/", body={"name": "web-1"}) == SERVER
    assert client.request_count == 2
    assert [json.loads(call.request.body) for call in api.calls] == [{"name": "web-1"}] * 2
    assert [call.request.url for call in api.calls] == [API + "/servers/"] * 2


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ({"status": 503, "json": {"detail": "busy"}}, "GET /servers/ answered HTTP 503"),
        ({"body": dropped()}, "GET /servers/: ConnectionError"),
    ],
)
def test_retries_are_counted_in_the_log_and_end_when_used_up(clock, api, answer, why):
    lines = []
    api.get(API + "/servers/", **answer)
    client = transport(clock, retries=2, log=lines.append)
    failed(client, "GET", "/servers/")
    assert [re.sub(r"in \d+\.\d s", "in S s", line) for line in lines] == [
        f"{why}; retrying in S s (retry 1 of 2)",
        f"{why}; retrying in S s (retry 2 of 2)",
    ]
    assert client.request_count == 3 and len(clock.sleeps) == 2


def test_a_change_whose_answer_was_lost_is_never_sent_again_here(clock, api):
    api.post(API + "/servers/", body=dropped())
    client = transport(clock, retries=3)
    error = failed(client, "POST", "/servers/", {"name": "web-1"})
    assert error.__class__ is AmbiguousRequestError
    assert client.request_count == 1 and clock.sleeps == []


def test_defaults_verify_tls_wait_30_s_and_retry_a_read_5_times(clock, api):
    api.get(API + "/servers/", status=503, json={})
    client = Transport(API, TOKEN, sleep=clock.sleep, clock=clock, rng=random.Random(1))
    with pytest.raises(VpsApiError):
        client.request("GET", "/servers/")
    assert client.request_count == 6
    assert {call.request.req_kwargs["verify"] is False for call in api.calls} == {False}
    assert {call.request.req_kwargs["timeout"] for call in api.calls} == {30}


# -- workers and the pause gate -----------------------------------------------------------------


def test_a_worker_has_the_same_settings_its_own_session_and_a_reproducible_jitter(clock, api):
    lines = []
    for _attempt in range(4):
        api.get(API + "/servers/1/", status=503, json={})
    api.get(API + "/servers/1/", json=SERVER)
    clients = [
        Transport(
            API + "/",
            f"{TOKEN} ",
            validate_certs=False,
            timeout=9,
            retries=1,
            user_agent_extra="eda",
            log=lines.append,
            sleep=clock.sleep,
            clock=clock,
            rng=random.Random(3),
        )
        for _copy in range(2)
    ]
    workers = [client.worker() for client in clients]
    assert workers[0].session is not clients[0].session and workers[0].gate is clients[0].gate
    for worker in workers:
        failed(worker, "GET")
    assert workers[0].request("GET", "/servers/1/") == SERVER
    first, second = clock.sleeps
    assert first == second, "workers of equally seeded clients draw the same jitter"
    assert [call.request.req_kwargs["verify"] for call in api.calls] == [False] * 5
    assert [call.request.req_kwargs["timeout"] for call in api.calls] == [9] * 5
    assert {call.request.headers["User-Agent"].rsplit(" ", 1)[1] for call in api.calls} == {"eda"}
    assert {call.request.headers["Authorization"] for call in api.calls} == {f"Bearer {TOKEN}"}
    assert all(call.request.url == API + "/servers/1/" for call in api.calls)
    assert len(lines) == 2 and lines[0].endswith("(retry 1 of 1)")
    assert workers[0].scrub(f"{TOKEN} ") == "********"


def test_a_new_gate_does_not_pause_and_a_short_hold_pauses_exactly_that_long(clock):
    clock.now = 100.0
    gate = PauseGate(clock, clock.sleep)
    gate.wait()
    assert clock.sleeps == []
    gate.hold(0.5)
    gate.wait()
    assert clock.sleeps == [0.5]
