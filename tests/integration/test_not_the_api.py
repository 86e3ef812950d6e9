"""api_url pointing at something that is not the API: a plain static web server.

`python -m http.server` on loopback serves a directory with HTML pages where the API's paths
would be (`/site/api/v1/...`: HTML with status 200) and nothing elsewhere (`/gone/api/v1`:
its HTML 404 page). Every module in every state, and the inventory, must fail with a message
naming api_url and what answered, report nothing as done, and send no request that could
change something (the server's own access log is the witness).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

import pytest
from fault_rows import failed_tasks
from harness import Result, play, run_inventory, run_playbook

TOKEN = "static-site-token-0123456789"
ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})')
# The pages a static site could have at the API's paths.
PAGES = ("api/v1/servers", "api/v1/servers/7", "api/v1/servers/7/start", "api/v1/servers/7/stop")

# (task name, module, arguments): every module and state, by id and by name.
CASES = [
    ("create by name", "vps_server", "{name: web-1, plan_id: 1, os_id: 5, location: us-west}"),
    ("update by id", "vps_server", "{id: 7, hostname: web-1.example.com}"),
    ("update by name", "vps_server", "{name: web-1, hostname: web-1.example.com}"),
    ("absent by id", "vps_server", "{id: 7, state: absent}"),
    ("absent by name", "vps_server", "{name: web-1, state: absent}"),
    ("started by id", "vps_server_power", "{id: 7, state: started}"),
    ("stopped by id", "vps_server_power", "{id: 7, state: stopped}"),
    ("restarted by id", "vps_server_power", "{id: 7, state: restarted}"),
    ("stopped by name", "vps_server_power", "{name: web-1, state: stopped}"),
    ("info all", "vps_server_info", "{}"),
    ("info by id", "vps_server_info", "{id: 7}"),
    ("info by name", "vps_server_info", "{name: web-1}"),
]


class StaticSite:
    """python -m http.server in a directory of HTML pages; its stderr is the access log."""

    def __init__(self, root):
        for page in PAGES:
            (root / "site" / page).mkdir(parents=True, exist_ok=True)
            (root / "site" / page / "index.html").write_text(
                "<!doctype html><html><body><h1>Welcome</h1></body></html>"
            )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = root / "access.log"
        self._log_handle = self.log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-u",
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "--directory",
                str(root),
                str(self.port),
            ],
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the static web server did not start"
                time.sleep(0.05)
        self.tokens, self.admin_token = [TOKEN], None

    def url(self, prefix):
        return f"http://127.0.0.1:{self.port}/{prefix}/api/v1"

    def access(self):
        return [match.groupdict() for match in ACCESS_LINE.finditer(self.log.read_text(errors="replace"))]

    def counters(self):
        return {"total": len(self.access())}

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self._log_handle.close()


@pytest.fixture
def static_site(tmp_path):
    site = StaticSite(tmp_path / "www")
    yield site
    site.close()


ANSWERS = {"site": ("200", "HTTP 200", "text/html"), "gone": ("404", "HTTP 404", "text/html")}


@pytest.mark.parametrize("prefix", sorted(ANSWERS))
def test_every_module_and_state_fails_naming_api_url(static_site, tmp_path, prefix, fault_row):
    api_url = static_site.url(prefix)
    tasks = "".join(
        f"    - name: {name}\n      vpsorg.cloud.{module}: {args}\n      ignore_errors: true\n"
        for name, module, args in CASES
    )
    env = {"VPS_API_URL": api_url, "VPS_API_TOKEN": TOKEN}
    result = run_playbook(tmp_path, play(tasks), sim=None, env=env)
    status, words, content_type = ANSWERS[prefix]
    fault_row.add(
        f"W1 api_url is a static web server answering HTML {status}: every module and state",
        static_site,
        [result],
        len(CASES),
        0,
        expected_failures=len(CASES),
    )
    problems = []
    for name, module, _args in CASES:
        outcome = result.task(name)
        res = outcome["result"]
        msg = res.get("msg", "")
        expected = [f"api_url {api_url}", words, content_type]
        if outcome["status"] != "failed" or res.get("changed") or not all(word in msg for word in expected):
            problems.append(f"{name} ({module}): {outcome['status']}: {msg or res}")
        elif (res.get("failure") or {}).get("reason") != "not_the_api":
            problems.append(f"{name} ({module}): failure {res.get('failure')}")
    assert not problems, "\n".join(problems)
    assert failed_tasks(result) == len(CASES)
    access = static_site.access()
    assert access, "no request reached the static web server"
    assert {entry["method"] for entry in access} == {"GET"}, access
    assert {entry["status"] for entry in access} == {status}


@pytest.mark.parametrize("prefix", sorted(ANSWERS))
def test_the_inventory_fails_naming_api_url(static_site, tmp_path, prefix, fault_row):
    api_url = static_site.url(prefix)
    result = run_inventory(
        tmp_path,
        "plugin: vpsorg.cloud.vps\n",
        sim=None,
        env={"VPS_API_URL": api_url, "VPS_API_TOKEN": TOKEN, "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"},
    )
    status, words, _content_type = ANSWERS[prefix]
    fault_row.add(
        f"W2 api_url is a static web server answering HTML {status}: inventory",
        static_site,
        [Result(result.rc, result.stdout, result.stderr, [{"status": "failed"}] if result.rc else [])],
        1,
        0,
        expected_failures=1,
    )
    assert result.rc != 0, result.output
    text = " ".join(result.stderr.split())
    assert f"api_url {api_url}" in text and words in text, result.stderr
    assert {entry["method"] for entry in static_site.access()} == {"GET"}


ROLE_PLAY = """
- name: Fleet against a static web server
  hosts: localhost
  gather_facts: false
  roles:
    - role: vpsorg.cloud.servers
"""


@pytest.mark.parametrize("prefix", sorted(ANSWERS))
def test_the_fleet_role_fails_naming_api_url(static_site, tmp_path, prefix, fault_row):
    api_url = static_site.url(prefix)
    fleet = {
        "vps_servers": [{"name": "web-1"}, {"name": "web-2", "power": "stopped"}, {"name": "old-1", "state": "absent"}],
        "vps_servers_defaults": {"plan_id": 1, "os_id": 5, "location": "us-west"},
    }
    env = {"VPS_API_URL": api_url, "VPS_API_TOKEN": TOKEN}
    result = run_playbook(tmp_path, ROLE_PLAY, sim=None, env=env, extra_vars=fleet)
    status, words, _content_type = ANSWERS[prefix]
    fault_row.add(
        f"W3 api_url is a static web server answering HTML {status}: fleet role",
        static_site,
        [result],
        1,
        0,
        expected_failures=1,
    )
    assert result.rc != 0, result.output
    failed = [task for task in result.tasks if task["status"] == "failed"]
    assert len(failed) == 1, [task["task"] for task in failed]
    assert f"api_url {api_url}" in failed[0]["result"]["msg"] and words in failed[0]["result"]["msg"]
    assert not any(task["status"] == "changed" for task in result.tasks)
    assert {entry["method"] for entry in static_site.access()} == {"GET"}
