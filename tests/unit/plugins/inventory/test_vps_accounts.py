"""Several accounts in one inventory file, on the simulator in the test process: tokens from three places,
groups, failures of one account, names that collide, the cache per account, hostnames and filters."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleError, AnsibleParserError
from inventory_runner import lists

TOKENS = {"alpha": "alpha-SECRET-token", "beta": "beta-SECRET-token", "gamma-c": "gamma-SECRET-token"}


@pytest.fixture
def accounts(sim, monkeypatch):
    """Three accounts: alpha (web-1, web-2), beta (db-1, active; db-2 stopped... provisioning), gamma-c (web-1).

    alpha's token is given in the file, beta's in BETA_TOKEN, gamma-c's in VPS_API_TOKENS.
    """
    labels = {name: sim.add_account(token) for name, token in TOKENS.items()}
    sim.seed(2, name_prefix="web", token=TOKENS["alpha"], location="us-west")
    sim.seed(1, name_prefix="db", token=TOKENS["beta"], location="eu-central")
    sim.seed(1, name_prefix="cache", token=TOKENS["beta"], location="us-east", status="stopped")
    sim.seed(1, name_prefix="web", token=TOKENS["gamma-c"], location="us-east")
    monkeypatch.setenv("BETA_TOKEN", TOKENS["beta"])
    monkeypatch.setenv("VPS_API_TOKENS", json.dumps({"gamma-c": TOKENS["gamma-c"]}))
    sim.clear_requests()
    return labels


def config(**options):
    entries = [
        {"name": "alpha", "api_token": TOKENS["alpha"]},
        {"name": "beta", "api_token_env": "BETA_TOKEN"},
        {"name": "gamma-c"},
    ]
    return dict({"accounts": entries, "name_collisions": "prefix"}, **options)


def said(run):
    return "\n".join(message for kind in ("v", "vvv", "warning") for message in run.said(kind))


def assert_no_token(text):
    for token in TOKENS.values():
        assert token not in text


def test_every_account_is_read_with_its_own_token_and_its_hosts_carry_the_account(run, sim, accounts):
    run(config(keyed_groups=[{"key": "vps_account", "prefix": "customer"}]))
    assert run.hosts == {"alpha_web-1", "web-2", "db-1", "cache-1", "gamma-c_web-1"}
    assert {host: run.hostvars(host)["vps_account"] for host in run.hosts} == {
        "alpha_web-1": "alpha",
        "web-2": "alpha",
        "db-1": "beta",
        "cache-1": "beta",
        "gamma-c_web-1": "gamma-c",
    }
    assert run.group("account_alpha") == ["alpha_web-1", "web-2"]
    assert run.group("account_gamma_c") == ["gamma-c_web-1"]
    assert run.group("customer_beta") == ["cache-1", "db-1"]
    by_account = {}
    for entry in sim.requests():
        by_account.setdefault(entry["account"], []).append(entry["path"])
    assert by_account == {label: ["/api/v1/servers/"] for label in accounts.values()}
    assert_no_token(said(run))


def test_an_account_s_own_filters_and_url_replace_the_file_s(run, sim, accounts):
    entries = config()["accounts"]
    entries[1] = dict(entries[1], filters={"status": "active"}, api_url=run.url)
    run(config(accounts=entries, filters={"location": "us-west"}, api_url=sim.api_url))
    assert run.hosts == {"web-1", "web-2", "db-1"}
    assert sorted(entry["url"].split("://")[0] for entry in run.seen) == ["http", "http", "https"]
    assert [entry for entry in run.seen if "status=active" in entry["url"]] == [
        entry for entry in run.seen if entry["url"].startswith("https")
    ]


def test_the_group_prefix_is_configurable_and_a_single_account_file_has_no_account(run, sim, accounts):
    run(config(account_group_prefix="tenant_"))
    assert run.group("tenant_beta") == ["cache-1", "db-1"]
    assert "account_beta" not in run.inventory.groups
    run({"api_token": TOKENS["beta"]})
    assert run.hosts == {"db-1", "cache-1"} and "vps_account" not in run.hostvars("db-1")
    assert [group for group in run.inventory.groups if group.startswith("account_")] == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"accounts": [{"name": "a", "api_token": "x"}, {"name": "A", "api_token": "y"}]}, "account A is listed twice"),
        ({"accounts": [{"name": "a", "api_token": "x", "token": "y"}]}, "account a has unknown keys token"),
        ({"accounts": [{"name": "a"}]}, "account a has no token: give api_token, api_token_env"),
        ({"accounts": [{"name": "a", "api_token_env": "UNSET_VAR"}]}, "the environment variable UNSET_VAR"),
        ({"accounts": [{"name": "a", "api_token": "x", "api_token_env": "BETA_TOKEN"}]}, "both api_token and"),
        ({"accounts": [{"name": "-a", "api_token": "x"}]}, "accounts[0].name must be 1 to 63"),
        ({"accounts": [{"name": "a", "api_token": "x", "filters": {"plan": 1}}]}, "a: unsupported filters plan"),
        ({"accounts": [{"name": "a", "api_token": "x", "api_url": "ftp://x"}]}, "account a: api_url must be an http"),
        ({"accounts": []}, "accounts must be a non-empty list"),
        ({"api_token": "x"}, "api_token and accounts cannot be used together"),
        ({"hostnames": ["nickname"]}, "hostnames[0] 'nickname' is not a server field"),
        ({"hostnames": ["ipv6_address"]}, "hostnames: ipv6_address needs fetch_details: true"),
        ({"hostnames": ["name"], "inventory_hostname": "hostname"}, "hostnames replaces inventory_hostname"),
        ({"include_filters": [{"plan": 2}]}, "unsupported include_filters[0] plan"),
        ({"exclude_filters": ["stopped"]}, "exclude_filters[0] must be a dictionary"),
    ],
)
def test_every_problem_of_the_accounts_is_refused_before_any_request(run, sim, accounts, change, problem):
    with pytest.raises(AnsibleParserError) as error:
        run(dict(config(), **change))
    assert problem in str(error.value)
    assert_no_token(str(error.value))
    assert sim.requests() == []


def test_all_problems_come_in_one_error(run, sim, accounts):
    entries = [{"name": "a"}, {"name": "a", "api_token": "x"}, {"name": "b", "api_token_env": "UNSET_VAR"}]
    with pytest.raises(AnsibleParserError) as error:
        run({"accounts": entries, "hostnames": ["nickname"]})
    for problem in ("account a has no token", "account a is listed twice", "UNSET_VAR", "nickname"):
        assert problem in str(error.value)


def test_api_tokens_that_cannot_be_read_are_refused_without_showing_them(run, sim, accounts, monkeypatch):
    monkeypatch.setenv("VPS_API_TOKENS", "- gamma-SECRET-token\n- beta-SECRET-token")
    with pytest.raises(AnsibleParserError) as error:
        run(config())
    assert "api_tokens must be a mapping of account name to token" in str(error.value)
    assert_no_token(str(error.value))
    monkeypatch.setenv("VPS_API_TOKENS", "gamma-c: gamma-SECRET-token\ndelta: beta-SECRET-token")
    run(config())
    assert "api_tokens has a token for delta, which is not one of the accounts" in "\n".join(run.said("warning"))


def test_a_refused_token_fails_the_inventory_naming_the_account_and_never_a_token(run, sim, accounts):
    entries = config()["accounts"]
    entries[0] = {"name": "alpha", "api_token": "alpha-SECRET-wrong"}
    with pytest.raises(AnsibleError) as error:
        run(config(accounts=entries))
    assert "account alpha:" in str(error.value) and "401" in str(error.value)
    assert "beta" not in str(error.value) and "alpha-SECRET-wrong" not in str(error.value)
    assert run.inventory.hosts == {}


def test_with_warn_a_failing_account_is_left_out_whole_and_named(run, sim, accounts):
    entries = config()["accounts"]
    entries[0] = {"name": "alpha", "api_token": "alpha-SECRET-wrong"}
    run(config(accounts=entries, account_failure="warn"))
    assert run.hosts == {"db-1", "cache-1", "web-1"}
    warnings = "\n".join(run.said("warning"))
    assert "left out of the inventory (account_failure: warn): account alpha:" in warnings
    assert "alpha-SECRET-wrong" not in warnings
    assert "account_alpha" not in run.inventory.groups


def test_with_warn_a_partial_listing_leaves_the_account_out_whole(run, sim, accounts):
    sim.seed(5, name_prefix="more", token=TOKENS["beta"])
    sim.short_list(kind="gone", status=410, from_page=2, account=accounts["beta"])
    run(config(account_failure="warn", page_size=2))
    assert run.hosts == {"alpha_web-1", "web-2", "gamma-c_web-1"}
    assert "account beta:" in "\n".join(run.said("warning"))


def test_when_every_account_fails_warn_still_fails(run, sim, accounts):
    entries = [{"name": name, "api_token": f"{name}-wrong"} for name in ("one", "two")]
    with pytest.raises(AnsibleError) as error:
        run({"accounts": entries, "account_failure": "warn"})
    assert "account one:" in str(error.value) and "account two:" in str(error.value)


@pytest.mark.parametrize(
    ("rule", "hosts", "warned"),
    [
        ("first", {"web-1", "web-2", "db-1", "cache-1"}, "web-1 of account gamma-c"),
        ("prefix", {"alpha_web-1", "web-2", "db-1", "cache-1", "gamma-c_web-1"}, None),
        ("suffix", {"web-1_alpha", "web-2", "db-1", "cache-1", "web-1_gamma-c"}, None),
    ],
)
def test_names_held_by_several_accounts_follow_the_chosen_rule(run, sim, accounts, rule, hosts, warned):
    run(config(name_collisions=rule))
    assert run.hosts == hosts
    assert len(run.hosts) == len(hosts)
    if warned:
        assert warned in "\n".join(run.said("warning"))
        assert run.hostvars("web-1")["vps_account"] == "alpha"


def test_names_held_by_several_accounts_fail_by_default_naming_them(run, sim, accounts):
    with pytest.raises(AnsibleError) as error:
        run(dict(config(), name_collisions="fail"))
    assert "web-1 in alpha, gamma-c" in str(error.value)
    with pytest.raises(AnsibleError):
        run({"accounts": config()["accounts"]})


def test_a_warm_cache_sends_no_request_and_changing_one_account_reads_only_it(run, sim, accounts, cached):
    run(config(**cached))
    assert lists(sim) == 3
    run(config(**cached))
    assert lists(sim) == 3 and len(run.hosts) == 5
    assert "vpsorg.cloud.vps: account beta: 2 servers from the inventory cache" in run.said("v")
    entries = config()["accounts"]
    entries[1] = dict(entries[1], filters={"status": "active"})
    run(config(accounts=entries, **cached))
    assert lists(sim) == 4 and sim.requests()[-1]["account"] == accounts["beta"]
    assert "cache-1" not in run.hosts


def test_a_failed_account_is_not_cached(run, sim, accounts, cached):
    entries = config()["accounts"]
    entries[0] = {"name": "alpha", "api_token": "alpha-SECRET-wrong"}
    run(config(accounts=entries, account_failure="warn", **cached))
    entry = run.plugin._cache[run.plugin.get_cache_key(str(run.tmp_path / "test.vps.yml"))]
    assert sorted(entry["accounts"]) == ["beta", "gamma-c"]
    assert_no_token(repr(entry))


def test_hostnames_are_tried_in_order_with_prefix_and_separator(run, sim, accounts):
    hostnames = [{"name": "hostname", "prefix": "account", "separator": "."}]
    run(config(hostnames=hostnames))
    assert "alpha.web-1" in run.hosts and "gamma-c.web-1" in run.hosts
    run({"api_token": TOKENS["beta"], "hostnames": ["ip_address", "{{ vps_name }}-{{ vps_id }}"]})
    stopped = [host for host in run.hosts if run.hostvars(host)["vps_status"] == "stopped"]
    # The stopped server has an address too; a provisioning one would fall through to the template.
    assert all(host == run.hostvars(host)["vps_ip_address"] for host in stopped)


def test_a_server_without_any_hostname_value_is_named_by_its_name(run, sim, accounts):
    sim.seed(1, name_prefix="fresh", token=TOKENS["beta"], status="provisioning")
    run({"api_token": TOKENS["beta"], "hostnames": ["ip_address"]})
    assert "fresh-1" in run.hosts
    assert any("has no ip_address; named by its server name" in message for message in run.said("v"))


def test_allow_duplicated_hosts_adds_a_server_under_every_name(run, sim, accounts):
    run({"api_token": TOKENS["beta"], "hostnames": ["name", "ip_address"], "allow_duplicated_hosts": True})
    db = [host for host in run.hosts if run.hostvars(host)["vps_name"] == "db-1"]
    assert sorted(db) == sorted(["db-1", run.hostvars("db-1")["vps_ip_address"]])
    run({"api_token": TOKENS["beta"], "hostnames": ["name", "ip_address"]})
    assert run.hosts == {"db-1", "cache-1"}


def test_include_filters_add_servers_and_exclude_filters_win(run, sim, accounts):
    base = {"api_token": TOKENS["beta"], "filters": {"location": "eu-central"}}
    run(base)
    assert run.hosts == {"db-1"}
    run(dict(base, include_filters=[{"status": "stopped"}]))
    assert run.hosts == {"db-1", "cache-1"} and lists(sim) == 3
    run(dict(base, include_filters=[{"status": "stopped"}], exclude_filters=[{"status": "stopped", "location": "x"}]))
    assert run.hosts == {"db-1", "cache-1"}
    run(dict(base, include_filters=[{"status": "stopped"}], exclude_filters=[{"location": "us-east"}]))
    assert run.hosts == {"db-1"}
