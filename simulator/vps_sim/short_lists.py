"""Server lists that end short, for tests of clients that must not act on a partial list.

``POST /_sim/short-list`` arms one way (``DELETE`` or a reset disarms it, ``GET`` shows it with
``fired``, the answers it changed):

- ``{"kind": "prefix", "prefix": "/edge"}``: the API also answers below ``/edge`` (a reverse proxy
  that strips the prefix) but its ``next`` links leave the prefix out, so a client with api_url
  ``.../edge/api/v1`` that follows them asks for paths the API does not have (404).
- ``{"kind": "gone", "status": 404 | 410, "from_page": n}``: pages n and later answer ``status``
  in the API's JSON while every page that answers keeps the same ``count``.
- ``{"kind": "empty", "from_page": n}``: pages n and later hold no servers and no ``next`` link.
- ``{"kind": "repeat", "page": n}``: page n holds the servers of page n - 1.

Any of them takes ``"account": "account-2"`` (a label as ``GET /_sim/accounts`` shows it): then only
requests authenticated as that account meet it; every other account's list is whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .control import admin
from .responses import answer, json_body

KINDS = ("prefix", "gone", "empty", "repeat")
GONE_STATUSES = (404, 410)


@dataclass
class ShortList:
    kind: str
    prefix: str | None = None
    status: int | None = None
    page: int = 2
    account: str | None = None
    fired: int = 0

    def meets(self, account: dict | None) -> bool:
        """Whether a request of ``account`` (None: no valid token) meets this short list."""
        return self.account is None or (account is not None and account["label"] == self.account)

    def public(self) -> dict:
        return dict(self.__dict__)


def parse(data) -> tuple[ShortList | None, dict]:
    if not isinstance(data, dict):
        return None, {"non_field_errors": ["Expected a JSON object."]}
    errors: dict = {}
    kind = data.get("kind")
    if kind not in KINDS:
        errors["kind"] = [f"Must be one of: {', '.join(KINDS)}."]
    short = ShortList(kind)
    unknown = sorted(set(data) - {"kind", "prefix", "status", "from_page", "page", "account"})
    if unknown:
        errors["non_field_errors"] = [f"Unknown keys: {', '.join(unknown)}."]
    if data.get("account") is not None:
        if not isinstance(data["account"], str) or not data["account"]:
            errors["account"] = ["Not a valid string (an account label such as account-2)."]
        else:
            short.account = data["account"]
    if kind == "prefix":
        prefix = data.get("prefix")
        if not isinstance(prefix, str) or not prefix.startswith("/") or prefix == "/" or prefix.endswith("/"):
            errors["prefix"] = ["A path such as /edge is required (leading slash, no trailing slash)."]
        short.prefix = prefix
    if kind == "gone":
        short.status = data.get("status", 404)
        if short.status not in GONE_STATUSES:
            errors["status"] = ["Must be 404 or 410."]
    if kind in ("gone", "empty", "repeat"):
        page = data.get("page" if kind == "repeat" else "from_page", 2)
        if isinstance(page, bool) or not isinstance(page, int) or page < 2:
            errors["page" if kind == "repeat" else "from_page"] = ["A page number of 2 or more is required."]
        short.page = page
    return (None if errors else short), errors


def current(state) -> ShortList | None:
    return getattr(state, "short_list", None)


def page_answer(state, number: int, body: dict, previous_rows, account: dict | None = None) -> Response | None:
    """The answer that replaces page ``number`` of ``account``'s list (``body`` as the API would send it), if any.

    ``previous_rows()`` gives the summaries of page ``number - 1``, read only when needed.
    """
    short = current(state)
    if short is None or short.kind == "prefix" or number < short.page or not short.meets(account):
        return None
    if short.kind == "gone":
        short.fired += 1
        message = "Invalid page." if short.status == 404 else "This page is gone."
        return answer({"detail": message}, short.status)
    if short.kind == "empty":
        short.fired += 1
        return answer(dict(body, next=None, results=[]))
    if number == short.page:
        short.fired += 1
        return answer(dict(body, results=previous_rows()))
    return None


class PrefixMiddleware:
    """Serve the API below the armed prefix too, as a proxy that strips it without rewriting links."""

    def __init__(self, app, state):
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send):
        from .public_api import authenticate  # here: public_api imports this module

        short = current(self.state)
        path = scope.get("path", "")
        if (
            scope["type"] == "http"
            and short is not None
            and short.kind == "prefix"
            and path.startswith(short.prefix + "/")
            and short.meets(authenticate(self.state, Request(scope))[1])
        ):
            stripped = path[len(short.prefix) :]
            scope = dict(scope, path=stripped, raw_path=stripped.encode())
            short.fired += 1
        await self.app(scope, receive, send)


@admin
async def short_list(request: Request, state) -> Response:
    if request.method == "POST":
        short, errors = parse(await json_body(request))
        if errors:
            return answer(errors, 400)
        state.short_list = short
        return answer(short.public(), 201)
    if request.method == "DELETE":
        state.short_list = None
    short = current(state)
    return answer(short.public() if short else {"kind": None})


routes = [Route("/_sim/short-list", short_list, methods=["GET", "POST", "DELETE"])]
