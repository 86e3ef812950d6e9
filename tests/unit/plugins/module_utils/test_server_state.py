"""The one place every module decides what to do with a server."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import server_state

SERVER = {
    "id": 7,
    "name": "web-1",
    "hostname": "web-1.example.com",
    "status": "active",
    "location": "us-west",
    "plan": {"id": 1},
    "os": {"id": 5},
    "backups_enabled": False,
}
WANTED = {"name": "web-1", "plan_id": 1, "os_id": 5, "location": "us-west"}


def test_absent_server_with_every_fixed_field_is_created_with_only_given_fields():
    plan = server_state.plan_server(None, dict(WANTED, hostname=None, backups_enabled=True))
    assert plan.action == "create"
    assert plan.body == dict(WANTED, backups_enabled=True)


def test_absent_server_without_fixed_fields_is_refused_naming_them():
    plan = server_state.plan_server(None, {"name": "web-1", "plan_id": 1})
    assert plan.action == "refuse" and "also give os_id, location" in plan.problems[0]


def test_equal_server_needs_nothing():
    plan = server_state.plan_server(SERVER, dict(WANTED, hostname="web-1.example.com", backups_enabled=False))
    assert plan == server_state.ServerPlan("none", {}, {}, [], [])


def test_only_differing_updatable_fields_change():
    plan = server_state.plan_server(SERVER, dict(WANTED, hostname="new.example.com", backups_enabled=False))
    assert plan.action == "update" and plan.changes == {"hostname": "new.example.com"}


@pytest.mark.parametrize(("key", "value"), [("plan_id", 2), ("os_id", 3), ("location", "us-east")])
def test_fixed_field_change_is_refused(key, value):
    plan = server_state.plan_server(SERVER, dict(WANTED, **{key: value}))
    assert plan.action == "refuse"
    assert f"{key} cannot be changed on existing server 'web-1' (id 7)" in plan.problems[0]


def test_uncomparable_field_is_named_not_guessed():
    plan = server_state.plan_server(SERVER, dict(WANTED, ssh_key_id=4))
    assert plan.action == "none" and plan.unknown == ["ssh_key_id"]


@pytest.mark.parametrize(("server", "action"), [(SERVER, "delete"), (None, "none")])
def test_absent_state(server, action):
    assert server_state.plan_server(server, WANTED, "absent").action == action


def test_managed_view_reads_nested_ids_and_creation_bodies_alike():
    assert server_state.managed_view(SERVER, "present") == server_state.managed_view(
        dict(WANTED, hostname="web-1.example.com", backups_enabled=False), "present"
    )


@pytest.mark.parametrize(
    ("status", "state", "action"),
    [
        ("stopped", "started", "start"),
        ("active", "started", None),
        ("active", "stopped", "stop"),
        ("stopped", "stopped", None),
        ("active", "restarted", "reboot"),
        ("stopped", "restarted", "start"),
    ],
)
def test_power_action(status, state, action):
    assert server_state.power_action(status, state) == action


def test_suspended_server_has_no_power_action():
    with pytest.raises(ValueError, match="suspended"):
        server_state.power_action("suspended", "started")


@pytest.mark.parametrize(("action", "status"), [("start", "active"), ("stop", "stopped"), ("reboot", "active")])
def test_power_target(action, status):
    assert server_state.power_target(action) == status


def test_documented_view_keeps_only_documented_fields():
    server = dict(SERVER, message="Server is being provisioned.", internal_flag=True, ipv6_address="2001:db8::1")
    view = server_state.documented(server)
    assert "message" not in view and "internal_flag" not in view
    assert view["ipv6_address"] == "2001:db8::1" and view["plan"] == {"id": 1}


def test_check_mode_prediction_is_shaped_like_a_server():
    body = server_state.creation_body(dict(WANTED, hostname="h.example.com"))
    assert server_state.predicted(body) == {
        "name": "web-1",
        "hostname": "h.example.com",
        "location": "us-west",
        "status": "provisioning",
        "plan": {"id": 1},
        "os": {"id": 5},
    }
