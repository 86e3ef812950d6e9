# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the connection options shared by the modules and the inventory plugin.

Kept apart from the client so the inventory can check its options without importing requests
(a run answered from the cache never loads it).
"""

from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset(("localhost", "127.0.0.1", "::1"))


def insecure_url_warning(api_url):
    """A warning when the token would travel unencrypted to another machine, else None."""
    parts = urlsplit(api_url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS and not host.startswith("127."):
        return f"api_url {api_url.rstrip('/')} uses plain HTTP to a remote host: the API token is sent unencrypted. Use https://."
    return None


def connection_problems(api_url, timeout, retries):
    """Sentences naming each bad connection option; empty when all are usable."""
    problems = []
    parts = urlsplit(api_url if isinstance(api_url, str) else "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(f"api_url must be an http:// or https:// URL with a host name, got {api_url!r}")
    if timeout <= 0:
        problems.append(f"api_timeout must be a positive number of seconds, got {timeout}")
    if retries < 0:
        problems.append(f"api_retries must be 0 or more, got {retries}")
    return problems
