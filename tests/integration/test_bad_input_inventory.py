"""Bad input on the inventory plugin's options: one clear error naming the option, no request sent."""

from __future__ import annotations

import pytest
from harness import run_inventory

# (extra configuration lines, words the error must contain)
CASES = [
    ("api_token: ''", ["api_token"]),
    ("api_url: ftp://vps.example/api", ["api_url", "http:// or https://"]),
    ("api_timeout: soon", ["api_timeout"]),
    ("api_timeout: 0", ["api_timeout"]),
    ("api_retries: -1", ["api_retries"]),
    ("page_size: 0", ["page_size"]),
    ("page_size: many", ["page_size"]),
    ("filters: {size: big}", ["filters", "size"]),
    ("filters: [status]", ["filters"]),
    ("inventory_hostname: uuid", ["inventory_hostname"]),
    ("inventory_hostname: template", ["inventory_hostname_template"]),
    ("ansible_host_source: public", ["ansible_host_source"]),
    ("details_concurrency: 0", ["details_concurrency"]),
    ("page_concurrency: 0", ["page_concurrency"]),
    ("page_concurrency: 65", ["page_concurrency", "between 1 and 64", "got 65"]),
    ("wait_timeout: 0", ["wait_timeout"]),
    # Every problem at once, not the first one alone.
    ("api_timeout: 0\npage_size: 0\napi_url: ftp://x", ["api_timeout", "page_size", "api_url"]),
    ("validate_certs: maybe", ["validate_certs"]),
]


@pytest.mark.parametrize(("lines", "words"), CASES, ids=[case[0] for case in CASES])
def test_bad_inventory_option(clean_sim, tmp_path, lines, words):
    # As in a pipeline that must not run against a half-read inventory: an unparsed source fails.
    strict = {"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1", "ANSIBLE_INVENTORY_ENABLED": "vpsorg.cloud.vps"}
    result = run_inventory(tmp_path, f"plugin: vpsorg.cloud.vps\n{lines}\n", sim=clean_sim, env=strict, verbosity=0)
    assert result.rc != 0, result.output
    assert all(word in result.stderr for word in words), result.stderr
    assert clean_sim.requests() == []


@pytest.mark.parametrize("enabled", [None, "vpsorg.cloud.vps"], ids=["through-auto", "enabled-directly"])
def test_a_file_with_the_wrong_name_is_declined_with_the_reason_at_default_verbosity(clean_sim, tmp_path, enabled):
    reason = "the file name of a vpsorg.cloud.vps inventory must end in vps.yml or vps.yaml (for example prod.vps.yml)"
    env = {"ANSIBLE_INVENTORY_ENABLED": enabled}
    result = run_inventory(tmp_path, "plugin: vpsorg.cloud.vps\n", sim=clean_sim, env=env, name="prod.yml", verbosity=0)
    flat = " ".join(result.output.split())
    assert f"not reading {tmp_path / 'prod.yml'}: {reason}" in flat, result.output
    assert clean_sim.requests() == []


def test_a_file_of_another_kind_is_declined_without_a_warning(clean_sim, tmp_path):
    # Enabled directly, the plugin is asked about every source: a plain YAML inventory is not its business.
    env = {"ANSIBLE_INVENTORY_ENABLED": "vpsorg.cloud.vps,yaml"}
    result = run_inventory(
        tmp_path, "all:\n  hosts:\n    web:\n", sim=clean_sim, env=env, name="hosts.yml", verbosity=0
    )
    assert "vpsorg.cloud.vps inventory must end in" not in result.output, result.output
