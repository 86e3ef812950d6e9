"""vpsorg.cloud.vps's compose/groups/keyed_groups give what ansible-core's own constructed gives.

Differential: the same expressions, once as the plugin's options and once through
ansible.builtin.constructed over the plugin's plain hosts, on the ansible-core under test. How a
missing value, an integer or a dict comes out of templating differs between core versions;
the plugin must differ exactly as core does, on each of them.
"""

from __future__ import annotations

import json

import yaml
from harness import create_server, run_inventory

# A key that templates to anything but a string, list or dict (an int, a bool, a method) fails
# the whole source on 2.16-2.18 even with strict off, so every key here gives one of those.
KEYED_GROUPS = [
    {"key": "vps_location", "prefix": "loc"},
    {"key": "vps_plan.name"},
    {"key": "vps_plan.memory | string", "prefix": "mem"},
    {"key": "vps_ip_address", "prefix": "ip", "default_value": "none-yet"},
    {"key": "(vps_ip_address)", "prefix": "pip", "default_value": "none-yet"},
    {"key": "vps_ip_address", "prefix": "bare"},
    {"key": "vps_name[:0]", "prefix": "h", "trailing_separator": False},
    {"key": "vps_name[:0]", "prefix": "hd", "default_value": "no-hostname"},
    {"key": "vps_os", "prefix": "os"},
    {"key": "{'tier': vps_name.split('-')[0], 'empty': ''}", "prefix": "d", "trailing_separator": False},
    {"key": "[vps_status, vps_location, '']", "prefix": "list", "default_value": "blank"},
    {"key": "not_a_var", "prefix": "missing"},
    {"key": "none", "prefix": "literal"},
    {"key": "'yes'", "prefix": "literal"},
    {"key": "inventory_hostname", "prefix": "self"},
    {"key": "vps_id | string", "prefix": "id"},
    {"key": "vps_status", "separator": ""},
    {"key": "cpus | string", "prefix": "composed"},
]
COMPOSE = {
    "cpus": "vps_plan.vcpus",
    "where": "vps_location",
    "address": "vps_ip_address",
    "paren_address": "(vps_ip_address)",
    "first_octet": "vps_ip_address.split('.')[0]",
    "memory_gb": "vps_plan.memory // 1024",
    "label": "vps_name ~ '@' ~ vps_location",
    "flag": "true",
    "nothing": "none",
    "plan": "vps_plan",
    "hostname_or_name": "vps_hostname or vps_name",
}
GROUPS = {
    "west": "vps_location == 'us-west'",
    "no_address": "vps_ip_address is none",
    "two_cpus": "cpus | int == 2",
    "broken": "vps_ip_address.startswith('203')",
}
CONSTRUCTED = {"compose": COMPOSE, "groups": GROUPS, "keyed_groups": KEYED_GROUPS}


def listing(tmp_path, config, sim, *extra_sources):
    output = tmp_path / "inventory.json"
    args = ["--list", "--output", str(output)]
    for source in extra_sources:
        args += ["-i", str(source)]
    result = run_inventory(
        tmp_path, config, sim=sim, args=tuple(args), env={"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1"}
    )
    assert result.rc == 0, result.output
    data = json.loads(output.read_text())
    groups = {name: sorted(body.get("hosts", [])) for name, body in data.items() if name != "_meta"}
    return groups, data["_meta"]["hostvars"]


def test_constructed_options_match_ansible_core(clean_sim, tmp_path):
    clean_sim.set_timings(provision_delay=0)
    create_server(clean_sim, "web-1", hostname="web-1.example.com")
    create_server(clean_sim, "db-1", location="us-east")
    clean_sim.set_timings(provision_delay=600)
    create_server(clean_sim, "fresh-1")

    plugin = "plugin: vpsorg.cloud.vps\n"
    own_groups, own_vars = listing(tmp_path / "plugin", plugin + yaml.safe_dump(CONSTRUCTED), clean_sim)

    core_config = tmp_path / "core" / "core.config.yml"
    core_config.parent.mkdir()
    core_config.write_text(yaml.safe_dump(dict({"plugin": "constructed"}, **CONSTRUCTED)))
    core_groups, core_vars = listing(tmp_path / "core", plugin, clean_sim, core_config)

    assert own_vars == core_vars
    assert own_groups == core_groups
    # The corpus reaches the cases that differ between versions: a host without address, and
    # groups from plain references, dicts and lists.
    assert set(own_vars) == {"web-1", "db-1", "fresh-1"}
    assert own_groups["loc_us_west"] == ["fresh-1", "web-1"]
    assert own_groups["d_tier_web"] == ["web-1"]
    assert own_vars["fresh-1"]["address"] in (None, "")
