"""Per-task wall time of the modules next to a raw `ansible.builtin.uri` GET, in one run.

Each kind of task runs in a playbook of 1 and of 1 + K identical tasks against the simulator;
the per-task time is (T[1+K] - T[1]) / K, so playbook start-up cancels out. Kinds alternate
within every repetition so machine noise hits them alike; the median over repetitions is
reported. Target: vps_server_info <= 1.1x the uri task.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vps_sim.testing import Simulator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from harness import BIN, base_env, create_server, wait_status  # noqa: E402 - shared with the integration tests

TARGET = 1.1

TASKS = {
    "ansible.builtin.uri GET": """
    - name: Raw GET
      ansible.builtin.uri:
        url: "{api_url}/servers/{server_id}/"
        headers:
          Authorization: "Bearer {{{{ lookup('ansible.builtin.env', 'VPS_API_TOKEN') }}}}"
        return_content: true
      no_log: true
""",
    "vps_server_info (id)": """
    - name: Info
      vpsorg.cloud.vps_server_info:
        id: {server_id}
""",
    "vps_server (no change)": """
    - name: Unchanged
      vpsorg.cloud.vps_server:
        id: {server_id}
        hostname: bench.example.com
""",
}


def playbook(task: str, count: int) -> str:
    return "- name: Bench\n  hosts: localhost\n  gather_facts: false\n  tasks:\n" + task * count


def timed_run(path: Path, env: dict, inventory: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), str(path)], env=env, check=True, capture_output=True
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the results here as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer tasks and repetitions")
    args = parser.parse_args()
    extra, repetitions = (10, 3) if args.quick else (30, 5)

    with Simulator() as sim, tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        server = create_server(sim, "bench", hostname="bench.example.com")
        wait_status(sim, server["id"], "active")
        env = base_env(sim)
        inventory = work / "hosts.ini"
        inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
        files = {}
        for kind, task in TASKS.items():
            text = task.format(api_url=sim.api_url, server_id=server["id"])
            for count in (1, 1 + extra):
                files[kind, count] = work / f"{len(files)}.yml"
                files[kind, count].write_text(playbook(text, count))
        per_task = {kind: [] for kind in TASKS}
        for _repetition in range(repetitions):
            for kind in TASKS:
                short = timed_run(files[kind, 1], env, inventory)
                long = timed_run(files[kind, 1 + extra], env, inventory)
                per_task[kind].append((long - short) / extra)
        mutating = sim.counters()["mutating"]

    medians = {kind: statistics.median(times) * 1000 for kind, times in per_task.items()}
    baseline = medians["ansible.builtin.uri GET"]
    rows = [
        [kind, round(ms, 1), round(ms / baseline, 2), f"<= {TARGET}x" if kind.startswith("vps_server_info") else "-"]
        for kind, ms in medians.items()
    ]
    title = f"Per-task wall time, median of {repetitions} x {extra} tasks"
    print(title)
    print(f"{'task':<28} {'ms/task':>9} {'vs uri':>8}  target")
    for kind, ms, ratio, target in rows:
        print(f"{kind:<28} {ms:>9.1f} {ratio:>7.2f}x  {target}")
    print(f"mutating requests during the run (the create of the fixture server only): {mutating}")
    ratio = medians["vps_server_info (id)"] / baseline
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(f"vps_server_info / uri = {ratio:.2f}x: {verdict} the {TARGET}x target")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps(
                {
                    "name": "modules",
                    "title": "Module task time vs a raw uri task",
                    "command": "python benchmarks/bench_modules.py" + (" --quick" if args.quick else ""),
                    "targets": [
                        {
                            "target": f"vps_server_info task <= {TARGET}x a raw uri task",
                            "measured": f"{ratio:.2f}x",
                            "met": ratio <= TARGET,
                        }
                    ],
                    "tables": [
                        {"title": title, "columns": ["task", "ms per task", "ratio vs uri", "target"], "rows": rows}
                    ],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
