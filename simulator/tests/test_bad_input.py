"""Bad input never yields a 500: each case answers a 4xx with a readable DRF-style body."""

from __future__ import annotations

import json

import pytest

VALID = {"name": "web-01", "plan_id": 1, "os_id": 5, "location": "us-west"}


def with_(**changes) -> dict:
    body = dict(VALID)
    for key, value in changes.items():
        if value is ...:
            body.pop(key)
        else:
            body[key] = value
    return body


# (id, method, path ("{id}" is a real server), body: dict/list/str(raw bytes), status, expected body or key)
CASES = [
    ("missing-name", "POST", "/servers/", with_(name=...), 400, {"name": ["This field is required."]}),
    ("empty-body", "POST", "/servers/", "", 400, "plan_id"),
    ("name-with-space", "POST", "/servers/", with_(name="web 01"), 400, "name"),
    ("name-underscore", "POST", "/servers/", with_(name="web_01"), 400, "name"),
    ("name-blank", "POST", "/servers/", with_(name=""), 400, {"name": ["This field may not be blank."]}),
    ("name-too-long", "POST", "/servers/", with_(name="a" * 64), 400, "name"),
    ("name-number", "POST", "/servers/", with_(name=12), 400, {"name": ["Not a valid string."]}),
    ("name-null", "POST", "/servers/", with_(name=None), 400, {"name": ["This field may not be null."]}),
    (
        "plan-unknown",
        "POST",
        "/servers/",
        with_(plan_id=999),
        400,
        {"plan_id": ['Invalid pk "999" - object does not exist.']},
    ),
    (
        "plan-string",
        "POST",
        "/servers/",
        with_(plan_id="one"),
        400,
        {"plan_id": ["Incorrect type. Expected pk value, received str."]},
    ),
    (
        "plan-bool",
        "POST",
        "/servers/",
        with_(plan_id=True),
        400,
        {"plan_id": ["Incorrect type. Expected pk value, received bool."]},
    ),
    ("plan-float", "POST", "/servers/", with_(plan_id=1.5), 400, "plan_id"),
    ("os-unknown", "POST", "/servers/", with_(os_id=42), 400, {"os_id": ['Invalid pk "42" - object does not exist.']}),
    ("os-list", "POST", "/servers/", with_(os_id=[5]), 400, "os_id"),
    (
        "location-unknown",
        "POST",
        "/servers/",
        with_(location="mars"),
        400,
        {"location": ['"mars" is not a valid choice.']},
    ),
    ("location-number", "POST", "/servers/", with_(location=7), 400, "location"),
    (
        "backups-string",
        "POST",
        "/servers/",
        with_(backups_enabled="yes"),
        400,
        {"backups_enabled": ["Must be a valid boolean."]},
    ),
    ("hostname-invalid", "POST", "/servers/", with_(hostname="-bad-.example"), 400, "hostname"),
    (
        "ssh-key-string",
        "POST",
        "/servers/",
        with_(ssh_key_id="k"),
        400,
        {"ssh_key_id": ["A valid integer is required."]},
    ),
    (
        "body-list",
        "POST",
        "/servers/",
        [VALID],
        400,
        {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]},
    ),
    ("body-malformed", "POST", "/servers/", "{name: web", 400, "detail"),
    ("body-nan", "POST", "/servers/", '{"name": "a", "plan_id": NaN}', 400, "detail"),
    ("body-not-utf8", "POST", "/servers/", b"\xff\xfe{", 400, "detail"),
    ("body-deeply-nested", "POST", "/servers/", "[" * 100000 + "]" * 100000, 400, "detail"),
    ("put-missing-fields", "PUT", "/servers/{id}/", {"name": "x"}, 400, "hostname"),
    (
        "put-plan-change",
        "PUT",
        "/servers/{id}/",
        {"name": "x", "hostname": "x", "backups_enabled": False, "plan_id": 2},
        400,
        "plan_id",
    ),
    ("patch-location", "PATCH", "/servers/{id}/", {"location": "us-east"}, 400, "location"),
    ("patch-os", "PATCH", "/servers/{id}/", {"os_id": 3}, 400, "os_id"),
    ("patch-ssh-key", "PATCH", "/servers/{id}/", {"ssh_key_id": 3}, 400, "ssh_key_id"),
    ("patch-status", "PATCH", "/servers/{id}/", {"status": "active"}, 400, {"status": ["This field is read-only."]}),
    ("patch-id", "PATCH", "/servers/{id}/", {"id": 1}, 400, "id"),
    ("patch-name-null", "PATCH", "/servers/{id}/", {"name": None}, 400, "name"),
    ("patch-body-string", "PATCH", "/servers/{id}/", json.dumps("name"), 400, "non_field_errors"),
    ("id-non-numeric", "GET", "/servers/abc/", None, 404, {"detail": "Not found."}),
    ("id-negative", "GET", "/servers/-1/", None, 404, {"detail": "Not found."}),
    ("id-huge", "GET", "/servers/99999999999999999999999999/", None, 404, {"detail": "Not found."}),
    ("id-huge-action", "POST", "/servers/99999999999999999999999999/start/", None, 404, {"detail": "Not found."}),
    ("page-absurd", "GET", "/servers/?page=1e309", None, 404, {"detail": "Invalid page."}),
    ("form-encoded", "POST", "/servers/", None, 415, "detail"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_bad_input_answers_readable_4xx(api, method, path, body, status, expected):
    server = api.create("target")
    url_path = path.replace("{id}", str(server["id"]))
    kwargs: dict = {}
    if isinstance(body, dict | list):
        kwargs["json"] = body
    elif isinstance(body, str | bytes):
        kwargs["data"] = body.encode() if isinstance(body, str) else body
        kwargs["headers"] = {"Content-Type": "application/json"}
    if status == 415:
        kwargs["data"] = {"name": "web-01"}
    response = api.call(method, url_path, **kwargs)
    assert response.status_code == status, response.text
    payload = response.json()
    if isinstance(expected, dict):
        assert payload == expected
    else:
        assert expected in payload
        assert all(isinstance(messages, list | str) for messages in payload.values())
    assert api.get("/servers/").json()["count"] == 1  # nothing was created by a rejected request


def test_matrix_has_at_least_twenty_cases():
    assert len(CASES) >= 20
