"""Benchmarks at the API's rate limit, each against the limit's own floor, with request counts.

The simulator answers 429 with Retry-After beyond a per-token token bucket, as the hosted API does.
A run's floor is the same command's start-up with no API work (measured beside it in the same
repetition) plus the time the limit imposes on the requests it needed: requests not refused, divided
by the allowed rate (support/at_limit.py). Runs alternate, medians are shown.

1. vps_fleet (module defaults) creating 20 and 100 new servers at 5 requests/s (burst 5), with a
   provisioning delay of 1 s so the limit, not the wait, is what the run spends time on.
   Targets: <= 1.25x the floor, 0 failed tasks, each server created once, 429 answers <= 10 % of
   the requests.
2. ansible-inventory --list of 10,000 servers (vpsorg.cloud.vps, cache off) at 10 requests/s
   (burst 10); its start-up is the floor script inventory printing the same answer (bench_inventory.py).
   Target: <= 1.25x the floor. The same listing without a limit is shown as a reference.
3. vps_fleet creating 5 servers in an account of 10,000 and in an empty account, in turn, without a
   limit and with a provisioning delay of 30 s (the real API takes 2-5 minutes: the wait still
   dominates, as it does for users). Targets: requests <= those in the empty account + one whole
   listing of the large one; wall time <= 1.1x the empty account's.

The script exits non-zero and names every missed target.

Usage: bench_rate_limit.py [--quick] [--repeat N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

from support.at_limit import counted, finish, floor_ratio, floor_seconds, median
from vps_sim.testing import Simulator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from bench_inventory import PLUGIN_CONFIG, listing_command, same_inventory, script_inventory, timed  # noqa: E402
from harness import base_env, run_playbook  # noqa: E402 - the harness lives with the integration tests

PAGE_SIZE = 100
BALANCE = 1_000_000
DEFAULTS = {"plan_id": 1, "os_id": 5, "location": "us-west"}

FLEET_RATE, FLEET_BURST = 5.0, 5
FLEET_SIZES = (20, 100)
FLEET_PROVISION_DELAY = 1.0
FLEET_FLOOR_TARGET = 1.25
THROTTLED_SHARE_TARGET = 0.10

INVENTORY_RATE, INVENTORY_BURST = 10.0, 10
INVENTORY_SERVERS = 10_000
INVENTORY_FLOOR_TARGET = 1.25

LARGE_ACCOUNT = 10_000
NEW_IN_LARGE = 5
LARGE_PROVISION_DELAY = 30.0
LARGE_WALL_TARGET = 1.1
LARGE_REPEAT = 2

LIST = "GET /api/v1/servers/"
DETAIL = "GET /api/v1/servers/{id}/"
CREATE = "POST /api/v1/servers/"
NAME = "bench_rate_limit"
TITLE = "At the API's rate limit: fleet, inventory and a large account, against the limit's floor"

FLEET_PLAY = """- name: Fleet
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Converge the fleet
      vpsorg.cloud.vps_fleet:
        servers: "{{ fleet }}"
        defaults: "{{ fleet_defaults }}"
      when: run_fleet | bool
"""


def fleet_run(sim, workdir: Path, names, *, run: bool = True):
    """One ansible-playbook run of the fleet task (skipped: start-up only); returns the harness Result."""
    extra = {"fleet": [{"name": name} for name in names], "fleet_defaults": DEFAULTS, "run_fleet": run}
    return run_playbook(workdir, FLEET_PLAY, sim=sim, extra_vars=extra, verbosity=0)


def fleet_outcome(sim, result, names) -> dict:
    """Failed tasks and whether each wanted server exists exactly once, active."""
    servers = [s for s in sim.servers() if s["name"] in set(names)]
    once = sorted(s["name"] for s in servers) == sorted(names)
    return {
        "rc": result.rc,
        "failed_tasks": sum(host.get("failed", 0) for host in result.recap.values()) if result.recap else None,
        "each_once_active": once and all(s["status"] == "active" for s in servers),
        "tail": result.output[-1500:] if result.rc else "",
    }


def prepare(sim, *, seed: int = 0, provision_delay: float) -> None:
    sim.reset()
    sim.set_balance(sim.token, BALANCE)
    sim.set_timings(provision_delay=provision_delay, transition_delay=0.2)
    if seed:
        sim.seed(seed, name_prefix="existing")


def fleet_at_limit(sim, workdir: Path, size: int, repeat: int) -> dict:
    runs = []
    for attempt in range(repeat):
        names = [f"limit-{size}-{attempt}-{i:03d}" for i in range(1, size + 1)]
        prepare(sim, provision_delay=FLEET_PROVISION_DELAY)
        _result, start_up, _cost = counted(sim, lambda names=names: fleet_run(sim, workdir, names, run=False))
        sim.set_rate_limit(FLEET_RATE, FLEET_BURST)
        result, seconds, cost = counted(sim, lambda names=names: fleet_run(sim, workdir, names))
        sim.set_rate_limit(None)
        outcome = fleet_outcome(sim, result, names)
        if outcome["rc"]:
            print(f"fleet of {size} failed at the limit:\n{outcome['tail']}", file=sys.stderr)
        ratio = floor_ratio(seconds, start_up, cost, FLEET_RATE)
        runs.append({"seconds": seconds, "start_up": start_up, "ratio": ratio, "cost": cost, **outcome})
        print(
            f"  fleet {size:>3} at {FLEET_RATE:g}/s: {seconds:5.1f} s (start-up {start_up:.1f} s), "
            f"{cost.total} requests ({cost.throttled} answered 429), {ratio:.2f}x the floor",
            flush=True,
        )
    return {"size": size, "runs": runs}


def inventory_at_limit(sim, workdir: Path, servers: int, repeat: int) -> dict:
    prepare(sim, seed=servers, provision_delay=0)
    env = base_env(sim)
    floor_env = dict(env, ANSIBLE_INVENTORY_ENABLED="script")
    config = workdir / "limit.vps.yml"
    config.write_text(PLUGIN_CONFIG.format(page_size=PAGE_SIZE))
    out = workdir / "out.json"
    timed(listing_command(config, out), env, workdir)
    answer = out.read_text()
    listing = json.loads(answer)
    if len(listing["_meta"]["hostvars"]) != servers:
        raise SystemExit(f"the plugin listed {len(listing['_meta']['hostvars'])} hosts, expected {servers}")
    floor = script_inventory(answer, workdir, "floor")
    runs = []
    for _attempt in range(repeat):
        start_up = timed(listing_command(floor, out), floor_env, workdir)
        unlimited = timed(listing_command(config, out), env, workdir)
        sim.set_rate_limit(INVENTORY_RATE, INVENTORY_BURST)
        _none, seconds, cost = counted(sim, lambda: timed(listing_command(config, out), env, workdir))
        sim.set_rate_limit(None)
        same_inventory(out, listing, "the listing at the limit")
        ratio = floor_ratio(seconds, start_up, cost, INVENTORY_RATE)
        runs.append({"seconds": seconds, "start_up": start_up, "unlimited": unlimited, "ratio": ratio, "cost": cost})
        print(
            f"  inventory {servers} at {INVENTORY_RATE:g}/s: {seconds:5.1f} s (floor script {start_up:.1f} s, "
            f"unlimited {unlimited:.1f} s), {cost.total} requests ({cost.throttled} answered 429), "
            f"{ratio:.2f}x the floor",
            flush=True,
        )
    return {"servers": servers, "runs": runs}


def few_in_large(sim, workdir: Path, large: int, repeat: int) -> dict:
    """5 new servers in an empty account and in a large one, in turn (no limit)."""
    runs = {"empty": [], "large": []}
    for attempt in range(repeat):
        for label, seed in (("empty", 0), ("large", large)):
            names = [f"few-{label}-{attempt}-{i}" for i in range(1, NEW_IN_LARGE + 1)]
            prepare(sim, seed=seed, provision_delay=LARGE_PROVISION_DELAY)
            result, seconds, cost = counted(sim, lambda names=names: fleet_run(sim, workdir, names))
            outcome = fleet_outcome(sim, result, names)
            runs[label].append({"seconds": seconds, "cost": cost, **outcome})
            print(
                f"  {NEW_IN_LARGE} new servers in {label} account ({seed} servers): {seconds:5.1f} s, "
                f"{cost.total} requests ({cost.sent(LIST)} list, {cost.sent(DETAIL)} detail, "
                f"{cost.sent(CREATE)} POST)",
                flush=True,
            )
    return {"large": large, "runs": runs}


def run_ok(run) -> bool:
    return run["rc"] == 0 and run["failed_tasks"] == 0 and run["each_once_active"]


def fleet_tables(fleets):
    rows, checks = [], []
    for fleet in fleets:
        size, runs = fleet["size"], fleet["runs"]
        ratio = median(r["ratio"] for r in runs)
        worst_share = max(r["cost"].throttled_share for r in runs)
        first = runs[0]["cost"]
        rows.append(
            [
                size,
                round(median(r["seconds"] for r in runs), 1),
                round(median(r["start_up"] for r in runs), 1),
                median(r["cost"].needed for r in runs),
                round(median(floor_seconds(r["start_up"], r["cost"], FLEET_RATE) for r in runs), 1),
                f"{ratio:.2f}x",
                f"{first.sent(CREATE)} / {first.sent(LIST)} / {first.sent(DETAIL)}",
                max(r["cost"].throttled for r in runs),
                f"{worst_share:.1%}",
                max(r["failed_tasks"] if r["failed_tasks"] is not None else -1 for r in runs),
                len(runs),
            ]
        )
        where = f"fleet of {size} new servers at {FLEET_RATE:g} requests/s"
        checks += [
            (f"{where}: <= {FLEET_FLOOR_TARGET}x the floor", f"{ratio:.2f}x", ratio <= FLEET_FLOOR_TARGET),
            (
                f"{where}: 0 failed tasks, each server created once",
                "every run" if all(run_ok(r) for r in runs) else "NOT every run",
                all(run_ok(r) for r in runs),
            ),
            (
                f"{where}: 429 answers <= {THROTTLED_SHARE_TARGET:.0%} of requests",
                f"{worst_share:.1%} (worst run)",
                worst_share <= THROTTLED_SHARE_TARGET,
            ),
        ]
    table = {
        "title": f"vps_fleet creating N servers at {FLEET_RATE:g} requests/s (burst {FLEET_BURST}), provisioning "
        f"{FLEET_PROVISION_DELAY:g} s; floor = start-up + needed requests / rate; medians",
        "columns": [
            "servers",
            "wall (s)",
            "start-up (s)",
            "requests needed",
            "floor (s)",
            "wall / floor",
            "POST / list GET / detail GET (first run)",
            "429 answers (worst)",
            "429 share (worst)",
            "failed tasks",
            "runs",
        ],
        "rows": rows,
    }
    return table, checks


def inventory_table(inventory):
    runs = inventory["runs"]
    ratio = median(r["ratio"] for r in runs)
    needed = median(r["cost"].needed for r in runs)
    pages = math.ceil(inventory["servers"] / PAGE_SIZE)
    table = {
        "title": f"ansible-inventory --list of {inventory['servers']} servers at {INVENTORY_RATE:g} requests/s "
        f"(burst {INVENTORY_BURST}); floor = the floor script inventory + pages / rate; medians",
        "columns": [
            "servers",
            "wall (s)",
            "floor script (s)",
            "unlimited (s, reference)",
            "requests needed (pages)",
            "floor (s)",
            "wall / floor",
            "429 answers (worst)",
            "runs",
        ],
        "rows": [
            [
                inventory["servers"],
                round(median(r["seconds"] for r in runs), 1),
                round(median(r["start_up"] for r in runs), 1),
                round(median(r["unlimited"] for r in runs), 1),
                f"{needed} ({pages})",
                round(median(floor_seconds(r["start_up"], r["cost"], INVENTORY_RATE) for r in runs), 1),
                f"{ratio:.2f}x",
                max(r["cost"].throttled for r in runs),
                len(runs),
            ]
        ],
    }
    checks = [
        (
            f"inventory of {inventory['servers']} servers at {INVENTORY_RATE:g} requests/s: "
            f"<= {INVENTORY_FLOOR_TARGET}x the floor",
            f"{ratio:.2f}x",
            ratio <= INVENTORY_FLOOR_TARGET,
        ),
        (
            f"inventory at the limit: one request per page ({pages})",
            f"{needed} needed",
            all(r["cost"].needed == pages for r in runs),
        ),
    ]
    return table, checks


def large_table(few):
    large, runs = few["large"], few["runs"]
    pages = math.ceil(large / PAGE_SIZE)
    rows = []
    for label in ("empty", "large"):
        for number, run in enumerate(runs[label], 1):
            cost = run["cost"]
            rows.append(
                [
                    f"{label} ({large if label == 'large' else 0} servers)",
                    number,
                    round(run["seconds"], 1),
                    cost.total,
                    cost.sent(LIST),
                    cost.sent(DETAIL),
                    cost.sent(CREATE),
                    run["failed_tasks"],
                ]
            )
    pairs = list(zip(runs["empty"], runs["large"], strict=True))
    extra = max(big["cost"].total - small["cost"].total for small, big in pairs)
    wall = median(big["seconds"] / small["seconds"] for small, big in pairs)
    checks = [
        (
            f"{NEW_IN_LARGE} new servers in {large}: requests <= the empty account's + one whole listing ({pages})",
            f"{extra:+d} requests (worst pair)",
            extra <= pages,
        ),
        (
            f"{NEW_IN_LARGE} new servers in {large}: wall <= {LARGE_WALL_TARGET}x the empty account's",
            f"{wall:.2f}x",
            wall <= LARGE_WALL_TARGET,
        ),
        (
            f"{NEW_IN_LARGE} new servers in {large} and in an empty account: 0 failed tasks, each created once",
            "every run" if all(run_ok(r) for rs in runs.values() for r in rs) else "NOT every run",
            all(run_ok(r) for rs in runs.values() for r in rs),
        ),
    ]
    table = {
        "title": f"vps_fleet creating {NEW_IN_LARGE} servers, empty account vs {large} servers (no limit, "
        f"provisioning {LARGE_PROVISION_DELAY:g} s; runs in turn)",
        "columns": ["account", "run", "wall (s)", "requests", "list GET", "detail GET", "POST", "failed tasks"],
        "rows": rows,
    }
    return table, checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fleet of 20, 2,000 servers elsewhere, one run each")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default 3; the large account: 2)")
    parser.add_argument("--only", choices=["fleet", "inventory", "large"], action="append", help="run only these")
    parser.add_argument("--json", type=Path, help="also write the results as JSON for the benchmark report")
    args = parser.parse_args()
    repeat = 1 if args.quick else max(1, args.repeat)
    sizes = FLEET_SIZES[:1] if args.quick else FLEET_SIZES
    large = 2_000 if args.quick else LARGE_ACCOUNT
    inventory_servers = 2_000 if args.quick else INVENTORY_SERVERS
    parts = args.only or ["fleet", "inventory", "large"]
    command = "python benchmarks/bench_rate_limit.py" + (" --quick" if args.quick else "")
    if not args.quick and repeat != 3:
        command += f" --repeat {repeat}"
    command += "".join(f" --only {part}" for part in args.only or [])

    tables, checks = [], []
    with Simulator(balance=BALANCE, page_size_max=PAGE_SIZE) as sim, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if "fleet" in parts:
            fleets = [fleet_at_limit(sim, workdir / f"fleet-{size}", size, repeat) for size in sizes]
            table, found = fleet_tables(fleets)
            tables.append(table)
            checks += found
        if "inventory" in parts:
            (workdir / "inventory").mkdir()
            table, found = inventory_table(inventory_at_limit(sim, workdir / "inventory", inventory_servers, repeat))
            tables.append(table)
            checks += found
        if "large" in parts:
            few = few_in_large(sim, workdir / "large", large, min(repeat, LARGE_REPEAT))
            table, found = large_table(few)
            tables.append(table)
            checks += found
    return finish(NAME, TITLE, command, tables, checks, args.json)


if __name__ == "__main__":
    sys.exit(main())
