"""vps_server_power through real ansible-playbook runs against the simulator."""

from __future__ import annotations

import threading
import time

import pytest
from harness import api_call, create_server, last_seq, mutating_requests, play, run_playbook, wait_status


def power(state, extra=""):
    return play(
        f"""
    - name: Power
      vpsorg.cloud.vps_server_power:
        name: box
        state: {state}
        {extra}
"""
    )


@pytest.fixture
def box(clean_sim):
    server = create_server(clean_sim, "box")
    return wait_status(clean_sim, server["id"], "active")


def actions(sim, since):
    return [r["path"].rstrip("/").rsplit("/", 1)[-1] for r in mutating_requests(sim, since)]


def test_stop_then_stop_again_is_ok(clean_sim, box, tmp_path):
    first = run_playbook(tmp_path / "1", power("stopped"), sim=clean_sim, args=("--diff",))
    assert first.rc == 0, first.output
    assert first.task("Power")["status"] == "changed"
    assert first.task("Power")["result"]["server"]["status"] == "stopped"
    assert '"status": "active"' in first.stdout and '"status": "stopped"' in first.stdout
    since = last_seq(clean_sim)
    second = run_playbook(tmp_path / "2", power("stopped"), sim=clean_sim)
    assert second.task("Power")["status"] == "ok"
    assert actions(clean_sim, since) == []


def test_started_on_active_is_ok_and_sends_nothing(clean_sim, box, tmp_path):
    since = last_seq(clean_sim)
    result = run_playbook(tmp_path, power("started"), sim=clean_sim)
    assert result.task("Power")["status"] == "ok"
    assert actions(clean_sim, since) == []


def test_restarted_reboots_active_and_starts_stopped(clean_sim, box, tmp_path):
    since = last_seq(clean_sim)
    result = run_playbook(tmp_path / "1", power("restarted"), sim=clean_sim)
    assert result.task("Power")["status"] == "changed"
    assert result.task("Power")["result"]["server"]["status"] == "active"
    assert actions(clean_sim, since) == ["reboot"]
    api_call(clean_sim, "POST", f"/servers/{box['id']}/stop/")
    wait_status(clean_sim, box["id"], "stopped")
    since = last_seq(clean_sim)
    result = run_playbook(tmp_path / "2", power("restarted"), sim=clean_sim)
    assert result.task("Power")["result"]["server"]["status"] == "active"
    assert actions(clean_sim, since) == ["start"]


def settle_after_reads(sim, server_id, since, reads, done):
    """Hold the server in its transition until the module has read it `reads` times, then settle it.

    A module that decides on the transitional status never reads it twice: the server stays held
    (and the module's decision is made on `stopping`) until the run ends.
    """
    path = f"/api/v1/servers/{server_id}/"
    while not done.is_set():
        seen = [e for e in sim.requests(since=since) if e["method"] == "GET" and e["path"] == path]
        if len(seen) >= reads:
            sim.settle(server_id)
            return
        time.sleep(0.05)


def test_transitional_status_is_waited_out_before_deciding(clean_sim, box, tmp_path):
    clean_sim.set_timings(transition_delay=3600)
    api_call(clean_sim, "POST", f"/servers/{box['id']}/stop/")
    since = last_seq(clean_sim)
    done = threading.Event()
    release = threading.Thread(target=settle_after_reads, args=(clean_sim, box["id"], since, 2, done))
    release.start()
    try:
        result = run_playbook(tmp_path, power("stopped"), sim=clean_sim)
    finally:
        done.set()
        release.join()
    reads = [e for e in clean_sim.requests(since=since) if e["path"] == f"/api/v1/servers/{box['id']}/"]
    assert len(reads) >= 2, "the module decided after one read of a server held in `stopping`"
    assert result.rc == 0, result.output
    assert result.task("Power")["status"] == "ok"
    assert result.task("Power")["result"]["server"]["status"] == "stopped"
    assert actions(clean_sim, since) == []


def test_check_mode_predicts_without_acting(clean_sim, box, tmp_path):
    since = last_seq(clean_sim)
    result = run_playbook(tmp_path, power("stopped"), sim=clean_sim, args=("--check",))
    assert result.task("Power")["status"] == "changed"
    assert actions(clean_sim, since) == []
    assert wait_status(clean_sim, box["id"], "active")


def test_wait_false_returns_the_transitional_status(clean_sim, box, tmp_path):
    result = run_playbook(tmp_path, power("stopped", "wait: false"), sim=clean_sim)
    assert result.task("Power")["result"]["server"]["status"] == "stopping"


def test_suspended_fails_clearly(clean_sim, box, tmp_path):
    clean_sim.admin("POST", f"/_sim/servers/{box['id']}/suspend")
    since = last_seq(clean_sim)
    result = run_playbook(tmp_path, power("started"), sim=clean_sim)
    assert result.rc != 0
    assert "is suspended by VPS.org and cannot be powered on or off" in result.task("Power")["result"]["msg"]
    assert actions(clean_sim, since) == []


def test_missing_server_fails(clean_sim, tmp_path):
    result = run_playbook(tmp_path, power("started"), sim=clean_sim)
    assert result.rc != 0
    assert result.task("Power")["result"]["msg"] == "no server named 'box' exists"
