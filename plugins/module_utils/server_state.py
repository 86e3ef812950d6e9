# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deciding what to do with one server: create, change, delete, refuse, or power action.

Pure functions over a server object (or None) and the requested values, used alike by
vps_server, vps_server_power and vps_fleet, so every comparison and every power rule lives
in one place. Nothing here sends a request or fails a module: problems come back as sentences.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract

MANAGED_FIELDS = ("name", "hostname", "backups_enabled", "plan_id", "os_id", "location")

# action: create | update | delete | none | refuse. `problems` explain a refusal; `unknown`
# names requested options the API does not report, so they cannot be compared.
ServerPlan = namedtuple("ServerPlan", "action changes body problems unknown")


def _value(obj, key):
    if key in obj:
        return obj[key]
    getter = contract.IMMUTABLE_FIELDS.get(key)
    return getter(obj) if getter else None


def managed_view(obj, state):
    """The fields the modules manage, from a server object or a creation body, for --diff."""
    view = {key: _value(obj, key) for key in MANAGED_FIELDS}
    view["state"] = state
    return view


def documented(server):
    """The server as modules return it and the inventory shows it: the documented fields only."""
    return {key: server[key] for key in contract.DETAIL_FIELDS if key in server}


def predicted(body):
    """The server a creation body will produce, as check mode reports it."""
    server = {key: body[key] for key in ("name", "hostname", "location", "backups_enabled") if key in body}
    server.update(status=contract.STATUS_PROVISIONING, plan={"id": body["plan_id"]}, os={"id": body["os_id"]})
    return server


def missing_for_create(wanted):
    return [key for key in contract.CREATE_REQUIRED if wanted.get(key) is None]


def creation_body(wanted):
    keys = contract.CREATE_REQUIRED + contract.CREATE_OPTIONAL
    return {key: wanted[key] for key in keys if wanted.get(key) is not None}


def immutable_conflicts(server, wanted):
    """Sentences for fixed fields that differ, and the options that cannot be compared."""
    conflicts, unknown = [], []
    for key, getter in contract.IMMUTABLE_FIELDS.items():
        value = wanted.get(key)
        if value is None:
            continue
        current = getter(server)
        if current is None:
            unknown.append(key)
        elif current != value:
            conflicts.append(
                "{} cannot be changed on existing server {!r} (id {}): it is {}, requested {}".format(
                    key, server.get("name"), server.get("id"), current, value
                )
            )
    return conflicts, unknown


def pending_changes(server, wanted):
    """Only the updatable fields whose requested value differs from the server's."""
    return {
        key: wanted[key]
        for key in contract.UPDATABLE_FIELDS
        if wanted.get(key) is not None and wanted[key] != server.get(key)
    }


def plan_server(server, wanted, state="present"):
    """What to do so that the server (None: absent) matches `wanted` in `state`."""
    if state == "absent":
        return ServerPlan("delete" if server else "none", {}, {}, [], [])
    if server is None:
        missing = missing_for_create(wanted)
        if missing:
            problem = "server {!r} does not exist; to create it, also give {}".format(
                wanted.get("name"), ", ".join(missing)
            )
            return ServerPlan("refuse", {}, {}, [problem], [])
        return ServerPlan("create", {}, creation_body(wanted), [], [])
    conflicts, unknown = immutable_conflicts(server, wanted)
    if conflicts:
        problem = "; ".join(conflicts) + ". Create a new server to change them; this one is left untouched."
        return ServerPlan("refuse", {}, {}, [problem], unknown)
    changes = pending_changes(server, wanted)
    return ServerPlan("update" if changes else "none", changes, {}, [], unknown)


def power_action(status, power_state):
    """The action (start/stop/reboot) that brings a settled `status` to `power_state`, or None.

    Raises ValueError with a sentence when no action can get there (a suspended server).
    """
    if status == contract.STATUS_SUSPENDED:
        raise ValueError("it is suspended by VPS.org and cannot be powered on or off")
    return contract.POWER_STATE_ACTIONS[power_state].get(status)


def power_target(action):
    """The status a power action settles in."""
    return contract.POWER_ACTIONS[action]["settled"]
