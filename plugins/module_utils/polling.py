# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one poll of a wait for many servers reads: the choice that costs the fewest requests.

A wait can see its servers three ways, each with its cost in requests:

- one detail read (GET /servers/{id}/) per server: as many requests as servers;
- a listing filtered by status (the API's own `status` filter): as many requests as that listing
  has pages, whatever the number of servers waited for in that status. It shows the servers still
  in that (transitional) status; a waited-for server missing from it has moved on, or is gone, and
  is read alone once in the same poll, so a filtered listing only pays when it has fewer pages
  than the servers it covers;
- the newest pages (contract.LAST_PAGE), for servers newer than anything the caller's listing
  held (a fleet's creates): the last page, and the one before while that is cheaper than reading
  the servers it may hold alone. It shows them in every status, so nothing is read when they
  settle; it is chosen while it costs fewer requests than the new servers it covers (a filtered
  listing is cheaper per poll only until its servers leave, and then costs one read each);
- the whole listing: as many requests as the account has pages. It shows every server at once,
  with nothing read afterwards, so it wins a tie, which makes a small account cost what it always
  did (one page per poll).

The costs of listings are what the same listing cost the last time it was read (pages, see
Listing.listed_pages); a status listing not read yet is guessed at one page (few servers are in a
transitional status at one time), and the whole listing at what the caller saw, one page when it
saw nothing (the first poll then tells). The newest pages cost what they cost the last time,
pages and misses together (guessed at one page), so when the reading does not hold they soon cost
more than reading alone and are not chosen again. A wrong guess costs one poll, never a wrong
result: a listing only ever confirms a server it shows, everything else is read alone.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract

# The keys of the whole listing and of the newest pages among the status keys of PollCosts.
WHOLE = None
NEWEST = ("newest pages",)

# whole: read the whole listing (and nothing else); statuses: the statuses to list filtered;
# details: the ids to read alone; newest: the ids to look for on the newest pages. `cost` is the
# requests this plan is expected to send.
Plan = namedtuple("Plan", "whole statuses details newest cost")


class PollCosts:
    """The pages each listing of a wait had the last time it was read, in requests.

    newest_id: the highest id the caller's listing held; the servers above it are new, and are
    looked for on the newest pages (None: not known, never looked for there).
    """

    def __init__(self, account_pages=None, newest_id=None):
        self.pages = {WHOLE: account_pages or 1}
        self.newest_id = newest_id

    def estimate(self, status):
        return self.pages.get(status, 1)

    def record(self, status, pages):
        self.pages[status] = max(1, pages or 1)


def choose(pending, costs):
    """The cheapest reads for one poll.

    pending: {server_id: the status it was last seen in (None or a settled status: not listable
    by a filter worth reading; a server being deleted, for example, is still listed as active)}.
    """
    newest = []
    if costs.newest_id is not None:
        newest = [server_id for server_id in sorted(pending) if server_id > costs.newest_id]
        # Strictly fewer requests than reading them alone, which needs no reading of the API.
        if costs.estimate(NEWEST) >= len(newest):
            newest = []
    by_status, details, looked_for = {}, [], set(newest)
    for server_id, status in sorted(pending.items()):
        if server_id in looked_for:
            continue
        if status in contract.TRANSITIONAL_STATUSES:
            by_status.setdefault(status, []).append(server_id)
        else:
            details.append(server_id)
    statuses = []
    for status, ids in sorted(by_status.items()):
        # Strictly fewer pages than servers: every server also costs one read when it leaves.
        if costs.estimate(status) < len(ids):
            statuses.append(status)
        else:
            details.extend(ids)
    cost = len(details) + sum(costs.estimate(status) for status in statuses)
    if newest:
        cost += costs.estimate(NEWEST)
    whole = costs.estimate(WHOLE)
    if whole <= cost:
        return Plan(True, (), (), (), whole)
    return Plan(False, tuple(statuses), tuple(sorted(details)), tuple(newest), cost)


# -- a request budget for anything that polls on and on (the event source) ----------------------

# After a poll answered 429 the pause between polls doubles, up to this many times the budget's.
MAX_THROTTLE_FACTOR = 16


def budget_interval(interval, poll_requests, per_minute):
    """Seconds between the starts of two polls that each send `poll_requests`.

    `interval`, stretched when needed so that the polls send at most `per_minute` requests a minute
    on average (None or 0: no budget). A poll is not spread out: its pages are read at once.
    """
    if not per_minute:
        return interval
    return max(interval, 60.0 * poll_requests / per_minute)


def throttle_factor(factor, throttled):
    """How much longer than the budget's the pause is: doubled after a poll answered 429, halved back
    (to 1) after each poll that was not: a limit shared with other callers is met rarely."""
    if throttled:
        return min(MAX_THROTTLE_FACTOR, factor * 2)
    return max(1, factor // 2)
