"""Bad input on every module option: a clear error naming the option, and nothing changed.

All cases run as tasks of one playbook (ignore_errors) so the matrix costs one ansible run.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import subprocess
import threading

import pytest
from harness import create_server, mutating_requests, run_playbook

# (module, arguments, words the error must contain)
CASES = [
    (
        "vps_server",
        {"name": "web_01", "plan_id": 1, "os_id": 5, "location": "us-west"},
        ["name", "not a valid server name"],
    ),
    ("vps_server", {"name": "", "plan_id": 1, "os_id": 5, "location": "us-west"}, ["name", "not a valid server name"]),
    ("vps_server", {"name": "a" * 64, "plan_id": 1, "os_id": 5, "location": "us-west"}, ["name", "1 to 63"]),
    ("vps_server", {"name": "web", "plan_id": "one", "os_id": 5, "location": "us-west"}, ["plan_id", "int"]),
    ("vps_server", {"name": "web", "plan_id": -1, "os_id": 5, "location": "us-west"}, ["plan_id", "positive integer"]),
    (
        "vps_server",
        {"name": "web", "plan_id": 99999999999, "os_id": 5, "location": "us-west"},
        ["plan_id", "no larger than"],
    ),
    ("vps_server", {"name": "web", "plan_id": 1, "os_id": 0, "location": "us-west"}, ["os_id", "positive integer"]),
    ("vps_server", {"name": "web", "plan_id": 1, "os_id": 5, "location": ""}, ["location", "must not be empty"]),
    (
        "vps_server",
        {"name": "web", "plan_id": 1, "os_id": 5, "location": "us-west", "hostname": " "},
        ["hostname", "must not be empty"],
    ),
    (
        "vps_server",
        {"name": "web", "plan_id": 1, "os_id": 5, "location": "us-west", "ssh_key_id": -5},
        ["ssh_key_id", "positive integer"],
    ),
    (
        "vps_server",
        {"name": "web", "plan_id": 1, "os_id": 5, "location": "us-west", "backups_enabled": "maybe"},
        ["backups_enabled", "bool"],
    ),
    ("vps_server", {"name": "web", "state": "running"}, ["state", "present, absent"]),
    ("vps_server", {"id": -3, "state": "absent"}, ["id", "positive integer"]),
    ("vps_server", {"id": "abc", "state": "absent"}, ["id", "int"]),
    ("vps_server", {"state": "absent"}, ["id", "name"]),
    ("vps_server", {"name": "web", "wait_timeout": 0}, ["wait_timeout", "positive"]),
    ("vps_server", {"name": "web", "wait": "later"}, ["wait", "bool"]),
    ("vps_server", {"name": "web", "size": "big"}, ["size", "Unsupported parameters"]),
    ("vps_server", {"name": "new-web", "plan_id": 1}, ["os_id", "location", "to create it"]),
    ("vps_server", {"name": "web", "api_url": "ftp://vps.example/api"}, ["api_url", "http:// or https://"]),
    ("vps_server", {"name": "web", "api_url": "not a url"}, ["api_url", "spaces"]),
    ("vps_server", {"name": "web", "api_url": "vps.example/api"}, ["api_url", "http:// or https://"]),
    ("vps_server", {"name": "web", "api_timeout": -1}, ["api_timeout", "positive"]),
    ("vps_server", {"name": "web", "api_retries": -2}, ["api_retries", "0 or more"]),
    ("vps_server", {"name": "web", "api_token": ""}, ["api_token", "is empty"]),
    ("vps_server", {"name": "web", "validate_certs": "perhaps"}, ["validate_certs", "bool"]),
    ("vps_server_info", {"status": "running"}, ["status", "active"]),
    ("vps_server_info", {"id": 0}, ["id", "positive integer"]),
    ("vps_server_info", {"page_concurrency": 0}, ["page_concurrency", "between 1 and 64", "got 0"]),
    ("vps_server_info", {"page_concurrency": 65}, ["page_concurrency", "between 1 and 64", "got 65"]),
    ("vps_server_info", {"api_timeout": "soon"}, ["api_timeout", "int"]),
    ("vps_server_power", {"name": "web"}, ["state", "missing required arguments"]),
    ("vps_server_power", {"name": "web", "state": "on"}, ["state", "started, stopped, restarted"]),
    ("vps_server_power", {"state": "started"}, ["id", "name"]),
    ("vps_server_power", {"name": "bad name!", "state": "stopped"}, ["name", "not a valid server name"]),
    ("vps_server_power", {"id": 2**40, "state": "stopped"}, ["id", "no larger than"]),
    ("vps_server_power", {"name": "web", "state": "stopped", "wait_timeout": -10}, ["wait_timeout", "positive"]),
    ("vps_server", {"name": "web", "os_id": 3}, ["os_id", "cannot be changed", "it is 5, requested 3"]),
    (
        "vps_server",
        {"name": "web", "location": "us-east"},
        ["location", "cannot be changed", "it is us-west, requested us-east"],
    ),
]


def test_bad_input_matrix(clean_sim, tmp_path):
    create_server(clean_sim, "web")
    tasks = "".join(
        f"    - name: case {index}\n      vpsorg.cloud.{module}: {json.dumps(args)}\n      ignore_errors: true\n"
        for index, (module, args, _words) in enumerate(CASES)
    )
    playbook = "- name: Bad input\n  hosts: localhost\n  gather_facts: false\n  tasks:\n" + tasks
    since = clean_sim.requests()[-1]["seq"]
    result = run_playbook(tmp_path, playbook, sim=clean_sim)
    assert result.rc == 0, result.output
    problems = []
    for index, (module, args, words) in enumerate(CASES):
        outcome = result.task(f"case {index}")
        msg = outcome["result"].get("msg", "")
        if outcome["status"] != "failed" or not all(word in msg for word in words):
            problems.append(f"{module} {args}: {outcome['status']}: {msg}")
    assert not problems, "\n".join(problems)
    ran = [task["task"] for task in result.tasks if task["task"].startswith("case ")]
    assert ran == [f"case {index}" for index in range(len(CASES))]
    assert mutating_requests(clean_sim, since) == []


def test_plain_http_to_a_remote_host_is_warned_before_anything_is_sent(clean_sim, tmp_path):
    # [::ffff:127.0.0.1] is not a loopback name, so the URL counts as remote, yet it reaches the simulator:
    # the request log shows what was sent.
    remote_looking = clean_sim.api_url.replace("127.0.0.1", "[::ffff:127.0.0.1]")
    playbook = (
        "- name: Plain HTTP\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - name: Remote plain HTTP, bad id\n"
        f"      vpsorg.cloud.vps_server_info: {{api_url: '{remote_looking}', id: -1}}\n"
        "      ignore_errors: true\n"
        "    - name: Remote plain HTTP\n"
        f"      vpsorg.cloud.vps_server_info: {{api_url: '{remote_looking}'}}\n"
    )
    result = run_playbook(tmp_path, playbook, sim=clean_sim)
    refused = result.task("Remote plain HTTP, bad id")
    assert refused["status"] == "failed"
    assert any("uses plain HTTP to a remote host" in w for w in refused["result"].get("warnings", [])), refused
    sent = result.task("Remote plain HTTP")
    assert sent["status"] == "ok", result.output
    assert any("uses plain HTTP to a remote host" in w for w in sent["result"].get("warnings", [])), sent
    # Only the second task reached the API: the warning of the first came with nothing sent.
    assert [(e["method"], e["path"]) for e in clean_sim.requests()] == [("GET", "/api/v1/servers/")]


@pytest.fixture
def self_signed_https(tmp_path):
    """A TLS endpoint on loopback with a self-signed certificate (nothing behind it)."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _address = listener.accept()
            except OSError:
                continue
            with contextlib.suppress(OSError, ssl.SSLError), context.wrap_socket(conn, server_side=True):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}/api/v1"
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_bad_certificate_is_refused_with_validate_certs(sim, tmp_path, self_signed_https):
    playbook = (
        "- name: TLS\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - name: Self-signed\n"
        f"      vpsorg.cloud.vps_server_info: {{api_url: '{self_signed_https}', api_retries: 0}}\n"
    )
    result = run_playbook(tmp_path, playbook, sim=sim)
    assert result.rc != 0
    msg = result.task("Self-signed")["result"]["msg"]
    assert f"cannot reach the VPS.org API at {self_signed_https}: TLS certificate verification failed" in msg
    assert "validate_certs: false" in msg
