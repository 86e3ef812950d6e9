"""The flow every module shares: warnings, the token kept out of output, progress, documented servers."""

from __future__ import annotations

import pytest
from ansible.module_utils import basic
from ansible_collections.vpsorg.cloud.plugins.module_utils import base_module
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server import VpsServer
from fake_client import FakeClient, a_server
from module_runner import TOKEN, module_args, run_module


def settle(result, outcome):
    """The module's run ends with the given outcome: a result to add, or an exception to raise."""
    if isinstance(outcome, Exception):
        raise outcome
    result.update(outcome)


class Flow(base_module.VpsModule):
    """A module that reports what it waited for and returns the given result, or fails."""

    argument_spec = dict(base_module.WAIT_SPEC, hostname={"type": "str"})
    outcome = {}

    def run(self):
        self.progress.append("waited 2 s for server 7")
        settle(self.result, self.outcome)


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, message: seen.append(message))
    return seen


def flow(monkeypatch, outcome, **args):
    monkeypatch.setattr(Flow, "outcome", outcome)
    return run_module(Flow, args, FakeClient(), monkeypatch)


def test_plain_http_to_a_remote_host_is_warned_about(monkeypatch, warnings):
    flow(monkeypatch, {}, api_url="http://api.example.com/api/v1/")
    assert warnings == [
        "api_url http://api.example.com/api/v1 uses plain HTTP to a remote host: the API token is sent unencrypted. "
        "Use https://."
    ]


def test_https_is_not_warned_about(monkeypatch, warnings):
    flow(monkeypatch, {})
    assert warnings == []


def test_progress_is_returned_on_success_and_on_failure(monkeypatch):
    done = flow(monkeypatch, {"changed": True})
    assert done.result["progress"] == ["waited 2 s for server 7"] and done.result["changed"] is True
    failed = flow(monkeypatch, VpsApiError("server 7 settled as stopped", reason="unexpected_status"))
    assert failed.failed and failed.result["msg"] == "server 7 settled as stopped"
    assert failed.result["progress"] == ["waited 2 s for server 7"]
    assert failed.result["failure"]["reason"] == "unexpected_status"


def test_the_token_as_sent_is_masked_even_when_given_with_whitespace():
    with module_args({"api_token": f"  {TOKEN}\n", "api_url": "https://api.test/api/v1"}):
        module = Flow(client=FakeClient())
    module.validate_connection()
    assert TOKEN in module.module.no_log_values


def test_servers_in_a_result_carry_the_documented_fields_only(monkeypatch):
    server = a_server(7, "web-1", internal_flag=True)
    done = flow(monkeypatch, {"server": server, "servers": [server, a_server(8, "web-2", secret_key=1)]})
    assert done.result["server"]["id"] == 7 and "internal_flag" not in done.result["server"]
    assert [s["id"] for s in done.result["servers"]] == [7, 8]
    assert all("internal_flag" not in s and "secret_key" not in s for s in done.result["servers"])


@pytest.mark.parametrize(
    ("args", "option", "msg"),
    [
        ({"hostname": "h" * 254}, "hostname", "hostname is 254 characters long; at most 253 are allowed"),
        (
            {"api_url": "ftp://x", "api_timeout": 0},
            "api_url",
            None,
        ),
    ],
)
def test_problems_name_the_option(monkeypatch, args, option, msg):
    done = flow(monkeypatch, {}, **args)
    assert done.failed and done.result["failure"] == {"reason": "invalid_option", "option": option}
    if msg:
        assert done.result["msg"] == msg
    else:
        assert "; api_timeout " in done.result["msg"] and done.result["msg"].startswith("api_url ")


def test_hostname_of_the_longest_length_and_a_one_second_wait_are_accepted(monkeypatch):
    done = flow(monkeypatch, {}, hostname="h" * 253, wait_timeout=1)
    assert not done.failed, done.result.get("msg")


def test_a_module_needs_an_id_or_a_name(monkeypatch):
    refused = run_module(VpsServer, {}, FakeClient(), monkeypatch)
    assert refused.failed and refused.result["msg"] == "one of the following is required: id, name"


def test_invalid_option_reads_as_its_sentence():
    problem = base_module.InvalidOption("plan_id", "plan_id must be a positive integer")
    assert str(problem) == "plan_id must be a positive integer" and problem.option == "plan_id"
