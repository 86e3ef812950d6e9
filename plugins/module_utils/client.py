# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP client of the collection: auth, retries, pagination, waiting, error wording.

Modules and the inventory plugin talk to VPS.org only through VpsClient.
"""

from __future__ import annotations

import random
import time
import traceback
from urllib.parse import urlencode, urljoin, urlsplit

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract, retry
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import (
    AmbiguousRequestError,
    VpsApiError,
    describe_http_error,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.version import (
    COLLECTION_VERSION,
)

try:
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION

IDEMPOTENT_METHODS = frozenset(("GET", "PUT", "PATCH", "DELETE"))
# A listing that has not ended after this many pages is a misbehaving server, not an account.
MAX_PAGES = 10000


def _never_sent(exc):
    """True when the connection failed before the request could reach the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


class VpsClient:
    def __init__(
        self,
        api_url,
        api_token,
        validate_certs=True,
        timeout=30,
        retries=5,
        user_agent_extra=None,
        log=None,
        sleep=time.sleep,
        clock=time.monotonic,
        rng=None,
        session=None,
    ):
        self.api_url = api_url.rstrip("/")
        parts = urlsplit(self.api_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._base_path = parts.path
        self._token = api_token
        self.timeout = timeout
        self.retries = retries
        self._log = log or (lambda message: None)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self.request_count = 0
        self.session = session or requests.Session()
        self.session.verify = validate_certs
        user_agent = f"vpsorg.cloud/{COLLECTION_VERSION} ansible-core/{ANSIBLE_VERSION}"
        if user_agent_extra:
            user_agent += " " + user_agent_extra
        self.session.headers.update(
            {
                "Authorization": f"Bearer {api_token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": user_agent,
            }
        )

    # -- transport ---------------------------------------------------------------------

    def _scrub(self, text):
        return text.replace(self._token, "********") if self._token else text

    def _error(self, cls, message, status, method, path, body=None):
        return cls(self._scrub(message), status=status, method=method, path=path, body=body)

    def _send_once(self, method, path, params=None, body=None):
        url = self._origin + self._base_path + path
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        self.request_count += 1
        return self.session.request(method, url, json=body, timeout=self.timeout)

    @staticmethod
    def _body(response):
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def _http_error(self, response, method, path):
        body = self._body(response)
        message = describe_http_error(response.status_code, path, body)
        return self._error(VpsApiError, message, response.status_code, method, path, body)

    def _connection_error(self, exc, method, path, cls=VpsApiError):
        if isinstance(exc, requests.exceptions.Timeout):
            cause = f"no answer within {self.timeout} s"
        elif isinstance(exc, requests.exceptions.SSLError):
            cause = (
                "TLS certificate verification failed; set validate_certs: false only for a host you trust"
                if "CERTIFICATE_VERIFY_FAILED" in str(exc)
                else f"TLS handshake failed ({exc.__class__.__name__})"
            )
        else:
            cause = f"connection failed ({exc.__class__.__name__})"
        message = f"cannot reach the VPS.org API at {self.api_url}: {cause}"
        return self._error(cls, message, None, method, path)

    def _pause(self, attempt, retry_after, why):
        delay = retry.retry_delay(attempt, retry_after, self._rng)
        self._log(f"{why}; retrying in {delay:.1f} s (retry {attempt + 1} of {self.retries})")
        self._sleep(delay)

    def request(self, method, path, params=None, body=None):
        """Send a request, retrying what is safe to retry, and return the parsed JSON body.

        GET/PUT/PATCH/DELETE repeat on connection errors, timeouts, 429, 500 and 502-504. POST repeats
        only when the answer or the failure proves nothing happened; otherwise it raises
        AmbiguousRequestError so the caller can re-read the state instead of guessing.
        """
        idempotent = method in IDEMPOTENT_METHODS
        retry_statuses = retry.RETRY_STATUSES if idempotent else retry.POST_SAFE_RETRY_STATUSES
        attempt = 0
        while True:
            try:
                response = self._send_once(method, path, params, body)
            except requests.exceptions.SSLError as exc:
                raise self._connection_error(exc, method, path) from None
            except (
                requests.exceptions.ConnectionError,
                requests.exceptions.Timeout,
            ) as exc:
                safe = idempotent or _never_sent(exc)
                if safe and attempt < self.retries:
                    self._pause(
                        attempt,
                        None,
                        f"{method} {path}: {exc.__class__.__name__}",
                    )
                    attempt += 1
                    continue
                raise self._connection_error(
                    exc, method, path, VpsApiError if safe else AmbiguousRequestError
                ) from None
            if response.status_code in retry_statuses and attempt < self.retries:
                retry_after = retry.parse_retry_after(response.headers.get("Retry-After"))
                self._pause(
                    attempt,
                    retry_after,
                    f"{method} {path} answered HTTP {response.status_code}",
                )
                attempt += 1
                continue
            if not idempotent and response.status_code in retry.POST_AMBIGUOUS_STATUSES:
                error = self._http_error(response, method, path)
                raise self._error(AmbiguousRequestError, error.message, error.status, method, path, error.body)
            if response.status_code >= 400:
                raise self._http_error(response, method, path)
            return self._body(response)

    # -- servers -------------------------------------------------------------------------

    def _relative(self, url):
        """The path below api_url of a `next` link.

        The link is absolute, but we only ever send the token to api_url's own host: a proxy
        or a misconfigured server must not be able to redirect it elsewhere.
        """
        parts = urlsplit(urljoin(self.api_url + "/", url))
        path = parts.path
        path = path.removeprefix(self._base_path)
        return path + ("?" + parts.query if parts.query else "")

    def list_servers(self, filters=None, page_size=None):
        """Every server matching the server-side filters, following `next` to the end."""
        params = {key: value for key, value in (filters or {}).items() if value is not None}
        params[contract.PAGE_SIZE_PARAM] = page_size or contract.DEFAULT_PAGE_SIZE
        servers, seen_ids, seen_pages = [], set(), set()
        path, page_number = contract.SERVERS_PATH, 1
        while True:
            page = self.request("GET", path, params)
            if not isinstance(page, dict) or not isinstance(page.get(contract.PAGE_RESULTS), list):
                raise self._error(
                    VpsApiError,
                    "the server list answer is not a page of results",
                    200,
                    "GET",
                    path,
                )
            results = page[contract.PAGE_RESULTS]
            for server in results:
                # A server created or deleted while we page can shift items between pages.
                if server.get("id") not in seen_ids:
                    seen_ids.add(server.get("id"))
                    servers.append(server)
            next_url = page.get(contract.PAGE_NEXT)
            if next_url:
                path, params = self._relative(next_url), None
            elif contract.PAGE_NEXT not in page and results and len(servers) < (page.get(contract.PAGE_COUNT) or 0):
                # Fallback for a server that paginates without `next` links.
                page_number += 1
                params = dict(params or {}, **{contract.PAGE_PARAM: page_number})
            else:
                return servers
            key = path + repr(sorted((params or {}).items()))
            if key in seen_pages or len(seen_pages) >= MAX_PAGES:
                raise self._error(
                    VpsApiError,
                    "the API's pagination does not end (page repeated)",
                    200,
                    "GET",
                    path,
                )
            seen_pages.add(key)

    def get_server(self, server_id):
        return self.request("GET", contract.server_path(server_id))

    def get_server_or_none(self, server_id):
        try:
            return self.get_server(server_id)
        except VpsApiError as exc:
            if exc.status == 404:
                return None
            raise

    def update_server(self, server_id, changes):
        return self.request(contract.UPDATE_METHOD, contract.server_path(server_id), body=changes)

    def delete_server(self, server_id):
        # A 404 means the server is gone: deleted by this call (its first answer was lost and the
        # repeat found nothing) or by someone else; either way the wanted state holds.
        try:
            self.request("DELETE", contract.server_path(server_id))
        except VpsApiError as exc:
            if exc.status != 404:
                raise

    def _settle_ambiguity(self, attempt, what):
        if attempt >= self.retries:
            return False
        self._pause(attempt, None, f"{what} got no answer; re-reading the server state")
        return True

    def create_server(self, body, existing_ids=()):
        """Create a server, never twice.

        A create that got no answer is resolved by listing the account: a server with the
        requested name that was not among `existing_ids` is the one we created. Only when
        two reads agree that it does not exist is the POST sent again.
        """
        existing_ids = set(existing_ids)
        attempt = 0
        while True:
            try:
                return self.request("POST", contract.SERVERS_PATH, body=body)
            except AmbiguousRequestError as exc:
                last_error = exc
            created = None
            for _read in range(2):
                if not self._settle_ambiguity(attempt, f"POST {contract.SERVERS_PATH}"):
                    break
                attempt += 1
                created = self._find_new(body["name"], existing_ids)
                if created:
                    self._log("the create request got no answer, but server {} was created".format(created["id"]))
                    return self.get_server(created["id"])
            else:
                continue
            raise self._error(
                VpsApiError,
                "the create request for server {!r} got no answer and retries are used up; "
                "no server with that name was found afterwards ({})".format(body["name"], last_error.message),
                None,
                "POST",
                contract.SERVERS_PATH,
            )

    def _find_new(self, name, existing_ids):
        new = [s for s in self.list_servers() if s.get("name") == name and s.get("id") not in existing_ids]
        if len(new) > 1:
            raise self._error(
                VpsApiError,
                "several new servers named {!r} appeared (ids {}); refusing to guess which one is ours".format(
                    name, ", ".join(str(s["id"]) for s in new)
                ),
                None,
                "POST",
                contract.SERVERS_PATH,
            )
        return new[0] if new else None

    def power(self, server_id, action, before=None):
        """Run start/stop/reboot once; an unanswered request is settled by re-reading the status."""
        spec = contract.POWER_ACTIONS[action]
        path = contract.action_path(server_id, action)
        before = before or self.get_server(server_id)
        attempt = 0
        while True:
            try:
                return self.request("POST", path)
            except AmbiguousRequestError:
                if not self._settle_ambiguity(attempt, f"POST {path}"):
                    raise
                attempt += 1
            except VpsApiError as exc:
                # A repeat after an unanswered request is refused when the first one took effect.
                settled = attempt and exc.status == 400 and self._applied(spec, before, server_id, path)
                if not settled:
                    raise
                return {"status": "success", "server": settled}
            settled = self._applied(spec, before, server_id, path)
            if settled:
                return {"status": "success", "server": settled}

    def _applied(self, spec, before, server_id, path):
        """The server as re-read when the unanswered action took effect, else None."""
        now = self.get_server(server_id)
        if self._action_took_effect(spec, before, now):
            self._log("POST {} got no answer, but server {} is now {}".format(path, server_id, now.get("status")))
            return now
        return None

    @staticmethod
    def _action_took_effect(spec, before, now):
        status = now.get("status")
        if status == spec["transitional"]:
            return True
        if status != spec["settled"]:
            return False
        # reading: a finished reboot shows as `active` again; updated_at tells it happened.
        return before.get("status") != status or before.get("updated_at") != now.get("updated_at")

    # -- waiting -------------------------------------------------------------------------

    def wait_for_status(self, server_id, targets, timeout, label=None):
        """Poll the server until its status is one of `targets`.

        Fails early when the server settles in another status (it would never get there),
        and on timeout names the last status seen.
        """
        targets = frozenset(targets)
        label = label or f"server {server_id}"
        deadline = self._clock() + timeout
        started = self._clock()
        last = None
        for interval in retry.poll_intervals():
            server = self.get_server(server_id)
            status = server.get("status")
            if status != last:
                self._log(f"{label} is {status} after {self._clock() - started:.1f} s")
                last = status
            if status in targets:
                return server
            if status in contract.SETTLED_STATUSES:
                raise VpsApiError(
                    "{} settled as {} while waiting for {}".format(label, status, " or ".join(sorted(targets)))
                )
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise VpsApiError(
                    "timed out after {} s waiting for {} to become {}; last status: {}".format(
                        timeout, label, " or ".join(sorted(targets)), status
                    )
                )
            self._sleep(min(interval, remaining))
        return None  # pragma: no cover - poll_intervals never ends

    def wait_until_settled(self, server_id, timeout, label=None):
        return self.wait_for_status(server_id, contract.SETTLED_STATUSES, timeout, label)

    def wait_until_gone(self, server_id, timeout, label=None):
        label = label or f"server {server_id}"
        deadline = self._clock() + timeout
        for interval in retry.poll_intervals():
            if self.get_server_or_none(server_id) is None:
                return
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise VpsApiError(f"timed out after {timeout} s waiting for {label} to be deleted")
            self._sleep(min(interval, remaining))
