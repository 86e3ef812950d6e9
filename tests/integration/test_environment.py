"""The user's environment: a self-signed HTTPS API, CA-bundle variables and proxy variables.

The simulator serves HTTPS with a certificate from a test CA made here (trustme). Decisions
these tests hold (documented in the api doc fragment):

- validate_certs: false connects whatever REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE say;
- validate_certs: true refuses an unknown CA with a clear message, and honours those two
  variables as the CA bundle to trust (the way to trust a private CA without code);
- HTTPS_PROXY / HTTP_PROXY are honoured, and NO_PROXY bypasses them.

Module cases run as tasks of one playbook, each with its own `environment:`.
"""

from __future__ import annotations

import json

import pytest
import trustme
from harness import Result, play, run_inventory, run_playbook
from test_hostile_inputs import list_to
from vps_sim.testing import Simulator

# Variables of the developer's shell that would change what these runs mean.
UNSET = dict.fromkeys(
    (
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "SSL_CERT_FILE",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    )
)
DEAD_PROXY = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A simulator behind HTTPS with a test CA, plus the CA file and an unrelated CA file."""
    root = tmp_path_factory.mktemp("tls")
    ca, other = trustme.CA(), trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = root / "cert.pem", root / "key.pem"
    for index, blob in enumerate(cert.cert_chain_pems):
        blob.write_to_path(str(certfile), append=index > 0)
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    other.cert_pem.write_to_path(str(root / "other-ca.pem"))
    extra = ["--ssl-certfile", str(certfile), "--ssl-keyfile", str(keyfile)]
    with Simulator(provision_delay=0.2, transition_delay=0.1, extra_args=extra) as sim:
        # The control plane trusts the test CA whatever the shell exports (REQUESTS_CA_BUNDLE would win).
        sim._session.trust_env = False
        sim._session.verify = str(root / "ca.pem")
        assert sim.api_url.startswith("https://127.0.0.1:")
        yield sim, str(root / "ca.pem"), str(root / "other-ca.pem")


def module_cases(ca, other):
    """(task, validate_certs, environment, expected: 'ok' or words of the failure)."""
    refused = "TLS certificate verification failed"
    return [
        ("verify on, no CA variable", True, {}, refused),
        ("verify off, REQUESTS_CA_BUNDLE names another CA", False, {"REQUESTS_CA_BUNDLE": other}, "ok"),
        ("verify off, CURL_CA_BUNDLE names another CA", False, {"CURL_CA_BUNDLE": other}, "ok"),
        ("verify on, REQUESTS_CA_BUNDLE names the CA", True, {"REQUESTS_CA_BUNDLE": ca}, "ok"),
        ("verify on, CURL_CA_BUNDLE names the CA", True, {"CURL_CA_BUNDLE": ca}, "ok"),
        ("verify on, REQUESTS_CA_BUNDLE names another CA", True, {"REQUESTS_CA_BUNDLE": other}, refused),
        ("verify off, HTTPS_PROXY unreachable", False, {"HTTPS_PROXY": DEAD_PROXY}, "cannot reach the VPS.org API"),
        (
            "verify off, HTTPS_PROXY bypassed by NO_PROXY",
            False,
            {"HTTPS_PROXY": DEAD_PROXY, "NO_PROXY": "127.0.0.1"},
            "ok",
        ),
    ]


def test_modules_with_a_self_signed_api_and_environment_variables(tls, tmp_path, fault_row):
    sim, ca, other = tls
    sim.reset()
    cases = module_cases(ca, other)
    tasks = "".join(
        f"    - name: {name}\n"
        f"      vpsorg.cloud.vps_server_info: {{validate_certs: {str(verify).lower()}, api_retries: 0}}\n"
        f"      environment: {json.dumps(environment)}\n"
        "      ignore_errors: true\n"
        for name, verify, environment, _expected in cases
    )
    # A change over TLS with validate_certs: false while a CA variable names another CA.
    tasks += (
        "    - name: create with verify off and REQUESTS_CA_BUNDLE set\n"
        "      vpsorg.cloud.vps_server: {name: tls-1, plan_id: 1, os_id: 5, location: us-west, validate_certs: false}\n"
        f"      environment: {json.dumps({'REQUESTS_CA_BUNDLE': other})}\n"
    )
    result = run_playbook(tmp_path, play(tasks), sim=sim, env=UNSET)
    fault_row.add(
        "E1 self-signed HTTPS with CA-bundle and proxy variables set and unset: modules",
        sim,
        [result],
        len(cases) + 1,
        0,
        expected_failures=sum(1 for case in cases if case[3] != "ok"),
    )
    assert result.rc == 0, result.output
    problems = []
    for name, _verify, _environment, expected in cases:
        outcome = result.task(name)
        msg = outcome["result"].get("msg", "")
        if expected == "ok" and outcome["status"] == "failed":
            problems.append(f"{name}: failed: {msg}")
        elif expected != "ok" and (outcome["status"] != "failed" or expected not in msg or sim.api_url not in msg):
            problems.append(f"{name}: {outcome['status']}: {msg}")
    assert not problems, "\n".join(problems)
    assert [server["name"] for server in sim.servers()] == ["tls-1"]
    assert result.task("create with verify off and REQUESTS_CA_BUNDLE set")["result"]["server"]["status"] == "active"


@pytest.mark.parametrize(
    ("case", "verify", "variable", "expected"),
    [
        ("verify off, REQUESTS_CA_BUNDLE names another CA", "false", "other", "hosts"),
        ("verify on, no CA variable", "true", None, "TLS certificate verification failed"),
        ("verify on, REQUESTS_CA_BUNDLE names the CA", "true", "ca", "hosts"),
    ],
)
def test_inventory_with_a_self_signed_api(tls, tmp_path, case, verify, variable, expected, fault_row):
    sim, ca, other = tls
    sim.reset()
    sim.seed(2)
    env = dict(UNSET, ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
    if variable:
        env["REQUESTS_CA_BUNDLE"] = {"ca": ca, "other": other}[variable]
    listing = tmp_path / "inventory.json"
    config = f"plugin: vpsorg.cloud.vps\nvalidate_certs: {verify}\n"
    result = run_inventory(tmp_path, config, sim=sim, env=env, args=list_to(listing))
    fault_row.add(
        f"E2 self-signed HTTPS, inventory: {case}",
        sim,
        [Result(result.rc, result.stdout, result.stderr, [{"status": "failed"}] if result.rc else [])],
        1,
        0,
        expected_failures=0 if expected == "hosts" else 1,
    )
    if expected == "hosts":
        assert result.rc == 0, result.output
        assert len(json.loads(listing.read_text())["_meta"]["hostvars"]) == 2
    else:
        assert result.rc != 0
        text = " ".join(result.stderr.split())
        assert expected in text and sim.api_url in text, result.stderr
