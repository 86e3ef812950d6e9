"""client.py: the one client, composed of the transport, the budget, the listing, the servers and the waits; what
it adds is only that every part shares the task's budget and the caller's options."""

from __future__ import annotations

from pathlib import Path

import yaml
from ansible_collections.vpsorg.cloud.plugins.module_utils import client as client_module
from ansible_collections.vpsorg.cloud.plugins.module_utils.budget import DEFAULT_BOUND
from ansible_collections.vpsorg.cloud.plugins.module_utils.client import VpsClient
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.version import COLLECTION_VERSION


def test_the_collection_version_is_galaxy_ymls():
    galaxy = yaml.safe_load((Path(__file__).resolve().parents[4] / "galaxy.yml").read_text())
    assert galaxy["version"] == COLLECTION_VERSION and client_module.HAS_REQUESTS is True


def test_jobs_run_at_once_get_the_client_and_share_its_budget(sim, make_client):
    sim.seed(3)
    client = make_client(start=3)
    jobs = [(n, lambda worker, n=n: (worker is client, worker.get_server(n)["id"])) for n in (10001, 10002, 10003, 9)]
    outcomes = client.run_all(jobs)
    assert [outcomes[n] for n in (10001, 10002, 10003)] == [((True, n), None) for n in (10001, 10002, 10003)]
    assert isinstance(outcomes[9][1], VpsApiError) and outcomes[9][1].status == 404
    assert client.request_count == client.budget.requests == 4 == len(sim.requests())


def test_the_listing_has_the_callers_page_concurrency_and_partial_answers(sim, make_client):
    sim.seed(30)
    sim.short_list(kind="empty", from_page=3)
    warned, logged = [], []
    client = make_client(page_concurrency=1, on_partial=warned.append, log=logged.append)
    assert len(client.list_servers(page_size=10)) == 20 and len(warned) == 1
    assert client.page_concurrency == 1 and make_client().page_concurrency == 16
    client.log(f"logged with {sim.token}")
    assert logged[-1] == "logged with ********" and client.scrub(f"<{sim.token}>") == "<********>"


def test_a_client_without_a_budget_of_its_own_has_each_wait_bounded(sim):
    client = VpsClient(sim.api_url, sim.token, session=sim.session())
    assert client.budget.deadline is None and client.budget.remaining() == DEFAULT_BOUND
    assert client.api_url == sim.api_url and client.list_servers() == []
