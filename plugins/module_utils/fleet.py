# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet of server entries: their options, the checks before any request, and the plan of each.

Every comparison and power rule comes from server_state, the same code vps_server and
vps_server_power use; this file only adds what is particular to many servers at once (merging
defaults, duplicate names, which servers the listing cannot confirm) and keeps the outcome of
each entry. Nothing here sends a request.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.options import option_problems
from ansible_collections.vpsorg.cloud.plugins.module_utils.server_state import (
    managed_view,
    plan_server,
    power_action,
    power_target,
    predicted,
)

# The keys of an entry; `defaults` takes the same ones except `name`. No option has a default
# here: a key left out of an entry (None) is taken from `defaults`, then `state` is present.
ENTRY_SPEC = {
    "name": {"type": "str", "required": True},
    "plan_id": {"type": "int"},
    "os_id": {"type": "int"},
    "location": {"type": "str"},
    "hostname": {"type": "str"},
    "ssh_key_id": {"type": "int"},
    "backups_enabled": {"type": "bool"},
    "state": {"type": "str", "choices": ["present", "absent"]},
    "power": {"type": "str", "choices": list(contract.POWER_STATE_ACTIONS)},
}
DEFAULTS_SPEC = {key: value for key, value in ENTRY_SPEC.items() if key != "name"}

# What a power action did, in the words of a summary line.
PAST = {"create": "created", "update": "updated", "delete": "deleted", "start": "started", "stop": "stopped"}
PAST["reboot"] = "restarted"


def merge_entries(servers, defaults):
    """Each entry with the defaults under it: an entry's own value wins, `state` defaults to present."""
    defaults = defaults or {}
    merged = []
    for entry in servers:
        wanted = {key: entry.get(key) for key in ENTRY_SPEC}
        for key in DEFAULTS_SPEC:
            if wanted[key] is None:
                wanted[key] = defaults.get(key)
        wanted["state"] = wanted["state"] or "present"
        merged.append(wanted)
    return merged


def entry_problems(entries):
    """Every problem of every entry, as (option, sentence) naming the entry: all are reported at once."""
    problems = []
    seen = {}
    for index, wanted in enumerate(entries):
        where = f"servers[{index}]" + (f" ({wanted['name']})" if wanted.get("name") else "")
        for option, sentence in option_problems(wanted, ENTRY_SPEC):
            problems.append((f"servers[{index}].{option}", f"{where}: {sentence}"))
        if wanted["name"] in seen:
            problems.append(
                (
                    f"servers[{index}].name",
                    f"{where}: name {wanted['name']!r} is already used by servers[{seen[wanted['name']]}]; "
                    "each server may appear only once",
                )
            )
        seen.setdefault(wanted["name"], index)
    return problems


def needs_detail(summary, wanted):
    """Whether the listing's summary lacks a field this entry sets (backups_enabled: detail only)."""
    return any(wanted.get(key) is not None and key not in summary for key in contract.UPDATABLE_FIELDS)


class Entry:
    """One server of the fleet: what is wanted, what was found, what is planned and what happened."""

    def __init__(self, wanted):
        self.wanted = wanted
        self.name = wanted["name"]
        self.server = None  # the latest object read or answered for it
        self.found = None  # the server as the plan found it
        self.plan = None
        self.power = None  # start | stop | reboot once decided
        self.power_pending = False  # decided once the server has settled
        self.error = None  # a VpsApiError or a sentence
        self.unknown = []
        self.done = []  # the steps that took effect: create, update, delete, start, stop, reboot
        self.raced = None  # why the server reported is another run's, when both created this name

    @property
    def present(self):
        return self.wanted["state"] == "present"

    @property
    def action(self):
        return self.plan.action if self.plan else "none"

    def fail(self, error):
        if self.error is None:
            self.error = error

    def settle_plan(self, matches):
        """Plan against the servers the account lists under this name."""
        if len(matches) > 1:
            ids = ", ".join(str(server["id"]) for server in matches)
            self.fail(
                f"{len(matches)} servers in the account have this name (ids {ids}); rename or delete the extra "
                "ones, nothing is done on a guess"
            )
            return
        self.server = self.found = matches[0] if matches else None
        if self.server is None and self.present and self.wanted["power"] and not self.creates_fields():
            # Only a name and a power state (the power playbook's entries): there is nothing to create from.
            self.fail(
                f"no server named {self.name!r} exists in the account; an entry with only a power state creates none"
            )
            return
        self.plan = plan_server(self.server, self.wanted, self.wanted["state"])
        self.unknown = list(self.plan.unknown)
        if self.plan.action == "refuse":
            self.fail(" ".join(self.plan.problems))
        elif self.present and self.wanted["power"]:
            self.decide_power(self.server["status"] if self.server else None)

    def creates_fields(self):
        return [key for key in contract.CREATE_REQUIRED if key != "name" and self.wanted.get(key) is not None]

    def decide_power(self, status):
        """Power for a settled status now; for a new or transitional server, once it has settled."""
        self.power_pending = False
        if status is None or status in contract.TRANSITIONAL_STATUSES:
            # A new server comes up running and freshly booted: started and restarted are met.
            if self.action == "create" and self.wanted["power"] != "stopped":
                return
            self.power_pending = True
            return
        try:
            self.power = power_action(status, self.wanted["power"])
        except ValueError as exc:
            self.fail(f"server {self.name!r} (id {self.server['id']}): {exc}")

    # -- outcome ------------------------------------------------------------------------

    @property
    def failed(self):
        return self.error is not None

    def planned(self):
        return [step for step in (self.action, self.power) if step in PAST]

    def changed(self, check_mode):
        return bool(self.planned() if check_mode else self.done)

    def predicted(self):
        """The server as it will be after the plan (check mode), or as it is."""
        if self.action == "create":
            server = predicted(self.plan.body)
        else:
            server = dict(self.found or {}, **(self.plan.changes if self.plan else {}))
        if self.power:
            server["status"] = power_target(self.power)
        return server

    def diff(self):
        found = self.found
        before = dict(managed_view(found, "present"), status=found["status"]) if found else {}
        after = {}
        if self.present:
            after = dict(managed_view(self.predicted(), "present"), status=self.predicted().get("status"))
        return {
            "before_header": self.name,
            "after_header": self.name,
            "before": before or {"state": "absent"},
            "after": after or {"state": "absent"},
        }

    def result(self, check_mode):
        changes = self.plan.body if self.action == "create" else (self.plan.changes if self.plan else {})
        failed = self.failed
        return {
            "name": self.name,
            "id": (self.server or {}).get("id"),
            "action": "refuse" if failed and self.action == "none" else self.action,
            "power": self.power,
            "changes": dict(changes),
            "done": [] if check_mode else [PAST[step] for step in self.done],
            "changed": self.changed(check_mode),
            "failed": failed,
            "msg": self.message(check_mode),
            "failure": self.failure() if failed else None,
        }

    def message(self, check_mode):
        if self.failed:
            return str(self.error)
        words = [PAST[step] for step in (self.planned() if check_mode else self.done)]
        if not words:
            return "unchanged"
        text = ("would be " if check_mode else "") + ", ".join(words)
        return f"{text}; {self.raced}" if self.raced else text

    def failure(self):
        if hasattr(self.error, "failure"):
            return self.error.failure()
        return {"reason": "refused", "status": None, "method": None, "path": None, "detail": None, "field_errors": {}}
