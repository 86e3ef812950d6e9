"""Planning a fleet: defaults, checks before any request, and the plan of each entry."""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.module_utils.fleet import (
    ENTRY_SPEC,
    Entry,
    entry_problems,
    merge_entries,
    needs_detail,
)
from hypothesis import given
from hypothesis import strategies as st

SUMMARY = {
    "id": 7,
    "name": "web",
    "status": "active",
    "hostname": "web.example.com",
    "location": "us-west",
    "plan": {"id": 1},
    "os": {"id": 5},
}


def entry(**wanted):
    return Entry(merge_entries([wanted], {})[0])


def test_an_entrys_own_value_wins_over_defaults_and_state_defaults_to_present():
    merged = merge_entries([{"name": "a", "plan_id": 2}, {"name": "b", "state": "absent"}], {"plan_id": 1, "os_id": 5})
    assert merged[0] == dict.fromkeys(ENTRY_SPEC) | {"name": "a", "plan_id": 2, "os_id": 5, "state": "present"}
    assert merged[1]["plan_id"] == 1 and merged[1]["state"] == "absent"


def test_defaults_can_set_state_and_power_for_every_entry():
    merged = merge_entries([{"name": "a"}], {"state": "absent", "power": "stopped"})
    assert merged[0]["state"] == "absent" and merged[0]["power"] == "stopped"


@given(st.lists(st.from_regex(r"[a-z]{1,3}", fullmatch=True), min_size=1, max_size=12))
def test_every_repeated_name_is_named_with_the_first_entry_using_it(names):
    problems = entry_problems(merge_entries([{"name": n} for n in names], {}))
    repeated = [i for i, n in enumerate(names) if n in names[:i]]
    assert [option for option, _sentence in problems] == [f"servers[{i}].name" for i in repeated]
    for (_option, sentence), index in zip(problems, repeated, strict=True):
        assert f"already used by servers[{names.index(names[index])}]" in sentence


def test_listing_confirms_everything_but_backups_enabled():
    assert not needs_detail(SUMMARY, {"hostname": "x", "plan_id": 3, "name": "web"})
    assert needs_detail(SUMMARY, {"backups_enabled": False})
    assert not needs_detail(dict(SUMMARY, backups_enabled=True), {"backups_enabled": False})


def test_plan_uses_the_shared_comparisons():
    same = entry(name="web", hostname="web.example.com", plan_id=1)
    same.settle_plan([SUMMARY])
    assert same.action == "none" and not same.failed
    renamed = entry(name="web", hostname="new.example.com")
    renamed.settle_plan([SUMMARY])
    assert renamed.action == "update" and renamed.plan.changes == {"hostname": "new.example.com"}
    moved = entry(name="web", location="eu-central")
    moved.settle_plan([SUMMARY])
    assert moved.failed and "location cannot be changed" in moved.error


def test_missing_server_with_only_a_power_state_is_said_not_to_exist_without_offering_to_create_it():
    missing = entry(name="ghost", power="stopped")
    missing.settle_plan([])
    assert missing.failed and missing.action == "none"
    assert (
        missing.error == "no server named 'ghost' exists in the account; an entry with only a power state creates none"
    )


def test_missing_server_with_some_creation_fields_is_refused_naming_the_others():
    missing = entry(name="ghost", power="stopped", plan_id=1)
    missing.settle_plan([])
    assert missing.failed and "does not exist; to create it, also give os_id, location" in missing.error


def test_power_is_decided_now_for_settled_servers_and_later_for_new_or_busy_ones():
    stopped = entry(name="web", power="started")
    stopped.settle_plan([dict(SUMMARY, status="stopped")])
    assert stopped.power == "start" and not stopped.power_pending
    busy = entry(name="web", power="stopped")
    busy.settle_plan([dict(SUMMARY, status="starting")])
    assert busy.power is None and busy.power_pending
    busy.decide_power("active")
    assert busy.power == "stop" and not busy.power_pending
    new = entry(name="new", plan_id=1, os_id=5, location="us-west", power="restarted")
    new.settle_plan([])
    assert new.action == "create" and new.power is None and not new.power_pending
    new_stopped = entry(name="new", plan_id=1, os_id=5, location="us-west", power="stopped")
    new_stopped.settle_plan([])
    assert new_stopped.power_pending


def test_restarted_always_acts_on_an_existing_server():
    for status, action in (("active", "reboot"), ("stopped", "start")):
        restarted = entry(name="web", power="restarted")
        restarted.settle_plan([dict(SUMMARY, status=status)])
        assert restarted.power == action


def test_absent_entry_ignores_power():
    gone = entry(name="web", state="absent", power="stopped")
    gone.settle_plan([SUMMARY])
    assert gone.action == "delete" and gone.power is None and not gone.power_pending
