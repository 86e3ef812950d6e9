"""Run the app under uvicorn with a protocol that lets the app drop a connection, and announce readiness."""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .traffic import TRANSPORT_KEY


class DroppableH11Protocol(H11Protocol):
    """h11 protocol that hands the connection's transport to the app via the ASGI scope.

    ``drop_after_commit`` faults close it after the request was processed, so the client sees the
    connection end with no HTTP response at all (not a 500).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        inner = self.app

        async def app(scope, receive, send):
            scope[TRANSPORT_KEY] = self.transport
            await inner(scope, receive, send)

        self.app = app


def write_ready_file(path: str, payload: dict) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".vps-sim-ready-", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle)
    os.replace(tmp, path)


class AnnouncingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, tokens: list[str], admin_token: str, ready_file: str | None):
        super().__init__(config)
        self.tokens = tokens
        self.admin_token = admin_token
        self.ready_file = ready_file

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets=sockets)
        if self.should_exit or not self.servers:
            return
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        if self.config.host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        url = f"{'https' if self.config.is_ssl else 'http'}://{host}:{port}"
        # The ready file comes first, so whoever has seen the announcement can also read the file.
        if self.ready_file:
            payload = {"url": url, "api_url": f"{url}/api/v1", "tokens": self.tokens, "admin_token": self.admin_token}
            write_ready_file(self.ready_file, payload)
        print(f"VPS.org API simulator listening on {url}/api/v1", flush=True)
        for token in self.tokens:
            print(f"token: {token}", flush=True)
        print(f"control plane: {url}/_sim/ (header X-Sim-Admin-Token)", flush=True)


def _exit_cleanly(signum, frame) -> None:
    raise SystemExit(0)


def serve(app, *, host: str, port: int, tokens, admin_token, ready_file, log_level: str = "warning", ssl=None) -> None:
    """Serve until SIGINT/SIGTERM; `ssl` is an optional (certfile, keyfile) pair for HTTPS."""
    certfile, keyfile = ssl or (None, None)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=DroppableH11Protocol,
        lifespan="off",
        access_log=False,
        log_level=log_level,
        timeout_graceful_shutdown=2,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
    )
    server = AnnouncingServer(config, list(tokens), admin_token, ready_file)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal with the previous
    # handlers restored; these make that re-raise a normal exit (status 0) instead of death by signal.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _exit_cleanly)
    server.run()
    if not server.started:
        sys.exit(1)
