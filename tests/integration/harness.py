"""Run real ansible-playbook / ansible-inventory processes against the simulator.

Results are read one way: the record_results callback writes every task result and the play recap as
JSON lines. Every run is kept in RUNS, and conftest.py scans each one for API tokens after its test
(the secrecy scan is that one visible step, not an assertion inside the runner).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS_ROOT = Path(os.environ.get("VPS_COLLECTIONS_ROOT", REPO / ".cache" / "collections"))
BIN = Path(sys.executable).parent
# The Python that runs the modules on localhost (its ansible_python_interpreter): this one, or
# VPS_TARGET_PYTHON (make integration-py39: a Python 3.9 venv with requests, as on a RHEL 9 host).
TARGET_PYTHON = os.environ.get("VPS_TARGET_PYTHON") or sys.executable
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"

# Runs are made at -v, where a module's progress and warnings show, and every run is scanned for the
# API tokens it could have seen (conftest.py). The tests about what higher verbosity shows (the
# secrecy tests, the role's --check --diff) ask for -vvvv themselves; VPS_TEST_VERBOSITY=4 runs the
# whole suite so.
DEFAULT_VERBOSITY = int(os.environ.get("VPS_TEST_VERBOSITY", "1"))
# VPS_PROCESS_LOG: a file that gets one line per ansible process a test starts (what a run costs).
PROCESS_LOG = os.environ.get("VPS_PROCESS_LOG")
TIMEOUT = 600

# The runs of the current test, with the secrets each could have seen: conftest.py scans and clears them.
RUNS: list = []


def secret_token_simulator_fixtures(prefix: str, provision_delay: float, transition_delay: float):
    """The `sim` (one per test module) and `clean_sim` (reset, timings restored) fixtures of a suite whose
    simulator's only token is `<prefix>-secret-<random>`, easy to search for in any output:
    `sim, clean_sim = secret_token_simulator_fixtures(...)` in its conftest.py."""
    import secrets

    import pytest
    from vps_sim.testing import Simulator

    @pytest.fixture(scope="module")
    def sim():
        token = f"{prefix}-secret-{secrets.token_hex(12)}"
        with Simulator(tokens=[token], provision_delay=provision_delay, transition_delay=transition_delay) as simulator:
            yield simulator

    @pytest.fixture
    def clean_sim(sim):
        sim.reset()
        sim.set_timings(provision_delay=provision_delay, transition_delay=transition_delay)
        return sim

    return sim, clean_sim


def ensure_collection_link() -> Path:
    """Make ansible_collections/vpsorg/cloud point at this checkout (idempotent)."""
    parent = COLLECTIONS_ROOT / "ansible_collections" / "vpsorg"
    parent.mkdir(parents=True, exist_ok=True)
    link = parent / "cloud"
    if not (link.is_symlink() and link.resolve() == REPO):
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(REPO)
    return COLLECTIONS_ROOT


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str
    tasks: list = field(default_factory=list)
    recap: dict = field(default_factory=dict)
    secrets: set = field(default_factory=set, repr=False)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def task(self, name: str, host: str = "localhost") -> dict:
        """The last recorded result of the task called `name`."""
        found = [t for t in self.tasks if t["task"] == name and t["host"] == host]
        assert found, f"task {name!r} did not run; ran: {[t['task'] for t in self.tasks]}\n{self.output}"
        return found[-1]

    def json(self) -> dict:
        return json.loads(self.stdout)


def secrets_of(sim, run_env) -> set:
    found = set(getattr(sim, "tokens", None) or []) if sim is not None else set()
    if sim is not None and getattr(sim, "admin_token", None):
        found.add(sim.admin_token)
    if run_env.get("VPS_API_TOKEN"):
        found.add(run_env["VPS_API_TOKEN"])
    return {secret for secret in found if secret}


def leaked_secrets(result, secrets) -> list:
    recorded = json.dumps(result.tasks, default=str)
    return sorted(
        secret for secret in secrets if secret in result.stdout or secret in result.stderr or secret in recorded
    )


def assert_no_secrets(result):
    leaked = leaked_secrets(result, result.secrets)
    assert not leaked, f"{len(leaked)} API token(s) appeared in the output of an ansible run"


def _finished(proc, sim, run_env, records=()) -> Result:
    """The run's Result, remembered in RUNS for the token scan after the test."""
    tasks = [line for line in records if "task" in line]
    recaps = [line["recap"] for line in records if "recap" in line]
    recap = {
        host: {("failed" if key == "failures" else key): count for key, count in counts.items()}
        for host, counts in (recaps[-1] if recaps else {}).items()
    }
    result = Result(proc.returncode, proc.stdout, proc.stderr, tasks, recap, secrets_of(sim, run_env))
    RUNS.append(result)
    return result


def base_env(sim, env: dict | None = None) -> dict:
    merged = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ANSIBLE_") and k not in ("VPS_API_TOKEN", "VPS_API_URL")
    }
    merged.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": str(ensure_collection_link()),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    if sim is not None:
        merged["VPS_API_URL"] = sim.api_url
        merged["VPS_API_TOKEN"] = sim.token
    for key, value in (env or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _extra_var_args(tmp_path: Path, extra_vars: dict | None) -> list:
    if not extra_vars:
        return []
    path = tmp_path / "extra_vars.json"
    path.write_text(json.dumps(extra_vars))
    return ["-e", f"@{path}"]


def _run(command, run_env, cwd):
    if PROCESS_LOG:
        with open(PROCESS_LOG, "a", encoding="utf-8") as log:
            log.write(Path(command[0]).name + "\n")
    return subprocess.run(command, check=False, capture_output=True, text=True, env=run_env, cwd=cwd, timeout=TIMEOUT)


def run_playbook(tmp_path, playbook, *, sim, extra_vars=None, env=None, args=(), verbosity=DEFAULT_VERBOSITY) -> Result:
    """Run ``playbook`` (YAML text, or the Path of a playbook file) on localhost.

    ``args`` are more ansible-playbook arguments (``("--check", "--diff")``).
    """
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    if isinstance(playbook, Path):
        playbook_path = playbook
    else:
        playbook_path = tmp_path / "playbook.yml"
        playbook_path.write_text(playbook)
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={TARGET_PYTHON}\n")
    results_file = tmp_path / "results.jsonl"
    if results_file.exists():
        results_file.unlink()
    command = [
        str(BIN / "ansible-playbook"),
        "-i",
        str(inventory),
        str(playbook_path),
        *args,
    ]
    command += _extra_var_args(tmp_path, extra_vars)
    if verbosity:
        command.append("-" + "v" * verbosity)
    run_env = base_env(sim, env)
    run_env.update(
        {
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
            "ANSIBLE_CALLBACKS_ENABLED": "record_results",
            "RECORD_RESULTS_FILE": str(results_file),
        }
    )
    proc = _run(command, run_env, tmp_path)
    records = []
    if results_file.exists():
        records = [json.loads(line) for line in results_file.read_text().splitlines() if line.strip()]
    return _finished(proc, sim, run_env, records)


def run_inventory(
    tmp_path,
    config_yaml,
    *,
    sim,
    args=("--list",),
    env=None,
    extra_vars=None,
    name="vps.yml",
    verbosity=DEFAULT_VERBOSITY,
) -> Result:
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / name
    config.write_text(config_yaml)
    command = [str(BIN / "ansible-inventory"), "-i", str(config), *args]
    command += _extra_var_args(tmp_path, extra_vars)
    if verbosity:
        command.append("-" + "v" * verbosity)
    run_env = base_env(sim, env)
    return _finished(_run(command, run_env, tmp_path), sim, run_env)


def play(tasks: str, *, play_vars: str = "") -> str:
    """A one-play playbook on localhost around the given (indented) task list."""
    head = "- name: Integration test\n  hosts: localhost\n  gather_facts: false\n"
    if play_vars:
        head += "  vars:\n" + play_vars
    return head + "  tasks:\n" + tasks


MUTATING = ("POST", "PUT", "PATCH", "DELETE")


def mutating_requests(sim, since=0) -> list:
    """Requests in the simulator's log that could have changed something."""
    return [entry for entry in sim.requests(since=since) if entry["method"] in MUTATING]


def last_seq(sim) -> int:
    entries = sim.requests()
    return entries[-1]["seq"] if entries else 0


def api_call(sim, method: str, path: str, body=None, token=None):
    """Call the simulator's public API directly, to set up or inspect state."""
    import requests

    response = requests.request(
        method,
        sim.api_url + path,
        json=body,
        headers={"Authorization": f"Bearer {token or sim.token}"},
        timeout=10,
    )
    return response.status_code, (response.json() if response.content else None)


def create_server(sim, name: str, **fields) -> dict:
    body = {"name": name, "plan_id": 1, "os_id": 5, "location": "us-west", **fields}
    status, server = api_call(sim, "POST", "/servers/", body)
    assert status == 201, server
    return server


def wait_status(sim, server_id: int, status: str, timeout: float = 30) -> dict:
    """Poll the public API until the server shows `status` (test set-up only)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        code, server = api_call(sim, "GET", f"/servers/{server_id}/")
        if code == 200 and server["status"] == status:
            return server
        assert time.monotonic() < deadline, f"server {server_id} never became {status}: {server}"
        time.sleep(0.05)


@contextlib.contextmanager
def rate_limit(sim, rate: float, burst: int | None = None, retry_after: int | None = None):
    """The API's rate limit on ``sim`` inside the with-block: ``rate`` requests/s per token, ``burst`` at once
    (default one second's worth); refusals are 429 with Retry-After (``retry_after`` seconds when given, as an
    hourly quota answers), counted in ``sim.counters()["throttled"]``.

    Set-up before the block (seeding, api_call) is not throttled; the limit before the block is restored after it.
    """
    before = sim.rate_limit_settings()
    try:
        yield sim.set_rate_limit(rate, burst, retry_after=retry_after)
    finally:
        sim.set_rate_limit(before["rate_limit"], before["rate_burst"], retry_after=before.get("retry_after"))
