"""Several accounts in one inventory source, with every token in one credential, as automation controller runs it.

An inventory source takes one credential of a cloud type, so the tokens of all the accounts an inventory file
names come through the "VPS.org API (several accounts)" credential type (extensions/controller/
credential_type_accounts.yml) as one YAML mapping in VPS_API_TOKENS. The file in the project names the accounts
and holds no token.

The update runs as controller runs it: ansible-runner's Python interface over a private data directory whose
`args` file is the `ansible-inventory --list --export ... --output artifacts/<id>/output.json` command, the
credential's injected variables and controller's inventory-update variables passed in memory
(AWX_RUNNER_OMIT_ENV_FILES: no env/ files), then every file of the private data directory is searched for the
tokens. ansible-runner's own `artifacts/<id>/command` records the process environment, the injected
VPS_API_TOKENS included: the one place a token is expected (docs/controller.md).
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from pathlib import Path

import pytest
import yaml
from compat import plain
from controller import (
    ACCOUNTS_TYPE,
    CONTROLLER_BIN,
    TIMEOUT,
    controller_env,
    credential_type,
    files_holding,
    injected_by,
    sim_secrets,
)
from harness import COLLECTIONS_ROOT, REPO, ensure_collection_link
from test_credential_type import ansible_doc, option_env

# What controller sets for every inventory update (awx.main.constants.STANDARD_INVENTORY_UPDATE_ENV).
CONTROLLER_INVENTORY_ENV = {
    "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
    "ANSIBLE_INVENTORY_EXPORT": "True",
    "ANSIBLE_VERBOSE_TO_STDERR": "True",
    "ANSIBLE_HOST_PATTERN_MISMATCH": "error",
}
# The accounts, their servers (name prefix, count, status) and what the inventory calls them.
CUSTOMERS = {
    "customer-a": ("alpha", 2, "active"),
    "customer-b": ("bravo", 3, "active"),
    "customer-c": ("charlie", 1, "stopped"),
}
SOURCE = """\
plugin: vpsorg.cloud.vps
accounts:
  - name: customer-a
  - name: customer-b
  - name: customer-c
account_failure: {account_failure}
keyed_groups:
  - key: vps_account
    prefix: customer
groups:
  running: vps_status == 'active'
"""
# Runs ansible-runner's interface the way controller does, parameters on stdin (tokens stay off the disk).
RUNNER = """\
import json, sys
import ansible_runner
result = ansible_runner.interface.run(**json.load(sys.stdin))
print(json.dumps({"status": result.status, "rc": result.rc}))
"""
IDENT = "17"


def accounts_type() -> dict:
    return credential_type(ACCOUNTS_TYPE)


def credential_env(inputs: dict) -> dict:
    """The environment a credential of the several-accounts type gives a job, rendered as controller renders it."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment()
    return {name: env.from_string(text).render(**inputs) for name, text in accounts_type()["injectors"]["env"].items()}


# -- the credential type ----------------------------------------------------------------------


def test_accounts_type_injects_exactly_what_the_inventory_plugin_reads(tmp_path):
    """Both sides derived: the injectors from the file, the plugin's side from its documented `env:`."""
    doc = ansible_doc(tmp_path, "inventory")["vpsorg.cloud.vps"]
    reads = option_env(doc["options"])
    injected = injected_by(accounts_type())
    assert injected == {option: reads.get(option) for option in injected}, (
        f"the credential injects {injected}; the plugin reads {reads}"
    )
    # Between them the two credential types cover everything the plugin reads from the environment.
    assert reads == {**injected_by(credential_type()), **injected}
    assert "api_tokens" in injected, "the type exists for the tokens of several accounts"


def test_accounts_type_inputs_the_token_mapping_is_secret_and_multiline(tmp_path):
    definition = accounts_type()
    fields = {field["id"]: field for field in definition["inputs"]["fields"]}
    assert set(fields) == set(injected_by(definition)), "every input is injected, and nothing else is"
    assert [name for name, field in fields.items() if field.get("secret")] == ["api_tokens"]
    assert fields["api_tokens"]["type"] == "string" and fields["api_tokens"].get("multiline") is True
    assert set(definition["inputs"]["required"]) == set(fields)
    assert set(definition["injectors"]) == {"env"}, "only the environment: extra vars show in the job's variables"
    assert definition["kind"] == "cloud"
    assert definition["name"] != credential_type()["name"], "controller refuses two credential types of one name"
    # The same API URL input as the one-account type, defaulting to the plugin's own default.
    one_account = {field["id"]: field for field in credential_type()["inputs"]["fields"]}
    assert fields["api_url"]["default"] == one_account["api_url"]["default"]
    doc = ansible_doc(tmp_path, "inventory")["vpsorg.cloud.vps"]
    assert fields["api_url"]["default"] == doc["options"]["api_url"]["default"]


FAKE_MODULE = """\
#!/usr/bin/python
import json, os
from ansible.module_utils.basic import AnsibleModule

module = AnsibleModule(argument_spec={key: {"type": "raw"} for key in
                                      ("name", "description", "kind", "inputs", "injectors", "state")})
with open(os.environ["VPS_FAKE_RECORD"], "a") as record:
    record.write(json.dumps({"module": os.environ.get("VPS_FAKE_NAME", __file__), **module.params}) + "\\n")
module.exit_json(changed=False)
"""


def fake_controller_collections(root: Path) -> Path:
    """awx.awx and ansible.eda with a credential_type module that records its arguments (neither collection is
    on PyPI; the real modules need a controller)."""
    for namespace, name in (("awx", "awx"), ("ansible", "eda")):
        modules = root / "ansible_collections" / namespace / name / "plugins" / "modules"
        modules.mkdir(parents=True)
        text = FAKE_MODULE.replace("__file__", repr(f"{namespace}.{name}.credential_type"))
        (modules / "credential_type.py").write_text(text)
    return root


@pytest.mark.parametrize(
    ("args", "shipped", "modules"),
    [
        (
            ["--tags", "controller,eda"],
            "credential_type.yml",
            ["awx.awx.credential_type", "ansible.eda.credential_type"],
        ),
        (
            ["-e", "vps_credential_type_file=credential_type_accounts.yml"],
            "credential_type_accounts.yml",
            ["awx.awx.credential_type"],
        ),
    ],
    ids=["one-account", "several-accounts"],
)
def test_installer_playbook_sends_either_shipped_definition(tmp_path, args, shipped, modules):
    """vpsorg.cloud.controller_credential_type, run for real against stand-ins of the controller modules, sends
    the file's definition unchanged: the injectors' templates reach the controller unrendered."""
    ensure_collection_link()
    fake = fake_controller_collections(tmp_path / "collections")
    record = tmp_path / "sent.jsonl"
    env = controller_env({"ANSIBLE_COLLECTIONS_PATH": f"{fake}:{COLLECTIONS_ROOT}", "VPS_FAKE_RECORD": str(record)})
    command = [str(CONTROLLER_BIN / "ansible-playbook"), "vpsorg.cloud.controller_credential_type", *args]
    proc = subprocess.run(command, check=False, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sent = [json.loads(line) for line in record.read_text().splitlines()]
    assert [entry.pop("module") for entry in sent] == modules
    definition = yaml.safe_load((REPO / "extensions" / "controller" / shipped).read_text())["vps_credential_type"]
    for entry, module in zip(sent, modules, strict=True):
        expected = {key: definition[key] for key in ("name", "description", "inputs", "injectors")}
        expected |= {"state": "present", "kind": definition["kind"] if module.startswith("awx.") else None}
        assert entry == expected, module


# -- the inventory update ---------------------------------------------------------------------


def group(name: str) -> str:
    """The account's group: account_group_prefix (account_) plus its name, hyphens made underscores."""
    return "account_" + name.replace("-", "_")


def seed_customers(sim) -> tuple[dict, dict]:
    """Each customer's token (a new account of the simulator, easy to search for) and its servers' {name: id}."""
    tokens, labels = {}, {}
    for name, (prefix, count, status) in CUSTOMERS.items():
        tokens[name] = f"ctl-secret-{secrets.token_hex(12)}"
        labels[name] = sim.admin("POST", "/_sim/accounts", {"token": tokens[name]})["account"]
        sim.admin(
            "POST", "/_sim/seed", {"token": tokens[name], "count": count, "name_prefix": prefix, "status": status}
        )
    # A server of the simulator's own account, which no account of the file names.
    sim.seed(1, name_prefix="stranger")
    servers = {name: {} for name in CUSTOMERS}
    for server in sim.servers():
        for name, label in labels.items():
            if server["account"] == label:
                servers[name][server["name"]] = server["id"]
    assert all(len(servers[name]) == count for name, (_p, count, _s) in CUSTOMERS.items())
    return tokens, servers


def private_data_dir(tmp_path: Path, account_failure: str = "fail") -> Path:
    """A private data directory as controller prepares it for a project-sourced update: the project's checkout
    (inventories/customers.vps.yml, group_vars/ beside it) and the `args` file of the command."""
    pdd = tmp_path / "pdd"
    inventories = pdd / "project" / "inventories"
    (inventories / "group_vars").mkdir(parents=True)
    (pdd / "inventory").mkdir()
    (pdd / "env").mkdir()
    source = inventories / "customers.vps.yml"
    source.write_text(SOURCE.format(account_failure=account_failure))
    (inventories / "group_vars" / f"{group('customer-b')}.yml").write_text("customer_contact: ops@b.example.com\n")
    args = ["ansible-inventory", "--list", "--export", "-i", str(source)]
    args += ["--output", str(pdd / "artifacts" / IDENT / "output.json"), "--playbook-dir", str(inventories), "-vvv"]
    (pdd / "args").write_text(" ".join(args))
    return pdd


def inventory_update(pdd: Path, credential: dict) -> tuple[dict, Path]:
    """One inventory update through ansible-runner; returns ({status, rc}, its artifact directory)."""
    params = {
        "private_data_dir": str(pdd),
        "ident": IDENT,
        "envvars": {**credential, **CONTROLLER_INVENTORY_ENV},
        "suppress_env_files": True,
        "settings": {"suppress_ansible_output": True, "suppress_output_file": False},
        "quiet": True,
    }
    proc = subprocess.run(
        [str(CONTROLLER_BIN / "python"), "-c", RUNNER],
        input=json.dumps(params),
        check=False,
        capture_output=True,
        text=True,
        env=controller_env(),
        cwd=pdd,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    artifacts = pdd / "artifacts" / IDENT
    assert list((artifacts / "job_events").glob("*.json")), "the update wrote no events"
    return json.loads(proc.stdout.strip().splitlines()[-1]), artifacts


def only_in_the_command_record(pdd: Path, found: set, count: int) -> None:
    """No file of the private data directory holds a token but ansible-runner's record of the environment."""
    assert files_holding(pdd, found) == {f"artifacts/{IDENT}/command": count}
    assert not (pdd / "env" / "envvars").exists(), "controller keeps the environment out of env/"


def hosts_of(data: dict, name: str) -> list:
    return sorted(data.get(name, {}).get("hosts", []))


def test_several_accounts_through_one_credential_as_controller_updates_them(tmp_path, clean_sim):
    sim = clean_sim
    tokens, servers = seed_customers(sim)
    pdd = private_data_dir(tmp_path)
    credential = credential_env({"api_tokens": yaml.safe_dump(tokens), "api_url": sim.api_url})
    assert set(credential) == {"VPS_API_TOKENS", "VPS_API_URL"}

    result, artifacts = inventory_update(pdd, credential)
    stdout = (artifacts / "stdout").read_text()
    assert result == {"status": "successful", "rc": 0}, stdout
    data = plain(json.loads((artifacts / "output.json").read_text()))
    hostvars = data["_meta"]["hostvars"]
    assert set(hostvars) == {host for names in servers.values() for host in names}, "exactly the named accounts"
    for name, (_prefix, _count, status) in CUSTOMERS.items():
        assert hosts_of(data, group(name)) == sorted(servers[name]), name
        assert hosts_of(data, "customer_" + name.replace("-", "_")) == sorted(servers[name]), "keyed on vps_account"
        for host, server_id in servers[name].items():
            assert hostvars[host]["vps_account"] == name
            assert hostvars[host]["vps_id"] == server_id
            assert hostvars[host]["vps_status"] == status
        assert name in stdout, f"the -v lines name the account {name}"
    assert hosts_of(data, "running") == sorted([*servers["customer-a"], *servers["customer-b"]])
    # group_vars/ beside the file: the account's group carries its variables, as controller stores them.
    assert data[group("customer-b")]["vars"] == {"customer_contact": "ops@b.example.com"}

    only_in_the_command_record(pdd, set(tokens.values()) | sim_secrets(sim), len(tokens))
    record = json.loads((artifacts / "command").read_text())
    assert yaml.safe_load(record["env"]["VPS_API_TOKENS"]) == tokens
    assert "VPS_API_TOKEN" not in record["env"], "the several-accounts credential injects no single token"


@pytest.mark.parametrize("account_failure", ["fail", "warn"])
def test_a_customer_whose_token_is_refused(tmp_path, clean_sim, account_failure):
    """customer-b's token in the credential is one the API refuses (revoked). fail: the update fails, naming the
    account, and controller keeps the inventory as it was; warn: the other customers are updated and a warning
    names customer-b. Neither shows a token."""
    sim = clean_sim
    tokens, servers = seed_customers(sim)
    revoked = f"ctl-secret-revoked-{secrets.token_hex(8)}"
    pdd = private_data_dir(tmp_path, account_failure)
    credential = credential_env(
        {"api_tokens": yaml.safe_dump({**tokens, "customer-b": revoked}), "api_url": sim.api_url}
    )

    result, artifacts = inventory_update(pdd, credential)
    stdout = (artifacts / "stdout").read_text()
    assert "customer-b" in stdout
    if account_failure == "fail":
        assert result["status"] == "failed" and result["rc"] != 0, stdout
        output = artifacts / "output.json"
        assert not output.exists() or not json.loads(output.read_text()).get("_meta", {}).get("hostvars")
        assert sim.api_url in stdout, "the failure names the account's API URL"
    else:
        assert result == {"status": "successful", "rc": 0}, stdout
        data = plain(json.loads((artifacts / "output.json").read_text()))
        kept = {*servers["customer-a"], *servers["customer-c"]}
        assert set(data["_meta"]["hostvars"]) == kept, "no host of customer-b, every host of the others"
        assert not hosts_of(data, group("customer-b"))
        assert re.search(r"WARNING.*customer-b", stdout, re.S)
    found = {tokens["customer-a"], tokens["customer-c"], revoked} | sim_secrets(sim)
    only_in_the_command_record(pdd, found, 3)


def test_token_mapping_that_cannot_be_read_fails_the_update_without_showing_it(tmp_path, clean_sim):
    """A credential whose mapping was pasted broken: the update fails before any request, and neither the
    log nor any artifact but ansible-runner's environment record shows what was pasted."""
    sim = clean_sim
    tokens, _servers = seed_customers(sim)
    pasted = "\n".join(f"{name}: [{token}" for name, token in tokens.items())
    pdd = private_data_dir(tmp_path)
    sim.clear_requests()
    result, artifacts = inventory_update(pdd, credential_env({"api_tokens": pasted, "api_url": sim.api_url}))
    stdout = (artifacts / "stdout").read_text()
    assert result["status"] == "failed" and result["rc"] != 0, stdout
    assert "api_tokens" in stdout or "VPS_API_TOKENS" in stdout, "the error names the option"
    assert not sim.requests(), "refused before any request"
    only_in_the_command_record(pdd, set(tokens.values()) | sim_secrets(sim), len(tokens))
