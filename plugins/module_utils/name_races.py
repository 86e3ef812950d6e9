# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two runs that create the same name at the same time: keep the oldest copy, delete only our own.

The API does not keep names unique, and a run decides to create from a listing that another run
may have made stale a moment later. So after its creates, a run lists the account once more and
settles each name it created by one rule:
- every server of that name shows what this run's create sent (contract.shows_request): they are
  copies made by runs of the same playbook. The oldest (contract.creation_order) is the one every
  run keeps; a run deletes the one it created itself when an older copy exists, and reports that one;
- any server of that name shows something else (another plan, OS, location or host name): it is
  someone else's, not a copy. The task fails naming every id, and deletes nothing: not theirs, and
  not its own either, since which one should stay is the user's call.
A run never deletes a server it did not create.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import time
from collections import namedtuple

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract, listing, servers
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError

# kept: the server to report (ours, or the older copy); deleted: the id of ours when it lost,
# else None; error: a VpsApiError when the name cannot be settled.
Claim = namedtuple("Claim", "kept deleted error")


def settle_name(listed, name, ours, body):
    """(the server every run keeps, None) or (None, the servers of that name that are not copies)."""
    same = [server for server in listed if server["name"] == name and server["id"] != ours["id"]]
    strangers = [server for server in same if not contract.shows_request(server, body)]
    if strangers:
        return None, strangers
    return min([ours, *same], key=contract.creation_order), None


def keep_oldest(http, created, since=None, account_pages=None):
    """Settle every name this run created: {name: (our server, the create body)} -> {name: Claim}.

    One listing in all. `since` (time.monotonic()) is when the listing the run decided on began,
    `account_pages` how many pages it had; without them the whole account is listed.
    """
    if not created:
        return {}
    filters = _created_since(since, account_pages)
    try:
        listed = listing.list_servers(http, filters)
    except VpsApiError as exc:
        # The creates took effect; only the check for a concurrent one could not be made.
        return {
            name: Claim(ours, None, _unchecked(name, ours, exc, filters)) for name, (ours, _body) in created.items()
        }
    claims = {}
    for name, (ours, body) in created.items():
        kept, strangers = settle_name(listed, name, ours, body)
        if strangers:
            claims[name] = Claim(ours, None, _conflict(name, ours, listed, strangers))
        elif kept["id"] == ours["id"]:
            claims[name] = Claim(ours, None, None)
        else:
            claims[name] = _delete_ours(http, name, ours, kept)
    return claims


def _delete_ours(http, name, ours, kept):
    try:
        servers.delete_server(http, ours["id"])
    except VpsApiError as exc:
        message = (
            f"server {name!r} (id {ours['id']}) was created by this run while another run created {name!r} "
            f"(id {kept['id']}), and deleting ours failed: {exc}; two servers now have this name"
        )
        return Claim(ours, None, VpsApiError(message, exc.status, exc.method, exc.path, exc.body, reason=exc.reason))
    http.log(f"another run created {name!r} at the same time (id {kept['id']}, older): deleted ours (id {ours['id']})")
    return Claim(kept, ours["id"], None)


def _conflict(name, ours, listed, strangers):
    """The error for a name that someone else's servers carry too: it names every server of the name, copies too."""
    named = [server for server in listed if server["name"] == name and server["id"] != ours["id"]]
    ids = ", ".join(str(server["id"]) for server in sorted([ours, *named], key=contract.creation_order))
    message = (
        f"after this run created {name!r} (id {ours['id']}), servers {ids} carry that name, and "
        f"{'they do' if len(strangers) > 1 else 'one does'} not match what this run asked for (someone else's): "
        "nothing was deleted; keep one and rename or delete the others"
    )
    return VpsApiError(message, reason="name_conflict")


def _created_since(since, account_pages):
    """The list filters that show every server another run can have created since `since`, read as
    cheaply as is safe (None: the whole list).

    A concurrent create came after our listing began (or our listing would have shown it), so
    while that is less than contract.PROVISIONING_LASTS_AT_LEAST ago it is still provisioning: the
    provisioning servers are a page or so where the whole account may be a hundred. A small
    account costs one page either way, and then the whole list is read, which needs no reading.
    """
    recent = since is not None and time.monotonic() - since < contract.PROVISIONING_LASTS_AT_LEAST
    if recent and (account_pages or 0) > 1:
        return {"status": contract.STATUS_PROVISIONING}
    return None


def _unchecked(name, ours, exc, filters):
    listed = "the account again" if not filters else f"the {filters['status']} servers"
    message = (
        f"server {name!r} was created (id {ours['id']}), but listing {listed} to check for a concurrent "
        f"create of the same name failed: {exc}"
    )
    return VpsApiError(message, exc.status, exc.method, exc.path, exc.body, reason=exc.reason)


def race_message(name, claim):
    """The sentence a module reports for a name that another run created first."""
    return (
        f"server {name!r} was also created at the same time by another run: kept the oldest (id {claim.kept['id']}) "
        f"and deleted the one this run created (id {claim.deleted})"
    )
