"""What one fleet entry reports: its result row, message, failure, predicted server and diff, exactly."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.fleet import entry_problems, merge_entries
from test_fleet import SUMMARY as SERVER
from test_fleet import entry

CREATE = {"plan_id": 1, "os_id": 5, "location": "us-west"}
REFUSED = {"reason": "refused", "status": None, "method": None, "path": None, "detail": None, "field_errors": {}}


def planned(listing, **wanted):
    one = entry(**wanted)
    one.settle_plan(listing)
    return one


def row(**fields):
    base = {
        "name": "web",
        "id": 7,
        "action": "none",
        "power": None,
        "changes": {},
        "done": [],
        "changed": False,
        "failed": False,
        "msg": "unchanged",
        "failure": None,
    }
    return dict(base, **fields)


def test_problem_of_an_entry_without_a_name_names_its_index_only():
    problems = entry_problems(merge_entries([{"name": ""}], {}))
    assert problems == [
        ("servers[0].name", "servers[0]: name '' is not a valid server name: use 1 to 63 letters, digits and hyphens")
    ]


def test_repeated_name_sentence_says_each_server_may_appear_once():
    problems = entry_problems(merge_entries([{"name": "a"}, {"name": "a"}], {}))
    assert problems == [
        ("servers[1].name", "servers[1] (a): name 'a' is already used by servers[0]; each server may appear only once")
    ]


def test_twins_in_the_account_are_refused_with_their_ids():
    twins = planned([SERVER, dict(SERVER, id=8)], name="web")
    assert twins.error == (
        "2 servers in the account have this name (ids 7, 8); "
        "rename or delete the extra ones, nothing is done on a guess"
    )
    assert twins.result(False) == row(id=None, action="refuse", failed=True, msg=twins.error, failure=REFUSED)


def test_refused_plan_keeps_its_action_and_reports_the_problem():
    moved = planned([SERVER], name="web", location="eu-central")
    assert moved.result(False) == row(
        action="refuse",
        failed=True,
        msg="location cannot be changed on existing server 'web' (id 7): it is us-west, requested eu-central. "
        "Create a new server to change them; this one is left untouched.",
        failure=REFUSED,
    )


@pytest.mark.parametrize("check_mode", [False, True])
def test_create_row_lists_the_body_and_what_was_or_would_be_done(check_mode):
    new = planned([], name="web", power="stopped", **CREATE)
    body = dict(CREATE, name="web")
    if check_mode:
        new.power = "stop"  # decided once the new server has settled
        expected = row(
            id=None, action="create", power="stop", changes=body, changed=True, msg="would be created, stopped"
        )
    else:
        new.server = dict(SERVER, status="provisioning")
        new.done = ["create"]
        expected = row(action="create", changes=body, done=["created"], changed=True, msg="created")
    assert new.result(check_mode) == expected


def test_update_row_and_power_done_for_real():
    renamed = planned([SERVER], name="web", hostname="new.example.com", power="stopped")
    assert renamed.result(True) == row(
        action="update",
        power="stop",
        changes={"hostname": "new.example.com"},
        changed=True,
        msg="would be updated, stopped",
    )
    assert renamed.changed(False) is False and renamed.message(False) == "unchanged"
    renamed.done = ["update", "stop"]
    assert renamed.result(False) == row(
        action="update",
        power="stop",
        changes={"hostname": "new.example.com"},
        done=["updated", "stopped"],
        changed=True,
        msg="updated, stopped",
    )


def test_failure_of_a_request_is_reported_with_the_apis_answer():
    renamed = planned([SERVER], name="web", hostname="new.example.com")
    error = VpsApiError("insufficient account balance", status=402, method="PATCH", path="/servers/7/")
    renamed.fail(error)
    renamed.fail("a later problem is not the cause")
    result = renamed.result(False)
    assert result["action"] == "update" and result["failed"] is True
    assert result["msg"] == "insufficient account balance (PATCH /servers/7/ answered HTTP 402)"
    assert result["failure"] == error.failure()


def test_created_server_is_predicted_from_its_body_as_provisioning_then_powered():
    new = planned([], name="web", hostname="h.example.com", **CREATE)
    # The shape vps_server predicts: plan and os as the API shows them.
    shown = {"name": "web", "hostname": "h.example.com", "location": CREATE["location"], "status": "provisioning"}
    assert new.predicted() == dict(shown, plan={"id": CREATE["plan_id"]}, os={"id": CREATE["os_id"]})
    new.power = "stop"
    assert new.predicted()["status"] == "stopped"


def test_existing_server_is_predicted_with_its_changes_and_power():
    renamed = planned([SERVER], name="web", hostname="new.example.com", power="stopped")
    assert renamed.predicted() == dict(SERVER, hostname="new.example.com", status="stopped")
    assert entry(name="web").predicted() == {}


def test_diff_of_an_update_with_power_shows_managed_fields_and_status():
    renamed = planned([SERVER], name="web", hostname="new.example.com", power="stopped")
    before = {
        "name": "web",
        "hostname": "web.example.com",
        "backups_enabled": None,
        "plan_id": 1,
        "os_id": 5,
        "location": "us-west",
        "state": "present",
        "status": "active",
    }
    assert renamed.diff() == {
        "before_header": "web",
        "after_header": "web",
        "before": before,
        "after": dict(before, hostname="new.example.com", status="stopped"),
    }


def test_diff_of_a_create_and_of_a_delete():
    new = planned([], name="web", **CREATE)
    assert new.diff()["before"] == {"state": "absent"}
    assert new.diff()["after"] == dict(
        CREATE, name="web", hostname=None, backups_enabled=None, state="present", status="provisioning"
    )
    gone = planned([SERVER], name="web", state="absent")
    assert gone.diff()["after"] == {"state": "absent"} and gone.diff()["before"]["status"] == "active"
