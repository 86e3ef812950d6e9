"""Change detection of the vps_server_events source, on plain listings (no HTTP, no asyncio)."""

from __future__ import annotations

import copy

import pytest
from ansible_collections.vpsorg.cloud.plugins.plugin_utils.server_events import (
    CREATED,
    DELETED,
    STATUS_CHANGED,
    UPDATED,
    MalformedListing,
    ServerWatcher,
    changed_fields,
    event_for,
    index_listing,
)
from hypothesis import given, settings
from hypothesis import strategies as st


def srv(server_id, status="active", name=None, **extra):
    return dict({"id": server_id, "name": name or f"s{server_id}", "status": status, "updated_at": "t0"}, **extra)


def started(listing, **kw):
    watcher = ServerWatcher(**kw)
    assert watcher.observe(listing) == []
    return watcher


def test_first_listing_is_the_baseline_without_events():
    watcher = ServerWatcher()
    assert not watcher.started
    assert watcher.observe([srv(1), srv(2)]) == []
    assert watcher.started
    assert watcher.observe([srv(1), srv(2)]) == []


def test_initial_snapshot_reports_each_existing_server_as_created():
    watcher = ServerWatcher(initial_snapshot=True)
    events = watcher.observe([srv(2), srv(1, "stopped")])
    assert [(e["type"], e["server"]["id"], e["previous"], e["initial"]) for e in events] == [
        (CREATED, 1, None, True),
        (CREATED, 2, None, True),
    ]
    assert watcher.observe([srv(2), srv(1, "stopped")]) == []


def test_created():
    watcher = started([srv(1)])
    (event,) = watcher.observe([srv(1), srv(2, "provisioning")])
    assert event == {"type": CREATED, "server": srv(2, "provisioning"), "previous": None, "initial": False}


def test_status_changed_carries_old_and_new_status():
    watcher = started([srv(1, "provisioning")])
    (event,) = watcher.observe([srv(1, "active")])
    assert event["type"] == STATUS_CHANGED
    assert (event["old_status"], event["new_status"]) == ("provisioning", "active")
    assert event["server"] == srv(1, "active")
    assert event["previous"] == srv(1, "provisioning")
    assert event["changes"] == {"status": {"before": "provisioning", "after": "active"}}


def test_updated_carries_the_changed_fields_only():
    watcher = started([srv(1, hostname="a", backups_enabled=False)])
    (event,) = watcher.observe([srv(1, hostname="b", backups_enabled=False)])
    assert event["type"] == UPDATED
    assert event["changes"] == {"hostname": {"before": "a", "after": "b"}}
    assert "old_status" not in event
    assert event["previous"]["hostname"] == "a"


def test_status_and_other_fields_changing_together_make_one_status_changed_event():
    watcher = started([srv(1, "provisioning", ip_address=None)])
    events = watcher.observe([srv(1, "active", ip_address="203.0.113.5", updated_at="t1")])
    assert [e["type"] for e in events] == [STATUS_CHANGED]
    assert set(events[0]["changes"]) == {"status", "ip_address", "updated_at"}


def test_deleted_needs_two_listings_and_carries_the_last_version_seen():
    watcher = started([srv(1), srv(2)])
    (event,) = watcher.observe([srv(1), srv(2, "stopped")])
    assert watcher.needs_confirmation([srv(1)])
    (event,) = watcher.observe([srv(1)], [srv(1)])
    assert event == {"type": DELETED, "server": srv(2, "stopped"), "previous": srv(2, "stopped")}
    assert watcher.observe([srv(1)]) == []


def test_a_server_missing_from_one_listing_only_is_not_deleted():
    # A listing taken while servers move between pages can miss one; the confirming listing shows it.
    watcher = started([srv(1), srv(2)])
    assert watcher.needs_confirmation([srv(1)])
    assert watcher.observe([srv(1)], [srv(1), srv(2)]) == []
    assert watcher.observe([srv(1), srv(2)]) == []


def test_a_server_missing_from_the_confirming_listing_only_is_kept_until_the_next_poll():
    watcher = started([srv(1), srv(2)])
    assert watcher.observe([srv(1), srv(2)], [srv(1)]) == []
    (event,) = watcher.observe([srv(1)], [srv(1)])
    assert event["type"] == DELETED


def test_the_newest_listing_wins_when_both_show_a_server():
    watcher = started([srv(1, "active")])
    (event,) = watcher.observe([srv(1, "stopping")], [srv(1, "stopped")])
    assert (event["old_status"], event["new_status"]) == ("active", "stopped")


def test_no_confirmation_needed_before_the_baseline_or_when_nothing_is_missing():
    watcher = ServerWatcher()
    assert not watcher.needs_confirmation([])
    watcher.observe([srv(1)])
    assert not watcher.needs_confirmation([srv(1), srv(2)])


def test_several_transitions_within_one_interval_are_one_event_from_first_to_last_state():
    watcher = started([srv(1, "provisioning")])
    # provisioning -> active -> stopping -> stopped happened between two polls.
    (event,) = watcher.observe([srv(1, "stopped")])
    assert (event["type"], event["old_status"], event["new_status"]) == (STATUS_CHANGED, "provisioning", "stopped")


def test_created_and_changed_within_one_interval_is_one_created_event_in_the_current_state():
    watcher = started([])
    (event,) = watcher.observe([srv(1, "active", ip_address="203.0.113.5")])
    assert event["type"] == CREATED
    assert event["server"]["status"] == "active"


def test_created_and_deleted_within_one_interval_is_no_event():
    watcher = started([srv(1)])
    assert watcher.observe([srv(1)]) == []


def test_there_and_back_within_one_interval_is_no_event_when_nothing_else_changed():
    watcher = started([srv(1, "active")])
    assert watcher.observe([srv(1, "active")]) == []


def test_a_failed_listing_in_between_changes_nothing_and_the_next_one_reports_once():
    # The caller passes only successful listings; a failure in between is simply no observe().
    watcher = started([srv(1, "active"), srv(2)])
    snapshot = copy.deepcopy(watcher.snapshot)
    with pytest.raises(MalformedListing):
        watcher.observe([srv(1, "stopped"), {"name": "no id"}])
    assert watcher.snapshot == snapshot
    events = watcher.observe([srv(1, "stopped"), srv(2), srv(3)])
    assert [(e["type"], e["server"]["id"]) for e in events] == [(STATUS_CHANGED, 1), (CREATED, 3)]
    assert watcher.observe([srv(1, "stopped"), srv(2), srv(3)]) == []


@pytest.mark.parametrize(
    "listing",
    [None, {"results": []}, [srv(1), "x"], [{"id": None}], [{"id": True}], [{"id": ""}], [{"id": [1]}]],
)
def test_malformed_listings_are_refused(listing):
    with pytest.raises(MalformedListing):
        index_listing(listing)


def test_status_filter_reports_servers_entering_and_leaving_the_status():
    watcher = started([srv(1, "provisioning"), srv(2, "stopped"), srv(3, "active")], status="active")
    events = watcher.observe([srv(1, "active"), srv(2, "starting"), srv(3, "stopping")])
    assert [(e["server"]["id"], e["old_status"], e["new_status"]) for e in events] == [
        (1, "provisioning", "active"),
        (3, "active", "stopping"),
    ]
    # Leaving the status is a status change, never a deletion; a stopped server's deletion is not reported.
    assert watcher.observe([srv(1, "active"), srv(2, "active"), srv(3, "stopped")])[0]["server"]["id"] == 2
    (event,) = watcher.observe([srv(2, "active")], [srv(2, "active")])
    assert (event["type"], event["server"]["id"]) == (DELETED, 1)


def test_events_do_not_share_objects_with_the_listing():
    watcher = started([])
    listing = [srv(1, tags=["a"])]
    (event,) = watcher.observe(listing)
    listing[0]["tags"].append("b")
    assert event["server"]["tags"] == ["a"]


def test_changed_fields_and_event_for_edges():
    assert changed_fields({"a": 1, "b": {"x": 1}}, {"b": {"x": 2}, "c": 3}) == {
        "a": {"before": 1, "after": None},
        "b": {"before": {"x": 1}, "after": {"x": 2}},
        "c": {"before": None, "after": 3},
    }
    assert event_for(None, None) is None
    assert event_for(srv(1), srv(1)) is None


# -- properties over random histories ---------------------------------------------------------

STATUSES = ("provisioning", "active", "stopping", "stopped", "starting")
server_states = st.dictionaries(
    st.integers(1, 6),
    st.tuples(st.sampled_from(STATUSES), st.sampled_from(("a", "b"))),
    max_size=6,
)


def listing_of(state):
    return [srv(server_id, status, hostname=host) for server_id, (status, host) in state.items()]


def replay(known, events):
    """What a consumer that applies the events to its copy of the account ends up with."""
    known = dict(known)
    for event in events:
        server_id = event["server"]["id"]
        if event["type"] == CREATED:
            assert server_id not in known
            known[server_id] = event["server"]
        elif event["type"] == DELETED:
            assert known.pop(server_id) == event["previous"]
        else:
            assert known[server_id] == event["previous"]
            known[server_id] = event["server"]
    return known


@settings(max_examples=200, deadline=None)
@given(st.lists(server_states, min_size=1, max_size=8))
def test_events_replayed_on_the_first_listing_give_every_later_listing(history):
    watcher = ServerWatcher()
    watcher.observe(listing_of(history[0]))
    known = {s["id"]: s for s in listing_of(history[0])}
    for state in history[1:]:
        listing = listing_of(state)
        confirm = [listing] if watcher.needs_confirmation(listing) else []
        events = watcher.observe(listing, *confirm)
        ids = [event["server"]["id"] for event in events]
        assert len(ids) == len(set(ids)), "more than one event for a server in one poll"
        known = replay(known, events)
        assert known == {s["id"]: s for s in listing}
        for event in events:
            if event["type"] == STATUS_CHANGED:
                assert event["old_status"] != event["new_status"]
            if event["type"] == UPDATED:
                assert event["server"]["status"] == event["previous"]["status"]
                assert event["changes"]
