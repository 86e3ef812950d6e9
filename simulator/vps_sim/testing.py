"""Start a real ``vps-sim`` process for tests and drive its control plane.

    with Simulator(provision_delay=0.2) as sim:
        requests.get(sim.api_url + "/servers/", headers={"Authorization": f"Bearer {sim.token}"})
        sim.add_fault(kind="status", status=503, count=1)

Only the standard library and requests are used, so any test suite can import it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import requests

from .state import ADMIN_TOKEN, DEMO_TOKEN


class SimulatorError(RuntimeError):
    pass


class Simulator:
    def __init__(
        self,
        tokens=None,
        *,
        db: str = ":memory:",
        provision_delay: float = 0.0,
        transition_delay: float = 0.0,
        admin_token: str = ADMIN_TOKEN,
        balance: float | None = None,
        page_size_max: int | None = None,
        echo_token: bool = False,
        rate_limit: float | None = None,
        rate_burst: int | None = None,
        extra_args=(),
        host: str = "127.0.0.1",
        startup_timeout: float = 20.0,
        log_path: str | None = None,
    ):
        self.tokens = list(tokens or [DEMO_TOKEN])
        self.db = db
        self.provision_delay = provision_delay
        self.transition_delay = transition_delay
        self.admin_token = admin_token
        self.balance = balance
        self.page_size_max = page_size_max
        self.echo_token = echo_token
        self.rate_limit = rate_limit
        self.rate_burst = rate_burst
        self.extra_args = list(extra_args)
        self.host = host
        self.startup_timeout = startup_timeout
        self.log_path = log_path
        self.url: str | None = None
        self.api_url: str | None = None
        self.process: subprocess.Popen | None = None
        self._workdir: str | None = None
        self._log_handle = None
        self._session = requests.Session()
        self._port = 0

    @property
    def token(self) -> str:
        return self.tokens[0]

    def command(self, ready_file: str) -> list[str]:
        cmd = [sys.executable, "-m", "vps_sim.cli", "--host", self.host, "--port", str(self._port), "--db", self.db]
        for token in self.tokens:
            cmd += ["--token", token]
        cmd += ["--provision-delay", str(self.provision_delay), "--transition-delay", str(self.transition_delay)]
        cmd += ["--admin-token", self.admin_token, "--ready-file", ready_file]
        if self.balance is not None:
            cmd += ["--balance", str(self.balance)]
        if self.page_size_max is not None:
            cmd += ["--page-size-max", str(self.page_size_max)]
        if self.echo_token:
            cmd.append("--echo-token")
        if self.rate_limit:
            cmd += ["--rate-limit", str(self.rate_limit)]
            if self.rate_burst is not None:
                cmd += ["--rate-burst", str(self.rate_burst)]
        return cmd + self.extra_args

    def start(self) -> Simulator:
        """Start (or restart, on the same port and database) the simulator process and wait until it listens."""
        if self.process is not None and self.process.poll() is None:
            return self
        self._workdir = self._workdir or tempfile.mkdtemp(prefix="vps-sim-")
        ready_file = os.path.join(self._workdir, "ready.json")
        if os.path.exists(ready_file):
            os.unlink(ready_file)
        log = self.log_path or os.path.join(self._workdir, "simulator.log")
        self._log_handle = open(log, "ab")  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(
            self.command(ready_file), stdout=self._log_handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + self.startup_timeout
        while not os.path.exists(ready_file):
            if self.process.poll() is not None:
                raise SimulatorError(f"vps-sim exited with {self.process.returncode} before listening; see {log}")
            if time.monotonic() > deadline:
                self.stop()
                raise SimulatorError(f"vps-sim did not start within {self.startup_timeout} s; see {log}")
            time.sleep(0.02)
        with open(ready_file, encoding="utf-8") as handle:
            ready = json.load(handle)
        self.url, self.api_url = ready["url"], ready["api_url"]
        # A restart keeps the port, so URLs handed out before stay valid.
        self._port = int(self.url.rsplit(":", 1)[1])
        return self

    def stop(self, timeout: float = 5.0) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def close(self) -> None:
        self.stop()
        self._session.close()
        if self._workdir and not self.log_path:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> Simulator:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- control plane ----------------------------------------------------------------------------
    def admin(self, method: str, path: str, json=None, **params):
        """Call the control plane; returns the parsed JSON answer and raises SimulatorError on non-2xx."""
        if self.url is None:
            raise SimulatorError("simulator is not running")
        response = self._session.request(
            method,
            self.url + path,
            json=json,
            params=params or None,
            headers={"X-Sim-Admin-Token": self.admin_token},
            timeout=30,
        )
        if not 200 <= response.status_code < 300:
            raise SimulatorError(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def reset(self) -> dict:
        return self.admin("POST", "/_sim/reset")

    def seed(self, count: int, **kw) -> dict:
        return self.admin("POST", "/_sim/seed", {"count": count, **kw})

    def set_timings(self, **kw) -> dict:
        return self.admin("PUT", "/_sim/timings", kw)

    def timings(self) -> dict:
        return self.admin("GET", "/_sim/timings")

    def set_modes(self, **kw) -> dict:
        """``set_modes(echo_token=True)``: error answers repeat the caller's Authorization header;
        ``ordering="name"`` (or ``"-name"``, ``"-id"``, ``"id"``): the order lists are served in;
        ``last_page=False``: ``page=last`` is 404 ``Invalid page.``, as on an API without the word."""
        return self.admin("PUT", "/_sim/modes", kw)

    def modes(self) -> dict:
        return self.admin("GET", "/_sim/modes")

    def set_rate_limit(self, rate: float | None, burst: int | None = None, retry_after: int | None = None) -> dict:
        """Requests per second per token (None or 0: no limit) and burst (None: one second's worth).

        ``retry_after``: the Retry-After of every refusal, in seconds (None: the wait for the next token).
        """
        return self.admin(
            "PUT", "/_sim/rate-limit", {"rate_limit": rate, "rate_burst": burst, "retry_after": retry_after}
        )

    def rate_limit_settings(self) -> dict:
        return self.admin("GET", "/_sim/rate-limit")

    def set_balance(self, token: str, balance: float) -> dict:
        return self.admin("POST", "/_sim/accounts", {"token": token, "balance": balance})

    def accounts(self) -> list:
        return self.admin("GET", "/_sim/accounts")

    def add_account(self, token: str) -> str:
        """Open an account for ``token`` (or find it) and return its label (``account-3``), the name
        faults and short lists take in ``account``."""
        return self.admin("POST", "/_sim/accounts", {"token": token})["account"]

    def add_fault(self, **rule) -> dict:
        """``add_fault(kind="status", status=503, count=2, account="account-2")``: faults.py's rule keys;
        ``account`` (a label) limits the rule to that account's requests."""
        return self.admin("POST", "/_sim/faults", rule)

    def add_insert(
        self, method=None, path=None, *, when: str = "before", count: int = 1, account: str | None = None, **server
    ) -> dict:
        """A person creates a server in the account of the next ``count`` requests matching ``method``/``path``,
        just ``before`` the request reaches the API or just ``after`` it did; ``server``: name, plan_id, os_id,
        location, hostname, status ... (the rest default). The rule's ``created`` lists the new ids.

        ``add_insert("POST", "^/api/v1/servers/$", name="lp-1", plan_id=2, location="eu-central")``;
        ``account`` (a label): only for that account's requests.
        """
        return self.add_fault(
            kind="insert", method=method, path=path, when=when, count=count, account=account, server=server
        )

    def faults(self) -> list:
        return self.admin("GET", "/_sim/faults")

    def clear_faults(self) -> None:
        self.admin("DELETE", "/_sim/faults")

    def short_list(self, **way) -> dict:
        """``short_list(kind="prefix", prefix="/edge")`` etc. (short_lists.py), ``account="account-2"`` for one
        account only; no arguments: what is armed."""
        return self.admin("POST", "/_sim/short-list", way) if way else self.admin("GET", "/_sim/short-list")

    def requests(self, since: int = 0) -> list:
        return self.admin("GET", "/_sim/requests", since=since)

    def clear_requests(self) -> None:
        self.admin("DELETE", "/_sim/requests")

    def counters(self) -> dict:
        return self.admin("GET", "/_sim/counters")

    def servers(self) -> list:
        return self.admin("GET", "/_sim/servers")

    def suspend(self, server_id: int) -> dict:
        return self.admin("POST", f"/_sim/servers/{server_id}/suspend")

    def unsuspend(self, server_id: int) -> dict:
        return self.admin("POST", f"/_sim/servers/{server_id}/unsuspend")

    def settle(self, server_id: int) -> dict:
        """Finish the server's pending transition now (hold it with a long transition delay first)."""
        return self.admin("POST", f"/_sim/servers/{server_id}/settle")
