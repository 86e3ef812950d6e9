"""Assemble the ASGI application: public API, control plane, traffic middleware and DRF-style error bodies."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request

from . import control, list_gate, public_api, short_lists
from .responses import answer, detail
from .state import Settings, SimState
from .traffic import TrafficMiddleware

logger = logging.getLogger("vps_sim")


async def http_error(request: Request, exc: HTTPException):
    if exc.status_code == 404:
        return detail("Not found.", 404)
    if exc.status_code == 405:
        return detail(f'Method "{request.method}" not allowed.', 405, headers=exc.headers)
    return detail(exc.detail, exc.status_code, headers=exc.headers)


async def unexpected(request: Request, exc: Exception):
    # A 500 from the simulator is a bug in the simulator; the body says so instead of posing as the API.
    logger.exception("unhandled error for %s %s", request.method, request.url.path)
    return answer({"detail": "Internal error in the simulator (this is a simulator bug)."}, 500)


def create_app(settings: Settings | None = None, state: SimState | None = None) -> Starlette:
    state = state or SimState(settings or Settings())
    app = Starlette(
        routes=[*public_api.routes, *control.routes, *list_gate.routes, *short_lists.routes],
        middleware=[Middleware(short_lists.PrefixMiddleware, state=state), Middleware(TrafficMiddleware, state=state)],
        exception_handlers={HTTPException: http_error, Exception: unexpected},
    )
    app.router.redirect_slashes = False
    app.state.sim = state
    return app
