# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow every module shares: common options, checks before any request, the client, lookup,
the error path (`msg` plus a structured `failure`) and the result.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible_collections.vpsorg.cloud.plugins.module_utils import contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    VpsClient,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.connection import (
    connection_problems,
    insecure_url_warning,
    token_problem,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
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

# reading: an FQDN is at most 253 characters.
MAX_HOSTNAME_LENGTH = 253


class InvalidOption(Exception):
    """A value refused before any request; names the option."""

    def __init__(self, option, message):
        super().__init__(message)
        self.option = option
        self.message = message


def id_problem(option, value):
    if value is not None and not 1 <= value <= contract.MAX_ID:
        return f"{option} must be a positive integer no larger than {contract.MAX_ID}, got {value}"
    return None


def name_problem(option, value):
    if value is not None and not contract.NAME_PATTERN.fullmatch(value):
        return f"{option} {value!r} is not a valid server name: use 1 to 63 letters, digits and hyphens"
    return None


def text_problem(option, value, max_length=None):
    """Hostnames and locations travel in JSON bodies and query strings: no control characters."""
    if value is None:
        return None
    if not value.strip():
        return f"{option} must not be empty"
    if value != value.strip() or not contract.TEXT_FIELD_PATTERN.fullmatch(value):
        return f"{option} {value!r} must not have surrounding whitespace or control characters"
    if max_length and len(value) > max_length:
        return f"{option} is {len(value)} characters long; at most {max_length} are allowed"
    return None


def option_problems(params, spec):
    """Checks that need no request, for the options this module has: (option, sentence) pairs."""
    problems = []
    for option in spec:
        value = params.get(option)
        if option == "id" or option.endswith("_id"):
            problems.append((option, id_problem(option, value)))
        elif option == "name":
            problems.append((option, name_problem(option, value)))
        elif option == "hostname":
            problems.append((option, text_problem(option, value, MAX_HOSTNAME_LENGTH)))
        elif option == "location":
            problems.append((option, text_problem(option, value)))
        elif option == "wait_timeout" and value is not None and value <= 0:
            problems.append((option, f"wait_timeout must be a positive number of seconds, got {value}"))
    return [(option, problem) for option, problem in problems if problem]


class VpsModule:
    """Base of every module: subclasses declare argument_spec and implement run().

    The module and the client can be given (unit tests pass a fake client); otherwise they are
    built from the task's arguments, the client only after every check has passed.
    """

    argument_spec = {}
    module_kwargs = {}

    def __init__(self, module=None, client=None):
        self.module = module or AnsibleModule(
            argument_spec=dict(API_ARGUMENT_SPEC, **self.argument_spec),
            supports_check_mode=True,
            **self.module_kwargs,
        )
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.result = {"changed": False}
        self.progress = []
        self._client = client

    # -- checks before any request --------------------------------------------------------

    def validate_connection(self):
        """Every problem with the connection options and this module's own, all at once."""
        params = self.params
        problems = []
        token = token_problem(params["api_token"])
        if token:
            problems.append(("api_token", token))
        else:
            # no_log masks the value as given; the stripped form is what the client sends.
            self.module.no_log_values.add(params["api_token"].strip())
        # Each sentence starts with the name of the option it is about.
        connection = connection_problems(params["api_url"], params["api_timeout"], params["api_retries"])
        problems += [(sentence.split(" ", 1)[0], sentence) for sentence in connection]
        problems += option_problems(params, self.argument_spec)
        if problems:
            raise InvalidOption(problems[0][0], "; ".join(sentence for _option, sentence in problems))

    def validate(self):
        """Module-specific checks that need no request; raise InvalidOption."""

    # -- flow -----------------------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            if not HAS_REQUESTS:
                self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
            self._client = VpsClient(
                self.params["api_url"],
                self.params["api_token"],
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
            self.validate_connection()
            self.validate()
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
        """The server chosen by `id` or by unique `name`, in detail form, or None."""
        if self.params.get("id") is not None:
            return self.client.get_server_or_none(self.params["id"])
        name = self.params["name"]
        matches = [server for server in self.client.list_servers() if server["name"] == name]
        if len(matches) > 1:
            ids = ", ".join(str(s["id"]) for s in matches)
            raise VpsApiError(
                f"{len(matches)} servers are named {name!r} (ids {ids}); use id to choose one", reason="ambiguous_name"
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
