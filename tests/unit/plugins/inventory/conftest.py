"""Fixtures of the inventory plugin's unit tests: run (inventory_runner.Run), cached, extra_vars."""

from __future__ import annotations

import pytest
from inventory_runner import Run
from module_runner import https_url


@pytest.fixture
def run(tmp_path, sim, clock, monkeypatch):
    monkeypatch.setenv("VPS_API_TOKEN", sim.token)
    monkeypatch.setenv("VPS_API_URL", https_url(sim))
    return Run(tmp_path, sim, clock)


@pytest.fixture
def cached(tmp_path):
    return {"cache": True, "cache_plugin": "jsonfile", "cache_connection": str(tmp_path / "cache")}


@pytest.fixture
def extra_vars(monkeypatch):
    values = {}
    monkeypatch.setattr("ansible.plugins.inventory.load_extra_vars", lambda loader: dict(values))
    return values
