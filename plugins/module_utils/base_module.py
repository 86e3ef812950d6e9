# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow every module shares: common options, the client, lookup, errors, waiting, the result."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    VpsClient,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.connection import connection_problems, insecure_url_warning
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError

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


class VpsModule:
    """Base of every module: subclasses implement run() and fill self.result."""

    argument_spec = {}
    module_kwargs = {}

    def __init__(self):
        spec = dict(API_ARGUMENT_SPEC)
        spec.update(self.argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **self.module_kwargs)
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        self.params = self.module.params
        self.result = {"changed": False}
        self.progress = []
        warning = insecure_url_warning(self.params["api_url"])
        if warning:
            self.module.warn(warning)
        self.validate_common()
        self.validate()
        self.client = VpsClient(
            self.params["api_url"],
            self.params["api_token"],
            validate_certs=self.params["validate_certs"],
            timeout=self.params["api_timeout"],
            retries=self.params["api_retries"],
            log=self._progress,
        )

    # -- validation before any request ----------------------------------------------------

    def fail(self, msg, **extra):
        if self.progress:
            extra.setdefault("progress", self.progress)
        self.module.fail_json(msg=msg, **extra)

    def validate_common(self):
        problems = connection_problems(self.params["api_url"], self.params["api_timeout"], self.params["api_retries"])
        if problems:
            self.fail("; ".join(problems))
        if not self.params["api_token"].strip():
            self.fail("api_token must not be empty")
        for option in ("id", "plan_id", "os_id", "ssh_key_id"):
            self.validate_id(option)
        if self.params.get("wait_timeout") is not None and self.params["wait_timeout"] <= 0:
            self.fail("wait_timeout must be a positive number of seconds, got {}".format(self.params["wait_timeout"]))

    def validate_id(self, option):
        value = self.params.get(option)
        if value is not None and not 1 <= value <= contract.MAX_ID:
            self.fail(f"{option} must be a positive integer no larger than {contract.MAX_ID}, got {value}")

    def validate_name(self, option="name"):
        value = self.params.get(option)
        if value is not None and not contract.NAME_PATTERN.match(value):
            self.fail(f"{option} {value!r} is not a valid server name: use 1 to 63 letters, digits and hyphens")

    def validate(self):
        """Module-specific checks that need no request."""

    # -- flow ---------------------------------------------------------------------------

    def _progress(self, message):
        # Only kept at -v and above: the messages explain waits and retries.
        if self.module._verbosity >= 1:
            self.progress.append(message)

    def execute(self):
        try:
            self.run()
        except VpsApiError as exc:
            self.fail(str(exc), status_code=exc.status)
        if self.progress:
            self.result["progress"] = self.progress
        self.module.exit_json(**self.result)

    def run(self):
        raise NotImplementedError

    # -- shared lookup --------------------------------------------------------------------

    def find_server(self):
        """The server chosen by `id` or by unique `name`, in detail form, or None."""
        if self.params.get("id") is not None:
            return self.client.get_server_or_none(self.params["id"])
        name = self.params["name"]
        matches = [server for server in self.client.list_servers() if server.get("name") == name]
        if len(matches) > 1:
            self.fail(
                f"{len(matches)} servers are named {name!r} (ids {', '.join(str(s['id']) for s in matches)}); "
                "use id to choose one"
            )
        return self.client.get_server(matches[0]["id"]) if matches else None

    @staticmethod
    def label(server):
        return "server {!r} (id {})".format(server.get("name"), server.get("id"))

    def wait_until_settled(self, server):
        """Let a transitional status pass; returns the settled server."""
        if server.get("status") not in contract.TRANSITIONAL_STATUSES:
            return server
        return self.client.wait_until_settled(server["id"], self.params["wait_timeout"], self.label(server))
