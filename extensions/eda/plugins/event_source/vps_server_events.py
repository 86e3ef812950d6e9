# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-rulebook event source vpsorg.cloud.vps_server_events: server changes as events."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import math
import os
import sys

DOCUMENTATION = r"""
---
short_description: Turn changes of VPS.org servers into events.
description:
  - An ansible-rulebook event source plugin that polls the server list of a VPS.org account and
    sends one event for each server that was created, changed status, changed otherwise, or was deleted
    since the previous poll.
  - Each event is a dictionary with C(type) (C(created), C(status_changed), C(updated) or C(deleted)),
    C(server) (the server as listed now; for C(deleted) the last version seen) and C(previous) (the last
    version seen before, or C(null) for C(created)).
  - C(status_changed) carries C(old_status), C(new_status) and C(changes). When the status and other fields
    change between two polls, there is one C(status_changed) event and its C(changes) lists every changed
    field; C(updated) (with C(changes)) is only sent when the status stayed the same.
  - C(changes) maps each changed field to C({before, after}). C(created) carries C(initial), true for the
    servers reported by O(initial_snapshot).
  - A poll only sees the account as it is at that moment, so a server that goes through several states
    between two polls is reported once, from the state seen before to the state seen now.
  - A listing that fails (after the retries of O(api_retries)) or that is malformed produces no events and
    leaves the last snapshot untouched; the source logs the outage, waits longer between polls while it
    lasts, and logs when the API answers again. A server is only reported deleted when two listings in a
    row lack it.
options:
  api_url:
    description:
      - Base URL of the VPS.org API, up to and including C(/api/v1).
      - If not set, the value of the E(VPS_API_URL) environment variable is used,
        else C(https://admin.vps.org/api/v1).
    type: str
  api_token:
    description:
      - The VPS.org API token. If not set, the value of the E(VPS_API_TOKEN) environment variable is used
        (preferred, so the token is not part of the rulebook).
      - It never appears in events or logs.
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url).
    type: bool
    default: true
  api_timeout:
    description:
      - Seconds to wait for each HTTP answer.
    type: int
    default: 30
  api_retries:
    description:
      - How many times a failed list request (connection error, timeout, HTTP 429, 502, 503, 504) is
        repeated, with exponential backoff and jitter, before the poll counts as failed.
    type: int
    default: 5
  interval:
    description:
      - Seconds between the starts of two polls. Each poll costs one list request per 100 servers
        (two when a server seems to have disappeared, to confirm it).
      - While the API fails, the pause doubles after each failed poll, up to 5 minutes (or O(interval) if
        that is longer).
    type: float
    default: 10
  requests_per_minute:
    description:
      - The most requests the source sends per minute, on average. When a poll costs more than this allows
        at O(interval) (one request per 100 servers listed), the polls start further apart, with a pause of
        the poll's requests times 60 / O(requests_per_minute) seconds, and a warning says so once, with the
        interval used.
      - A poll answered HTTP 429 (too many requests) doubles the pause, up to 16 times, and each poll without
        one halves it back, so a limit shared with playbooks and inventories on the same token is met rarely.
      - V(0) sets no budget.
    type: float
    default: 60
  filters:
    description:
      - Which servers to watch, with the API's list filters C(status) and C(location).
      - C(location) is applied by the API.
      - C(status) limits the events to servers that have, or had just before, that status (for example
        C(active) reports a server becoming active and one leaving C(active)); the account is still
        listed whole, so a server leaving the status is never mistaken for a deleted one.
    type: dict
    default: {}
  initial_snapshot:
    description:
      - If false, the servers that exist when the source starts are not news; events start with the
        first change after that.
      - If true, the source first sends one C(created) event (with C(initial=true)) for each existing server.
    type: bool
    default: false
notes:
  - Needs ansible-core and the Python library C(requests) next to ansible-rulebook (a decision environment
    has both).
"""

EXAMPLES = r"""
- name: React to VPS.org server changes
  hosts: all
  sources:
    - vpsorg.cloud.vps_server_events:
        interval: 15
        filters:
          location: eu-central
  rules:
    - name: Configure each server that becomes active
      condition: event.type == "status_changed" and event.new_status == "active"
      action:
        run_playbook:
          name: configure.yml
"""

# ansible-rulebook runs this file by path (runpy), not as part of a package: make the
# ansible_collections tree it sits in importable so the collection's shared client is used.
_COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 7))
if os.path.isdir(os.path.join(_COLLECTIONS_ROOT, "ansible_collections")) and _COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, _COLLECTIONS_ROOT)

try:
    from ansible.module_utils.parsing.convert_bool import boolean
    from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
    from ansible_collections.vpsorg.cloud.plugins.module_utils.client import Budget, VpsClient
    from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
    from ansible_collections.vpsorg.cloud.plugins.module_utils.options import (
        insecure_url_warning,
        mask,
        option_problems,
    )
    from ansible_collections.vpsorg.cloud.plugins.plugin_utils.server_events import MalformedListing, ServerWatcher
except ImportError as exc:  # pragma: no cover - depends on the decision environment
    raise ImportError(
        f"vpsorg.cloud.vps_server_events needs ansible-core and the vpsorg.cloud collection importable: {exc}"
    ) from None

NAME = "vpsorg.cloud.vps_server_events"
OPTIONS = (
    "api_url",
    "api_token",
    "validate_certs",
    "api_timeout",
    "api_retries",
    "interval",
    "filters",
    "initial_snapshot",
    "requests_per_minute",
)
DEFAULTS = {
    "validate_certs": True,
    "api_timeout": 30,
    "api_retries": 5,
    "interval": 10,
    "filters": None,
    "initial_snapshot": False,
    "requests_per_minute": 60,
}
KNOWN_STATUSES = contract.SETTLED_STATUSES | contract.TRANSITIONAL_STATUSES
# While the API fails, polls back off up to this pause (or the interval, if longer).
MAX_BACKOFF = 300.0
# After a poll answered 429 the pause between polls doubles, up to this many times the budget's.
MAX_THROTTLE_FACTOR = 16

logger = logging.getLogger(NAME)


def _number(problems, name, value, integer=False):
    """`value` as a number, or None after adding a sentence to `problems` (ranges: option_problems)."""
    kind = "an integer" if integer else "a number"
    try:
        if isinstance(value, bool) or value is None:
            raise TypeError
        number = int(value) if integer else float(value)
        if not math.isfinite(float(value)) or (integer and float(value) != number):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        problems.append(f"{name} must be {kind}, got {value!r}")
        return None
    return number


def _boolean(problems, name, value):
    try:
        return boolean(value, strict=True)
    except TypeError:
        problems.append(f"{name} must be true or false, got {value!r}")
        return None


def _filters(problems, value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"filters must be a dictionary, got {type(value).__name__}")
        return {}
    unknown = sorted(str(key) for key in value if key not in contract.SERVER_SIDE_FILTERS)
    if unknown:
        problems.append(
            "unsupported filters {}; the API filters by {}".format(
                ", ".join(unknown), " and ".join(contract.SERVER_SIDE_FILTERS)
            )
        )
    filters = {}
    for key in contract.SERVER_SIDE_FILTERS:
        item = value.get(key)
        if item is None:
            continue
        if not isinstance(item, str) or not item.strip():
            problems.append(f"filters.{key} must be a non-empty string, got {item!r}")
        elif key == "status" and item not in KNOWN_STATUSES:
            problems.append(f"filters.status must be one of {', '.join(sorted(KNOWN_STATUSES))}, got {item!r}")
        else:
            filters[key] = item
    return filters


class ArgumentError(ValueError):
    """Bad rulebook arguments: the user's to fix, said in one message with every problem.

    ansible-rulebook logs the frames of a failed source's exception (read from __traceback__)
    after its message; for a wrong argument they only hide the sentence that matters, so this
    error shows none. Python's own traceback machinery (sys.exc_info) is not affected.
    """

    @property
    def __traceback__(self):
        return None

    @__traceback__.setter
    def __traceback__(self, value):
        pass


def settings_from(args, environ=None):
    """Checked settings from the rulebook's arguments; ValueError naming every bad argument."""
    environ = os.environ if environ is None else environ
    # ansible-rulebook's own arguments are not the user's: `feedback` (1.3's event persistence reads
    # it from the source's arguments) and the eda_* ones it adds (eda_feedback_queue).
    engine = {"feedback"}
    unknown = sorted(
        str(key) for key in args if key not in OPTIONS and key not in engine and not str(key).startswith("eda_")
    )
    problems = [f"unknown argument {key}; known: {', '.join(OPTIONS)}" for key in unknown]
    given = {key: args[key] for key in OPTIONS if args.get(key) is not None}
    values = dict(DEFAULTS, **given)
    api_url = given.get("api_url", environ.get("VPS_API_URL") or contract.DEFAULT_API_URL)
    token = given.get("api_token", environ.get("VPS_API_TOKEN"))
    if not isinstance(token, str):
        # Never echo the value: it may be a token with a typo.
        problems.append("api_token is not set or not a string (set api_token or VPS_API_TOKEN)")
    settings = {
        "api_url": api_url,
        "api_token": token,
        "api_timeout": _number(problems, "api_timeout", values["api_timeout"]),
        "api_retries": _number(problems, "api_retries", values["api_retries"], integer=True),
        "interval": _number(problems, "interval", values["interval"]),
        "requests_per_minute": _number(problems, "requests_per_minute", values["requests_per_minute"]),
        "validate_certs": _boolean(problems, "validate_certs", values["validate_certs"]),
        "initial_snapshot": _boolean(problems, "initial_snapshot", values["initial_snapshot"]),
        "filters": _filters(problems, values["filters"]),
    }
    checked = ["api_url", "api_timeout", "api_retries", "interval", "requests_per_minute"]
    checked += ["api_token"] if isinstance(token, str) else []
    problems.extend(sentence for _option, sentence in option_problems(settings, checked))
    if problems:
        raise ArgumentError(f"{NAME}: " + "; ".join(problems))
    return settings


def budget_interval(interval, poll_requests, per_minute):
    """Seconds between the starts of two polls that each send `poll_requests`.

    `interval`, stretched when needed so that the polls send at most `per_minute` requests a minute
    on average (None or 0: no budget). A poll is not spread out: its pages are read at once.
    """
    if not per_minute:
        return interval
    return max(interval, 60.0 * poll_requests / per_minute)


class ServerEventPoller:
    """Lists the account every interval in a worker thread and hands the watcher's events on."""

    def __init__(self, client, watcher, settings, log=logger):
        self.client = client
        self.watcher = watcher
        self.interval = settings["interval"]
        self.api_filters = {key: value for key, value in settings["filters"].items() if key != "status"}
        self.token = settings["api_token"]
        self.log = log
        self.failures = 0
        self.failed_since = None
        self.last_requests = 0
        self.budget = settings.get("requests_per_minute")
        self.throttle = 1
        self.stretched = False

    def say(self, level, message):
        # The client already scrubs its errors; this also covers anything else that is logged.
        self.log.log(level, "%s", mask(message, [self.token]))

    def _list(self):
        return self.client.list_servers(filters=self.api_filters or None)

    async def poll(self):
        """The events of one poll; None when the listing failed (no events, snapshot kept)."""
        before, started = self.client.request_count, asyncio.get_running_loop().time()
        throttled = self.client.budget.throttled
        try:
            listings = [await asyncio.to_thread(self._list)]
            if self.watcher.needs_confirmation(listings[0]):
                listings.append(await asyncio.to_thread(self._list))
            events, failure = self.watcher.observe(*listings), None
        except (VpsApiError, MalformedListing) as exc:
            events, failure = None, exc
        self.last_requests = self.client.request_count - before
        # The pause to the next poll is decided before the poll's outcome is said, which names it.
        self._budget(self.client.budget.throttled > throttled)
        if failure is not None:
            self._failed(failure)
            return None
        self._recovered()
        self.say(
            logging.DEBUG,
            f"{NAME}: {len(self.watcher.snapshot)} servers, {self.last_requests} requests, {len(events)} events "
            f"in {asyncio.get_running_loop().time() - started:.3f} s",
        )
        return events

    def budget_delay(self):
        """The pause between poll starts that keeps the last poll's requests within the budget."""
        return budget_interval(self.interval, self.last_requests, self.budget) * self.throttle

    def _budget(self, throttled):
        # Doubled after a poll answered 429, halved back (to 1) after each poll that was not: a limit
        # shared with other callers is met rarely.
        self.throttle = min(MAX_THROTTLE_FACTOR, self.throttle * 2) if throttled else max(1, self.throttle // 2)
        delay = self.budget_delay()
        if throttled:
            self.say(
                logging.WARNING,
                f"{NAME}: the API answered HTTP 429 (too many requests) during a poll; polls start every "
                f"{delay:.1f} s until they are not throttled",
            )
        elif not self.stretched and delay > self.interval:
            self.stretched = True
            self.say(
                logging.WARNING,
                f"{NAME}: a poll sends {self.last_requests} requests, so polls start every {delay:.1f} s instead "
                f"of every {self.interval:g} s to stay within requests_per_minute {self.budget:g}",
            )

    def next_delay(self):
        if not self.failures:
            return self.budget_delay()
        return min(self.budget_delay() * 2**self.failures, max(self.budget_delay(), MAX_BACKOFF))

    def _failed(self, exc):
        self.failures += 1
        if self.failed_since is None:
            self.failed_since = asyncio.get_running_loop().time()
        self.say(
            logging.WARNING,
            f"{NAME}: the VPS.org API at {self.client.api_url} could not be listed ({exc}); "
            f"{self.failures} failed poll(s) in a row, no events until it answers; "
            f"next try in {self.next_delay():.0f} s",
        )

    def _recovered(self):
        if self.failures:
            down = asyncio.get_running_loop().time() - self.failed_since
            self.say(
                logging.WARNING,
                f"{NAME}: the VPS.org API answers again after {self.failures} failed poll(s) ({down:.0f} s); "
                "events resume",
            )
        self.failures, self.failed_since = 0, None

    async def run(self, queue):
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            for event in await self.poll() or ():
                await queue.put(event)
            # Polls start every interval (not interval after the previous one ended), so a
            # change waits at most one interval plus one listing before it is seen.
            await asyncio.sleep(max(0.0, started + self.next_delay() - loop.time()))


def build_poller(settings, log=logger, session=None, clock=None):
    """The poller for checked settings; `session` and `clock` (the HTTP session and the clock of the
    client's budget) are for tests, not arguments of the source."""
    if importlib.util.find_spec("requests") is None:
        raise ImportError(f"{NAME} needs the Python library requests next to ansible-rulebook")
    warning = insecure_url_warning(settings["api_url"])
    if warning:
        log.warning("%s: %s", NAME, warning)
    # A source runs for days: no deadline, but no single wait longer than the budget's bound
    # (budget.DEFAULT_BOUND); a longer Retry-After fails that poll, and polls back off.
    on_clock = {} if clock is None else {"clock": clock, "sleep": clock.sleep}
    client = VpsClient(
        settings["api_url"],
        settings["api_token"],
        budget=Budget(None, "the event source's bound for one wait", **on_clock),
        session=session,
        validate_certs=settings["validate_certs"],
        timeout=settings["api_timeout"],
        retries=settings["api_retries"],
        user_agent_extra="eda",
        log=lambda message: poller.say(logging.INFO, f"{NAME}: {message}"),
    )
    watcher = ServerWatcher(status=settings["filters"].get("status"), initial_snapshot=settings["initial_snapshot"])
    poller = ServerEventPoller(client, watcher, settings, log)
    return poller


async def main(queue, args):
    """Poll the account and put one event per server change on the queue, forever."""
    await build_poller(settings_from(args)).run(queue)


if __name__ == "__main__":
    # Try it without ansible-rulebook: VPS_API_URL=... VPS_API_TOKEN=... python vps_server_events.py

    class MockQueue:
        async def put(self, event):
            print(event)

    logging.basicConfig(level=logging.INFO)
    asyncio.run(main(MockQueue(), {"interval": 5, "initial_snapshot": True}))
