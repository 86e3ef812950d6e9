"""Inputs that reach headers, URLs, paths and bodies, through real runs of the modules and the inventory.

Control characters, surrounding whitespace, unicode and very long values in api_token, api_url,
name, hostname, location and the inventory's filters: each is refused with an error naming the
option before anything is sent, or sent exactly as given (the simulator's request log shows
what arrived). The token never appears in any output (the harness scan of every run, plus the pieces
of each hostile token checked here).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from harness import Result, mutating_requests, play, run_inventory, run_playbook

LONG = 5000
# Only hostile tokens carry it: it must never be printed (api_url values are quoted, escaped, in refusals).
MARK = "hostile-7f3a"


def cases(sim):
    """(task name, module, arguments, expected): 'ok' (sent and answered) or the option named in the refusal."""
    token, url = sim.token, sim.api_url
    create = {"plan_id": 1, "os_id": 5, "location": "us-west"}
    return [
        ("token with a trailing newline", "vps_server_info", {"api_token": token + "\n"}, "ok"),
        ("token with surrounding blanks", "vps_server_info", {"api_token": f" \t{token}\r\n"}, "ok"),
        ("token with a newline inside", "vps_server_info", {"api_token": f"{token}\n{MARK}"}, "api_token"),
        ("token with a header injection", "vps_server_info", {"api_token": f"{token}\r\nX-{MARK}: 1"}, "api_token"),
        ("token with a control character", "vps_server_info", {"api_token": f"{token}\x00{MARK}"}, "api_token"),
        ("token with unicode", "vps_server_info", {"api_token": f"{token}\u00e9{MARK}"}, "api_token"),
        ("very long token", "vps_server_info", {"api_token": token + "a" * LONG}, "http 401"),
        ("api_url with a trailing newline", "vps_server_info", {"api_url": url + "\n"}, "ok"),
        ("api_url with surrounding blanks", "vps_server_info", {"api_url": f"  {url}  "}, "ok"),
        ("api_url with a header injection", "vps_server_info", {"api_url": f"{url}\r\nX-Injected: 1"}, "api_url"),
        ("api_url with a space inside", "vps_server_info", {"api_url": url.replace("/api", " /api")}, "api_url"),
        ("api_url with unicode", "vps_server_info", {"api_url": url + "/\u00e9"}, "api_url"),
        ("very long api_url", "vps_server_info", {"api_url": url + "/x" * LONG}, "api_url"),
        ("name with a trailing newline", "vps_server", dict(create, name="web-01\n"), "name"),
        ("name with a trailing CRLF", "vps_server", dict(create, name="web-01\r\n"), "name"),
        ("name with a leading blank", "vps_server", dict(create, name=" web-01"), "name"),
        ("name with unicode", "vps_server", dict(create, name="w\u00e9b-01"), "name"),
        ("very long name", "vps_server", dict(create, name="w" * LONG), "name"),
        ("name of info with a newline", "vps_server_info", {"name": "web-01\n"}, "name"),
        ("name of power with a newline", "vps_server_power", {"name": "web-01\n", "state": "stopped"}, "name"),
        ("hostname with a newline", "vps_server", dict(create, name="h-1", hostname="h.example.com\n"), "hostname"),
        ("hostname with a tab inside", "vps_server", dict(create, name="h-2", hostname="h\t.example.com"), "hostname"),
        ("very long hostname", "vps_server", dict(create, name="h-3", hostname="h" * 254), "hostname"),
        ("hostname with unicode", "vps_server", dict(create, name="h-4", hostname="h\u00e9.example.com"), "hostname"),
        ("location with a tab", "vps_server", dict(create, name="l-1", location="us-west\t"), "location"),
        ("location with unicode", "vps_server", dict(create, name="l-2", location="\u00fas-west"), "location"),
        ("location filter with a newline", "vps_server_info", {"location": "us-west\n"}, "location"),
        ("location filter with unicode", "vps_server_info", {"location": "\u00fas-west"}, "location"),
    ]


def test_hostile_module_inputs(clean_sim, tmp_path, fault_row):
    matrix = cases(clean_sim)
    # Values come from extra vars, as a vaulted or looked-up token would: ansible-core 2.19 quotes the
    # playbook's source lines around a failed task, so a literal there would be shown by Ansible itself.
    values = {f"case_{index}": args for index, (_name, _module, args, _expected) in enumerate(matrix)}
    tasks = "".join(
        f"    - name: {name}\n      vpsorg.cloud.{module}:\n"
        + "".join(f"        {key}: '{{{{ case_{index}.{key} }}}}'\n" for key in args)
        + "      ignore_errors: true\n"
        for index, (name, module, args, _expected) in enumerate(matrix)
    )
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim, extra_vars=values)
    fault_row.add(
        f"H1 hostile inputs (control characters, blanks, unicode, {LONG}-character values): modules",
        clean_sim,
        [result],
        len(matrix),
        0,
        expected_failures=sum(1 for case in matrix if case[3] != "ok"),
    )
    assert result.rc == 0, result.output
    assert MARK not in result.output and MARK not in json.dumps(result.tasks)
    problems = []
    for name, _module, _args, expected in matrix:
        outcome = result.task(name)
        msg = outcome["result"].get("msg", "")
        if expected == "ok":
            if outcome["status"] == "failed":
                problems.append(f"{name}: failed: {msg}")
        elif expected == "http 401":
            if "API token missing or invalid" not in msg:
                problems.append(f"{name}: {outcome['status']}: {msg}")
        elif outcome["status"] != "failed" or expected not in msg:
            problems.append(f"{name}: {outcome['status']}: {msg}")
    assert not problems, "\n".join(problems)
    # Hostnames and locations that were sent arrived exactly as given, and nothing else was created.
    created = {server["name"]: server for server in clean_sim.servers()}
    assert set(created) <= {"h-4", "l-2"}, created
    if "h-4" in created:
        assert created["h-4"]["hostname"] == "h\u00e9.example.com"
    sent = [entry for entry in clean_sim.requests() if entry["method"] == "GET" and "location=" in entry["query"]]
    assert {parse_qs(entry["query"])["location"][0] for entry in sent} == {"\u00fas-west"}
    assert all(entry["body"].get("name") in ("h-4", "l-2") for entry in mutating_requests(clean_sim))


def list_to(path):
    """ansible-inventory arguments that write the listing to a file (verbose messages share stdout)."""
    return ("--list", "--output", str(path))


INVENTORY_CASES = [
    # (case, VPS_API_TOKEN suffix/prefix, filters, expected: hosts | the option named)
    ("token with a trailing newline", "{token}\n", {}, "hosts"),
    ("token with a CRLF inside", "{token}\r\nX-" + MARK + ": 1", {}, "api_token"),
    ("location filter with unicode", "{token}", {"location": "\u00fas-west"}, "location"),
    ("status filter with a newline", "{token}", {"status": "active\n"}, "status"),
]


def test_hostile_inventory_inputs(clean_sim, tmp_path, fault_row):
    from harness import create_server

    create_server(clean_sim, "inv-1")
    problems, results = [], []
    for index, (case, token, filters, expected) in enumerate(INVENTORY_CASES):
        config = "plugin: vpsorg.cloud.vps\n" + (f"filters: {json.dumps(filters)}\n" if filters else "")
        env = {"VPS_API_TOKEN": token.format(token=clean_sim.token), "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"}
        listing = tmp_path / f"{index}.json"
        result = run_inventory(tmp_path / str(index), config, sim=clean_sim, env=env, args=list_to(listing))
        results.append(Result(result.rc, result.stdout, result.stderr, [{"status": "failed"}] if result.rc else []))
        if MARK in result.output:
            problems.append(f"{case}: the hostile token was printed")
        text = " ".join(result.stderr.split())
        if expected in ("hosts", "no hosts"):
            hosts = json.loads(listing.read_text())["_meta"]["hostvars"] if result.rc == 0 else None
            if hosts is None or (expected == "hosts") != bool(hosts):
                problems.append(f"{case}: rc {result.rc}, hosts {hosts}: {text[-400:]}")
        elif result.rc == 0 or expected not in text:
            problems.append(f"{case}: rc {result.rc}: {text[-400:]}")
    fault_row.add(
        "H2 hostile inputs (token, filters): inventory",
        clean_sim,
        results,
        len(INVENTORY_CASES),
        0,
        expected_failures=sum(1 for case in INVENTORY_CASES if case[3] not in ("hosts", "no hosts")),
    )
    assert not problems, "\n".join(problems)
    sent = [entry for entry in clean_sim.requests() if "location=" in entry["query"]]
    assert {parse_qs(entry["query"])["location"][0] for entry in sent} == {"\u00fas-west"}
