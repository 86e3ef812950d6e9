#!/usr/bin/python
# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vps_server_power
short_description: Start, stop or restart a VPS.org server
version_added: 1.0.0
description:
  - Brings a server into the requested power state, only when it is not there already.
  - A server in a transitional status (C(provisioning), C(starting), C(stopping), C(rebooting)) is waited out before
    deciding, so a task never fights an action already under way.
  - A C(suspended) server cannot be powered on or off; the task fails and says so.
author:
  - vpsorg.cloud maintainers (@vpsorg)
extends_documentation_fragment:
  - vpsorg.cloud.api
  - vpsorg.cloud.attributes
  - vpsorg.cloud.api.WAIT
attributes:
  check_mode:
    support: full
    details: Sends no power action and predicts RV(ignore:changed). Transitional statuses are still waited out.
  diff_mode:
    support: full
    details: Shows the status before and the status requested.
options:
  id:
    description:
      - The id of the server.
    type: int
  name:
    description:
      - The name of the server, when O(id) is not given. It must be unique in the account.
    type: str
  state:
    description:
      - V(started) powers on a stopped server; an active one is left alone.
      - V(stopped) shuts down a running server gracefully; a stopped one is left alone.
      - V(restarted) reboots an active server and starts a stopped one. It always reports a change.
    type: str
    choices: [started, stopped, restarted]
    required: true
  wait:
    description:
      - Wait until the action has finished (C(active) or C(stopped)).
seealso:
  - module: vpsorg.cloud.vps_server
"""

EXAMPLES = r"""
- name: Stop a server for maintenance
  vpsorg.cloud.vps_server_power:
    name: web-01
    state: stopped

- name: Reboot a server by id without waiting
  vpsorg.cloud.vps_server_power:
    id: 12345
    state: restarted
    wait: false
"""

RETURN = r"""
server:
  description: The server in detail form after the action (and after waiting); in check mode, as found.
  returned: always
  type: dict
  sample: {id: 12345, name: web-01, status: stopped, ip_address: 203.0.113.10, location: us-west}
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

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.base_module import (
    SERVER_SELECTOR_SPEC,
    WAIT_SPEC,
    VpsModule,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.server_state import power_action, power_target


class VpsServerPower(VpsModule):
    argument_spec = dict(
        SERVER_SELECTOR_SPEC,
        state={"type": "str", "choices": list(contract.POWER_STATE_ACTIONS), "required": True},
        **WAIT_SPEC,
    )
    module_kwargs = {"required_one_of": [("id", "name")]}

    def run(self):
        server, _listed = self.find_server()
        if server is None:
            what = (
                "id {}".format(self.params["id"])
                if self.params["id"] is not None
                else "named {!r}".format(self.params["name"])
            )
            raise VpsApiError(f"no server {what} exists", reason="not_found")
        # The decision is taken on a settled status: a stopping server is not yet stopped.
        server = self.wait_until_settled(server)
        try:
            action = power_action(server["status"], self.params["state"])
        except ValueError as exc:
            raise VpsApiError(f"{self.label(server)}: {exc}", reason="refused") from None
        self.result["server"] = server
        if action is None:
            return
        settled = power_target(action)
        self.result.update(changed=True, diff={"before": {"status": server["status"]}, "after": {"status": settled}})
        if self.check_mode:
            return
        self.client.power(server["id"], action, before=server)
        if self.params["wait"]:
            server = self.client.wait_for_status(server["id"], [settled], self.label(server))
        else:
            server = self.client.get_server(server["id"])
        self.result["server"] = server


def main():
    VpsServerPower().execute()


if __name__ == "__main__":
    main()
