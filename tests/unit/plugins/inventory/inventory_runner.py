"""The inventory plugin's test runner: one parse of an inventory file against the simulator in the test process,
with the real client on the test's clock (shared by the inventory's unit tests; fixtures in conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader
from ansible_collections.vpsorg.cloud.plugins.inventory import vps

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "modules"))
from module_runner import https_url, session


class Recorder:
    """Collects what the plugin shows the user, by verbosity."""

    def __init__(self):
        self.messages = {"v": [], "vvv": [], "warning": []}

    def v(self, msg, host=None):
        self.messages["v"].append(msg)

    def vvv(self, msg, host=None):
        self.messages["vvv"].append(msg)

    def debug(self, msg, host=None):
        pass

    def warning(self, msg, formatted=False):
        self.messages["warning"].append(msg)


def make_plugin():
    plugin = vps.InventoryModule()
    # What the plugin loader does when it finds the plugin by FQCN: register its documented options.
    inventory_loader._load_config_defs(vps.InventoryModule.NAME, vps, vps.__file__)
    inventory_loader._update_object(
        obj=plugin, name=vps.InventoryModule.NAME, path=vps.__file__, resolved=vps.InventoryModule.NAME
    )
    plugin.display = Recorder()
    return plugin


class Run:
    """run(config, cache=True, name=...): one parse of an inventory file; .hosts, .hostvars(host), .seen."""

    def __init__(self, tmp_path, sim, clock):
        self.tmp_path, self.sim, self.clock = tmp_path, sim, clock
        self.url = https_url(sim)
        self.seen = []  # what each request was sent with
        self.before = None  # before(method, url): a person acting as a request leaves
        self.plugin = self.inventory = None

    def __call__(self, config=None, cache=True, name="test.vps.yml"):
        path = self.tmp_path / name
        path.write_text(yaml.safe_dump(dict({"plugin": "vpsorg.cloud.vps"}, **(config or {}))))
        self.plugin = make_plugin()
        self.plugin._clock = self.clock
        self.plugin._session = session(
            self.sim, self.seen, lambda method, url: self.before and self.before(method, url)
        )
        self.inventory = InventoryData()
        self.plugin.parse(self.inventory, DataLoader(), str(path), cache=cache)
        # What InventoryManager does after a successful parse of a Cacheable source.
        if self.plugin.get_option("cache"):
            self.plugin.update_cache_if_changed()
        return self

    @property
    def hosts(self):
        return set(self.inventory.hosts)

    def said(self, kind):
        return self.plugin.display.messages[kind]

    def hostvars(self, host):
        return self.inventory.get_host(host).get_vars()

    def group(self, name):
        return sorted(host.name for host in self.inventory.groups[name].get_hosts())


def lists(sim):
    return len([entry for entry in sim.requests() if entry["path"] == "/api/v1/servers/"])
