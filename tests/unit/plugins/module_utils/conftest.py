"""What the module_utils tests share beside tests/unit/conftest.py (`sim`, `clock`, `make_client`, `client`).

- `person`: someone else using the account through the public API, between the client's requests.
- `on_answer`: run a person's act right after the client got a given answer, before it reads it.
- `sent`: what the client sent, as the simulator logged it (the person's requests left out).
- `foreign`: an api_url where something answers that the real API never gives (a proxy's page, garbled
  JSON, a redirect, a link to another host, a lost connection before any byte was sent), made with
  `responses`; everything else runs on the simulator.
"""

from __future__ import annotations

import itertools
import random
import re
import types

import pytest
import responses
from ansible_collections.vpsorg.cloud.plugins.module_utils.client import Budget, VpsClient

PERSON = "a-person"
FOREIGN = "https://api.test/api/v1"
FOREIGN_TOKEN = "foreign-SECRET-token"


@pytest.fixture
def person(sim):
    """person(method, path, json=None): one request of someone else in the account; returns the answer's JSON."""
    session = sim.session()
    headers = {"Authorization": f"Bearer {sim.token}", "User-Agent": PERSON}

    def act(method, path, json=None):
        answer = session.request(method, sim.api_url + path, json=json, headers=headers)
        return answer.json() if answer.content else None

    return act


@pytest.fixture
def on_answer():
    """on_answer(client, method, path_regex, act, nth=1): act() right after the nth matching answer arrives."""

    def arm(client, method, pattern, act, nth=1):
        seen = itertools.count(1)

        def hook(response, *args, **kwargs):
            request = response.request
            if request.method == method and re.search(pattern, request.path_url) and next(seen) == nth:
                act()

        client.http._shared_session.hooks["response"].append(hook)

    return arm


@pytest.fixture
def sent(sim):
    """sent(): 'METHOD path?query' of each request of the client (not the person's), in order."""

    def requests():
        return [
            f"{r['method']} {r['path'][len('/api/v1') :]}" + (f"?{r['query']}" if r["query"] else "")
            for r in sim.requests()
            if r["user_agent"] != PERSON
        ]

    return requests


@pytest.fixture
def client_at(sim, clock):
    """client_at(api_url, token=None, **options): the real VpsClient on the simulator at another api_url or token."""

    def make(api_url, token=None, **options):
        budget = Budget(600, "wait_timeout (600 s)", clock=clock, sleep=clock.sleep)
        return VpsClient(api_url, token or sim.token, budget=budget, session=sim.session(), **options)

    return make


@pytest.fixture
def foreign(clock):
    """.mock (responses), .url, .token, .make(**options): a VpsClient at .url, retries 2 and a seeded jitter."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:

        def make(bound=600, token=FOREIGN_TOKEN, start=1, **options):
            budget = Budget(bound, f"wait_timeout ({bound} s)", start=start, clock=clock, sleep=clock.sleep)
            options = {"retries": 2, "rng": random.Random(3), **options}
            return VpsClient(options.pop("api_url", FOREIGN), token, budget=budget, **options)

        yield types.SimpleNamespace(mock=mock, url=FOREIGN, token=FOREIGN_TOKEN, make=make)
