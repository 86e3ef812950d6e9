# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When a server listing counts as complete, and what is said when it does not.

A listing can end short in several ways: numbered pages that never fit together in the reads
allowed (a page that answers 404 or 410, an empty or short page before `count`, a page that
repeats another, a last page that links on), or linked pages that stop before `count` or whose
`next` answers 404 or 410. The servers read are then not known to be all of them, so a decision
that can create, change or delete (a server missing from the list would be created twice) is
never made on them: the listing raises IncompleteListingError naming api_url and what was seen.
Callers that only report (vps_server_info, the inventory) ask for `partial_ok` and get the
servers read, with a warning that says the same.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError


class IncompleteListingError(VpsApiError):
    """The server list came back short: no decision is made on it."""

    def _default_reason(self):
        return "incomplete_listing"


def unsettled(counts, whys, gone):
    """(what was seen, what a partial list holds) for numbered reads whose pages never fit together.

    counts and whys: each read's `count` and first mismatch. When every read counted the same
    servers and failed the same way, nothing changed between the reads: the pages themselves are
    wrong, and a page answering 404 / 410 while `count` holds is not the API's page.
    """
    reads = len(counts)
    if len(set(counts)) == 1 and len(set(whys)) == 1:
        what = (
            f"the server list's pages do not fit together although the list did not change: {whys[0]} in each "
            f"of {reads} reads, while every read counted {counts[0]} servers"
        )
        if gone:
            what += "; those pages are not the API's pages (does a `next` link leave api_url's path?)"
        return what, "returning the {} servers read, which are not all of them"
    what = f"the server list kept changing while it was read ({whys[-1]}, {reads} reads)"
    return what, "returning the {} servers seen in any read, which may include one deleted meanwhile"


def unlinked(read, count, path=None, status=None):
    """(what was seen, what a partial list holds) for linked pages that end before their count."""
    if status is not None:
        counted = f"{read} servers" if count is None else f"{read} of the {count} servers it counts"
        what = f"the server list's next page {path} answered HTTP {status} after {counted}"
    else:
        what = f"the server list stopped linking to a next page after {read} of the {count} servers it counts"
    return what, "returning the {} servers read, which are not all of them"


def short(client, servers, seen, partial_ok):
    """The servers of a listing known to be short, for a caller that takes them; raise for any other."""
    what, holds = seen
    message = f"api_url {client.api_url}: {what}"
    if not partial_ok:
        raise client.error(
            IncompleteListingError, f"{message}; nothing is created, changed or deleted on a list that may miss servers"
        )
    message += "; " + holds.format(len(servers))
    client.log(message)
    if client.warn:
        client.warn(message)
    return servers
