"""Error wording and the structured failure modules return."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import (
    AmbiguousRequestError,
    NotTheApiError,
    VpsApiError,
    describe_http_error,
    flatten_drf_errors,
)


def test_failure_separates_detail_and_field_errors():
    body = {"detail": "Nope.", "name": ["Too long.", "Bad."], "non_field_errors": ["Both."]}
    failure = VpsApiError("m", status=400, method="POST", path="/servers/", body=body).failure()
    assert failure == {
        "reason": "http_error",
        "status": 400,
        "method": "POST",
        "path": "/servers/",
        "detail": "Nope.; Both.",
        "field_errors": {"name": "Too long. Bad."},
    }


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (VpsApiError("m", status=402, method="POST", path="/servers/"), "http_error"),
        (VpsApiError("m", method="GET", path="/servers/"), "no_answer"),
        (AmbiguousRequestError("m", method="POST", path="/servers/"), "no_answer"),
        (NotTheApiError("m", status=200, method="GET", path="/servers/"), "not_the_api"),
        (VpsApiError("m", reason="wait_timeout"), "wait_timeout"),
        (VpsApiError("m"), "failed"),
    ],
)
def test_reasons(error, reason):
    assert error.failure()["reason"] == reason


def test_message_names_method_path_and_outcome():
    assert (
        str(VpsApiError("m", status=404, method="GET", path="/servers/1/")) == "m (GET /servers/1/ answered HTTP 404)"
    )
    assert str(VpsApiError("m", method="POST", path="/servers/")) == "m (POST /servers/ got no answer)"


def test_flatten():
    assert flatten_drf_errors({"plan_id": ["Invalid."], "detail": "x"}) == "plan_id: Invalid.; x"
    assert flatten_drf_errors(None) == ""


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ({"id": 1}, "id: 1"),
        ({"count": 0, "detail": "Gone."}, "count: 0; Gone."),
        ({"backups_enabled": [False]}, "backups_enabled: False"),
        ({"detail": None, "name": ["Taken."]}, "name: Taken."),
    ],
)
def test_numbers_and_booleans_in_an_error_body_are_shown(body, sentence):
    assert flatten_drf_errors(body) == sentence


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (400, "rejected"),
        (401, "token"),
        (402, "balance"),
        (403, "not allowed"),
        (404, "server 5 not found"),
        (405, "method"),
        (429, "rate limited"),
        (503, "server error"),
        (418, "unexpected"),
    ],
)
def test_describe(status, words):
    assert words in describe_http_error(status, "/servers/5/", {"detail": "d"})


@pytest.mark.parametrize(
    ("cls", "kwargs", "reason"),
    [
        (VpsApiError, {"status": 402, "method": "POST", "path": "/servers/"}, "http_error"),
        (VpsApiError, {"method": "GET", "path": "/servers/"}, "no_answer"),
        (AmbiguousRequestError, {"method": "POST", "path": "/servers/"}, "no_answer"),
        (NotTheApiError, {"status": 200, "method": "GET", "path": "/servers/"}, "not_the_api"),
        (NotTheApiError, {}, "not_the_api"),
        (VpsApiError, {"reason": "wait_timeout"}, "wait_timeout"),
        (VpsApiError, {}, "failed"),
        (VpsApiError, {"path": "/servers/"}, "failed"),
    ],
)
def test_default_reasons(cls, kwargs, reason):
    # Built inside the test, so the reason is worked out by the code under test.
    assert cls("m", **kwargs).failure()["reason"] == reason


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"method": "GET"}, "m"),
        ({"path": "/servers/1/"}, "m"),
        ({"status": 500}, "m"),
        ({"status": 503, "method": "PATCH", "path": "/servers/1/"}, "m (PATCH /servers/1/ answered HTTP 503)"),
    ],
)
def test_method_and_path_are_named_only_together(kwargs, text):
    error = VpsApiError("m", **kwargs)
    assert str(error) == text
    # Python's own handlers (repr, logging, pickling) read the message from args.
    assert error.args == (text,) and repr(error) == f"VpsApiError({text!r})"


@pytest.mark.parametrize(
    ("status", "path", "body", "message"),
    [
        (400, "/servers/", {"name": ["Too long."]}, "the API rejected the request: name: Too long."),
        (400, "/servers/", None, "the API rejected the request: bad request"),
        (401, "/servers/", {"detail": "Invalid token."}, "API token missing or invalid"),
        (402, "/servers/", {"detail": "Top up."}, "insufficient account balance: Top up."),
        (402, "/servers/", None, "insufficient account balance"),
        (403, "/servers/5/", {"detail": "No."}, "the API token is not allowed to do this: No."),
        (403, "/servers/5/", {}, "the API token is not allowed to do this"),
        (404, "/servers/5/", None, "server 5 not found"),
        (404, "/servers/5/start/", None, "server 5 not found"),
        (404, "/plans/", None, "API resource /plans/ not found"),
        (404, None, None, "API resource None not found"),
        (405, "/servers/5/", {"detail": "x"}, "the API does not allow this method here"),
        (429, "/servers/", {"detail": "Slow down."}, "rate limited by the API and retries are used up: Slow down."),
        (429, "/servers/", None, "rate limited by the API and retries are used up"),
        (500, "/servers/", None, "the VPS.org API failed with a server error (HTTP 500); try again later"),
        (
            502,
            "/servers/",
            "Bad gateway",
            "the VPS.org API failed with a server error (HTTP 502); try again later: Bad gateway",
        ),
        (418, "/servers/", {"detail": "teapot"}, "unexpected answer from the API (HTTP 418): teapot"),
        (409, "/servers/", None, "unexpected answer from the API (HTTP 409)"),
    ],
)
def test_describe_wording(status, path, body, message):
    assert describe_http_error(status, path, body) == message
