"""Connection options and the token, checked without importing requests."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import connection

TOKEN = "tok-SECRET-123"


@pytest.mark.parametrize("token", [TOKEN, f" {TOKEN}\n", f"\t{TOKEN}\r\n"])
def test_surrounding_whitespace_is_not_part_of_the_token(token):
    assert connection.token_problem(token) is None and connection.clean_token(token) == TOKEN


@pytest.mark.parametrize("token", [None, "", " \n", f"{TOKEN}\nmore", f"tok {TOKEN}", f"{TOKEN}é", f"{TOKEN}\x00"])
def test_tokens_no_header_can_carry_are_refused_without_quoting_them(token):
    problem = connection.token_problem(token)
    assert problem and problem.startswith("api_token")
    assert TOKEN not in problem
    with pytest.raises(ValueError) as err:
        connection.clean_token(token)
    assert TOKEN not in str(err.value)


@pytest.mark.parametrize(
    "url",
    ["https://api.test/api/v1", "http://127.0.0.1:8080/api/v1/", " https://api.test/api/v1 ", "https://[::1]:8443/x"],
)
def test_usable_urls(url):
    assert connection.connection_problems(url, 30, 5) == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://api.test",
        "api.test/api/v1",
        "https://",
        "https://api.test/api v1",
        "https://api.test/\x00",
        "https://api.test:port/",
        "https://user:pw@api.test/",
        "https://api.test/?x=1",
        "",
        None,
    ],
)
def test_unusable_urls_are_named(url):
    problems = connection.connection_problems(url, 30, 5)
    assert len(problems) == 1 and problems[0].startswith("api_url")


def test_timeout_and_retries():
    problems = connection.connection_problems("https://api.test", 0, -1)
    assert [problem.split(" ")[0] for problem in problems] == ["api_timeout", "api_retries"]


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://api.test", True),
        ("http://127.0.0.2:80", False),
        ("http://localhost", False),
        ("https://api.test", False),
    ],
)
def test_plain_http_warning(url, warned):
    assert bool(connection.insecure_url_warning(url)) is warned


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://api.test/", "http://api.test"),
        ("http://api.test/X/", "http://api.test/X"),
        (" http://api.test", " http://api.test"),
    ],
)
def test_plain_http_warning_wording(url, shown):
    assert connection.insecure_url_warning(url) == (
        f"api_url {shown} uses plain HTTP to a remote host: the API token is sent unencrypted. Use https://."
    )


@pytest.mark.parametrize(
    "url", ["https://user@api.test/", "https://:pw@api.test/", "https://api.test/#top", "https://api.test/?page=2"]
)
def test_urls_carrying_a_query_fragment_or_credentials_are_refused_without_echoing_them(url):
    assert connection.connection_problems(url, 30, 5) == [
        "api_url must not carry a query, a fragment or credentials, got https://api.test..."
    ]


@pytest.mark.parametrize(("timeout", "retries"), [(1, 0), (0.5, 0), (30, 5)])
def test_the_smallest_timeouts_and_retries_are_usable(timeout, retries):
    assert connection.connection_problems("https://api.test", timeout, retries) == []


def test_timeout_and_retries_wording():
    assert connection.connection_problems("https://api.test", -2, -1) == [
        "api_timeout must be a positive number of seconds, got -2",
        "api_retries must be 0 or more, got -1",
    ]


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        (None, "api_token is empty (set api_token or VPS_API_TOKEN)"),
        (" \t", "api_token is empty (set api_token or VPS_API_TOKEN)"),
        (
            "tok en",
            "api_token contains characters an HTTP header cannot carry (whitespace, control or non-ASCII "
            "characters inside the token); check how the token was stored",
        ),
    ],
)
def test_token_problem_wording(token, problem):
    assert connection.token_problem(token) == problem
    with pytest.raises(ValueError, match=r"^api_token ") as err:
        connection.clean_token(token)
    assert str(err.value) == problem


@pytest.mark.parametrize("token", [42, "a", "~!x"])
def test_any_visible_ascii_token_is_sent_as_text(token):
    assert connection.token_problem(token) is None and connection.clean_token(token) == str(token)
