"""The list gate: the first pages pass, later ones wait for the test to change the account and open it."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from vps_sim.testing import SimulatorError


@pytest.fixture
def gated(clean):
    yield clean
    clean.admin("DELETE", "/_sim/list-gate")


def test_a_held_page_sees_the_change_made_while_it_waited(gated, api):
    gated.seed(30)
    gated.admin("POST", "/_sim/list-gate", {"after": 1})
    first = api.get("/servers/", params={"page_size": 10}).json()
    assert first["count"] == 30
    answers = {}
    reader = threading.Thread(target=lambda: answers.setdefault("second", api.get(first["next"].split("/v1")[1])))
    reader.start()
    deadline = time.monotonic() + 10
    while gated.admin("GET", "/_sim/list-gate")["waiting"] != 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert reader.is_alive()
    gated.seed(5, name_prefix="late")
    assert gated.admin("POST", "/_sim/list-gate/open")["armed"] is False
    reader.join(10)
    assert answers["second"].json()["count"] == 35
    # Once open, lists pass freely; other endpoints were never held.
    assert api.get("/servers/").status_code == 200


def test_a_forgotten_gate_lets_the_page_through_after_hold_seconds(gated, api):
    gated.admin("POST", "/_sim/list-gate", {"after": 0, "hold_seconds": 0.2})
    assert api.get("/servers/").status_code == 200
    assert gated.admin("GET", "/_sim/list-gate")["waiting"] == 0


@pytest.mark.parametrize("body", [{"after": -1}, {"after": "1"}, {"hold_seconds": 0}, {"hold_seconds": 10_000}, [1]])
def test_a_bad_gate_is_refused(gated, body):
    with pytest.raises(SimulatorError, match="400"):
        gated.admin("POST", "/_sim/list-gate", body)


def test_the_gate_needs_the_admin_token(gated):
    answer = requests.post(gated.url + "/_sim/list-gate", json={"after": 0}, timeout=10)
    assert answer.status_code == 403
    assert gated.admin("GET", "/_sim/list-gate") == {"armed": False}
