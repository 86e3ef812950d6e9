# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Comparing a requested server with the one that exists: what to create, change or refuse."""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract

MANAGED_FIELDS = ("name", "hostname", "backups_enabled", "plan_id", "os_id", "location")


def _value(obj, key):
    if key in obj:
        return obj[key]
    getter = contract.IMMUTABLE_FIELDS.get(key)
    return getter(obj) if getter else None


def managed_view(obj, state):
    """The fields the module manages, from a server object or a creation body, for --diff."""
    view = {key: _value(obj, key) for key in MANAGED_FIELDS}
    view["state"] = state
    return view


def creation_body(params, fail):
    missing = [key for key in contract.CREATE_REQUIRED if params.get(key) is None]
    if missing:
        fail(
            "server {!r} does not exist; to create it, also give {}".format(
                params.get("name"), ", ".join(key for key in missing)
            )
        )
    keys = contract.CREATE_REQUIRED + contract.CREATE_OPTIONAL
    return {key: params[key] for key in keys if params.get(key) is not None}


def immutable_conflicts(server, params):
    """Sentences for fixed fields that differ, and the options that cannot be compared."""
    conflicts, unknown = [], []
    for key, getter in contract.IMMUTABLE_FIELDS.items():
        wanted = params.get(key)
        if wanted is None:
            continue
        current = getter(server)
        if current is None:
            unknown.append(key)
        elif current != wanted:
            conflicts.append(
                "{} cannot be changed on existing server {!r} (id {}): it is {}, requested {}".format(
                    key, server.get("name"), server.get("id"), current, wanted
                )
            )
    return conflicts, unknown


def pending_changes(server, params):
    """Only the updatable fields whose requested value differs from the server's."""
    return {
        key: params[key]
        for key in contract.UPDATABLE_FIELDS
        if params.get(key) is not None and params[key] != server.get(key)
    }
