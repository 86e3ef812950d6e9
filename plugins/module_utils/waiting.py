# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for one server, or many, to reach a status or to be gone, within the task's deadline.

A wait polls with growing intervals and ends by the task's deadline (budget.py: wait_timeout bounds
the whole task). A wait for many servers reads, at each poll, what costs the fewest requests
(choose): how each way of reading is priced is in docs/request-costs.md.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract, listing, servers
from ansible_collections.vpsorg.cloud.plugins.module_utils.budget import run_all
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError

# Polls start fast so short transitions finish quickly and slow down to one every 5 s, so a
# 10-minute wait costs about 120 requests, well inside any rate limit.
POLL_FIRST = 0.25
POLL_FACTOR = 1.5
POLL_CAP = 5.0


def poll_intervals():
    interval = POLL_FIRST
    while True:
        yield interval
        interval = min(POLL_CAP, interval * POLL_FACTOR)


def _either(statuses):
    return " or ".join(sorted(statuses))


def _timed_out(http, what):
    return VpsApiError(f"timed out after {http.budget.bound} s waiting for {what}", reason="wait_timeout")


def wait_for_status(http, server_id, targets, label=None):
    """Poll the server until its status is one of `targets`.

    Fails early when the server settles in another status (it would never get there), and at the
    deadline names the last status seen.
    """
    targets = frozenset(targets)
    label = label or f"server {server_id}"
    last = None
    for interval in poll_intervals():
        server = servers.get_server(http, server_id)
        status = server["status"]
        if status != last:
            http.log(f"{label} is {status} after {http.budget.elapsed():.1f} s")
            last = status
        if status in targets:
            return server
        if status in contract.SETTLED_STATUSES:
            raise VpsApiError(
                f"{label} settled as {status} while waiting for {_either(targets)}", reason="unexpected_status"
            )
        if not http.budget.nap(interval):
            raise _timed_out(http, f"{label} to become {_either(targets)}; last status: {status}")
    return None  # pragma: no cover - poll_intervals never ends


def wait_until_gone(http, server_id, label=None):
    label = label or f"server {server_id}"
    for interval in poll_intervals():
        if servers.get_server_or_none(http, server_id) is None:
            return
        if not http.budget.nap(interval):
            raise _timed_out(http, f"{label} to be deleted")


# -- many servers at once ----------------------------------------------------------------------

# The keys of the whole listing and of the newest pages among the status keys of the costs.
WHOLE = None
NEWEST = ("newest pages",)

# whole: read the whole listing (and nothing else); statuses: the statuses to list filtered;
# details: the ids to read alone; newest: the ids to look for on the newest pages. `cost` is the
# requests this plan is expected to send.
Plan = namedtuple("Plan", "whole statuses details newest cost")


class PollCosts:
    """What each way of reading cost the last time it was used, in requests.

    newest_id: the highest id the caller's listing held; the servers above it are new, and may be
    looked for on the newest pages (None: not known, never looked for there).
    """

    def __init__(self, account_pages=None, newest_id=None):
        self.pages = {WHOLE: account_pages or 1}
        self.newest_id = newest_id

    def estimate(self, key):
        return self.pages.get(key, 1)

    def record(self, key, cost):
        self.pages[key] = max(1, cost or 1)


def choose(pending, costs):
    """The cheapest reads for one poll: every way of reading the pending servers, priced by what it cost.

    pending: {server_id: the status it was last seen in (None or a settled status: not listable
    by a filter worth reading; a server being deleted, for example, is still listed as active)}.
    The servers created since the caller's listing may be looked for on the newest pages or like
    any other; each is priced, and the cheaper is taken (the newest pages on a tie: they also show
    a server that leaves its status, which a status listing does not). The whole listing wins a tie
    with anything: it shows every server at once.
    """
    new = () if costs.newest_id is None else tuple(i for i in sorted(pending) if i > costs.newest_id)
    plans = [_plan(pending, costs, new)] if new else []
    plans.append(_plan(pending, costs, ()))
    best = min(plans, key=lambda plan: plan.cost)
    whole = costs.estimate(WHOLE)
    return Plan(True, (), (), (), whole) if whole <= best.cost else best


def _plan(pending, costs, newest):
    by_status, details = {}, []
    for server_id, status in sorted(pending.items()):
        if server_id in newest:
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
    return Plan(False, tuple(statuses), tuple(sorted(details)), tuple(newest), cost)


def wait_for_fleet(http, targets, interval=None, known=None, account_pages=None, newest_id=None, concurrency=None):
    """Wait for many servers at once, until the task's deadline; each poll reads what costs the least.

    targets: {server_id: (statuses, label)}; statuses None means "until it is gone".
    known: {server_id: the status it was last seen in}, from the caller's answers; account_pages:
    the pages of the caller's last whole listing, newest_id the highest id it held.
    Returns ({server_id: summary or None when gone}, {server_id: VpsApiError}): a server that
    settles elsewhere or is not there in time fails alone, the others are still waited for.
    A server read alone is reduced to the summary fields, so the result does not depend on how
    it was seen.
    """
    pending = dict(targets)
    last = {server_id: (known or {}).get(server_id) for server_id in pending}
    costs = PollCosts(account_pages, newest_id)
    reached, failed = {}, {}
    intervals = poll_intervals() if interval is None else iter(lambda: interval, None)
    while pending:
        seen = _poll(http, {server_id: last[server_id] for server_id in pending}, costs, concurrency)
        for server_id, (statuses, label) in list(pending.items()):
            server = seen[server_id]
            status = server["status"] if server else None
            if statuses is None and server is None:
                reached[server_id] = None
            elif statuses is not None and server is None:
                failed[server_id] = VpsApiError(f"{label} disappeared while waiting for {_either(statuses)}")
            elif statuses is not None and status in statuses:
                reached[server_id] = server
            elif statuses is not None and status in contract.SETTLED_STATUSES:
                message = f"{label} settled as {status} while waiting for {_either(statuses)}"
                failed[server_id] = VpsApiError(message, reason="unexpected_status")
            else:
                last[server_id] = status
                continue
            del pending[server_id]
        if pending and not http.budget.nap(next(intervals)):
            for server_id, (statuses, label) in pending.items():
                goal = "be deleted" if statuses is None else f"become {_either(statuses)}"
                message = (
                    f"{label}: still {last[server_id]} after {http.budget.bound} s (timed out waiting for it to {goal})"
                )
                failed[server_id] = VpsApiError(message, reason="wait_timeout")
            break
    return reached, failed


def _poll(http, pending, costs, concurrency):
    """{server_id: summary, or None when the API says it is gone} for every pending server."""
    plan = choose(pending, costs)
    if plan.whole:
        listed = listing.list_servers(http)
        costs.record(WHOLE, listed.pages)
        by_id = {server["id"]: server for server in listed}
        return {server_id: by_id.get(server_id) for server_id in pending}
    seen = {}
    if plan.newest:
        found = listing.newest_servers(http, plan.newest)
        seen.update((server["id"], server) for server in found)
        missed = [server_id for server_id in plan.newest if server_id not in seen]
        # What looking there cost, misses counted as reads: when they outweigh it, it is not chosen again.
        costs.record(NEWEST, found.pages + len(missed))
        # The servers it did not show are read the cheapest other way, in this same poll.
        plan = _plan({i: was for i, was in pending.items() if i not in seen}, costs, ())
    alone = list(plan.details)
    for status in plan.statuses:
        listed = listing.list_servers(http, {"status": status})
        costs.record(status, listed.pages)
        by_id = {server["id"]: server for server in listed}
        for server_id in (i for i, was in pending.items() if was == status and i not in seen):
            # Missing from the list of its status: it moved on (or is gone); read it alone.
            if server_id in by_id:
                seen[server_id] = by_id[server_id]
            else:
                alone.append(server_id)
    jobs = [(i, lambda i=i: servers.get_server_or_none(http, i)) for i in alone]
    for server_id, (server, error) in run_all(http.budget, jobs, concurrency).items():
        if error is not None:
            raise error
        seen[server_id] = server and contract.as_summary(server)
    return seen
