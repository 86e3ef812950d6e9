"""Measure vpsorg.cloud.vps_server_events under the real ansible-rulebook: event latency and requests per poll.

Seeds an account of --servers servers in the simulator, starts ansible-rulebook with a
print_event rulebook, then makes --changes changes (an update, a create and a delete in turn)
at random moments of the polling cycle, and records for each the time from the API answering
the change to the event being printed. Used for the numbers in docs/events.md:

    make eda-venv && .venv/bin/python tests/eda/measure_events.py --interval 5 --servers 250 --changes 12
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import api_call, create_server
from rulebook import RulebookRun, print_events_rulebook
from vps_sim.testing import Simulator


def change(sim, kind, servers, rng):
    """Make one change; return (server id, expected event type)."""
    if kind == "updated":
        server_id = rng.choice(servers)
        body = {"hostname": f"h{rng.randrange(10**6)}.example"}
        assert api_call(sim, "PATCH", f"/servers/{server_id}/", body)[0] == 200
        return server_id, "updated"
    if kind == "created":
        server = create_server(sim, f"m-{rng.randrange(10**6)}")
        servers.append(server["id"])
        return server["id"], "created"
    server_id = servers.pop(rng.randrange(len(servers)))
    assert api_call(sim, "DELETE", f"/servers/{server_id}/")[0] == 204
    return server_id, "deleted"


def measure(args):
    rng = random.Random(args.seed)
    kinds = ("updated", "created", "deleted")
    # Servers stay provisioning for the whole run, so a create is one event, not two.
    with Simulator(provision_delay=3600) as sim, tempfile.TemporaryDirectory() as tmp:
        seeded = sim.seed(args.servers, status="active")["ids"] if args.servers else []
        servers = list(range(seeded[0], seeded[1] + 1)) if seeded else []
        rulebook = print_events_rulebook(Path(tmp) / "print.yml", f"        interval: {args.interval}\n")
        run = RulebookRun(tmp, sim, rulebook)
        latencies = {kind: [] for kind in kinds}
        try:
            run.wait_for("first poll", lambda r: r.polls(), 180)
            for number in range(args.changes):
                time.sleep(rng.uniform(0, args.interval))
                kind = kinds[number % len(kinds)]
                server_id, expected = change(sim, kind, servers, rng)
                changed_at = time.monotonic()
                seen = len(run.events())

                def arrived(r, seen=seen, server_id=server_id, expected=expected):
                    return [
                        at for at, e in r.events()[seen:] if e["server"]["id"] == server_id and e["type"] == expected
                    ]

                arrival = run.wait_for(f"{expected} event", arrived, 10 * args.interval + 30)[0]
                latencies[kind].append(arrival - changed_at)
        finally:
            run.stop()
    polls = run.polls()
    everything = [value for values in latencies.values() for value in values]
    return {
        "interval_s": args.interval,
        "servers": args.servers,
        "changes": args.changes,
        "latency_s": {
            kind: {"mean": round(statistics.mean(v), 2), "max": round(max(v), 2)} for kind, v in latencies.items() if v
        },
        "latency_all_s": {
            "mean": round(statistics.mean(everything), 2),
            "median": round(statistics.median(everything), 2),
            "max": round(max(everything), 2),
        },
        "expected_requests_per_poll": math.ceil(max(args.servers, 1) / 100),
        "requests_per_poll": {str(n): sum(1 for p in polls if p[1] == n) for n in sorted({p[1] for p in polls})},
        "poll_seconds": {
            "mean": round(statistics.mean(p[3] for p in polls), 3),
            "max": round(max(p[3] for p in polls), 3),
        },
        "polls": len(polls),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--servers", type=int, default=250)
    parser.add_argument("--changes", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    text = json.dumps(measure(args), indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
