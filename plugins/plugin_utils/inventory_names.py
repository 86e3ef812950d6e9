# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the inventory names its hosts: the `hostnames` list, and names that collide.

- hostname_rules() reads the `hostnames` option (or the older `inventory_hostname` options) into
  rules; names() applies them to one server: the first rule that gives a value, or all of them
  with allow_duplicated_hosts.
- Servers of one account with the same name: the later ones (by id) get `_<id>` (within_account).
- Names that collide across accounts follow `name_collisions` (across_accounts): fail, keep the
  first account's, or add the account as prefix or suffix to every holder of the name.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from collections import namedtuple

# A part of a name: a server field (or `account`), or a Jinja2 template over the host's variables.
HOSTNAME_FIELDS = ("name", "hostname", "ip_address", "ipv6_address", "id", "location", "status", "account")
TEMPLATE_MARKERS = ("{{", "{%")
COLLISION_RULES = ("fail", "first", "prefix", "suffix")
# name, prefix: a field or a template (prefix may be None); separator: between the two.
Rule = namedtuple("Rule", "name prefix separator")


class NameCollisionError(ValueError):
    """Names that several accounts give hosts, under name_collisions: fail."""


def is_template(part):
    return any(marker in part for marker in TEMPLATE_MARKERS)


def _part_problem(where, part):
    if not isinstance(part, str) or not part.strip():
        return f"{where} must be a server field ({', '.join(HOSTNAME_FIELDS)}) or a template, got {part!r}"
    if not is_template(part) and part not in HOSTNAME_FIELDS:
        return f"{where} {part!r} is not a server field ({', '.join(HOSTNAME_FIELDS)}) nor a template with {{{{ }}}}"
    return None


def hostname_rules(hostnames, inventory_hostname, template):
    """(rules, problems) from the `hostnames` option, or from inventory_hostname when it is unset."""
    if hostnames is None:
        if inventory_hostname == "template":
            return [Rule(template, None, "")], []
        return [Rule(inventory_hostname, None, "")], []
    if not isinstance(hostnames, list) or not hostnames:
        return [], ["hostnames must be a non-empty list of server fields, templates or {name, prefix, separator}"]
    rules, problems = [], []
    for index, entry in enumerate(hostnames):
        where = f"hostnames[{index}]"
        if isinstance(entry, dict):
            unknown = sorted(set(entry) - {"name", "prefix", "separator"}, key=str)
            if unknown:
                problems.append(f"{where} has unknown keys {', '.join(map(str, unknown))}; use name, prefix, separator")
            rule = Rule(entry.get("name"), entry.get("prefix"), entry.get("separator", "_"))
            if not isinstance(rule.separator, str):
                problems.append(f"{where}.separator must be a string")
            problems.extend(filter(None, [_part_problem(f"{where}.name", rule.name)]))
            if rule.prefix is not None:
                problems.extend(filter(None, [_part_problem(f"{where}.prefix", rule.prefix)]))
        else:
            rule = Rule(entry, None, "")
            problems.extend(filter(None, [_part_problem(where, entry)]))
        rules.append(rule)
    return rules, problems


def uses(rules, field):
    return any(field in (rule.name, rule.prefix) for rule in rules)


def names(rules, server, account, render, every=False):
    """The names the rules give a server, first first (only the first unless `every`).

    render(template) evaluates a template for this server; it returns None when it cannot.
    """

    def value(part):
        if part is None:
            return ""
        if is_template(part):
            found = render(part)
        elif part == "account":
            found = account
        else:
            found = server.get(part)
        return "" if found is None else str(found).strip()

    found = []
    for rule in rules:
        name = value(rule.name)
        if not name:
            continue
        prefix = value(rule.prefix)
        name = f"{prefix}{rule.separator}{name}" if prefix else name
        if name not in found:
            found.append(name)
        if not every:
            break
    return found


def within_account(named):
    """[(name, server)] of one account, sorted by id: a name taken before gets `_<id>`.

    Returns the names in order and the renames, as "name (id X, also id Y)".
    """
    taken, result, renamed = {}, [], []
    for name, server in named:
        if name in taken:
            renamed.append(f"{name} (id {server.get('id')}, also id {taken[name]})")
            while name in taken:
                name = f"{name}_{server.get('id')}"
        taken[name] = server.get("id")
        result.append(name)
    return result, renamed


def across_accounts(hosts, rule):
    """hosts: [(name, account, server, ...)] in the accounts' order. Returns (hosts, left_out).

    Raises NameCollisionError under `fail`, and under any rule when a name given by prefix or suffix
    is still held twice (hosts are never merged). Names held by one account only are unchanged.
    """
    holders = {}
    for name, account, *_rest in hosts:
        holders.setdefault(name, [])
        if account not in holders[name]:
            holders[name].append(account)
    colliding = {name: accounts for name, accounts in holders.items() if len(accounts) > 1}
    if not colliding:
        return hosts, []
    if rule == "fail":
        raise NameCollisionError(_collisions(colliding) + " (name_collisions: first, prefix or suffix resolves this)")
    kept, left_out = [], []
    for host in hosts:
        name, account, server = host[:3]
        if name not in colliding:
            kept.append(host)
        elif rule == "first":
            if account == colliding[name][0]:
                kept.append(host)
            else:
                left_out.append(f"{name} of account {account} (id {server.get('id')})")
        else:
            kept.append((f"{account}_{name}" if rule == "prefix" else f"{name}_{account}", *tuple(host[1:])))
    still = {}
    for name, account, *_rest in kept:
        still.setdefault(name, []).append(account)
    twice = {name: accounts for name, accounts in still.items() if len(accounts) > 1}
    if twice:
        raise NameCollisionError(_collisions(twice) + f" (after name_collisions: {rule})")
    return kept, left_out


def _collisions(holders):
    return "hosts of several accounts have the same name: " + "; ".join(
        f"{name} in {', '.join(accounts)}" for name, accounts in sorted(holders.items())
    )
