"""A listing against an API that refuses some concurrent page reads with 429 slows down and lists every server.

Real ansible-playbook runs against the simulator: a seeded share of the server-list requests is
answered 429 (Retry-After 0, so the run does not sit in pauses), every request waits a little, so
the readers overlap as they do against a hosted API.
"""

from __future__ import annotations

import re

import pytest
from harness import play, run_playbook
from vps_sim.testing import Simulator

LIST_PATH = "/api/v1/servers/"
SLOWER = re.compile(r"answered HTTP 429 \(rate limited\).*; (\d+) requests at a time from now on")


@pytest.fixture(scope="module")
def sim():
    with Simulator() as simulator:
        yield simulator


def list_answers(sim):
    return [entry["status"] for entry in sim.requests() if entry["method"] == "GET" and entry["path"] == LIST_PATH]


@pytest.mark.parametrize("seed", [3, 11])
def test_server_info_reads_with_fewer_readers_after_429_and_lists_every_server_once(sim, tmp_path, seed):
    sim.reset()
    sim.seed(1500)  # 15 pages of 100: pages 2..15 go to 14 concurrent readers
    sim.add_fault(kind="latency", seconds=0.05, path=f"^{LIST_PATH}$")
    sim.add_fault(kind="status", status=429, retry_after=0, rate=0.25, seed=seed, method="GET", path=f"^{LIST_PATH}$")
    tasks = """    - name: List
      vpsorg.cloud.vps_server_info:
      register: listed
"""
    result = run_playbook(tmp_path, play(tasks), sim=sim, verbosity=1)
    assert result.rc == 0, result.output
    listed = [server["id"] for server in result.task("List")["result"]["servers"]]
    assert sorted(listed) == sorted(server["id"] for server in sim.servers() if server["account"])
    assert len(listed) == len(set(listed)) == 1500
    answers = list_answers(sim)
    assert answers.count(429) >= 1 and answers.count(200) == 15
    # Each 429 lowers the requests in flight by one, never below one; the user is told at -v.
    readers = [int(count) for count in SLOWER.findall("\n".join(result.task("List")["result"].get("progress", [])))]
    assert readers, result.task("List")["result"].get("progress")
    # One fewer than were in flight each time (14 pages after the first; fewer are in flight near the end).
    assert readers[0] <= 13 and readers == sorted(set(readers), reverse=True) and readers[-1] >= 1, readers
