"""Ansible's masking walk is skipped only where it cannot change the result."""

from __future__ import annotations

import math

import pytest
from ansible.module_utils.common import warnings
from ansible.module_utils.common.parameters import remove_values
from ansible_collections.vpsorg.cloud.plugins.module_utils import result_masking
from hypothesis import given
from hypothesis import strategies as st

try:
    from ansible.module_utils import _internal as ansible_internal
except ImportError:  # ansible-core before 2.19 always keeps a module's warnings for its result
    ansible_internal = None

SECRETS = st.text(min_size=1, max_size=6)


def values_around(secret):
    """JSON values whose strings and numbers often hold the secret, or part of it."""
    pieces = st.sampled_from([secret, secret[:-1], secret[1:], '"', "\\", "\n", "é", "x", "1", "."])
    strings = st.lists(pieces, max_size=4).map("".join) | st.text(max_size=5)
    numbers = st.integers() | st.floats(allow_nan=True, allow_infinity=True)
    scalars = st.none() | st.booleans() | numbers | strings
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(strings, children, max_size=3),
        max_leaves=12,
    )


@given(st.data(), SECRETS)
def test_a_result_said_unmaskable_is_what_the_masking_walk_gives_back(data, secret):
    value = data.draw(values_around(secret))
    if not result_masking.could_be_masked(value, {secret}):
        assert remove_values(value, {secret}) == value


@pytest.mark.parametrize(
    "value",
    [
        {"name": "db-tok"},
        {"tok": 1},
        [{"ip": "10.0.0.1", "note": 'say "tok"'}],
        {"n": float("nan")},
        {"n": math.inf},
        {"when": object()},
    ],
)
def test_maskable_or_unsure(value):
    assert result_masking.could_be_masked(value, {"tok"})


def test_plain_servers_are_not_maskable():
    servers = [{"id": 10001, "name": "web", "ip_address": "203.0.113.5", "plan": {"id": 1}}]
    assert not result_masking.could_be_masked({"servers": servers, "changed": False}, {"tok-SECRET"})


class Module:
    """What exit_json needs of an AnsibleModule; records how it was called."""

    def __init__(self, secrets):
        self.no_log_values = set(secrets)
        self.params = {"api_token": "  tok-SECRET  ", "name": "web"}
        self.calls = []

    def exit_json(self, **result):
        self.calls.append((result, set(self.no_log_values)))


@pytest.fixture(autouse=True)
def no_pending_messages(monkeypatch):
    monkeypatch.setattr(warnings, "_global_warnings", {} if isinstance(warnings._global_warnings, dict) else [])
    monkeypatch.setattr(warnings, "_global_deprecations", {} if isinstance(warnings._global_deprecations, dict) else [])


SECRET_SET = {"  tok-SECRET  ", "tok-SECRET"}


def test_a_result_without_secrets_skips_the_walk_but_masks_the_arguments():
    module = Module(SECRET_SET)
    result_masking.exit_json(module, {"changed": False, "servers": [{"name": "web"}]})

    [(result, secrets_at_exit)] = module.calls
    assert secrets_at_exit == set()
    assert result["servers"] == [{"name": "web"}]
    assert result["invocation"] == {"module_args": {"api_token": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "name": "web"}}
    assert module.no_log_values == SECRET_SET


@pytest.mark.parametrize(
    "result",
    [
        {"changed": False, "servers": [{"name": "db-tok-SECRET"}]},
        {"changed": False, "invocation": {"module_args": {}}},
    ],
)
def test_a_result_that_may_need_masking_goes_through_ansible(result):
    module = Module(SECRET_SET)
    result_masking.exit_json(module, dict(result))

    [(given_result, secrets_at_exit)] = module.calls
    assert secrets_at_exit == SECRET_SET
    assert given_result == result


def test_without_secrets_nothing_is_changed():
    module = Module(set())
    result_masking.exit_json(module, {"changed": True})
    assert module.calls == [({"changed": True}, set())]


def test_a_pending_warning_sends_the_result_through_ansible(monkeypatch):
    # Once a controller plugin was loaded in this process, ansible-core 2.19 shows warnings at once
    # instead of keeping them for the module result: pretend to be a module, as in a real run.
    if ansible_internal is not None:
        monkeypatch.setattr(ansible_internal, "is_controller", False, raising=False)
    module = Module(SECRET_SET)
    warnings.warn("the list changed while it was read")
    result_masking.exit_json(module, {"changed": False})

    [(result, secrets_at_exit)] = module.calls
    assert secrets_at_exit == SECRET_SET and "invocation" not in result
