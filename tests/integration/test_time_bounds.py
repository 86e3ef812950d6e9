"""Every wait has a bound: wait_timeout bounds the whole task, the API's rate-limit pauses included.

An hourly quota answers 429 with `Retry-After: 3600`. A run must not sit silent for an hour (or for
the 2,000 s between requests a pace learned from that answer would give): it ends at once, naming the
wait the API asked for and when to try again. The inventory has the same rule against its own bound.
At a per-second limit, on the other hand, a run waits as the API asks and finishes: the inventory's
detail reads included.
"""

from __future__ import annotations

import time

from harness import play, rate_limit, run_inventory, run_playbook


def fleet_play(count, wait_timeout):
    entries = "\n".join(f"          - {{name: tb-{i}}}" for i in range(1, count + 1))
    return play(
        f"""
    - name: Fleet
      vpsorg.cloud.vps_fleet:
        servers:
{entries}
        defaults: {{plan_id: 1, os_id: 5, location: us-west}}
        wait_timeout: {wait_timeout}
      ignore_errors: true
"""
    )


def test_an_hour_long_retry_after_ends_the_fleet_task_at_once(clean_sim, tmp_path, fault_row):
    started = time.monotonic()
    with rate_limit(clean_sim, 5, 5, retry_after=3600):
        result = run_playbook(tmp_path, fleet_play(5, 60), sim=clean_sim, verbosity=1)
    took = time.monotonic() - started
    throttled = clean_sim.counters()["throttled"]
    scenario = f"vps_fleet, 5 servers, wait_timeout 60: 429 with Retry-After 3600 (ended after {took:.0f} s)"
    fault_row.add(scenario, clean_sim, [result], throttled, 0, expected_failures=1, rate_applies=True)
    task = result.task("Fleet")
    assert task["status"] == "failed", task
    # Within the task's bound (and far from the hour the API asked for).
    assert took < 60, took
    assert clean_sim.counters()["throttled"] >= 1
    text = task["result"]["msg"]
    assert "3600 s" in text and "try again after" in text and "wait_timeout (60 s)" in text, text


def test_a_retry_after_longer_than_what_remains_ends_vps_server_at_once(clean_sim, tmp_path):
    clean_sim.add_fault(kind="status", status=429, retry_after=20, method="GET", count=1)
    tasks = """
    - name: Server
      vpsorg.cloud.vps_server: {name: rb-1, plan_id: 1, os_id: 5, location: us-west, wait_timeout: 10}
      ignore_errors: true
"""
    started = time.monotonic()
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim, verbosity=1)
    assert time.monotonic() - started < 10
    task = result.task("Server")
    assert task["status"] == "failed" and task["result"]["failure"]["reason"] == "out_of_time", task
    assert "20 s" in task["result"]["msg"]
    # Nothing was created on the way out.
    assert clean_sim.servers() == []


def test_a_short_retry_after_is_waited_out_without_using_up_retries(clean_sim, tmp_path):
    # More 429 answers than api_retries allows: each is waited out as asked, inside the bound.
    clean_sim.add_fault(kind="status", status=429, retry_after=1, method="GET", count=3)
    tasks = """
    - name: Info
      vpsorg.cloud.vps_server_info: {api_retries: 1}
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim, verbosity=1)
    assert result.task("Info")["status"] == "ok", result.output[-2000:]


def test_an_inventory_ends_at_once_on_an_hour_long_retry_after(clean_sim, tmp_path):
    clean_sim.seed(1000)
    started = time.monotonic()
    with rate_limit(clean_sim, 5, 5, retry_after=3600):
        strict = {"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1"}
        config = "plugin: vpsorg.cloud.vps\nwait_timeout: 120\n"
        result = run_inventory(tmp_path, config, sim=clean_sim, env=strict, verbosity=0)
    assert time.monotonic() - started < 60
    assert result.rc != 0
    flat = " ".join(result.stderr.split())
    assert "3600 s" in flat and "try again after" in flat and "wait_timeout (120 s)" in flat, result.stderr


def test_an_inventory_with_details_at_a_rate_limit_waits_and_lists_every_server(clean_sim, tmp_path, fault_row):
    # 200 servers, 5 requests/s (burst 5): 2 pages and 200 detail reads; the limit's floor is ~40 s.
    clean_sim.seed(200)
    clean_sim.clear_requests()
    with rate_limit(clean_sim, 5, 5):
        result = run_inventory(tmp_path, "plugin: vpsorg.cloud.vps\nfetch_details: true\n", sim=clean_sim, verbosity=0)
    throttled = clean_sim.counters()["throttled"]
    scenario = "inventory of 200 servers with fetch_details at 5 requests/s, burst 5"
    fault_row.add(scenario, clean_sim, [result], throttled, 0, rate_applies=True)
    assert result.rc == 0, result.stderr[-3000:]
    hosts = result.json()["_meta"]["hostvars"]
    assert len(hosts) == 200
    # A field only the detail carries, on every host.
    assert all("vps_backups_enabled" in host for host in hosts.values())
    answered = [e for e in clean_sim.requests() if e["status"] == 200]
    assert len(answered) == 202
