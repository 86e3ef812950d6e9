"""Telling the API's own answers from a web server's, a proxy's or another API's."""

from __future__ import annotations

import pytest
import requests
from ansible_collections.vpsorg.cloud.plugins.module_utils import answers
from hypothesis import given
from hypothesis import strategies as st


def response(status, body, content_type="application/json"):
    made = requests.Response()
    made.status_code = status
    made._content = body.encode() if isinstance(body, str) else body
    if content_type:
        made.headers["Content-Type"] = content_type
    return made


@pytest.mark.parametrize(
    ("status", "body", "content_type", "from_api"),
    [
        (200, '{"id": 1}', "application/json", True),
        (200, '{"id": 1}', "application/json; charset=utf-8", True),
        (200, '{"id": 1}', "application/problem+json", True),
        (200, '{"id": 1}', "Application/JSON", True),
        (200, '{"id": 1}', "application/notjson", False),
        (200, '{"id": 1}', "application/json-seq", False),
        (200, '{"id": 1}', "json", False),
        (200, '{"id": 1}', "text/plain; format=json", False),
        (204, "", None, True),
        (200, "", "application/json", False),
        (200, "<html>hello</html>", "text/html", False),
        (200, '{"id": 1}', "text/html", False),
        (404, "<h1>Not Found</h1>", "text/html", False),
        (200, '{"id": 1', "application/json", False),
        (200, b"\xff\xfe", "application/json", False),
    ],
)
def test_read(status, body, content_type, from_api):
    assert answers.read(response(status, body, content_type)).from_api is from_api


def test_not_the_api_names_the_url_status_type_and_first_bytes():
    answer = answers.read(response(200, "<html>" + "x" * 500, "text/html"))
    message = answers.not_the_api("https://x.test/api/v1", "GET", "/servers/1/", 200, answer)
    assert "api_url https://x.test/api/v1 does not look like the VPS.org API" in message
    assert "HTTP 200" in message and "text/html" in message and "<html>" in message
    assert len(message) < 500


@pytest.mark.parametrize(
    "obj",
    [{"id": 1, "name": "a", "status": "active"}, {"id": 1, "name": "a", "status": "active", "extra": None}],
)
def test_server_shapes(obj):
    assert answers.server_problem(obj) is None


@pytest.mark.parametrize(
    "obj",
    ["<html>", [], {"id": "1", "name": "a", "status": "active"}, {"id": True, "name": "a", "status": "x"}, {"id": 1}],
)
def test_not_server_shapes(obj):
    assert answers.server_problem(obj)


@pytest.mark.parametrize(
    ("page", "ok"),
    [
        ({"count": 0, "next": None, "results": []}, True),
        ({"results": [{"id": 1, "name": "a", "status": "active"}]}, True),
        ({"count": 1, "results": "x"}, False),
        ({"count": -1, "results": []}, False),
        ({"count": 1, "next": 5, "results": []}, False),
        ({"results": [{"id": 1}]}, False),
        ([], False),
    ],
)
def test_page_shapes(page, ok):
    assert (answers.page_problem(page) is None) is ok


def test_scrub_body_reaches_nested_strings_and_keys():
    body = {"detail": "bad SECRET", "SECRET": ["x SECRET"], "n": 1}
    assert answers.scrub_body(body, lambda text: text.replace("SECRET", "***")) == {
        "detail": "bad ***",
        "***": ["x ***"],
        "n": 1,
    }


def nesting(value):
    """Reference: the nesting depth of lists and objects, by plain recursion."""
    if isinstance(value, dict):
        return 1 + max((nesting(child) for child in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((nesting(child) for child in value), default=0)
    return 0


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=2), children, max_size=4),
    max_leaves=40,
)


@given(JSON_VALUES)
def test_depth_counts_nesting_like_plain_recursion(value):
    assert answers._depth(value) == min(nesting(value), answers.MAX_DEPTH + 1)


@pytest.mark.parametrize("levels", [answers.MAX_DEPTH - 1, answers.MAX_DEPTH, answers.MAX_DEPTH + 1, 5000])
def test_answers_nested_deeper_than_the_api_nests_are_not_the_api(levels):
    answer = answers.read(response(200, '{"a": ' * levels + "1" + "}" * levels))
    assert answer.from_api is (levels <= answers.MAX_DEPTH)
    if answer.from_api:
        assert answers._depth(answer.body) == levels


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (200, '{"id": 1}', "Application/JSON; charset=utf-8", ({"id": 1}, True, "application/json", '{"id": 1}')),
        (200, '{"id": 1}', "text/html", ({"id": 1}, False, "text/html", '{"id": 1}')),
        (200, '{"id": 1}', None, ({"id": 1}, False, "", '{"id": 1}')),
        (204, "", None, (None, True, "", "")),
        (200, " ", "text/plain", (None, False, "text/plain", " ")),
        (200, "<p>é</p>", "text/html", (None, False, "text/html", "<p>é</p>")),
        (200, b"\xff{", "application/json", (None, False, "application/json", "\ufffd{")),
        (200, "[" * 40 + "]" * 40, "application/json", (None, False, "application/json", "[" * 40 + "]" * 40)),
    ],
)
def test_read_gives_body_verdict_content_type_and_snippet(status, body, content_type, expected):
    assert tuple(answers.read(response(status, body, content_type))) == expected


@given(token_length=st.integers(min_value=8, max_value=2000), lead=st.integers(min_value=0, max_value=9000))
def test_no_part_of_a_long_token_repeated_in_a_foreign_page_is_quoted(token_length, lead):
    # A JWT-long token echoed many times: masked, the page can shrink below the quote's length,
    # so that whatever stands far into the raw answer is quoted; no cut may leave a token half shown.
    token = ("T0k" * token_length)[:token_length]
    body = "<p>" + "x" * lead + (" " + token) * 12 + "</p>"
    answer = answers.read(response(200, body, "text/html"), lambda text: text.replace(token, "********"))
    assert token[:8] not in answer.snippet


def test_the_snippet_is_scrubbed_then_cut():
    answer = answers.read(response(200, "x" * 115 + "TOKEN" * 3, "text/html"), lambda text: text.replace("TOKEN", "*"))
    assert answer.snippet == "x" * 115 + "***"


@pytest.mark.parametrize(
    ("body", "content_type", "what"),
    [
        ("<html>hi</html>", None, "no content type: '<html>hi</html>'"),
        ("", "text/html", "text/html, empty"),
        ("  ", None, "no content type, empty"),
        ('{"id": 1}', "text/plain", "text/plain: '{\"id\": 1}'"),
    ],
)
def test_not_the_api_says_what_answered(body, content_type, what):
    message = answers.not_the_api(
        "https://x.test/api/v1", "GET", "/servers/", 200, answers.read(response(200, body, content_type))
    )
    assert message == (
        "api_url https://x.test/api/v1 does not look like the VPS.org API: GET /servers/ answered HTTP 200 "
        f"that is not the API's JSON ({what}). Check api_url (it must end in the API's base path, "
        "e.g. https://admin.vps.org/api/v1)"
    )


@pytest.mark.parametrize(
    ("obj", "problem"),
    [
        ([], "a server object was expected, got list"),
        ("<html>", "a server object was expected, got str"),
        ({"id": 1, "name": "a"}, "a server object was expected, but its 'status' is None"),
        ({"id": True, "name": "a", "status": "x"}, "a server object was expected, but its 'id' is True"),
    ],
)
def test_server_problem_wording(obj, problem):
    assert answers.server_problem(obj) == problem


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        ({"results": [[]]}, "a page item is not a server: a server object was expected, got list"),
        ({"results": 1}, "a page of the server list was expected (an object with a 'results' list)"),
        ({"results": [], "count": True}, "the page's 'count' is True, not a number of servers"),
        ({"results": [], "next": 2}, "the page's 'next' is 2, not a link"),
    ],
)
def test_page_problem_wording(page, problem):
    assert answers.page_problem(page) == problem
