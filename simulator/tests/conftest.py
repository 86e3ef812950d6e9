"""Fixtures: one real simulator process per test module, reset before each test.

Other suites can copy this pattern; nothing here is a pytest plugin.
"""

from __future__ import annotations

import pytest
import requests
from vps_sim.testing import Simulator

OTHER_TOKEN = "second-account-token"


class Api:
    """Minimal client for the public API of one account."""

    def __init__(self, sim: Simulator, token: str):
        self.base = sim.api_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", 10)
        return self.session.request(method, self.base + path, **kw)

    def get(self, path: str, **kw):
        return self.call("GET", path, **kw)

    def post(self, path: str, **kw):
        return self.call("POST", path, **kw)

    def create(self, name: str = "web-01", **fields) -> dict:
        body = {"name": name, "plan_id": 1, "os_id": 5, "location": "us-west", **fields}
        response = self.post("/servers/", json=body)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture(scope="module")
def sim():
    with Simulator(tokens=["vps-demo-token", OTHER_TOKEN]) as simulator:
        yield simulator


@pytest.fixture
def clean(sim):
    sim.reset()
    return sim


@pytest.fixture
def api(clean):
    return Api(clean, clean.token)


@pytest.fixture
def other_api(clean):
    return Api(clean, OTHER_TOKEN)
