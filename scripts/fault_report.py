"""Render the fault suite's rows (JSON lines) as docs/fault-tolerance.md."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

HEADER = """# Fault tolerance, measured

`make faults` runs the fault scenarios of the integration suite (real `ansible-playbook` runs at
`-vvvv` against the simulator with its fault injection switched on) and writes this page. Every
row's numbers come from the simulator's own data (servers, fault counters) and from scanning the
run's stdout, stderr and registered results for the API tokens.

- R1: 30 % of public API requests answered 429 (`Retry-After: 1`), 502 or 503, plus 0.3 s latency
  spikes on 5 %; the playbooks set `api_retries: 10` (at 30 % failures, the default 5 leaves a
  0.07 % chance per request of six failures in a row).
- R2/R3: the simulator commits the request, then closes the connection without answering.
- R4: the tasks must fail; the column counts failures other than that one, and the test also
  checks the message names the URL and the cause and that the run ends within its time bound.
- R6 (bad input, 30+ cases) and the token scan of the whole suite are asserted by the integration
  tests themselves (`tests/integration/test_bad_input.py`, `harness.assert_no_secrets`).

"""


def main(rows_path: str, out_path: str) -> int:
    rows = [json.loads(line) for line in Path(rows_path).read_text().splitlines() if line.strip()]
    lines = [
        HEADER,
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on a {os.cpu_count()}-core machine "
        f"(Python {platform.python_version()}).\n",
        "| scenario | runs | API requests | faults injected | failed tasks | duplicate servers | token occurrences |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in sorted(rows, key=lambda r: r["scenario"]):
        lines.append(
            f"| {row['scenario']} | {row['runs']} | {row['requests']} | {row['faults']} | {row['failed_tasks']} | "
            f"{row['duplicates']} | {row['token_occurrences']} |"
        )
    Path(out_path).write_text("\n".join(lines) + "\n")
    bad = [r for r in rows if r["failed_tasks"] or r["duplicates"] or r["token_occurrences"]]
    print(f"{len(rows)} scenarios, {len(bad)} with failures, duplicates or leaked tokens -> {out_path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
