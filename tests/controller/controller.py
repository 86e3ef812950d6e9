"""Run content the way automation controller does: the execution-environment venv, the credential's injected
environment, and a search of everything a run wrote for the secrets it could have seen."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from harness import REPO, base_env, secrets_of

CONTROLLER_BIN = Path(os.environ.get("VPS_CONTROLLER_BIN", REPO / ".venvs" / "controller" / "bin")).absolute()
CREDENTIAL_TYPE = REPO / "extensions" / "controller" / "credential_type.yml"
ACCOUNTS_TYPE = REPO / "extensions" / "controller" / "credential_type_accounts.yml"  # several accounts
TEMPLATE = re.compile(r"^\{\{\s*(\w+)\s*\}\}$")
TIMEOUT = 600


def require_controller_venv() -> Path:
    """The controller venv's bin directory, or a test failure that says how to build it."""
    for tool in ("ansible-runner", "ansible-navigator", "ansible-inventory", "ansible-builder"):
        if not os.access(CONTROLLER_BIN / tool, os.X_OK):
            pytest.fail(f"{tool} not found in {CONTROLLER_BIN}: run `make controller-venv` (or set VPS_CONTROLLER_BIN)")
    return CONTROLLER_BIN


def credential_type(path: Path = CREDENTIAL_TYPE) -> dict:
    return yaml.safe_load(path.read_text())["vps_credential_type"]


def injected_by(definition: dict) -> dict:
    """{input id: env names} of a credential type's env injectors (each a plain "{{ input }}")."""
    by_input = {}
    for env_name, template in definition["injectors"]["env"].items():
        match = TEMPLATE.match(template)
        assert match, f"injector {env_name} is {template!r}, not one input as it is"
        by_input.setdefault(match.group(1), []).append(env_name)
    return {name: sorted(names) for name, names in by_input.items()}


def injected_env(sim) -> dict:
    """The environment the credential's injectors give a job: each injector template rendered with the
    credential's inputs (the simulator's token and URL), as controller renders them."""
    from jinja2.sandbox import SandboxedEnvironment

    inputs = {"api_token": sim.token, "api_url": sim.api_url}
    env = SandboxedEnvironment()
    templates = credential_type()["injectors"]["env"]
    return {name: env.from_string(template).render(**inputs) for name, template in templates.items()}


def controller_env(extra: dict | None = None) -> dict:
    """The environment of the process controller starts: no VPS_* or ANSIBLE_* of the caller, the controller
    venv first on PATH (ansible-runner and ansible-navigator run ansible-playbook by name)."""
    env = base_env(None, extra)
    env["PATH"] = f"{CONTROLLER_BIN}{os.pathsep}{env['PATH']}"
    return env


def run(command, env, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=False, capture_output=True, text=True, env=env, cwd=cwd, timeout=TIMEOUT)


def sim_secrets(sim) -> set:
    return secrets_of(sim, {})


def files_holding(root: Path, found: set) -> dict:
    """Every file under root that holds one of the secrets, as {relative path: count of secrets in it}."""
    holding = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        hits = sum(1 for secret in found if secret in text)
        if hits:
            holding[str(path.relative_to(root))] = hits
    return holding


def leaked(texts, found: set) -> list:
    return sorted(secret for secret in found if any(secret in text for text in texts))
