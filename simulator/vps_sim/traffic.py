"""ASGI middleware in front of the public API: applies fault rules and records the request log and counters."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from starlette.requests import Request

from .public_api import authenticate
from .state import SimState

logger = logging.getLogger("vps_sim")

TRANSPORT_KEY = "vps_sim.transport"
GATEWAY_PAGES = {
    500: b"<h1>Server Error (500)</h1>",
    502: b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
    503: b"<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service Unavailable</h1>"
    b"</body></html>",
    504: b"<html><head><title>504 Gateway Time-out</title></head><body><h1>504 Gateway Time-out</h1></body></html>",
}


def _parsed(body: bytes):
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


async def _read_body(receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def fault_response(rule) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """What a gateway or throttle in front of the real API would answer (DRF JSON for 429, HTML pages for 5xx)."""
    headers = []
    if rule.status == 429:
        wait = rule.retry_after or 1
        unit = "second" if wait == 1 else "seconds"
        body = json.dumps({"detail": f"Request was throttled. Expected available in {wait} {unit}."}).encode()
        headers.append((b"content-type", b"application/json"))
    else:
        body = GATEWAY_PAGES[rule.status]
        headers.append((b"content-type", b"text/html; charset=utf-8"))
    if rule.retry_after is not None and rule.status in (429, 503):
        headers.append((b"retry-after", str(rule.retry_after).encode()))
    headers.append((b"content-length", str(len(body)).encode()))
    return rule.status, headers, body


async def drop_connection(scope) -> None:
    transport = scope.get(TRANSPORT_KEY)
    if transport is None:
        raise RuntimeError("drop_after_commit needs the vps-sim server protocol (run through vps-sim)")
    transport.close()
    # Let the server notice the closed connection before the app returns, so it does not try to answer.
    for _tick in range(3):
        await asyncio.sleep(0)


async def hold(receive, seconds: float) -> None:
    """Keep the request unanswered for ``seconds`` or until the client gives up."""

    async def client_gone():
        while (await receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(client_gone(), timeout=seconds)


class TrafficMiddleware:
    def __init__(self, app, state: SimState):
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/_sim"):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return
        state = self.state
        request = Request(scope)
        kind, _account = authenticate(state, request)
        method, path = scope["method"], scope["path"]
        entry = {
            "time": state.clock(),
            "method": method,
            "path": path,
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": None,
            "body": _parsed(body),
            "user_agent": request.headers.get("user-agent"),
            "auth": kind,
            "fault": None,
        }
        decision = state.faults.decide(method, path)
        if decision.fired:
            entry["fault"] = decision.rule.kind if decision.rule else "latency"
        if decision.latency:
            await asyncio.sleep(decision.latency)
        rule = decision.rule
        if rule is not None and rule.kind == "status":
            status, headers, payload = fault_response(rule)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            entry["status"] = status
            state.log.record(entry, reached_handler=False, faulted=True)
            return
        if rule is not None and rule.kind == "timeout":
            state.log.record(entry, reached_handler=False, faulted=True)
            await hold(receive, rule.seconds or 0.0)
            await drop_connection(scope)
            return

        delivered = False

        async def replay():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        dropping = rule is not None and rule.kind == "drop_after_commit"

        async def observe(message):
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            if not dropping:
                await send(message)

        await self.app(scope, replay, observe)
        state.log.record(entry, reached_handler=True, faulted=False)
        if dropping:
            await drop_connection(scope)
