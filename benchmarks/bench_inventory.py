"""Wall time of `ansible-inventory --list` with vpsorg.cloud.vps against a static YAML inventory.

For each account size N the simulator is seeded with N servers, then three inventories are
listed side by side, each several times (median reported):

- plugin cold: cache off, every run reads the API;
- plugin warm: jsonfile cache filled by a first run, every timed run is a cache hit;
- static: a YAML inventory with the same hosts, groups and vars, generated from the plugin's own
  output and read with only the `yaml` inventory plugin enabled (its fastest setting).

The plugin runs with Ansible's default inventory plugin list (`auto` finds it), as users run it.
API requests are counted by the simulator. Targets: cold <= 1.5x static, warm <= 1.2x static,
requests per cold run = ceil(N / page size).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from vps_sim.testing import Simulator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from harness import BIN, base_env  # noqa: E402 - the harness lives with the integration tests

SIZES = (100, 1000, 10000)
QUICK_SIZES = (100, 1000)
COLD_TARGET = 1.5
WARM_TARGET = 1.2
# The simulator's (and DRF's usual) cap; the plugin's default page_size matches it.
PAGE_SIZE = 100
UNSAFE = "__ansible_unsafe"

# A realistic configuration: hosts grouped by location and status, no per-host compose.
PLUGIN_CONFIG = """plugin: vpsorg.cloud.vps
page_size: {page_size}
keyed_groups:
  - key: vps_location
    prefix: location
  - key: vps_status
    prefix: status
"""
CACHE_CONFIG = "cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: {cache_dir}\n"


def plain(value):
    """ansible-inventory's JSON marks untrusted strings; the static file holds the bare values."""
    if isinstance(value, dict):
        if set(value) == {UNSAFE}:
            return value[UNSAFE]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def static_inventory(listing: dict) -> dict:
    """A YAML inventory equivalent to an `ansible-inventory --list` answer."""
    hostvars = plain(listing["_meta"]["hostvars"])
    children = {}
    for name, body in listing.items():
        if name in ("_meta", "all", "ungrouped") or not isinstance(body, dict):
            continue
        children[name] = {"hosts": dict.fromkeys(body.get("hosts", []))}
    return {"all": {"hosts": hostvars, "children": children}}


def timed(command: list[str], env: dict, cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(command)}\n{proc.stderr[-2000:]}")
    return elapsed


def listing_command(source: Path, output: Path, *extra: str) -> list[str]:
    return [str(BIN / "ansible-inventory"), "-i", str(source), "--list", "--output", str(output), *extra]


def measure(sim: Simulator, n: int, runs: int, page_size: int, workdir: Path) -> dict:
    sim.reset()
    sim.seed(n)
    env = base_env(sim)
    static_env = dict(env, ANSIBLE_INVENTORY_ENABLED="yaml")
    out = workdir / "out.json"

    cold_cfg = workdir / "cold.vps.yml"
    cold_cfg.write_text(PLUGIN_CONFIG.format(page_size=page_size))
    warm_cfg = workdir / "warm.vps.yml"
    warm_cfg.write_text(
        PLUGIN_CONFIG.format(page_size=page_size) + CACHE_CONFIG.format(cache_dir=workdir / f"cache-{n}")
    )

    cold, requests = [], []
    for _run in range(runs):
        before = sim.counters()["total"]
        cold.append(timed(listing_command(cold_cfg, out), env, workdir))
        requests.append(sim.counters()["total"] - before)
    listing = json.loads(out.read_text())
    if len(listing["_meta"]["hostvars"]) != n:
        raise SystemExit(f"the plugin listed {len(listing['_meta']['hostvars'])} hosts, expected {n}")

    static = workdir / f"static-{n}.yml"
    static.write_text(yaml.dump(static_inventory(listing), Dumper=yaml.CSafeDumper, sort_keys=False))

    timed(listing_command(warm_cfg, out, "--flush-cache"), env, workdir)
    warm, warm_requests = [], []
    for _run in range(runs):
        before = sim.counters()["total"]
        warm.append(timed(listing_command(warm_cfg, out), env, workdir))
        warm_requests.append(sim.counters()["total"] - before)

    static_times = [timed(listing_command(static, out), static_env, workdir) for _run in range(runs)]
    if len(json.loads(out.read_text())["_meta"]["hostvars"]) != n:
        raise SystemExit("the static inventory does not hold the same hosts")

    return {
        "n": n,
        "static": statistics.median(static_times),
        "cold": statistics.median(cold),
        "warm": statistics.median(warm),
        "requests": max(requests),
        "warm_requests": max(warm_requests),
        "expected_requests": math.ceil(n / page_size),
    }


def mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(results: list[dict], page_size: int, command: str) -> dict:
    rows = []
    for r in results:
        cold_ratio, warm_ratio = r["cold"] / r["static"], r["warm"] / r["static"]
        rows.append(
            [
                r["n"],
                round(r["static"], 3),
                round(r["cold"], 3),
                round(r["warm"], 3),
                f"{cold_ratio:.2f}x (<= {COLD_TARGET}x {mark(cold_ratio <= COLD_TARGET)})",
                f"{warm_ratio:.2f}x (<= {WARM_TARGET}x {mark(warm_ratio <= WARM_TARGET)})",
                f"{r['requests']} (= {r['expected_requests']} {mark(r['requests'] == r['expected_requests'])})",
                r["warm_requests"],
            ]
        )
    columns = [
        "servers",
        "static s",
        "plugin cold s",
        "plugin warm s",
        "cold / static",
        "warm / static",
        "requests cold (target)",
        "requests warm",
    ]
    targets = []
    for r in results:
        cold_ratio, warm_ratio = r["cold"] / r["static"], r["warm"] / r["static"]
        targets += [
            {
                "target": f"{r['n']} servers: plugin cold <= {COLD_TARGET}x static",
                "measured": f"{cold_ratio:.2f}x",
                "met": cold_ratio <= COLD_TARGET,
            },
            {
                "target": f"{r['n']} servers: plugin warm <= {WARM_TARGET}x static",
                "measured": f"{warm_ratio:.2f}x",
                "met": warm_ratio <= WARM_TARGET,
            },
            {
                "target": f"{r['n']} servers: cold list requests = {r['expected_requests']}",
                "measured": str(r["requests"]),
                "met": r["requests"] == r["expected_requests"],
            },
        ]
    return {
        "name": "inventory",
        "title": "Dynamic inventory vpsorg.cloud.vps vs a static YAML inventory",
        "command": command,
        "targets": targets,
        "tables": [
            {
                "title": f"ansible-inventory --list wall time, median of runs (page_size {page_size})",
                "columns": columns,
                "rows": rows,
            }
        ],
        "plot": {
            "title": "ansible-inventory --list wall time",
            "x_label": "servers",
            "y_label": "seconds (median)",
            "x": [r["n"] for r in results],
            "series": {
                "static YAML": [round(r["static"], 3) for r in results],
                "plugin cold": [round(r["cold"], 3) for r in results],
                "plugin warm": [round(r["warm"], 3) for r in results],
            },
        },
    }


def print_table(table: dict) -> None:
    widths = [max(len(str(c)), *(len(str(row[i])) for row in table["rows"])) for i, c in enumerate(table["columns"])]
    print(table["title"])
    print("  ".join(str(c).ljust(w) for c, w in zip(table["columns"], widths, strict=True)))
    for row in table["rows"]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(map(str, QUICK_SIZES))} servers")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per inventory and size (median reported)")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE, help="plugin page_size and simulator cap")
    parser.add_argument("--json", type=Path, help="also write the results as JSON for the benchmark report")
    args = parser.parse_args()

    sizes = QUICK_SIZES if args.quick else SIZES
    command = "python benchmarks/bench_inventory.py" + " ".join(
        [""] + (["--quick"] if args.quick else []) + ([f"--runs {args.runs}"] if args.runs != 3 else [])
    )
    if args.page_size != PAGE_SIZE:
        command += f" --page-size {args.page_size}"
    results = []
    with Simulator(page_size_max=max(args.page_size, PAGE_SIZE)) as sim, tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            workdir = Path(tmp) / str(n)
            workdir.mkdir()
            results.append(measure(sim, n, args.runs, args.page_size, workdir))
            print(f"measured {n} servers", file=sys.stderr, flush=True)
    data = report(results, args.page_size, command)
    print_table(data["tables"][0])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
