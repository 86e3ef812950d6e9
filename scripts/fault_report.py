"""Render the fault suite's rows (JSON lines) as docs/fault-tolerance.md.

Every row is shown, a failing one as failing; the exit status is 1 when any row failed, after the
page is written. The page says under its title the commit and the fingerprint of the code it
measured (scripts/page_fingerprint.py).
"""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import page_fingerprint

PAGE = "docs/fault-tolerance.md"
TITLE = "# Fault tolerance, measured"
HEADER = """`make faults` runs the fault scenarios of the integration suite (`tests/integration/test_faults.py`:
real `ansible-playbook` runs at `-vvvv` against the simulator with its fault injection switched on)
and writes this page. Every number is measured: requests and faults from the simulator's counters
and fault rules, failed tasks from the runs' recorded results, duplicates from the simulator's
servers, token occurrences from scanning each run's stdout, stderr and results for the API tokens.
A scenario whose test failed is shown as FAILED with what it measured before failing.

- R1: 30 % of public API requests are configured to fail, 10 % each with 429 (`Retry-After: 1`),
  502 and 503, plus 0.3 s latency spikes on 5 %; the playbooks set `api_retries: 10`. Draws are
  random (seeded), so the measured error rate of a run is near, not at, 30 %.
- The error rate is shown only where the error faults are the simulator's answers to its own
  requests; for hostile inputs (H), a foreign server at api_url (W) and TLS set-ups (E) the
  column shows "-" and the error faults count the refused inputs or failed connections.
- R2/R3: the simulator commits the request, then closes the connection without answering.
- R4: the tasks must fail; the column counts failures other than that one, and the test also
  checks the message names the URL and the cause and that the run ends within its time bound.
  For "API down" the error faults are the connection attempts (nothing listens).
- R5: every change (create, PATCH, stop, start, reboot, DELETE) is committed by the API and then
  answered with the gateway error named in the row; nothing may fail or happen twice.
- Error faults are requests answered by a fault (error status, dropped or replaced answer, hang);
  latency spikes delay a request that is then answered normally and are counted apart.
- R6 (bad input, 30+ cases) and the token scan of the whole suite are asserted by the integration
  tests themselves (`tests/integration/test_bad_input.py`, the token scan in `tests/integration/conftest.py`).
"""
COLUMNS = (
    "scenario",
    "result",
    "runs",
    "API requests",
    "error faults",
    "measured error rate",
    "latency spikes",
    "failed tasks",
    "duplicate servers",
    "token occurrences",
)
MEASURED = ("runs", "requests", "error_faults", "latency_spikes", "failed_tasks", "duplicates", "token_occurrences")


def failing(row: dict) -> bool:
    return (
        row.get("outcome") != "passed"
        or any(key not in row for key in MEASURED)
        or bool(row["failed_tasks"] or row["duplicates"] or row["token_occurrences"])
    )


def cells(row: dict) -> list[str]:
    if any(key not in row for key in MEASURED):
        return [row["scenario"], "FAILED (not measured)", *[""] * (len(COLUMNS) - 2)]
    if not row.get("rate_applies", True):
        rate = "-"
    else:
        rate = f"{100 * row['error_faults'] / row['requests']:.1f} %" if row["requests"] else "no requests"
    return [
        row["scenario"],
        "FAILED" if failing(row) else "passed",
        str(row["runs"]),
        str(row["requests"]),
        str(row["error_faults"]),
        rate,
        str(row["latency_spikes"]),
        str(row["failed_tasks"]),
        str(row["duplicates"]),
        str(row["token_occurrences"]),
    ]


def render(rows: list[dict]) -> str:
    bad = [row for row in rows if failing(row)]
    lines = [
        TITLE,
        "",
        page_fingerprint.line(PAGE),
        "",
        HEADER,
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on a {os.cpu_count()}-core machine "
        f"(Python {platform.python_version()}): {len(rows)} scenarios, {len(bad)} failed.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "| --- | --- |" + " ---: |" * (len(COLUMNS) - 2),
    ]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in sorted(rows, key=lambda r: r["scenario"])]
    return "\n".join(lines) + "\n"


def main(rows_path: str, out_path: str) -> int:
    source = Path(rows_path)
    rows = [json.loads(line) for line in source.read_text().splitlines() if line.strip()] if source.exists() else []
    if not rows:
        print(f"fault_report: no scenario rows in {rows_path}; {out_path} left as it was", file=sys.stderr)
        return 1
    Path(out_path).write_text(render(rows))
    bad = [row["scenario"] for row in rows if failing(row)]
    print(f"{len(rows)} scenarios, {len(bad)} failed -> {out_path}")
    for scenario in bad:
        print(f"  FAILED: {scenario}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
