# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for one server, or many, to reach a status or to be gone.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract, polling, retry
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError


def _either(statuses):
    return " or ".join(sorted(statuses))


class ServerWaiter:
    """Mixed into the client over a ServerResource: polls with growing intervals, bounded by a deadline."""

    def wait_for_status(self, server_id, targets, timeout, label=None):
        """Poll the server until its status is one of `targets`.

        Fails early when the server settles in another status (it would never get there),
        and on timeout names the last status seen.
        """
        targets = frozenset(targets)
        label = label or f"server {server_id}"
        started = self._clock()
        deadline = started + timeout
        last = None
        for interval in retry.poll_intervals():
            server = self.get_server(server_id)
            status = server["status"]
            if status != last:
                self.log(f"{label} is {status} after {self._clock() - started:.1f} s")
                last = status
            if status in targets:
                return server
            if status in contract.SETTLED_STATUSES:
                raise VpsApiError(
                    f"{label} settled as {status} while waiting for {_either(targets)}", reason="unexpected_status"
                )
            remaining = deadline - self._clock()
            if remaining <= 0:
                message = f"timed out after {timeout} s waiting for {label} to become {_either(targets)}"
                raise VpsApiError(f"{message}; last status: {status}", reason="wait_timeout")
            self._sleep(min(interval, remaining))
        return None  # pragma: no cover - poll_intervals never ends

    def wait_until_settled(self, server_id, timeout, label=None):
        return self.wait_for_status(server_id, contract.SETTLED_STATUSES, timeout, label)

    def wait_until_gone(self, server_id, timeout, label=None):
        label = label or f"server {server_id}"
        deadline = self._clock() + timeout
        for interval in retry.poll_intervals():
            if self.get_server_or_none(server_id) is None:
                return
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise VpsApiError(
                    f"timed out after {timeout} s waiting for {label} to be deleted", reason="wait_timeout"
                )
            self._sleep(min(interval, remaining))

    def wait_for_fleet(
        self, targets, timeout, interval=None, known=None, account_pages=None, executor=None, newest_id=None
    ):
        """Wait for many servers at once; each poll reads what costs the fewest requests (polling.choose).

        targets: {server_id: (statuses, label)}; statuses None means "until it is gone".
        known: {server_id: the status it was last seen in}, from the caller's answers; account_pages:
        the pages of the caller's last whole listing, newest_id the highest id it held (the servers
        above it were created since: polling.NEWEST). executor: reads servers alone concurrently.
        Returns ({server_id: summary or None when gone}, {server_id: VpsApiError}): a server that
        settles elsewhere or is not there in time fails alone, the others are still waited for.
        A server read alone is reduced to the summary fields, so the result does not depend on how
        it was seen.
        """
        pending = dict(targets)
        last = {server_id: (known or {}).get(server_id) for server_id in pending}
        costs = polling.PollCosts(account_pages, newest_id)
        reached, failed = {}, {}
        started = self._clock()
        deadline = started + timeout
        intervals = retry.poll_intervals() if interval is None else iter(lambda: interval, None)
        while pending:
            seen = self._poll({server_id: last[server_id] for server_id in pending}, costs, executor)
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
            remaining = deadline - self._clock()
            if pending and remaining <= 0:
                for server_id, (statuses, label) in pending.items():
                    goal = "be deleted" if statuses is None else f"become {_either(statuses)}"
                    message = f"{label}: still {last[server_id]} after {timeout} s (timed out waiting for it to {goal})"
                    failed[server_id] = VpsApiError(message, reason="wait_timeout")
                return reached, failed
            if pending:
                self._sleep(min(next(intervals), remaining))
        return reached, failed

    def _poll(self, pending, costs, executor):
        """{server_id: summary, or None when the API says it is gone} for every pending server."""
        plan = polling.choose(pending, costs)
        if plan.whole:
            listed = {server["id"]: server for server in self.list_servers()}
            costs.record(polling.WHOLE, self.listed_pages)
            return {server_id: listed.get(server_id) for server_id in pending}
        seen, alone = {}, list(plan.details)
        if plan.newest:
            found, read = self.newest_servers(plan.newest)
            missed = [server_id for server_id in plan.newest if server_id not in found]
            # What looking there cost, misses included: when they outweigh it, it is not chosen again.
            costs.record(polling.NEWEST, read + len(missed))
            seen.update(found)
            alone.extend(missed)
        for status in plan.statuses:
            listed = {server["id"]: server for server in self.list_servers({"status": status})}
            costs.record(status, self.listed_pages)
            for server_id in (i for i, was in pending.items() if was == status):
                # Missing from the list of its status: it moved on (or is gone); read it alone.
                if server_id in listed:
                    seen[server_id] = listed[server_id]
                else:
                    alone.append(server_id)
        seen.update(self._read_alone(alone, executor))
        return seen

    def _read_alone(self, server_ids, executor):
        if executor is None or len(server_ids) < 2:
            read = {server_id: (self.get_server_or_none(server_id), None) for server_id in server_ids}
        else:
            read = executor.run((i, lambda client, i=i: client.get_server_or_none(i)) for i in server_ids)
        summaries = {}
        for server_id, (server, error) in read.items():
            if error is not None:
                raise error
            summaries[server_id] = server and contract.as_summary(server)
        return summaries
