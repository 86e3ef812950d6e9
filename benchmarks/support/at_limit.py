"""What the benchmarks at the API's rate limit share: request accounting, the floor ratio and tables.

A run's cost is read from the simulator's request log (control-plane calls are not logged). The
limit's own floor is the time the limit imposes on the requests the run needed (requests it did not
refuse, divided by the allowed rate), after the same command's start-up with no API work, measured
beside it in the same repetition: no run at the limit can be faster. A ratio of 1.0 is a run that
spends nothing beyond what the limit requires. (Subtracting the start-up instead would be stricter
but turns machine noise in two large numbers into a ratio of small ones.)
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass

from vps_sim.state import endpoint_key


@dataclass
class Cost:
    total: int
    throttled: int
    # Requests the limit let through, by endpoint ("GET /api/v1/servers/{id}/").
    by_endpoint: dict

    @property
    def needed(self) -> int:
        """The requests the run needed: every request the limit did not refuse."""
        return self.total - self.throttled

    @property
    def throttled_share(self) -> float:
        return self.throttled / self.total if self.total else 0.0

    def sent(self, endpoint: str) -> int:
        return self.by_endpoint.get(endpoint, 0)


def counted(sim, action):
    """(action's result, seconds it took, Cost of the API requests sent meanwhile, from the request log)."""
    # Every logged request gets the next sequence number and is counted, so the count is the last number.
    since = sim.counters()["total"]
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    entries = sim.requests(since=since)
    # The limit's refusals: 429 from behind the gateway (a fault rule's 429 carries its fault kind).
    through = [e for e in entries if not (e["status"] == 429 and e["fault"] is None)]
    by_endpoint = Counter(endpoint_key(e["method"], e["path"]) for e in through)
    return result, seconds, Cost(len(entries), len(entries) - len(through), dict(by_endpoint))


def floor_ratio(seconds: float, start_up: float, cost: Cost, rate: float) -> float:
    """wall / (start-up + needed requests / rate): 1.0 is a run that spends only what the limit requires."""
    return seconds / floor_seconds(start_up, cost, rate)


def floor_seconds(start_up: float, cost: Cost, rate: float) -> float:
    """The least a command can take at the limit: its own start-up, then its needed requests at the rate."""
    return start_up + cost.needed / rate


def median(values) -> float:
    return statistics.median(values)


def verdicts(checks) -> dict:
    """The Targets table from (target, measured text, met) triples."""
    return {
        "title": "Targets",
        "columns": ["target", "measured", "met"],
        "rows": [[name, measured, "yes" if met else "NO"] for name, measured, met in checks],
    }


def print_table(table: dict) -> None:
    cells = [[str(c) for c in table["columns"]]] + [[str(c) for c in row] for row in table["rows"]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    print(f"\n{table['title']}")
    for row in cells:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def finish(name: str, title: str, command: str, tables: list, checks: list, json_path) -> int:
    """Print the tables and the targets, write the report's JSON (bench_report.py) and return the exit status:
    1, naming each, when a target was missed."""
    tables = [*tables, verdicts(checks)]
    for table in tables:
        print_table(table)
    if json_path:
        report = {
            "name": name,
            "title": title,
            "command": command,
            "tables": tables,
            "targets": [{"target": target, "measured": measured, "met": met} for target, measured, met in checks],
        }
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, indent=2) + "\n")
    missed = [f"{target} (measured {measured})" for target, measured, met in checks if not met]
    for target in missed:
        print(f"MISSED: {target}", file=sys.stderr)
    return 1 if missed else 0
