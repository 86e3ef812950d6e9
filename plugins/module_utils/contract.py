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
# reading: the list is in id order, oldest first (DRF lists a model in its default ordering, and
# ids are handed out in creation order: see creation_order), so the servers created last are on
# its last page, which DRF's page-number pagination names `page=last` without the caller knowing
# the count; `previous` links the page before. A wait for servers it just created reads them
# there (polling.py); it only ever believes a server a page shows: one it misses is read alone,
# and an API without `page=last` (404) is not asked again.
LAST_PAGE = "last"
PAGE_PREVIOUS = "previous"
# List filters the API applies server-side (doc).
SERVER_SIDE_FILTERS = ("status", "location")


# doc: server statuses. reading: which of them are transitional and where they settle.
STATUS_ACTIVE = "active"
STATUS_STOPPED = "stopped"
STATUS_SUSPENDED = "suspended"
STATUS_PROVISIONING = "provisioning"
TRANSITIONAL_STATUSES = frozenset(("provisioning", "starting", "stopping", "rebooting"))
SETTLED_STATUSES = frozenset(("active", "stopped", "suspended"))


def new_server_filters(body):
    """List filters under which a server just created from `body` shows (reading).

    doc: a create answers with status provisioning, and provisioning takes minutes. reading: the
    server is listed under the location it was created in. Used to look first for a create whose
    answer was lost; only a server found counts: finding none is confirmed on the whole list.
    """
    return {"status": STATUS_PROVISIONING, "location": body.get("location")}


# doc: a create answers "This may take 2-5 minutes". reading: a server stays `provisioning` for at
# least this many seconds, so a server created less than this long ago is found among the
# provisioning servers (name_races: a page in a large account instead of the whole account).
PROVISIONING_LASTS_AT_LEAST = 60


# doc: the API throttles with 429 in DRF's wording and a Retry-After. reading: as DRF's throttles
# do, it allows a number of requests per window, and a 429's Retry-After is at most that window.
# So the requests it took before its first 429, spread over that Retry-After, go no slower than
# the API allows (pacing.PauseGate's first pace; a second 429 corrects a pace still too fast).
def first_spacing(taken, retry_after):
    """Seconds between requests that the API's first 429 shows it takes at least."""
    return retry_after / taken


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

# reading: which action brings a settled server to the requested power state (none: already there).
POWER_STATE_ACTIONS = {
    "started": {STATUS_STOPPED: "start"},
    "stopped": {STATUS_ACTIVE: "stop"},
    "restarted": {STATUS_ACTIVE: "reboot", STATUS_STOPPED: "start"},
}


def action_took_effect(spec, before, now):
    """Whether a power action whose answer was lost shows in the re-read server `now`."""
    status = now.get("status")
    if status == spec["transitional"]:
        return True
    if status != spec["settled"]:
        return False
    # reading: a finished reboot shows as `active` again; updated_at tells it happened.
    return before.get("status") != status or before.get("updated_at") != now.get("updated_at")


# doc: the fields of a server summary (list answer), and those only the detail adds. Module
# results and inventory host variables carry exactly these (when the API sent them), so what
# playbooks see does not change when the API adds a field; a new field is added here, documented.
SUMMARY_FIELDS = (
    "id",
    "name",
    "hostname",
    "status",
    "ip_address",
    "location",
    "plan",
    "os",
    "created_at",
    "updated_at",
)
DETAIL_FIELDS = (*SUMMARY_FIELDS, "ipv6_address", "backups_enabled", "resource_usage")
# doc: a summary's plan; the detail's plan adds bandwidth.
SUMMARY_PLAN_FIELDS = ("id", "name", "vcpus", "memory", "storage")


def as_summary(server):
    """A server read in detail, as the list shows it: a wait reports the same whichever way it read."""
    summary = {key: server[key] for key in SUMMARY_FIELDS if key in server}
    if isinstance(summary.get("plan"), dict):
        summary["plan"] = {key: value for key, value in summary["plan"].items() if key in SUMMARY_PLAN_FIELDS}
    return summary


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


# reading: a server shows what its create sent: the name, plan.id, os.id, location, and the hostname
# when one was sent (the list and the detail alike; the SSH key and backups are not shown). A server
# that shows anything else was not made by that request, whatever its name (someone else's).
def shows_request(server, body):
    """Whether `server` shows every field of the create request `body` that a server shows."""
    shown = dict(IMMUTABLE_FIELDS, name=lambda s: s.get("name"), hostname=lambda s: s.get("hostname"))
    return all(
        shown[key](server) == body[key]
        for key in ("name", "plan_id", "os_id", "location", "hostname")
        if body.get(key) is not None
    )


CREATE_OPTIONAL = ("hostname", "ssh_key_id", "backups_enabled")

# doc: "letters, digits and hyphens". reading: at least one character, at most 63 (a DNS label).
# Always used with fullmatch: `$` would also accept a trailing newline.
NAME_PATTERN = re.compile(r"[A-Za-z0-9-]{1,63}")
# reading: a token is visible ASCII (what an HTTP header can carry); surrounding whitespace, such
# as the newline of `printf '%s\n' "$TOKEN" | ansible-vault encrypt_string`, is not part of it.
TOKEN_PATTERN = re.compile(r"[\x21-\x7e]+")
# reading: hostname is an FQDN and location a short code; neither may hold control characters.
TEXT_FIELD_PATTERN = re.compile(r"[^\x00-\x1f\x7f]+")
# The fields every server object carries, with their JSON type (doc: summary and detail).
SERVER_REQUIRED_FIELDS = {"id": int, "name": str, "status": str}
# reading: ids are positive database integers (32-bit signed).
MAX_ID = 2**31 - 1


# reading: ids are handed out in creation order, so of several servers with one name the one with
# the lowest id is the oldest. Concurrent runs that created the same name all keep that one.
def creation_order(server):
    return server["id"]


# reading: DRF error bodies.
ERROR_DETAIL_KEY = "detail"
NON_FIELD_ERRORS_KEY = "non_field_errors"
