# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error type of the collection and the wording of API failures.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import re

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract

_SERVER_PATH = re.compile(r"^/servers/(\d+)/")


class VpsApiError(Exception):
    """An API call that did not succeed, worded for the person running the playbook.

    It carries the HTTP status (None when no answer arrived), the method and the API path,
    never the request headers or the token.
    """

    def __init__(self, message, status=None, method=None, path=None, body=None, reason=None):
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.body = body
        self.reason = reason or self._default_reason()
        super().__init__(self.__str__())

    def _default_reason(self):
        if self.status is not None:
            return "http_error"
        return "no_answer" if self.method else "failed"

    def failure(self):
        """The structured `failure` a module returns beside `msg`, so playbooks can branch on it."""
        body = self.body if isinstance(self.body, dict) else {}
        field_errors = {
            key: flatten_drf_errors(value)
            for key, value in body.items()
            if key not in (contract.ERROR_DETAIL_KEY, contract.NON_FIELD_ERRORS_KEY)
        }
        detail = flatten_drf_errors(
            {key: body[key] for key in (contract.ERROR_DETAIL_KEY, contract.NON_FIELD_ERRORS_KEY) if key in body}
        )
        return {
            "reason": self.reason,
            "status": self.status,
            "method": self.method,
            "path": self.path,
            "detail": detail or None,
            "field_errors": field_errors,
        }

    def __str__(self):
        if self.method and self.path:
            answered = f"answered HTTP {self.status}" if self.status else "got no answer"
            return f"{self.message} ({self.method} {self.path} {answered})"
        return self.message


class AmbiguousRequestError(VpsApiError):
    """The request was sent but no usable answer arrived: it may or may not have been applied."""


class NotTheApiError(VpsApiError):
    """Whatever answered at api_url is not the VPS.org API (HTML, another JSON shape, a redirect)."""

    def _default_reason(self):
        return "not_the_api"


def flatten_drf_errors(body):
    """Turn a DRF error body into one sentence: `plan_id: Invalid pk "999" - object does not exist.`"""
    if isinstance(body, str):
        return body.strip()
    if isinstance(body, list):
        return " ".join(flatten_drf_errors(item) for item in body)
    if body is None:
        return ""
    if not isinstance(body, dict):
        # A number or a boolean is still what the API said (`{"id": 1}` reads "id: 1").
        return str(body)
    parts = []
    for key, value in body.items():
        text = flatten_drf_errors(value)
        if key in (contract.ERROR_DETAIL_KEY, contract.NON_FIELD_ERRORS_KEY):
            parts.append(text)
        else:
            parts.append(f"{key}: {text}")
    return "; ".join(part for part in parts if part)


def _subject(path):
    match = _SERVER_PATH.match(path or "")
    return f"server {match.group(1)}" if match else f"API resource {path}"


def describe_http_error(status, path, body):
    """A sentence a user understands for an HTTP error status."""
    detail = flatten_drf_errors(body)
    if status == 400:
        return "the API rejected the request: %s" % (detail or "bad request")
    if status == 401:
        return "API token missing or invalid"
    if status == 402:
        return "insufficient account balance" + (f": {detail}" if detail else "")
    if status == 403:
        return "the API token is not allowed to do this" + (f": {detail}" if detail else "")
    if status == 404:
        return f"{_subject(path)} not found"
    if status == 405:
        return "the API does not allow this method here"
    if status == 429:
        return "rate limited by the API and retries are used up" + (f": {detail}" if detail else "")
    if status >= 500:
        return f"the VPS.org API failed with a server error (HTTP {status}); try again later" + (
            f": {detail}" if detail else ""
        )
    return "unexpected answer from the API (HTTP {}){}".format(status, f": {detail}" if detail else "")
