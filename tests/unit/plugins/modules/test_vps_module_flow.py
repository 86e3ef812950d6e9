"""What every module shares (base_module): options checked all at once before any request, one budget per
task that bounds every wait, the token kept out of everything, the error path and the result."""

from __future__ import annotations

import re

import pytest
from ansible.module_utils.basic import missing_required_lib
from ansible_collections.vpsorg.cloud.plugins.module_utils import base_module, contract
from ansible_collections.vpsorg.cloud.plugins.modules.vps_fleet import VpsFleet
from ansible_collections.vpsorg.cloud.plugins.modules.vps_fleet_info import VpsFleetInfo
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server import VpsServer
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server_info import VpsServerInfo
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server_power import VpsServerPower
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from module_runner import BODY, add, https_url, module_args, sent, session

# Each module with arguments that make it send requests (vps_server_power needs pw-1 in the account).
MODULES = {
    VpsServer: dict(BODY, name="web-1"),
    VpsServerPower: {"name": "pw-1", "state": "stopped"},
    VpsServerInfo: {},
    VpsFleet: {"servers": [{"name": "web-1"}], "defaults": BODY},
    VpsFleetInfo: {},
}
# A bad value for each checked option, and the sentence that refuses it.
BAD = {
    "api_token": (
        "two words",
        "api_token contains characters an HTTP header cannot carry (whitespace, control or non-ASCII characters "
        "inside the token); check how the token was stored",
    ),
    "api_url": ("ftp://x", "api_url must be an http:// or https:// URL with a host name, got 'ftp://x'"),
    "api_timeout": (0, "api_timeout must be a positive number of seconds, got 0"),
    "api_retries": (-1, "api_retries must be 0 or more, got -1"),
    "id": (0, f"id must be a positive integer no larger than {contract.MAX_ID}, got 0"),
    "name": ("web 1", "name 'web 1' is not a valid server name: use 1 to 63 letters, digits and hyphens"),
    "plan_id": (-3, f"plan_id must be a positive integer no larger than {contract.MAX_ID}, got -3"),
    "os_id": (2**31, f"os_id must be a positive integer no larger than {contract.MAX_ID}, got {2**31}"),
    "location": ("", "location must not be empty"),
    "hostname": (" h", "hostname ' h' must not have surrounding whitespace or control characters"),
    "ssh_key_id": (0, f"ssh_key_id must be a positive integer no larger than {contract.MAX_ID}, got 0"),
    "wait_timeout": (-5, "wait_timeout must be a positive number of seconds, got -5"),
    "page_concurrency": (65, "page_concurrency must be between 1 and 64, got 65"),
    "concurrency": (33, "concurrency must be between 1 and 32, got 33"),
    "poll_interval": (0.0, "poll_interval must be a positive number of seconds, got 0.0"),
}


def checked(module_class):
    """The options of a module that have a bad value above, in the order they are checked."""
    return [option for option in (*base_module.API_ARGUMENT_SPEC, *module_class.argument_spec) if option in BAD]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_bad_option_is_named_at_once_before_any_request(run, sim, data):
    module_class = data.draw(st.sampled_from(sorted(MODULES, key=lambda cls: cls.__name__)))
    options = checked(module_class)
    bad = data.draw(st.lists(st.sampled_from(options), min_size=1, unique=True))
    done = run(module_class, **dict(MODULES[module_class], **{option: BAD[option][0] for option in bad}))
    first = next(option for option in options if option in bad)
    assert done.failed and done.result["failure"] == {"reason": "invalid_option", "option": first}
    assert done.result["msg"] == "; ".join(BAD[option][1] for option in options if option in bad)
    assert sim.requests() == []


def test_the_longest_hostname_and_a_one_second_wait_are_accepted(run):
    longest = ".".join(["h" * 63] * 3 + ["h" * 61])
    done = run(VpsServer, wait=False, wait_timeout=1, hostname=longest, **MODULES[VpsServer])
    assert not done.failed, done.result["msg"]
    refused = run(VpsServer, hostname=longest + "h", **MODULES[VpsServer])
    assert refused.result["msg"] == "hostname is 254 characters long; at most 253 are allowed"


def test_a_module_needs_an_id_or_a_name(run, sim):
    done = run(VpsServer)
    assert done.failed and done.result["msg"] == "one of the following is required: id, name"


def test_plain_http_to_a_remote_host_is_warned_about(run, sim):
    assert run(VpsServerInfo).warnings == []
    assert run(VpsServerInfo, api_url=sim.api_url).warnings == [
        f"api_url {sim.api_url} uses plain HTTP to a remote host: the API token is sent unencrypted. Use https://."
    ]


@pytest.mark.parametrize("module_class", list(MODULES), ids=lambda cls: cls.__name__)
def test_the_token_is_in_no_result_warning_or_failure(run, sim, module_class):
    # An API that repeats the request's Authorization header in its errors, and a token it does not know,
    # given with the whitespace a file leaves around it.
    sim.set_modes(echo_token=True)
    token = "unknown-SECRET-token"
    done = run(module_class, api_token=f" {token}\n", **MODULES[module_class])
    assert done.failed and done.result["failure"]["status"] == 401
    shown = repr(done.result) + repr(done.warnings)
    assert "Bearer ********" in shown and token not in shown


@pytest.mark.parametrize(
    ("token", "api_url", "masked"),
    [
        ("  {token}\n", "https://x.test", True),
        ("  {token}\n", "ftp://x", True),
        (" two words ", "https://x.test", False),
    ],
)
def test_ansible_masks_the_token_as_sent_whatever_else_is_wrong(sim, token, api_url, masked):
    token = token.format(token=sim.token)
    with module_args({"api_token": token, "api_url": api_url}):
        module = VpsServerInfo(session=sim.session())
    try:
        module.check_options()
    except base_module.InvalidOption as problem:
        assert str(problem) == problem.message and problem.option in ("api_url", "api_token")
    assert (token.strip() in module.module.no_log_values) is masked


def test_connection_options_go_with_every_request(run, sim):
    seen = []
    assert not run(VpsServerInfo, http=session(sim, seen)).failed
    assert {(request["timeout"], request["verify"]) for request in seen} == {(30, True)}
    seen.clear()
    assert not run(VpsServerInfo, http=session(sim, seen), api_timeout=7, validate_certs=False).failed
    assert {(request["timeout"], request["verify"]) for request in seen} == {(7, False)}


RETRY = re.compile(r"GET /servers/ answered HTTP 503; retrying in \d+\.\d s \(retry 1 of 1\)")


def test_retries_are_api_retries_and_said_in_progress_on_success_and_on_failure(run, sim):
    sim.add_fault(kind="status", status=503, count=1)
    done = run(VpsServerInfo, api_retries=1)
    assert not done.failed and done.result["servers"] == [] and len(done.result["progress"]) == 1
    assert RETRY.fullmatch(done.result["progress"][0])
    sim.add_fault(kind="status", status=503, count=2)
    failed = run(VpsServerInfo, api_retries=1)
    assert failed.result == {
        "failed": True,
        "msg": "the VPS.org API failed with a server error (HTTP 503); try again later "
        f"(api_url {https_url(sim)}) "
        "(GET /servers/ answered HTTP 503)",
        "failure": {
            "reason": "http_error",
            "status": 503,
            "method": "GET",
            "path": "/servers/",
            "detail": None,
            "field_errors": {},
        },
        "progress": failed.result["progress"],
    }
    assert len(failed.result["progress"]) == 1 and RETRY.fullmatch(failed.result["progress"][0])
    # A failure with nothing waited for or retried has no progress.
    sim.add_fault(kind="status", status=503, count=1)
    assert "progress" not in run(VpsServerInfo, api_retries=0).result


def test_without_requests_the_module_says_which_library_is_missing(run, monkeypatch):
    monkeypatch.setattr(base_module, "HAS_REQUESTS", False)
    done = run(VpsServerInfo)
    assert done.failed and done.result["msg"] == missing_required_lib("requests")
    assert done.result["exception"] == base_module.REQUESTS_IMPORT_ERROR


# -- one budget per task: wait_timeout (or the info modules' 600 s) bounds every wait --------------------

# module, its arguments (nothing waited for after the changes), the task's bound and how errors name it
BOUNDED = [
    (VpsServer, dict(MODULES[VpsServer], wait=False, wait_timeout=10), 10, "wait_timeout (10 s)"),
    (VpsServerPower, dict(MODULES[VpsServerPower], wait=False, wait_timeout=20), 20, "wait_timeout (20 s)"),
    (VpsFleet, dict(MODULES[VpsFleet], wait=False, wait_timeout=30), 30, "wait_timeout (30 s)"),
    (VpsServerInfo, {}, 600, "the 600 s bound of this module"),
    (VpsFleetInfo, {}, 600, "the 600 s bound of this module"),
]
OUT_OF_TIME = (
    r"the pause the API asked for \(GET /servers/ answered HTTP 429 \(rate limited\) and asked: {n} s\) would take "
    r"{n} s, more than the {bound} s left of {what}; the task stops now instead: "
    r"try again after \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC"
)


@pytest.mark.parametrize(("module_class", "args", "bound", "what"), BOUNDED, ids=lambda v: getattr(v, "__name__", None))
def test_a_retry_after_longer_than_what_remains_ends_the_task_at_once(run, sim, clock, module_class, args, bound, what):
    add(sim, "pw-1")
    sim.add_fault(kind="status", status=429, retry_after=bound + 1, count=1)
    done = run(module_class, api_retries=0, **args)
    assert done.failed and done.result["failure"]["reason"] == "out_of_time" and clock.sleeps == []
    assert re.fullmatch(OUT_OF_TIME.format(n=bound + 1, bound=bound, what=re.escape(what)), done.result["msg"])
    assert sent(sim) == []
    # A Retry-After that ends with the bound is waited out once, and does not use up api_retries.
    sim.add_fault(kind="status", status=429, retry_after=bound, count=1)
    done = run(module_class, api_retries=0, **args)
    assert not done.failed and clock.sleeps == [bound]


def test_the_bound_is_the_whole_tasks_pauses_included(run, sim, clock):
    sim.add_fault(kind="status", status=429, retry_after=6, count=2)
    done = run(VpsServer, wait_timeout=10, **MODULES[VpsServer])
    assert re.fullmatch(OUT_OF_TIME.format(n=6, bound=4, what=r"wait_timeout \(10 s\)"), done.result["msg"])
    assert clock.sleeps == [6] and sim.servers() == []


def test_a_wait_ends_with_the_tasks_bound_naming_the_last_status(run, sim):
    done = run(VpsServer, wait_timeout=2, **MODULES[VpsServer])
    assert done.failed and done.result["failure"]["reason"] == "wait_timeout"
    assert done.result["msg"] == (
        "timed out after 2 s waiting for server 'web-1' (id 10001) to become active; last status: provisioning"
    )
