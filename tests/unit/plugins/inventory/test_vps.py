"""The vpsorg.cloud.vps inventory plugin against a fake client: options, hostvars, naming, cache, errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader
from ansible_collections.vpsorg.cloud.plugins.inventory import vps
from ansible_collections.vpsorg.cloud.plugins.module_utils import client
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from compat import templated_int

TOKEN = "tok-SECRET-inventory-42"


def summary(server_id, name, status="active", ip="203.0.113.10", location="us-west", **extra):
    return dict(
        {
            "id": server_id,
            "name": name,
            "hostname": f"{name}.example.com",
            "status": status,
            "ip_address": ip,
            "location": location,
            "plan": {"id": 1, "name": "Standard VPS", "vcpus": 2, "memory": 4096, "storage": 80},
            "os": {"id": 5, "name": "Ubuntu 22.04 LTS"},
            "backups_enabled": False,
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-02T00:00:00Z",
        },
        **extra,
    )


def detail(server):
    return dict(
        server,
        ipv6_address=f"2001:db8::{server['id']}",
        plan=dict(server["plan"], bandwidth=2048),
        resource_usage={"cpu_percent": 1.5, "memory_used": 512, "disk_used": 10, "bandwidth_used": 3},
    )


class FakeClient:
    """Stands in for VpsClient; records what the plugin asked for."""

    instances = []
    servers = []
    errors = []
    missing_ids = ()

    def __init__(self, api_url, api_token, **kwargs):
        self.api_url = api_url
        self.api_token = api_token
        self.kwargs = kwargs
        self.list_calls = []
        self.detail_calls = []
        self.request_count = 0
        FakeClient.instances.append(self)

    def list_servers(self, filters=None, page_size=None, partial_ok=False):
        self.list_calls.append({"filters": filters, "page_size": page_size, "partial_ok": partial_ok})
        self.request_count += 1
        if FakeClient.errors:
            raise FakeClient.errors[0]
        return [dict(server) for server in FakeClient.servers]

    def get_server_or_none(self, server_id):
        self.detail_calls.append(server_id)
        if server_id in FakeClient.missing_ids:
            return None
        return detail(next(s for s in FakeClient.servers if s["id"] == server_id))


class Recorder:
    """Collects what the plugin shows the user, by verbosity."""

    def __init__(self):
        self.messages = {"v": [], "vvv": [], "warning": []}

    def v(self, msg, host=None):
        self.messages["v"].append(msg)

    def vvv(self, msg, host=None):
        self.messages["vvv"].append(msg)

    def debug(self, msg, host=None):
        pass

    def warning(self, msg, formatted=False):
        self.messages["warning"].append(msg)

    def text(self, kind):
        return "\n".join(self.messages[kind])


@pytest.fixture(autouse=True)
def fake_client(monkeypatch):
    FakeClient.instances = []
    FakeClient.servers = [summary(1, "web-1"), summary(2, "db-1", location="us-east")]
    FakeClient.errors = []
    FakeClient.missing_ids = ()
    monkeypatch.setattr(client, "VpsClient", FakeClient)
    # The fake needs no HTTP library, so these tests also run where requests is not installed.
    monkeypatch.setattr(client, "HAS_REQUESTS", True)
    monkeypatch.setenv("VPS_API_TOKEN", TOKEN)
    monkeypatch.setenv("VPS_API_URL", "https://api.test/api/v1")
    return FakeClient


@pytest.fixture
def extra_vars(monkeypatch):
    values = {}
    monkeypatch.setattr("ansible.plugins.inventory.load_extra_vars", lambda loader: dict(values))
    return values


def make_plugin():
    plugin = vps.InventoryModule()
    # What the plugin loader does when it finds the plugin by FQCN: register its documented options.
    inventory_loader._load_config_defs(vps.InventoryModule.NAME, vps, vps.__file__)
    inventory_loader._update_object(
        obj=plugin, name=vps.InventoryModule.NAME, path=vps.__file__, resolved=vps.InventoryModule.NAME
    )
    plugin.display = Recorder()
    return plugin


class Run:
    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.plugin = None
        self.inventory = None

    def __call__(self, config=None, cache=True, name="test.vps.yml"):
        path = self.tmp_path / name
        path.write_text(yaml.safe_dump(dict({"plugin": "vpsorg.cloud.vps"}, **(config or {}))))
        self.plugin = make_plugin()
        self.inventory = InventoryData()
        self.plugin.parse(self.inventory, DataLoader(), str(path), cache=cache)
        # What InventoryManager does after a successful parse of a Cacheable source.
        if self.plugin.get_option("cache"):
            self.plugin.update_cache_if_changed()
        return self

    @property
    def hosts(self):
        return self.inventory.hosts

    def hostvars(self, host):
        return self.inventory.get_host(host).get_vars()

    def group_hosts(self, group):
        return sorted(host.name for host in self.inventory.groups[group].get_hosts())


@pytest.fixture
def run(tmp_path):
    return Run(tmp_path)


# -- file selection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "accepted"),
    [("vps.yml", True), ("prod.vps.yaml", True), ("my_vps.yml", True), ("hosts.yml", False), ("vps.json", False)],
)
def test_verify_file_accepts_only_vps_yml_names(tmp_path, name, accepted):
    path = tmp_path / name
    path.write_text("plugin: vpsorg.cloud.vps\n")
    assert make_plugin().verify_file(str(path)) is accepted


def test_verify_file_rejects_missing_file(tmp_path):
    assert make_plugin().verify_file(str(tmp_path / "absent.vps.yml")) is False


# -- hosts and hostvars -----------------------------------------------------------------


def test_every_field_becomes_a_prefixed_hostvar(run):
    run()
    assert set(run.hosts) == {"web-1", "db-1"}
    hostvars = run.hostvars("web-1")
    expected = {f"vps_{key}": value for key, value in summary(1, "web-1").items()}
    assert {key: value for key, value in hostvars.items() if key.startswith("vps_")} == expected
    assert hostvars["ansible_host"] == "203.0.113.10"


def test_custom_hostvars_prefix(run):
    run({"hostvars_prefix": "cloud_"})
    hostvars = run.hostvars("web-1")
    assert hostvars["cloud_id"] == 1
    assert not any(key.startswith("vps_") for key in hostvars)


def test_server_without_address_is_kept_without_ansible_host(run, fake_client):
    fake_client.servers.append(summary(3, "fresh", status="provisioning", ip=None))
    run()
    assert "fresh" in run.hosts
    hostvars = run.hostvars("fresh")
    assert "ansible_host" not in hostvars
    assert hostvars["vps_ip_address"] is None
    assert "fresh" in run.plugin.display.text("v")
    assert "provisioning" in run.plugin.display.text("v")


@pytest.mark.parametrize(
    ("source", "expected"),
    [("name", "web-1"), ("hostname", "web-1.example.com"), ("ip_address", "203.0.113.10")],
)
def test_inventory_hostname_choices(run, source, expected):
    run({"inventory_hostname": source})
    assert expected in run.hosts


def test_inventory_hostname_falls_back_to_name_when_field_is_empty(run, fake_client):
    fake_client.servers.append(summary(3, "fresh", status="provisioning", ip=None))
    run({"inventory_hostname": "ip_address"})
    assert "fresh" in run.hosts
    assert "203.0.113.10" in run.hosts
    assert "no ip_address" in run.plugin.display.text("v")


def test_inventory_hostname_template(run):
    run({"inventory_hostname": "template", "inventory_hostname_template": "{{ vps_name }}.{{ vps_location }}"})
    assert set(run.hosts) == {"web-1.us-west", "db-1.us-east"}


def test_inventory_hostname_template_is_required_with_template(run):
    with pytest.raises(AnsibleParserError, match="inventory_hostname_template"):
        run({"inventory_hostname": "template"})


def test_duplicate_names_keep_every_server(run, fake_client):
    fake_client.servers = [summary(7, "web"), summary(3, "web", ip="203.0.113.3")]
    run()
    assert set(run.hosts) == {"web", "web_7"}
    # The lowest id keeps the plain name, so the name does not move between runs.
    assert run.hostvars("web")["vps_id"] == 3
    assert "web (id 7, also id 3)" in run.plugin.display.text("warning")


def test_renamed_duplicate_never_replaces_another_server(run, fake_client):
    fake_client.servers = [summary(2, "web_7"), summary(3, "web"), summary(7, "web")]
    run()
    assert {run.hostvars(host)["vps_id"] for host in run.hosts} == {2, 3, 7}


@pytest.mark.parametrize(("source", "expected"), [("hostname", "web-1.example.com"), ("none", None)])
def test_ansible_host_source(run, source, expected):
    run({"ansible_host_source": source})
    assert run.hostvars("web-1").get("ansible_host") == expected


def test_ipv6_ansible_host_needs_details(run):
    with pytest.raises(AnsibleParserError, match="fetch_details"):
        run({"ansible_host_source": "ipv6_address"})


# -- requests ------------------------------------------------------------------------------


def test_filters_and_page_size_go_to_the_api(run, fake_client):
    run({"filters": {"status": "active", "location": "us-west"}, "page_size": 250})
    (client,) = fake_client.instances
    # The inventory only reports: a list that comes back short is taken, with a warning.
    assert client.list_calls == [
        {"filters": {"status": "active", "location": "us-west"}, "page_size": 250, "partial_ok": True}
    ]


def test_unknown_filter_is_refused_before_any_request(run, fake_client):
    with pytest.raises(AnsibleParserError, match="unsupported filters plan"):
        run({"filters": {"plan": "1"}})
    assert fake_client.instances == []


def test_connection_options_reach_the_client(run, fake_client):
    run({"validate_certs": False, "api_timeout": 7, "api_retries": 2})
    (client,) = fake_client.instances
    assert client.api_url == "https://api.test/api/v1"
    assert client.api_token == TOKEN
    assert client.kwargs["validate_certs"] is False
    assert client.kwargs["timeout"] == 7
    assert client.kwargs["retries"] == 2


def test_fetch_details_reads_each_server_and_keeps_order(run, fake_client):
    fake_client.servers = [summary(i, f"web-{i}") for i in range(1, 21)]
    fake_client.missing_ids = (5,)
    run({"fetch_details": True, "details_concurrency": 4, "ansible_host_source": "ipv6_address"})
    details = sorted(i for client in fake_client.instances for i in client.detail_calls)
    assert details == list(range(1, 21))
    # one list client plus at most one client per worker thread
    assert len(fake_client.instances) <= 1 + 4
    assert run.hostvars("web-2")["vps_ipv6_address"] == "2001:db8::2"
    assert run.hostvars("web-2")["vps_resource_usage"]["cpu_percent"] == 1.5
    assert run.hostvars("web-2")["ansible_host"] == "2001:db8::2"
    # a server deleted between list and detail keeps its summary
    assert "vps_ipv6_address" not in run.hostvars("web-5")
    assert "disappeared" in run.plugin.display.text("v")


def test_no_detail_requests_by_default(run, fake_client):
    run()
    assert all(client.detail_calls == [] for client in fake_client.instances)


# -- templating ----------------------------------------------------------------------------


def test_token_templated_from_extra_vars(run, fake_client, extra_vars, monkeypatch):
    monkeypatch.delenv("VPS_API_TOKEN")
    extra_vars["my_token"] = "from-extra-vars"
    run({"api_token": "{{ my_token }}", "filters": {"status": "{{ wanted | default('active') }}"}})
    (client,) = fake_client.instances
    assert client.api_token == "from-extra-vars"
    assert client.list_calls[0]["filters"] == {"status": "active"}


def test_token_from_env_lookup(run, fake_client, monkeypatch):
    monkeypatch.setenv("OTHER_TOKEN", "via-lookup")
    run({"api_token": "{{ lookup('env', 'OTHER_TOKEN') }}"})
    assert fake_client.instances[0].api_token == "via-lookup"


def test_undefined_template_names_the_option(run, extra_vars):
    with pytest.raises(AnsibleParserError, match="api_token could not be templated") as caught:
        run({"api_token": "{{ not_defined_anywhere }}"})
    assert "not_defined_anywhere" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_token_is_one_clear_line(run, monkeypatch):
    monkeypatch.delenv("VPS_API_TOKEN")
    with pytest.raises(AnsibleParserError, match="api_token is empty"):
        run()


@pytest.mark.parametrize("option", ["validate_certs", "fetch_details"])
def test_word_that_is_not_a_boolean_is_refused(run, fake_client, option):
    with pytest.raises(AnsibleParserError, match=f"{option} must be true or false"):
        run({option: "maybe"})
    assert fake_client.instances == []


def test_boolean_words_are_accepted(run, fake_client):
    run({"validate_certs": "no"})
    assert fake_client.instances[0].kwargs["validate_certs"] is False


def test_missing_requests_library_is_named(run, fake_client, monkeypatch):
    monkeypatch.setattr(client, "HAS_REQUESTS", False)
    with pytest.raises(AnsibleError, match="requests is required"):
        run()
    assert fake_client.instances == []


def test_bad_api_url(run):
    with pytest.raises(AnsibleParserError, match="api_url must be"):
        run({"api_url": "admin.vps.org"})


def test_plain_http_to_remote_host_warns(run):
    run({"api_url": "http://vps.example.com/api/v1"})
    assert "plain HTTP" in run.plugin.display.text("warning")


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (VpsApiError("API token missing or invalid", status=401, method="GET", path="/servers/"), "token missing"),
        (VpsApiError("cannot reach the VPS.org API at x", method="GET", path="/servers/"), "cannot reach"),
        (VpsApiError("the VPS.org API failed with a server error (HTTP 503)", status=503), "server error"),
        # An API (or proxy) that echoes the request's Authorization header into its error text.
        (
            VpsApiError(f"the API rejected the request: request had Authorization: Bearer {TOKEN}", status=400),
            "rejected the request",
        ),
    ],
)
def test_api_errors_become_one_line_ansible_errors(run, fake_client, error, expected):
    fake_client.errors = [error]
    with pytest.raises(AnsibleError) as caught:
        run()
    message = str(caught.value)
    assert expected in message
    assert message.startswith("vpsorg.cloud.vps: ")
    assert "\n" not in message
    assert TOKEN not in message


# -- constructed -------------------------------------------------------------------------


def test_compose_groups_and_keyed_groups(run):
    run(
        {
            "compose": {"ansible_user": "'admin'", "cores": "vps_plan.vcpus * 2"},
            "groups": {"west": "vps_location == 'us-west'"},
            "keyed_groups": [{"key": "vps_location", "prefix": "loc"}, {"key": "vps_plan.name", "prefix": "plan"}],
        }
    )
    assert run.hostvars("web-1")["ansible_user"] == "admin"
    assert templated_int(run.hostvars("web-1")["cores"]) == 4
    assert run.group_hosts("west") == ["web-1"]
    assert run.group_hosts("loc_us_west") == ["web-1"]
    assert run.group_hosts("loc_us_east") == ["db-1"]
    # group names are sanitised the Ansible way (spaces become underscores)
    assert run.group_hosts("plan_Standard_VPS") == ["db-1", "web-1"]


def test_groups_see_composed_vars(run):
    run({"compose": {"tier": "vps_name.split('-')[0]"}, "keyed_groups": [{"key": "tier", "prefix": "tier"}]})
    assert run.group_hosts("tier_web") == ["web-1"]
    assert run.group_hosts("tier_db") == ["db-1"]


def test_bad_compose_on_one_host_does_not_sink_the_inventory(run, fake_client):
    fake_client.servers.append(summary(3, "fresh", status="provisioning", ip=None))
    run({"compose": {"first_octet": "vps_ip_address.split('.')[0]"}})
    assert set(run.hosts) == {"web-1", "db-1", "fresh"}
    assert run.hostvars("web-1")["first_octet"] == "203"
    assert "first_octet" not in run.hostvars("fresh")


def test_bad_compose_with_strict_fails(run, fake_client):
    fake_client.servers.append(summary(3, "fresh", status="provisioning", ip=None))
    with pytest.raises(AnsibleError, match="first_octet"):
        run({"strict": True, "compose": {"first_octet": "vps_ip_address.split('.')[0]"}})


def test_use_extra_vars_in_compose(run, extra_vars):
    extra_vars["env_name"] = "prod"
    run({"use_extra_vars": True, "keyed_groups": [{"key": "env_name", "prefix": "env"}]})
    assert run.group_hosts("env_prod") == ["db-1", "web-1"]


KEYED_GROUP_KEYS = [
    {"key": "vps_location", "prefix": "loc"},
    {"key": "vps_plan.name"},
    {"key": "vps_plan.memory | string", "prefix": "mem"},
    {"key": "vps_ip_address", "prefix": "ip", "default_value": "none-yet"},
    {"key": "vps_hostname", "prefix": "h", "trailing_separator": False},
    {"key": "vps_os", "prefix": "os"},
    {"key": "not_a_var", "prefix": "missing"},
    {"key": "vps_plan.items", "prefix": "method"},
    {"key": "none", "prefix": "literal"},
    {"key": "inventory_hostname", "prefix": "self"},
]


def groups_and_vars(run, config):
    run(config)
    groups = {name: run.group_hosts(name) for name in run.inventory.groups}
    return groups, {host: run.hostvars(host) for host in run.hosts}


def test_expressions_on_a_server_without_address(run, fake_client):
    # Whether a missing value falls back to default_value is core's templating and differs
    # between versions; tests/integration/test_inventory_constructed.py compares the plugin with
    # ansible.builtin.constructed on each. Here: the other hosts are unaffected.
    fake_client.servers.append(summary(3, "fresh", status="provisioning", ip=None, hostname=""))
    config = {"keyed_groups": KEYED_GROUP_KEYS, "compose": {"where": "vps_location", "size": "vps_plan.vcpus"}}
    _groups, hostvars = groups_and_vars(run, config)
    assert run.group_hosts("loc_us_west") == ["fresh", "web-1"]
    assert run.group_hosts("ip_203_0_113_10") == ["db-1", "web-1"]
    assert templated_int(hostvars["web-1"]["size"]) == 2
    assert hostvars["fresh"]["where"] == "us-west"


def test_plain_references_skip_jinja_only_where_core_gives_the_same(run, monkeypatch):
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
    keys = ["vps_location", "vps_plan.name", "vps_name | upper"]
    run({"keyed_groups": [{"key": key} for key in keys]})
    through_core = ["vps_name | upper"] if vps.PLAIN_REFERENCE_SHORTCUT else keys
    assert compiled == through_core * 2
    assert run.group_hosts("_us_west") and run.group_hosts("_WEB_1")


# -- cache -------------------------------------------------------------------------------


CACHED = {"cache": True, "cache_plugin": "jsonfile"}


@pytest.fixture
def cache_config(tmp_path):
    return dict(CACHED, cache_connection=str(tmp_path / "cache"))


def test_cache_hit_makes_no_request(run, fake_client, cache_config):
    run(cache_config)
    assert len(fake_client.instances) == 1
    fake_client.errors = [VpsApiError("cannot reach the VPS.org API", method="GET", path="/servers/")]
    run(cache_config)
    assert len(fake_client.instances) == 1
    assert set(run.hosts) == {"web-1", "db-1"}
    assert run.hostvars("db-1")["vps_location"] == "us-east"


def test_flush_cache_reads_the_api_again_and_refreshes(run, fake_client, cache_config):
    run(cache_config)
    fake_client.servers = [summary(9, "new-one")]
    run(cache_config, cache=False)
    assert set(run.hosts) == {"new-one"}
    run(cache_config)
    assert len(fake_client.instances) == 2
    assert set(run.hosts) == {"new-one"}


def test_cache_off_always_reads_the_api(run, fake_client):
    run()
    run()
    assert len(fake_client.instances) == 2


def test_changed_filters_miss_the_cache(run, fake_client, cache_config):
    run(cache_config)
    run(dict(cache_config, filters={"status": "active"}))
    assert len(fake_client.instances) == 2


def test_other_token_misses_the_cache(run, fake_client, cache_config, monkeypatch):
    run(cache_config)
    monkeypatch.setenv("VPS_API_TOKEN", "another-account-token")
    run(cache_config)
    assert [client.api_token for client in fake_client.instances] == [TOKEN, "another-account-token"]


def test_cache_entry_holds_the_raw_server_list(run, cache_config):
    run(cache_config)
    key = run.plugin.get_cache_key(str(run.tmp_path / "test.vps.yml"))
    entry = run.plugin._cache[key]
    # One JSON text: the cache plugin decodes it without a hook per object (see CACHE_FORMAT).
    assert json.loads(entry["servers"]) == [summary(1, "web-1"), summary(2, "db-1", location="us-east")]
    assert TOKEN not in repr(entry)


@pytest.mark.parametrize("servers", [[{"id": 1, "name": "old-format", "status": "active"}], "{not json", '{"a": 1}'])
def test_an_old_or_damaged_cache_entry_reads_the_api(run, fake_client, cache_config, servers):
    run(cache_config)
    key = run.plugin.get_cache_key(str(run.tmp_path / "test.vps.yml"))
    entry = run.plugin._cache[key]
    run.plugin._cache._plugin.set(key, dict(entry, servers=servers))
    run(cache_config)
    assert len(fake_client.instances) == 2
    assert set(run.hosts) == {"web-1", "db-1"}


def test_page_concurrency_and_warnings_reach_the_client(run, fake_client):
    run({"page_concurrency": 3})
    (client,) = fake_client.instances
    assert client.kwargs["page_concurrency"] == 3
    client.kwargs["warn"]("the server list kept changing")
    assert any("kept changing" in message for message in run.plugin.display.messages["warning"])


def test_plugin_module_does_not_speak_http():
    source = Path(vps.__file__).read_text(encoding="utf-8")
    assert "import requests" not in source
    assert "requests" not in {name.split(".")[0] for name in sys.modules[vps.__name__].__dict__}


@pytest.mark.parametrize(("value", "refused"), [(64, False), (65, True), (1000, True)])
def test_details_concurrency_above_the_most_is_refused_before_any_request(run, fake_client, value, refused):
    options = {"fetch_details": True, "details_concurrency": value}
    if refused:
        with pytest.raises(AnsibleParserError, match=f"details_concurrency must be at most 64, got {value}"):
            run(options)
        assert fake_client.instances == []
    else:
        run(options)
        assert len(fake_client.instances) >= 1


@pytest.mark.parametrize(("value", "refused"), [(64, False), (65, True), (1000, True)])
def test_page_concurrency_above_the_most_is_refused_before_any_request(run, fake_client, value, refused):
    if refused:
        with pytest.raises(AnsibleParserError, match=f"page_concurrency must be at most 64, got {value}"):
            run({"page_concurrency": value})
        assert fake_client.instances == []
    else:
        run({"page_concurrency": value})
        assert fake_client.instances[0].kwargs["page_concurrency"] == value
