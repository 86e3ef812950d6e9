"""inventory_accounts: the accounts of an inventory file, their tokens, groups and filters."""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.plugin_utils.inventory_accounts import (
    Account,
    accounts,
    as_query,
    excluded,
    filter_list_problems,
    filter_problems,
    group_name,
    parse_api_tokens,
)
from hypothesis import given
from hypothesis import strategies as st

URL = "https://api.test/api/v1"


def test_each_account_takes_its_token_from_the_first_place_that_has_it():
    entries = [
        {"name": "a", "api_token": "tok-a"},
        {"name": "b", "api_token_env": "B_TOKEN", "api_url": "https://b.test/api/v1", "filters": {"status": "x"}},
        {"name": "c"},
    ]
    found, problems, warnings = accounts(
        entries, {"c": "tok-c", "d": "tok-d"}, URL, {"location": "l"}, {"B_TOKEN": "tok-b"}
    )
    assert problems == []
    assert found == [
        Account("a", "tok-a", URL, {"location": "l"}),
        Account("b", "tok-b", "https://b.test/api/v1", {"status": "x"}),
        Account("c", "tok-c", URL, {"location": "l"}),
    ]
    assert warnings == ["api_tokens has a token for d, which is not one of the accounts"]


def test_every_problem_is_named_and_none_quotes_a_token():
    entries = [
        {"name": "a", "api_token": "tok-a", "api_token_env": "A"},
        {"name": "A", "api_token": "bad tok-en"},
        {"name": "b", "api_token_env": "MISSING"},
        {"name": "c", "api_token_env": "1BAD"},
        {"name": "d", "api_token": "tok", "tokn": 1, "api_url": "ftp://x", "filters": {"plan": 2}},
        "e",
        {"api_token": "tok"},
    ]
    found, problems, _warnings = accounts(entries, {}, URL, None, {"MISSING": "  "})
    assert len(found) == 6
    text = "\n".join(problems)
    assert "account a has both api_token and api_token_env; give one" in text
    assert "account A is listed twice (also accounts[0])" in text
    assert "account A: api_token contains characters an HTTP header cannot carry" in text
    assert "account b: the environment variable MISSING (api_token_env) is not set or empty" in text
    assert "account c: api_token_env must name an environment variable, got '1BAD'" in text
    assert "account d has unknown keys tokn; an account takes name, api_token, api_token_env, api_url, filters" in text
    assert "account d: api_url must be an http:// or https:// URL" in text
    assert "account d: unsupported filters plan" in text
    assert "accounts[5] must be a dictionary with a name" in text
    assert "accounts[6].name must be 1 to 63 letters" in text
    assert "tok-a" not in text and "bad tok-en" not in text
    assert accounts([], {}, URL, None, {})[1] == ["accounts must be a non-empty list of accounts, each with a name"]


def test_api_tokens_is_yaml_or_json_and_anything_else_is_refused_unquoted():
    assert parse_api_tokens('{"a": "t1"}') == ({"a": "t1"}, [])
    assert parse_api_tokens("a: t1\nb: 2\n") == ({"a": "t1", "b": "2"}, [])
    assert parse_api_tokens({"a": "t"}) == ({"a": "t"}, [])
    assert parse_api_tokens(None) == ({}, []) and parse_api_tokens("") == ({}, [])
    for text in ("- secret-1", "secret-2", "a: [unclosed", "{1: x}"):
        mapping, problems = parse_api_tokens(text)
        assert mapping == {} and len(problems) == 1 and "secret" not in problems[0]


def test_groups_filters_and_exclusion():
    assert group_name("account_", "customer-a") == "account_customer_a"
    assert filter_problems("filters", {"status": "active", "location": "x"}) == []
    assert filter_problems("filters", "active") == ["filters must be a dictionary"]
    assert filter_list_problems("include_filters", [{}, {"plan": 1}]) == [
        "unsupported include_filters[1] plan; the API filters by status and location"
    ]
    assert filter_list_problems("exclude_filters", {"status": "x"}) == [
        "exclude_filters must be a list of filter dictionaries"
    ]
    assert as_query({"status": "active", "location": None, "a": 1}) == {"a": "1", "status": "active"}
    server = {"status": "stopped", "location": "us-east"}
    assert excluded(server, [{"location": "eu"}, {"status": "stopped", "location": "us-east"}])
    assert not excluded(server, [{"status": "stopped", "location": "eu"}, {}])
    assert not excluded(server, [])


@given(st.dictionaries(st.sampled_from(["status", "location"]), st.sampled_from(["a", "b"])))
def test_a_server_is_excluded_exactly_when_it_matches_every_key_of_a_set(filters):
    server = {"status": "a", "location": "b"}
    expected = bool(filters) and all(server[key] == value for key, value in filters.items())
    assert excluded(server, [filters]) is expected
