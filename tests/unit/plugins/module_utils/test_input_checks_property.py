"""Property: the checks of inputs that reach headers, URLs, paths and bodies accept only what is sent intact.

For any text hypothesis draws (control characters, surrounding whitespace, unicode, very long
values), each check either accepts a value that travels exactly as given, or refuses it with a
sentence that names the option and, for the token, never contains it.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
import requests
from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.base_module import name_problem, text_problem
from ansible_collections.vpsorg.cloud.plugins.module_utils.connection import (
    clean_token,
    connection_problems,
    token_problem,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.transport import Transport
from hypothesis import example, given
from hypothesis import strategies as st

# Text that mixes the troublesome characters in on purpose, beside anything else.
HOSTILE_CHARS = st.sampled_from(["\n", "\r", "\t", " ", "\x00", "\x7f", "\x1b", "\u00a0", "\u2028", "é", "\ufeff"])
hostile_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(HOSTILE_CHARS, st.characters(min_codepoint=0x21, max_codepoint=0x7E)), max_size=80).map("".join),
)
VISIBLE_ASCII = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=200)
WHITESPACE = st.text(st.sampled_from(" \t\r\n\x0b\x0c"), max_size=3)
TOKEN_REFUSALS = {token_problem(""), token_problem("a b")}


@given(token=hostile_text)
@example(token="good-token\n")
@example(token="good\ntoken")
@example(token="tok\u00e9n")
def test_a_token_is_sent_as_a_legal_header_or_refused_without_quoting_it(token):
    problem = token_problem(token)
    if problem is None:
        cleaned = clean_token(token)
        assert cleaned == token.strip()
        # What requests checks before sending a header (it raised InvalidHeader quoting the token).
        requests.utils.check_header_validity(("Authorization", f"Bearer {cleaned}"))
        assert not http.client._is_illegal_header_value(f"Bearer {cleaned}".encode("latin-1"))
        assert cleaned.isascii() and not any(char.isspace() for char in cleaned)
    else:
        # The sentence is one of two fixed ones: nothing of the value can be in it.
        assert problem in TOKEN_REFUSALS
        assert problem.startswith("api_token")
        with pytest.raises(ValueError, match=r"^api_token"):
            clean_token(token)


@given(core=VISIBLE_ASCII, before=WHITESPACE, after=WHITESPACE)
def test_surrounding_whitespace_is_not_part_of_the_token(core, before, after):
    assert clean_token(before + core + after) == core


@given(name=hostile_text)
@example(name="web-01\n")
@example(name="web-01\r\n")
@example(name="\nweb-01")
@example(name="a" * 64)
def test_a_name_is_a_dns_label_or_refused_naming_name(name):
    problem = name_problem("name", name)
    valid = 1 <= len(name) <= 63 and all(char.isascii() and (char.isalnum() or char == "-") for char in name)
    assert (problem is None) == valid, (name, problem)
    if problem:
        assert problem.startswith("name ")


@pytest.mark.parametrize(("option", "limit"), [("hostname", 253), ("location", None)])
@given(value=hostile_text)
@example(value="web.example.com\n")
@example(value=" us-west")
@example(value="h" * 254)
def test_hostname_and_location_have_no_control_characters_or_surrounding_space(option, limit, value):
    problem = text_problem(option, value, limit)
    if problem is None:
        assert value == value.strip() and value
        assert not any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)
        assert limit is None or len(value) <= limit
    else:
        assert problem.startswith(option + " ")


@given(api_url=st.one_of(hostile_text, st.builds("https://{}/api/v1{}".format, hostile_text, hostile_text)))
@example(api_url="https://api.test/api/v1\n")
@example(api_url=" https://api.test/api/v1 ")
@example(api_url="https://api.test/api/v1\r\nX-Injected: 1")
@example(api_url="https://[::1/api/v1")
@example(api_url="https://api.test:99999/api/v1")
@example(api_url="https://user:pass@api.test/api/v1")
def test_an_accepted_api_url_is_where_requests_go(api_url):
    problems = connection_problems(api_url, 30, 5)
    if problems:
        assert all(problem.startswith("api_url ") for problem in problems)
        return
    text = api_url.strip()
    assert not any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in text)
    transport = Transport(api_url, "t0ken")
    sent = urlsplit(transport.url(contract.server_path(7)))
    wanted = urlsplit(text)
    assert (sent.scheme, sent.hostname, sent.port) == (wanted.scheme, wanted.hostname, wanted.port)
    assert sent.path.endswith("/servers/7/")
