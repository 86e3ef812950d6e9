# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The account as it is, written as the fleet the servers role and vps_fleet read.

Pure functions over the servers of an account (detail form when backups_enabled is wanted):
one entry per server, the values most servers share moved into defaults, and the power state
each server is in or on its way to. The result, given back to vps_fleet, plans no change: a
server whose entry vps_fleet would refuse (fleet.entry_problems decides, the check vps_fleet
itself runs) is left out and named with its reason. Nothing here sends a request.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.fleet import entry_problems, merge_entries

# Entry keys in the order they are written; `name` first.
ENTRY_KEYS = ("name", "hostname", "plan_id", "os_id", "location", "backups_enabled", "power")
# Keys worth sharing through defaults (a hostname belongs to one server).
SHARED_KEYS = ("plan_id", "os_id", "location", "backups_enabled", "power")

# Where a status settles: a server on its way somewhere is exported as where it is going.
SETTLES_AS = {spec["transitional"]: spec["settled"] for spec in contract.POWER_ACTIONS.values()}
SETTLES_AS[contract.STATUS_PROVISIONING] = contract.STATUS_ACTIVE
# The power state that keeps a settled status as it is (suspended: none can be set).
POWER_OF = {contract.STATUS_ACTIVE: "started", contract.STATUS_STOPPED: "stopped"}


def power_of(status):
    """The fleet power state for a status, or None when power cannot be managed (suspended)."""
    return POWER_OF.get(SETTLES_AS.get(status, status))


def entry_of(server):
    """One fleet entry for a server; keys the API did not report are left out, so they are not compared.

    An empty host name (an API that stores "" for "none") is not reported either: a fleet refuses
    an empty one, and an entry without the key leaves the server's host name as it is.
    """
    values = {
        "name": server["name"],
        "hostname": server.get("hostname") or None,
        "plan_id": contract.IMMUTABLE_FIELDS["plan_id"](server),
        "os_id": contract.IMMUTABLE_FIELDS["os_id"](server),
        "location": server.get("location"),
        "backups_enabled": server.get("backups_enabled"),
        "power": power_of(server.get("status")),
    }
    return {key: values[key] for key in ENTRY_KEYS if values[key] is not None}


def entry_refusal(entry):
    """Why vps_fleet would refuse this entry before any request (its sentences joined), or None.

    The entry is checked alone, as the fleet merges and checks it; a repeated name is handled apart.
    """
    prefix = f"servers[0] ({entry['name']}): " if entry.get("name") else "servers[0]: "
    sentences = [sentence.removeprefix(prefix) for _option, sentence in entry_problems(merge_entries([entry], {}))]
    return "; ".join(sentences) or None


def shared_defaults(entries):
    """The value of each shared key that at least two entries have, when every entry has one.

    An entry without the key would inherit the default, so a key some entry lacks is never shared.
    """
    defaults = {}
    for key in SHARED_KEYS:
        if not entries or any(key not in entry for entry in entries):
            continue
        value, count = Counter(entry[key] for entry in entries).most_common(1)[0]
        if count >= 2:
            defaults[key] = value
    return defaults


def export_fleet(servers):
    """{"defaults", "servers", "duplicates", "refused", "unmanaged_power"} for the account's servers.

    A name that several servers carry cannot be one entry (the fleet refuses repeated names and
    does nothing with a name the account repeats), so those servers are left out and listed in
    `duplicates` as {"name", "ids"}. A server the API holds but whose entry the fleet would refuse
    (a name outside letters, digits and hyphens, a host name with control characters) would fail
    the whole provision before any request, so it is left out too and listed in `refused` as
    {"name", "id", "reason"}. `unmanaged_power` names servers exported without a power state.
    """
    by_name = defaultdict(list)
    for server in servers:
        by_name[server["name"]].append(server)
    duplicates = [
        {"name": name, "ids": sorted(server["id"] for server in group)}
        for name, group in sorted(by_name.items())
        if len(group) > 1
    ]
    entries, refused = [], []
    for _name, group in sorted(by_name.items()):
        if len(group) > 1:
            continue
        entry = entry_of(group[0])
        reason = entry_refusal(entry)
        if reason:
            refused.append({"name": entry["name"], "id": group[0]["id"], "reason": reason})
        else:
            entries.append(entry)
    defaults = shared_defaults(entries)
    written = [
        {key: value for key, value in entry.items() if key == "name" or defaults.get(key, None) != value}
        for entry in entries
    ]
    unmanaged = [entry["name"] for entry in entries if "power" not in entry]
    return {
        "defaults": defaults,
        "servers": written,
        "duplicates": duplicates,
        "refused": refused,
        "unmanaged_power": unmanaged,
    }


def file_header(exported, api_url):
    """Comment lines for the top of the fleet file: where it came from and what it leaves out."""
    lines = [
        f"Fleet exported from {api_url} by vpsorg.cloud.export: {len(exported['servers'])} server(s).",
        "Provision with: ansible-playbook vpsorg.cloud.provision -e @<this file>",
    ]
    for duplicate in exported["duplicates"]:
        ids = ", ".join(map(str, duplicate["ids"]))
        lines.append(
            f"Not exported: {len(duplicate['ids'])} servers are named {duplicate['name']!r} (ids {ids}); "
            "rename or delete the extra ones and export again."
        )
    for server in exported.get("refused", ()):
        lines.append(
            f"Not exported: server {server['name']!r} (id {server['id']}), which provision would refuse: "
            f"{server['reason']}; correct it in the account and export again."
        )
    if exported["unmanaged_power"]:
        lines.append("Exported without power (suspended by VPS.org): " + ", ".join(exported["unmanaged_power"]) + ".")
    return "".join(f"# {line}\n" for line in lines)
