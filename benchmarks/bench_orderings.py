"""A fleet's wait when the API orders its list another way: requests per run, side by side.

The wait for servers a run created reads the newest page of the list (`page=last`), a reading of
the API (contract.py: the list is in id order). A real API may order by name, or newest first. Each
poll prices every way of reading the servers by what it cost, so the wait must stay within one
request per poll of the cheapest reading for that API. One vps_fleet run creates 5 servers in an
account of 600 (6 pages), in id order, by name and newest first; the requests of each run are
counted from the simulator's log.

Targets, for each order: the same servers created and active, no request answered 4xx/5xx, and the
requests of the run <= the planning listing (6) + 5 POSTs + one race-check page + 2 requests per
poll + 5 (one detail read per server when it leaves `provisioning`) + 5 (the first poll's misses).

Usage: bench_orderings.py [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vps_sim.testing import Simulator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from harness import BIN, base_env  # noqa: E402 - the harness lives with the integration tests

ACCOUNT, NEW, PAGES = 600, 5, 6
PROVISION_DELAY = 3.0
POLL_INTERVAL = 0.5
ORDERINGS = {"id (the reading)": "id", "name": "name", "id, newest first": "-id"}
PLAYBOOK = f"""
- name: One fleet task
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Converge the fleet
      vpsorg.cloud.vps_fleet:
        servers: "{{{{ fleet }}}}"
        defaults: {{plan_id: 1, os_id: 5, location: us-west}}
        poll_interval: {POLL_INTERVAL}
"""


def one_run(ordering: str, workdir: Path) -> dict:
    with Simulator(provision_delay=PROVISION_DELAY, balance=1_000_000) as sim:
        # Names that sort among the account's and far from its end, so no order shows them by chance.
        sim.seed(ACCOUNT, name_prefix="m")
        sim.set_modes(ordering=ordering)
        sim.clear_requests()
        names = [f"k-{i}" for i in range(1, NEW + 1)]
        (workdir / "vars.json").write_text(json.dumps({"fleet": [{"name": name} for name in names]}))
        playbook = workdir / "fleet.yml"
        playbook.write_text(PLAYBOOK)
        command = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", "-e"]
        command += [f"ansible_python_interpreter={sys.executable}", "-e", f"@{workdir / 'vars.json'}", str(playbook)]
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, env=base_env(sim), cwd=workdir, check=False)
        seconds = time.perf_counter() - started
        log = sim.requests()
        created = [s for s in sim.servers() if s["name"] in names]
    polls = sum(1 for e in log if e["method"] == "GET" and "page=last" in e["query"])
    status_polls = sum(1 for e in log if e["method"] == "GET" and "status=provisioning" in e["query"])
    return {
        "ok": proc.returncode == 0 and len(created) == NEW and all(s["status"] == "active" for s in created),
        "seconds": seconds,
        "requests": len(log),
        "newest pages": polls,
        "status listings": status_polls,
        "detail reads": sum(1 for e in log if e["method"] == "GET" and e["path"].rstrip("/").split("/")[-1].isdigit()),
        "errors": sum(1 for e in log if (e["status"] or 0) >= 400),
        "polls": max(polls + status_polls - 1, 1),  # the race check is one status listing
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON for the benchmark report")
    args = parser.parse_args()
    rows, targets = [], []
    with tempfile.TemporaryDirectory(prefix="bench-orderings-") as tmp:
        for label, ordering in ORDERINGS.items():
            run = one_run(ordering, Path(tmp))
            bound = PAGES + NEW + 1 + 2 * run["polls"] + NEW + NEW
            rows.append(
                [
                    label,
                    run["requests"],
                    run["newest pages"],
                    run["status listings"],
                    run["detail reads"],
                    run["polls"],
                    round(run["seconds"], 1),
                ]
            )
            met = run["ok"] and not run["errors"] and run["requests"] <= bound
            targets.append({"target": f"order {label}: <= {bound} requests", "measured": run["requests"], "met": met})
            print(f"{label:>18}: {run}")
    table = {
        "title": f"5 new servers in an account of {ACCOUNT}, by list order",
        "columns": ["list order", "requests", "newest pages", "status listings", "detail reads", "polls", "seconds"],
        "rows": rows,
    }
    if args.json:
        report = {
            "name": "bench_orderings",
            "title": "A fleet's wait under other list orders",
            "command": "python benchmarks/bench_orderings.py",
            "tables": [table],
            "targets": targets,
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    missed = [t["target"] for t in targets if not t["met"]]
    for target in missed:
        print(f"MISSED: {target}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
