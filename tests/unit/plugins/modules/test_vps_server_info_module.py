"""vps_server_info with a fake client: filters on the server side and locally, by id, never a change."""

from __future__ import annotations

import pytest
from ansible.module_utils import basic
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server_info import VpsServerInfo
from fake_client import FakeClient, a_server
from module_runner import run_module

FLEET = (
    a_server(1, "web-1", location="us-west"),
    a_server(2, "web-2", status="stopped", location="us-east"),
    a_server(3, "db-1", location="us-east"),
)


def run(monkeypatch, client, **args):
    return run_module(VpsServerInfo, args, client, monkeypatch)


def test_everything_without_filters(monkeypatch):
    done = run(monkeypatch, FakeClient(*FLEET))
    assert [server["id"] for server in done.result["servers"]] == [1, 2, 3] and done.result["changed"] is False


def test_filters_go_to_the_server(monkeypatch):
    client = FakeClient(*FLEET)
    done = run(monkeypatch, client, location="us-east", status="active")
    assert [server["id"] for server in done.result["servers"]] == [3]
    assert client.calls == [("list_servers", {"status": "active", "location": "us-east"})]
    # It only reports: a list that comes back short is taken, with a warning.
    assert client.partial_ok is True


def test_name_filters_locally(monkeypatch):
    done = run(monkeypatch, FakeClient(*FLEET), name="web-2")
    assert [server["id"] for server in done.result["servers"]] == [2]


def test_by_id_reads_one_detail(monkeypatch):
    client = FakeClient(*FLEET)
    done = run(monkeypatch, client, id=2)
    assert [server["id"] for server in done.result["servers"]] == [2]
    assert client.calls == [("get_server_or_none", 2)]


def test_unknown_id_is_an_empty_list(monkeypatch):
    assert run(monkeypatch, FakeClient(*FLEET), id=9).result["servers"] == []


def test_by_id_other_filters_still_apply(monkeypatch):
    assert run(monkeypatch, FakeClient(*FLEET), id=2, status="active").result["servers"] == []


@pytest.mark.parametrize("page_concurrency", [0, -1, 65, 1000])
def test_page_concurrency_out_of_range_is_refused_before_any_request(monkeypatch, page_concurrency):
    client = FakeClient(*FLEET)
    done = run(monkeypatch, client, page_concurrency=page_concurrency)
    assert done.failed
    assert done.result["msg"] == f"page_concurrency must be between 1 and 64, got {page_concurrency}"
    assert done.result["failure"] == {"reason": "invalid_option", "option": "page_concurrency"}
    assert client.calls == []


@pytest.mark.parametrize("page_concurrency", [1, 64])
def test_page_concurrency_at_either_bound_is_used(monkeypatch, page_concurrency):
    client = FakeClient(*FLEET)
    done = run(monkeypatch, client, page_concurrency=page_concurrency)
    assert not done.failed and client.page_concurrency == page_concurrency


def test_listing_reads_pages_as_configured_and_warns_through_the_module(monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, message: warnings.append(message))
    client = FakeClient(*FLEET)
    done = run(monkeypatch, client, page_concurrency=1)
    assert not done.failed and client.page_concurrency == 1
    client.warn("a page was read twice")
    assert warnings == ["a page was read twice"]
