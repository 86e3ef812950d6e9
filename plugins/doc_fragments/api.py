# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  api_token:
    description:
      - "The VPS.org API token, sent as C(Authorization: Bearer <token>)."
      - If not set, the value of the E(VPS_API_TOKEN) environment variable is used.
      - It is never shown in output or logs.
      - Whitespace around the value is removed, so a token stored with a trailing newline (for example
        C(printf '%s\n' "$TOKEN" | ansible-vault encrypt_string), or an environment variable read from a file) works.
        A value that still holds whitespace, control or non-ASCII characters cannot be sent in an HTTP header and
        is refused with an error about O(api_token) that never shows the value.
    type: str
    required: true
  api_url:
    description:
      - Base URL of the VPS.org API, up to and including C(/api/v1).
      - If not set, the value of the E(VPS_API_URL) environment variable is used.
      - Point it at the bundled simulator (C(vps-sim)) to try playbooks without an account.
      - A plain C(http://) URL to a host other than loopback gets a warning, because the token would travel unencrypted.
      - Every answer is checked to be the API's own JSON; anything else (an HTML page, a proxy's error page, JSON of
        another shape) fails with an error naming O(api_url), the status, the content type and the first bytes of
        what answered, and nothing is reported as done.
      - Proxies are used the way C(requests) uses them. E(HTTPS_PROXY) and E(HTTP_PROXY) (or E(ALL_PROXY)) send the
        requests through a proxy, and hosts listed in E(NO_PROXY) are reached directly.
    type: str
    default: https://admin.vps.org/api/v1
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url).
      - Set to V(false) only for a host you trust, such as a local test endpoint. V(false) is honoured even when
        E(REQUESTS_CA_BUNDLE) or E(CURL_CA_BUNDLE) is set.
      - With V(true), the certificate must chain to a CA of the bundle that C(requests) uses, or to the CA bundle
        file named by E(REQUESTS_CA_BUNDLE) (or else E(CURL_CA_BUNDLE)); that is how to trust a private CA.
    type: bool
    default: true
  api_timeout:
    description:
      - Seconds to wait for each HTTP answer before treating the request as failed.
    type: int
    default: 30
  api_retries:
    description:
      - How many times a request is repeated after a connection error, a timeout, HTTP 500, 502, 503 or 504, with
        exponential backoff and jitter.
      - HTTP 429 (rate limited) does not use up retries. Its C(Retry-After) pauses every request of the task, and the
        task then sends fewer requests at a time and paces them below the rate the API took. A C(Retry-After) longer
        than what remains of the task's time bound (C(wait_timeout) where the module has it, otherwise 600 seconds)
        fails the task at once, naming the wait the API asked for and when to try again
        (C(failure.reason=out_of_time)); no run waits longer than its bound.
      - Requests that create a server or run a power action are only repeated when the failure proves nothing
        happened; otherwise the module re-reads the server state, so a server is never created twice.
      - A change whose answer is lost (POST, PATCH or DELETE) is settled by re-reading the server state whatever
        this value is, also with V(0); when two reads a pause apart show it did not happen, it is sent again if
        retries remain, and otherwise the task fails saying what was checked.
    type: int
    default: 5
requirements:
  - requests
"""

    WAIT = r"""
options:
  wait:
    description:
      - Wait until the server has reached the requested state.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds the whole task may take, waits for the API's rate limit included; with O(wait=true), waiting for
        the server too. A timeout fails the task and names the last status seen.
    type: int
    default: 600
"""
