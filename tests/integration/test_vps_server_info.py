"""vps_server_info through real ansible-playbook runs against the simulator."""

from __future__ import annotations

from harness import create_server, last_seq, mutating_requests, play, run_playbook


def test_filters_are_sent_to_the_api_and_name_matched_exactly(clean_sim, tmp_path):
    clean_sim.seed(30, location="us-east", name_prefix="east")
    create_server(clean_sim, "west-a", location="us-west")
    create_server(clean_sim, "west-b", location="us-west")
    since = last_seq(clean_sim)
    tasks = """
    - name: All
      vpsorg.cloud.vps_server_info:
    - name: West
      vpsorg.cloud.vps_server_info:
        location: us-west
    - name: By name
      vpsorg.cloud.vps_server_info:
        name: west-b
    - name: Nothing
      vpsorg.cloud.vps_server_info:
        name: nobody
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim, args=("--check",))
    assert result.rc == 0, result.output
    assert len(result.task("All")["result"]["servers"]) == 32
    assert sorted(s["name"] for s in result.task("West")["result"]["servers"]) == ["west-a", "west-b"]
    assert [s["name"] for s in result.task("By name")["result"]["servers"]] == ["west-b"]
    assert result.task("Nothing")["result"]["servers"] == []
    assert all(t["status"] == "ok" for t in result.tasks)
    queries = [r["query"] for r in clean_sim.requests() if r["method"] == "GET" and r["path"] == "/api/v1/servers/"]
    assert any("location=us-west" in q for q in queries)
    assert mutating_requests(clean_sim, since) == []


def test_status_filter_and_id_detail(clean_sim, tmp_path):
    clean_sim.seed(3, status="stopped", name_prefix="off")
    clean_sim.seed(2, status="active", name_prefix="on")
    target = clean_sim.servers()[0]
    tasks = f"""
    - name: Stopped
      vpsorg.cloud.vps_server_info:
        status: stopped
    - name: One
      vpsorg.cloud.vps_server_info:
        id: {target["id"]}
    - name: Missing
      vpsorg.cloud.vps_server_info:
        id: 999999
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim)
    assert result.rc == 0, result.output
    assert {s["status"] for s in result.task("Stopped")["result"]["servers"]} == {"stopped"}
    assert len(result.task("Stopped")["result"]["servers"]) == 3
    (detail,) = result.task("One")["result"]["servers"]
    assert detail["id"] == target["id"] and "resource_usage" in detail and "bandwidth" in detail["plan"]
    assert result.task("Missing")["result"]["servers"] == []
    assert result.recap["localhost"]["changed"] == 0
