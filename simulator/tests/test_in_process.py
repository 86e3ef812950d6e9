"""The simulator in the test process answers as the vps-sim process does, on a clock the test moves."""

from __future__ import annotations

import pytest
import requests
from vps_sim.in_process import FakeClock, InProcessSimulator
from vps_sim.testing import Simulator

BODY = {"name": "web-1", "plan_id": 1, "os_id": 5, "location": "us-west"}


def script(sim, session):
    """The same requests for both: (status, body without times) of each answer."""
    headers = {"Authorization": f"Bearer {sim.token}"}
    sim.seed(3)
    answers = []
    for method, path, body in (
        ("GET", "/servers/?page_size=2", None),
        ("GET", "/servers/?page_size=2&page=last", None),
        ("POST", "/servers/", BODY),
        ("POST", "/servers/", {"name": "bad name"}),
        ("GET", "/servers/99/", None),
        ("POST", "/servers/10001/start/", None),
    ):
        response = session.request(method, sim.api_url + path, json=body, headers=headers)
        payload = response.json()
        if isinstance(payload, dict):
            for key in ("created_at", "updated_at", "next", "previous"):
                payload.pop(key, None)
            for item in payload.get("results", []):
                item.pop("created_at", None)
                item.pop("updated_at", None)
        answers.append((response.status_code, payload))
    return answers


def test_it_answers_as_the_process_does():
    with Simulator() as process, InProcessSimulator() as in_process:
        assert script(in_process, in_process.session()) == script(process, requests.Session())


def test_provisioning_follows_the_fake_clock():
    clock = FakeClock()
    with InProcessSimulator(clock=clock, provision_delay=3) as sim:
        headers = {"Authorization": f"Bearer {sim.token}"}
        session = sim.session()
        created = session.post(sim.api_url + "/servers/", json=BODY, headers=headers).json()
        path = f"{sim.api_url}/servers/{created['id']}/"
        assert session.get(path, headers=headers).json()["status"] == "provisioning"
        clock.sleep(2.9)
        assert session.get(path, headers=headers).json()["status"] == "provisioning"
        clock.sleep(0.2)
        assert session.get(path, headers=headers).json()["status"] == "active"


def test_a_dropped_answer_is_a_connection_error_after_the_api_applied_it():
    with InProcessSimulator() as sim:
        sim.add_fault(kind="drop_after_commit", method="POST", count=1)
        with pytest.raises(requests.exceptions.ConnectionError):
            sim.session().post(sim.api_url + "/servers/", json=BODY, headers={"Authorization": f"Bearer {sim.token}"})
        assert [server["name"] for server in sim.servers()] == ["web-1"]


def test_the_rate_limit_refills_on_the_fake_clock():
    clock = FakeClock()
    with InProcessSimulator(clock=clock, rate_limit=1, rate_burst=1) as sim:
        session, headers = sim.session(), {"Authorization": f"Bearer {sim.token}"}
        assert session.get(sim.api_url + "/servers/", headers=headers).status_code == 200
        refused = session.get(sim.api_url + "/servers/", headers=headers)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        clock.sleep(1)
        assert session.get(sim.api_url + "/servers/", headers=headers).status_code == 200
