"""Run the real ansible-rulebook (from the decision-environment venv) and collect what it prints."""

from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from harness import REPO, base_env

EDA_BIN = Path(os.environ.get("VPS_EDA_BIN", REPO / ".venvs" / "eda" / "bin"))
JAVA_VERSION = re.compile(r'version "(\d+)')
# Simulator timings: longer than two polling intervals, so each intermediate status is seen by a poll.
PROVISION_DELAY = 4.0
TRANSITION_DELAY = 3.0
# The source logs one line per successful poll at -vv: "N servers, M requests, K events in S s".
POLL_LINE = re.compile(r"vps_server_events: (\d+) servers, (\d+) requests, (\d+) events in ([\d.]+) s")


def require_decision_environment() -> Path:
    """The ansible-rulebook executable, or a test failure that says what is missing."""
    rulebook = EDA_BIN / "ansible-rulebook"
    if not os.access(rulebook, os.X_OK):
        pytest.fail(f"ansible-rulebook not found at {rulebook}: run `make eda-venv` (or set VPS_EDA_BIN)")
    java = shutil.which("java")
    if java is None:
        pytest.fail("ansible-rulebook needs a Java 17+ runtime and `java` is not on PATH")
    found = JAVA_VERSION.search(subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr)
    if not found or int(found.group(1)) < 17:
        pytest.fail(f"ansible-rulebook needs Java 17+, `java -version` says: {found and found.group(0)}")
    return rulebook


@dataclass
class Line:
    at: float
    text: str


class RulebookRun:
    """One ansible-rulebook process; its output lines are stamped with time.monotonic() as they arrive."""

    def __init__(self, tmp_path, sim, rulebook, *, args=(), env=None, verbosity=2):
        executable = require_decision_environment()
        tmp_path = Path(tmp_path)
        inventory = tmp_path / "inventory.yml"
        inventory.write_text(
            "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
            f"      ansible_python_interpreter: {EDA_BIN / 'python'}\n"
        )
        self.env = base_env(sim, env)
        # ansible-rulebook finds collections with ansible-galaxy and runs ansible-playbook by name.
        self.env["PATH"] = f"{EDA_BIN}{os.pathsep}{self.env['PATH']}"
        self.env["PYTHONUNBUFFERED"] = "1"
        self.env["ANSIBLE_HOME"] = str(tmp_path / "ansible-home")
        command = [str(executable), "-r", str(rulebook), "-i", str(inventory), *args]
        if verbosity:
            command.append("-" + "v" * verbosity)
        self.lines: list[Line] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for text in self.process.stdout:
            with self._lock:
                self.lines.append(Line(time.monotonic(), text.rstrip("\n")))

    @property
    def output(self) -> str:
        with self._lock:
            return "\n".join(line.text for line in self.lines)

    def events(self) -> list[tuple[float, dict]]:
        """(arrival time, event) for each event printed by print_event (pretty: false)."""
        with self._lock:
            lines = list(self.lines)
        found = []
        for line in lines:
            if line.text.startswith("{") and "'type':" in line.text:
                event = ast.literal_eval(line.text)
                if isinstance(event, dict) and "server" in event:
                    found.append((line.at, event))
        return found

    def polls(self) -> list[tuple[int, int, int, float]]:
        """(servers, requests, events, seconds) of each successful poll."""
        return [
            (int(servers), int(requests), int(events), float(seconds))
            for servers, requests, events, seconds in POLL_LINE.findall(self.output)
        ]

    def wait_for(self, what, predicate, timeout):
        """Wait until predicate(self) is truthy; fail naming `what` with the output so far."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            if self.process.poll() is not None:
                self._reader.join(5)
                rc = self.process.returncode
                pytest.fail(f"ansible-rulebook exited ({rc}) before {what}:\n{self.output[-6000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout} s:\n{self.output[-6000:]}")
            time.sleep(0.02)

    def wait_exit(self, timeout):
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            pytest.fail(f"ansible-rulebook did not exit within {timeout} s:\n{self.output[-6000:]}")
        self._reader.join(5)
        return self.process.returncode

    def stop(self):
        """Stop this run's own process group (ansible-rulebook, its JVM and any playbook it started)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self._reader.join(5)


def print_events_rulebook(path: Path, source_args: str) -> Path:
    """A rulebook that prints every event of vpsorg.cloud.vps_server_events, one per line."""
    path.write_text(
        "---\n"
        "- name: Print VPS.org server events\n"
        "  hosts: all\n"
        "  sources:\n"
        "    - vpsorg.cloud.vps_server_events:\n"
        f"{source_args}"
        "  rules:\n"
        "    - name: Print each event\n"
        "      condition: event.type is defined\n"
        "      action:\n"
        "        print_event:\n"
        "          pretty: false\n"
    )
    return path
