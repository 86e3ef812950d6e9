"""Readings of the API that the rest of the code relies on."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import contract


@pytest.mark.parametrize("name", ["a", "web-01", "A" * 63, "0-0"])
def test_valid_names(name):
    assert contract.NAME_PATTERN.fullmatch(name)


@pytest.mark.parametrize("name", ["", "web-01\n", "web 01", "web_01", "A" * 64, "wéb", "web.01"])
def test_invalid_names(name):
    assert not contract.NAME_PATTERN.fullmatch(name)


@pytest.mark.parametrize("token", ["abc", "tok-SECRET.0123_~+/="])
def test_tokens_a_header_can_carry(token):
    assert contract.TOKEN_PATTERN.fullmatch(token)


@pytest.mark.parametrize("token", ["two words", "tab\there", "new\nline", "ünï", "\x00"])
def test_tokens_a_header_cannot_carry(token):
    assert not contract.TOKEN_PATTERN.fullmatch(token)


def test_every_power_state_action_is_a_known_action_from_a_settled_status():
    for state, actions in contract.POWER_STATE_ACTIONS.items():
        for status, action in actions.items():
            assert status in contract.SETTLED_STATUSES, state
            assert status in contract.POWER_ACTIONS[action]["from_statuses"] or action == "start", state


def test_statuses_are_either_transitional_or_settled():
    assert not contract.TRANSITIONAL_STATUSES & contract.SETTLED_STATUSES
    for spec in contract.POWER_ACTIONS.values():
        assert spec["transitional"] in contract.TRANSITIONAL_STATUSES and spec["settled"] in contract.SETTLED_STATUSES


STOP = contract.POWER_ACTIONS["stop"]
REBOOT = contract.POWER_ACTIONS["reboot"]


@pytest.mark.parametrize(
    ("spec", "before", "now", "took"),
    [
        (STOP, {"status": "active"}, {"status": "stopping"}, True),
        (STOP, {"status": "active"}, {"status": "stopped"}, True),
        (STOP, {"status": "active"}, {"status": "active"}, False),
        (REBOOT, {"status": "active", "updated_at": "t0"}, {"status": "active", "updated_at": "t0"}, False),
        (REBOOT, {"status": "active", "updated_at": "t0"}, {"status": "active", "updated_at": "t1"}, True),
        (REBOOT, {"status": "active"}, {"status": "rebooting"}, True),
        (REBOOT, {"status": "active"}, {"status": "suspended"}, False),
    ],
)
def test_action_took_effect(spec, before, now, took):
    assert contract.action_took_effect(spec, before, now) is took


def test_paths():
    assert contract.server_path(7) == "/servers/7/"
    assert contract.action_path(7, "stop") == "/servers/7/stop/"
