# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The accounts an inventory file reads, and the filters that choose their servers.

Pure checks on the file's settings (no HTTP), each returning every problem at once, in words that
never contain a token:

- accounts(): the `accounts:` entries (or the single account of a file without them) as Account
  tuples, with the token of each from api_token, api_token_env or the api_tokens mapping;
- filter_problems() and excluded(): the server-side `filters`, `include_filters` and
  `exclude_filters`;
- group_name(): the group of an account.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import json
import re
from collections import namedtuple

from ansible_collections.vpsorg.cloud.plugins.module_utils.contract import SERVER_SIDE_FILTERS
from ansible_collections.vpsorg.cloud.plugins.module_utils.options import option_problems

# name: what the inventory calls the account (None for a file without `accounts:`).
Account = namedtuple("Account", "name token api_url filters")

ACCOUNT_KEYS = ("name", "api_token", "api_token_env", "api_url", "filters")
ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def group_name(prefix, name):
    """The group of an account: `prefix` + its name, hyphens made underscores (a valid group name)."""
    return f"{prefix}{name}".replace("-", "_")


def filter_problems(option, value, where=""):
    """Problems of one set of server-side filters (a dict of status / location); `where` starts each."""
    if value is None:
        return []
    if not isinstance(value, dict):
        return [f"{where}{option} must be a dictionary"]
    unknown = sorted(set(value) - set(SERVER_SIDE_FILTERS), key=str)
    if unknown:
        return [
            "{}unsupported {} {}; the API filters by {}".format(
                where, option, ", ".join(map(str, unknown)), " and ".join(SERVER_SIDE_FILTERS)
            )
        ]
    return []


def filter_list_problems(option, value):
    if value is None:
        return []
    if not isinstance(value, list):
        return [f"{option} must be a list of filter dictionaries"]
    return [problem for index, item in enumerate(value) for problem in filter_problems(f"{option}[{index}]", item)]


def as_query(filters):
    """Filters as the query the API is sent: values as text, unset ones left out."""
    return {key: str(value) for key, value in sorted((filters or {}).items()) if value is not None}


def excluded(server, exclude_filters):
    """Whether the server matches every key of any one set of `exclude_filters`."""
    return any(
        all(str(server.get(key)) == value for key, value in as_query(filters).items())
        for filters in exclude_filters or ()
        if as_query(filters)
    )


def parse_api_tokens(text):
    """The api_tokens mapping (YAML or JSON text, or a dict) and its problems; never quotes the text."""
    if text is None or text == "":
        return {}, []
    value = text
    if isinstance(text, str):
        try:
            value = json.loads(text)
        except ValueError:
            value = _yaml_mapping(text)
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        return {}, ["api_tokens must be a mapping of account name to token (YAML or JSON; its content is not shown)"]
    return {key: (None if token is None else str(token)) for key, token in value.items()}, []


def _yaml_mapping(text):
    from yaml import YAMLError, safe_load

    try:
        return safe_load(text)
    except YAMLError:
        return None


def accounts(entries, api_tokens, api_url, filters, environ):
    """(accounts, problems, warnings) of the `accounts:` entries.

    api_url and filters are the file's own, which an entry may replace. api_tokens is the parsed
    mapping of account name to token; environ is where api_token_env variables are read.
    """
    if not isinstance(entries, list) or not entries:
        return [], ["accounts must be a non-empty list of accounts, each with a name"], []
    found, problems, seen = [], [], {}
    for index, entry in enumerate(entries):
        where = f"accounts[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a dictionary with a name")
            continue
        name = entry.get("name")
        if isinstance(name, str) and ACCOUNT_NAME.fullmatch(name):
            where = f"account {name}"
            if name.lower() in seen:
                problems.append(f"{where} is listed twice (also accounts[{seen[name.lower()]}])")
            seen.setdefault(name.lower(), index)
        else:
            problems.append(
                f"{where}.name must be 1 to 63 letters, digits, hyphens and underscores, starting with a "
                f"letter or digit, got {name!r}"
            )
        unknown = sorted(set(entry) - set(ACCOUNT_KEYS), key=str)
        if unknown:
            problems.append(
                "{} has unknown keys {}; an account takes {}".format(
                    where, ", ".join(map(str, unknown)), ", ".join(ACCOUNT_KEYS)
                )
            )
        token, token_problem = _token(where, entry, name, api_tokens, environ)
        url = entry.get("api_url") or api_url
        own_filters = entry["filters"] if entry.get("filters") is not None else filters
        problems.extend(
            f"{where}: {sentence}"
            for _option, sentence in option_problems({"api_url": url, "api_token": token}, ["api_url", "api_token"])
            if not (token_problem and _option == "api_token")
        )
        problems.extend(filter(None, [token_problem]))
        problems.extend(filter_problems("filters", own_filters, f"{where}: "))
        found.append(Account(name, token, url, own_filters))
    names = {str(entry.get("name")) for entry in entries if isinstance(entry, dict)}
    warnings = [
        f"api_tokens has a token for {key}, which is not one of the accounts"
        for key in sorted(api_tokens)
        if key not in names
    ]
    return found, problems, warnings


def _token(where, entry, name, api_tokens, environ):
    """(token, problem) of one account; the problem never contains a token."""
    given = [key for key in ("api_token", "api_token_env") if entry.get(key) is not None]
    if len(given) == 2:
        return None, f"{where} has both api_token and api_token_env; give one"
    if given == ["api_token"]:
        return entry["api_token"], None
    if given == ["api_token_env"]:
        variable = entry["api_token_env"]
        if not isinstance(variable, str) or not ENV_NAME.fullmatch(variable):
            return None, f"{where}: api_token_env must name an environment variable, got {variable!r}"
        token = environ.get(variable)
        if token is None or not token.strip():
            return None, f"{where}: the environment variable {variable} (api_token_env) is not set or empty"
        return token, None
    if isinstance(name, str) and api_tokens.get(name) is not None:
        return api_tokens[name], None
    return None, f"{where} has no token: give api_token, api_token_env, or its name in api_tokens (VPS_API_TOKENS)"
