# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP to the VPS.org API: auth, TLS, retries of what is safe to repeat, and answer checks.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import random
import time
import traceback
from urllib.parse import urlencode, urlsplit

from ansible_collections.vpsorg.cloud.plugins.module_utils import answers, retry
from ansible_collections.vpsorg.cloud.plugins.module_utils.connection import clean_token
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import (
    AmbiguousRequestError,
    NotTheApiError,
    VpsApiError,
    describe_http_error,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.pacing import PauseGate
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
    """One HTTP session bound to api_url and one token.

    Reads (GET) are repeated on any transient failure. A request that changes something is
    repeated here only when the failure proves nothing happened (429, or no connection was
    made); any other lost or gateway answer raises AmbiguousRequestError, and the servers
    layer settles it by re-reading the state.
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
        sleep=time.sleep,
        clock=time.monotonic,
        rng=None,
        session=None,
        gate=None,
    ):
        # What worker() needs to make a sibling client for another thread.
        self._settings = {
            "api_url": api_url,
            "api_token": api_token,
            "validate_certs": validate_certs,
            "timeout": timeout,
            "retries": retries,
            "user_agent_extra": user_agent_extra,
            "log": log,
            "sleep": sleep,
            "clock": clock,
        }
        self.gate = gate or PauseGate(clock, sleep)
        self.api_url = api_url.strip().rstrip("/")
        parts = urlsplit(self.api_url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._base_path = parts.path
        # clean_token raises ValueError (without the value) for a token no header can carry.
        self._token = clean_token(api_token)
        self._secrets = tuple(sorted({self._token, str(api_token)}, key=len, reverse=True))
        # Passed with every request: a session-level setting is overridden by requests when
        # REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE is exported, which would ignore validate_certs: false.
        self.verify = validate_certs
        self.timeout = timeout
        self.retries = retries
        self._log = log or (lambda message: None)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self.request_count = 0
        # Answers 429 so far: the listing reads with fewer clients once the API says it is too many.
        self.throttled = 0
        self.session = session or requests.Session()
        user_agent = f"vpsorg.cloud/{COLLECTION_VERSION} ansible-core/{ANSIBLE_VERSION}"
        if user_agent_extra:
            user_agent += " " + user_agent_extra
        self.session.headers.update(
            {
                "Authorization": f"Bearer {self._token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": user_agent,
            }
        )

    def worker(self):
        """A client for another thread: same settings and pause gate, its own HTTP session."""
        return type(self)(gate=self.gate, rng=random.Random(self._rng.random()), **self._settings)

    def scrub(self, text):
        """The text with every form of the token replaced, for anything shown to a person."""
        text = str(text)
        for secret in self._secrets:
            if secret.strip():
                text = text.replace(secret, "********")
        return text

    def error(self, cls, message, status=None, method=None, path=None, body=None):
        return cls(
            self.scrub(message), status=status, method=method, path=path, body=answers.scrub_body(body, self.scrub)
        )

    def log(self, message):
        self._log(self.scrub(message))

    def pause(self, attempt, retry_after, why):
        delay = retry.retry_delay(attempt, retry_after, self._rng)
        self.log(f"{why}; retrying in {delay:.1f} s (retry {attempt + 1} of {self.retries})")
        if retry_after is None:
            self._sleep(delay)
        else:
            self.gate.hold(delay)
            self.gate.wait()

    def url(self, path, params=None):
        # A path always starts with "/": glued to an api_url without a path, "@evil.test/" or
        # ".evil.test/" (from a hostile `next` link) would otherwise name another host.
        url = self._origin + self._base_path + "/" + path.lstrip("/")
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        return url

    def _send_once(self, method, path, params=None, body=None):
        self.gate.slot()
        self.request_count += 1
        return self.session.request(
            method, self.url(path, params), json=body, timeout=self.timeout, verify=self.verify, allow_redirects=False
        )

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

    def request(self, method, path, params=None, body=None):
        """Send a request and return the API's parsed JSON answer (None for an empty 2xx)."""
        attempt = 0
        while True:
            try:
                response = self._send_once(method, path, params, body)
            except requests.exceptions.SSLError as exc:
                raise self._connection_error(exc, method, path) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, *GARBLED) as exc:
                # A read can always be repeated; anything else that was sent may have been applied.
                lost = method != "GET" and not _never_sent(exc)
                if not lost and attempt < self.retries:
                    self.pause(attempt, None, f"{method} {path}: {exc.__class__.__name__}")
                    attempt += 1
                    continue
                raise self._connection_error(
                    exc, method, path, AmbiguousRequestError if lost else VpsApiError
                ) from None
            except requests.exceptions.RequestException as exc:
                # Anything else requests raises is still the collection's error, never a traceback.
                cls = VpsApiError if method == "GET" else AmbiguousRequestError
                raise self._connection_error(exc, method, path, cls) from None
            status = response.status_code
            if status == 429:
                self.throttled += 1
                self.gate.refused(retry.parse_retry_after(response.headers.get("Retry-After")))
            else:
                self.gate.took()
            if retry.safe_to_repeat(method, status) and attempt < self.retries:
                retry_after = retry.parse_retry_after(response.headers.get("Retry-After"))
                self.pause(attempt, retry_after, f"{method} {path} answered HTTP {status}")
                attempt += 1
                continue
            return self._answer(response, method, path)

    def _answer(self, response, method, path):
        """The JSON of a successful API answer, or the error that describes the failure."""
        status = response.status_code
        answer = answers.read(response, self.scrub)
        if status >= 500 or status == 429:
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
