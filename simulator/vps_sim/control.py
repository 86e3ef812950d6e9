"""The ``/_sim/`` control plane: reset, accounts, seeding, suspension, settling, timings, modes, rate limit, faults,
request log, counters.

It answers only requests carrying ``X-Sim-Admin-Token``; API tokens do not open it.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import catalog, lifecycle, serializers
from .faults import RuleError
from .numbers import number
from .responses import BadBody, answer, detail, json_body
from .state import SimState
from .storage import ORDERINGS

SEED_MAX = 100_000


def admin(view):
    async def endpoint(request: Request) -> Response:
        state: SimState = request.app.state.sim
        given = request.headers.get("x-sim-admin-token", "")
        if not hmac.compare_digest(given.encode(), state.settings.admin_token.encode()):
            return detail("Control plane: send the admin token in the X-Sim-Admin-Token header.", 403)
        try:
            return await view(request, state)
        except BadBody as exc:
            return exc.response

    return endpoint


async def _object(request: Request) -> dict:
    data = await json_body(request)
    if not isinstance(data, dict):
        raise BadBody(answer({"non_field_errors": ["Expected a JSON object."]}, 400))
    return data


def _public_account(account: dict) -> dict:
    # Tokens stay out of control-plane answers too: the label identifies the account.
    return {"account": account["label"], "balance": round(account["balance"], 2), "servers": account.get("servers", 0)}


def admin_server(row: dict, now: float) -> dict:
    server = lifecycle.resolve(row, now)
    return {**serializers.detail(server), "account": row.get("account")}


@admin
async def reset(request: Request, state: SimState) -> Response:
    state.reset()
    return answer(
        {
            "reset": True,
            "accounts": len(state.settings.tokens),
            **state.timings(),
            **state.modes(),
            **state.rate_limiter.public(),
        }
    )


@admin
async def accounts(request: Request, state: SimState) -> Response:
    if request.method == "GET":
        return answer([_public_account(account) for account in state.storage.accounts()])
    data = await _object(request)
    errors: dict = {}
    token = data.get("token")
    if not isinstance(token, str) or not token.strip() or any(c.isspace() for c in token):
        errors["token"] = ["A non-empty token without whitespace is required."]
    balance = number(data, "balance", errors)
    if errors:
        return answer(errors, 400)
    known = state.storage.account_by_token(token) is not None
    account = state.storage.ensure_account(
        token, state.settings.balance if balance is None else float(balance), overwrite_balance=balance is not None
    )
    by_label = {a["label"]: a for a in state.storage.accounts()}
    return answer(_public_account(by_label[account["label"]]), 200 if known else 201)


@admin
async def seed(request: Request, state: SimState) -> Response:
    data = await _object(request)
    errors: dict = {}
    count = number(data, "count", errors, default=1, integer=True, minimum=1, maximum=SEED_MAX)
    status = data.get("status", "active")
    if status not in catalog.STATUSES:
        errors["status"] = [f"Must be one of: {', '.join(catalog.STATUSES)}."]
    location = data.get("location")
    if location is not None and location not in catalog.LOCATIONS:
        errors["location"] = [f"Must be one of: {', '.join(catalog.LOCATIONS)}."]
    plan_id = data.get("plan_id", 1)
    if plan_id not in catalog.PLANS or isinstance(plan_id, bool):
        errors["plan_id"] = [f"Must be one of: {', '.join(map(str, catalog.PLANS))}."]
    os_id = data.get("os_id", 5)
    if os_id not in catalog.OPERATING_SYSTEMS or isinstance(os_id, bool):
        errors["os_id"] = [f"Must be one of: {', '.join(map(str, catalog.OPERATING_SYSTEMS))}."]
    prefix = data.get("name_prefix", "seed")
    if not isinstance(prefix, str) or not prefix or not prefix.replace("-", "").isalnum():
        errors["name_prefix"] = ["Letters, digits and hyphens only."]
    token = data.get("token", state.settings.tokens[0])
    if not isinstance(token, str) or not token:
        errors["token"] = ["Not a valid string."]
    if errors:
        return answer(errors, 400)
    account = state.storage.ensure_account(token, state.settings.balance, overwrite_balance=False)
    now = state.clock()
    arrival = lifecycle.arrival(status, now, state.provision_delay, state.transition_delay)
    locations = [location] if location else list(catalog.LOCATIONS)
    rows = [
        (
            f"{prefix}-{n}",
            f"{prefix}-{n}",
            *arrival.values(),  # status, target_status, transition_until, suspended_from
            plan_id,
            os_id,
            locations[(n - 1) % len(locations)],
            0,
            now,
            now,
        )
        for n in range(1, count + 1)
    ]
    first, last = state.storage.seed(account["id"], rows)
    return answer({"created": count, "ids": [first, last]}, 201)


def _any_server(request: Request, state: SimState) -> tuple[dict, dict, float] | None:
    """The server named in the path, of any account (row, resolved now, now); call under the lock."""
    raw = request.path_params["server_id"]
    row = state.storage.get_server(int(raw), None) if raw.isdigit() and len(raw) < 19 else None
    if row is None:
        return None
    now = state.clock()
    return row, lifecycle.resolve(row, now), now


@admin
async def suspension(request: Request, state: SimState) -> Response:
    storage = state.storage
    with storage.lock:
        found = _any_server(request, state)
        if found is None:
            return detail("Not found.", 404)
        row, server, now = found
        if request.url.path.endswith("/unsuspend"):
            if server["status"] != "suspended":
                return detail("Server is not suspended.", 400)
            changes = {"status": server["suspended_from"] or "active", "suspended_from": None, "updated_at": now}
        else:
            if server["status"] == "suspended":
                return answer(admin_server({**row, "account": None}, now))
            settled = server["target_status"] or server["status"]
            settled = "active" if settled == "provisioning" else settled
            changes = {
                "status": "suspended",
                "suspended_from": settled,
                "target_status": None,
                "transition_until": None,
                "updated_at": now,
            }
        saved = storage.save_server(server, changes)
    return answer(admin_server(saved, now))


@admin
async def settle(request: Request, state: SimState) -> Response:
    """Finish the server's pending transition (provisioning, starting, stopping, rebooting) now.

    With a long transition delay a test holds a server in its transitional status for as long as it
    needs (to see that a client waits it out) and then lets it settle at a moment of its choosing.
    """
    storage = state.storage
    with storage.lock:
        found = _any_server(request, state)
        if found is None:
            return detail("Not found.", 404)
        _row, server, now = found
        if server["transition_until"] is not None:
            storage.save_server(server, {"transition_until": now, "updated_at": now})
        saved = storage.get_server(server["id"], None)
    return answer(admin_server(saved, now))


@admin
async def modes(request: Request, state: SimState) -> Response:
    if request.method == "PUT":
        data = await _object(request)
        errors: dict = {}
        unknown = sorted(set(data) - set(state.modes()))
        if unknown:
            errors["non_field_errors"] = [f"Unknown keys: {', '.join(unknown)}."]
        for key in set(data) & {"echo_token", "last_page"}:
            if not isinstance(data[key], bool):
                errors[key] = ["Must be a valid boolean."]
        if "ordering" in data and (not isinstance(data["ordering"], str) or data["ordering"] not in ORDERINGS):
            errors["ordering"] = [f"Must be one of: {', '.join(ORDERINGS)}."]
        if errors:
            return answer(errors, 400)
        for key, value in data.items():
            setattr(state, key, value)
    return answer(state.modes())


@admin
async def timings(request: Request, state: SimState) -> Response:
    if request.method == "PUT":
        data = await _object(request)
        errors: dict = {}
        provision = number(data, "provision_delay", errors, maximum=86400)
        transition = number(data, "transition_delay", errors, maximum=86400)
        unknown = sorted(set(data) - {"provision_delay", "transition_delay"})
        if unknown:
            errors["non_field_errors"] = [f"Unknown keys: {', '.join(unknown)}."]
        if errors:
            return answer(errors, 400)
        if provision is not None:
            state.provision_delay = float(provision)
        if transition is not None:
            state.transition_delay = float(transition)
    return answer(state.timings())


RATE_MAX = 100_000.0
RETRY_AFTER_MAX = 86_400


@admin
async def rate_limit(request: Request, state: SimState) -> Response:
    """The whole setting at once: ``{"rate_limit": R, "rate_burst": B, "retry_after": S}``.

    R null or 0 is no limit; B defaults to one second's worth; S (whole seconds) replaces the computed Retry-After.
    """
    limiter = state.rate_limiter
    if request.method == "PUT":
        data = await _object(request)
        errors: dict = {}
        rate = number(data, "rate_limit", errors, maximum=RATE_MAX)
        burst = number(data, "rate_burst", errors, integer=True, minimum=1, maximum=int(RATE_MAX))
        retry_after = number(data, "retry_after", errors, integer=True, minimum=1, maximum=RETRY_AFTER_MAX)
        if "rate_limit" not in data:
            errors["rate_limit"] = ["This field is required (null or 0 turns the limit off)."]
        unknown = sorted(set(data) - {"rate_limit", "rate_burst", "retry_after"})
        if unknown:
            errors["non_field_errors"] = [f"Unknown keys: {', '.join(unknown)}."]
        if errors:
            return answer(errors, 400)
        limiter.configure(rate, burst, retry_after)
    return answer(limiter.public())


@admin
async def servers(request: Request, state: SimState) -> Response:
    now = state.clock()
    return answer([admin_server(row, now) for row in state.storage.all_servers()])


@admin
async def faults(request: Request, state: SimState) -> Response:
    if request.method == "POST":
        try:
            rule = state.faults.add(await json_body(request))
        except RuleError as exc:
            return answer(exc.errors, 400)
        return answer(rule.public(), 201)
    if request.method == "DELETE":
        state.faults.clear()
        return answer({"cleared": True})
    return answer(state.faults.list())


@admin
async def requests_log(request: Request, state: SimState) -> Response:
    if request.method == "DELETE":
        state.log.clear()
        return answer({"cleared": True})
    raw = request.query_params.get("since", "0")
    if not raw.isdigit():
        return answer({"since": ["A valid integer is required."]}, 400)
    return answer(state.log.since(int(raw)))


@admin
async def counters(request: Request, state: SimState) -> Response:
    return answer(state.log.counters())


routes = [
    Route("/_sim/reset", reset, methods=["POST"]),
    Route("/_sim/accounts", accounts, methods=["GET", "POST"]),
    Route("/_sim/seed", seed, methods=["POST"]),
    Route("/_sim/servers", servers, methods=["GET"]),
    Route("/_sim/servers/{server_id}/suspend", suspension, methods=["POST"]),
    Route("/_sim/servers/{server_id}/unsuspend", suspension, methods=["POST"]),
    Route("/_sim/servers/{server_id}/settle", settle, methods=["POST"]),
    Route("/_sim/timings", timings, methods=["GET", "PUT"]),
    Route("/_sim/modes", modes, methods=["GET", "PUT"]),
    Route("/_sim/rate-limit", rate_limit, methods=["GET", "PUT"]),
    Route("/_sim/faults", faults, methods=["GET", "POST", "DELETE"]),
    Route("/_sim/requests", requests_log, methods=["GET", "DELETE"]),
    Route("/_sim/counters", counters, methods=["GET"]),
]
