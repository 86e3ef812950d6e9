"""transport.py: what each request carries, which answers are sent again and how often, how failures are
worded and typed, and that the token shows in nothing a person reads, even from an API that echoes it.

On the simulator; `foreign` (responses) only for what the real API never answers."""

from __future__ import annotations

import contextlib
import json
import random
import re
import threading

import pytest
import requests
from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
from ansible_collections.vpsorg.cloud.plugins.module_utils import retry
from ansible_collections.vpsorg.cloud.plugins.module_utils.budget import Budget, OutOfTimeError
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import (
    AmbiguousRequestError,
    NotTheApiError,
    VpsApiError,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.transport import Transport
from ansible_collections.vpsorg.cloud.plugins.module_utils.version import COLLECTION_VERSION
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

BODY = {"name": "web-1", "plan_id": 1, "os_id": 5, "location": "us-west"}
FOREIGN_URL = "https://api.test/api/v1"  # the `foreign` fixture's api_url
SECONDS = re.compile(r"in \d+\.\d s")


def failed(call, *args, **kwargs):
    with pytest.raises(VpsApiError) as err:
        call(*args, **kwargs)
    return err.value


def dropped():
    return requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))


def refused():
    reason = NewConnectionError(None, "Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, "https://api.test/", reason=reason))


# -- what every request carries ----------------------------------------------------------------------


@pytest.mark.parametrize(("validate_certs", "extra"), [(True, None), (False, "awx/24")])
def test_every_request_carries_auth_json_agent_tls_choice_timeout_and_no_redirects(
    sim, make_client, monkeypatch, validate_certs, extra
):
    sim.seed(1)
    client = make_client(validate_certs=validate_certs, timeout=12, user_agent_extra=extra)
    session, calls, sent = client.http._shared_session, [], []
    original = session.request
    monkeypatch.setattr(session, "request", lambda *a, **kw: calls.append(kw) or original(*a, **kw))
    session.hooks["response"].append(lambda response, **kw: sent.append(response.request.headers))
    assert client.get_server(10001)["id"] == 10001
    [kwargs], [headers] = calls, sent
    agent = f"vpsorg.cloud/{COLLECTION_VERSION} ansible-core/{ANSIBLE_VERSION}" + (f" {extra}" if extra else "")
    assert {name: headers[name] for name in ("Authorization", "Content-Type", "Accept", "User-Agent")} == {
        "Authorization": f"Bearer {sim.token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": agent,
    }
    # A session-level verify is overridden by REQUESTS_CA_BUNDLE: it goes with each request.
    assert (kwargs["verify"], kwargs["timeout"], kwargs["allow_redirects"]) == (validate_certs, 12, False)
    assert client.http.request_count == client.request_count == 1 == len(sim.requests())


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
def test_urls_stay_under_api_url(api_url, path, params, url):
    assert Transport(api_url, "t0ken").url(path, params) == url


def test_without_a_session_given_each_thread_has_its_own():
    transport, other = Transport("https://api.test", "t0ken"), []
    mine = transport._session()
    thread = threading.Thread(target=lambda: other.append(transport._session()))
    thread.start()
    thread.join(10)
    assert transport._session() is mine and other[0] is not mine


def test_clients_of_several_accounts_on_one_session_each_send_their_own_token(sim, clock):
    """The inventory reads accounts at the same time; a session they share never carries one's token to another."""
    sim.add_account("other-token")
    sim.seed(1, name_prefix="mine")
    sim.seed(1, name_prefix="theirs", token="other-token")
    session, names = sim.session(), {}
    mine = Transport(sim.api_url, sim.token, session=session, budget=Budget(600, clock=clock, sleep=clock.sleep))
    theirs = Transport(sim.api_url, "other-token", session=session, budget=Budget(600, clock=clock, sleep=clock.sleep))
    mine.request("GET", "/servers/")  # the session has now been used with this token
    names["theirs"] = [server["name"] for server in theirs.request("GET", "/servers/")["results"]]
    names["mine"] = [server["name"] for server in mine.request("GET", "/servers/")["results"]]
    assert names == {"theirs": ["theirs-1"], "mine": ["mine-1"]}
    assert "Authorization" not in session.headers


def test_defaults_verify_tls_wait_30_s_and_retry_a_read_5_times(foreign, clock):
    mock = foreign.mock
    mock.get(foreign.url + "/servers/", status=503, json={})
    transport = Transport(foreign.url, foreign.token, budget=Budget(600, clock=clock, sleep=clock.sleep))
    failed(transport.request, "GET", "/servers/")
    assert transport.request_count == 6 == len(clock.sleeps) + 1
    # requests may swap True for REQUESTS_CA_BUNDLE: never False.
    assert {(c.request.req_kwargs["verify"] is False, c.request.req_kwargs["timeout"]) for c in mock.calls} == {
        (False, 30)
    }


# -- 429: waited out as asked, within the deadline ---------------------------------------------------


def test_429_answers_are_waited_out_as_asked_without_using_up_the_retries(sim, make_client, clock):
    sim.seed(1)
    sim.add_fault(kind="status", status=429, retry_after=2, count=4)
    logged = []
    client = make_client(retries=1, log=logged.append)
    assert client.get_server(10001)["id"] == 10001
    assert client.request_count == 5 and client.budget.throttled == 4 and clock.sleeps == [2] * 4
    assert logged == ["GET /servers/10001/ answered HTTP 429 (rate limited) and asked; waiting 2.0 s"] * 4


def test_429_answers_asking_for_no_pause_back_off_longer_each_time_and_end_by_the_deadline(sim, make_client, clock):
    sim.add_fault(kind="status", status=429, retry_after=0, count=500)  # a client that loops ends, and fails
    logged = []
    client = make_client(bound=60, rng=random.Random(5), log=logged.append)
    with pytest.raises(OutOfTimeError) as err:
        client.get_server(10001)
    wait, left = map(
        int,
        re.search(r"asked for no pause: \d+ s\) would take (\d+) s, more than the (\d+) s", str(err.value)).groups(),
    )
    assert client.budget.elapsed() <= 60 and wait > left
    assert 3 < client.request_count == len(clock.sleeps) + 1 < 30
    assert all(0 < s <= retry.BACKOFF_BASE * 2**n for n, s in enumerate(clock.sleeps))
    first = "GET /servers/10001/ answered HTTP 429 (rate limited) and asked for no pause; waiting"
    assert logged[0] == f"{first} {clock.sleeps[0]:.1f} s"


def test_429_answers_without_retry_after_back_off_on_their_own(foreign, clock):
    mock, make = foreign.mock, foreign.make
    for _attempt in range(3):
        mock.get(foreign.url + "/servers/1/", status=429, json={"detail": "slow down"})
    mock.get(foreign.url + "/servers/1/", json={"id": 1, "name": "web-1", "status": "active"})
    logged = []
    client = make(retries=0, log=logged.append)
    assert client.get_server(1)["id"] == 1
    assert len(clock.sleeps) == 3 and client.budget.throttled == 3
    assert [SECONDS.sub("in S s", line) for line in logged] == [
        f"GET /servers/1/ answered HTTP 429 (rate limited) and gave no Retry-After; waiting {s:.1f} s"
        for s in clock.sleeps
    ]


def test_a_429_with_another_request_in_flight_logs_the_fewer_requests_at_a_time(sim, make_client, on_answer):
    sim.seed(1)
    sim.add_fault(kind="status", status=429, retry_after=1, count=1)
    logged = []
    client = make_client(start=2, log=logged.append)
    other = contextlib.ExitStack()
    other.enter_context(client.budget.turn())  # another request of the task, answered with the 429
    on_answer(client, "GET", "/servers/", other.close)
    client.get_server(10001)
    assert logged == [
        "GET /servers/10001/ answered HTTP 429 (rate limited) and asked; waiting 1.0 s; "
        "1 requests at a time from now on"
    ]


# -- 5xx and lost answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "why"),
    [({"kind": "status", "status": 503}, " answered HTTP 503"), ({"kind": "timeout"}, ": ConnectionError")],
)
def test_server_errors_and_lost_reads_use_up_the_retries_each_counted_in_the_log(sim, make_client, clock, fault, why):
    sim.add_fault(count=20, **fault)  # a client that never ends its retries ends, and fails
    logged = []
    client = make_client(retries=2, log=logged.append)
    failed(client.get_server, 10001)
    assert client.request_count == 3 == len(clock.sleeps) + 1
    assert all(0 <= s <= retry.BACKOFF_BASE * 2**n for n, s in enumerate(clock.sleeps))
    assert [SECONDS.sub("in S s", line) for line in logged] == [
        f"GET /servers/10001/{why}; retrying in S s (retry {n} of 2)" for n in (1, 2)
    ]


def test_a_read_retried_after_a_lost_answer_succeeds(sim, make_client):
    sim.seed(1)
    sim.add_fault(kind="drop_after_commit", method="GET", count=2)
    client = make_client(retries=2)
    assert client.get_server(10001)["id"] == 10001 and client.request_count == 3


@pytest.mark.parametrize(
    ("fault", "status", "applied"),
    [
        ({"kind": "drop_after_commit"}, None, True),
        ({"kind": "error_after_commit", "status": 504}, 504, True),
        ({"kind": "status", "status": 502}, 502, False),
        ({"kind": "timeout"}, None, False),
    ],
)
def test_a_change_whose_answer_was_lost_is_ambiguous_and_never_sent_again_here(
    sim, make_client, clock, fault, status, applied
):
    sim.add_fault(method="POST", **fault)
    client = make_client(retries=3)
    error = failed(client.http.request, "POST", "/servers/", body=BODY)
    assert error.__class__ is AmbiguousRequestError and error.status == status
    assert (error.method, error.path) == ("POST", "/servers/")
    assert client.request_count == 1 and clock.sleeps == [] and len(sim.servers()) == applied


@pytest.mark.parametrize("failure", [refused, lambda: requests.exceptions.ConnectTimeout("connect timed out")])
def test_a_change_is_sent_again_when_the_connection_was_never_made(foreign, failure):
    mock, make = foreign.mock, foreign.make
    mock.post(foreign.url + "/servers/", body=failure())
    mock.post(foreign.url + "/servers/", status=201, json={"id": 1, "name": "web-1", "status": "provisioning"})
    client = make(retries=1)
    assert client.http.request("POST", "/servers/", body=BODY)["id"] == 1
    assert [json.loads(call.request.body) for call in mock.calls] == [BODY] * 2


# -- how failures are worded and typed ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "fault", "cls"),
    [
        ("GET", "/servers/10001/", 503, VpsApiError),
        ("DELETE", "/servers/10001/", 502, AmbiguousRequestError),
        ("POST", "/servers/", 500, AmbiguousRequestError),
    ],
)
def test_a_server_error_names_its_status_not_the_gateways_page_and_is_ambiguous_for_a_change(
    sim, make_client, method, path, fault, cls
):
    sim.add_fault(kind="status", status=fault, method=method)
    error = failed(make_client(retries=0).http.request, method, path, body=BODY if method == "POST" else None)
    assert error.__class__ is cls and error.failure()["detail"] is None
    assert str(error) == (
        f"the VPS.org API failed with a server error (HTTP {fault}); try again later (api_url {sim.api_url}) "
        f"({method} {path} answered HTTP {fault})"
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "message", "detail"),
    [
        ("GET", "/servers/99/", None, "server 99 not found", "Not found."),
        ("PATCH", "/servers/", None, "the API does not allow this method here", 'Method "PATCH" not allowed.'),
        ("POST", "/servers/", {**BODY, "plan_id": 99}, 'the API rejected the request: plan_id: Invalid pk "99"', None),
    ],
)
def test_an_api_error_is_a_sentence_with_what_was_asked(sim, make_client, method, path, body, message, detail):
    error = failed(make_client().http.request, method, path, body=body)
    assert error.__class__ is VpsApiError and error.reason == "http_error"
    assert error.message.startswith(message) and str(error).endswith(f"({method} {path} answered HTTP {error.status})")
    assert error.failure()["detail"] == detail and (error.method, error.path) == (method, path)


@pytest.mark.parametrize(
    ("answer", "text", "detail"),
    [
        (
            {"status": 503, "json": {"detail": "maintenance"}},
            "server error (HTTP 503); try again later: maintenance",
            "maintenance",
        ),
        ({"status": 409, "json": {"detail": "busy"}}, "unexpected answer from the API (HTTP 409): busy", "busy"),
        ({"status": 300, "json": {"detail": "moved"}}, "unexpected answer from the API (HTTP 300): moved", "moved"),
        # JSON sent as a gateway's page: kept as the body, not quoted as the API's words.
        (
            {"status": 502, "body": '{"detail": "gateway"}', "content_type": "text/html"},
            f"server error (HTTP 502); try again later (api_url {FOREIGN_URL})",
            "gateway",
        ),
    ],
)
def test_answers_the_api_never_gives_are_still_worded_with_their_status(foreign, answer, text, detail):
    mock, make = foreign.mock, foreign.make
    mock.patch(foreign.url + "/servers/1/", **answer)
    error = failed(make(retries=0).http.request, "PATCH", "/servers/1/", body={"name": "x"})
    assert text in error.message and error.failure()["detail"] == detail and error.status == answer["status"]


@pytest.mark.parametrize(
    ("method", "call", "waiting_for"),
    [
        ("GET", lambda client: client.get_server(10001), "GET /servers/10001/ answered HTTP 503: the retry"),
        ("POST", lambda client: client.create_server(BODY, []), "the change is not visible yet: reading it again"),
    ],
)
def test_a_backoff_longer_than_what_remains_ends_the_task_naming_it(sim, make_client, method, call, waiting_for):
    sim.add_fault(kind="status", status=503, method=method)
    with pytest.raises(OutOfTimeError, match=f"^{waiting_for} would take "):
        call(make_client(bound=0.01, rng=random.Random(1)))


def test_the_token_is_masked_as_given_and_as_sent_and_nothing_else_is():
    transport = Transport(FOREIGN_URL, " t0ken\n")
    assert transport.scrub("a t0ken\nb t0ken c None") == "a********b ******** c None"


def test_a_redirect_is_not_followed_and_is_not_the_api(foreign):
    mock, make = foreign.mock, foreign.make
    mock.get(foreign.url + "/servers/1/", status=302, headers={"Location": "https://elsewhere.test/servers/1/"})
    error = failed(make().get_server, 1)
    assert isinstance(error, NotTheApiError) and error.status == 302 and len(mock.calls) == 1


def test_a_proxy_page_is_named_with_the_token_masked_before_the_cut(foreign):
    mock, make = foreign.mock, foreign.make
    mock.get(foreign.url + "/servers/1/", status=200, body="x" * 110 + foreign.token, content_type="text/html")
    error = failed(make().get_server, 1)
    assert (error.__class__, error.status, error.reason) == (NotTheApiError, 200, "not_the_api")
    assert str(error) == (
        f"api_url {foreign.url} does not look like the VPS.org API: GET /servers/1/ answered HTTP 200 that is not the "
        f"API's JSON (text/html: '{'x' * 110}********'). Check api_url (it must end in the API's base path, "
        "e.g. https://admin.vps.org/api/v1) (GET /servers/1/ answered HTTP 200)"
    )


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
        (requests.exceptions.ConnectionError(), "connection failed (ConnectionError)"),
        (requests.exceptions.TooManyRedirects("loop"), "connection failed (TooManyRedirects)"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_failures_without_an_answer_name_the_cause_and_whether_a_change_may_have_happened(
    foreign, clock, failure, cause, method
):
    mock, make = foreign.mock, foreign.make
    mock.add(method, foreign.url + "/servers/1/", body=failure)
    client = make(retries=0, timeout=30)
    error = failed(client.http.request, method, "/servers/1/")
    ambiguous = method == "POST" and not isinstance(failure, requests.exceptions.SSLError)
    assert error.__class__ is (AmbiguousRequestError if ambiguous else VpsApiError)
    assert str(error) == f"cannot reach the VPS.org API at {foreign.url}: {cause} ({method} /servers/1/ got no answer)"
    assert (error.status, error.reason, client.request_count) == (None, "no_answer", 1)


def test_a_tls_failure_is_not_retried(foreign, clock):
    mock, make = foreign.mock, foreign.make
    mock.get(foreign.url + "/servers/1/", body=requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED"))
    client = make(retries=3)
    failed(client.get_server, 1)
    assert client.request_count == 1 and clock.sleeps == []


# -- the token shows nowhere -------------------------------------------------------------------------


def shown(error, logged):
    """Everything of a failure a person may read: the message, the structured failure, the body, the log."""
    return " ".join(
        [str(error), repr(error), error.message, json.dumps(error.failure()), json.dumps(error.body), *logged]
    )


CALLS = {
    "404": lambda client: client.get_server(99),
    "400 fields": lambda client: client.create_server({**BODY, "name": "no spaces"}, []),
    "400 state": lambda client: client.power(10001, "start"),
    "405": lambda client: client.http.request("PATCH", "/servers/"),
    "402": lambda client: client.create_server({**BODY, "plan_id": 2}, []),
    "503 page": lambda client: client.list_servers(),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("given", ["{}", " {}\n"])
def test_the_token_shows_in_no_error_body_or_log_line_though_the_api_echoes_it(sim, client_at, call, given):
    sim.seed(1)
    sim.set_modes(echo_token=True)
    sim.set_balance(sim.token, 1)
    sim.add_fault(kind="status", status=503, method="GET", path=r"^/api/v1/servers/$")
    logged = []
    error = failed(CALLS[call], client_at(sim.api_url, given.format(sim.token), log=logged.append))
    assert sim.token not in shown(error, logged)
    # The API did echo it: what a person reads has it masked.
    assert "Authorization: Bearer ********" in json.dumps(error.body) or call == "503 page"


def test_a_wrong_token_echoed_back_is_masked_too(sim, client_at):
    sim.set_modes(echo_token=True)
    error = failed(client_at(sim.api_url, "unit-OTHER-token").get_server, 1)
    assert error.status == 401 and "unit-OTHER-token" not in shown(error, [])
    assert error.body == {"detail": "Invalid token. (request had Authorization: Bearer ********)"}
