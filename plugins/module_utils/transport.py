# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP to the VPS.org API: auth, TLS, retries of what is safe to repeat, and answer checks.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import random
import threading
import traceback
from urllib.parse import urlencode, urlsplit

from ansible_collections.vpsorg.cloud.plugins.module_utils import answers, retry
from ansible_collections.vpsorg.cloud.plugins.module_utils.budget import Budget
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import (
    AmbiguousRequestError,
    NotTheApiError,
    VpsApiError,
    describe_http_error,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.options import clean_token, mask
from ansible_collections.vpsorg.cloud.plugins.module_utils.version import COLLECTION_VERSION

try:
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    # An answer that arrived but cannot be read (cut off, bad chunking or compression): like a
    # lost answer, a read may be repeated and a change may have been applied.
    GARBLED = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    GARBLED = ()
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION


def _never_sent(exc):
    """True when the connection failed before the request could reach the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


class Transport:
    """HTTP to one api_url with one token; every request goes through the task's budget.

    Reads (GET) are repeated on any transient failure. A request that changes something is
    repeated here only when the failure proves nothing happened (429, or no connection was
    made); any other lost or gateway answer raises AmbiguousRequestError, and servers.py
    settles it by re-reading the state. A 429 is waited out as the API asks, within the task's
    deadline (budget.py), and does not use up `retries`. Each thread has its own HTTP session.
    """

    def __init__(
        self,
        api_url,
        api_token,
        validate_certs=True,
        timeout=30,
        retries=5,
        user_agent_extra=None,
        log=None,
        budget=None,
        rng=None,
        session=None,
    ):
        self.budget = budget or Budget()
        self.api_url = api_url.strip().rstrip("/")
        parts = urlsplit(self.api_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path
        # clean_token raises ValueError (without the value) for a token no header can carry.
        self._token = clean_token(api_token)
        self._secrets = (self._token, str(api_token))
        # Passed with every request, as the headers are (a session may serve several clients, each
        # with its token): a session-level setting is overridden by requests when
        # REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE is exported, which would ignore validate_certs: false.
        self.verify = validate_certs
        self.timeout = timeout
        self.retries = retries
        self._log = log or (lambda message: None)
        self._rng = rng or random.Random()
        self._shared_session = session
        self._local = threading.local()
        user_agent = f"vpsorg.cloud/{COLLECTION_VERSION} ansible-core/{ANSIBLE_VERSION}"
        if user_agent_extra:
            user_agent += " " + user_agent_extra
        self._headers = {
            "Authorization": f"Bearer {self._token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": user_agent,
        }

    @property
    def request_count(self):
        return self.budget.requests

    def _session(self):
        """This thread's HTTP session (a requests.Session is not meant to be shared between threads)."""
        session = self._shared_session or getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def scrub(self, text):
        """The text with every form of the token replaced, for anything shown to a person."""
        return mask(text, self._secrets)

    def error(self, cls, message, status=None, method=None, path=None, body=None):
        return cls(
            self.scrub(message), status=status, method=method, path=path, body=answers.scrub_body(body, self.scrub)
        )

    def log(self, message):
        self._log(self.scrub(message))

    def backoff(self, attempt, why, then=None):
        """Wait before retry `attempt` (0-based) of a failed request, within the task's deadline.

        then: what follows the wait when it is not a retry of the request (a second read of the
        state, say), so the log never counts it among the retries ("retry 6 of 5").
        """
        delay = retry.backoff_delay(attempt, self._rng)
        if then is None:
            self.log(f"{why}; retrying in {delay:.1f} s (retry {attempt + 1} of {self.retries})")
        else:
            self.log(f"{why}; {then} in {delay:.1f} s")
        self.budget.sleep(delay, f"{why}: {then or 'the retry'}")

    def url(self, path, params=None):
        # A path always starts with "/": glued to an api_url without a path, "@evil.test/" or
        # ".evil.test/" (from a hostile `next` link) would otherwise name another host.
        url = self._origin + self.base_path + "/" + path.lstrip("/")
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        return url

    def _connection_error(self, exc, method, path, cls=VpsApiError):
        if isinstance(exc, requests.exceptions.Timeout):
            cause = f"no answer within {self.timeout} s"
        elif isinstance(exc, requests.exceptions.SSLError):
            cause = (
                "TLS certificate verification failed; set validate_certs: false only for a host you trust"
                if "CERTIFICATE_VERIFY_FAILED" in str(exc)
                else f"TLS handshake failed ({exc.__class__.__name__})"
            )
        elif isinstance(exc, GARBLED):
            cause = f"the answer was cut off or garbled ({exc.__class__.__name__})"
        else:
            cause = f"connection failed ({exc.__class__.__name__})"
        return self.error(cls, f"cannot reach the VPS.org API at {self.api_url}: {cause}", None, method, path)

    def _send(self, method, path, params, body):
        """One request in its turn of the budget: (the response or None, the exception requests raised
        or None, what the budget said of the answer)."""
        with self.budget.turn() as answer:
            try:
                response = self._session().request(
                    method,
                    self.url(path, params),
                    json=body,
                    headers=self._headers,
                    timeout=self.timeout,
                    verify=self.verify,
                    allow_redirects=False,
                )
            except requests.exceptions.RequestException as exc:
                return None, exc, answer
            answer["status"] = response.status_code
            if response.status_code == 429:
                answer["retry_after"] = retry.parse_retry_after(response.headers.get("Retry-After"))
        return response, None, answer

    def request(self, method, path, params=None, body=None):
        """Send a request and return the API's parsed JSON answer (None for an empty 2xx)."""
        attempt = throttled = 0
        while True:
            response, exc, answer = self._send(method, path, params, body)
            if isinstance(exc, requests.exceptions.SSLError):
                raise self._connection_error(exc, method, path) from None
            if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout, *GARBLED)):
                # A read can always be repeated; anything else that was sent may have been applied.
                lost = method != "GET" and not _never_sent(exc)
                if not lost and attempt < self.retries:
                    self.backoff(attempt, f"{method} {path}: {exc.__class__.__name__}")
                    attempt += 1
                    continue
                raise self._connection_error(
                    exc, method, path, AmbiguousRequestError if lost else VpsApiError
                ) from None
            if exc is not None:
                # Anything else requests raises is still the collection's error, never a traceback.
                cls = VpsApiError if method == "GET" else AmbiguousRequestError
                raise self._connection_error(exc, method, path, cls) from None
            status = response.status_code
            if status == 429:
                self._throttled(answer, method, path, throttled)
                throttled += 1
                continue
            if retry.safe_to_repeat(method, status) and attempt < self.retries:
                self.backoff(attempt, f"{method} {path} answered HTTP {status}")
                attempt += 1
                continue
            return self._answer(response, method, path)

    def _throttled(self, answer, method, path, throttled):
        """A 429: wait the pause the API asks for (every request of the task waits it), or end now.

        Without a Retry-After, or with one of 0 s, this request backs off on its own, longer with
        each 429 in a row: refused over and over at once, it would otherwise be sent again without
        end, the deadline never reached by a wait.
        """
        retry_after = answer.get("retry_after")
        asked = "gave no Retry-After" if retry_after is None else "asked" if retry_after else "asked for no pause"
        pause = retry_after or retry.backoff_delay(throttled, self._rng)
        why = f"{method} {path} answered HTTP 429 (rate limited) and {asked}"
        self.budget.check(pause, f"the pause the API asked for ({why}: {pause:.0f} s)")
        fewer = f"; {answer['lowered_to']} requests at a time from now on" if "lowered_to" in answer else ""
        self.log(f"{why}; waiting {pause:.1f} s{fewer}")
        if not retry_after:
            self.budget.sleep(pause, f"the pause after {why}")

    def _answer(self, response, method, path):
        """The JSON of a successful API answer, or the error that describes the failure."""
        status = response.status_code
        answer = answers.read(response, self.scrub)
        if status >= 500:
            # Gateways answer these in HTML too: the status is what counts, and for a request that
            # changes something, an error that may come after the work was done is ambiguous.
            cls = AmbiguousRequestError if retry.may_have_happened(method, status) else VpsApiError
            message = describe_http_error(status, path, answer.body if answer.from_api else None)
            raise self.error(cls, f"{message} (api_url {self.api_url})", status, method, path, answer.body)
        if not answer.from_api:
            message = answers.not_the_api(self.api_url, method, path, status, answer)
            raise self.error(NotTheApiError, message, status, method, path)
        if status < 300:
            return answer.body
        raise self.error(VpsApiError, describe_http_error(status, path, answer.body), status, method, path, answer.body)
