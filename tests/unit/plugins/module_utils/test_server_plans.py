"""Every server plan in full: action, changes, body, problems and unknown options, with exact sentences."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import server_state
from ansible_collections.vpsorg.cloud.plugins.module_utils.server_state import ServerPlan
from test_server_state import SERVER, WANTED

UNTOUCHED = ". Create a new server to change them; this one is left untouched."


@pytest.mark.parametrize(
    ("server", "wanted", "state", "plan"),
    [
        (SERVER, WANTED, "absent", ServerPlan("delete", {}, {}, [], [])),
        (None, WANTED, "absent", ServerPlan("none", {}, {}, [], [])),
        (None, WANTED, "present", ServerPlan("create", {}, WANTED, [], [])),
        (
            None,
            {"name": "web-1", "os_id": 5},
            "present",
            ServerPlan(
                "refuse", {}, {}, ["server 'web-1' does not exist; to create it, also give plan_id, location"], []
            ),
        ),
        (
            SERVER,
            dict(WANTED, plan_id=2, location="eu-central", ssh_key_id=3),
            "present",
            ServerPlan(
                "refuse",
                {},
                {},
                [
                    "plan_id cannot be changed on existing server 'web-1' (id 7): it is 1, requested 2; "
                    "location cannot be changed on existing server 'web-1' (id 7): it is us-west, requested eu-central"
                    + UNTOUCHED
                ],
                ["ssh_key_id"],
            ),
        ),
        (
            SERVER,
            dict(WANTED, backups_enabled=True),
            "present",
            ServerPlan("update", {"backups_enabled": True}, {}, [], []),
        ),
    ],
)
def test_plan(server, wanted, state, plan):
    assert server_state.plan_server(server, wanted, state) == plan


def test_present_is_the_default_state():
    assert server_state.plan_server(None, WANTED).action == "create"


def test_managed_view_carries_the_state_asked_for():
    assert server_state.managed_view(SERVER, "absent")["state"] == "absent"
    assert server_state.managed_view({}, "present") == dict.fromkeys(server_state.MANAGED_FIELDS) | {"state": "present"}


def test_predicted_server_keeps_the_given_fields_only():
    body = dict(WANTED, backups_enabled=True, ssh_key_id=3)
    assert server_state.predicted(body) == {
        "name": "web-1",
        "location": "us-west",
        "backups_enabled": True,
        "status": "provisioning",
        "plan": {"id": 1},
        "os": {"id": 5},
    }


def test_suspended_server_cannot_be_powered_and_says_why():
    with pytest.raises(ValueError) as refused:
        server_state.power_action("suspended", "started")
    assert str(refused.value) == "it is suspended by VPS.org and cannot be powered on or off"
