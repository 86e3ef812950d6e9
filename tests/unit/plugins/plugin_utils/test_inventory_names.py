"""inventory_names: the hostnames rules, and names shared within one account or across accounts."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.plugin_utils.inventory_names import (
    NameCollisionError,
    Rule,
    across_accounts,
    hostname_rules,
    names,
    uses,
    within_account,
)
from hypothesis import given
from hypothesis import strategies as st

SERVER = {"id": 7, "name": "web-1", "hostname": "", "ip_address": "203.0.113.7", "location": "us-west"}


def rendered(template):
    return {"{{ vps_name }}.example": "web-1.example", "{{ broken }}": None}[template]


def test_without_hostnames_the_older_options_give_one_rule():
    assert hostname_rules(None, "hostname", None) == ([Rule("hostname", None, "")], [])
    assert hostname_rules(None, "template", "{{ vps_name }}") == ([Rule("{{ vps_name }}", None, "")], [])


def test_entries_are_fields_templates_or_dicts_and_every_problem_is_named():
    rules, problems = hostname_rules(
        ["hostname", "{{ vps_name }}.example", {"name": "name", "prefix": "account", "separator": "."}], "name", None
    )
    assert problems == [] and rules[2] == Rule("name", "account", ".")
    assert hostname_rules([{"name": "name"}], "name", None)[0] == [Rule("name", None, "_")]
    _rules, problems = hostname_rules(
        ["nick", {"name": "name", "prefix": "plan", "sep": "-"}, {"name": "", "separator": 1}, 5], "name", None
    )
    assert problems == [
        "hostnames[0] 'nick' is not a server field (name, hostname, ip_address, ipv6_address, id, location, status, "
        "account) nor a template with {{ }}",
        "hostnames[1] has unknown keys sep; use name, prefix, separator",
        "hostnames[1].prefix 'plan' is not a server field (name, hostname, ip_address, ipv6_address, id, location, "
        "status, account) nor a template with {{ }}",
        "hostnames[2].separator must be a string",
        "hostnames[2].name must be a server field (name, hostname, ip_address, ipv6_address, id, location, status, "
        "account) or a template, got ''",
        "hostnames[3] must be a server field (name, hostname, ip_address, ipv6_address, id, location, status, "
        "account) or a template, got 5",
    ]
    assert hostname_rules([], "name", None)[1] and hostname_rules("name", "name", None)[1]


def test_the_first_rule_with_a_value_names_the_server_or_every_one_when_asked():
    rules = [Rule("hostname", None, ""), Rule("{{ broken }}", None, ""), Rule("ip_address", None, "")]
    rules.append(Rule("{{ vps_name }}.example", "account", "."))
    assert names(rules, SERVER, "alpha", rendered) == ["203.0.113.7"]
    assert names(rules, SERVER, "alpha", rendered, every=True) == ["203.0.113.7", "alpha.web-1.example"]
    assert names([Rule("name", "hostname", "-")], SERVER, None, rendered) == ["web-1"]  # an empty prefix is left out
    assert names([Rule("id", "location", "-")], SERVER, None, rendered) == ["us-west-7"]
    assert names([Rule("hostname", None, "")], SERVER, None, rendered) == []
    assert names([Rule("name", None, ""), Rule("name", None, "")], SERVER, None, rendered, every=True) == ["web-1"]
    assert uses(rules, "account") and uses(rules, "ip_address") and not uses(rules, "status")


def test_within_one_account_later_servers_of_a_name_get_their_id():
    found, renamed = within_account([("a", {"id": 1}), ("a", {"id": 2}), ("b", {"id": 3}), ("a", {"id": 4})])
    assert found == ["a", "a_2", "b", "a_4"]
    assert renamed == ["a (id 2, also id 1)", "a (id 4, also id 1)"]


HOSTS = [
    ("web", "alpha", {"id": 1}),
    ("db", "alpha", {"id": 2}),
    ("web", "beta", {"id": 3}),
    ("api", "beta", {"id": 4}),
]


@pytest.mark.parametrize(
    ("rule", "kept", "left_out"),
    [
        ("first", ["web", "db", "api"], ["web of account beta (id 3)"]),
        ("prefix", ["alpha_web", "db", "beta_web", "api"], []),
        ("suffix", ["web_alpha", "db", "web_beta", "api"], []),
    ],
)
def test_across_accounts_each_rule_settles_only_the_names_several_hold(rule, kept, left_out):
    hosts, out = across_accounts(HOSTS, rule)
    assert [host[0] for host in hosts] == kept and out == left_out


def test_across_accounts_fail_names_each_name_and_its_accounts_and_a_rename_never_merges():
    with pytest.raises(NameCollisionError, match=r"web in alpha, beta \(name_collisions"):
        across_accounts(HOSTS, "fail")
    assert across_accounts(HOSTS[:2], "fail") == (HOSTS[:2], [])
    taken = [*HOSTS, ("alpha_web", "beta", {"id": 5})]
    with pytest.raises(NameCollisionError, match=r"alpha_web in alpha, beta \(after name_collisions: prefix\)"):
        across_accounts(taken, "prefix")


accounts_st = st.sampled_from(["a", "b", "c"])
hosts_st = st.lists(st.tuples(st.sampled_from(["web", "db", "a_web", "web_b"]), accounts_st), max_size=12)


@given(hosts_st, st.sampled_from(["fail", "first", "prefix", "suffix"]))
def test_no_rule_ever_gives_two_hosts_one_name_or_loses_a_host_it_does_not_name(pairs, rule):
    # Within an account names are already unique (within_account runs first).
    pairs = list(dict.fromkeys(pairs))
    hosts = [(name, account, {"id": index}) for index, (name, account) in enumerate(pairs)]
    try:
        kept, left_out = across_accounts(hosts, rule)
    except NameCollisionError:
        return
    assert len({host[0] for host in kept}) == len(kept)
    assert len(kept) + len(left_out) == len(hosts)
    assert rule == "first" or not left_out
