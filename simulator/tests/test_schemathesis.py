"""openapi.yaml against the running simulator: schemathesis finds no server error and no contract deviation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from vps_sim.testing import Simulator

ROOT = Path(__file__).resolve().parents[1]
SEED = "20261127"


def schemathesis_command() -> list[str]:
    cli = shutil.which("schemathesis", path=os.path.dirname(sys.executable))
    if cli is None:
        pytest.fail("schemathesis is not installed next to this Python (see requirements/dev.txt)")
    return [cli]


def test_openapi_contract_holds_against_the_simulator(tmp_path):
    # A large balance and no delays let every generated create and action reach the real code paths.
    with Simulator(balance=1e9) as sim:
        command = [
            *schemathesis_command(),
            "--config-file",
            str(ROOT / "schemathesis.toml"),
            "run",
            str(ROOT / "openapi.yaml"),
            "--url",
            sim.api_url,
            "--header",
            f"Authorization: Bearer {sim.token}",
            "--checks",
            "all",
            "--max-examples",
            "30",
            "--workers",
            "1",
            "--seed",
            SEED,
            "--request-timeout",
            "10",
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=tmp_path, check=False)
        log = sim.requests()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "generated" in output and " passed" in output
    assert len(log) > 300, "schemathesis sent too few requests to mean anything"
    assert not [entry for entry in log if entry["status"] is not None and entry["status"] >= 500]
    assert sim.token not in output
