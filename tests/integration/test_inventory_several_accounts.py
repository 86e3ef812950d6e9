"""vpsorg.cloud.vps with many accounts (`accounts:`): real ansible-inventory runs against the simulator.

Three simulator accounts are opened through the control plane for each test (account-2..4; account-1 is
the token harness.base_env exports as VPS_API_TOKEN, which an `accounts:` file must ignore). The three
tokens come three ways: customer-a's inline in the file, customer-b's from the variable api_token_env
names, customer-c's from VPS_API_TOKENS. Every run is at -vvvv and is searched for all of them.
Expectations are computed from the simulator's own server table (GET /_sim/servers), never from the plugin.
"""

from __future__ import annotations

import json
import secrets
import socket
from dataclasses import dataclass, field

import pytest
import yaml
from compat import plain, plugin_messages, warnings_of
from harness import run_inventory

PLUGIN = "plugin: vpsorg.cloud.vps\n"
LIST_PATH = "/api/v1/servers/"
# Without it ansible-inventory reports a failed source as a warning and exits 0.
FAIL_UNPARSED = {"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"}
B_TOKEN_ENV = "CUSTOMER_B_TOKEN"
NAMES = ("customer-a", "customer-b", "customer-c")
# name -> (name_prefix of its seeded servers, how many)
SEEDS = {"customer-a": ("a-web", 3), "customer-b": ("b-web", 5), "customer-c": ("c-db", 4)}


@dataclass
class Account:
    name: str
    token: str
    label: str  # the simulator's name for it (account-2 ...), as the request log shows it

    @property
    def group(self) -> str:
        return "account_" + self.name.replace("-", "_")


@dataclass
class Accounts:
    sim: object
    by_name: dict
    extra_secrets: set = field(default_factory=set)
    # customer-b's own api_url and options in failing_config (break_customer_b sets them).
    b_url: str = ""
    b_options: dict = field(default_factory=dict)

    def __getitem__(self, name) -> Account:
        return self.by_name[name]

    def __iter__(self):
        return iter(self.by_name.values())

    def servers(self, account, **match) -> list:
        """The simulator's servers of ``account`` (resolved now), optionally matching field values."""
        label = self[account].label
        return [
            server
            for server in self.sim.servers()
            if server["account"] == label and all(server[key] == value for key, value in match.items())
        ]

    def names(self, account, **match) -> set:
        return {server["name"] for server in self.servers(account, **match)}

    def requests(self, name=None) -> list:
        """API requests in the simulator's log, of account ``name`` only when given."""
        entries = self.sim.requests()
        return entries if name is None else [entry for entry in entries if entry["account"] == self[name].label]

    def list_requests(self, name) -> list:
        return [entry for entry in self.requests(name) if entry["method"] == "GET" and entry["path"] == LIST_PATH]

    def read(self, name, way=None) -> bool:
        """Whether account ``name`` was read (a request with a token the simulator does not know, for bad-token;
        nothing reaches the simulator from an unreachable api_url)."""
        if way == "bad-token":
            return any(entry["auth"] == "invalid" for entry in self.requests())
        if way == "unreachable":
            return True
        return bool(self.list_requests(name))


@pytest.fixture
def accts(clean_sim):
    """Three accounts with servers of their own, and two servers in VPS_API_TOKEN's account (never listed)."""
    by_name = {}
    for name in NAMES:
        token = f"{name}-secret-{secrets.token_hex(10)}"
        label = clean_sim.add_account(token)
        prefix, count = SEEDS[name]
        clean_sim.seed(count, token=token, name_prefix=prefix)
        by_name[name] = Account(name, token, label)
    assert [account.label for account in by_name.values()] == ["account-2", "account-3", "account-4"]
    clean_sim.seed(2, name_prefix="demo")
    # customer-b's own api_url in failing_config: the same simulator under another host name, so an error
    # that names the top-level api_url instead of the failing account's is caught.
    return Accounts(clean_sim, by_name, b_url=clean_sim.api_url.replace("127.0.0.1", "localhost"))


def entry(accts, name, **keys) -> dict:
    """The `accounts:` entry of ``name``, its token given the way this suite gives that account's."""
    found = {"name": name}
    if name == "customer-a":
        found["api_token"] = accts[name].token
    elif name == "customer-b":
        found["api_token_env"] = B_TOKEN_ENV
    found.update(keys)
    return found


def config(accts, order=NAMES, entries=None, **options) -> dict:
    """An inventory configuration of the accounts in ``order``; ``entries`` adds keys to an account's entry."""
    entries = entries or {}
    return {"accounts": [entry(accts, name, **entries.get(name, {})) for name in order], **options}


def run(tmp_path, accts, cfg, *, env=None, args=("--list",), name="vps.yml", extra_vars=None):
    """ansible-inventory at -vvvv over ``cfg`` (a dict, or YAML text after the plugin line).

    The listing goes to a file (verbose messages share stdout). Every account token, and any other secret
    the test handed in, must be absent from stdout and stderr; conftest's scan after the test checks again.
    """
    text = cfg if isinstance(cfg, str) else yaml.safe_dump(cfg, sort_keys=False)
    run_env = {
        **FAIL_UNPARSED,
        B_TOKEN_ENV: accts["customer-b"].token,
        "VPS_API_TOKENS": json.dumps({"customer-c": accts["customer-c"].token}),
        **(env or {}),
    }
    output = tmp_path / "inventory.json"
    output.unlink(missing_ok=True)
    result = run_inventory(
        tmp_path,
        PLUGIN + text,
        sim=accts.sim,
        args=(*args, "--output", str(output)),
        env=run_env,
        name=name,
        extra_vars=extra_vars,
        verbosity=4,
    )
    hidden = {account.token for account in accts} | accts.extra_secrets
    result.secrets |= hidden
    leaked = sorted(secret for secret in hidden if secret in result.stdout or secret in result.stderr)
    assert not leaked, f"{len(leaked)} account token(s) appeared in the output of ansible-inventory"
    written = output.read_text() if output.exists() else ""
    result.inventory = json.loads(written) if written.strip() else None
    return result


def hostvars(result) -> dict:
    assert result.inventory is not None, result.output
    return result.inventory["_meta"]["hostvars"]


def group(result, name) -> set:
    return set(result.inventory.get(name, {}).get("hosts", []))


def by_id(result) -> dict:
    """vps_id -> the inventory names that server got."""
    found = {}
    for host, variables in hostvars(result).items():
        found.setdefault(variables["vps_id"], []).append(host)
    return found


def failure(result) -> str:
    """Why the source failed, on one line: the message ansible-inventory reports of the 'auto' plugin, which
    loads the plugin (the plugin's own, or ansible's check of an option's choices). The progress lines at -v
    name every account too, so a test that wants the failure to name one reads this, not the whole output."""
    found = [
        warning.split(" plugin: ", 1)[1]
        for warning in warnings(result)
        if "Failed to parse" in warning and "auto" in warning.split(" plugin: ", 1)[0] and " plugin: " in warning
    ]
    assert found, f"no failure of the plugin reported:\n{result.output}"
    return found[0]


def warnings(result) -> list:
    return [" ".join(warning.split()) for warning in warnings_of(result.output)]


def assert_failed_without_hosts(result):
    assert result.rc != 0, result.output
    assert result.inventory is None or not result.inventory.get("_meta", {}).get("hostvars"), result.inventory
    assert '"vps_id"' not in result.stdout


# --- every account's hosts ------------------------------------------------------------------------------------


def test_hosts_of_every_account_each_with_its_account_var_and_group(accts, tmp_path):
    result = run(tmp_path, accts, config(accts))
    assert result.rc == 0, result.output
    hosts = hostvars(result)
    expected = {name: accts.names(name) for name in NAMES}
    assert set(hosts) == set().union(*expected.values())
    for account in accts:
        assert group(result, account.group) == expected[account.name]
        for host in expected[account.name]:
            assert plain(hosts[host]["vps_account"]) == account.name
        assert accts.list_requests(account.name), f"{account.name} was never listed"
    # The -v progress lines name the account they are about.
    progress = plugin_messages(result.output, "vpsorg.cloud.vps: ")
    assert all(any(name in line for line in progress) for name in NAMES), progress
    # VPS_API_TOKEN (the harness exports account-1's) is ignored once the file has accounts.
    assert not any(host.startswith("demo") for host in hosts)
    assert not [entry for entry in accts.requests() if entry["account"] in (None, "account-1")]


def test_the_account_group_prefix_and_keyed_groups_on_the_account(accts, tmp_path):
    cfg = config(
        accts,
        account_group_prefix="tenant_",
        keyed_groups=[{"key": "vps_account", "prefix": "customer"}],
        groups={"b_only": "vps_account == 'customer-b'"},
    )
    result = run(tmp_path, accts, cfg)
    assert result.rc == 0, result.output
    for account in accts:
        assert group(result, "tenant_" + account.name.replace("-", "_")) == accts.names(account.name)
        assert group(result, "customer_" + account.name.replace("-", "_")) == accts.names(account.name)
        assert account.group not in result.inventory
    assert group(result, "b_only") == accts.names("customer-b")


def test_each_account_lists_with_its_own_filters_or_the_top_level_ones(accts, tmp_path):
    accts.sim.seed(2, token=accts["customer-c"].token, status="stopped", name_prefix="c-off")
    accts.sim.seed(1, token=accts["customer-a"].token, status="stopped", name_prefix="a-off")
    cfg = config(accts, entries={"customer-c": {"filters": {"status": "stopped"}}}, filters={"status": "active"})
    result = run(tmp_path, accts, cfg)
    assert result.rc == 0, result.output
    assert set(hostvars(result)) == (
        accts.names("customer-a", status="active")
        | accts.names("customer-b", status="active")
        | accts.names("customer-c", status="stopped")
    )
    assert {entry["query"].count("status=stopped") for entry in accts.list_requests("customer-c")} == {1}
    assert all("status=active" in entry["query"] for entry in accts.list_requests("customer-a"))


def test_the_account_variable_follows_hostvars_prefix(accts, tmp_path):
    cfg = config(accts, hostvars_prefix="cloud_", keyed_groups=[{"key": "cloud_account", "prefix": "by"}])
    result = run(tmp_path, accts, cfg)
    assert result.rc == 0, result.output
    hosts = hostvars(result)
    assert all(plain(hosts[host]["cloud_account"]) == "customer-c" for host in accts.names("customer-c"))
    assert not any("vps_account" in variables for variables in hosts.values())
    assert group(result, "by_customer_a") == accts.names("customer-a")


def test_an_account_token_templated_from_extra_vars(accts, tmp_path):
    cfg = config(accts)
    cfg["accounts"][0]["api_token"] = "{{ customer_a_token }}"
    result = run(tmp_path, accts, cfg, extra_vars={"customer_a_token": accts["customer-a"].token})
    assert result.rc == 0, result.output
    assert group(result, "account_customer_a") == accts.names("customer-a")


def test_api_token_then_api_token_env_then_api_tokens(accts, tmp_path):
    # api_tokens names a wrong token for customer-a and customer-b: their own api_token / api_token_env win.
    wrong = {name: f"{name}-wrong-secret-{secrets.token_hex(10)}" for name in ("customer-a", "customer-b")}
    accts.extra_secrets.update(wrong.values())
    tokens = json.dumps({**wrong, "customer-c": accts["customer-c"].token})
    result = run(tmp_path, accts, config(accts), env={"VPS_API_TOKENS": tokens})
    assert result.rc == 0, result.output
    for account in accts:
        assert group(result, account.group) == accts.names(account.name)
    assert not [entry for entry in accts.requests() if entry["auth"] != "ok"]


def test_a_single_account_file_is_unchanged(accts, tmp_path):
    result = run(tmp_path, accts, "page_size: 50\n")
    assert result.rc == 0, result.output
    hosts = hostvars(result)
    assert set(hosts) == {"demo-1", "demo-2"}
    assert not any("vps_account" in variables for variables in hosts.values())
    assert not any(name.startswith("account_") for name in result.inventory)


def test_tokens_from_a_yaml_mapping_in_vps_api_tokens_and_a_warning_for_a_name_no_account_has(accts, tmp_path):
    ghost = f"ghost-secret-{secrets.token_hex(10)}"
    accts.extra_secrets.add(ghost)
    tokens = f"customer-c: {accts['customer-c'].token}\nghost-account: {ghost}\n"
    result = run(tmp_path, accts, config(accts), env={"VPS_API_TOKENS": tokens})
    assert result.rc == 0, result.output
    assert group(result, "account_customer_c") == accts.names("customer-c")
    assert any("ghost-account" in warning for warning in warnings(result)), result.output


def test_api_tokens_in_the_file_give_every_account_its_token(accts, tmp_path):
    mapping = json.dumps({account.name: account.token for account in accts})
    cfg = {"accounts": [{"name": name} for name in NAMES], "api_tokens": mapping}
    result = run(tmp_path, accts, cfg, env={"VPS_API_TOKENS": None, B_TOKEN_ENV: None})
    assert result.rc == 0, result.output
    for account in accts:
        assert group(result, account.group) == accts.names(account.name)


# --- one account failing ---------------------------------------------------------------------------------------

WAYS = ("bad-token", "server-error", "partial-listing", "timeout", "unreachable")


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


def break_customer_b(accts, way) -> dict:
    """Make customer-b's reading fail ``way``; returns the env the run needs for it."""
    b = accts["customer-b"]
    if way == "timeout":
        # Every list request of customer-b is held unanswered longer than api_timeout.
        accts.sim.add_fault(kind="timeout", seconds=30, path=f"^{LIST_PATH}$", account=b.label)
        accts.b_options = {"api_timeout": 1}
        return {}
    if way == "unreachable":
        accts.b_url = closed_port_url()
        return {}
    if way == "bad-token":
        wrong = f"customer-b-wrong-secret-{secrets.token_hex(10)}"
        accts.extra_secrets.add(wrong)
        return {B_TOKEN_ENV: wrong}
    if way == "server-error":
        # More 502s than api_retries can outlast (1 retry per request, page 1 and any re-read).
        accts.sim.add_fault(kind="status", status=502, count=200, path=f"^{LIST_PATH}$", account=b.label)
        return {}
    # Pages 2 and later of customer-b's list are gone while page 1 keeps its count, however often it is read.
    accts.sim.short_list(kind="gone", status=410, from_page=2, account=b.label)
    return {}


def failing_config(accts, **options) -> dict:
    options = {"page_size": 2, "api_retries": 1, **accts.b_options, **options}
    return config(accts, entries={"customer-b": {"api_url": accts.b_url}}, **options)


@pytest.mark.parametrize("way", WAYS)
def test_a_failing_account_fails_the_inventory_naming_it_and_its_api_url(accts, tmp_path, way):
    env = break_customer_b(accts, way)
    result = run(tmp_path, accts, failing_config(accts), env=env)
    assert_failed_without_hosts(result)
    said = failure(result)
    assert "customer-b" in said, said
    assert accts.b_url in said, said
    assert accts.read("customer-b", way), "customer-b was never read"


@pytest.mark.parametrize("way", WAYS)
def test_a_failing_account_under_warn_adds_none_of_its_hosts_and_all_of_the_others(accts, tmp_path, way):
    env = break_customer_b(accts, way)
    result = run(tmp_path, accts, failing_config(accts, account_failure="warn"), env=env)
    assert result.rc == 0, result.output
    hosts = hostvars(result)
    assert set(hosts) == accts.names("customer-a") | accts.names("customer-c")
    assert not accts.names("customer-b") & set(hosts)
    assert not any(plain(variables.get("vps_account")) == "customer-b" for variables in hosts.values())
    assert not group(result, "account_customer_b")
    assert group(result, "account_customer_a") == accts.names("customer-a")
    assert group(result, "account_customer_c") == accts.names("customer-c")
    named = [warning for warning in warnings(result) if "customer-b" in warning]
    assert named, result.output
    assert not [warning for warning in named if "customer-a" in warning or "customer-c" in warning], named
    if way == "partial-listing":
        # Page 1 of customer-b was read (its servers were in hand): still none of them is added.
        assert any("page=2" in entry["query"] for entry in accts.list_requests("customer-b"))


def test_every_account_failing_fails_the_inventory_even_under_warn(accts, tmp_path):
    accts.sim.add_fault(kind="status", status=502, count=500, path=f"^{LIST_PATH}$")
    result = run(tmp_path, accts, config(accts, account_failure="warn", api_retries=0))
    assert_failed_without_hosts(result)
    said = failure(result)
    assert all(name in said for name in NAMES), said


def test_a_failing_account_under_echo_mode_keeps_every_token_out_of_the_output(accts, tmp_path):
    # Error answers repeat the request's Authorization header: the bad token and the good ones are masked.
    accts.sim.set_modes(echo_token=True)
    env = break_customer_b(accts, "bad-token")
    accts.sim.add_fault(kind="status", status=502, count=200, account=accts["customer-c"].label)
    for mode in ("fail", "warn"):
        result = run(tmp_path / mode, accts, config(accts, account_failure=mode, api_retries=0), env=env)
        if mode == "warn":
            assert result.rc == 0, result.output
            assert set(hostvars(result)) == accts.names("customer-a")
        else:
            assert_failed_without_hosts(result)


# --- names colliding across accounts ----------------------------------------------------------------------------


@pytest.fixture
def colliding(accts):
    """web-1 in customer-a and in customer-b (customer-a's has the lower id); customer-c holds none."""
    accts.sim.seed(1, token=accts["customer-a"].token, name_prefix="web")
    accts.sim.seed(1, token=accts["customer-b"].token, name_prefix="web")
    return accts


def web_ids(accts) -> dict:
    return {name: accts.servers(name, name="web-1")[0]["id"] for name in ("customer-a", "customer-b")}


def unchanged(accts) -> set:
    return {name for account in NAMES for name in accts.names(account) if name != "web-1"}


def test_colliding_names_fail_by_default_naming_the_name_and_both_accounts(colliding, tmp_path):
    result = run(tmp_path, colliding, config(colliding))
    assert_failed_without_hosts(result)
    said = failure(result)
    assert "web-1" in said and "customer-a" in said and "customer-b" in said, said


@pytest.mark.parametrize("order", [NAMES, ("customer-b", "customer-c", "customer-a")], ids=["a-first", "b-first"])
def test_first_keeps_the_host_of_the_account_listed_first_and_names_the_other(colliding, tmp_path, order):
    result = run(tmp_path, colliding, config(colliding, order=order, name_collisions="first"))
    assert result.rc == 0, result.output
    hosts = hostvars(result)
    ids = web_ids(colliding)
    kept, left_out = ("customer-a", "customer-b") if order[0] == "customer-a" else ("customer-b", "customer-a")
    assert hosts["web-1"]["vps_id"] == ids[kept]
    assert plain(hosts["web-1"]["vps_account"]) == kept
    assert set(hosts) == unchanged(colliding) | {"web-1"}
    assert ids[left_out] not in by_id(result)
    assert group(result, "account_" + left_out.replace("-", "_")) == colliding.names(left_out) - {"web-1"}
    assert any(left_out in warning and str(ids[left_out]) in warning for warning in warnings(result)), result.output


@pytest.mark.parametrize("rule", ["prefix", "suffix"])
def test_prefix_and_suffix_rename_every_colliding_host_and_no_other(colliding, tmp_path, rule):
    result = run(tmp_path, colliding, config(colliding, name_collisions=rule))
    assert result.rc == 0, result.output
    hosts = hostvars(result)
    ids = web_ids(colliding)
    renamed = {name: (f"{name}_web-1" if rule == "prefix" else f"web-1_{name}") for name in ids}
    assert set(hosts) == unchanged(colliding) | set(renamed.values())
    assert "web-1" not in hosts
    for name, host in renamed.items():
        assert hosts[host]["vps_id"] == ids[name]
        assert plain(hosts[host]["vps_account"]) == name
        assert host in group(result, "account_" + name.replace("-", "_"))


def test_a_name_held_by_three_accounts_is_renamed_in_all_three(colliding, tmp_path):
    colliding.sim.seed(1, token=colliding["customer-c"].token, name_prefix="web")
    result = run(tmp_path, colliding, config(colliding, name_collisions="prefix"))
    assert result.rc == 0, result.output
    assert {f"{name}_web-1" for name in NAMES} <= set(hostvars(result))
    assert "web-1" not in hostvars(result)


def test_same_named_servers_of_one_account_keep_the_id_rule_and_do_not_collide(accts, tmp_path):
    a = accts["customer-a"]
    accts.sim.seed(1, token=a.token, name_prefix="dup")
    accts.sim.seed(1, token=a.token, name_prefix="dup")
    first, second = sorted(server["id"] for server in accts.servers("customer-a", name="dup-1"))
    result = run(tmp_path, accts, config(accts))
    assert result.rc == 0, result.output
    hosts = hostvars(result)
    assert hosts["dup-1"]["vps_id"] == first
    assert hosts[f"dup-1_{second}"]["vps_id"] == second
    assert plain(hosts[f"dup-1_{second}"]["vps_account"]) == "customer-a"
    assert "customer-a_dup-1" not in hosts and "dup-1_customer-a" not in hosts


# --- tokens ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("way", [None, *WAYS])
def test_no_token_of_any_account_in_stdout_or_stderr_at_vvvv(accts, tmp_path, way):
    env = break_customer_b(accts, way) if way else {}
    for mode in ("fail", "warn"):
        result = run(tmp_path / mode, accts, failing_config(accts, account_failure=mode), env=env)
        # run() asserts the tokens are absent; the run did read every account.
        assert (result.rc == 0) == (way is None or mode == "warn"), result.output
        for account in accts:
            assert accts.read(account.name, way if account.name == "customer-b" else None), account.name


# --- hostnames ---------------------------------------------------------------------------------------------------


@pytest.fixture
def fresh(accts):
    """customer-a also has fresh-1, still provisioning: no ip_address."""
    accts.sim.set_timings(provision_delay=3600)
    accts.sim.seed(1, token=accts["customer-a"].token, status="provisioning", name_prefix="fresh")
    return accts


def every_server(accts) -> list:
    return [server for name in NAMES for server in accts.servers(name)]


def test_hostnames_with_the_account_as_prefix_and_a_separator(accts, tmp_path):
    cfg = config(accts, hostnames=[{"name": "name", "prefix": "account", "separator": "."}])
    result = run(tmp_path, accts, cfg)
    assert result.rc == 0, result.output
    expected = {f"{name}.{server}" for name in NAMES for server in accts.names(name)}
    assert set(hostvars(result)) == expected
    assert "customer-b.b-web-2" in group(result, "account_customer_b")


def test_hostnames_prefix_separator_defaults_to_underscore_and_templates_see_the_account(accts, tmp_path):
    cfg = config(accts, hostnames=[{"name": "{{ vps_name }}-x", "prefix": "{{ vps_account }}"}])
    result = run(tmp_path, accts, cfg)
    assert result.rc == 0, result.output
    assert set(hostvars(result)) == {f"{name}_{server}-x" for name in NAMES for server in accts.names(name)}


def test_hostnames_fall_back_in_order_and_finally_to_the_name(fresh, tmp_path):
    result = run(tmp_path, fresh, config(fresh, hostnames=["ip_address", "name"]))
    assert result.rc == 0, result.output
    expected = {server["ip_address"] or server["name"] for server in every_server(fresh)}
    assert "fresh-1" in expected and set(hostvars(result)) == expected
    # No entry gives a value: the server's name.
    only_ip = run(tmp_path / "only-ip", fresh, config(fresh, hostnames=["ip_address"]))
    assert only_ip.rc == 0, only_ip.output
    assert set(hostvars(only_ip)) == expected
    # An empty prefix value: the name alone, without the separator.
    prefixed = run(tmp_path / "prefix", fresh, config(fresh, hostnames=[{"name": "name", "prefix": "ip_address"}]))
    assert prefixed.rc == 0, prefixed.output
    assert set(hostvars(prefixed)) == {
        f"{server['ip_address']}_{server['name']}" if server["ip_address"] else server["name"]
        for server in every_server(fresh)
    }


def test_allow_duplicated_hosts_adds_a_server_under_every_name_with_the_same_vars(fresh, tmp_path):
    hostnames = ["name", "ip_address", "name"]
    single = run(tmp_path / "single", fresh, config(fresh, hostnames=hostnames))
    assert single.rc == 0, single.output
    assert set(hostvars(single)) == {server["name"] for server in every_server(fresh)}
    result = run(tmp_path, fresh, config(fresh, hostnames=hostnames, allow_duplicated_hosts=True))
    assert result.rc == 0, result.output
    hosts = hostvars(result)
    servers = every_server(fresh)
    assert set(hosts) == {server["name"] for server in servers} | {s["ip_address"] for s in servers if s["ip_address"]}
    names = by_id(result)
    for server in servers:
        want = sorted({server["name"], server["ip_address"]} - {None})
        assert sorted(names[server["id"]]) == want, server
        assert len({json.dumps(hosts[host], sort_keys=True) for host in want}) == 1
    a_web_1 = next(server for server in servers if server["name"] == "a-web-1")
    assert {"a-web-1", a_web_1["ip_address"]} <= group(result, "account_customer_a")


# --- include and exclude filters -----------------------------------------------------------------------------------


def test_include_filters_add_listings_and_exclude_filters_win(accts, tmp_path):
    for name in ("customer-a", "customer-b"):
        token = accts[name].token
        accts.sim.seed(2, token=token, status="stopped", location="us-east", name_prefix=name[-1] + "-east-off")
        accts.sim.seed(2, token=token, status="stopped", location="eu-central", name_prefix=name[-1] + "-eu-off")
    cfg = config(
        accts,
        filters={"status": "active"},
        include_filters=[{"status": "stopped"}],
        # Exclusion wins over inclusion (us-east stopped is included, then excluded); a set excludes only
        # a server that matches every key of it (status active AND location us-west).
        exclude_filters=[{"status": "stopped", "location": "us-east"}, {"status": "active", "location": "us-west"}],
    )
    result = run(tmp_path, accts, cfg)
    assert result.rc == 0, result.output
    expected = set()
    for name in NAMES:
        for server in accts.servers(name):
            if server["status"] == "stopped" and server["location"] == "us-east":
                continue
            if server["status"] == "active" and server["location"] == "us-west":
                continue
            expected.add(server["name"])
    assert set(hostvars(result)) == expected
    assert {"a-eu-off-1", "b-eu-off-2"} <= expected and not {"a-east-off-1", "a-web-1"} & expected
    for name in NAMES:
        queries = {entry["query"] for entry in accts.list_requests(name)}
        # One listing per filter set, nothing sent for the exclusions (page_size is large: one page each).
        assert len(queries) == 2, queries
        assert any("status=active" in query for query in queries)
        assert any("status=stopped" in query for query in queries)
        assert not any("us-east" in query or "us-west" in query for query in queries)


def test_a_server_in_two_listings_is_one_host(accts, tmp_path):
    cfg = config(
        accts, filters={"status": "active"}, include_filters=[{"location": "us-west"}, {"location": "us-east"}]
    )
    result = run(tmp_path, accts, cfg)
    assert result.rc == 0, result.output
    assert sorted(h for hosts in by_id(result).values() for h in hosts) == sorted(hostvars(result))
    assert all(len(hosts) == 1 for hosts in by_id(result).values())
    assert set(hostvars(result)) == {server["name"] for server in every_server(accts)}


# --- configuration errors -------------------------------------------------------------------------------------------

LONG_NAME = "a" * 64


def bad_configs(accts):
    """id -> (configuration, env, words the error must hold)."""
    a = entry(accts, "customer-a")
    b = entry(accts, "customer-b")
    c = entry(accts, "customer-c")
    return {
        "duplicate-name": ({"accounts": [a, b, c, dict(a, name="Customer-A")]}, {}, ["Customer-A"]),
        "top-level-api-token": ({"accounts": [a, b, c], "api_token": accts["customer-a"].token}, {}, ["api_token"]),
        "unknown-key": ({"accounts": [a, dict(b, tokn="x"), c]}, {}, ["tokn", "customer-b"]),
        "unset-token-env": ({"accounts": [a, b, c]}, {B_TOKEN_ENV: None}, [B_TOKEN_ENV]),
        "empty-token-env": ({"accounts": [a, b, c]}, {B_TOKEN_ENV: ""}, [B_TOKEN_ENV]),
        "no-token": ({"accounts": [a, b, c]}, {"VPS_API_TOKENS": None}, ["customer-c"]),
        "token-and-token-env": (
            {"accounts": [dict(a, api_token_env=B_TOKEN_ENV), b, c]},
            {},
            ["customer-a", "api_token_env"],
        ),
        "name-with-a-dot": ({"accounts": [a, b, c, dict(a, name="customer.d")]}, {}, ["customer.d"]),
        "name-starting-with-a-hyphen": ({"accounts": [a, b, c, dict(a, name="-customer-d")]}, {}, ["-customer-d"]),
        "name-too-long": ({"accounts": [a, b, c, dict(a, name=LONG_NAME)]}, {}, [LONG_NAME]),
        "name-missing": ({"accounts": [a, b, {"api_token": "x"}]}, {}, ["name"]),
        "hostnames-with-inventory-hostname": (
            {"accounts": [a, b, c], "hostnames": ["name"], "inventory_hostname": "hostname"},
            {},
            ["hostnames", "inventory_hostname"],
        ),
        "ipv6-hostnames-without-details": (
            {"accounts": [a, b, c], "hostnames": ["ipv6_address", "name"]},
            {},
            ["ipv6_address", "fetch_details"],
        ),
        "bad-account-failure": ({"accounts": [a, b, c], "account_failure": "ignore"}, {}, ["account_failure"]),
        "bad-name-collisions": ({"accounts": [a, b, c], "name_collisions": "last"}, {}, ["name_collisions"]),
    }


BAD = [
    "duplicate-name",
    "top-level-api-token",
    "unknown-key",
    "unset-token-env",
    "empty-token-env",
    "no-token",
    "token-and-token-env",
    "name-with-a-dot",
    "name-starting-with-a-hyphen",
    "name-too-long",
    "name-missing",
    "hostnames-with-inventory-hostname",
    "ipv6-hostnames-without-details",
    "bad-account-failure",
    "bad-name-collisions",
]


@pytest.mark.parametrize("case", BAD)
def test_a_configuration_error_fails_before_any_request(accts, tmp_path, case):
    cfg, env, words = bad_configs(accts)[case]
    # account_failure warn must not soften a configuration error.
    cfg.setdefault("account_failure", "warn")
    result = run(tmp_path, accts, cfg, env=env)
    assert_failed_without_hosts(result)
    said = failure(result)
    assert all(word in said for word in words), (words, said)
    assert accts.requests() == [], "a request was sent before the configuration was checked"


def test_api_tokens_that_are_no_mapping_are_refused_without_showing_them(accts, tmp_path):
    hidden = f"broken-secret-{secrets.token_hex(10)}"
    accts.extra_secrets.add(hidden)
    for text in (f"customer-c: [{hidden}", f"just-a-string-{hidden}", json.dumps([hidden])):
        result = run(tmp_path, accts, config(accts), env={"VPS_API_TOKENS": text})
        assert_failed_without_hosts(result)
        assert "api_tokens" in failure(result) or "VPS_API_TOKENS" in failure(result), failure(result)
    assert accts.requests() == []


# --- concurrency and cache ----------------------------------------------------------------------------------------


def first_list_arrivals(accts) -> dict:
    return {account.name: min(entry["time"] for entry in accts.list_requests(account.name)) for account in accts}


def test_accounts_are_read_at_the_same_time(accts, tmp_path):
    # Every list request waits 1.2 s in the simulator before it is answered; one page per account.
    accts.sim.add_fault(kind="latency", seconds=1.2, path=f"^{LIST_PATH}$")
    result = run(tmp_path, accts, config(accts))
    assert result.rc == 0, result.output
    arrivals = first_list_arrivals(accts)
    assert all(len(accts.list_requests(name)) == 1 for name in NAMES)
    # Read one after another, the last account's request would arrive 2.4 s after the first one's.
    spread = max(arrivals.values()) - min(arrivals.values())
    assert spread < 0.8, arrivals


def cache_options(tmp_path) -> dict:
    return {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache")}


def test_a_warm_cache_sends_no_request_and_a_changed_account_alone_is_read_again(accts, tmp_path):
    options = cache_options(tmp_path)
    cold = run(tmp_path, accts, config(accts, **options))
    assert cold.rc == 0, cold.output
    assert all(accts.list_requests(name) for name in NAMES)

    accts.sim.clear_requests()
    warm = run(tmp_path, accts, config(accts, **options))
    assert warm.rc == 0, warm.output
    assert hostvars(warm) == hostvars(cold)
    assert accts.requests() == [], "a warm run of an unchanged file sent requests"

    # customer-b's filters change: customer-b alone is read again, the others come from the cache.
    accts.sim.seed(1, token=accts["customer-a"].token, name_prefix="a-late")
    accts.sim.clear_requests()
    changed = config(accts, entries={"customer-b": {"filters": {"location": "us-east"}}}, **options)
    result = run(tmp_path, accts, changed)
    assert result.rc == 0, result.output
    assert {entry["account"] for entry in accts.requests()} == {accts["customer-b"].label}
    assert set(hostvars(result)) == (
        (accts.names("customer-a") - {"a-late-1"})
        | accts.names("customer-b", location="us-east")
        | accts.names("customer-c")
    )
    for path in (tmp_path / "cache").iterdir():
        text = path.read_text()
        assert not [account.name for account in accts if account.token in text], f"a token in the cache: {path.name}"


def test_a_failed_account_is_not_cached(accts, tmp_path):
    options = cache_options(tmp_path)
    cfg = config(accts, account_failure="warn", api_retries=0, **options)
    accts.sim.add_fault(kind="status", status=502, count=100, account=accts["customer-b"].label)
    first = run(tmp_path, accts, cfg)
    assert first.rc == 0, first.output
    assert set(hostvars(first)) == accts.names("customer-a") | accts.names("customer-c")

    accts.sim.clear_faults()
    accts.sim.clear_requests()
    second = run(tmp_path, accts, cfg)
    assert second.rc == 0, second.output
    assert set(hostvars(second)) == set().union(*(accts.names(name) for name in NAMES))
    assert {entry["account"] for entry in accts.requests()} == {accts["customer-b"].label}
