"""The event source over a large account with a request budget: never above the budget, every change once.

vpsorg.cloud.vps_server_events runs in this process (its `main(queue, args)`, as ansible-rulebook
calls it, without the JVM) against the simulator with 10,000 servers, a budget of 60 requests per
minute and the default interval. One listing is 100 pages, so the budget, not the interval, sets
the pace. After the first poll (the baseline) four changes are made through the API: a hostname
update, a stop, a create and a delete (a delete costs a second listing, to confirm it). The run ends
once the poll after the one that reported them has been read.

From the simulator's request log (the source's GETs; the changes are the only other requests):
- polls are told apart by the pause before them (a confirming listing follows its poll at once);
- budget: every poll's requests, divided by the time until the next poll starts, are at most the
  budget (1 % allowed for timer jitter), i.e. each poll is paid for before the next one starts;
  the average over the run and the busiest 60 s (one listing is read at once) are shown beside it.
  A source that spreads a poll's pages over time (no pause between polls) must instead keep every
  60 s within the budget;
- events: exactly one per change, of the right type, and no other event.

The script exits non-zero and names every missed target.

Usage: bench_events.py [--quick] [--servers N] [--budget R] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import math
import re
import sys
import time
from pathlib import Path

from support.at_limit import finish
from vps_sim.testing import Simulator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from harness import api_call, create_server, ensure_collection_link  # noqa: E402 - shared with the integration tests

SERVERS = 10_000
QUICK_SERVERS = 2_000
BUDGET = 60.0
PAGE_SIZE = 100
# A confirming listing starts as soon as the one before it ends; a poll starts after a pause.
POLL_PAUSE = 2.0
JITTER = 1.01
SOURCE = "extensions/eda/plugins/event_source/vps_server_events.py"
LIST_PATH = "/api/v1/servers/"
BUDGET_OPTION = re.compile(r"budget|per_minute")
NAME = "bench_events"
TITLE = "Event source over a large account within a request budget"


def load_source():
    """The event source module, loaded from the collection tree as ansible-rulebook loads it (by path)."""
    path = ensure_collection_link() / "ansible_collections" / "vpsorg" / "cloud" / SOURCE
    spec = importlib.util.spec_from_file_location("vps_server_events", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def budget_option(module) -> str | None:
    """The source's requests-per-minute option; None (and the run measures the source without one) if it has none."""
    names = [name for name in module.OPTIONS if BUDGET_OPTION.search(name)]
    if len(names) > 1:
        raise SystemExit(f"cannot tell the event source's requests-per-minute budget option among {names}")
    return names[0] if names else None


class Warnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def listing_starts(entries) -> list[dict]:
    """The first page of each listing: a list GET without a page number."""
    return [
        e
        for e in entries
        if e["method"] == "GET" and e["path"] == LIST_PATH and "page=" not in e["query"].replace("page_size=", "")
    ]


def source_requests(sim) -> list[dict]:
    return [e for e in sim.requests() if e["method"] == "GET"]


async def until(what: str, condition, timeout: float, poll: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(condition)
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"bench_events: timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(poll)


def make_changes(sim, first_id: int) -> dict:
    """Four changes of four servers; returns {server id: the event type expected for it}."""
    updated, stopped, deleted = first_id, first_id + 1, first_id + 2
    assert api_call(sim, "PATCH", f"/servers/{updated}/", {"hostname": "changed.example.com"})[0] == 200
    assert api_call(sim, "POST", f"/servers/{stopped}/stop/")[0] == 200
    assert api_call(sim, "DELETE", f"/servers/{deleted}/")[0] == 204
    created = create_server(sim, "event-new")["id"]
    return {updated: "updated", stopped: "status_changed", deleted: "deleted", created: "created"}


async def scenario(sim, module, option: str | None, budget: float, servers: int, first_id: int) -> dict:
    pages = math.ceil(servers / PAGE_SIZE)
    seconds_per_poll = pages * 60 / budget
    queue: asyncio.Queue = asyncio.Queue()
    events = []

    async def collect():
        while True:
            events.append((time.time(), await queue.get()))

    args = {"api_url": sim.api_url, "api_token": sim.token}
    if option:
        args[option] = budget
    source = asyncio.create_task(module.main(queue, args))
    collector = asyncio.create_task(collect())
    try:

        def listed(count):
            entries = source_requests(sim)
            starts = listing_starts(entries)
            # `count` listings started and every page of them answered.
            return len(starts) >= count and len(entries) >= count * pages and entries

        await until("the baseline listing", lambda: listed(1), seconds_per_poll + 120)
        await asyncio.sleep(0.5)  # the last page is answered; let the source take the snapshot
        changed_at = time.time()
        expected = await asyncio.to_thread(make_changes, sim, first_id)

        def reported():
            seen = {event["server"]["id"] for _at, event in events}
            return set(expected) <= seen

        # The delete is confirmed by a second listing, so a poll costs two listings once.
        await until("an event for every change", reported, 3 * seconds_per_poll + 120)
        started = len(listing_starts(source_requests(sim)))
        await until("the poll after the one that reported", lambda: listed(started + 1), 4 * seconds_per_poll + 120)
        await asyncio.sleep(1.0)  # any late event of that poll arrives
    finally:
        source.cancel()
        collector.cancel()
        await asyncio.gather(source, collector, return_exceptions=True)
    return {
        "entries": source_requests(sim),
        "events": events,
        "expected": expected,
        "changed_at": changed_at,
        "pages": pages,
    }


def poll_spans(entries) -> list[dict]:
    """Each poll: its start, its requests and the time until the next poll starts (the last has none)."""
    starts, previous = [], None
    starting = {e["seq"] for e in listing_starts(entries)}
    for entry in entries:
        if entry["seq"] in starting and (previous is None or entry["time"] - previous >= POLL_PAUSE):
            starts.append(entry)
        previous = entry["time"]
    spans = []
    for index, start in enumerate(starts):
        following = starts[index + 1]["time"] if index + 1 < len(starts) else None
        requests = sum(
            1 for e in entries if e["time"] >= start["time"] and (following is None or e["time"] < following)
        )
        spans.append(
            {"start": start["time"], "requests": requests, "until_next": following and following - start["time"]}
        )
    return spans


def busiest_minute(entries) -> int:
    times = sorted(e["time"] for e in entries)
    best, low = 0, 0
    for high, moment in enumerate(times):
        while moment - times[low] >= 60:
            low += 1
        best = max(best, high - low + 1)
    return best


def analyse(run: dict, budget: float, servers: int, warnings: list[str]) -> tuple[list[dict], list]:
    entries, expected = run["entries"], run["expected"]
    spans = poll_spans(entries)
    paid = [s for s in spans if s["until_next"]]
    rates = [s["requests"] * 60 / s["until_next"] for s in paid]
    worst = max(rates) if rates else float("inf")
    elapsed = spans[-1]["start"] - spans[0]["start"] if len(spans) > 1 else 0
    average = sum(s["requests"] for s in paid) * 60 / elapsed if elapsed else float("inf")
    events = [event for _at, event in run["events"]]
    got = {}
    for event in events:
        got.setdefault(event["server"]["id"], []).append(event["type"])
    once = all(got.get(server_id) == [kind] for server_id, kind in expected.items())
    others = sorted(set(got) - set(expected))
    latency = max(at for at, _event in run["events"]) - run["changed_at"] if run["events"] else None
    poll_rows = [
        [
            number,
            round(span["start"] - spans[0]["start"], 1),
            span["requests"],
            round(span["until_next"], 1) if span["until_next"] else "-",
            f"{span['requests'] * 60 / span['until_next']:.1f}" if span["until_next"] else "-",
        ]
        for number, span in enumerate(spans)
    ]
    busiest = busiest_minute(entries)
    tables = [
        {
            "title": f"Event source over {servers} servers, budget {budget:g} requests/minute, default interval "
            f"({run['pages']} pages per listing)",
            "columns": [
                "polls",
                "requests",
                "worst poll: requests/minute until the next",
                "average requests/minute",
                "busiest 60 s (requests)",
                "changes",
                "events",
                "last event after the changes (s)",
                "warnings logged (the stretched interval: once)",
            ],
            "rows": [
                [
                    len(spans),
                    len(entries),
                    f"{worst:.1f}",
                    f"{average:.1f}",
                    busiest,
                    len(expected),
                    len(events),
                    round(latency, 1) if latency is not None else "-",
                    len(warnings),
                ]
            ],
        },
        {
            "title": "Polls (from the simulator's request log; a confirming listing belongs to its poll)",
            "columns": ["poll", "start (s)", "requests", "until the next poll (s)", "requests/minute"],
            "rows": poll_rows,
        },
    ]
    # A source that spreads a poll's pages out (no pause between polls) is judged by its busiest minute.
    within = (len(spans) >= 3 and worst <= budget * JITTER) or busiest <= budget
    checks = [
        (
            f"event source over {servers} servers: never above {budget:g} requests/minute",
            f"{worst:.1f} poll to poll (worst of {len(paid)}); busiest 60 s: {busiest}",
            within,
        ),
        (
            f"event source over {servers} servers: every change reported once, nothing else",
            f"{sum(len(v) for v in got.values())} events for {len(expected)} changes"
            + (f", {len(others)} other servers" if others else ""),
            once and not others,
        ),
    ]
    return tables, checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SERVERS} servers")
    parser.add_argument("--servers", type=int, help=f"servers in the account (default {SERVERS})")
    parser.add_argument("--budget", type=float, default=BUDGET, help=f"requests per minute (default {BUDGET:g})")
    parser.add_argument("--json", type=Path, help="also write the results as JSON for the benchmark report")
    args = parser.parse_args()
    servers = args.servers or (QUICK_SERVERS if args.quick else SERVERS)
    command = "python benchmarks/bench_events.py" + (" --quick" if args.quick else "")
    if args.servers:
        command += f" --servers {args.servers}"
    if args.budget != BUDGET:
        command += f" --budget {args.budget:g}"

    module = load_source()
    option = budget_option(module)
    warnings = Warnings()
    logging.getLogger(module.NAME).addHandler(warnings)
    # A created server stays provisioning (one `created` event); a stop settles before the next poll.
    if option is None:
        print(
            "the event source has no requests-per-minute option: measuring it at its default interval", file=sys.stderr
        )
    with Simulator(provision_delay=3600, transition_delay=0.2, page_size_max=PAGE_SIZE) as sim:
        first_id = sim.seed(servers, status="active")["ids"][0]
        print(f"{servers} servers, budget {args.budget:g} requests/minute ({option}); this takes a few polls")
        run = asyncio.run(scenario(sim, module, option, args.budget, servers, first_id))
    tables, checks = analyse(run, args.budget, servers, warnings.messages)
    return finish(NAME, TITLE, command, tables, checks, args.json)


if __name__ == "__main__":
    sys.exit(main())
