# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server resource: read, create, change, delete and power, never doing anything twice.

A request that changes something and loses its answer (a dropped connection, a timeout, a
server or gateway error) may or may not have been applied. Whatever the retry budget, it is
settled by re-reading the server state: when the change is there, the outcome is reported as
done; when two reads a pause apart show it is not, the request is sent again if retries remain,
and otherwise the task fails saying what was checked.

A create is settled by identity (contract.shows_request): a server found afterwards is this run's
only when it was not in the listing the run planned from and shows everything the create sent.
A server of the same name that shows another plan, OS, location or host name is someone else's:
it is never taken, changed or reported as ours.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.module_utils import answers, contract, listing
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import (
    AmbiguousRequestError,
    NotTheApiError,
    VpsApiError,
)

# -- reading ---------------------------------------------------------------------------------


def _checked(http, obj, method, path):
    problem = answers.server_problem(obj)
    if problem:
        message = f"api_url {http.api_url} does not look like the VPS.org API: {problem}"
        raise http.error(NotTheApiError, message, 200, method, path)
    return obj


def get_server(http, server_id):
    path = contract.server_path(server_id)
    return _checked(http, http.request("GET", path), "GET", path)


def get_server_or_none(http, server_id):
    """The server, or None when the API itself says it does not exist (a foreign 404 raises)."""
    try:
        return get_server(http, server_id)
    except NotTheApiError:
        raise
    except VpsApiError as exc:
        if exc.status == 404:
            return None
        raise


# -- changing, settled by re-reading ---------------------------------------------------------


def _settled(http, method, path, what, took_effect, body=None, checked="the server state"):
    """Send a change; return its answer, or what took_effect() re-read when the answer was lost."""
    attempt = 0
    while True:
        try:
            return http.request(method, path, body=body)
        except AmbiguousRequestError as exc:
            lost = exc
        except NotTheApiError:
            raise
        except VpsApiError:
            # A repeat can be refused because the first, unanswered, request worked
            # (a second stop of a stopping server, a second DELETE of a deleted one).
            done = took_effect() if attempt else None
            if done is None:
                raise
            return done
        http.log(f"{what} got no usable answer ({lost.message}); re-reading {checked}")
        done = took_effect()
        if done is None:
            # Two reads a pause apart agree before a lost request counts as not applied.
            http.backoff(attempt, "the change is not visible yet", "reading it again")
            done = took_effect()
        if done is not None:
            http.log(f"{what} took effect although its answer was lost")
            return done
        if attempt >= http.retries:
            raise http.error(
                VpsApiError,
                f"{what} got no usable answer ({lost.message}); {checked}, read twice, shows it did not "
                "take effect, and retries are used up",
                lost.status,
                method,
                path,
                lost.body,
            )
        attempt += 1


def update_server(http, server_id, changes):
    def took_effect():
        server = get_server(http, server_id)
        return server if all(server.get(key) == value for key, value in changes.items()) else None

    path = contract.server_path(server_id)
    answer = _settled(http, contract.UPDATE_METHOD, path, f"{contract.UPDATE_METHOD} {path}", took_effect, changes)
    return _checked(http, answer, contract.UPDATE_METHOD, path)


def delete_server(http, server_id):
    path = contract.server_path(server_id)

    def took_effect():
        return True if get_server_or_none(http, server_id) is None else None

    try:
        _settled(http, "DELETE", path, f"DELETE {path}", took_effect)
    except NotTheApiError:
        raise
    except VpsApiError as exc:
        # Deleted by someone else in the meantime: the state asked for is there.
        if exc.status != 404:
            raise
        http.log(f"server {server_id} was already gone")


def create_server(http, body, existing_ids):
    """Create a server, never twice, and never take someone else's for ours.

    existing_ids: every id of the listing the run planned from. After a lost answer, the server is
    ours when it is not among them and shows what was sent (contract.shows_request).
    """
    existing_ids = set(existing_ids)

    def took_effect():
        # A narrow listing first (a few servers in a large account); only the whole list can
        # show that the server is not there, so a create is never sent twice on a guess.
        created = _find_new(http, body, existing_ids, contract.new_server_filters(body))
        created = created or _find_new(http, body, existing_ids)
        return get_server(http, created["id"]) if created else None

    what = f"the create request for server {body['name']!r}"
    checked = f"the server list for a new {body['name']!r}"
    answer = _settled(http, "POST", contract.SERVERS_PATH, what, took_effect, body, checked)
    return _checked(http, answer, "POST", contract.SERVERS_PATH)


def _find_new(http, body, existing_ids, filters=None):
    name = body["name"]
    new = [s for s in listing.list_servers(http, filters) if s["name"] == name and s["id"] not in existing_ids]
    ours = [s for s in new if contract.shows_request(s, body)]
    for other in new:
        if other not in ours:
            http.log(f"server {name!r} (id {other['id']}) appeared meanwhile but does not match the request: not ours")
    if len(ours) > 1:
        ids = ", ".join(str(s["id"]) for s in ours)
        message = (
            f"several new servers named {name!r} match the request (ids {ids}); refusing to guess which one is ours"
        )
        raise http.error(VpsApiError, message, None, "POST", contract.SERVERS_PATH)
    return ours[0] if ours else None


def power(http, server_id, action, before=None):
    """Run start/stop/reboot once; returns the action's answer or the server as re-read."""
    spec = contract.POWER_ACTIONS[action]
    path = contract.action_path(server_id, action)
    before = before or get_server(http, server_id)

    def took_effect():
        now = get_server(http, server_id)
        return {"status": "success", "server": now} if contract.action_took_effect(spec, before, now) else None

    return _settled(http, "POST", path, f"POST {path}", took_effect, checked=f"the status of server {server_id}")
