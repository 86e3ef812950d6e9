"""The simulator inside the test process: the same application, served through a requests adapter.

    clock = FakeClock()
    with InProcessSimulator(clock=clock) as sim:
        session = sim.session()          # a requests.Session whose requests reach the app directly
        session.get(sim.api_url + "/servers/", headers={"Authorization": f"Bearer {sim.token}"})
        clock.sleep(3)                   # provisioning ends when the clock says so, not the wall
        sim.add_fault(kind="status", status=503, count=1)

Every rule of the public API and every control-plane call is the simulator's own (create_app); only
the socket is left out, so a unit test sends thousands of requests in a second and waits for
nothing. A connection the app closes without an answer (a `drop_after_commit` or `timeout` fault)
reaches the client as requests' ConnectionError, as over a socket. Latency faults sleep for real:
leave them to the tests that run `vps-sim` itself (testing.Simulator).
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from .app import create_app
from .state import Settings, SimState
from .testing import Simulator
from .traffic import TRANSPORT_KEY

ORIGIN = "http://vps-sim.invalid"


class FakeClock:
    """Time that moves only when something sleeps on it: the simulator's lifecycle and the client's waits alike."""

    def __init__(self, start: float = 1_800_000_000.0):
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


class _Connection:
    """What the app's `drop_connection` closes instead of a socket."""

    closed = False

    def close(self) -> None:
        self.closed = True


class AppAdapter(BaseAdapter):
    """Sends each request to the ASGI application in this thread (its own event loop) and builds the response."""

    def __init__(self, app):
        super().__init__()
        self.app = app

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        parts = urlsplit(request.url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        connection = _Connection()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": parts.scheme,
            "path": unquote(parts.path),
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": [
                (key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in request.headers.items()
            ],
            "client": ("127.0.0.1", 50000),
            "server": (parts.hostname, parts.port or 80),
            TRANSPORT_KEY: connection,
        }
        sent: list[dict] = []
        delivered = False

        async def receive():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}  # the client waits for nothing: a held request ends now

        async def send(message):
            if not connection.closed:
                sent.append(message)

        asyncio.run(self.app(scope, receive, send))
        start = next((message for message in sent if message["type"] == "http.response.start"), None)
        if connection.closed or start is None:
            raise requests.exceptions.ConnectionError(
                "the simulator closed the connection without an answer", request=request
            )
        response = requests.Response()
        response.status_code = start["status"]
        response.headers = CaseInsensitiveDict(
            {key.decode("latin-1"): value.decode("latin-1") for key, value in start.get("headers", [])}
        )
        response._content = b"".join(
            message.get("body", b"") for message in sent if message["type"] == "http.response.body"
        )
        response.url = request.url
        response.request = request
        response.reason = ""
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


class InProcessSimulator(Simulator):
    """testing.Simulator's control-plane helpers over the app in this process, on `clock` (time.time by default)."""

    def __init__(self, tokens=None, *, clock=time.time, **kw):
        super().__init__(tokens, **kw)
        self.clock = clock
        self._state = None

    def start(self) -> InProcessSimulator:
        if self._state is not None:
            return self
        settings = Settings(
            tokens=self.tokens,
            provision_delay=self.provision_delay,
            transition_delay=self.transition_delay,
            admin_token=self.admin_token,
            echo_token=self.echo_token,
            rate_limit=self.rate_limit,
            rate_burst=self.rate_burst,
        )
        if self.balance is not None:
            settings.balance = self.balance
        if self.page_size_max is not None:
            settings.page_size_max = self.page_size_max
        self._state = SimState(settings, clock=self.clock)
        self._state.rate_limiter.clock = self.clock
        self._adapter = AppAdapter(create_app(state=self._state))
        self._session.mount(ORIGIN, self._adapter)
        self.url, self.api_url = ORIGIN, ORIGIN + "/api/v1"
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._state = None

    def session(self) -> requests.Session:
        """A requests.Session whose requests to api_url reach the app (share it between threads freely)."""
        session = requests.Session()
        session.mount(ORIGIN, self._adapter)
        return session
