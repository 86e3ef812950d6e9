# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two runs that create the same name at the same time: keep the oldest, delete only our own.

The API does not keep names unique, and a run decides to create from a listing that another run
may have made stale a moment later. So after its creates, a run lists the account once more. For
each name it created, the oldest server of that name (contract.creation_order) is the one every
run keeps; a run deletes the server it created itself when an older one of the same name exists,
and reports the older one instead. It never deletes a server it did not create.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import time
from collections import namedtuple

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError

# kept: the server to report (ours, or the older one); deleted: the id of ours when it lost,
# else None; error: a VpsApiError when ours lost but could not be deleted.
Claim = namedtuple("Claim", "kept deleted error")


def winner(listing, name, ours):
    """The server named `name` that every concurrent run keeps: the oldest, ours included."""
    same = [server for server in listing if server["name"] == name and server["id"] != ours["id"]]
    return min([ours, *same], key=contract.creation_order)


def keep_oldest(client, created, since=None, account_pages=None):
    """Settle every name this run created: {name: our server} -> {name: Claim}. One listing in all.

    `since` (time.monotonic()) is when the listing the run decided on began, `account_pages` how
    many pages it had; without them the whole account is listed.
    """
    if not created:
        return {}
    filters = _created_since(since, account_pages)
    try:
        listing = client.list_servers(filters)
    except VpsApiError as exc:
        # The creates took effect; only the check for a concurrent one could not be made.
        return {name: Claim(ours, None, _unchecked(name, ours, exc, filters)) for name, ours in created.items()}
    claims = {}
    for name, ours in created.items():
        kept = winner(listing, name, ours)
        if kept["id"] == ours["id"]:
            claims[name] = Claim(ours, None, None)
            continue
        try:
            client.delete_server(ours["id"])
        except VpsApiError as exc:
            message = (
                f"server {name!r} (id {ours['id']}) was created by this run while another run created {name!r} "
                f"(id {kept['id']}), and deleting ours failed: {exc}; two servers now have this name"
            )
            error = VpsApiError(message, exc.status, exc.method, exc.path, exc.body, reason=exc.reason)
            claims[name] = Claim(ours, None, error)
            continue
        client.log(
            f"another run created {name!r} at the same time (id {kept['id']}, older): deleted ours (id {ours['id']})"
        )
        claims[name] = Claim(kept, ours["id"], None)
    return claims


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
