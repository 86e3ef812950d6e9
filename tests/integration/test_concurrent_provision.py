"""Two jobs run the same provision at the same time: every name ends with exactly one server."""

from __future__ import annotations

from concurrent_runs import NAMES, two_runs


def test_two_provision_runs_started_together_leave_one_server_per_name(clean_sim, tmp_path):
    results, counts, creates = two_runs(clean_sim, tmp_path)
    for result in results:
        assert result.rc == 0, result.output
    # The race was real: both runs created every name...
    assert creates == 2 * len(NAMES), creates
    # ...and one server per name is left, the oldest; each run reports the same servers.
    assert counts == dict.fromkeys(NAMES, 1), counts
    kept = {server["name"]: server["id"] for server in clean_sim.servers()}
    for result in results:
        reported = result.task("vpsorg.cloud.servers : Make the account match the fleet")["result"]["servers"]
        assert {server["name"]: server["id"] for server in reported} == kept
    warned = [result for result in results if "also created at the same time by another run" in result.output]
    assert warned, "neither run reported deleting its own duplicate"


def test_two_vps_server_runs_started_together_leave_one_server(clean_sim, tmp_path):
    results, counts, creates = two_runs(clean_sim, tmp_path, playbook="server")
    for result in results:
        assert result.rc == 0, result.output
    assert creates == 2 and counts == {"race-solo-01": 1}, (creates, counts)
    kept = clean_sim.servers()[0]["id"]
    assert [result.task("Make sure the server exists")["result"]["server"]["id"] for result in results] == [kept] * 2
