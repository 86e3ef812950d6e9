"""A gate in front of the server list, for tests of clients that list while the account changes.

``POST /_sim/list-gate {"after": k}`` arms it: the first ``k`` list GETs pass, every later one
waits until ``POST /_sim/list-gate/open`` (or ``hold_seconds``, default 60, have passed). A test
lets a client read page 1, changes the account through the control plane or the API while
page 2 waits, then opens the gate: the client's later pages see the changed account, every run
the same. ``GET`` shows ``{"armed", "after", "passed", "waiting"}``; ``DELETE`` disarms and opens.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .control import admin
from .responses import answer, json_body

HOLD_MAX = 600.0


class ListGate:
    def __init__(self, after: int, hold_seconds: float):
        self.after = after
        self.hold_seconds = hold_seconds
        self.passed = 0
        self.waiting = 0
        self.opened = asyncio.Event()

    def public(self) -> dict:
        armed = not self.opened.is_set()
        return {"armed": armed, "after": self.after, "passed": self.passed, "waiting": self.waiting}


def _gate(request: Request) -> ListGate | None:
    return getattr(request.app.state, "list_gate", None)


async def before_list(request: Request) -> None:
    """Called by the list view before it reads storage: counts the GET, waits when the gate is shut."""
    gate = _gate(request)
    if gate is None or gate.opened.is_set():
        return
    if gate.passed < gate.after:
        gate.passed += 1
        return
    gate.waiting += 1
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(gate.opened.wait(), timeout=gate.hold_seconds)
    finally:
        gate.waiting -= 1


@admin
async def list_gate(request: Request, state) -> Response:
    gate = _gate(request)
    if request.method == "POST":
        data = await json_body(request)
        if not isinstance(data, dict):
            return answer({"non_field_errors": ["Expected a JSON object."]}, 400)
        after, hold = data.get("after", 1), data.get("hold_seconds", 60)
        errors = {}
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            errors["after"] = ["A valid integer >= 0 is required."]
        if isinstance(hold, bool) or not isinstance(hold, int | float) or not 0 < hold <= HOLD_MAX:
            errors["hold_seconds"] = [f"Must be between 0 and {HOLD_MAX}."]
        if errors:
            return answer(errors, 400)
        if gate is not None:
            gate.opened.set()
        gate = request.app.state.list_gate = ListGate(after, float(hold))
    elif request.method == "DELETE" and gate is not None:
        gate.opened.set()
        request.app.state.list_gate = None
    return answer(gate.public() if gate else {"armed": False})


@admin
async def open_gate(request: Request, state) -> Response:
    gate = _gate(request)
    if gate is not None:
        gate.opened.set()
    return answer(gate.public() if gate else {"armed": False})


routes = [
    Route("/_sim/list-gate", list_gate, methods=["GET", "POST", "DELETE"]),
    Route("/_sim/list-gate/open", open_gate, methods=["POST"]),
]
