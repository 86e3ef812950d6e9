"""Real ansible-inventory runs of vpsorg.cloud.vps against the simulator."""

from __future__ import annotations

import json
import math
import socket
import subprocess
from urllib.parse import parse_qs

import pytest
from compat import listed_untrusted, plain, plugin_messages, templated_int
from harness import BIN, create_server, run_inventory, run_playbook
from vps_sim.testing import Simulator

LIST_ENDPOINT = "GET /api/v1/servers/"
DETAIL_ENDPOINT = "GET /api/v1/servers/{id}/"
PLUGIN = "plugin: vpsorg.cloud.vps\n"
# ansible-inventory only reports a plugin failure as a warning unless told to fail.
FAIL_UNPARSED = {"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"}
# `ansible-inventory --flush-cache` exists from ansible-core 2.19 on; `ansible-playbook --flush-cache`
# re-reads every inventory source on every supported version (what docs/inventory.md shows).
REFRESH_PLAY = "- name: Refresh\n  hosts: localhost\n  gather_facts: false\n  tasks: []\n"


def list_requests(sim):
    return [entry for entry in sim.requests() if entry["method"] == "GET" and entry["path"] == "/api/v1/servers/"]


def query_of(entry):
    query = entry["query"]
    if isinstance(query, dict):
        return {key: value if isinstance(value, str) else value[0] for key, value in query.items()}
    return {key: values[0] for key, values in parse_qs(query or "").items()}


def hostvars(result):
    return result.inventory["_meta"]["hostvars"]


def group(result, name):
    return sorted(result.inventory.get(name, {}).get("hosts", []))


def assert_no_token(result, *tokens):
    for token in tokens:
        assert token not in result.output, "an API token appeared in ansible-inventory output"


def inventory(tmp_path, config, sim, **kwargs):
    """ansible-inventory at -vvvv (so the secrecy check covers debug output too)."""
    args = kwargs.pop("args", ("--list",))
    # Verbose messages share stdout with the listing, so the listing goes to a file.
    output = tmp_path / "inventory.json"
    output.unlink(missing_ok=True)
    result = run_inventory(tmp_path, PLUGIN + config, sim=sim, args=(*args, "-vvvv", "--output", str(output)), **kwargs)
    assert_no_token(result, sim.token, sim.admin_token)
    written = output.read_text() if output.exists() else None
    result.inventory = json.loads(written) if written and "--list" in args else None
    result.graph = written if "--graph" in args else None
    return result


def test_pagination_follows_every_page(clean_sim, tmp_path):
    clean_sim.seed(25)
    result = inventory(tmp_path, "page_size: 10\n", clean_sim)
    assert result.rc == 0, result.output
    assert len(hostvars(result)) == 25
    pages = list_requests(clean_sim)
    assert len(pages) == math.ceil(25 / 10)
    # Page 1 first (it gives the count); pages 2 and 3 are read concurrently, in either order.
    numbers = [query_of(entry).get("page", "1") for entry in pages]
    assert numbers[0] == "1" and sorted(numbers) == ["1", "2", "3"]
    assert clean_sim.counters()["total"] == 3


def test_filters_are_applied_by_the_api(clean_sim, tmp_path):
    clean_sim.seed(4, location="us-east", name_prefix="east")
    clean_sim.seed(3, location="us-west", name_prefix="west")
    clean_sim.seed(2, location="us-east", status="stopped", name_prefix="east-off")
    config = "filters:\n  status: active\n  location: us-east\n"
    result = inventory(tmp_path, config, clean_sim)
    assert result.rc == 0, result.output
    names = sorted(hostvars(result))
    assert names == [f"east-{i}" for i in range(1, 5)]
    (request,) = list_requests(clean_sim)
    assert query_of(request)["status"] == "active"
    assert query_of(request)["location"] == "us-east"


def test_hostvars_are_the_documented_interface(clean_sim, tmp_path):
    clean_sim.set_timings(provision_delay=0)
    create_server(clean_sim, "web-1", hostname="web-1.example.com", backups_enabled=True)
    result = inventory(tmp_path, "", clean_sim)
    assert result.rc == 0, result.output
    web = hostvars(result)["web-1"]
    for name in (
        "vps_id",
        "vps_name",
        "vps_hostname",
        "vps_status",
        "vps_ip_address",
        "vps_location",
        "vps_plan",
        "vps_os",
        "vps_created_at",
        "vps_updated_at",
    ):
        assert name in web, f"{name} missing from hostvars"
    # API data is never trusted as a template: ansible-inventory marks its strings unsafe.
    assert web["vps_hostname"] == listed_untrusted("web-1.example.com")
    # The API's list answer does not carry these; they come with fetch_details.
    for name in ("vps_backups_enabled", "vps_ipv6_address", "vps_resource_usage"):
        assert name not in web
    assert web["vps_plan"]["id"] == 1
    assert web["ansible_host"] == web["vps_ip_address"]


def test_constructed_groups_and_vars(clean_sim, tmp_path):
    clean_sim.seed(2, location="us-east", name_prefix="db")
    clean_sim.seed(3, location="us-west", name_prefix="web")
    config = (
        "keyed_groups:\n"
        "  - key: vps_location\n    prefix: loc\n"
        "  - key: vps_plan.name\n    prefix: plan\n"
        "groups:\n  webservers: vps_name.startswith('web')\n"
        "compose:\n  ansible_user: \"'deploy'\"\n  memory_gb: vps_plan.memory // 1024\n"
    )
    result = inventory(tmp_path, config, clean_sim)
    assert result.rc == 0, result.output
    assert group(result, "loc_us_east") == ["db-1", "db-2"]
    assert group(result, "loc_us_west") == ["web-1", "web-2", "web-3"]
    assert group(result, "webservers") == ["web-1", "web-2", "web-3"]
    plan_groups = [name for name in result.inventory if name.startswith("plan_")]
    assert plan_groups and all(" " not in name for name in plan_groups)
    assert plain(hostvars(result)["db-1"]["ansible_user"]) == "deploy"
    assert (
        templated_int(hostvars(result)["db-1"]["memory_gb"]) == hostvars(result)["db-1"]["vps_plan"]["memory"] // 1024
    )

    graph = inventory(tmp_path, config, clean_sim, args=("--graph",))
    assert graph.rc == 0, graph.output
    assert "@loc_us_east:" in graph.graph
    assert "|--db-1" in graph.graph


def test_token_templated_from_extra_vars(clean_sim, tmp_path):
    clean_sim.seed(2)
    config = 'api_token: "{{ my_vps_token }}"\n'
    result = inventory(
        tmp_path, config, clean_sim, env={"VPS_API_TOKEN": None}, extra_vars={"my_vps_token": clean_sim.token}
    )
    assert result.rc == 0, result.output
    assert sorted(hostvars(result)) == ["seed-1", "seed-2"]


def test_token_from_lookup(clean_sim, tmp_path):
    clean_sim.seed(1)
    config = "api_token: \"{{ lookup('ansible.builtin.env', 'SOME_OTHER_VAR') }}\"\n"
    result = inventory(tmp_path, config, clean_sim, env={"VPS_API_TOKEN": None, "SOME_OTHER_VAR": clean_sim.token})
    assert result.rc == 0, result.output
    assert list(hostvars(result)) == ["seed-1"]


def test_token_from_inline_vault(clean_sim, tmp_path):
    clean_sim.seed(1)
    password = tmp_path / "vault-password"
    password.write_text("inventory-test-vault\n")
    command = [str(BIN / "ansible-vault"), "encrypt_string", "--vault-password-file", str(password)]
    encrypted = subprocess.run(
        [*command, "--name", "api_token", clean_sim.token],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = inventory(
        tmp_path,
        encrypted,
        clean_sim,
        env={"VPS_API_TOKEN": None},
        args=("--list", "--vault-password-file", str(password)),
    )
    assert result.rc == 0, result.output
    assert list(hostvars(result)) == ["seed-1"]


def test_token_and_url_from_environment(clean_sim, tmp_path):
    clean_sim.seed(1)
    # harness.base_env exports VPS_API_URL and VPS_API_TOKEN; the config names neither.
    result = inventory(tmp_path, "", clean_sim)
    assert result.rc == 0, result.output
    assert list(hostvars(result)) == ["seed-1"]


def test_host_without_address_is_kept_and_explained(clean_sim, tmp_path):
    clean_sim.set_timings(provision_delay=600)
    clean_sim.seed(1)
    create_server(clean_sim, "fresh")
    config = "compose:\n  first_octet: vps_ip_address.split('.')[0]\n"
    result = inventory(tmp_path, config, clean_sim)
    assert result.rc == 0, result.output
    fresh = hostvars(result)["fresh"]
    assert fresh["vps_status"] == listed_untrusted("provisioning")
    assert fresh["vps_ip_address"] is None
    assert "ansible_host" not in fresh
    # strict is false: the expression failing on this host does not sink the others
    assert "first_octet" not in fresh
    assert plain(hostvars(result)["seed-1"]["first_octet"]) == "203"
    assert "server fresh" in result.output and "added without ansible_host" in result.output


def test_strict_compose_error_fails_the_source(clean_sim, tmp_path):
    clean_sim.set_timings(provision_delay=600)
    create_server(clean_sim, "fresh")
    config = "strict: true\ncompose:\n  first_octet: vps_ip_address.split('.')[0]\n"
    result = inventory(tmp_path, config, clean_sim, env=FAIL_UNPARSED)
    assert result.rc != 0
    assert "first_octet" in result.output


def test_fetch_details_adds_detail_fields(clean_sim, tmp_path):
    clean_sim.seed(12)
    config = "fetch_details: true\ndetails_concurrency: 4\nansible_host_source: ipv6_address\npage_size: 5\n"
    result = inventory(tmp_path, config, clean_sim)
    assert result.rc == 0, result.output
    one = hostvars(result)["seed-1"]
    assert set(one["vps_resource_usage"]) >= {"cpu_percent", "memory_used", "disk_used", "bandwidth_used"}
    assert one["vps_backups_enabled"] is False
    assert "bandwidth" in one["vps_plan"]
    assert one["ansible_host"] == one["vps_ipv6_address"]
    counters = clean_sim.counters()["by_endpoint"]
    assert counters[LIST_ENDPOINT] == 3
    assert counters[DETAIL_ENDPOINT] == 12


def test_duplicate_names_keep_every_server(clean_sim, tmp_path):
    clean_sim.set_timings(provision_delay=0)
    first = create_server(clean_sim, "web")
    second = create_server(clean_sim, "web")
    result = inventory(tmp_path, "", clean_sim)
    assert result.rc == 0, result.output
    assert hostvars(result)["web"]["vps_id"] == first["id"]
    assert hostvars(result)[f"web_{second['id']}"]["vps_id"] == second["id"]
    assert "share an inventory name" in result.output


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({"env": {"VPS_API_TOKEN": "not-the-right-token-123"}}, "API token missing or invalid"),
        ({"fault": {"kind": "status", "status": 500, "count": 10}}, "server error (HTTP 500)"),
    ],
    ids=["bad-token", "server-error"],
)
def test_api_failure_is_one_clear_line(clean_sim, tmp_path, setup, expected):
    clean_sim.seed(3)
    if "fault" in setup:
        clean_sim.add_fault(**setup["fault"])
    env = dict(FAIL_UNPARSED, **setup.get("env", {}))
    result = inventory(tmp_path, "", clean_sim, env=env)
    assert result.rc != 0
    # Retries are reported at -v on their own lines; the failure is the one line that is not one.
    lines = [line for line in plugin_messages(result.output, "vpsorg.cloud.vps: ") if "; retrying in " not in line]
    assert lines, result.output
    assert expected in lines[0]
    assert_no_token(result, "not-the-right-token-123")


def test_unreachable_api_names_the_url(clean_sim, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api/v1"
    config = "api_retries: 0\napi_timeout: 2\n"
    result = inventory(tmp_path, config, clean_sim, env=dict(FAIL_UNPARSED, VPS_API_URL=url))
    assert result.rc != 0
    assert f"cannot reach the VPS.org API at {url}" in result.output


def refresh(tmp_path, sim, env=None):
    """`ansible-playbook --flush-cache` over the config inventory() wrote: reads the API, refills the cache."""
    config = str(tmp_path / "vps.yml")
    return run_playbook(tmp_path / "refresh", REFRESH_PLAY, sim=sim, env=env, args=("-i", config, "--flush-cache"))


def test_cache_answers_while_the_api_is_down(tmp_path):
    cache_dir = tmp_path / "cache"
    config = f"cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: {cache_dir}\n"
    with Simulator() as sim:
        sim.seed(7)
        cold = inventory(tmp_path, config, sim)
        assert cold.rc == 0, cold.output
        assert sim.counters()["total"] == 1
        sim.stop()

        warm = inventory(tmp_path, config, sim, env=FAIL_UNPARSED)
        assert warm.rc == 0, warm.output
        assert hostvars(warm) == hostvars(cold)
        assert "from the inventory cache" in warm.output

        flushed = refresh(tmp_path, sim, env={"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1"})
        assert flushed.rc != 0
        assert "cannot reach the VPS.org API" in flushed.output

        # The restarted simulator starts empty (in-memory database): a refresh shows only the new servers.
        sim.start()
        sim.seed(2, name_prefix="later")
        assert refresh(tmp_path, sim).rc == 0
        before = sim.counters()["total"]
        refreshed = inventory(tmp_path, config, sim)
        assert refreshed.rc == 0, refreshed.output
        assert sorted(hostvars(refreshed)) == ["later-1", "later-2"]
        assert sim.counters()["total"] == before, "the refreshed cache should answer"
    assert not any(sim.token in path.read_text() for path in cache_dir.iterdir())
