# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every interpretation ("reading") of the VPS.org server API lives in this file.

The provider documents the endpoints but leaves pagination, error bodies, the update
response and parts of the lifecycle open. Each constant below is one such reading; when
the real service turns out to behave differently, correct it here and nowhere else.
"""

from __future__ import annotations

import re

DEFAULT_API_URL = "https://admin.vps.org/api/v1"

# doc: collection path with trailing slashes.
SERVERS_PATH = "/servers/"


def server_path(server_id):
    return f"/servers/{server_id}/"


def action_path(server_id, action):
    return f"/servers/{server_id}/{action}/"


# reading: Django REST Framework page-number pagination.
PAGE_RESULTS = "results"
PAGE_NEXT = "next"
PAGE_COUNT = "count"
PAGE_PARAM = "page"
PAGE_SIZE_PARAM = "page_size"
# reading: the server may cap page_size lower; we follow `next` whatever the cap is.
DEFAULT_PAGE_SIZE = 100
# List filters the API applies server-side (doc).
SERVER_SIDE_FILTERS = ("status", "location")

# doc: server statuses. reading: which of them are transitional and where they settle.
STATUS_ACTIVE = "active"
STATUS_STOPPED = "stopped"
STATUS_SUSPENDED = "suspended"
STATUS_PROVISIONING = "provisioning"
TRANSITIONAL_STATUSES = frozenset(("provisioning", "starting", "stopping", "rebooting"))
SETTLED_STATUSES = frozenset(("active", "stopped", "suspended"))

# reading: a power action passes through `transitional` and settles in `settled`.
# `from_statuses` are the settled states in which the API accepts the action.
POWER_ACTIONS = {
    "start": {
        "transitional": "starting",
        "settled": STATUS_ACTIVE,
        "from_statuses": (STATUS_STOPPED,),
    },
    "stop": {
        "transitional": "stopping",
        "settled": STATUS_STOPPED,
        "from_statuses": (STATUS_ACTIVE,),
    },
    "reboot": {
        "transitional": "rebooting",
        "settled": STATUS_ACTIVE,
        "from_statuses": (STATUS_ACTIVE,),
    },
}

# doc: fields PUT/PATCH can change. We always PATCH with only the changed fields, so a
# concurrent change to another field is never overwritten (PUT would need all three).
UPDATABLE_FIELDS = ("name", "hostname", "backups_enabled")
UPDATE_METHOD = "PATCH"


# reading: fields fixed at creation, and where the server object shows their value.
# ssh_key_id is not part of the documented server object: it cannot be compared.
def _nested_id(key):
    return lambda server: (server.get(key) or {}).get("id")


IMMUTABLE_FIELDS = {
    "plan_id": _nested_id("plan"),
    "os_id": _nested_id("os"),
    "location": lambda server: server.get("location"),
    "ssh_key_id": lambda server: server.get("ssh_key_id"),
}
CREATE_REQUIRED = ("name", "plan_id", "os_id", "location")
CREATE_OPTIONAL = ("hostname", "ssh_key_id", "backups_enabled")

# doc: "letters, digits and hyphens". reading: at least one character, at most 63 (a DNS label).
NAME_PATTERN = re.compile(r"^[A-Za-z0-9-]{1,63}$")
# reading: ids are positive database integers (32-bit signed).
MAX_ID = 2**31 - 1

# reading: DRF error bodies.
ERROR_DETAIL_KEY = "detail"
NON_FIELD_ERRORS_KEY = "non_field_errors"
