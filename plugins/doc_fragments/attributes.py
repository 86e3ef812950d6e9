# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # What check_mode and diff_mode mean is the same for every module; each module states only
    # its support and the details. All modules belong to the action group.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return a changed status prediction without modifying the target.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) when in diff mode.
  action_group:
    description: Use C(group/vpsorg.cloud.vps) in C(module_defaults) to set the API options once for every module.
    support: full
    membership:
      - vpsorg.cloud.vps
"""
