#!/usr/bin/python
# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vps_fleet_info
short_description: Describe a VPS.org account as a fleet file
version_added: 1.0.0
description:
  - Reads every server of the account and returns it as the fleet M(vpsorg.cloud.vps_fleet) and the role
    C(vpsorg.cloud.servers) read, so an account that already has servers can be adopted. Never changes anything.
  - One entry per server (name, host name when set, plan, OS, location, backups, power state); the values most servers
    share go into RV(fleet.defaults) and are left out of the entries that have them.
  - The power state is the one the server is in or on its way to (V(started) for C(active), C(provisioning),
    C(starting) and C(rebooting); V(stopped) for C(stopped) and C(stopping)). A C(suspended) server gets no power
    state, since none can be set on it; it is named in RV(unmanaged_power).
  - Servers that share a name are not exported, since a fleet names each server once and M(vpsorg.cloud.vps_fleet)
    does nothing with a name the account repeats. They are listed in RV(duplicates), in a warning and in RV(header).
  - Provisioning with the result in check mode reports no change and sends no changing request.
  - The playbook C(vpsorg.cloud.export) runs this module and writes the file (C(-e vps_export_file=fleet.yml)).
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
  backups:
    description:
      - Export each server's C(backups_enabled). The list endpoint does not show it, so this reads every server in
        detail (O(concurrency) at a time), and a provision run with the file reads each server's detail as well.
      - With V(false), the account is listed only and backups are left out of the file (and not compared later).
    type: bool
    default: true
  concurrency:
    description:
      - How many detail reads are sent at the same time, from 1 to 32.
    type: int
    default: 8
seealso:
  - module: vpsorg.cloud.vps_fleet
  - module: vpsorg.cloud.vps_server_info
"""

EXAMPLES = r"""
- name: Describe the account as a fleet
  vpsorg.cloud.vps_fleet_info:
  register: exported

- name: Write it where the provision playbook can read it
  ansible.builtin.copy:
    dest: fleet.yml
    content: "{{ exported.header }}{{ exported.fleet_file | to_nice_yaml(indent=2, sort_keys=false) }}"
    mode: "0644"

- name: Converge the account to the same fleet (nothing to do right after the export)
  vpsorg.cloud.vps_fleet:
    defaults: "{{ exported.fleet.defaults }}"
    servers: "{{ exported.fleet.servers }}"
"""

RETURN = r"""
fleet:
  description: The fleet as M(vpsorg.cloud.vps_fleet) takes it.
  returned: always
  type: dict
  contains:
    defaults:
      description: The values several servers share, as O(vpsorg.cloud.vps_fleet#module:defaults) takes them.
      type: dict
      sample: {plan_id: 1, os_id: 5, location: us-west, backups_enabled: false, power: started}
    servers:
      description:
        - One entry per server whose name is unique in the account, sorted by name, as
          O(vpsorg.cloud.vps_fleet#module:servers) takes them. Keys equal to RV(fleet.defaults) are left out.
      type: list
      elements: dict
      sample:
        - {name: db-01, hostname: db-01.example.com, plan_id: 2, backups_enabled: true}
        - {name: web-01, hostname: web-01.example.com, power: stopped}
fleet_file:
  description: The same as the variables of a fleet file, C(vps_servers_defaults) and C(vps_servers).
  returned: always
  type: dict
  sample: {vps_servers_defaults: {plan_id: 1}, vps_servers: [{name: web-01}]}
duplicates:
  description: The names several servers carry, with their ids; those servers are not in RV(fleet.servers).
  returned: always
  type: list
  elements: dict
  sample: [{name: web-01, ids: [10001, 10007]}]
unmanaged_power:
  description: The names of the exported servers that have no power state (suspended by VPS.org).
  returned: always
  type: list
  elements: str
  sample: [batch-07]
header:
  description: Comment lines for the top of the file, each starting with C(#), naming what was left out and why.
  returned: always
  type: str
  sample: "# Fleet exported from https://admin.vps.org/api/v1 by vpsorg.cloud.export: 2 server(s).\n"
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
  sample: {reason: http_error, status: 401, method: GET, path: /servers/, detail: Invalid token., field_errors: {}}
"""

from ansible_collections.vpsorg.cloud.plugins.module_utils.base_module import DEFAULT_CONCURRENCY, VpsModule
from ansible_collections.vpsorg.cloud.plugins.module_utils.fleet_export import export_fleet, file_header


class VpsFleetInfo(VpsModule):
    argument_spec = {
        "backups": {"type": "bool", "default": True},
        "concurrency": {"type": "int", "default": DEFAULT_CONCURRENCY},
    }

    def run(self):
        servers = self.client.list_servers()
        if self.params["backups"]:
            servers = self.details(servers)
        exported = export_fleet(servers)
        for duplicate in exported["duplicates"]:
            self.module.warn(
                "{} servers are named {!r} (ids {}): not exported, since a fleet names each server once".format(
                    len(duplicate["ids"]), duplicate["name"], ", ".join(map(str, duplicate["ids"]))
                )
            )
        # Under `fleet`, not at the top: a top-level `servers` is taken for server objects and trimmed.
        fleet = {"defaults": exported["defaults"], "servers": exported["servers"]}
        self.result.update(
            fleet=fleet,
            duplicates=exported["duplicates"],
            unmanaged_power=exported["unmanaged_power"],
            fleet_file={"vps_servers_defaults": exported["defaults"], "vps_servers": exported["servers"]},
            header=file_header(exported, self.params["api_url"]),
        )

    def details(self, servers):
        """Each server in detail (for backups_enabled); one deleted since the listing is left out."""
        jobs = [(server["id"], lambda client, s=server: client.get_server_or_none(s["id"])) for server in servers]
        detailed = []
        for _server_id, (server, error) in self.client.run_all(jobs, self.params["concurrency"]).items():
            if error:
                raise error
            if server is not None:
                detailed.append(server)
        return detailed


def main():
    VpsFleetInfo().execute()


if __name__ == "__main__":
    main()
