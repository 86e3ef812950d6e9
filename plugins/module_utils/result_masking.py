# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Returning a module result: Ansible's masking of no_log values, skipped only where it is a no-op.

AnsibleModule.exit_json passes the whole result through remove_values(), which replaces every
string equal to a no_log value (the API token), masks it inside longer strings, and masks any
number whose text contains it. It does so one value at a time: for 10,000 listed servers that
is about 180,000 values and, on ansible-core 2.19, about a second and a half, more than reading
the whole list at a realistic round trip.

Whether that walk can change anything is decided much faster on the result's JSON text: JSON
escapes character by character, so a string that contains a secret contains the secret's
escaped form in the text, and a number is written as the very text remove_values looks into.
Only when no secret occurs anywhere in the text (keys included, which is stricter than needed)
is the walk skipped; the module's own arguments are still masked the usual way, and any
pending warning or deprecation sends the result down Ansible's ordinary path.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import json

from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.warnings import get_deprecation_messages, get_warning_messages


def could_be_masked(value, secrets):
    """False only when remove_values(value, secrets) is certain to give back an equal value."""
    try:
        # No NaN or Infinity: their JSON spelling differs from the str() remove_values reads.
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return True
    return any(json.dumps(str(secret), ensure_ascii=False)[1:-1] in text for secret in secrets)


def exit_json(module, result):
    """module.exit_json(**result), without the masking walk over a result it cannot change."""
    secrets = set(module.no_log_values)
    if (
        not secrets
        or get_warning_messages()
        or get_deprecation_messages()
        or "invocation" in result
        or could_be_masked(result, secrets)
    ):
        module.exit_json(**result)
        return
    invocation = {"module_args": remove_values(module.params, secrets)}
    module.no_log_values = set()
    try:
        module.exit_json(invocation=invocation, **result)
    finally:
        module.no_log_values = secrets
