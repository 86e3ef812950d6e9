#!/usr/bin/python
# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vps_server
short_description: Create, update and delete VPS.org servers
version_added: 1.0.0
description:
  - Makes sure a VPS.org server exists with the given settings, or does not exist.
  - A server is found by O(id) or by its unique O(name). Several servers with the same name make the task fail and
    list their ids, so nothing is changed on a guess.
  - A server list that comes back short (pages that answer 404 or 410, pages that never fit together in three reads,
    links that stop before the list's C(count)) makes the task fail naming O(api_url) and what was seen, with
    C(failure.reason=incomplete_listing), since a server missing from such a list would be created twice.
  - An existing server's O(name), O(hostname) and O(backups_enabled) are changed in place with one request that holds
    only the changed fields. O(plan_id), O(os_id), O(location) and O(ssh_key_id) are fixed at creation; asking for a
    different value fails and names the current and the requested value. The server is never re-created.
  - O(state=present) never changes the power state. Use M(vpsorg.cloud.vps_server_power) for that.
  - The task never takes someone else's server for the one it created. After a lost create answer, a server is this
    run's only when it appeared after the run's listing and shows everything the create sent (name, plan, OS,
    location, host name).
  - After a create, the account is listed once more. When another run created an identical server of the same name
    at the same time, the oldest of them is kept by every run; this task deletes the one it created, warns, and
    returns the older one. When a server of that name does not match the request (someone else's), the task fails
    naming every id and deletes nothing (see C(docs/pipelines.md)).
author:
  - vpsorg.cloud maintainers (@vpsorg)
extends_documentation_fragment:
  - vpsorg.cloud.api
  - vpsorg.cloud.attributes
  - vpsorg.cloud.api.WAIT
attributes:
  check_mode:
    support: full
    details: Sends no request that changes anything and predicts RV(ignore:changed).
  diff_mode:
    support: full
    details: Shows the managed fields before and after.
options:
  state:
    description:
      - V(present) creates the server when it does not exist and updates the changeable fields.
      - V(absent) deletes the server permanently. A server that does not exist is not an error.
    type: str
    choices: [present, absent]
    default: present
  id:
    description:
      - The id of an existing server. With O(id), O(name) renames the server.
    type: int
  name:
    description:
      - The server name, letters, digits and hyphens. Identifies the server when O(id) is not given.
    type: str
  plan_id:
    description:
      - The plan of a new server. Required to create one.
    type: int
  os_id:
    description:
      - The operating system of a new server. Required to create one.
    type: int
  location:
    description:
      - The data-center location code of a new server, for example C(us-west). Required to create one.
    type: str
  hostname:
    description:
      - The fully qualified host name of the server.
    type: str
  ssh_key_id:
    description:
      - The SSH key installed on a new server.
      - The API does not report the key of an existing server, so it cannot be compared later; a value given for an
        existing server is checked only when the API shows it.
    type: int
  backups_enabled:
    description:
      - Whether automatic backups are on. New servers default to off.
    type: bool
  wait:
    description:
      - With O(state=present), wait until a new or provisioning server is V(active).
      - With O(state=absent), wait until the server is gone.
seealso:
  - module: vpsorg.cloud.vps_server_info
  - module: vpsorg.cloud.vps_server_power
"""

EXAMPLES = r"""
- name: Make sure a web server exists
  vpsorg.cloud.vps_server:
    api_token: "{{ vault_vps_api_token }}"
    name: web-01
    plan_id: 1
    os_id: 5
    location: us-west
    hostname: web-01.example.com
    backups_enabled: true
  register: web

- name: Show its address
  ansible.builtin.debug:
    msg: "web-01 is at {{ web.server.ip_address }}"

- name: Create without waiting for provisioning (wait for many servers later, together)
  vpsorg.cloud.vps_server:
    name: "{{ item }}"
    plan_id: 1
    os_id: 3
    location: us-east
    wait: false
  loop: [app-01, app-02, app-03]

- name: Rename a server found by id
  vpsorg.cloud.vps_server:
    id: 12345
    name: web-01-old

- name: Delete a server
  vpsorg.cloud.vps_server:
    name: web-01
    state: absent
"""

RETURN = r"""
server:
  description:
    - The server in detail form after the change (and after waiting), as the API returns it.
    - Empty when O(state=absent). In check mode, the predicted server.
  returned: always
  type: dict
  sample:
    id: 12345
    name: web-01
    hostname: web-01.example.com
    status: active
    ip_address: 203.0.113.10
    ipv6_address: "2001:db8::10"
    location: us-west
    plan: {id: 1, name: Standard VPS, vcpus: 2, memory: 4096, storage: 80, bandwidth: 2048}
    os: {id: 5, name: Ubuntu 22.04 LTS}
    backups_enabled: true
    resource_usage: {cpu_percent: 1.5, memory_used: 512, disk_used: 3, bandwidth_used: 0}
    created_at: "2026-11-27T10:00:00Z"
    updated_at: "2026-11-27T10:03:00Z"
deleted_duplicate:
  description:
    - The id of the server this task created and deleted again because another run created a server of the same
      name at the same time; RV(server) is then that older server. See C(docs/fleet.md), "Many pipelines at once".
  returned: when another run created the same name at the same time
  type: int
  sample: 10002
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
  returned: failed
  type: dict
  sample: {reason: http_error, status: 402, method: POST, path: /servers/, detail: Low balance., field_errors: {}}
"""

import time

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.base_module import (
    SERVER_SELECTOR_SPEC,
    WAIT_SPEC,
    VpsModule,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.name_races import keep_oldest, race_message
from ansible_collections.vpsorg.cloud.plugins.module_utils.server_state import managed_view, plan_server, predicted


class VpsServer(VpsModule):
    argument_spec = dict(
        SERVER_SELECTOR_SPEC,
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        plan_id={"type": "int"},
        os_id={"type": "int"},
        location={"type": "str"},
        hostname={"type": "str"},
        ssh_key_id={"type": "int"},
        backups_enabled={"type": "bool"},
        **WAIT_SPEC,
    )
    module_kwargs = {"required_one_of": [("id", "name")]}

    def run(self):
        # When the listing that may decide to create began (name_races: what a concurrent create can be).
        self.listed_at = time.monotonic()
        server, self.listed = self.find_server()
        if server is None and self.params["state"] == "present" and self.params["id"] is not None:
            message = "server id {} not found; to create a server, give its name without id"
            raise VpsApiError(message.format(self.params["id"]), reason="not_found")
        plan = plan_server(server, self.params, self.params["state"])
        if plan.action == "refuse":
            raise VpsApiError(" ".join(plan.problems), reason="refused")
        for option in plan.unknown:
            self.module.warn(
                f"{option} cannot be compared on {self.label(server)}: the API does not report it for existing servers"
            )
        getattr(self, plan.action)(server, plan)

    def create(self, _server, plan):
        self.result.update(
            changed=True,
            diff={"before": {"state": "absent"}, "after": managed_view(plan.body, "present")},
            server=predicted(plan.body),
        )
        if self.check_mode:
            return
        server = self.client.create_server(plan.body, [listed["id"] for listed in self.listed])
        name = server["name"]
        claim = keep_oldest(self.client.http, {name: (server, plan.body)}, self.listed_at, self.listed.pages)[name]
        if claim.error:
            self.result["server"] = server
            raise claim.error
        if claim.deleted:
            self.module.warn(race_message(name, claim))
            self.result["deleted_duplicate"] = claim.deleted
            server = claim.kept
        if self.params["wait"]:
            # The kept server may be another run's, already powered off by it: any settled status.
            targets = [contract.STATUS_ACTIVE] if not claim.deleted else contract.SETTLED_STATUSES
            server = self.client.wait_for_status(server["id"], targets, self.label(server))
        self.result["server"] = server

    def update(self, server, plan):
        after = dict(server, **plan.changes)
        self.result.update(
            changed=True,
            diff={"before": managed_view(server, "present"), "after": managed_view(after, "present")},
            server=after,
        )
        if self.check_mode:
            return
        server = self.client.update_server(server["id"], plan.changes)
        self.result["server"] = self.wait_until_settled(server) if self.params["wait"] else server

    def none(self, server, _plan):
        if server is None:
            self.result["server"] = {}
            return
        self.result["diff"] = {"before": managed_view(server, "present"), "after": managed_view(server, "present")}
        self.result["server"] = (
            self.wait_until_settled(server) if self.params["wait"] and not self.check_mode else server
        )

    def delete(self, server, _plan):
        self.result.update(
            changed=True,
            diff={"before": managed_view(server, "present"), "after": {"state": "absent"}},
            server={},
        )
        if self.check_mode:
            return
        self.client.delete_server(server["id"])
        if self.params["wait"]:
            self.client.wait_until_gone(server["id"], self.label(server))


def main():
    VpsServer().execute()


if __name__ == "__main__":
    main()
