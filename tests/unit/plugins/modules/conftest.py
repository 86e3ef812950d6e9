"""run(module_class, check_mode=False, diff=True, **args): one task of a module against `sim` on `clock`."""

from __future__ import annotations

import pytest
from module_runner import run_module


@pytest.fixture
def run(sim, clock, monkeypatch):
    def run(module_class, check_mode=False, diff=True, http=None, **args):
        return run_module(module_class, args, sim, clock, monkeypatch, check_mode, diff, http)

    return run
