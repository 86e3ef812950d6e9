#!/usr/bin/python
# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vps_fleet
short_description: Make many VPS.org servers match their description at once
version_added: 1.0.0
description:
  - Converges a whole fleet in one task. The account is listed once; each entry of O(servers) is planned with the same
    rules as M(vpsorg.cloud.vps_server) and M(vpsorg.cloud.vps_server_power); creates, updates, power actions and
    deletions are then sent concurrently (at most O(concurrency) at a time), and the whole fleet is waited for
    together.
  - Waiting costs what the fleet needs, not what the account holds - each poll reads what cost the fewest requests
    the last time, in an account of any size and whatever order the API lists servers in (C(docs/request-costs.md)
    says what each poll sends).
  - The role C(vpsorg.cloud.servers) runs this module and adds the present servers to the in-memory inventory.
  - Every entry is checked before any request is sent, and every problem is reported at once, naming the entry and
    the field. A name that appears twice in O(servers) is an error.
  - An entry whose name more than one server of the account carries is refused (nothing is done on a guess).
  - A server list that comes back short (pages that answer 404 or 410, pages that never fit together in three reads,
    links that stop before the list's C(count)) fails the task before any entry is planned, naming O(api_url) and
    what was seen (C(failure.reason=incomplete_listing)); nothing is created, changed or deleted.
    A different O(servers[].plan_id), O(servers[].os_id) or O(servers[].location) on an existing server is refused as
    well; a server is never re-created.
  - A failure of one server (an API error, a refusal, a server that does not settle in time) does not stop the
    others. The task fails at the end and names every failed server with its reason; RV(results) holds the outcome
    of every entry either way.
  - The task never takes, changes, powers or deletes a server it did not create, except the servers its entries name.
    A server found after a lost create answer is this run's only when it appeared after the run's listing and shows
    everything the create sent (name, plan, OS, location, host name).
  - After the creates, the account is listed once more. When another run (a concurrent job, a job slice) created an
    identical server of the same name at the same time, the oldest of them is kept by every run; this task deletes
    the one it created, warns, and reports the older one. When a server of that name does not match the entry
    (someone else's), the entry fails naming every id and nothing is deleted (see C(docs/pipelines.md)).
  - O(wait_timeout) bounds the whole task, the API's rate-limit pauses included. A rate limit answer (HTTP 429)
    pauses every concurrent request and does not use up O(api_retries); a C(Retry-After) longer than what remains
    fails the task at once, naming when to try again.
  - The listing shows no C(backups_enabled); an existing server whose entry sets O(servers[].backups_enabled) costs
    one detail read per run. Every other field is confirmed from the listing, so a run with nothing to do sends one
    list request per 100 servers and nothing else.
author:
  - vpsorg.cloud maintainers (@vpsorg)
extends_documentation_fragment:
  - vpsorg.cloud.api
  - vpsorg.cloud.attributes
  - vpsorg.cloud.api.WAIT
attributes:
  check_mode:
    support: full
    details:
      - Sends no request that changes anything and predicts each entry's action in RV(results).
      - Like M(vpsorg.cloud.vps_server_power), an existing server in a transitional status whose entry sets a power
        state is still waited out (by reading it, as in a run) before its power action is predicted.
  diff_mode:
    support: full
    details: Shows the managed fields and the status of every changed server before and after.
options:
  servers:
    description:
      - The fleet, one entry per server, identified by its unique name.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The server name, letters, digits and hyphens. Unique in the list.
        type: str
        required: true
      plan_id:
        description: The plan of a new server. Needed to create it; checked, never changed, on an existing one.
        type: int
      os_id:
        description: The operating system of a new server. Needed to create it; checked on an existing one.
        type: int
      location:
        description: The data-center location code of a new server, for example C(us-west). Checked on an existing one.
        type: str
      hostname:
        description: The fully qualified host name. Changed in place on an existing server.
        type: str
      ssh_key_id:
        description:
          - The SSH key installed on a new server. The API does not report it for existing servers, so there it is
            not compared (one warning names those entries).
        type: int
      backups_enabled:
        description: Whether automatic backups are on. Changed in place on an existing server.
        type: bool
      state:
        description:
          - V(present) creates the server when it does not exist and updates its changeable fields.
          - V(absent) deletes it permanently. O(servers[].power) is then ignored.
          - Default V(present) (after O(defaults)).
        type: str
        choices: [present, absent]
      power:
        description:
          - The power state to reach once the server is provisioned. Unset leaves the power state alone.
          - V(started) starts a stopped server; V(stopped) stops a running one; V(restarted) reboots a running server
            and starts a stopped one on every run. A server created by this task comes up running and freshly
            booted, so V(started) and V(restarted) need no action for it.
          - A C(suspended) server cannot be powered on or off; its entry fails.
        type: str
        choices: [started, stopped, restarted]
  defaults:
    description:
      - Values for every entry of O(servers); an entry's own value wins. Takes every key of an entry except C(name).
    type: dict
    suboptions:
      plan_id:
        description: Default plan.
        type: int
      os_id:
        description: Default operating system.
        type: int
      location:
        description: Default location.
        type: str
      hostname:
        description: Default host name (rarely useful, host names are usually unique).
        type: str
      ssh_key_id:
        description: Default SSH key of new servers.
        type: int
      backups_enabled:
        description: Default backups setting.
        type: bool
      state:
        description: Default state, for example V(absent) to delete every server of the list.
        type: str
        choices: [present, absent]
      power:
        description: Default power state.
        type: str
        choices: [started, stopped, restarted]
  concurrency:
    description:
      - How many servers are worked on at the same time, from 1 to 32.
      - The task starts with one request at a time and sends more as the API takes them, up to this; an HTTP 429
        answer lowers it for the rest of the task, down to one.
    type: int
    default: 8
  poll_interval:
    description:
      - Seconds between two polls while waiting.
      - Unset, polls start at a quarter of a second and grow to one every 5 seconds.
    type: float
  wait:
    description:
      - Wait until new servers are V(active), power actions have finished and deleted servers are gone, all together.
      - With V(false), the task still waits where a later step needs it, for example until a new server whose entry
        says V(stopped) is provisioned, so it can be stopped.
  wait_timeout:
    description:
      - Seconds the whole task may take, its waits for the fleet and for the API's rate limit included.
notes:
  - A server that has not settled within O(wait_timeout) fails its entry with the last status seen; the others are
    reported as usual.
seealso:
  - module: vpsorg.cloud.vps_server
  - module: vpsorg.cloud.vps_server_power
"""

EXAMPLES = r"""
- name: Make the account match the fleet
  vpsorg.cloud.vps_fleet:
    api_token: "{{ vault_vps_api_token }}"
    defaults:
      plan_id: 1
      os_id: 5
      location: us-west
    servers:
      - name: web-01
        hostname: web-01.example.com
      - name: db-01
        plan_id: 2
        backups_enabled: true
      - name: batch-01
        power: stopped
      - name: legacy-01
        state: absent
  register: fleet

- name: Show where each server is
  ansible.builtin.debug:
    msg: "{{ item.name }} is {{ item.status }} at {{ item.ip_address }}"
  loop: "{{ fleet.servers }}"

- name: Reboot three servers, ten requests at a time
  vpsorg.cloud.vps_fleet:
    defaults:
      power: restarted
    servers:
      - name: app-01
      - name: app-02
      - name: app-03
    concurrency: 10
"""

RETURN = r"""
servers:
  description:
    - The present servers of the entries that did not fail, in the order of O(servers), as the last listing of the
      account (or the API's answer) shows them. C(backups_enabled) and the other detail-only fields appear when the
      task read or changed the server.
    - In check mode, the predicted servers.
  returned: always
  type: list
  elements: dict
  sample:
    - id: 12345
      name: web-01
      hostname: web-01.example.com
      status: active
      ip_address: 203.0.113.10
      location: us-west
      plan: {id: 1, name: Standard VPS, vcpus: 2, memory: 4096, storage: 80}
      os: {id: 5, name: Ubuntu 22.04 LTS}
      created_at: "2026-11-27T10:00:00Z"
      updated_at: "2026-11-27T10:03:00Z"
results:
  description: The outcome of every entry, in the order of O(servers).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The entry's name.
      type: str
      sample: web-01
    id:
      description: The server's id, or null when there is none.
      type: int
      sample: 12345
    action:
      description: What the plan was, V(create), V(update), V(delete), V(none) or V(refuse).
      type: str
      sample: update
    power:
      description: The power action planned, V(start), V(stop), V(reboot), or null.
      type: str
      sample: stop
    changes:
      description: The fields sent, the creation body for V(create) and the changed fields for V(update).
      type: dict
      sample: {hostname: web-01.example.com}
    done:
      description: What took effect, in past tense (V(created), V(updated), V(deleted), V(started), V(stopped),
        V(restarted)). Empty in check mode.
      type: list
      elements: str
      sample: [updated, stopped]
    changed:
      description: Whether the entry changed (in check mode, would change) anything.
      type: bool
    failed:
      description: Whether the entry failed.
      type: bool
    msg:
      description: The outcome in words, or why the entry failed.
      type: str
      sample: updated, stopped
    failure:
      description: Why the entry failed, structured as the task's RV(failure); null when it did not.
      type: dict
progress:
  description:
    - What the module waited for and retried, in order (shown by Ansible at verbosity C(-v) or more).
  returned: when something was waited for or retried
  type: list
  elements: str
failure:
  description:
    - Why the task failed, as data for C(failed_when) or C(rescue).
    - The README's "When a task fails" explains each key; the token never appears in it.
    - When entries failed, C(reason) is V(servers_failed) and C(servers) maps each failed entry's name to its own
      failure.
  returned: failed
  type: dict
  sample: {reason: servers_failed, servers: {db-01: {reason: http_error, status: 402, method: POST, path: /servers/}}}
"""

import time
from collections import defaultdict

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract, waiting
from ansible_collections.vpsorg.cloud.plugins.module_utils.base_module import (
    DEFAULT_CONCURRENCY,
    WAIT_SPEC,
    VpsModule,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.fleet import (
    DEFAULTS_SPEC,
    ENTRY_SPEC,
    Entry,
    entry_problems,
    merge_entries,
    needs_detail,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.name_races import keep_oldest, race_message
from ansible_collections.vpsorg.cloud.plugins.module_utils.server_state import power_target


class VpsFleet(VpsModule):
    argument_spec = dict(
        servers={"type": "list", "elements": "dict", "required": True, "options": ENTRY_SPEC},
        defaults={"type": "dict", "options": DEFAULTS_SPEC},
        concurrency={"type": "int", "default": DEFAULT_CONCURRENCY},
        poll_interval={"type": "float"},
        **WAIT_SPEC,
    )

    def validate(self):
        self.entries = [Entry(wanted) for wanted in merge_entries(self.params["servers"], self.params["defaults"])]
        return entry_problems([entry.wanted for entry in self.entries])

    # -- arguments -> current state -> plan ------------------------------------------------

    def run(self):
        if self.entries:
            self.listed_at = time.monotonic()
            self.listed = self.client.list_servers()
            self.plan(self.listed)
            if not self.check_mode:
                self.apply(self.first_step)
                self.settle_races()
            pending = [e for e in self.live(self.entries) if e.power_pending]
            self.wait_for([e for e in self.entries if self.first_wait(e)])
            # Power that needed a settled server: decided on the status the wait ended with.
            for entry in self.live(pending):
                predicted = self.check_mode and entry.action == "create"
                entry.decide_power(contract.STATUS_ACTIVE if predicted else entry.server["status"])
            second = [e for e in self.live(pending) if e.power]
            if second and not self.check_mode:
                self.apply(self.power_step, second)
                if self.params["wait"]:
                    self.wait_for([e for e in self.live(second) if e.power in e.done])
        self.report()

    def plan(self, listing):
        by_name = defaultdict(list)
        for server in listing:
            by_name[server["name"]].append(server)
        matches = {entry.name: by_name.get(entry.name, []) for entry in self.entries}
        # The listing has no backups_enabled: only those entries cost a detail read.
        unconfirmed = [
            e
            for e in self.entries
            if e.present and len(matches[e.name]) == 1 and needs_detail(matches[e.name][0], e.wanted)
        ]
        reads = self.client.run_all(
            [(e, lambda client, e=e: client.get_server(matches[e.name][0]["id"])) for e in unconfirmed],
            self.params["concurrency"],
        )
        for entry, (server, error) in reads.items():
            if error:
                entry.fail(error)
            else:
                matches[entry.name] = [server]
        for entry in self.live(self.entries):
            entry.settle_plan(matches[entry.name])
        unknown = sorted({f"{option} ({e.name})" for e in self.entries for option in e.unknown})
        if unknown:
            self.module.warn(
                "the API does not report these options for existing servers, so they were not compared: "
                + ", ".join(unknown)
            )

    @staticmethod
    def live(entries):
        return [entry for entry in entries if not entry.failed]

    # -- apply unless check mode -----------------------------------------------------------

    def apply(self, step, entries=None):
        entries = self.live(self.entries) if entries is None else entries
        jobs = [(e, lambda client, e=e: step(client, e)) for e in entries]
        for entry, (_value, error) in self.client.run_all(jobs, self.params["concurrency"]).items():
            if error:
                entry.fail(error)

    def first_step(self, client, entry):
        if entry.action == "create":
            entry.server = client.create_server(entry.plan.body, [server["id"] for server in self.listed])
        elif entry.action == "update":
            entry.server = dict(entry.server, **client.update_server(entry.server["id"], entry.plan.changes))
        elif entry.action == "delete":
            client.delete_server(entry.server["id"])
        if entry.action != "none":
            entry.done.append(entry.action)
        if entry.power:
            self.power_step(client, entry)

    @staticmethod
    def power_step(client, entry):
        answer = client.power(entry.server["id"], entry.power, before=entry.server)
        # The answer (or the re-read after a lost one) shows the transitional status.
        shown = answer.get("server") if isinstance(answer, dict) else None
        if isinstance(shown, dict):
            entry.server = dict(entry.server, **shown)
        entry.done.append(entry.power)

    def settle_races(self):
        """Another run may have created the same names meanwhile: one listing settles each (name_races)."""
        created = {e.name: e for e in self.live(self.entries) if "create" in e.done}
        ours = {name: (e.server, e.plan.body) for name, e in created.items()}
        claims = keep_oldest(self.client.http, ours, self.listed_at, self.listed.pages)
        for name, claim in claims.items():
            entry = created[name]
            if claim.error:
                entry.fail(claim.error)
            elif claim.deleted:
                entry.server = claim.kept
                entry.raced = race_message(name, claim)
                self.module.warn(entry.raced)

    # -- wait --------------------------------------------------------------------------------

    def first_wait(self, entry):
        """Whether this entry is waited for after the first step."""
        if entry.failed or not entry.server or "id" not in entry.server:
            return False
        if entry.power_pending:
            return True
        if not self.params["wait"] or self.check_mode:
            return False
        if entry.action == "delete":
            return "delete" in entry.done
        return (
            entry.action == "create"
            or entry.power in entry.done
            or entry.server.get("status") in contract.TRANSITIONAL_STATUSES
        )

    def target(self, entry):
        if entry.action == "delete":
            return None
        if entry.power in entry.done:
            return frozenset([power_target(entry.power)])
        if entry.action == "create" and not entry.raced:
            return frozenset([contract.STATUS_ACTIVE])
        # Another run's server may already be powered off by that run: any settled status will do.
        return contract.SETTLED_STATUSES

    def wait_for(self, entries):
        # In check mode a create has no server id, so first_wait never hands it here.
        if not entries:
            return
        targets = {e.server["id"]: (self.target(e), self.label(e.server)) for e in entries}
        reached, failed = waiting.wait_for_fleet(
            self.client.http,
            targets,
            interval=self.params["poll_interval"],
            known={e.server["id"]: e.server.get("status") for e in entries},
            account_pages=self.listed.pages,
            newest_id=max((server["id"] for server in self.listed), default=0),
            concurrency=self.params["concurrency"],
        )
        for entry in entries:
            server_id = entry.server["id"]
            if server_id in failed:
                entry.fail(failed[server_id])
            elif reached.get(server_id):
                # The listing is the freshest; fields only the detail shows are kept from before.
                entry.server = dict(entry.server, **reached[server_id])

    # -- return --------------------------------------------------------------------------------

    def report(self):
        results = [entry.result(self.check_mode) for entry in self.entries]
        servers = [
            entry.predicted() if self.check_mode else entry.server
            for entry in self.live(self.entries)
            if entry.present and (entry.server or (self.check_mode and entry.action == "create"))
        ]
        changed = any(result["changed"] for result in results)
        self.result.update(changed=changed, servers=servers, results=results)
        if self.module._diff:
            self.result["diff"] = [entry.diff() for entry in self.entries if entry.changed(True) and not entry.failed]
        failed = [entry for entry in self.entries if entry.failed]
        if failed:
            msg = "{} of {} servers failed: {}".format(
                len(failed), len(self.entries), "; ".join(f"{e.name}: {e.error}" for e in failed)
            )
            failure = {
                "reason": "servers_failed",
                "status": None,
                "method": None,
                "path": None,
                "detail": None,
                "field_errors": {},
                "servers": {entry.name: entry.failure() for entry in failed},
            }
            if self.progress:
                self.result["progress"] = self.progress
            self.module.fail_json(msg=msg, failure=failure, **self.result)


def main():
    VpsFleet().execute()


if __name__ == "__main__":
    main()
