"""Everything one simulator process holds: storage, settings, timings, modes, faults, rate limit, request log and
counters."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from .faults import FaultBook
from .rate_limit import RateLimiter
from .storage import Storage

DEMO_TOKEN = "vps-demo-token"
ADMIN_TOKEN = "vps-sim-admin"
REQUEST_LOG_MAX = 100_000
SERVER_PATH_RE = re.compile(r"^(/api/v1/servers/)\d+/")


@dataclass
class Settings:
    tokens: list[str] = field(default_factory=lambda: [DEMO_TOKEN])
    db: str = ":memory:"
    provision_delay: float = 3.0
    transition_delay: float = 1.0
    admin_token: str = ADMIN_TOKEN
    # Enough for a fleet of several hundred Standard servers; set a low balance (control plane) to see 402.
    balance: float = 10_000.0
    page_size: int = 20
    page_size_max: int = 100
    # Error answers repeat the request's Authorization header, as a careless API or proxy might:
    # a client must keep it out of everything it prints.
    echo_token: bool = False
    # The order lists are served in (storage.ORDERINGS), and whether ``page=last`` is understood.
    ordering: str = "id"
    last_page: bool = True
    # Requests per second per token (None: no limit) and the bucket size (None: one second's worth).
    rate_limit: float | None = None
    rate_burst: int | None = None


def endpoint_key(method: str, path: str) -> str:
    """``POST /api/v1/servers/{id}/start/`` style key shared by all ids."""
    return method + " " + SERVER_PATH_RE.sub(r"\1{id}/", path)


class RequestLog:
    def __init__(self):
        self._entries: deque[dict] = deque(maxlen=REQUEST_LOG_MAX)
        self._seq = 0
        self._lock = threading.Lock()
        self.by_endpoint: Counter = Counter()
        self.mutating = 0
        self.faulted = 0
        self.throttled = 0
        self.total = 0

    def record(self, entry: dict, *, reached_handler: bool, faulted: bool) -> None:
        with self._lock:
            self._seq += 1
            self._entries.append({"seq": self._seq, **entry})
            self.by_endpoint[endpoint_key(entry["method"], entry["path"])] += 1
            self.total += 1
            # Only the rate limit answers 429 from behind the gateway (fault rules count as faulted),
            # and a throttled request changed nothing.
            throttled = reached_handler and not faulted and entry["status"] == 429
            if faulted:
                self.faulted += 1
            if throttled:
                self.throttled += 1
            elif reached_handler and entry["method"] in ("POST", "PUT", "PATCH", "DELETE"):
                self.mutating += 1

    def since(self, seq: int) -> list[dict]:
        with self._lock:
            return [entry for entry in self._entries if entry["seq"] > seq]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
            self._seq = 0
            self.by_endpoint.clear()
            self.mutating = self.faulted = self.throttled = self.total = 0

    def counters(self) -> dict:
        with self._lock:
            return {
                "by_endpoint": dict(self.by_endpoint),
                "mutating": self.mutating,
                "faulted": self.faulted,
                "throttled": self.throttled,
                "total": self.total,
            }


class SimState:
    def __init__(self, settings: Settings, clock=time.time):
        self.settings = settings
        self.clock = clock
        self.storage = Storage(settings.db)
        self.provision_delay = settings.provision_delay
        self.transition_delay = settings.transition_delay
        self.echo_token = settings.echo_token
        self.ordering = settings.ordering
        self.last_page = settings.last_page
        self.faults = FaultBook()
        # A way the server list ends short (short_lists.py), armed through the control plane.
        self.short_list = None
        self.log = RequestLog()
        self.rate_limiter = RateLimiter(settings.rate_limit, settings.rate_burst)
        for token in settings.tokens:
            self.storage.ensure_account(token, settings.balance, overwrite_balance=False)

    def reset(self) -> None:
        self.storage.reset(self.settings.tokens, self.settings.balance)
        self.provision_delay = self.settings.provision_delay
        self.transition_delay = self.settings.transition_delay
        self.echo_token = self.settings.echo_token
        self.ordering = self.settings.ordering
        self.last_page = self.settings.last_page
        self.faults.clear()
        self.short_list = None
        self.log.reset()
        self.rate_limiter.configure(self.settings.rate_limit, self.settings.rate_burst)

    def modes(self) -> dict:
        return {"echo_token": self.echo_token, "ordering": self.ordering, "last_page": self.last_page}

    def timings(self) -> dict:
        return {"provision_delay": self.provision_delay, "transition_delay": self.transition_delay}
