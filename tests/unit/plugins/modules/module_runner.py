"""Run a module's flow in-process with given arguments and an injected fake client.

AnsibleModule reads its arguments from a process-global; ansible-core 2.19 offers
patch_module_args for that, older versions only the raw global, so both are handled here.
"""

from __future__ import annotations

import contextlib
import json

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

TOKEN = "unit-SECRET-token"


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super().__init__(result)
        self.result = result
        self.failed = failed


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


def run_module(module_class, args, sim, clock, monkeypatch, check_mode=False, diff=False):
    """The module's result dict (ModuleExit.failed tells failure), after one execute() against `sim` on `clock`."""

    def exit_json(self, **result):
        raise ModuleExit(result, failed=False)

    def fail_json(self, msg, **result):
        raise ModuleExit(dict(result, msg=msg, failed=True), failed=True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    full = dict({"api_token": sim.token, "api_url": sim.api_url}, **args)
    full["_ansible_check_mode"] = check_mode
    full["_ansible_diff"] = diff
    with module_args(full):
        # ansible-core itself may fail the module while it is made (argument checks, invocation logging).
        try:
            module_class(session=sim.session(), clock=clock).execute()
        except ModuleExit as done:
            return done
    raise AssertionError("the module neither exited nor failed")
