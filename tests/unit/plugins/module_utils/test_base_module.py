"""Checks every module makes before any request."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import base_module


def test_only_the_options_a_module_has_are_checked():
    assert base_module.option_problems({"plan_id": 0}, {"name": {}}) == []
    assert base_module.option_problems({"plan_id": 0}, {"plan_id": {}})[0][0] == "plan_id"


def test_all_problems_are_listed_at_once():
    params = {"id": -1, "name": "a b", "hostname": "", "wait_timeout": -5}
    spec = dict.fromkeys(params)
    assert [problem[0] for problem in base_module.option_problems(params, spec)] == list(params)


@pytest.mark.parametrize("value", ["h.example.com", "x" * 253])
def test_good_hostnames(value):
    assert base_module.text_problem("hostname", value, base_module.MAX_HOSTNAME_LENGTH) is None


@pytest.mark.parametrize("value", ["", " ", " h", "h ", "h\n", "a\x7fb", "x" * 254])
def test_bad_hostnames(value):
    assert "hostname" in base_module.text_problem("hostname", value, base_module.MAX_HOSTNAME_LENGTH)


@pytest.mark.parametrize(("value", "ok"), [(1, True), (2**31 - 1, True), (0, False), (2**31, False), (None, True)])
def test_ids(value, ok):
    assert (base_module.id_problem("os_id", value) is None) is ok
