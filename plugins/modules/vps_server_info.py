#!/usr/bin/python
# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vps_server_info
short_description: List VPS.org servers or show one in detail
version_added: 1.0.0
description:
  - Returns the servers of the account that match all given filters. Never changes anything.
  - O(status) and O(location) are applied by the API; O(name) is matched exactly on the answer.
  - With O(id), returns that one server in detail form (with C(ipv6_address), C(plan.bandwidth), C(backups_enabled)
    and C(resource_usage)), or an empty list when it does not exist.
author:
  - vpsorg.cloud maintainers (@vpsorg)
extends_documentation_fragment:
  - vpsorg.cloud.api
  - vpsorg.cloud.attributes
attributes:
  check_mode:
    support: full
    details: The module only reads, so it runs unchanged in check mode.
  diff_mode:
    support: none
    details: The module changes nothing, so there is no difference to show.
options:
  id:
    description:
      - Return only the server with this id, in detail form.
    type: int
  name:
    description:
      - Return only servers with exactly this name.
    type: str
  status:
    description:
      - Return only servers in this status.
    type: str
    choices: [provisioning, active, stopped, suspended, starting, stopping, rebooting]
  location:
    description:
      - Return only servers in this data-center location, for example C(us-west).
    type: str
  page_concurrency:
    description:
      - The most pages of the server list read at the same time, after the first.
      - V(1) reads them one after another; at most V(64). A C(429) with C(Retry-After) pauses every concurrent reader.
      - Each C(429) answer lowers the requests in flight by one for the rest of the task (never below one), so the
        listing slows down to what the API accepts. Shown at verbosity C(-v) or more.
    type: int
    default: 16
  allow_partial:
    description:
      - What to do when the server list comes back short (pages that keep changing in three reads, pages answering
        404 or 410 while C(count) holds, links that stop before C(count)).
      - V(false) fails the task naming O(api_url) and what was seen (C(failure.reason=incomplete_listing)), since a
        later task that acts on the list would otherwise act on part of the account.
      - V(true) returns the servers that were read, with a warning that says the same.
    type: bool
    default: false
notes:
  - The task, its pauses for the API's rate limit included, ends within 600 seconds; a C(Retry-After) longer than
    what remains fails it at once, naming when to try again (C(failure.reason=out_of_time)).
seealso:
  - module: vpsorg.cloud.vps_server
"""

EXAMPLES = r"""
- name: All servers of the account
  vpsorg.cloud.vps_server_info:
  register: all_servers

- name: Stopped servers in us-east
  vpsorg.cloud.vps_server_info:
    status: stopped
    location: us-east
  register: stopped

- name: One server in detail
  vpsorg.cloud.vps_server_info:
    id: 12345
  register: one

- name: Wait until every server named app-* is active (one list request per poll)
  vpsorg.cloud.vps_server_info:
  register: fleet
  until: fleet.servers | selectattr('name', 'match', 'app-') | rejectattr('status', 'eq', 'active') | list | length == 0
  retries: 60
  delay: 5
"""

RETURN = r"""
servers:
  description:
    - The matching servers; an empty list when none match.
    - Summary form from the list endpoint, or detail form when O(id) is given.
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

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract, listing
from ansible_collections.vpsorg.cloud.plugins.module_utils.base_module import SERVER_SELECTOR_SPEC, VpsModule
from ansible_collections.vpsorg.cloud.plugins.module_utils.listing import IncompleteListingError

STATUSES = sorted(contract.TRANSITIONAL_STATUSES | contract.SETTLED_STATUSES)


class VpsServerInfo(VpsModule):
    argument_spec = dict(
        SERVER_SELECTOR_SPEC,
        status={"type": "str", "choices": STATUSES},
        location={"type": "str"},
        page_concurrency={"type": "int", "default": listing.DEFAULT_PAGE_CONCURRENCY},
        allow_partial={"type": "bool", "default": False},
    )
    # Its only listing reads many pages at once from the start.
    start_concurrency = listing.DEFAULT_PAGE_CONCURRENCY

    def run(self):
        if self.params["id"] is not None:
            server = self.client.get_server_or_none(self.params["id"])
            servers = [server] if server else []
        else:
            filters = {key: self.params[key] for key in contract.SERVER_SIDE_FILTERS}
            self.client.page_concurrency = self.params["page_concurrency"]
            if self.params["allow_partial"]:
                self.client.on_partial = self.module.warn
            try:
                servers = self.client.list_servers(filters)
            except IncompleteListingError as exc:
                exc.message += " (allow_partial: true returns the servers read)"
                raise
        self.result["servers"] = [server for server in servers if self.matches(server)]

    def matches(self, server):
        return all(
            self.params[key] is None or server.get(key) == self.params[key] for key in ("name", "status", "location")
        )


def main():
    VpsServerInfo().execute()


if __name__ == "__main__":
    main()
