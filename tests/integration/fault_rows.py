"""Rows of the fault report (docs/fault-tolerance.md), measured by the scenarios that make them.

A test asks for the `fault_row` fixture (conftest.py), measures into it before it asserts
anything, and the rows are appended to $VPS_FAULT_REPORT after the test with its outcome, so
a failing scenario is shown as failing instead of being left out.
"""

from __future__ import annotations

import collections

from harness import leaked_secrets, secrets_of


def duplicates(sim):
    counts = collections.Counter(server["name"] for server in sim.servers())
    return sum(count - 1 for count in counts.values() if count > 1)


def failed_tasks(result):
    return sum(1 for task in result.tasks if task["status"] == "failed")


class FaultRows:
    """What a test's scenarios measured: one row per scenario."""

    def __init__(self, name):
        self.name = name
        self.rows = []

    @property
    def values(self):
        return self.rows[-1] if self.rows else {"scenario": self.name}

    def record(self, scenario, sim, results, *, expected_failures=0, error_faults=None):
        """Measure from the simulator's counters and fault rules and from the runs' output.

        Scenarios that must fail (R4) name how many failing tasks are expected; those are not
        counted. ``error_faults`` is given where the faults are not the simulator's.
        """
        rules = sim.faults()
        fired = sum(rule["fired"] for rule in rules if rule["kind"] != "latency")
        latency = sum(rule["fired"] for rule in rules if rule["kind"] == "latency")
        return self.add(
            scenario,
            sim,
            results,
            fired if error_faults is None else error_faults,
            duplicates(sim),
            expected_failures=expected_failures,
            latency_spikes=latency,
            rate_applies=error_faults is None,
        )

    def add(
        self,
        scenario,
        sim,
        results,
        error_faults,
        duplicates_found,
        *,
        expected_failures=0,
        latency_spikes=0,
        rate_applies=False,
    ):
        """A row whose faults and duplicates the test counted itself (a static server, one task's slice).

        An error rate is only shown where the faults are the simulator's answers to its own
        requests; hostile inputs or a foreign server at api_url are not a share of requests.
        """
        row = {
            "scenario": scenario,
            "runs": len(results),
            "requests": sim.counters()["total"],
            "error_faults": error_faults,
            "latency_spikes": latency_spikes,
            "rate_applies": rate_applies,
            "failed_tasks": sum(failed_tasks(result) for result in results) - expected_failures,
            "duplicates": duplicates_found,
            "token_occurrences": sum(len(leaked_secrets(result, secrets_of(sim, {}))) for result in results),
        }
        self.rows.append(row)
        return row
