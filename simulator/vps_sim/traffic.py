"""ASGI middleware in front of the public API: fault rules, a person's servers, echo mode, the request log and
counters."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from starlette.requests import Request

from .public_api import add_server, authenticate
from .rate_limit import throttled_detail
from .state import SimState
from .storage import InsufficientBalance

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
        body = json.dumps({"detail": throttled_detail(rule.retry_after or 1)}).encode()
        headers.append((b"content-type", b"application/json"))
    else:
        body = GATEWAY_PAGES[rule.status]
        headers.append((b"content-type", b"text/html; charset=utf-8"))
    if rule.retry_after is not None and rule.status in (429, 503):
        headers.append((b"retry-after", str(rule.retry_after).encode()))
    headers.append((b"content-length", str(len(body)).encode()))
    return rule.status, headers, body


def echo_authorization(body: bytes, content_type: str, authorization: str) -> bytes:
    """The error body with the request's Authorization header written into it (echo mode).

    JSON bodies get it where a client shows API messages (``detail``, or ``non_field_errors`` next to
    field errors); HTML pages get it as a paragraph.
    """
    note = f"request had Authorization: {authorization}"
    if "json" not in content_type:
        return body + f"<p>{note}</p>".encode()
    data = _parsed(body)
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        data["detail"] = f"{data['detail']} ({note})"
    elif isinstance(data, dict):
        data["non_field_errors"] = [*data.get("non_field_errors", []), note]
    else:
        data = {"detail": note, "body": data}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _with_body(headers: list[tuple[bytes, bytes]], body: bytes) -> list[tuple[bytes, bytes]]:
    return [(key, value) for key, value in headers if key.lower() != b"content-length"] + [
        (b"content-length", str(len(body)).encode())
    ]


def _content_type(headers) -> str:
    return next((value.decode("latin-1") for key, value in headers if key.lower() == b"content-type"), "")


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


def person_creates(state: SimState, account: dict, rules: list) -> None:
    """Create each insert rule's server in ``account`` as another client of it would (then ``rules`` is empty).

    Not a request of the client's: nothing of it goes into the request log or the counters.
    """
    for rule in rules:
        with contextlib.suppress(InsufficientBalance):
            rule.created.append(add_server(state, account, rule.server, rule.server["status"])["id"])
    rules.clear()


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
        kind, account = authenticate(state, request)
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
            # The account's label (never its token), or None without a valid token.
            "account": account["label"] if account else None,
            "fault": None,
        }
        decision = state.faults.decide(
            method, path, authenticated=account is not None, account=account["label"] if account else None
        )
        person_creates(state, account, decision.insert_before)
        if decision.fired:
            entry["fault"] = decision.rule.kind if decision.rule else "latency"
        if decision.latency:
            await asyncio.sleep(decision.latency)
        rule = decision.rule
        authorization = request.headers.get("authorization", "") if state.echo_token else ""

        async def answer_fault():
            status, headers, payload = fault_response(rule)
            if authorization:
                payload = echo_authorization(payload, _content_type(headers), authorization)
                headers = _with_body(headers, payload)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
            entry["status"] = status

        if rule is not None and rule.kind == "status":
            person_creates(state, account, decision.insert_after)
            await answer_fault()
            state.log.record(entry, reached_handler=False, faulted=True)
            return
        if rule is not None and rule.kind == "timeout":
            person_creates(state, account, decision.insert_after)
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

        # After commit, the API's own answer is dropped or replaced by a gateway error page.
        after_commit = rule.kind if rule is not None and rule.kind.endswith("_after_commit") else None
        held: list[bytes] = []
        start_message = None

        async def observe(message):
            nonlocal start_message
            if message["type"] == "http.response.start":
                # The API has done its part: a person acting "after" does so before the client has any answer.
                person_creates(state, account, decision.insert_after)
                entry["status"] = message["status"]
                start_message = dict(message)
                return
            if after_commit:
                return
            if authorization and entry["status"] >= 400:
                # Echo mode: hold the error body until complete, then send it with the header in it.
                held.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                payload = echo_authorization(b"".join(held), _content_type(start_message["headers"]), authorization)
                start_message["headers"] = _with_body(start_message["headers"], payload)
                message = {"type": "http.response.body", "body": payload}
            if start_message is not None:
                await send(start_message)
                start_message = None
            await send(message)

        await self.app(scope, replay, observe)
        if after_commit == "error_after_commit":
            entry["committed_status"] = entry["status"]
            await answer_fault()
        state.log.record(entry, reached_handler=True, faulted=after_commit is not None)
        if after_commit == "drop_after_commit":
            await drop_connection(scope)
