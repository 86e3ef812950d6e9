# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of options that need no request, and the masking of the token: one place for each.

The modules, the inventory and the event source all check their options with option_problems,
which returns every problem at once, and mask the token with mask(). Kept apart from the client so
the inventory can check its options without importing requests (a run answered from the cache
never loads it).

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract

LOOPBACK_HOSTS = frozenset(("localhost", "127.0.0.1", "::1"))


def insecure_url_warning(api_url):
    """A warning when the token would travel unencrypted to another machine, else None."""
    try:
        parts = urlsplit(str(api_url).strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS and not host.startswith("127."):
        return f"api_url {api_url.rstrip('/')} uses plain HTTP to a remote host: the API token is sent unencrypted. Use https://."
    return None


MASK = "********"


def mask(text, secrets):
    """`text` with every secret in it replaced: the one place the collection masks the API token.

    Longer secrets first, so a token given with surrounding whitespace is masked whole.
    """
    text = str(text)
    for secret in sorted({str(secret) for secret in secrets if secret is not None}, key=len, reverse=True):
        if secret.strip():
            text = text.replace(secret, MASK)
    return text


def clean_token(token):
    """The token without surrounding whitespace; ValueError (never quoting it) if no header can carry it."""
    problem = token_problem(token)
    if problem:
        raise ValueError(problem)
    return str(token).strip()


def token_problem(token):
    """Why api_token cannot be sent, in words that never contain the token; None when it can."""
    text = "" if token is None else str(token).strip()
    if not text:
        return "api_token is empty (set api_token or VPS_API_TOKEN)"
    if not contract.TOKEN_PATTERN.fullmatch(text):
        return (
            "api_token contains characters an HTTP header cannot carry (whitespace, control or non-ASCII "
            "characters inside the token); check how the token was stored"
        )
    return None


def _url_problem(api_url):
    if not isinstance(api_url, str) or not api_url.strip():
        return f"api_url must be an http:// or https:// URL with a host name, got {api_url!r}"
    text = api_url.strip()
    if not contract.TEXT_FIELD_PATTERN.fullmatch(text) or any(char.isspace() for char in text):
        return f"api_url must not contain spaces or control characters, got {api_url!r}"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        return f"api_url is not a valid URL ({exc}), got {api_url!r}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"api_url must be an http:// or https:// URL with a host name, got {api_url!r}"
    if parts.query or parts.fragment or parts.username or parts.password:
        return f"api_url must not carry a query, a fragment or credentials, got {parts.scheme}://{parts.hostname}..."
    return None


# reading: an FQDN is at most 253 characters.
MAX_HOSTNAME_LENGTH = 253
# How many requests at a time each option may ask for; more only floods the API.
CONCURRENCY_LIMITS = {"concurrency": 32, "page_concurrency": 64, "details_concurrency": 64}


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


def option_problems(params, names):
    """Every problem of the options `names` in `params`, as (option, sentence) pairs; none when all are usable."""
    problems = []
    for option in names:
        value = params.get(option)
        if option == "api_token":
            problems.append((option, token_problem(value)))
        elif option == "api_url":
            problems.append((option, _url_problem(value)))
        elif option in ("api_retries", "requests_per_minute") and value is not None and value < 0:
            problems.append((option, f"{option} must be 0 or more, got {value}"))
        elif (
            option in ("api_timeout", "wait_timeout", "poll_interval", "interval")
            and value is not None
            and not value > 0
        ):
            problems.append((option, f"{option} must be a positive number of seconds, got {value}"))
        elif option == "page_size" and value is not None and value < 1:
            problems.append((option, f"page_size must be a positive number, got {value}"))
        elif option == "id" or option.endswith("_id"):
            problems.append((option, id_problem(option, value)))
        elif option == "name":
            problems.append((option, name_problem(option, value)))
        elif option == "hostname":
            problems.append((option, text_problem(option, value, MAX_HOSTNAME_LENGTH)))
        elif option == "location":
            problems.append((option, text_problem(option, value)))
        elif option in CONCURRENCY_LIMITS and value is not None and not 1 <= value <= CONCURRENCY_LIMITS[option]:
            problems.append((option, f"{option} must be between 1 and {CONCURRENCY_LIMITS[option]}, got {value}"))
    return [(option, problem) for option, problem in problems if problem]
