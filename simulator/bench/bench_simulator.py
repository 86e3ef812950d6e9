"""Benchmark the simulator over real HTTP on loopback and print each number next to its target.

    python simulator/bench/bench_simulator.py [--rounds 200] [--gets 2000]

Measures: median time of a 100-item list page, detail GETs per second (one keep-alive client),
the same with the rate limit on (set far above what one client sends: the bucket costs nothing
measurable), the rate the limit lets through to a client that never pauses (at most the limit,
plus the burst spread over the measuring time), and the time to seed 10,000 servers through the
control plane.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import requests
from vps_sim.testing import Simulator

TARGETS = {"list": 10.0, "gets": 500.0, "seed": 5.0}
# A limit a single client cannot reach, and a limit a client that never pauses always reaches.
UNREACHABLE_RATE = 100_000.0
HAMMER_RATE, HAMMER_BURST, HAMMER_SECONDS = 50.0, 5, 3.0


def bench_seed(sim: Simulator, count: int) -> float:
    started = time.perf_counter()
    sim.seed(count, name_prefix="bench")
    return time.perf_counter() - started


def bench_list(session: requests.Session, url: str, rounds: int) -> tuple[float, float]:
    samples = []
    for page in range(rounds):
        started = time.perf_counter()
        response = session.get(url, params={"page_size": 100, "page": page % 100 + 1}, timeout=10)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and len(response.json()["results"]) == 100
    return statistics.median(samples), statistics.quantiles(samples, n=20)[-1]


def bench_gets(session: requests.Session, url: str, ids: list[int], count: int) -> float:
    started = time.perf_counter()
    for index in range(count):
        response = session.get(f"{url}{ids[index % len(ids)]}/", timeout=10)
        assert response.status_code == 200
    return count / (time.perf_counter() - started)


def bench_hammer(session: requests.Session, url: str) -> float:
    """Requests per second the limit lets through to a client sending back to back for HAMMER_SECONDS."""
    admitted, started = 0, time.perf_counter()
    while time.perf_counter() - started < HAMMER_SECONDS:
        response = session.get(url, params={"page_size": 1}, timeout=10)
        assert response.status_code in (200, 429), response.status_code
        admitted += response.status_code == 200
    return admitted / (time.perf_counter() - started)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="list pages to time")
    parser.add_argument("--gets", type=int, default=2000, help="detail GETs to time")
    parser.add_argument("--seed-count", type=int, default=10_000)
    parser.add_argument("--json", help="also write the results here for the benchmark report")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (the seeding size is kept)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.gets = 50, 500

    with Simulator() as sim:
        seed_seconds = bench_seed(sim, args.seed_count)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {sim.token}"
        url = f"{sim.api_url}/servers/"
        session.get(url, timeout=10)  # warm-up: connection and first query
        list_median, list_p95 = bench_list(session, url, args.rounds)
        ids = [s["id"] for s in session.get(url, params={"page_size": 100}, timeout=10).json()["results"]]
        gets_per_second = bench_gets(session, url, ids, args.gets)
        sim.set_rate_limit(UNREACHABLE_RATE)
        limited_gets_per_second = bench_gets(session, url, ids, args.gets)
        sim.set_rate_limit(HAMMER_RATE, HAMMER_BURST)
        hammered = bench_hammer(session, url)
        sim.set_rate_limit(None)
    hammer_most = HAMMER_RATE + HAMMER_BURST / HAMMER_SECONDS

    rows = [
        ("median time of a 100-item list page", f"{list_median:.2f} ms (p95 {list_p95:.2f})", "<= 10 ms",
         list_median <= TARGETS["list"]),
        ("detail GETs per second (1 client)", f"{gets_per_second:.0f} /s", ">= 500 /s",
         gets_per_second >= TARGETS["gets"]),
        ("detail GETs per second, rate limit on", f"{limited_gets_per_second:.0f} /s", ">= 500 /s",
         limited_gets_per_second >= TARGETS["gets"]),
        (f"let through at {HAMMER_RATE:g}/s, burst {HAMMER_BURST}", f"{hammered:.1f} /s",
         f"{HAMMER_RATE * 0.95:g}-{hammer_most:.1f} /s", HAMMER_RATE * 0.95 <= hammered <= hammer_most),
        (f"seed {args.seed_count:,} servers", f"{seed_seconds:.2f} s", "<= 5 s", seed_seconds <= TARGETS["seed"]),
    ]  # fmt: skip
    print(f"vps-sim benchmark on {platform.node()} (Python {platform.python_version()}, {platform.machine()})")
    print(f"{'measure':<38} {'result':<24} {'target':<10} ok")
    print("-" * 78)
    for name, value, target, ok in rows:
        print(f"{name:<38} {value:<24} {target:<10} {'yes' if ok else 'NO'}")
    if args.json:
        report = {
            "name": "simulator",
            "title": "API simulator throughput",
            "command": "python simulator/bench/bench_simulator.py" + (" --quick" if args.quick else ""),
            "targets": [
                {"target": f"{name} {target}", "measured": value, "met": ok} for name, value, target, ok in rows
            ],
            "tables": [
                {
                    "title": "Simulator over HTTP on loopback",
                    "columns": ["measure", "result", "target", "met"],
                    "rows": [[name, value, target, "yes" if ok else "NO"] for name, value, target, ok in rows],
                }
            ],
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0 if all(row[3] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
