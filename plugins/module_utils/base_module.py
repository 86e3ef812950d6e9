# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow every module shares: common options, checks before any request, the client, lookup,
the error path (`msg` plus a structured `failure`) and the result.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.budget import DEFAULT_BOUND, Budget
from ansible_collections.vpsorg.cloud.plugins.module_utils.client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    VpsClient,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.options import insecure_url_warning, option_problems
from ansible_collections.vpsorg.cloud.plugins.module_utils.server_state import documented

API_ARGUMENT_SPEC = {
    "api_token": {
        "type": "str",
        "required": True,
        "no_log": True,
        "fallback": (env_fallback, ["VPS_API_TOKEN"]),
    },
    "api_url": {
        "type": "str",
        "default": contract.DEFAULT_API_URL,
        "fallback": (env_fallback, ["VPS_API_URL"]),
    },
    "validate_certs": {"type": "bool", "default": True},
    "api_timeout": {"type": "int", "default": 30},
    "api_retries": {"type": "int", "default": 5},
}

SERVER_SELECTOR_SPEC = {
    "id": {"type": "int"},
    "name": {"type": "str"},
}

WAIT_SPEC = {
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 600},
}

# Servers worked on at a time by the fleet modules: enough to overlap the round trips of a large
# fleet, few enough to stay well inside an account's rate limit and the controller's CPU.
DEFAULT_CONCURRENCY = 8


class InvalidOption(Exception):
    """A value refused before any request; names the option."""

    def __init__(self, option, message):
        super().__init__(message)
        self.option = option
        self.message = message


class VpsModule:
    """Base of every module: subclasses declare argument_spec and implement run().

    The client is built from the task's arguments, only after every check has passed. Unit tests
    give the HTTP session (the simulator in their process) and the clock its budget runs on.
    """

    argument_spec = {}
    module_kwargs = {}
    # Requests in flight when the task starts (budget.py: it grows while the API takes them).
    start_concurrency = 1

    def __init__(self, module=None, session=None, clock=None):
        self.module = module or AnsibleModule(
            argument_spec=dict(API_ARGUMENT_SPEC, **self.argument_spec),
            supports_check_mode=True,
            **self.module_kwargs,
        )
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.result = {"changed": False}
        self.progress = []
        self._client = None
        self._session = session
        self._time = {} if clock is None else {"clock": clock, "sleep": clock.sleep}

    # -- checks before any request --------------------------------------------------------

    def check_options(self):
        """Every problem with the connection options, this module's own and validate()'s, all at once."""
        params = self.params
        problems = option_problems(params, [*API_ARGUMENT_SPEC, *self.argument_spec])
        if not any(option == "api_token" for option, _sentence in problems):
            # no_log masks the value as given; the stripped form is what the client sends.
            self.module.no_log_values.add(params["api_token"].strip())
        problems += self.validate()
        if problems:
            raise InvalidOption(problems[0][0], "; ".join(sentence for _option, sentence in problems))

    def validate(self):
        """Module-specific checks that need no request: (option, sentence) pairs."""
        return []

    # -- flow -----------------------------------------------------------------------------

    def budget(self):
        """The task's request budget: wait_timeout bounds the whole task, where the module has one."""
        timeout = self.params.get("wait_timeout")
        what = f"the {DEFAULT_BOUND} s bound of this module" if timeout is None else f"wait_timeout ({timeout} s)"
        return Budget(timeout or DEFAULT_BOUND, what, start=self.start_concurrency, **self._time)

    @property
    def client(self):
        if self._client is None:
            if not HAS_REQUESTS:
                self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
            self._client = VpsClient(
                self.params["api_url"],
                self.params["api_token"],
                budget=self.budget(),
                session=self._session,
                validate_certs=self.params["validate_certs"],
                timeout=self.params["api_timeout"],
                retries=self.params["api_retries"],
                log=self.progress.append,
            )
        return self._client

    def fail(self, msg, failure):
        extra = {"failure": failure}
        if self.progress:
            extra["progress"] = self.progress
        self.module.fail_json(msg=msg, **extra)

    def execute(self):
        warning = insecure_url_warning(self.params["api_url"])
        if warning:
            self.module.warn(warning)
        try:
            self.check_options()
            self.run()
        except InvalidOption as exc:
            self.fail(exc.message, {"reason": "invalid_option", "option": exc.option})
        except VpsApiError as exc:
            self.fail(str(exc), exc.failure())
        if self.progress:
            self.result["progress"] = self.progress
        self.module.exit_json(**self.documented(self.result))

    @staticmethod
    def documented(result):
        """Servers in a result carry the documented fields only (one interface for every module)."""
        if result.get("server"):
            result["server"] = documented(result["server"])
        if "servers" in result:
            result["servers"] = [documented(server) for server in result["servers"]]
        return result

    def run(self):
        raise NotImplementedError

    # -- shared lookup --------------------------------------------------------------------

    def find_server(self):
        """(the server chosen by `id` or by unique `name` in detail form, or None; the listing or None).

        The listing is what a create decides on: its ids are the servers that were there before.
        """
        if self.params.get("id") is not None:
            return self.client.get_server_or_none(self.params["id"]), None
        name = self.params["name"]
        listed = self.client.list_servers()
        matches = [server for server in listed if server["name"] == name]
        if len(matches) > 1:
            ids = ", ".join(str(s["id"]) for s in matches)
            raise VpsApiError(
                f"{len(matches)} servers are named {name!r} (ids {ids}); use id to choose one", reason="ambiguous_name"
            )
        return (self.client.get_server(matches[0]["id"]) if matches else None), listed

    @staticmethod
    def label(server):
        return "server {!r} (id {})".format(server.get("name"), server.get("id"))

    def wait_until_settled(self, server):
        """Let a transitional status pass; returns the settled server."""
        if server.get("status") not in contract.TRANSITIONAL_STATUSES:
            return server
        return self.client.wait_for_status(server["id"], contract.SETTLED_STATUSES, self.label(server))
