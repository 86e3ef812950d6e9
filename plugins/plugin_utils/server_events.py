# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Change detection for the vps_server_events event source: listings in, events out.

Pure logic (no HTTP, no asyncio), so every rule below is unit-tested on plain dicts.

What a polling source can promise: it sees the account only at each successful listing, so an
event describes the difference between two consecutive listings, never the states a server
passed through in between (provisioning -> active -> stopping inside one interval is one
status_changed from provisioning to stopping).

Rules:
- one event per server per observation: a status change wins, and its `changes` also lists
  every other field that changed at the same time (there is never a second `updated` event
  for the same observation);
- a server is only reported `deleted` when two consecutive listings both lack it (a listing
  can miss a server that moved between pages while it was read), so the caller re-lists
  once before believing a disappearance (see `needs_confirmation`);
- a failed or malformed listing is never passed in, so it can produce no event.
"""

from __future__ import annotations

import copy

CREATED = "created"
STATUS_CHANGED = "status_changed"
UPDATED = "updated"
DELETED = "deleted"
EVENT_TYPES = (CREATED, STATUS_CHANGED, UPDATED, DELETED)


class MalformedListing(ValueError):
    """A listing that is not a list of server objects with ids: not to be trusted for events."""


def index_listing(servers):
    """The listing as {id: server}; raises MalformedListing rather than guess."""
    if not isinstance(servers, list):
        raise MalformedListing("the server list is not a list")
    indexed = {}
    for server in servers:
        server_id = server.get("id") if isinstance(server, dict) else None
        if isinstance(server_id, bool) or not isinstance(server_id, (int, str)) or server_id == "":
            raise MalformedListing(f"a server in the list has no usable id: {server_id!r}")
        indexed[server_id] = server
    return indexed


def changed_fields(before, after):
    """{field: {"before": old, "after": new}} for every field whose value differs."""
    changes = {}
    for field in sorted(set(before) | set(after)):
        old, new = before.get(field), after.get(field)
        if old != new:
            changes[field] = {"before": copy.deepcopy(old), "after": copy.deepcopy(new)}
    return changes


def _event(event_type, server, previous, **extra):
    event = {
        "type": event_type,
        "server": copy.deepcopy(server),
        "previous": copy.deepcopy(previous),
    }
    event.update(extra)
    return event


def event_for(previous, current):
    """The one event that tells how `previous` became `current` (either may be None), or None."""
    if previous is None and current is None:
        return None
    if previous is None:
        return _event(CREATED, current, None, initial=False)
    if current is None:
        return _event(DELETED, previous, previous)
    changes = changed_fields(previous, current)
    if not changes:
        return None
    if "status" in changes:
        return _event(
            STATUS_CHANGED,
            current,
            previous,
            old_status=previous.get("status"),
            new_status=current.get("status"),
            changes=changes,
        )
    return _event(UPDATED, current, previous, changes=changes)


def matches_status(event, status):
    """True when the event concerns a server that has, or had just before, `status`."""
    if status is None:
        return True
    servers = (event["server"], event["previous"])
    return any(server is not None and server.get("status") == status for server in servers)


class ServerWatcher:
    """Remembers the last trusted snapshot of the account and turns new listings into events.

    `status` narrows the events (not the snapshot) to servers that are or just were in that
    status, so a server that leaves the status is reported by a status_changed event, not
    mistaken for a deleted one.
    """

    def __init__(self, status=None, initial_snapshot=False):
        self.status = status
        self.initial_snapshot = initial_snapshot
        self.snapshot = None

    @property
    def started(self):
        return self.snapshot is not None

    def needs_confirmation(self, listing):
        """True when `listing` lacks a server of the snapshot: list again before calling it deleted."""
        if self.snapshot is None:
            return False
        present = index_listing(listing)
        return any(server_id not in present for server_id in self.snapshot)

    def observe(self, *listings):
        """Events from one or two consecutive listings (the second confirming the first).

        A server counts as present if any listing shows it, in the newest form shown; it is
        deleted only when every listing lacks it.
        """
        merged = {}
        for listing in listings:
            merged.update(index_listing(listing))
        first = self.snapshot is None
        previous = self.snapshot or {}
        self.snapshot = merged
        if first:
            if not self.initial_snapshot:
                return []
            events = [_event(CREATED, merged[server_id], None, initial=True) for server_id in _ordered(merged)]
        else:
            events = []
            for server_id in _ordered(set(previous) | set(merged)):
                event = event_for(previous.get(server_id), merged.get(server_id))
                if event is not None:
                    events.append(event)
        return [event for event in events if matches_status(event, self.status)]


def _ordered(ids):
    # Ids are integers from the API; a string id sorts after them instead of breaking the poll.
    return sorted(ids, key=lambda server_id: (0, server_id, "") if isinstance(server_id, int) else (1, 0, server_id))
