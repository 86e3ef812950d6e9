"""Start two identical `vpsorg.cloud.provision` runs together, ROUNDS times, and count the servers each name ends with.

    .venv/bin/python scripts/concurrent_provision.py [--rounds 10]

Each round resets a simulator account, holds every create for a few seconds (so both runs decide to
create every name) and starts two ansible-playbook runs at once. Prints one line per round and exits
non-zero when any name ended with other than exactly one server, or when a run failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from concurrent_runs import NAMES, two_runs  # noqa: E402
from vps_sim.testing import Simulator  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    bad = 0
    workroot = REPO / ".cache" / "concurrent-provision"
    workroot.mkdir(parents=True, exist_ok=True)
    with Simulator(provision_delay=0.6, transition_delay=0.3) as sim, tempfile.TemporaryDirectory(dir=workroot) as work:
        print(f"{len(NAMES)} names, two provision runs started together, creates held to force the race")
        for round_number in range(1, args.rounds + 1):
            results, counts, creates = two_runs(sim, Path(work) / str(round_number))
            rcs = [result.rc for result in results]
            per_name = ", ".join(f"{name}={counts.get(name, 0)}" for name in NAMES)
            ok = all(counts.get(name, 0) == 1 for name in NAMES) and rcs == [0, 0]
            bad += not ok
            print(f"round {round_number:2}: creates sent {creates}, servers per name: {per_name}, exit codes {rcs}")
    print(f"{args.rounds - bad} of {args.rounds} rounds ended with exactly one server per name")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
