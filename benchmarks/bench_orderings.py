"""A fleet's wait when the API orders its list another way: requests per run, side by side.

The wait for servers a run created reads the newest page of the list (`page=last`), a reading of
the API (contract.py: the list is in id order). A real API may order by name, or newest first. Each
poll prices every way of reading the servers by what it cost, so the wait must stay within one
request per poll of the cheapest reading for that API. One vps_fleet run creates 5 servers in an
account of 600 (6 pages), in id order, by name and newest first; the requests of each run are
counted from the simulator's log.

Targets, for each order: the same servers created and active, no request answered 4xx/5xx, and
- in id order (the reading): one request per poll, the newest page, and no detail read: the run sends
  the planning listing (6) + 5 POSTs + one race-check page + one newest page per poll;
- in any other order: the newest page is asked for once, and the run sends at most one request more
  than the cheapest reading for that order, which is the planning listing + 5 POSTs + the race-check
  page + one `status=provisioning` page per poll + one detail read per server when it leaves it.

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
from bench_fleet import MODULE_PLAYBOOK, fleet_vars  # noqa: E402 - the same fleet task and variables
from harness import BIN, base_env  # noqa: E402 - the harness lives with the integration tests

ACCOUNT, NEW, PAGES = 600, 5, 6
PROVISION_DELAY = 3.0
ORDERINGS = {"id (the reading)": "id", "name": "name", "id, newest first": "-id"}


def one_run(ordering: str, workdir: Path) -> dict:
    with Simulator(provision_delay=PROVISION_DELAY, balance=1_000_000) as sim:
        # Names that sort among the account's and far from its end, so no order shows them by chance.
        sim.seed(ACCOUNT, name_prefix="m")
        sim.set_modes(ordering=ordering)
        sim.clear_requests()
        names = [f"k-{i}" for i in range(1, NEW + 1)]
        (workdir / "vars.json").write_text(json.dumps(fleet_vars(names)))
        playbook = workdir / "fleet.yml"
        playbook.write_text(MODULE_PLAYBOOK)
        command = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", "-e"]
        command += [f"ansible_python_interpreter={sys.executable}", "-e", f"@{workdir / 'vars.json'}", str(playbook)]
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, env=base_env(sim), cwd=workdir, check=False)
        seconds = time.perf_counter() - started
        log = sim.requests()
        created = [s for s in sim.servers() if s["name"] in names]
    newest = sum(1 for e in log if e["method"] == "GET" and "page=last" in e["query"])
    status = sum(1 for e in log if e["method"] == "GET" and "status=provisioning" in e["query"])
    return {
        "ok": proc.returncode == 0 and len(created) == NEW and all(s["status"] == "active" for s in created),
        "seconds": seconds,
        "requests": len(log),
        "newest pages": newest,
        "status listings": status,
        "detail reads": sum(1 for e in log if e["method"] == "GET" and e["path"].rstrip("/").split("/")[-1].isdigit()),
        "errors": sum(1 for e in log if (e["status"] or 0) >= 400),
    }


def bound(ordering: str, run: dict) -> int:
    """The most requests the run may send (see the targets above)."""
    fixed = PAGES + NEW + 1  # planning listing, the creates, the race check's status page
    if ordering == "id":
        return fixed + run["newest pages"]
    # Status pages besides the race check's, one read per server as it leaves, and the one probe.
    return fixed + (run["status listings"] - 1) + NEW + 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON for the benchmark report")
    args = parser.parse_args()
    rows, targets = [], []
    with tempfile.TemporaryDirectory(prefix="bench-orderings-") as tmp:
        for label, ordering in ORDERINGS.items():
            run = one_run(ordering, Path(tmp))
            most = bound(ordering, run)
            row = [label, run["requests"], run["newest pages"], run["status listings"], run["detail reads"]]
            rows.append([*row, round(run["seconds"], 1)])
            probes = run["newest pages"] <= 1 or ordering == "id"
            reads = run["detail reads"] == 0 or ordering != "id"
            met = run["ok"] and not run["errors"] and run["requests"] <= most and probes and reads
            targets.append({"target": f"order {label}: <= {most} requests", "measured": run["requests"], "met": met})
            print(f"{label:>18}: {run}")
    table = {
        "title": f"5 new servers in an account of {ACCOUNT}, by list order",
        "columns": ["list order", "requests", "newest pages", "status listings", "detail reads", "seconds"],
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
