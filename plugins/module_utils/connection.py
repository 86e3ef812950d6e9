# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the connection options shared by the modules and the inventory plugin.

Kept apart from the client so the inventory can check its options without importing requests
(a run answered from the cache never loads it).

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


def connection_problems(api_url, timeout, retries):
    """Sentences naming each bad connection option; empty when all are usable."""
    problems = []
    url_problem = _url_problem(api_url)
    if url_problem:
        problems.append(url_problem)
    if timeout <= 0:
        problems.append(f"api_timeout must be a positive number of seconds, got {timeout}")
    if retries < 0:
        problems.append(f"api_retries must be 0 or more, got {retries}")
    return problems
