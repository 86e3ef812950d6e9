# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: vps
short_description: VPS.org servers as an Ansible inventory
version_added: 1.0.0
author:
  - vpsorg.cloud maintainers (@vpsorg)
description:
  - Reads the servers of a VPS.org account and adds each one as a host.
  - Every documented field of a server becomes a host variable named O(hostvars_prefix) plus the field name, for example
    C(vps_id), C(vps_name), C(vps_hostname), C(vps_status), C(vps_ip_address), C(vps_location), C(vps_plan) (a dict
    with C(id), C(name), C(vcpus), C(memory), C(storage)), C(vps_os) (a dict with C(id) and C(name)),
    C(vps_created_at) and C(vps_updated_at). With O(fetch_details=true) also C(vps_backups_enabled),
    C(vps_ipv6_address), C(vps_resource_usage) and C(vps_plan.bandwidth), which the API's list answer does not
    carry. These names are a stable interface.
  - A server that has no address yet (for example while it is C(provisioning)) is still added, without
    C(ansible_host); the reason is shown at C(-v).
  - The list is read page by page, so an account of N servers costs N / O(page_size) requests (plus one per server
    with O(fetch_details=true)). After the first page, the others are read up to O(page_concurrency) at a time.
  - Page-number pagination is not a snapshot. When the pages show that the account changed while they were read (the
    count changed, a page is short or gone, a server is on two pages), the whole list is read again, up to three
    reads in all. If it still changes, every server seen in any read is added once and a warning says the list may
    hold a server deleted meanwhile (with O(allow_partial=true); see below). Pages answering 404 or 410 while C(count)
    holds and links that stop early also make a list short.
  - A server list that comes back short in any of these ways fails the inventory by default, naming O(api_url) and
    what was seen. Automation controller deletes the hosts an inventory update stops listing, so a partial list is
    never taken for the account. O(allow_partial=true) adds the servers read instead, with a warning.
  - Every request goes through one budget (see C(docs/request-costs.md)) - a C(429) pauses every concurrent
    request, and the inventory then sends fewer requests at a time. O(wait_timeout) bounds the whole read;
    a C(Retry-After) longer than what remains of it fails the inventory at once, naming when to try again.
  - The configuration file name must end with C(vps.yml) or C(vps.yaml). A file that names this plugin under
    another name is declined with a warning that says so.
  - String options can be Jinja2 templates, so the token can come from extra vars, a lookup or vault.
extends_documentation_fragment:
  - vpsorg.cloud.api
  - constructed
  - inventory_cache
options:
  plugin:
    description: Marks the file as a configuration of this plugin.
    type: str
    required: true
    choices: [vpsorg.cloud.vps]
  api_token:
    description:
      - "The VPS.org API token, sent as C(Authorization: Bearer <token>)."
      - Needed to read the API; a run answered entirely from the cache does not use it.
      - It is never shown in output, logs or errors.
      - Whitespace around the value (such as the trailing newline of a file or an environment variable) is removed;
        a value that still cannot be sent in an HTTP header is refused with an error that never shows it.
    required: false
    secret: true
    env:
      - name: VPS_API_TOKEN
  api_url:
    env:
      - name: VPS_API_URL
  filters:
    description:
      - Query parameters sent with the list request, so the API itself does the filtering.
      - Supported keys are C(status) (for example V(active)) and C(location) (for example V(us-west)).
    type: dict
    default: {}
  page_size:
    description:
      - How many servers to ask for per page. The API may answer with fewer; the C(next) link is always followed.
    type: int
    default: 100
  inventory_hostname:
    description:
      - Which server field names the host in the inventory.
      - V(template) uses O(inventory_hostname_template).
      - A server with an empty value for the chosen field falls back to its C(name), shown at C(-v).
      - Server names are not unique in VPS.org; when two servers would get the same inventory name, the later one
        (by id) is added as C(<name>_<id>) and a warning names it.
    type: str
    default: name
    choices: [name, hostname, ip_address, template]
  inventory_hostname_template:
    description:
      - Jinja2 template giving the inventory hostname when O(inventory_hostname=template).
      - It sees the host variables of the server, for example V({{ vps_name }}.{{ vps_location }}).
    type: str
  ansible_host_source:
    description:
      - Which server field becomes C(ansible_host).
      - V(ipv6_address) needs O(fetch_details=true), because only the server detail carries it.
      - V(none) sets no C(ansible_host).
    type: str
    default: ip_address
    choices: [ip_address, ipv6_address, hostname, none]
  hostvars_prefix:
    description:
      - Prefix of the host variables made from the server fields.
    type: str
    default: vps_
  fetch_details:
    description:
      - Also read each server's detail to get C(ipv6_address), C(resource_usage) and C(plan.bandwidth).
      - Costs one more request per server; they run O(details_concurrency) at a time.
    type: bool
    default: false
  details_concurrency:
    description:
      - How many detail requests run at the same time with O(fetch_details=true); at most V(64).
    type: int
    default: 8
  page_concurrency:
    description:
      - The most pages of the server list read at the same time, after the first.
      - With 100 ms per request, 10,000 servers at O(page_size=100) take about 0.8 s of waiting instead of 10 s.
      - V(1) reads the pages one after another; at most V(64). A C(429) with C(Retry-After) pauses every concurrent
        reader.
      - Each C(429) answer lowers the requests in flight by one for the rest of the run (never below one), so the
        listing slows down to what the API accepts. Shown at verbosity C(-v) or more.
    type: int
    default: 16
  allow_partial:
    description:
      - When the server list comes back short (see above), add the servers that were read, with a warning, instead
        of failing.
      - Leave it off for an inventory source that automation controller updates with C(overwrite), which deletes the
        hosts that are not listed.
    type: bool
    default: false
  wait_timeout:
    description:
      - How many seconds reading the API may take in all, pauses for the API's rate limit included.
      - A C(Retry-After) longer than what remains fails the inventory at once, naming the wait the API asked for and
        when to try again.
    type: int
    default: 600
notes:
  - Caching stores the server list as read from the API. Use a persistent cache plugin such as
    C(ansible.builtin.jsonfile) for the cache to outlive one run. C(ansible-playbook --flush-cache) and
    the C(refresh_inventory) meta task read the API again and refresh the entry; C(ansible-inventory --flush-cache)
    does so from ansible-core 2.19 on.
  - The cache entry remembers O(api_url), O(filters), O(fetch_details) and a fingerprint of O(api_token) (never the
    token itself); changing any of them reads the API again.
seealso:
  - module: vpsorg.cloud.vps_server_info
"""

EXAMPLES = r"""
# inventory/prod.vps.yml: active servers in us-west, grouped by plan and status,
# the token from an extra var (ansible-inventory -i prod.vps.yml -e vps_token=...)
plugin: vpsorg.cloud.vps
api_token: "{{ vps_token }}"
filters:
  status: active
  location: us-west
keyed_groups:
  - key: vps_plan.name
    prefix: plan
  - key: vps_status
    prefix: status
groups:
  big: vps_plan.memory >= 8192
compose:
  ansible_user: "'root'"

# More inventory files, one YAML document each:
#
# inventory/vps.yml: every server, token and URL from VPS_API_TOKEN / VPS_API_URL
#   plugin: vpsorg.cloud.vps
#
# inventory/cached.vps.yml: read the API at most once an hour
#   plugin: vpsorg.cloud.vps
#   api_token: "{{ lookup('ansible.builtin.env', 'MY_VPS_TOKEN') }}"
#   cache: true
#   cache_plugin: ansible.builtin.jsonfile
#   cache_connection: ~/.cache/vpsorg-inventory
#   cache_timeout: 3600
#
# inventory/details.vps.yml: detail fields, hosts named by FQDN, IPv6 addresses
#   plugin: vpsorg.cloud.vps
#   fetch_details: true
#   inventory_hostname: hostname
#   ansible_host_source: ipv6_address
#   groups:
#     backed_up: vps_backups_enabled
"""

import hashlib
import json
import re

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.release import __version__ as ANSIBLE_CORE_VERSION
from ansible.utils.vars import combine_vars
from ansible_collections.vpsorg.cloud.plugins.module_utils.budget import Budget
from ansible_collections.vpsorg.cloud.plugins.module_utils.contract import SERVER_SIDE_FILTERS
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.listing import IncompleteListingError
from ansible_collections.vpsorg.cloud.plugins.module_utils.options import insecure_url_warning, mask, option_problems
from ansible_collections.vpsorg.cloud.plugins.module_utils.server_state import documented

# Options that hold plain values (as opposed to per-host expressions) and may be templates.
TEMPLATED_OPTIONS = ("api_token", "api_url", "filters", "hostvars_prefix", "inventory_hostname", "ansible_host_source")
BOOLEAN_OPTIONS = ("validate_certs", "fetch_details")
BOOLEANS = frozenset(str(word).lower() for word in BOOLEANS_TRUE | BOOLEANS_FALSE)
# Bump when the shape of a cache entry changes, so an old entry is read as a miss.
# 2: the server list is one JSON text inside the entry. The cache plugin's own decoder runs a hook
# for every object and checks every string (~0.5 s for 10,000 servers) and the first run deep-copies
# the whole list; a single string costs neither, so a warm run is never slower than a cold one.
CACHE_FORMAT = 2
# `vps_location`, `vps_plan.name`: expressions that only read a variable, the usual keyed_groups key.
PLAIN_REFERENCE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*$")
JINJA_LITERALS = frozenset(("true", "false", "none", "True", "False", "None"))
TEMPLATE_MARKERS = ("{{", "{%", "{#")
_NOT_PLAIN = object()
# The shortcut gives core's own results from ansible-core 2.19 on only (see _compose).
PLAIN_REFERENCE_SHORTCUT = tuple(int(part) for part in ANSIBLE_CORE_VERSION.split(".")[:2]) >= (2, 19)


def api_client_module():
    """The shared client, imported only when the API is read: a cache hit does not pay for importing requests."""
    from ansible_collections.vpsorg.cloud.plugins.module_utils import client

    return client


# What the name of an inventory file of this plugin ends in.
FILE_NAME_ENDINGS = ("vps.yml", "vps.yaml")
# `plugin: vpsorg.cloud.vps` in a YAML file, quoted or not.
PLUGIN_LINE = re.compile(r"""^plugin:\s*["']?vpsorg\.cloud\.vps["']?\s*(#.*)?$""", re.MULTILINE)


def names_this_plugin(path):
    """Whether a file (read only when it is small) says `plugin: vpsorg.cloud.vps`."""
    try:
        with open(path, "rb") as handle:
            text = handle.read(65536).decode("utf-8", "replace")
    except OSError:
        return False
    return PLUGIN_LINE.search(text) is not None


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "vpsorg.cloud.vps"
    # The HTTP session and the clock of the run's budget: unit tests set them (the simulator in their
    # process, their clock); not an option of the plugin.
    _session = None
    _clock = None

    def verify_file(self, path):
        if not super().verify_file(path):
            return False
        if path.endswith(FILE_NAME_ENDINGS):
            return True
        # Ansible reports a declined source only as declined (at -vvv) or as "could not be verified":
        # a file that names this plugin is the user's, and is told why at default verbosity.
        reason = (
            f"vpsorg.cloud.vps: not reading {path}: the file name of a vpsorg.cloud.vps inventory must end in "
            f"{' or '.join(FILE_NAME_ENDINGS)} (for example prod.vps.yml)"
        )
        if names_this_plugin(path):
            self.display.warning(reason)
        else:
            self.display.vvv(reason)
        return False

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        config = self._read_config_data(path)
        self._check_booleans(config)
        self._conf = self._templated_settings()
        self._check_settings()

        cache_key = self.get_cache_key(path)
        query = self._query()
        use_cache = self.get_option("cache") and cache
        servers = self._cached_servers(cache_key, query) if use_cache else None
        if servers is None:
            servers = self._fetch_servers()
            if self.get_option("cache"):
                text = json.dumps(servers, separators=(",", ":"))
                self._cache[cache_key] = {"format": CACHE_FORMAT, "query": query, "servers": text}
        else:
            self.display.v(f"vpsorg.cloud.vps: {len(servers)} servers from the inventory cache")
        self._populate(servers)

    # -- options --------------------------------------------------------------------------

    def _templated_settings(self):
        """Option values with templates rendered against the extra vars.

        The configuration file is trusted as a template source, so a token can be written as
        `{{ vault_var }}` or `{{ lookup(...) }}`; values from the environment are never templated.
        """
        self.templar.available_variables = self._vars
        settings = {}
        for option in TEMPLATED_OPTIONS:
            value = self.get_option(option)
            if value is not None and self.templar.is_template(value):
                try:
                    value = self.templar.template(value)
                except Exception as exc:
                    reason = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
                    raise AnsibleParserError(
                        f"vpsorg.cloud.vps: option {option} could not be templated: {reason}"
                    ) from None
            settings[option] = value
        return settings

    @staticmethod
    def _check_booleans(config):
        # Ansible's option parsing reads any unknown word as false; for certificate checks that
        # would silently turn verification off, so a word that is not a boolean is refused.
        for option in BOOLEAN_OPTIONS:
            value = config.get(option)
            if isinstance(value, str) and value.strip().lower() not in BOOLEANS:
                raise AnsibleParserError(f"vpsorg.cloud.vps: {option} must be true or false, got {value!r}")

    def _check_settings(self):
        """Every problem of the settings at once, before any request."""
        settings = self._conf
        numbers = ("api_timeout", "api_retries", "page_size", "details_concurrency", "page_concurrency", "wait_timeout")
        values = dict({option: self.get_option(option) for option in numbers}, api_url=settings["api_url"])
        problems = [sentence for _option, sentence in option_problems(values, ["api_url", *numbers])]
        filters = settings["filters"] or {}
        if not isinstance(filters, dict):
            problems.append("filters must be a dictionary")
        else:
            unknown = sorted(set(filters) - set(SERVER_SIDE_FILTERS))
            if unknown:
                problems.append(
                    "unsupported filters {}; the API filters by {}".format(
                        ", ".join(unknown), " and ".join(SERVER_SIDE_FILTERS)
                    )
                )
        if problems:
            raise AnsibleParserError("vpsorg.cloud.vps: " + "; ".join(problems))
        if settings["inventory_hostname"] == "template" and not self.get_option("inventory_hostname_template"):
            raise AnsibleParserError("vpsorg.cloud.vps: inventory_hostname: template needs inventory_hostname_template")
        if settings["ansible_host_source"] == "ipv6_address" and not self.get_option("fetch_details"):
            raise AnsibleParserError(
                "vpsorg.cloud.vps: ansible_host_source: ipv6_address needs fetch_details: true "
                "(only the server detail carries ipv6_address)"
            )
        if not isinstance(settings["hostvars_prefix"], str):
            raise AnsibleParserError("vpsorg.cloud.vps: hostvars_prefix must be a string")

    def _query(self):
        """What the cached list depends on besides the config path.

        A token from extra vars can change between runs of the same file; its fingerprint keeps one
        account's servers from being answered to another. The token itself is never stored.
        """
        token = str(self._conf["api_token"] or "")
        return {
            "account": hashlib.sha256(f"{self.NAME}:{token}".encode()).hexdigest()[:16],
            "api_url": self._conf["api_url"].rstrip("/"),
            "filters": {key: str(value) for key, value in sorted((self._conf["filters"] or {}).items())},
            "fetch_details": bool(self.get_option("fetch_details")),
            "allow_partial": bool(self.get_option("allow_partial")),
        }

    # -- reading the API ------------------------------------------------------------------

    def _cached_servers(self, cache_key, query):
        try:
            entry = self._cache[cache_key]
        except KeyError:
            self.display.v("vpsorg.cloud.vps: no inventory cache entry yet; reading the API")
            return None
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT or entry.get("query") != query:
            self.display.v("vpsorg.cloud.vps: the inventory cache was made with other settings; reading the API")
            return None
        try:
            servers = json.loads(str(entry["servers"]))
        except (KeyError, ValueError):
            servers = None
        if not isinstance(servers, list):
            self.display.v("vpsorg.cloud.vps: the inventory cache entry is damaged; reading the API")
            return None
        return servers

    def _client(self):
        api = api_client_module()
        if not api.HAS_REQUESTS:
            raise AnsibleError("vpsorg.cloud.vps: the Python library requests is required but not installed")
        token = self._conf["api_token"]
        problems = option_problems({"api_token": token}, ["api_token"])
        if problems:
            raise AnsibleParserError(f"vpsorg.cloud.vps: {problems[0][1]}")
        timeout = self.get_option("wait_timeout")
        partial = self.get_option("allow_partial")
        clock = {} if self._clock is None else {"clock": self._clock, "sleep": self._clock.sleep}
        return api.VpsClient(
            self._conf["api_url"],
            str(token),
            budget=Budget(timeout, f"wait_timeout ({timeout} s)", start=self.get_option("page_concurrency"), **clock),
            session=self._session,
            page_concurrency=self.get_option("page_concurrency"),
            on_partial=(lambda message: self.display.warning(f"vpsorg.cloud.vps: {message}")) if partial else None,
            validate_certs=self.get_option("validate_certs"),
            timeout=self.get_option("api_timeout"),
            retries=self.get_option("api_retries"),
            user_agent_extra="inventory",
            log=lambda message: self.display.v(f"vpsorg.cloud.vps: {message}"),
        )

    def _fetch_servers(self):
        warning = insecure_url_warning(self._conf["api_url"])
        if warning:
            self.display.warning(warning)
        client = self._client()
        filters = {key: str(value) for key, value in (self._conf["filters"] or {}).items() if value is not None}
        try:
            servers = client.list_servers(filters=filters, page_size=self.get_option("page_size"))
            self.display.v(f"vpsorg.cloud.vps: {len(servers)} servers in {client.request_count} list requests")
            if self.get_option("fetch_details"):
                servers = self._with_details(client, servers)
        except IncompleteListingError as exc:
            raise AnsibleError(self._masked(f"vpsorg.cloud.vps: {exc} (allow_partial: true adds them)")) from None
        except VpsApiError as exc:
            raise AnsibleError(self._masked(f"vpsorg.cloud.vps: {exc}")) from None
        return servers

    def _masked(self, text):
        """``text`` with the API token replaced (options.mask), for anything built from API answers."""
        return mask(text, [self._conf.get("api_token")])

    def _with_details(self, client, servers):
        """Each server's detail, in the list's order, under the run's one request budget.

        A server deleted since the list was read keeps its summary.
        """

        def detail(client, server):
            found = client.get_server_or_none(server["id"])
            if found is None:
                name, server_id = server.get("name"), server.get("id")
                client.log(f"server {name} (id {server_id}) disappeared while reading details; keeping its summary")
                return server
            return found

        jobs = [(index, lambda client, server=server: detail(client, server)) for index, server in enumerate(servers)]
        detailed = []
        for _index, (server, error) in client.run_all(jobs, self.get_option("details_concurrency")).items():
            if error is not None:
                raise error
            detailed.append(server)
        return detailed

    # -- building the inventory -----------------------------------------------------------

    def _compose(self, template, variables, disable_lookups=...):
        """Evaluate a constructed expression for one host.

        ansible-core compiles the Jinja expression again for every host, which makes keyed_groups
        the largest cost of a big inventory. From 2.19 on, an expression that only reads a variable
        gets the same value straight from the host's variables (tests/integration/
        test_inventory_constructed.py compares the result with ansible.builtin.constructed on every
        supported version); before 2.19 core's templating gives other results (strings for numbers,
        undefined for None), so everything goes to Jinja there.
        """
        value = self._plain_reference(template, variables) if PLAIN_REFERENCE_SHORTCUT else _NOT_PLAIN
        if value is _NOT_PLAIN:
            return super()._compose(template, variables)
        return value

    def _plain_reference(self, template, variables):
        if not isinstance(template, str) or self.get_option("use_extra_vars"):
            return _NOT_PLAIN
        match = PLAIN_REFERENCE.match(template)
        if not match:
            return _NOT_PLAIN
        names = match.group(1).split(".")
        if names[0] in JINJA_LITERALS:
            return _NOT_PLAIN
        value = variables
        for position, name in enumerate(names):
            # `a.b` on a dict prefers a method of that name in Jinja (`plan.items`): leave those to Jinja.
            if not isinstance(value, dict) or name not in value or (position and hasattr(dict, name)):
                return _NOT_PLAIN
            value = value[name]
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, str) and not any(marker in value for marker in TEMPLATE_MARKERS):
            return value
        return _NOT_PLAIN

    def _populate(self, servers):
        prefix = self._conf["hostvars_prefix"]
        strict = self.get_option("strict")
        compose = self.get_option("compose")
        groups = self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")
        constructed = bool(compose or groups or keyed_groups)
        use_extra_vars = self.get_option("use_extra_vars")
        taken = {}
        renamed = []
        for server in sorted(servers, key=lambda s: (s.get("id") is None, s.get("id") or 0)):
            hostvars = {prefix + key: value for key, value in documented(server).items()}
            address = self._ansible_host(server)
            if address:
                hostvars["ansible_host"] = address
            host = self._hostname(server, hostvars, strict)
            if host in taken:
                renamed.append(f"{host} (id {server.get('id')}, also id {taken[host]})")
                while host in taken:
                    host = f"{host}_{server.get('id')}"
            taken[host] = server.get("id")
            self.inventory.add_host(host)
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            if not constructed:
                continue
            if use_extra_vars:
                hostvars = combine_vars(hostvars, self._vars)
            self._set_composite_vars(compose, hostvars, host, strict=strict)
            # Once per host instead of once per group entry: groups see the composed variables
            # and the host's own (inventory_hostname, ...), as with ansible-core's default.
            hostvars = combine_vars(hostvars, self.inventory.get_host(host).get_vars())
            self._add_host_to_composed_groups(groups, hostvars, host, strict=strict, fetch_hostvars=False)
            self._add_host_to_keyed_groups(keyed_groups, hostvars, host, strict=strict, fetch_hostvars=False)
        if renamed:
            self.display.warning(
                "vpsorg.cloud.vps: several servers share an inventory name; later ones got an _<id> suffix: "
                + ", ".join(renamed)
            )

    def _ansible_host(self, server):
        source = self._conf["ansible_host_source"]
        if source == "none":
            return None
        address = server.get(source)
        if not address:
            self.display.v(
                "vpsorg.cloud.vps: server {} (id {}, status {}) has no {} yet; added without ansible_host".format(
                    server.get("name"), server.get("id"), server.get("status"), source
                )
            )
        return address

    def _hostname(self, server, hostvars, strict):
        source = self._conf["inventory_hostname"]
        if source == "template":
            variables = combine_vars(hostvars, self._vars) if self.get_option("use_extra_vars") else hostvars
            self.templar.available_variables = variables
            try:
                name = self.templar.template(self.get_option("inventory_hostname_template"))
            except Exception as exc:
                if strict:
                    raise AnsibleParserError(
                        "vpsorg.cloud.vps: inventory_hostname_template failed for server {} (id {}): {}".format(
                            server.get("name"), server.get("id"), exc
                        )
                    ) from None
                name = None
        else:
            name = server.get(source)
        if name is None or not str(name).strip():
            if source != "name":
                self.display.v(
                    "vpsorg.cloud.vps: server {} (id {}) has no {}; named by its server name".format(
                        server.get("name"), server.get("id"), source
                    )
                )
            name = server.get("name") or f"vps-{server.get('id')}"
        return str(name).strip()
