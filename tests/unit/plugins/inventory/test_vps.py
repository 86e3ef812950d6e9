"""The vpsorg.cloud.vps inventory plugin on the simulator in the test process, with the real client on the
test's clock: file names, options, hostvars, naming, the budget, short lists, errors, constructed, cache."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleError, AnsibleParserError
from ansible_collections.vpsorg.cloud.plugins.inventory import vps
from ansible_collections.vpsorg.cloud.plugins.module_utils import client
from compat import templated_int
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inventory_runner import lists, make_plugin


@pytest.fixture
def account(sim):
    """web-1 in us-west, web-2 in us-east (both active), fresh-1 provisioning in us-west: as the API lists them."""
    sim.seed(2, name_prefix="web")
    sim.seed(1, name_prefix="fresh", status="provisioning", location="us-west")
    listed = sim.session().get(f"{sim.api_url}/servers/", headers={"Authorization": f"Bearer {sim.token}"})
    sim.clear_requests()
    return {server["name"]: server for server in listed.json()["results"]}


# -- file selection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "accepted", "warned"),
    [
        ("vps.yml", "plugin: vpsorg.cloud.vps\n", True, False),
        ("prod.vps.yaml", "plugin: vpsorg.cloud.vps\n", True, False),
        ("my_vps.yml", "plugin: vpsorg.cloud.vps\n", True, False),
        ("hosts.yml", "plugin: 'vpsorg.cloud.vps'  # prod\n", False, True),
        ("vps.json", "plugin: vpsorg.cloud.vps\n", False, True),
        ("hosts.yml", "plugin: other.collection.vps\n", False, False),
    ],
)
def test_only_files_named_vps_yml_are_read_and_a_misnamed_one_of_ours_is_warned_about(
    tmp_path, name, text, accepted, warned
):
    path = tmp_path / name
    path.write_text(text)
    plugin = make_plugin()
    assert plugin.verify_file(str(path)) is accepted
    reason = (
        f"vpsorg.cloud.vps: not reading {path}: the file name of a vpsorg.cloud.vps inventory must end in vps.yml "
        "or vps.yaml (for example prod.vps.yml)"
    )
    assert plugin.display.messages["warning"] == ([reason] if warned else [])
    assert plugin.display.messages["vvv"] == ([reason] if not accepted and not warned else [])
    assert make_plugin().verify_file(str(tmp_path / "absent.vps.yml")) is False


# -- hosts and hostvars -----------------------------------------------------------------------------


def test_every_documented_field_becomes_a_prefixed_hostvar(run, account):
    run()
    assert run.hosts == {"web-1", "web-2", "fresh-1"}
    for name, server in account.items():
        hostvars = {key: value for key, value in run.hostvars(name).items() if key.startswith("vps_")}
        assert hostvars == {f"vps_{key}": value for key, value in server.items()}
    assert run.hostvars("web-1")["ansible_host"] == account["web-1"]["ip_address"]
    # A server without an address yet is added without ansible_host, and the reason is shown at -v.
    assert "ansible_host" not in run.hostvars("fresh-1") and run.hostvars("fresh-1")["vps_ip_address"] is None
    fresh = account["fresh-1"]["id"]
    assert (
        f"vpsorg.cloud.vps: server fresh-1 (id {fresh}, status provisioning) has no ip_address yet; added without "
        "ansible_host"
    ) in run.said("v")
    assert "vpsorg.cloud.vps: 3 servers in 1 list requests" in run.said("v")


def test_a_custom_prefix_names_every_hostvar(run, account):
    run({"hostvars_prefix": "cloud_"})
    assert run.hostvars("web-1")["cloud_id"] == account["web-1"]["id"]
    assert not any(key.startswith("vps_") for key in run.hostvars("web-1"))


@pytest.mark.parametrize(
    ("config", "hosts", "said"),
    [
        ({"inventory_hostname": "hostname"}, {"web-1", "web-2", "fresh-1"}, None),
        (
            {"inventory_hostname": "ip_address"},
            {"web-1", "web-2", "fresh-1"},
            "has no ip_address; named by its server name",
        ),
        (
            {"inventory_hostname": "template", "inventory_hostname_template": "{{ vps_name }}.{{ vps_location }}"},
            {"web-1.us-west", "web-2.us-east", "fresh-1.us-west"},
            None,
        ),
    ],
)
def test_inventory_hostname_comes_from_the_chosen_field(run, account, config, hosts, said):
    run(config)
    if config["inventory_hostname"] == "ip_address":
        hosts = {account["web-1"]["ip_address"], account["web-2"]["ip_address"], "fresh-1"}
    assert run.hosts == hosts
    if said:
        assert f"vpsorg.cloud.vps: server fresh-1 (id {account['fresh-1']['id']}) {said}" in run.said("v")


def test_servers_sharing_a_name_are_all_kept_the_oldest_under_the_plain_name(run, sim):
    for name in ("web", "web", "web-10002"):
        sim.seed(1, name_prefix=name)
    # web-1, web-1 and web-10002-1 as host names web_1, web_1 and web_10002_1: every one is kept.
    run({"inventory_hostname": "template", "inventory_hostname_template": "{{ vps_name | replace('-', '_') }}"})
    assert {host: run.hostvars(host)["vps_id"] for host in run.hosts} == {
        "web_1": 10001,
        "web_1_10002": 10002,
        "web_10002_1": 10003,
    }
    assert run.said("warning") == [
        "vpsorg.cloud.vps: several servers share an inventory name; later ones got an _<id> suffix: "
        "web_1 (id 10002, also id 10001)"
    ]


@pytest.mark.parametrize(("source", "expected"), [("hostname", "web-1"), ("none", None)])
def test_ansible_host_comes_from_the_chosen_field(run, account, source, expected):
    run({"ansible_host_source": source})
    assert run.hostvars("web-1").get("ansible_host") == expected


# -- options ----------------------------------------------------------------------------------------

BAD = {  # option: (a bad value, the sentence that refuses it)
    "api_url": ("admin.vps.org", "api_url must be an http:// or https:// URL with a host name, got 'admin.vps.org'"),
    "api_timeout": (0, "api_timeout must be a positive number of seconds, got 0"),
    "api_retries": (-1, "api_retries must be 0 or more, got -1"),
    "page_size": (0, "page_size must be a positive number, got 0"),
    "details_concurrency": (65, "details_concurrency must be between 1 and 64, got 65"),
    "page_concurrency": (0, "page_concurrency must be between 1 and 64, got 0"),
    "wait_timeout": (-1, "wait_timeout must be a positive number of seconds, got -1"),
    "filters": ({"plan": 1, "name": "x"}, "unsupported filters name, plan; the API filters by status and location"),
}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bad=st.lists(st.sampled_from(list(BAD)), min_size=1, unique=True))
def test_every_bad_option_is_named_in_one_error_before_any_request(run, sim, bad):
    with pytest.raises(AnsibleParserError) as error:
        run({option: BAD[option][0] for option in bad})
    assert str(error.value) == "vpsorg.cloud.vps: " + "; ".join(BAD[option][1] for option in BAD if option in bad)
    assert sim.requests() == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"inventory_hostname": "template"}, "inventory_hostname: template needs inventory_hostname_template"),
        (
            {"ansible_host_source": "ipv6_address"},
            "ansible_host_source: ipv6_address needs fetch_details: true (only the server detail carries ipv6_address)",
        ),
        ({"validate_certs": "maybe"}, "validate_certs must be true or false, got 'maybe'"),
        ({"fetch_details": "sometimes"}, "fetch_details must be true or false, got 'sometimes'"),
    ],
)
def test_options_that_do_not_go_together_are_refused_before_any_request(run, sim, config, message):
    with pytest.raises(AnsibleParserError) as error:
        run(config)
    assert str(error.value) == f"vpsorg.cloud.vps: {message}" and sim.requests() == []


def test_the_most_at_a_time_and_boolean_words_are_accepted_and_connection_options_go_with_each_request(run, account):
    run({"details_concurrency": 64, "page_concurrency": 64, "fetch_details": True, "validate_certs": "no"})
    run({"api_timeout": 7, "page_size": 250, "filters": {"status": "active", "location": "us-west"}})
    assert {(request["timeout"], request["verify"]) for request in run.seen[:4]} == {(30, False)}
    assert [(request["timeout"], request["verify"]) for request in run.seen[4:]] == [(7, True)]
    assert run.sim.requests()[-1]["query"] == "location=us-west&status=active&page_size=250"
    assert run.hosts == {"web-1"} and run.sim.requests()[-1]["user_agent"].endswith(" inventory")


def test_plain_http_to_a_remote_host_is_warned_about(run, sim):
    run({"api_url": sim.api_url})
    assert run.said("warning") == [
        f"api_url {sim.api_url} uses plain HTTP to a remote host: the API token is sent unencrypted. Use https://."
    ]
    run()
    assert run.said("warning") == []


# -- the API: details, the budget, short lists, errors ----------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
def test_fetch_details_reads_each_server_in_list_order_and_keeps_the_summary_of_one_deleted_meanwhile(
    run, sim, concurrency
):
    sim.seed(20, name_prefix="web")

    def delete_web_6(method, url):  # a person deletes web-6 as the first detail is read
        if url.endswith("/servers/10001/"):
            sim.session().delete(f"{sim.api_url}/servers/10006/", headers={"Authorization": f"Bearer {sim.token}"})

    run.before = delete_web_6
    run({"fetch_details": True, "details_concurrency": concurrency, "ansible_host_source": "ipv6_address"})
    threads = {request["thread"] for request in run.seen[1:]}
    assert threads == {"MainThread"} if concurrency == 1 else "MainThread" not in threads
    details = sorted(e["path"] for e in sim.requests() if e["method"] == "GET" and e["path"] != "/api/v1/servers/")
    assert details == sorted(f"/api/v1/servers/{10000 + n}/" for n in range(1, 21))
    assert [run.hostvars(host)["vps_id"] for host in run.inventory.hosts] == list(range(10001, 10021))
    assert run.hostvars("web-2")["vps_ipv6_address"] == run.hostvars("web-2")["ansible_host"]
    assert set(run.hostvars("web-2")["vps_resource_usage"]) == {
        "cpu_percent",
        "memory_used",
        "disk_used",
        "bandwidth_used",
    }
    assert "vps_ipv6_address" not in run.hostvars("web-6") and "vps_ipv6_address" in run.hostvars("web-7")
    assert "vpsorg.cloud.vps: server web-6 (id 10006) disappeared while reading details; keeping its summary" in (
        run.said("v")
    )


def test_no_detail_is_read_by_default(run, account):
    run()
    assert [entry["path"] for entry in run.sim.requests()] == ["/api/v1/servers/"]


def test_fetch_details_at_a_rate_limit_lists_every_server(run, sim, clock):
    sim.seed(40)
    sim.set_rate_limit(5, 5)
    run({"fetch_details": True})
    assert len(run.hosts) == 40 and all("vps_backups_enabled" in run.hostvars(host) for host in run.hosts)
    assert sim.counters()["throttled"] >= 1 and sum(clock.sleeps) >= 7
    assert len([entry for entry in sim.requests() if entry["status"] == 200]) == 41


@pytest.mark.parametrize(("config", "bound"), [({}, 600), ({"wait_timeout": 30}, 30)])
def test_a_retry_after_longer_than_what_remains_of_wait_timeout_fails_at_once(run, sim, clock, config, bound):
    sim.add_fault(kind="status", status=429, retry_after=bound + 1, count=1)
    with pytest.raises(AnsibleError) as error:
        run(config)
    assert re.fullmatch(
        rf"vpsorg\.cloud\.vps: the pause the API asked for \(GET /servers/ answered HTTP 429 \(rate limited\) and "
        rf"asked: {bound + 1} s\) would take {bound + 1} s, more than the {bound} s left of wait_timeout "
        rf"\({bound} s\); the task stops now instead: try again after [-\d]+ [:\d]+ UTC",
        str(error.value),
    )
    assert clock.sleeps == []
    sim.add_fault(kind="status", status=429, retry_after=bound, count=1)
    run(config)
    assert clock.sleeps == [bound]


def test_a_short_list_fails_the_inventory_unless_allow_partial(run, sim):
    sim.seed(150)
    sim.short_list(kind="gone", status=404, from_page=2)
    what = (
        f"vpsorg.cloud.vps: api_url {run.url}: the server list's pages do not fit together although the list did not "
        "change: page 2 of 2 answered HTTP 404 in each of 3 reads, while every read counted 150 servers; those pages "
        "are not the API's pages (does a `next` link leave api_url's path?); "
    )
    with pytest.raises(AnsibleError) as error:
        run()
    assert str(error.value) == what + (
        "nothing is created, changed or deleted on a list that may miss servers (allow_partial: true adds them)"
    )
    run({"allow_partial": True})
    assert len(run.hosts) == 100
    assert run.said("warning") == [what + "returning the 100 servers read, which are not all of them"]


@pytest.mark.parametrize(
    ("config", "fault", "expected"),
    [
        ({"api_token": "unknown-SECRET-token"}, None, "API token missing or invalid (GET /servers/ answered HTTP 401)"),
        ({"api_retries": 0}, 503, "the VPS.org API failed with a server error (HTTP 503); try again later"),
        ({"api_url": "https://vps-sim.invalid/api/v2"}, None, "has no server list: GET /servers/ answered HTTP 404"),
    ],
)
def test_api_errors_are_one_line_without_the_token(run, sim, config, fault, expected):
    # An API that repeats the request's Authorization header in its errors.
    sim.set_modes(echo_token=True)
    if fault:
        sim.add_fault(kind="status", status=fault, count=1)
    with pytest.raises(AnsibleError) as error:
        run(config)
    message = str(error.value)
    assert message.startswith("vpsorg.cloud.vps: ") and expected in message and "\n" not in message
    assert sim.token not in message and "unknown-SECRET-token" not in message


# -- templated options ------------------------------------------------------------------------------


def test_the_token_and_filters_can_come_from_extra_vars_and_lookups(run, sim, extra_vars, monkeypatch):
    sim.set_balance("team-b-token", 100)
    sim.seed(1, name_prefix="team-b", token="team-b-token", status="stopped")
    monkeypatch.delenv("VPS_API_TOKEN")
    extra_vars["my_token"] = "team-b-token"
    run({"api_token": "{{ my_token }}", "filters": {"status": "{{ wanted | default('stopped') }}"}})
    assert run.hosts == {"team-b-1"} and sim.requests()[-1]["query"] == "status=stopped&page_size=100"
    monkeypatch.setenv("OTHER_TOKEN", "team-b-token")
    assert run({"api_token": "{{ lookup('env', 'OTHER_TOKEN') }}"}).hosts == {"team-b-1"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"api_token": "{{ not_defined_anywhere }}"},
            "option api_token could not be templated: 'not_defined_anywhere' is undefined",
        ),
        (None, "api_token is empty"),
    ],
)
def test_a_token_that_cannot_be_had_is_one_line_naming_the_option(run, sim, extra_vars, monkeypatch, config, message):
    monkeypatch.delenv("VPS_API_TOKEN")
    with pytest.raises(AnsibleParserError) as error:
        run(config)
    assert str(error.value).startswith(f"vpsorg.cloud.vps: {message}") and "\n" not in str(error.value)
    assert sim.requests() == []


def test_without_requests_the_library_is_named_before_any_request(run, sim, monkeypatch):
    monkeypatch.setattr(client, "HAS_REQUESTS", False)
    with pytest.raises(AnsibleError) as error:
        run()
    assert str(error.value) == "vpsorg.cloud.vps: the Python library requests is required but not installed"
    assert sim.requests() == []


def test_the_plugin_module_does_not_speak_http():
    source = Path(vps.__file__).read_text(encoding="utf-8")
    assert "import requests" not in source
    assert "requests" not in {name.split(".")[0] for name in sys.modules[vps.__name__].__dict__}


# -- constructed ------------------------------------------------------------------------------------


def test_compose_groups_and_keyed_groups_see_the_hostvars(run, account):
    run(
        {
            "compose": {"ansible_user": "'admin'", "cores": "vps_plan.vcpus * 2", "tier": "vps_name.split('-')[0]"},
            "groups": {"west": "vps_location == 'us-west'"},
            "keyed_groups": [
                {"key": "vps_location", "prefix": "loc"},
                {"key": "vps_plan.name", "prefix": "plan"},
                {"key": "tier", "prefix": "tier"},
            ],
        }
    )
    assert run.hostvars("web-1")["ansible_user"] == "admin" and templated_int(run.hostvars("web-1")["cores"]) == 4
    assert run.group("west") == ["fresh-1", "web-1"] == run.group("loc_us_west") and run.group("loc_us_east") == [
        "web-2"
    ]
    # Group names are sanitised the Ansible way (spaces become underscores); groups see composed variables.
    assert run.group("plan_Standard_VPS") == ["fresh-1", "web-1", "web-2"] and run.group("tier_web") == [
        "web-1",
        "web-2",
    ]


def test_a_compose_that_fails_on_one_host_skips_it_unless_strict(run, account):
    compose = {"first_octet": "vps_ip_address.split('.')[0]"}
    run({"compose": compose})
    assert run.hostvars("web-1")["first_octet"] == "203" and "first_octet" not in run.hostvars("fresh-1")
    with pytest.raises(AnsibleError, match="first_octet"):
        run({"strict": True, "compose": compose})


def test_use_extra_vars_in_keyed_groups(run, account, extra_vars):
    extra_vars["env_name"] = "prod"
    run({"use_extra_vars": True, "keyed_groups": [{"key": "env_name", "prefix": "env"}]})
    assert run.group("env_prod") == ["fresh-1", "web-1", "web-2"]


def test_plain_references_skip_jinja_only_where_core_gives_the_same(run, account, monkeypatch):
    # Before 2.19 core's templating differs from the host's own values (strings for numbers), so
    # every expression goes to core there; from 2.19 plain references are read directly.
    compiled = []
    original = vps.Constructable._compose
    monkeypatch.setattr(
        vps.Constructable,
        "_compose",
        lambda self, template, variables, *args, **kwargs: (
            compiled.append(template) or original(self, template, variables, *args, **kwargs)
        ),
    )
    keys = ["vps_location", "vps_plan.name", "vps_name | upper", "vps_plan.items", "none"]
    run({"keyed_groups": [{"key": key} for key in keys]})
    through_core = keys[2:] if vps.PLAIN_REFERENCE_SHORTCUT else keys
    assert compiled == through_core * 3
    assert run.group("_us_west") == ["fresh-1", "web-1"] and run.group("_WEB_1") == ["web-1"]


# -- cache ------------------------------------------------------------------------------------------


def test_the_cache_answers_until_flushed_or_asked_with_other_settings(run, sim, account, cached, monkeypatch):
    run(cached)
    run(cached)
    assert lists(sim) == 1 and run.hosts == {"web-1", "web-2", "fresh-1"}
    assert run.hostvars("web-2")["vps_location"] == "us-east"
    assert run.said("v")[0] == "vpsorg.cloud.vps: 3 servers from the inventory cache"
    sim.seed(1, name_prefix="new")
    run(cached, cache=False)  # --flush-cache: read again, and refresh the entry
    assert lists(sim) == 2 and "new-1" in run.hosts
    run(cached)
    assert lists(sim) == 2 and "new-1" in run.hosts
    run(dict(cached, filters={"status": "active"}))
    run(dict(cached, fetch_details=True))
    run(dict(cached, allow_partial=True))
    assert lists(sim) == 5
    sim.set_balance("team-b-token", 100)
    monkeypatch.setenv("VPS_API_TOKEN", "team-b-token")
    assert run(cached).hosts == set() and lists(sim) == 6
    run()
    run()
    assert lists(sim) == 8


def test_the_cache_entry_holds_the_server_list_as_one_json_text_and_never_the_token(run, sim, account, cached):
    run(cached)
    entry = run.plugin._cache[run.plugin.get_cache_key(str(run.tmp_path / "test.vps.yml"))]["accounts"][""]
    # One JSON text: the cache plugin decodes it without a hook per object (see CACHE_FORMAT).
    assert json.loads(entry["servers"]) == list(account.values()) and sim.token not in repr(entry)


@pytest.mark.parametrize("servers", [[{"id": 1, "name": "old-format", "status": "active"}], "{not json", '{"a": 1}'])
def test_an_old_or_damaged_cache_entry_reads_the_api(run, sim, account, cached, servers):
    run(cached)
    key = run.plugin.get_cache_key(str(run.tmp_path / "test.vps.yml"))
    entry = run.plugin._cache[key]
    run.plugin._cache._plugin.set(key, dict(entry, accounts={"": dict(entry["accounts"][""], servers=servers)}))
    run(cached)
    assert lists(sim) == 2 and run.hosts == {"web-1", "web-2", "fresh-1"}
