"""The public server API: the nine endpoints of the contract, authenticated by Bearer token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import catalog, lifecycle, list_gate, pagination, serializers, short_lists, validation
from .rate_limit import throttled_detail
from .responses import BadBody, answer, detail, json_body, no_content
from .state import SimState
from .storage import InsufficientBalance

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
MAX_ID = 2**63 - 1
NOT_FOUND = "Not found."


def authenticate(state: SimState, request: Request) -> tuple[str, dict | None]:
    """Classify the Authorization header as ok/missing/invalid (the token itself is never kept)."""
    cached = request.scope.get("vps_sim.auth")
    if cached is not None:
        return cached
    header = request.headers.get("authorization", "")
    scheme, _space, credentials = header.partition(" ")
    if scheme.lower() != "bearer":
        result = ("missing", None)
    else:
        account = state.storage.account_by_token(credentials.strip()) if credentials.strip() else None
        result = ("ok", account) if account else ("invalid", None)
    request.scope["vps_sim.auth"] = result
    return result


def unauthorized(kind: str) -> Response:
    message = "Authentication credentials were not provided." if kind == "missing" else "Invalid token."
    return detail(message, 401, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def throttled(wait: int) -> Response:
    return detail(throttled_detail(wait), 429, headers={"Retry-After": str(wait)})


def not_allowed(method: str, allowed: list[str]) -> Response:
    return detail(f'Method "{method}" not allowed.', 405, headers={"Allow": ", ".join(allowed)})


def server_id_of(request: Request) -> int | None:
    raw = request.path_params["server_id"]
    if not raw.isdigit() or not raw.isascii() or int(raw) > MAX_ID:
        return None
    return int(raw)


def handler(allowed: list[str]):
    """Wrap a view as DRF does: authenticate, then throttle, then answer 405 for a method the view lacks."""

    def decorate(view):
        async def endpoint(request: Request) -> Response:
            state: SimState = request.app.state.sim
            kind, account = authenticate(state, request)
            if account is None:
                return unauthorized(kind)
            wait = state.rate_limiter.take(account["id"])
            if wait:
                return throttled(wait)
            method = "GET" if request.method == "HEAD" else request.method
            if method not in allowed:
                return not_allowed(request.method, allowed)
            try:
                response = await view(request, state, account, method)
            except BadBody as exc:
                response = exc.response
            # DRF names the view's methods on every answer, not only on 405.
            response.headers["Allow"] = ", ".join(allowed)
            return response

        return endpoint

    return decorate


def _choice(request: Request, key: str, choices) -> str | None:
    value = request.query_params.get(key)
    if value in (None, ""):
        return None
    if value not in choices:
        raise BadBody(answer({key: [f"Select a valid choice. {value} is not one of the available choices."]}, 400))
    return value


@handler(["GET", "POST"])
async def servers_collection(request: Request, state: SimState, account: dict, method: str) -> Response:
    if method == "POST":
        return await create_server(request, state, account)
    await list_gate.before_list(request)
    status = _choice(request, "status", catalog.STATUSES)
    location = _choice(request, "location", catalog.LOCATIONS)
    settings = state.settings
    size = pagination.page_size(request.query_params.get("page_size"), settings.page_size, settings.page_size_max)
    chosen = {}
    now, ordering = state.clock(), state.ordering

    def page_of(pick_page) -> tuple[int, list[dict]]:
        count, rows = state.storage.list_servers(
            account["id"], now, status=status, location=location, pick_page=pick_page, ordering=ordering
        )
        return count, [serializers.summary(lifecycle.resolve(row, now)) for row in rows]

    def pick(count: int) -> tuple[int, int]:
        chosen["page"] = pagination.page_number(request.query_params.get("page"), count, size, state.last_page)
        return (chosen["page"] - 1) * size, size

    try:
        count, results = page_of(pick)
    except pagination.InvalidPage:
        return detail("Invalid page.", 404)
    following, previous = pagination.links(str(request.url), chosen["page"], count, size)
    body = {"count": count, "next": following, "previous": previous, "results": results}

    def previous_rows():
        return page_of(lambda _count: ((chosen["page"] - 2) * size, size))[1]

    return short_lists.page_answer(state, chosen["page"], body, previous_rows, account) or answer(body)


async def create_server(request: Request, state: SimState, account: dict) -> Response:
    fields, errors = validation.validate_create(await json_body(request))
    if errors:
        return answer(errors, 400)
    try:
        row = add_server(state, account, fields)
    except InsufficientBalance as exc:
        plan = catalog.PLANS[fields["plan_id"]]
        return detail(
            f"Insufficient balance: {plan['name']} costs {plan['price']:.2f} per month, "
            f"the account balance is {exc.balance:.2f}.",
            402,
        )
    return answer(serializers.created(row), 201)


def add_server(state: SimState, account: dict, fields: dict, status: str = "provisioning") -> dict:
    """Create the account's server as a create request does, debiting one month of its plan.

    Raises InsufficientBalance. ``status`` other than provisioning is for servers the control plane puts in place.
    """
    now = state.clock()
    arrival = lifecycle.arrival(status, now, state.provision_delay, state.transition_delay)
    price = catalog.PLANS[fields["plan_id"]]["price"]
    return state.storage.create_server(account["id"], fields, price, now, arrival)


def current_server(state: SimState, account: dict, server_id: int):
    """The account's server with its status resolved at this moment, and that moment.

    (None, None) when the account has no such server. Call it with the storage lock held, so
    the status cannot move between reading it and acting on it.
    """
    row = state.storage.get_server(server_id, account["id"])
    if row is None:
        return None, None
    now = state.clock()
    return lifecycle.resolve(row, now), now


@handler(["GET", "PUT", "PATCH", "DELETE"])
async def server_item(request: Request, state: SimState, account: dict, method: str) -> Response:
    server_id = server_id_of(request)
    if server_id is None:
        return detail(NOT_FOUND, 404)
    if method == "DELETE":
        deleted = state.storage.delete_server(server_id, account["id"])
        return no_content() if deleted else detail(NOT_FOUND, 404)
    data = await json_body(request) if method in ("PUT", "PATCH") else None
    storage = state.storage
    with storage.lock:
        server, now = current_server(state, account, server_id)
        if server is None:
            return detail(NOT_FOUND, 404)
        if method == "GET":
            return answer(serializers.detail(server))
        changes, errors = validation.validate_update(data, partial=method == "PATCH")
        if errors:
            return answer(errors, 400)
        if changes:
            changes["updated_at"] = now
            if "backups_enabled" in changes:
                changes["backups_enabled"] = int(changes["backups_enabled"])
            server = lifecycle.resolve(storage.save_server(server, changes), now)
    return answer(serializers.detail(server))


def power_action(action: str):
    @handler(["POST"])
    async def view(request: Request, state: SimState, account: dict, method: str) -> Response:
        server_id = server_id_of(request)
        if server_id is None:
            return detail(NOT_FOUND, 404)
        storage = state.storage
        with storage.lock:
            server, now = current_server(state, account, server_id)
            if server is None:
                return detail(NOT_FOUND, 404)
            refusal = lifecycle.refuse_action(action, server["status"])
            if refusal:
                return detail(refusal, 400)
            _allowed_from, passing, target = lifecycle.ACTION_TRANSITIONS[action]
            saved = storage.save_server(
                server,
                {
                    "status": passing,
                    "target_status": target,
                    "transition_until": now + state.transition_delay,
                    "updated_at": now,
                },
            )
        return answer(serializers.action(saved, lifecycle.ACTION_MESSAGES[action]))

    return view


routes = [
    Route("/api/v1/servers/", servers_collection, methods=ALL_METHODS),
    Route("/api/v1/servers/{server_id}/", server_item, methods=ALL_METHODS),
    *(
        Route(f"/api/v1/servers/{{server_id}}/{action}/", power_action(action), methods=ALL_METHODS)
        for action in lifecycle.ACTION_TRANSITIONS
    ),
]
