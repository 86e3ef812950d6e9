"""options.py: option_problems returns every problem at once, each naming its option and never the token;
the checks accept only what travels intact in a header, URL or body; mask() masks every form of the token."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
import requests
from ansible_collections.vpsorg.cloud.plugins.module_utils import contract, options
from ansible_collections.vpsorg.cloud.plugins.module_utils.options import (
    MASK,
    clean_token,
    insecure_url_warning,
    mask,
    option_problems,
    token_problem,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.transport import Transport
from hypothesis import assume, example, given
from hypothesis import strategies as st

SECRET = "tok-SECRET-123"
# option: (values refused, a value accepted); None (not given) is always accepted, except for the token.
OPTIONS = {
    "api_token": ([None, " \n", f"{SECRET} more", f"{SECRET}é", f"{SECRET}\x00"], SECRET),
    "api_url": (
        ["ftp://api.test", "https://", "https://api.test/api v1", "https://user:pw@api.test/", ""],
        "https://a.test/api/v1",
    ),
    "api_retries": ([-1], 0),
    "requests_per_minute": ([-1], 0),
    "api_timeout": ([0, -2], 1),
    "wait_timeout": ([0], 0.5),
    "poll_interval": ([-0.1], 5),
    "interval": ([0], 10),
    "page_size": ([0], 1),
    "id": ([0, contract.MAX_ID + 1], contract.MAX_ID),
    "os_id": ([-3], 1),
    "name": (["a b", "web-01\n", "a" * 64, ""], "a" * 63),
    "hostname": (["", " h", "h\n", "a\x7fb", "x" * 254], "x" * 253),
    "location": (["", "us-west "], "us-west"),
    "concurrency": ([0, 33], 32),
    "page_concurrency": ([65], 64),
    "details_concurrency": ([0], 1),
}


@given(
    order=st.permutations(sorted(OPTIONS)),
    refused=st.dictionaries(st.sampled_from(sorted(OPTIONS)), st.integers(0, 4)),
    checked=st.integers(1, len(OPTIONS)),
)
def test_every_problem_is_returned_at_once_naming_its_option_and_never_the_token(order, refused, checked):
    params = {
        option: bad[refused[option] % len(bad)] if option in refused else good
        for option, (bad, good) in OPTIONS.items()
    }
    names = order[:checked]
    problems = option_problems(params, names)
    assert [option for option, _sentence in problems] == [option for option in names if option in refused]
    for option, sentence in problems:
        assert sentence.startswith(option + " ") and SECRET not in sentence


def test_options_a_module_does_not_have_are_not_checked_and_none_is_not_given():
    assert option_problems({"plan_id": 0, "name": None, "hostname": None}, ["name", "hostname", "location"]) == []
    assert option_problems({"plan_id": 0}, ["plan_id"]) == [
        ("plan_id", f"plan_id must be a positive integer no larger than {contract.MAX_ID}, got 0")
    ]


@pytest.mark.parametrize(
    ("option", "value", "sentence"),
    [
        ("api_retries", -1, "api_retries must be 0 or more, got -1"),
        ("api_timeout", -2, "api_timeout must be a positive number of seconds, got -2"),
        ("page_size", 0, "page_size must be a positive number, got 0"),
        ("concurrency", 33, "concurrency must be between 1 and 32, got 33"),
        ("details_concurrency", 0, "details_concurrency must be between 1 and 64, got 0"),
        ("name", "a b", "name 'a b' is not a valid server name: use 1 to 63 letters, digits and hyphens"),
        ("location", " ", "location must not be empty"),
        ("hostname", " h", "hostname ' h' must not have surrounding whitespace or control characters"),
        ("hostname", "x" * 254, "hostname is 254 characters long; at most 253 are allowed"),
        ("api_url", None, "api_url must be an http:// or https:// URL with a host name, got None"),
        (
            "api_url",
            "https://a.test/\x00",
            "api_url must not contain spaces or control characters, got 'https://a.test/\\x00'",
        ),
        (
            "api_url",
            "https://a.test:port/",
            "api_url is not a valid URL (Port could not be cast to integer value as 'port'), got 'https://a.test:port/'",
        ),
    ],
)
def test_each_problem_in_words(option, value, sentence):
    assert option_problems({option: value}, [option]) == [(option, sentence)]


@pytest.mark.parametrize(
    "url", ["https://user@api.test/", "https://:pw@api.test/", "https://api.test/#top", "https://api.test/?page=2"]
)
def test_an_api_url_with_a_query_fragment_or_credentials_is_refused_without_echoing_them(url):
    assert option_problems({"api_url": url}, ["api_url"]) == [
        ("api_url", "api_url must not carry a query, a fragment or credentials, got https://api.test...")
    ]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://api.test/X/", "http://api.test/X"),
        (" http://api.test", " http://api.test"),
        ("http://127.0.0.2:80", None),
        ("http://localhost", None),
        ("http://[::1]/", None),
        ("https://api.test", None),
        ("http://[::1", None),
    ],
)
def test_plain_http_to_a_remote_host_is_warned_about(url, shown):
    warning = (
        shown and f"api_url {shown} uses plain HTTP to a remote host: the API token is sent unencrypted. Use https://."
    )
    assert insecure_url_warning(url) == warning


# -- what travels in headers, URLs and bodies --------------------------------------------------------

HOSTILE_CHARS = st.sampled_from(["\n", "\r", "\t", " ", "\x00", "\x7f", "\x1b", "\u00a0", "\u2028", "é", "\ufeff"])
hostile_text = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(HOSTILE_CHARS, st.characters(min_codepoint=0x21, max_codepoint=0x7E)), max_size=80).map("".join),
)
VISIBLE_ASCII = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=200)
WHITESPACE = st.text(st.sampled_from(" \t\r\n\x0b\x0c"), max_size=3)


@given(token=hostile_text)
@example(token="good-token\n")
@example(token="good\ntoken")
@example(token=42)
def test_a_token_is_sent_as_a_legal_header_or_refused_in_one_of_two_sentences(token):
    problem = token_problem(token)
    if problem is None:
        cleaned = clean_token(token)
        assert cleaned == str(token).strip() and cleaned.isascii() and not any(c.isspace() for c in cleaned)
        # What requests and http.client check before sending a header (requests would quote the token).
        requests.utils.check_header_validity(("Authorization", f"Bearer {cleaned}"))
        assert not http.client._is_illegal_header_value(f"Bearer {cleaned}".encode("latin-1"))
        return
    assert problem in {token_problem(""), token_problem("a b")}
    with pytest.raises(ValueError) as err:
        clean_token(token)
    assert str(err.value) == problem


@given(core=VISIBLE_ASCII, before=WHITESPACE, after=WHITESPACE)
def test_surrounding_whitespace_is_not_part_of_the_token(core, before, after):
    assert clean_token(before + core + after) == core


@given(name=hostile_text)
@example(name="web-01\n")
@example(name="a" * 64)
def test_a_name_is_a_dns_label_or_refused(name):
    valid = 1 <= len(name) <= 63 and all(char.isascii() and (char.isalnum() or char == "-") for char in name)
    assert (options.name_problem("name", name) is None) is valid


@pytest.mark.parametrize(("option", "limit"), [("hostname", 253), ("location", None)])
@given(value=hostile_text)
@example(value="web.example.com\n")
@example(value="h" * 254)
def test_hostname_and_location_have_no_control_characters_or_surrounding_space(option, limit, value):
    problem = options.text_problem(option, value, limit)
    clean = value == value.strip() != "" and not any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)
    assert (problem is None) is (clean and (limit is None or len(value) <= limit))


@given(api_url=st.one_of(hostile_text, st.builds("https://{}/api/v1{}".format, hostile_text, hostile_text)))
@example(api_url="https://api.test/api/v1\r\nX-Injected: 1")
@example(api_url="https://[::1/api/v1")
@example(api_url="https://api.test:99999/api/v1")
def test_an_accepted_api_url_is_where_requests_go(api_url):
    if option_problems({"api_url": api_url}, ["api_url"]):
        return
    sent, wanted = urlsplit(Transport(api_url, "t0ken").url(contract.server_path(7))), urlsplit(api_url.strip())
    assert (sent.scheme, sent.hostname, sent.port) == (wanted.scheme, wanted.hostname, wanted.port)
    assert sent.path.endswith("/servers/7/") and not any(c.isspace() or ord(c) < 0x20 for c in api_url.strip())


# -- mask ----------------------------------------------------------------------------------------------


@given(core=VISIBLE_ASCII, before=WHITESPACE, after=WHITESPACE, left=st.text(max_size=20), right=st.text(max_size=20))
@example(core=SECRET, before=" ", after="\n", left="a ", right="b")
def test_mask_masks_every_form_of_the_token_and_nothing_else(core, before, after, left, right):
    assume("*" not in core and core not in left + right)
    given_token = before + core + after
    masked = mask(f"{left}{given_token}{right}{core}", [None, core, given_token])
    assert core not in masked and masked.startswith(left) and masked.endswith(MASK)
    assert mask(left + right, [core, given_token]) == left + right


def test_mask_masks_the_form_given_whole_before_the_stripped_one_and_skips_blank_secrets():
    assert mask(f"a {SECRET}\nb {SECRET} c", [SECRET, f" {SECRET}\n"]) == f"a{MASK}b {MASK} c"
    assert mask("a b\tc", [" ", "\t", None]) == "a b\tc" and mask(12, ["1"]) == f"{MASK}2"
