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
