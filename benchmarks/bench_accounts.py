"""Wall time and peak memory of `ansible-inventory --list` with vpsorg.cloud.vps reading several accounts
(the `accounts` option) against one account of the same size and against the floor.

The simulator holds 5 accounts (tokens added through its control plane) of 10,000 servers each, every
API request answered 100 ms late (the simulator's latency fault, a realistic round trip to a hosted
API). Four inventories are listed in turn, each several times, so machine noise hits them alike:

- one account: a single-account file (no `accounts:`) reading the first account;
- 5 accounts: one file whose `accounts:` lists the 5 tokens; the accounts are read at the same time;
- floor 10,000 and floor 50,000: script inventories that print, byte for byte, the `--list` answer
  the plugin produced for the one account and for the 5 accounts (the same hosts, groups and vars,
  untrusted-string markers included; see benchmarks/bench_inventory.py for why a script inventory).

The 5 accounts should cost what one account costs plus what the floor pays for the 40,000 hosts
more, and no other time: the target is, per repetition (the four runs back to back),
5 accounts <= 1.1 x (one account + floor 50,000 - floor 10,000), the median of the repetitions'
ratios. Requests are counted by the simulator: the 5 accounts send each exactly what the one account
sends (ceil(servers / page size) pages), 5 times as many in all. Peak memory is the largest resident
set of the ansible-inventory process (and its children), from wait4() in a small launcher; the 5
accounts' is shown beside the floor's of the same 50,000 hosts (no target). The script exits non-zero
naming every missed target.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from vps_sim.testing import Simulator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from bench_inventory import (  # noqa: E402 - the same plugin file, floor and checks as the one-account benchmark
    PAGE_SIZE,
    PLUGIN_CONFIG,
    UNSAFE,
    check,
    listing_command,
    mark,
    paired,
    publish,
    same_inventory,
    script_inventory,
    set_latency,
)
from harness import base_env  # noqa: E402 - the harness lives with the integration tests

ACCOUNTS = 5
SERVERS = 10000
LATENCY = 0.1
TARGET = 1.1
ACCOUNT_ENTRY = "  - name: {name}\n    api_token: {token}\n"


def account_group(name: str) -> str:
    """The group the plugin puts an account's hosts in (default account_group_prefix; - becomes _)."""
    return "account_" + name.replace("-", "_")


# Starts the command and waits for it with wait4, which returns the child's own resource usage, then
# prints its wall time, exit code and peak resident set. It runs as a small process of its own because
# Linux counts, in the peak of a process started straight from this one, the peak of the memory it was
# started from (this process's, which holds the 50,000-host answers): the command is started from a
# process that holds almost nothing.
LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_pid, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - started
print(json.dumps({"wall": elapsed, "rc": os.waitstatus_to_exitcode(status), "maxrss_kib": usage.ru_maxrss}))
"""


def run(command: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak resident set (MiB) of the command and the children it waited for."""
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", LAUNCHER, *command],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = proc.stdout.splitlines()
    measured = json.loads(lines[-1]) if proc.returncode == 0 and lines else {"rc": proc.returncode}
    if measured["rc"] != 0:
        raise SystemExit(f"failed ({measured['rc']}): {' '.join(command)}\n{proc.stderr[-2000:]}")
    return measured["wall"], measured["maxrss_kib"] / 1024


def seed_accounts(sim: Simulator, accounts: int, servers: int) -> list[str]:
    """The first account is the simulator's own token; the others are added through the control plane."""
    tokens = [sim.token] + [f"bench-account-{i}-token" for i in range(2, accounts + 1)]
    for i, token in enumerate(tokens, start=1):
        if i > 1:
            sim.admin("POST", "/_sim/accounts", {"token": token})
        # Distinct names per account: the hosts never collide (name_collisions stays at its default, fail).
        sim.seed(servers, token=token, name_prefix=f"customer{i}")
    return tokens


def measure(sim: Simulator, accounts: int, servers: int, runs: int, page_size: int, workdir: Path) -> dict:
    tokens = seed_accounts(sim, accounts, servers)
    names = [f"customer-{i}" for i in range(1, accounts + 1)]
    env = base_env(sim)
    floor_env = dict(env, ANSIBLE_INVENTORY_ENABLED="script")
    out = workdir / "out.json"
    one_cfg = workdir / "one.vps.yml"
    one_cfg.write_text(PLUGIN_CONFIG.format(page_size=page_size))
    many_cfg = workdir / "many.vps.yml"
    many_cfg.write_text(
        PLUGIN_CONFIG.format(page_size=page_size)
        + "accounts:\n"
        + "".join(ACCOUNT_ENTRY.format(name=name, token=token) for name, token in zip(names, tokens, strict=True))
    )

    # The answers the floors print, read without latency.
    set_latency(sim, 0)
    listings = {}
    for label, cfg, hosts in (("one", one_cfg, servers), ("many", many_cfg, accounts * servers)):
        run(listing_command(cfg, out), env, workdir)
        answer = out.read_text()
        listings[label] = json.loads(answer)
        listed = len(listings[label]["_meta"]["hostvars"])
        if listed != hosts:
            raise SystemExit(f"the plugin listed {listed} hosts for {label} account(s), expected {hosts}")
        if UNSAFE not in answer:
            raise SystemExit("the plugin's answer marks no value untrusted: the floor would not be the same inventory")
        listings[f"floor-{label}"] = script_inventory(answer, workdir, f"floor-{label}")
    for name in names:
        held = len(listings["many"].get(account_group(name), {}).get("hosts", []))
        if held != servers:
            raise SystemExit(f"group {account_group(name)} holds {held} hosts, expected {servers}")

    set_latency(sim, LATENCY)
    labels = ("floor-one", "floor-many", "one", "many")
    times = {label: [] for label in labels}
    memory = {label: [] for label in labels}
    requests = {"one": [], "many": []}
    per_account = []
    for repetition in range(runs):
        for label in labels:
            plugin = label in requests
            if plugin:
                sim.clear_requests()
                before = sim.counters()["total"]
            source = {"one": one_cfg, "many": many_cfg}.get(label) or listings[label]
            wall, rss = run(listing_command(source, out), env if plugin else floor_env, workdir)
            times[label].append(wall)
            memory[label].append(rss)
            if plugin:
                requests[label].append(sim.counters()["total"] - before)
                if label == "many":
                    per_account.append(Counter(entry["account"] for entry in sim.requests()))
            same_inventory(out, listings["many" if label.endswith("many") else "one"], label)
        print(
            json.dumps({"repetition": repetition + 1} | {label: round(times[label][-1], 3) for label in labels}),
            file=sys.stderr,
            flush=True,
        )
    set_latency(sim, 0)
    # Per repetition: what the 5 accounts may cost, one account plus the floor's cost of the hosts more.
    allowance = [o + fm - fo for o, fm, fo in zip(times["one"], times["floor-many"], times["floor-one"], strict=True)]
    labels_seen = sorted({label for counts in per_account for label in counts}, key=str)
    result = {
        "accounts": accounts,
        "servers": servers,
        "latency_ms": round(LATENCY * 1000),
        "runs": runs,
        **{label: statistics.median(values) for label, values in times.items()},
        "allowance": statistics.median(allowance),
        "ratio": paired(times["many"], allowance),
        "ratio_to_one": paired(times["many"], times["one"]),
        "worst_ratio": max(m / a for m, a in zip(times["many"], allowance, strict=True)),
        "rss": {label: max(values) for label, values in memory.items()},
        "requests_one": sorted(set(requests["one"])),
        "requests_many": sorted(set(requests["many"])),
        # Each account's requests in each 5-account run: the fewest and the most any account sent.
        "per_account_min": min(counts[label] for counts in per_account for label in labels_seen),
        "per_account_max": max(counts[label] for counts in per_account for label in labels_seen),
        "accounts_seen": len(labels_seen),
        "expected_requests": math.ceil(servers / page_size),
    }
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


def report(r: dict, page_size: int, command: str) -> tuple[dict, list[str]]:
    targets = []
    where = f"{r['accounts']} accounts x {r['servers']} servers at {r['latency_ms']} ms"
    ratio_ok = check(
        targets,
        f"{where}: wall <= {TARGET}x (one account + floor {r['accounts'] * r['servers']} - floor {r['servers']})",
        f"{r['ratio']:.2f}x ({r['many']:.1f} s for {r['allowance']:.1f} s; worst run {r['worst_ratio']:.2f}x)",
        r["ratio"] <= TARGET,
    )
    expected = r["expected_requests"]
    requests_ok = check(
        targets,
        f"{where}: each account {expected} requests, {r['accounts']}x the one account's",
        f"one account {'/'.join(map(str, r['requests_one']))}, {r['accounts']} accounts "
        f"{'/'.join(map(str, r['requests_many']))} ({r['per_account_min']}-{r['per_account_max']} per account, "
        f"{r['accounts_seen']} accounts)",
        r["requests_one"] == [expected]
        and r["requests_many"] == [r["accounts"] * expected]
        and r["per_account_min"] == r["per_account_max"] == expected
        and r["accounts_seen"] == r["accounts"],
    )
    rss = r["rss"]
    many_hosts = r["accounts"] * r["servers"]
    tables = [
        {
            "title": f"ansible-inventory --list wall time at {r['latency_ms']} ms per request: medians of "
            f"{r['runs']} runs, the ratio as the median of per-run ratios (page_size {page_size}); "
            "allowance = one account + floor of all hosts - floor of one account's",
            "columns": [
                "accounts x servers",
                "floor 1 account s",
                f"floor {many_hosts} hosts s",
                "plugin 1 account s",
                f"plugin {r['accounts']} accounts s",
                "allowance s",
                f"{r['accounts']} accounts / allowance (target)",
                f"{r['accounts']} accounts / 1 account",
                "requests 1 account / all accounts (target)",
            ],
            "rows": [
                [
                    f"{r['accounts']} x {r['servers']}",
                    round(r["floor-one"], 3),
                    round(r["floor-many"], 3),
                    round(r["one"], 3),
                    round(r["many"], 3),
                    round(r["allowance"], 3),
                    f"{r['ratio']:.2f}x (<= {TARGET}x {mark(ratio_ok)})",
                    f"{r['ratio_to_one']:.2f}x",
                    f"{'/'.join(map(str, r['requests_one']))} / {'/'.join(map(str, r['requests_many']))} "
                    f"(= {expected} / {r['accounts'] * expected} {mark(requests_ok)})",
                ]
            ],
        },
        {
            "title": "Peak memory: largest resident set of ansible-inventory (and its children) over the runs, MiB",
            "columns": [
                "floor 1 account",
                f"floor {many_hosts} hosts",
                "plugin 1 account",
                f"plugin {r['accounts']} accounts",
                f"{r['accounts']} accounts / floor of the same hosts",
            ],
            "rows": [
                [
                    round(rss["floor-one"]),
                    round(rss["floor-many"]),
                    round(rss["one"]),
                    round(rss["many"]),
                    f"{rss['many'] / rss['floor-many']:.2f}x",
                ]
            ],
        },
    ]
    plot = {
        "name": "wall",
        "title": f"ansible-inventory --list, {r['latency_ms']} ms per API request",
        "x_label": "hosts",
        "y_label": "seconds (median)",
        "x": [r["servers"], many_hosts],
        "series": {
            "floor (script inventory)": [round(r["floor-one"], 3), round(r["floor-many"], 3)],
            f"plugin (1 account, {r['accounts']} accounts)": [round(r["one"], 3), round(r["many"], 3)],
            "allowance (1 account + the floor's extra)": [round(r["one"], 3), round(r["allowance"], 3)],
        },
    }
    data = {
        "name": "accounts",
        "title": "Dynamic inventory over several accounts vs one account and the floor",
        "command": command,
        "tables": tables,
        "plots": [plot],
        "targets": targets,
    }
    return data, [f"{t['target']} (measured {t['measured']})" for t in targets if not t["met"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=ACCOUNTS, help="accounts in the multi-account file")
    parser.add_argument("--servers", type=int, default=SERVERS, help="servers per account")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each inventory (median reported)")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE, help="plugin page_size and simulator cap")
    parser.add_argument("--json", type=Path, help="also write the results as JSON for the benchmark report")
    args = parser.parse_args()
    if args.runs < 3:
        parser.error("--runs must be at least 3: every figure is a median")
    if args.accounts < 2:
        parser.error("--accounts must be at least 2")

    command = "python benchmarks/bench_accounts.py"
    for flag, value, default in (
        ("--accounts", args.accounts, ACCOUNTS),
        ("--servers", args.servers, SERVERS),
        ("--runs", args.runs, 5),
        ("--page-size", args.page_size, PAGE_SIZE),
    ):
        if value != default:
            command += f" {flag} {value}"
    load_at_start = [round(value, 2) for value in os.getloadavg()]
    with Simulator(page_size_max=max(args.page_size, PAGE_SIZE)) as sim, tempfile.TemporaryDirectory() as tmp:
        sim.reset()
        result = measure(sim, args.accounts, args.servers, args.runs, args.page_size, Path(tmp))
    data, misses = report(result, args.page_size, command)
    return publish(data, misses, load_at_start, args.json)


if __name__ == "__main__":
    sys.exit(main())
