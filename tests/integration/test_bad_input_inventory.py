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
    ("page_concurrency: 65", ["page_concurrency", "at most 64", "got 65"]),
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
def test_a_file_with_the_wrong_name_is_declined_with_the_reason_at_vvv(clean_sim, tmp_path, enabled):
    reason = "the file name of a vpsorg.cloud.vps inventory must end in vps.yml or vps.yaml (for example prod.vps.yml)"
    env = {"ANSIBLE_INVENTORY_ENABLED": enabled}
    for verbosity, shown in ((3, True), (0, False)):
        result = run_inventory(
            tmp_path, "plugin: vpsorg.cloud.vps\n", sim=clean_sim, env=env, name="servers.yml", verbosity=verbosity
        )
        flat = " ".join(result.output.split())
        assert (f"not reading {tmp_path / 'servers.yml'}: {reason}" in flat) is shown, result.output
    assert clean_sim.requests() == []
