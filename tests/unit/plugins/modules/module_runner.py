"""Run a module in-process against the simulator of the test process (tests/unit/conftest.py: sim, clock).

AnsibleModule reads its arguments from a process-global; ansible-core 2.19 offers
patch_module_args for that, older versions only the raw global, so both are handled here.
The simulator is reached at https:// (the same application), so only a test that asks for
plain HTTP sees the warning about it.
"""

from __future__ import annotations

import contextlib
import json
import threading

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

BODY = {"plan_id": 1, "os_id": 5, "location": "us-west"}


class ModuleExit(Exception):
    def __init__(self, result, failed, warnings):
        super().__init__(result)
        self.result = result
        self.failed = failed
        self.warnings = warnings


@contextlib.contextmanager
def module_args(args):
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core < 2.19
        patch_module_args = None
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved


def https_url(sim):
    return sim.api_url.replace("http://", "https://", 1)


def session(sim, seen=None, before=None):
    """A requests session to the simulator, at its http:// and https:// URL alike.

    seen: a list that gets, for each request, what it was sent with (method, url, timeout, verify,
    thread); before(method, url): called as each request leaves, for a person acting at that moment.
    """
    http = sim.session()
    http.mount(https_url(sim).split("/api/")[0], http.get_adapter(sim.api_url))
    send = http.request

    def request(method, url, **kwargs):
        if seen is not None:
            seen.append(dict(kwargs, method=method, url=url, thread=threading.current_thread().name))
        if before is not None:
            before(method, url)
        return send(method, url, **kwargs)

    http.request = request
    return http


def run_module(module_class, args, sim, clock, monkeypatch, check_mode=False, diff=False, http=None):
    """The module's exit (.result, .failed, .warnings) after one execute() against `sim` on `clock`."""
    warnings = []

    def exit_json(self, **result):
        raise ModuleExit(result, False, warnings)

    def fail_json(self, msg, **result):
        raise ModuleExit(dict(result, msg=msg, failed=True), True, warnings)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, message: warnings.append(message))
    full = dict({"api_token": sim.token, "api_url": https_url(sim)}, **args)
    full["_ansible_check_mode"] = check_mode
    full["_ansible_diff"] = diff
    with module_args(full):
        # ansible-core itself may fail the module while it is made (argument checks, invocation logging).
        try:
            module_class(session=http or session(sim), clock=clock).execute()
        except ModuleExit as done:
            return done
    raise AssertionError("the module neither exited nor failed")


# -- the account as a person left it, and what the module sent ---------------------------------


def add(sim, name, status="active", **fields):
    """A server a person created through the API (plan 1, OS 5, us-west unless given), now in `status`.

    Returns its id; the request log is cleared, so sim.requests() shows the module's requests only.
    """
    http, headers = sim.session(), {"Authorization": f"Bearer {sim.token}"}

    def post(path, body=None):
        answer = http.post(sim.api_url + path, json=body, headers=headers)
        assert answer.status_code < 300, answer.text
        return answer.json()

    server_id = post("/servers/", dict(BODY, name=name, **fields))["id"]
    if status != "provisioning":
        sim.settle(server_id)
    if status in ("stopping", "stopped", "starting"):
        post(f"/servers/{server_id}/stop/")
    if status in ("stopped", "starting"):
        sim.settle(server_id)
    if status in ("starting", "rebooting"):
        post(f"/servers/{server_id}/{'start' if status == 'starting' else 'reboot'}/")
    if status == "suspended":
        sim.suspend(server_id)
    sim.clear_requests()
    return server_id


def sent(sim, changing=True):
    """(method, path below api_url) of each request the API received; only those that change something by default."""
    return [
        (entry["method"], entry["path"].removeprefix("/api/v1"))
        for entry in sim.requests()
        if not changing or entry["method"] != "GET"
    ]


def named(sim, name):
    """The servers of that name in the account, oldest first."""
    return sorted((server for server in sim.servers() if server["name"] == name), key=lambda server: server["id"])
