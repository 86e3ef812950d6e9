"""The credential type injects exactly the environment variables the collection's plugins read.

Both sides are derived, never listed here: the injectors from extensions/controller/credential_type.yml,
the plugins' side from what each documents (`env:` of the inventory plugin, "the value of the E(X)
environment variable is used" of the modules and the event source, read through ansible-doc and the
event source's DOCUMENTATION) and from the modules' argument spec (what they really read).
"""

from __future__ import annotations

import json
import re
import sys

import yaml
from controller import CONTROLLER_BIN, controller_env, credential_type, injected_by, run
from harness import COLLECTIONS_ROOT, REPO, ensure_collection_link

DOCUMENTED_ENV = re.compile(r"value of the E\((\w+)\) environment variable is used")
EVENT_SOURCE = REPO / "extensions" / "eda" / "plugins" / "event_source" / "vps_server_events.py"


def option_env(options: dict) -> dict:
    """{option: sorted env names} for every option that is read from an environment variable."""
    found = {}
    for name, spec in options.items():
        names = {entry["name"] for entry in spec.get("env") or []}
        description = spec.get("description") or []
        text = " ".join(description) if isinstance(description, list) else str(description)
        names |= set(DOCUMENTED_ENV.findall(text))
        # ANSIBLE_* (cache settings of the inventory plugin) are Ansible's own, and controller refuses
        # credential types that inject them.
        names = {env for env in names if not env.startswith("ANSIBLE_")}
        if names:
            found[name] = sorted(names)
    return found


def ansible_doc(tmp_path, plugin_type: str) -> dict:
    ensure_collection_link()
    ansible_doc_bin = str(CONTROLLER_BIN / "ansible-doc")
    listed = run([ansible_doc_bin, "-t", plugin_type, "--list", "--json", "vpsorg.cloud"], controller_env(), tmp_path)
    assert listed.returncode == 0, listed.stderr
    names = sorted(json.loads(listed.stdout))
    assert names, f"ansible-doc lists no {plugin_type} plugins of vpsorg.cloud"
    docs = run([ansible_doc_bin, "-t", plugin_type, "--json", *names], controller_env(), tmp_path)
    assert docs.returncode == 0, docs.stderr
    return {name: entry["doc"] for name, entry in json.loads(docs.stdout).items()}


def plugins_env(tmp_path) -> dict:
    """{plugin: {option: env names}} as documented by every module, the inventory plugin and the event source."""
    documented = {}
    for plugin_type in ("module", "inventory"):
        for name, doc in ansible_doc(tmp_path, plugin_type).items():
            documented[f"{plugin_type} {name}"] = option_env(doc.get("options", {}))
    source_doc = yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', EVENT_SOURCE.read_text(), re.S).group(1))
    documented["event source vpsorg.cloud.vps_server_events"] = option_env(source_doc["options"])
    return documented


def modules_read_env() -> dict:
    """{option: env names} of the modules' shared argument spec: what they read, whatever the docs say."""
    sys.path.insert(0, str(COLLECTIONS_ROOT))
    try:
        from ansible_collections.vpsorg.cloud.plugins.module_utils.base_module import API_ARGUMENT_SPEC
    finally:
        sys.path.remove(str(COLLECTIONS_ROOT))
    return {name: sorted(spec["fallback"][1]) for name, spec in API_ARGUMENT_SPEC.items() if "fallback" in spec}


def test_injectors_set_exactly_what_every_plugin_reads(tmp_path):
    documented = plugins_env(tmp_path)
    assert any(kind.startswith("module ") for kind in documented) and "inventory vpsorg.cloud.vps" in documented
    expected = injected_by(credential_type())
    for plugin, options in documented.items():
        if plugin == "inventory vpsorg.cloud.vps":
            # The inventory also reads api_tokens (several accounts), which the second credential type injects
            # (test_several_accounts_update.py); it reads the rest as every other plugin does.
            options = {option: options.get(option) for option in expected}
        assert options == expected, f"{plugin} reads {options} from the environment; the credential injects {expected}"
    assert modules_read_env() == expected


def test_inputs_are_the_plugins_options_and_the_token_is_secret():
    definition = credential_type()
    fields = {field["id"]: field for field in definition["inputs"]["fields"]}
    assert set(fields) == set(injected_by(definition)), "every input is injected, and nothing else is"
    assert fields["api_token"].get("secret") is True
    assert [name for name, field in fields.items() if field.get("secret")] == ["api_token"]
    assert set(definition["inputs"]["required"]) == set(fields)
    assert set(definition["injectors"]) == {"env"}, "only the environment: extra vars show in the job's variables"
    assert definition["kind"] == "cloud"
