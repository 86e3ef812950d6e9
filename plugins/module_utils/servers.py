# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server resource: read, create, change, delete and power, never doing anything twice.

A request that changes something and loses its answer (a dropped connection, a timeout, a
server or gateway error) may or may not have been applied. Whatever the retry budget, it is
settled by re-reading the server state: when the change is there, the outcome is reported as
done; when two reads a pause apart show it is not, the request is sent again if retries remain,
and otherwise the task fails saying what was checked.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.module_utils import answers, contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import (
    AmbiguousRequestError,
    NotTheApiError,
    VpsApiError,
)


class ServerResource:
    """Mixed into the client over a Transport and a Listing."""

    # -- reading -------------------------------------------------------------------------

    def _checked_server(self, obj, method, path):
        problem = answers.server_problem(obj)
        if problem:
            raise self.error(
                NotTheApiError,
                f"api_url {self.api_url} does not look like the VPS.org API: {problem}",
                200,
                method,
                path,
            )
        return obj

    def get_server(self, server_id):
        path = contract.server_path(server_id)
        return self._checked_server(self.request("GET", path), "GET", path)

    def get_server_or_none(self, server_id):
        """The server, or None when the API itself says it does not exist (a foreign 404 raises)."""
        try:
            return self.get_server(server_id)
        except NotTheApiError:
            raise
        except VpsApiError as exc:
            if exc.status == 404:
                return None
            raise

    # -- changing, settled by re-reading -------------------------------------------------

    def _settled(self, method, path, what, took_effect, body=None, checked="the server state"):
        """Send a change; return its answer, or what took_effect() re-read when the answer was lost."""
        attempt = 0
        while True:
            try:
                return self.request(method, path, body=body)
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
            self.log(f"{what} got no usable answer ({lost.message}); re-reading {checked}")
            done = self._confirm(took_effect, attempt)
            if done is not None:
                self.log(f"{what} took effect although its answer was lost")
                return done
            if attempt >= self.retries:
                raise self.error(
                    VpsApiError,
                    f"{what} got no usable answer ({lost.message}); {checked}, read twice, shows it did not "
                    "take effect, and retries are used up",
                    lost.status,
                    method,
                    path,
                    lost.body,
                )
            attempt += 1

    def _confirm(self, took_effect, attempt):
        """Two reads a pause apart agree before a lost request counts as not applied."""
        done = took_effect()
        if done is None:
            self.pause(attempt, None, "the change is not visible yet")
            done = took_effect()
        return done

    def update_server(self, server_id, changes):
        def took_effect():
            server = self.get_server(server_id)
            return server if all(server.get(key) == value for key, value in changes.items()) else None

        path = contract.server_path(server_id)
        answer = self._settled(contract.UPDATE_METHOD, path, f"{contract.UPDATE_METHOD} {path}", took_effect, changes)
        return self._checked_server(answer, contract.UPDATE_METHOD, path)

    def delete_server(self, server_id):
        path = contract.server_path(server_id)

        def took_effect():
            return True if self.get_server_or_none(server_id) is None else None

        try:
            self._settled("DELETE", path, f"DELETE {path}", took_effect)
        except NotTheApiError:
            raise
        except VpsApiError as exc:
            # Deleted by someone else in the meantime: the state asked for is there.
            if exc.status != 404:
                raise
            self.log(f"server {server_id} was already gone")

    def create_server(self, body, existing_ids=()):
        """Create a server, never twice.

        A server with the requested name that was not among `existing_ids` is the one we created.
        """
        existing_ids = set(existing_ids)

        def took_effect():
            # A narrow listing first (a few servers in a large account); only the whole list can
            # show that the server is not there, so a create is never sent twice on a guess.
            created = self._find_new(body["name"], existing_ids, contract.new_server_filters(body))
            created = created or self._find_new(body["name"], existing_ids)
            return self.get_server(created["id"]) if created else None

        what = f"the create request for server {body['name']!r}"
        answer = self._settled(
            "POST",
            contract.SERVERS_PATH,
            what,
            took_effect,
            body,
            checked=f"the server list for a new {body['name']!r}",
        )
        return self._checked_server(answer, "POST", contract.SERVERS_PATH)

    def _find_new(self, name, existing_ids, filters=None):
        new = [s for s in self.list_servers(filters) if s["name"] == name and s["id"] not in existing_ids]
        if len(new) > 1:
            raise self.error(
                VpsApiError,
                "several new servers named {!r} appeared (ids {}); refusing to guess which one is ours".format(
                    name, ", ".join(str(s["id"]) for s in new)
                ),
                None,
                "POST",
                contract.SERVERS_PATH,
            )
        return new[0] if new else None

    def power(self, server_id, action, before=None):
        """Run start/stop/reboot once; returns the action's answer or the server as re-read."""
        spec = contract.POWER_ACTIONS[action]
        path = contract.action_path(server_id, action)
        before = before or self.get_server(server_id)

        def took_effect():
            now = self.get_server(server_id)
            return {"status": "success", "server": now} if contract.action_took_effect(spec, before, now) else None

        return self._settled("POST", path, f"POST {path}", took_effect, checked=f"the status of server {server_id}")
