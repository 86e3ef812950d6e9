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
  - Reads the servers of a VPS.org account, or of several (O(accounts)), and adds each one as a host.
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
      - Server names are not unique in VPS.org; when two servers of one account would get the same inventory name,
        the later one (by id) is added as C(<name>_<id>) and a warning names it.
      - O(hostnames) is the more general form.
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
  accounts:
    description:
      - Several accounts in one inventory, read at the same time, each under its own request budget (a token's
        rate limit is its own), so five accounts take about as long as the largest one.
      - Every host gets the host variable C(vps_account) (O(hostvars_prefix) plus C(account)) and is in the
        group O(account_group_prefix) plus the account's name, hyphens made underscores (C(account_customer_a)).
        O(compose), O(groups) and O(keyed_groups) see C(vps_account) like any other host variable.
      - Without this option the file reads the one account of O(api_token), and hosts get no C(vps_account).
      - With it, O(api_token) must not be set in the file; C(VPS_API_TOKEN) in the environment is not used.
      - Names that hosts of several accounts share follow O(name_collisions); an account that cannot be read
        follows O(account_failure).
      - Every problem of the accounts (a name given twice, an unknown key, no token) fails the inventory before
        any request.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - The account's name in the inventory, 1 to 63 letters, digits, hyphens and underscores.
          - Names are unique, whatever their case.
        type: str
        required: true
      api_token:
        description:
          - The account's token; it can be a template (a vault variable, a lookup).
          - Give O(accounts[].api_token), O(accounts[].api_token_env) or the account's name in O(api_tokens).
        type: str
      api_token_env:
        description:
          - The name of the environment variable that holds the account's token, for example C(CUSTOMER_B_TOKEN).
        type: str
      api_url:
        description: The account's API URL; the file's O(api_url) when not given.
        type: str
      filters:
        description: The account's own O(filters), instead of the file's.
        type: dict
  api_tokens:
    description:
      - The tokens of O(accounts) by account name, as a YAML or JSON mapping of names to tokens, for tokens
        kept in one place, such as one automation controller credential (C(extensions/controller/)).
      - An account that gives O(accounts[].api_token) or O(accounts[].api_token_env) does not use it.
      - Its content is never shown, also when it cannot be read.
    type: str
    secret: true
    env:
      - name: VPS_API_TOKENS
  account_group_prefix:
    description: The prefix of each account's group name.
    type: str
    default: account_
  account_failure:
    description:
      - What happens when an account cannot be read (a token the API refuses, server errors after O(api_retries),
        a timeout, a short server list).
      - V(fail) fails the inventory, naming the account and its API URL, never its token.
      - V(warn) leaves out every host of that account, never part of them, and names it in a warning; the other
        accounts' hosts are added. Automation controller deletes the hosts of a left-out account from an inventory
        it updates with C(overwrite). When no account can be read, the inventory fails.
    type: str
    default: fail
    choices: [fail, warn]
  name_collisions:
    description:
      - What happens when hosts of several O(accounts) get the same inventory name. They are never merged into one.
      - V(fail) fails the inventory, naming each such name and its accounts.
      - V(first) keeps the host of the account listed first and leaves the others out, named in a warning.
      - V(prefix) names every host holding such a name C(<account>_<name>), V(suffix) C(<name>_<account>); names
        held by one account are unchanged. A host's name then changes when another account gains a server of
        its name; O(hostnames) with a C(prefix) of V(account) names every host by its account instead.
      - Servers of one account with the same name follow the rule of O(inventory_hostname).
    type: str
    default: fail
    choices: [fail, first, prefix, suffix]
  hostnames:
    description:
      - The inventory name of each server, tried in order; the first entry that gives a non-empty value names the
        host. None gives one - the server's C(name).
      - An entry is a server field (V(name), V(hostname), V(ip_address), V(ipv6_address), V(id), V(location),
        V(status)), V(account) (the name of its entry in O(accounts)) or a Jinja2 template over the host variables
        (V({{ vps_name }}.{{ vps_location }})).
      - An entry can also be a dict with C(name) (a field or template), C(prefix) (a field or template, left out
        when empty) and C(separator) (default V(_)), giving C(<prefix><separator><name>);
        with C(name) V(name), C(prefix) V(account) and C(separator) V(.), C(web-01) of C(customer-a) is named
        C(customer-a.web-01).
      - Replaces O(inventory_hostname) and O(inventory_hostname_template); give one or the other.
    type: list
    elements: raw
  allow_duplicated_hosts:
    description:
      - Add each server under every name its O(hostnames) entries give (each once), all with the same variables,
        instead of under the first only.
    type: bool
    default: false
  include_filters:
    description:
      - More server lists to add, each a dict of O(filters) (C(status), C(location)). Each is read once per account,
        and the hosts are every server of O(filters) or of any of these, each once.
      - The lists are read one after another, so a server that changes status in between can be in none of them.
    type: list
    elements: dict
    default: []
  exclude_filters:
    description:
      - Servers to leave out, each a dict of O(filters) (C(status), C(location)); a server matching every key of any
        one of them is left out. Matched on the servers read, at no request; wins over O(include_filters).
    type: list
    elements: dict
    default: []
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
  - The cache entry remembers O(api_url), O(filters), O(include_filters), O(fetch_details) and a fingerprint of
    O(api_token) (never the token itself); changing any of them reads the API again. With O(accounts), it keeps
    each account apart, so changing one account reads only that account again; an account that could not be read
    is not cached.
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

# inventory/customers.vps.yml: three accounts in one inventory, a group per account
# (account_customer_a, ...), an account that cannot be read left out with a warning
#   plugin: vpsorg.cloud.vps
#   accounts:
#     - name: customer-a
#       api_token: "{{ vault_customer_a_token }}"
#     - name: customer-b
#       api_token_env: CUSTOMER_B_TOKEN
#       filters:
#         status: active
#     - name: customer-c            # its token from api_tokens (VPS_API_TOKENS)
#   account_failure: warn
#   hostnames:
#     - name: name
#       prefix: account
#       separator: "."
#
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
import os
import re

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.release import __version__ as ANSIBLE_CORE_VERSION
from ansible.utils.vars import combine_vars
from ansible_collections.vpsorg.cloud.plugins.module_utils.budget import Budget, run_all
from ansible_collections.vpsorg.cloud.plugins.module_utils.listing import IncompleteListingError
from ansible_collections.vpsorg.cloud.plugins.module_utils.options import insecure_url_warning, mask, option_problems
from ansible_collections.vpsorg.cloud.plugins.module_utils.server_state import documented
from ansible_collections.vpsorg.cloud.plugins.plugin_utils.inventory_accounts import (
    Account,
    as_query,
    excluded,
    filter_list_problems,
    filter_problems,
    group_name,
    parse_api_tokens,
)
from ansible_collections.vpsorg.cloud.plugins.plugin_utils.inventory_accounts import accounts as parse_accounts
from ansible_collections.vpsorg.cloud.plugins.plugin_utils.inventory_names import (
    NameCollisionError,
    across_accounts,
    hostname_rules,
    names,
    uses,
    within_account,
)

# Options that hold plain values (as opposed to per-host expressions) and may be templates.
TEMPLATED_OPTIONS = (
    "api_token",
    "api_url",
    "filters",
    "hostvars_prefix",
    "inventory_hostname",
    "ansible_host_source",
    "accounts",
    "include_filters",
    "exclude_filters",
)
BOOLEAN_OPTIONS = ("validate_certs", "fetch_details")
BOOLEANS = frozenset(str(word).lower() for word in BOOLEANS_TRUE | BOOLEANS_FALSE)
# Bump when the shape of a cache entry changes, so an old entry is read as a miss.
# 2: the server list is one JSON text inside the entry. The cache plugin's own decoder runs a hook
# for every object and checks every string (~0.5 s for 10,000 servers) and the first run deep-copies
# the whole list; a single string costs neither, so a warm run is never slower than a cold one.
# 3: the entry holds each account's list apart ({"accounts": {name: {"query", "servers"}}}, the
# name "" for a file without accounts), so changing one account reads only that one again.
CACHE_FORMAT = 3
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
        self._accounts = accounts = self._check_settings(config)
        cache_key = self.get_cache_key(path)
        entry = self._cache_entry(cache_key) if self.get_option("cache") and cache else {}
        listed, to_read = {}, []
        for account in accounts:
            servers = self._cached_servers(entry, account)
            if servers is None:
                to_read.append(account)
            else:
                listed[account.name] = servers
                self.display.v(
                    f"vpsorg.cloud.vps: {self._label(account)}{len(servers)} servers from the inventory cache"
                )
        listed.update(self._read(to_read))
        if self.get_option("cache"):
            self._cache[cache_key] = {
                "format": CACHE_FORMAT,
                "accounts": {
                    account.name or "": {
                        "query": self._query(account),
                        "servers": json.dumps(listed[account.name], separators=(",", ":")),
                    }
                    for account in accounts
                    if account.name in listed
                },
            }
        self._populate([(account, listed[account.name]) for account in accounts if account.name in listed])

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

    def _check_settings(self, config):
        """The accounts to read; every problem of the settings at once, before any request."""
        settings = self._conf
        numbers = ("api_timeout", "api_retries", "page_size", "details_concurrency", "page_concurrency", "wait_timeout")
        values = dict({option: self.get_option(option) for option in numbers}, api_url=settings["api_url"])
        problems = [sentence for _option, sentence in option_problems(values, ["api_url", *numbers])]
        problems += filter_problems("filters", settings["filters"] or {})
        problems += filter_list_problems("include_filters", settings["include_filters"])
        problems += filter_list_problems("exclude_filters", settings["exclude_filters"])
        self._rules, naming = hostname_rules(
            self.get_option("hostnames"), settings["inventory_hostname"], self.get_option("inventory_hostname_template")
        )
        problems += naming
        if self.get_option("hostnames") is not None and settings["inventory_hostname"] != "name":
            problems.append("hostnames replaces inventory_hostname: give one of them")
        if settings["inventory_hostname"] == "template" and not self.get_option("inventory_hostname_template"):
            problems.append("inventory_hostname: template needs inventory_hostname_template")
        if not self.get_option("fetch_details"):
            # Only the server detail carries ipv6_address.
            if settings["ansible_host_source"] == "ipv6_address":
                problems.append(
                    "ansible_host_source: ipv6_address needs fetch_details: true "
                    "(only the server detail carries ipv6_address)"
                )
            if uses(self._rules, "ipv6_address"):
                problems.append("hostnames: ipv6_address needs fetch_details: true")
        if not isinstance(settings["hostvars_prefix"], str):
            problems.append("hostvars_prefix must be a string")
        if settings["accounts"] is None:
            if uses(self._rules, "account"):
                problems.append("hostnames names the account, which only a file with accounts has")
            accounts = [Account(None, settings["api_token"], settings["api_url"], settings["filters"])]
        else:
            if "api_token" in config:
                problems.append("api_token and accounts cannot be used together: give each account its own token")
            tokens, token_problems = parse_api_tokens(self.get_option("api_tokens"))
            accounts, account_problems, warnings = parse_accounts(
                settings["accounts"], tokens, settings["api_url"], settings["filters"], os.environ
            )
            problems += token_problems + account_problems
            for warning in warnings:
                self.display.warning(f"vpsorg.cloud.vps: {warning}")
        if problems:
            raise AnsibleParserError(self._masked("vpsorg.cloud.vps: " + "; ".join(problems), accounts))
        return accounts

    def _query(self, account):
        """What an account's cached list depends on besides the config path.

        A token from extra vars can change between runs of the same file; its fingerprint keeps one
        account's servers from being answered to another. The token itself is never stored.
        """
        token = str(account.token or "")
        return {
            "account": hashlib.sha256(f"{self.NAME}:{token}".encode()).hexdigest()[:16],
            "api_url": account.api_url.rstrip("/"),
            "filters": as_query(account.filters),
            "include_filters": [as_query(filters) for filters in self._conf["include_filters"] or ()],
            "fetch_details": bool(self.get_option("fetch_details")),
            "allow_partial": bool(self.get_option("allow_partial")),
        }

    @staticmethod
    def _label(account):
        return "" if account.name is None else f"account {account.name}: "

    def _masked(self, text, accounts=None):
        """``text`` with every API token replaced (options.mask), for anything built from API answers."""
        accounts = self._accounts if accounts is None else accounts
        return mask(text, [self._conf.get("api_token")] + [account.token for account in accounts])

    # -- the cache ------------------------------------------------------------------------

    def _cache_entry(self, cache_key):
        try:
            entry = self._cache[cache_key]
        except KeyError:
            self.display.v("vpsorg.cloud.vps: no inventory cache entry yet; reading the API")
            return {}
        if (
            not isinstance(entry, dict)
            or entry.get("format") != CACHE_FORMAT
            or not isinstance(entry.get("accounts"), dict)
        ):
            self.display.v("vpsorg.cloud.vps: the inventory cache entry is of another version; reading the API")
            return {}
        return entry["accounts"]

    def _cached_servers(self, entry, account):
        """The account's servers from the cache entry, or None to read them (told at -v)."""
        cached = entry.get(account.name or "")
        if not entry:
            return None
        if not isinstance(cached, dict) or cached.get("query") != self._query(account):
            self.display.v(
                f"vpsorg.cloud.vps: {self._label(account)}the inventory cache was made with other settings; "
                "reading the API"
            )
            return None
        try:
            servers = json.loads(str(cached["servers"]))
        except (KeyError, ValueError):
            servers = None
        if not isinstance(servers, list):
            self.display.v(
                f"vpsorg.cloud.vps: {self._label(account)}the inventory cache entry is damaged; reading the API"
            )
            return None
        return servers

    # -- reading the API ------------------------------------------------------------------

    def _read(self, accounts):
        """{account name: servers} of the accounts, read at the same time, each under its own budget.

        A failing account fails the inventory, or (account_failure: warn) is left out whole.
        """
        if not accounts:
            return {}
        api = api_client_module()
        if not api.HAS_REQUESTS:
            raise AnsibleError("vpsorg.cloud.vps: the Python library requests is required but not installed")
        for account in accounts:
            problems = option_problems({"api_token": account.token}, ["api_token"])
            if problems:
                raise AnsibleParserError(f"vpsorg.cloud.vps: {self._label(account)}{problems[0][1]}")
        for url in sorted({account.api_url for account in accounts}):
            warning = insecure_url_warning(url)
            if warning:
                self.display.warning(warning)
        jobs = [
            (index, lambda account=account: self._read_account(api, account)) for index, account in enumerate(accounts)
        ]
        failed, read = [], {}
        for index, (servers, error) in run_all(None, jobs, most=len(jobs)).items():
            account = accounts[index]
            if error is None:
                read[account.name] = servers
            else:
                failed.append(self._masked(f"{self._label(account)}{self._failure(account, error)}"))
        if failed and (self.get_option("account_failure") == "fail" or not read):
            raise AnsibleError("vpsorg.cloud.vps: " + "; ".join(failed))
        for failure in failed:
            self.display.warning(f"vpsorg.cloud.vps: left out of the inventory (account_failure: warn): {failure}")
        return read

    def _failure(self, account, error):
        text = str(error)
        if isinstance(error, IncompleteListingError):
            text += " (allow_partial: true adds them)"
        if account.name is not None and account.api_url.rstrip("/") not in text:
            text += f" (api_url {account.api_url.rstrip('/')})"
        return text

    def _read_account(self, api, account):
        """The account's servers: the `filters` listing and each of `include_filters`, once each by id."""
        client = self._client(api, account)
        servers = {}
        for filters in [account.filters, *list(self._conf["include_filters"] or ())]:
            for server in client.list_servers(filters=as_query(filters), page_size=self.get_option("page_size")):
                servers.setdefault(server.get("id"), server)
        servers = list(servers.values())
        client.log(f"{len(servers)} servers in {client.request_count} list requests")
        if self.get_option("fetch_details"):
            servers = self._with_details(client, servers)
        return servers

    def _client(self, api, account):
        timeout = self.get_option("wait_timeout")
        label = f"vpsorg.cloud.vps: {self._label(account)}"
        clock = {} if self._clock is None else {"clock": self._clock, "sleep": self._clock.sleep}
        partial = self.get_option("allow_partial")
        return api.VpsClient(
            account.api_url,
            str(account.token),
            budget=Budget(timeout, f"wait_timeout ({timeout} s)", start=self.get_option("page_concurrency"), **clock),
            session=self._session,
            page_concurrency=self.get_option("page_concurrency"),
            on_partial=(lambda message: self.display.warning(self._masked(label + message))) if partial else None,
            validate_certs=self.get_option("validate_certs"),
            timeout=self.get_option("api_timeout"),
            retries=self.get_option("api_retries"),
            user_agent_extra="inventory",
            log=lambda message: self.display.v(label + message),
        )

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

    def _populate(self, listed):
        """Hosts of [(account, servers)]: named by the hostnames rules, then across accounts by name_collisions."""
        prefix = self._conf["hostvars_prefix"]
        hosts = []
        for account, servers in listed:
            named = []
            for server in sorted(servers, key=lambda s: (s.get("id") is None, s.get("id") or 0)):
                if excluded(server, self._conf["exclude_filters"]):
                    continue
                hostvars = {prefix + key: value for key, value in documented(server).items()}
                if account.name is not None:
                    hostvars[prefix + "account"] = account.name
                address = self._ansible_host(server)
                if address:
                    hostvars["ansible_host"] = address
                named += [(name, server, hostvars) for name in self._hostnames(server, account, hostvars)]
            unique, renamed = within_account([(name, server) for name, server, _vars in named])
            if renamed:
                self.display.warning(
                    f"vpsorg.cloud.vps: {self._label(account)}several servers share an inventory name; later ones "
                    "got an _<id> suffix: " + ", ".join(renamed)
                )
            hosts += [
                (name, account.name, server, hostvars)
                for name, (_n, server, hostvars) in zip(unique, named, strict=True)
            ]
        try:
            hosts, left_out = across_accounts(hosts, self.get_option("name_collisions"))
        except NameCollisionError as exc:
            raise AnsibleError(f"vpsorg.cloud.vps: {exc}") from None
        if left_out:
            self.display.warning(
                "vpsorg.cloud.vps: hosts left out, their names taken by an earlier account (name_collisions: first): "
                + ", ".join(left_out)
            )
        for host, account_name, _server, hostvars in hosts:
            self._add_host(host, hostvars, account_name)

    def _add_host(self, host, hostvars, account_name):
        strict = self.get_option("strict")
        self.inventory.add_host(host)
        for key, value in hostvars.items():
            self.inventory.set_variable(host, key, value)
        if account_name is not None:
            group = self.inventory.add_group(group_name(self.get_option("account_group_prefix"), account_name))
            self.inventory.add_child(group, host)
        compose, groups = self.get_option("compose"), self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")
        if not (compose or groups or keyed_groups):
            return
        if self.get_option("use_extra_vars"):
            hostvars = combine_vars(hostvars, self._vars)
        self._set_composite_vars(compose, hostvars, host, strict=strict)
        # Once per host instead of once per group entry: groups see the composed variables
        # and the host's own (inventory_hostname, ...), as with ansible-core's default.
        hostvars = combine_vars(hostvars, self.inventory.get_host(host).get_vars())
        self._add_host_to_composed_groups(groups, hostvars, host, strict=strict, fetch_hostvars=False)
        self._add_host_to_keyed_groups(keyed_groups, hostvars, host, strict=strict, fetch_hostvars=False)

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

    def _hostnames(self, server, account, hostvars):
        """The server's inventory names by the hostnames rules; its server name when none gives one."""
        strict = self.get_option("strict")

        def render(template):
            variables = combine_vars(hostvars, self._vars) if self.get_option("use_extra_vars") else hostvars
            self.templar.available_variables = variables
            try:
                return self.templar.template(template)
            except Exception as exc:
                if strict:
                    raise AnsibleParserError(
                        "vpsorg.cloud.vps: the hostname template {!r} failed for server {} (id {}): {}".format(
                            template, server.get("name"), server.get("id"), exc
                        )
                    ) from None
                return None

        found = names(self._rules, server, account.name, render, every=self.get_option("allow_duplicated_hosts"))
        if found:
            return found
        if [rule.name for rule in self._rules] != ["name"]:
            self.display.v(
                "vpsorg.cloud.vps: server {} (id {}) has no {}; named by its server name".format(
                    server.get("name"), server.get("id"), " nor ".join(str(rule.name) for rule in self._rules)
                )
            )
        return [str(server.get("name") or f"vps-{server.get('id')}").strip()]
