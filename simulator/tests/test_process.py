"""The simulator as a process: CLI announcement, ready file, clean stop, and state kept across restarts."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import requests
from vps_sim.testing import Simulator


def test_restart_with_a_file_database_keeps_servers_and_balances(tmp_path):
    db = str(tmp_path / "sim.sqlite3")
    with Simulator(db=db) as sim:
        headers = {"Authorization": f"Bearer {sim.token}"}
        body = {"name": "keeper", "plan_id": 2, "os_id": 3, "location": "us-east"}
        created = requests.post(f"{sim.api_url}/servers/", json=body, headers=headers, timeout=10).json()
        sim.seed(10)
        url = sim.api_url
        sim.stop()
        assert sim.process is None
        sim.start()
        assert sim.api_url == url
        again = requests.get(f"{sim.api_url}/servers/{created['id']}/", headers=headers, timeout=10)
        assert again.status_code == 200 and again.json()["name"] == "keeper"
        assert again.json()["status"] == "active"
        assert len(sim.servers()) == 11
        assert sim.accounts()[0]["balance"] == 10_000.0 - 24.0
        follow_up = requests.post(f"{sim.api_url}/servers/", json=body, headers=headers, timeout=10).json()
        assert follow_up["id"] > created["id"] + 10


def test_memory_database_starts_empty_after_restart():
    with Simulator() as sim:
        sim.seed(3)
        sim.stop()
        sim.start()
        assert sim.servers() == []


def test_cli_prints_url_and_tokens_writes_ready_file_and_stops_on_sigterm(tmp_path):
    ready = tmp_path / "ready.json"
    cmd = [sys.executable, "-m", "vps_sim.cli", "--port", "0", "--token", "t-one", "--token", "t-two"]
    cmd += ["--admin-token", "adm", "--ready-file", str(ready)]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline().strip()
        assert first.startswith("VPS.org API simulator listening on http://127.0.0.1:")
        assert first.endswith("/api/v1")
        assert process.stdout.readline().strip() == "token: t-one"
        assert process.stdout.readline().strip() == "token: t-two"
        info = json.loads(ready.read_text())
        assert info["api_url"] == first.rsplit(" ", 1)[1]
        assert info["tokens"] == ["t-one", "t-two"] and info["admin_token"] == "adm"
        response = requests.get(info["api_url"] + "/servers/", headers={"Authorization": "Bearer t-two"}, timeout=5)
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_cli_rejects_negative_delays():
    result = subprocess.run(
        [sys.executable, "-m", "vps_sim.cli", "--provision-delay", "-1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2 and "must be >= 0" in result.stderr


def test_default_demo_token_and_page_size_cap(tmp_path):
    with Simulator(tokens=None, page_size_max=5) as sim:
        assert sim.token == "vps-demo-token"
        sim.seed(12)
        headers = {"Authorization": "Bearer vps-demo-token"}
        body = requests.get(f"{sim.api_url}/servers/?page_size=50", headers=headers, timeout=10).json()
        assert len(body["results"]) == 5
        assert requests.get(f"{sim.api_url}/servers/", headers=headers, timeout=10).json()["next"].endswith("page=2")
