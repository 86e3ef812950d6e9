"""Fleet benchmarks against the API simulator, over real HTTP on loopback, measured side by side.

1. Wall time to provision 1, 20 and 100 new servers with the vpsorg.cloud.servers role (through
   the vpsorg.cloud.provision playbook) and with one vpsorg.cloud.vps_fleet task alone, next to a
   serial loop of vpsorg.cloud.vps_server with wait: true (1 and 5 servers: it grows one
   provisioning delay per server). Every figure is the median of --repeat runs (default 3).
   Targets: 20 servers <= 1.2x and 100 servers <= 1.5x the time of 1.
2. The requests of each provisioning run, from the simulator's log: exactly one POST per new
   server, no detail read, and list requests while waiting <= polls x pages (every listing reads
   at most ceil(N / page size) pages).
3. A no-op re-run of 100 servers: 0 changing requests, one listing and no detail read (the
   fleet does not set backups_enabled, the one field only a detail read shows), and wall time
   <= 1.2x one vps_server_info task. The role's own re-run (with add_host for 100 hosts and the
   playbook's second play) is shown beside it.

The script exits non-zero and names every missed target.

Usage: bench_fleet.py [--quick] [--repeat N] [--delay S] [--json PATH]
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

from vps_sim.testing import Simulator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from harness import BIN, base_env  # noqa: E402 - the harness lives with the integration tests

# The real API provisions in 2-5 minutes; 5 s keeps the benchmark short while the wait still
# dominates one server's run, which is what the N-vs-1 ratios are about.
PROVISION_DELAY = 5.0
TRANSITION_DELAY = 0.5
POLL_INTERVAL = 0.5
PAGE_SIZE = 100  # what the modules ask for (the simulator's cap)
DEFAULTS = {"plan_id": 1, "os_id": 5, "location": "us-west"}
# Every create debits a month of plan 1: enough for every run of the benchmark.
BALANCE = 1_000_000

SERIAL_PLAYBOOK = """
- name: Serial provisioning, one server after the other
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Create and wait for each server
      vpsorg.cloud.vps_server:
        name: "{{ item.name }}"
        plan_id: "{{ vps_servers_defaults.plan_id }}"
        os_id: "{{ vps_servers_defaults.os_id }}"
        location: "{{ vps_servers_defaults.location }}"
        wait: true
      loop: "{{ vps_servers }}"
"""

MODULE_PLAYBOOK = """
- name: One fleet task
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Converge the fleet
      vpsorg.cloud.vps_fleet:
        servers: "{{ vps_servers }}"
        defaults: "{{ vps_servers_defaults }}"
        poll_interval: "{{ vps_servers_poll_interval }}"
"""

INFO_PLAYBOOK = """
- name: One listing
  hosts: localhost
  gather_facts: false
  tasks:
    - name: List the account
      vpsorg.cloud.vps_server_info:
"""

LIST = "GET /api/v1/servers/"
DETAIL = "GET /api/v1/servers/{id}/"
CREATE = "POST /api/v1/servers/"


def run_playbook(sim, workdir: Path, playbook: str, extra_vars: dict) -> float:
    """Run ansible-playbook once; returns its wall time in seconds (raises on failure)."""
    vars_file = workdir / "vars.json"
    vars_file.write_text(json.dumps(extra_vars))
    command = [
        str(BIN / "ansible-playbook"),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-e",
        f"@{vars_file}",
        playbook,
    ]
    started = time.perf_counter()
    proc = subprocess.run(
        command, capture_output=True, text=True, env=base_env(sim), cwd=workdir, timeout=1800, check=False
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{playbook} failed (rc {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def write(workdir: Path, name: str, text: str) -> str:
    path = workdir / name
    path.write_text(text)
    return str(path)


def fleet_vars(names) -> dict:
    return {
        "vps_servers": [{"name": name} for name in names],
        "vps_servers_defaults": DEFAULTS,
        "vps_servers_poll_interval": POLL_INTERVAL,
        "vps_servers_wait_timeout": 600,
        "vps_show_fleet": False,
    }


def request_use(sim, since: int, size: int) -> dict:
    """What one provisioning run sent, from the simulator's request log."""
    log = [r for r in sim.requests(since=since) if r["path"].startswith("/api/v1/")]
    lists = [r for r in log if r["method"] == "GET" and r["path"] == "/api/v1/servers/"]
    # A listing starts with its first page (no `page` parameter); the others follow `next`.
    listings = sum(1 for r in lists if "page=" not in r["query"].replace("page_size=", ""))
    pages = max(1, math.ceil(size / PAGE_SIZE))
    return {
        "posts": sum(1 for r in log if r["method"] == "POST" and r["path"] == "/api/v1/servers/"),
        "details": sum(1 for r in log if r["method"] == "GET" and r["path"] != "/api/v1/servers/"),
        "lists": len(lists),
        "listings": listings,
        "pages": pages,
        "total": len(log),
    }


def provision(sim, workdir: Path, playbook: str, label: str, size: int, repeat: int) -> dict:
    times, uses = [], []
    for attempt in range(repeat):
        names = [f"{label}-{size}-{attempt}-{i:03d}" for i in range(1, size + 1)]
        sim.reset()
        sim.set_balance(sim.token, BALANCE)
        since = sim.requests()[-1]["seq"] if sim.requests() else 0
        times.append(run_playbook(sim, workdir, playbook, fleet_vars(names)))
        assert sum(1 for s in sim.servers() if s["status"] == "active") == size
        uses.append(request_use(sim, since, size))
    median = statistics.median(times)
    print(f"  {label:>7} {size:>3} servers: median {median:6.1f} s of {[round(t, 1) for t in times]}", flush=True)
    return {"size": size, "seconds": median, "runs": times, "requests": uses}


def noop(sim, workdir: Path, size: int, repeat: int, playbooks: dict) -> dict:
    """Seed `size` active servers, describe them exactly as listed, and re-run: nothing may change."""
    sim.reset()
    sim.seed(size, name_prefix="fleet", location="us-west")
    wanted = fleet_vars([])
    wanted["vps_servers_defaults"] = {}
    wanted["vps_servers"] = [
        {
            "name": s["name"],
            "hostname": s["hostname"],
            "plan_id": s["plan"]["id"],
            "os_id": s["os"]["id"],
            "location": s["location"],
        }
        for s in sim.servers()
    ]
    rows = {}
    for label, playbook in playbooks.items():
        times, counters = [], []
        for _run in range(repeat):
            before = sim.counters()
            times.append(run_playbook(sim, workdir, playbook, wanted))
            after = sim.counters()
            counters.append(
                {key: after["by_endpoint"].get(key, 0) - before["by_endpoint"].get(key, 0) for key in (LIST, DETAIL)}
                | {"mutating": after["mutating"] - before["mutating"]}
            )
        rows[label] = {"seconds": statistics.median(times), "runs": times, "requests": counters}
        print(f"  no-op {label:>16}: median {rows[label]['seconds']:5.2f} s of {[round(t, 2) for t in times]}")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 and 20 servers, a 20-server re-run, 1 repeat")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported (default 3)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON for the benchmark report")
    parser.add_argument(
        "--delay", type=float, default=PROVISION_DELAY, help=f"simulator provisioning delay (default {PROVISION_DELAY})"
    )
    args = parser.parse_args()
    delay, repeat = args.delay, (1 if args.quick else max(1, args.repeat))
    sizes = [1, 20] if args.quick else [1, 20, 100]
    serial_sizes = [1, 5]
    noop_size = 20 if args.quick else 100
    command = "python benchmarks/bench_fleet.py" + (" --quick" if args.quick else f" --repeat {repeat}")
    if delay != PROVISION_DELAY:
        command += f" --delay {delay:g}"

    with Simulator(provision_delay=delay, transition_delay=TRANSITION_DELAY, balance=BALANCE) as sim:
        workdir = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
        module_playbook = write(workdir, "module.yml", MODULE_PLAYBOOK)
        print(f"provisioning delay {delay:g} s per server, polls every {POLL_INTERVAL} s, median of {repeat}")
        role = [provision(sim, workdir, "vpsorg.cloud.provision", "role", n, repeat) for n in sizes]
        module = [provision(sim, workdir, module_playbook, "module", n, repeat) for n in sizes]
        serial_playbook = write(workdir, "serial.yml", SERIAL_PLAYBOOK)
        serial = {n: provision(sim, workdir, serial_playbook, "serial", n, repeat) for n in serial_sizes}
        rerun = noop(
            sim,
            workdir,
            noop_size,
            repeat,
            {
                "vps_server_info": write(workdir, "info.yml", INFO_PLAYBOOK),
                "vps_fleet": module_playbook,
                "role (provision)": "vpsorg.cloud.provision",
            },
        )

    tables, missed = report_tables(role, module, serial, rerun, noop_size, delay)
    for table in tables:
        print_table(table)
    if args.json:
        report = {
            "name": "bench_fleet",
            "title": "Fleet: provisioning time, request budget and no-op re-run",
            "command": command,
            "tables": tables,
            # The last table holds the verdicts; the report lists every target from here.
            "targets": [
                {"target": name, "measured": measured, "met": met == "yes"}
                for name, measured, met in tables[-1]["rows"]
            ],
            "plot": {
                "title": f"Provisioning wall time (delay {delay:g} s per server, median of {repeat})",
                "x_label": "servers",
                "y_label": "seconds",
                "x": [row["size"] for row in role],
                "series": {
                    "role (one vps_fleet task)": [round(row["seconds"], 2) for row in role],
                    "vps_fleet task alone": [round(row["seconds"], 2) for row in module],
                },
            },
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    for target in missed:
        print(f"MISSED: {target}", file=sys.stderr)
    return 1 if missed else 0


def ratio_targets(rows, label):
    base = rows[0]["seconds"]
    limits = {20: 1.2, 100: 1.5}
    return [
        (
            f"{label}: {row['size']} new servers <= {limits[row['size']]}x the time of 1",
            row["seconds"] / base,
            row["seconds"] / base <= limits[row["size"]],
        )
        for row in rows
        if row["size"] in limits
    ]


def report_tables(role, module, serial, rerun, noop_size, delay):
    base = role[0]["seconds"]
    provision_table = {
        "title": f"Provision N new servers (simulator provisioning delay {delay:g} s; medians)",
        "columns": ["servers", "role (s)", "role / 1", "vps_fleet alone (s)", "alone / 1", "serial loop (s)"],
        "rows": [
            [
                r["size"],
                round(r["seconds"], 1),
                round(r["seconds"] / base, 2),
                round(m["seconds"], 1),
                round(m["seconds"] / module[0]["seconds"], 2),
                round(serial[r["size"]]["seconds"], 1) if r["size"] in serial else "-",
            ]
            for r, m in zip(role, module, strict=True)
        ]
        + [
            [n, "-", "-", "-", "-", round(serial[n]["seconds"], 1)]
            for n in serial
            if n not in {r["size"] for r in role}
        ],
    }
    request_rows, checks = [], []
    for label, rows in (("role", role), ("vps_fleet", module)):
        for row in rows:
            for use in row["requests"][:1]:
                request_rows.append(
                    [
                        label,
                        row["size"],
                        use["posts"],
                        use["details"],
                        use["listings"],
                        use["pages"],
                        use["lists"],
                        use["total"],
                    ]
                )
            one_post = all(use["posts"] == row["size"] for use in row["requests"])
            budget = all(
                use["lists"] <= use["listings"] * use["pages"] and use["details"] == 0 for use in row["requests"]
            )
            checks.append((f"{label} {row['size']}: exactly one POST per new server", "every run", one_post))
            checks.append(
                (f"{label} {row['size']}: list requests <= polls x pages, no detail read", "every run", budget)
            )
    requests_table = {
        "title": "Requests of one provisioning run (first of the repeats)",
        "columns": ["run", "servers", "POST", "detail GET", "listings (polls + 1)", "pages", "list GET", "total"],
        "rows": request_rows,
    }
    info = rerun["vps_server_info"]["seconds"]
    noop_rows = []
    for label, row in rerun.items():
        worst = {key: max(r[key] for r in row["requests"]) for key in row["requests"][0]}
        noop_rows.append(
            [
                label,
                round(row["seconds"], 2),
                round(row["seconds"] / info, 2),
                worst["mutating"],
                worst[LIST],
                worst[DETAIL],
            ]
        )
    fleet = rerun["vps_fleet"]
    fleet_worst = {key: max(r[key] for r in fleet["requests"]) for key in fleet["requests"][0]}
    pages = math.ceil(noop_size / PAGE_SIZE)
    checks += [
        (
            f"no-op re-run of {noop_size}: 0 changing requests",
            str(fleet_worst["mutating"]),
            fleet_worst["mutating"] == 0,
        ),
        (
            f"no-op re-run: one listing ({pages} page(s)), no detail read",
            f"{fleet_worst[LIST]} list, {fleet_worst[DETAIL]} detail",
            fleet_worst[LIST] == pages and fleet_worst[DETAIL] == 0,
        ),
        (
            "no-op re-run: vps_fleet <= 1.2x one vps_server_info task",
            f"{fleet['seconds'] / info:.2f}x",
            fleet["seconds"] / info <= 1.2,
        ),
    ]
    checks += ratio_targets(role, "role") + ratio_targets(module, "vps_fleet alone")
    noop_table = {
        "title": f"No-op re-run of {noop_size} servers (page size {PAGE_SIZE}; medians, worst request counts)",
        "columns": ["run", "wall (s)", "/ vps_server_info", "changing", "list GET", "detail GET"],
        "rows": noop_rows,
    }
    verdicts = {
        "title": "Targets",
        "columns": ["target", "measured", "met"],
        "rows": [
            [name, f"{value:.2f}x" if isinstance(value, float) else value, "yes" if met else "NO"]
            for name, value, met in checks
        ],
    }
    missed = [
        f"{name} (measured {value if not isinstance(value, float) else f'{value:.2f}x'})"
        for name, value, met in checks
        if not met
    ]
    return [provision_table, requests_table, noop_table, verdicts], missed


def print_table(table: dict) -> None:
    cells = [[str(c) for c in table["columns"]]] + [[str(c) for c in row] for row in table["rows"]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    print(f"\n{table['title']}")
    for index, row in enumerate(cells):
        print("  " + "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))


if __name__ == "__main__":
    sys.exit(main())
