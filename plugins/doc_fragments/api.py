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
    type: str
    required: true
  api_url:
    description:
      - Base URL of the VPS.org API, up to and including C(/api/v1).
      - If not set, the value of the E(VPS_API_URL) environment variable is used.
      - Point it at the bundled simulator (C(vps-sim)) to try playbooks without an account.
      - A plain C(http://) URL to a host other than loopback gets a warning, because the token would travel unencrypted.
    type: str
    default: https://admin.vps.org/api/v1
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url).
      - Set to V(false) only for a host you trust, such as a local test endpoint.
    type: bool
    default: true
  api_timeout:
    description:
      - Seconds to wait for each HTTP answer before treating the request as failed.
    type: int
    default: 30
  api_retries:
    description:
      - How many times a request is repeated after a connection error, a timeout, HTTP 429, 500, 502, 503 or 504,
        with exponential backoff and jitter, honouring C(Retry-After).
      - Requests that create a server or run a power action are only repeated when the failure proves nothing
        happened; otherwise the module re-reads the server state, so a server is never created twice.
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
      - Seconds to wait when O(wait=true). A timeout fails the task and names the last status seen.
    type: int
    default: 600
"""
