"""A server list that comes back short: no module creates anything after it, every message says what happened.

The simulator makes the list end short in each way it can (short_lists.py): an API served below a
path prefix whose `next` links leave the prefix out (every page after the first answers 404), pages
that answer 404 or 410 while `count` holds, an empty page before `count`, a page that repeats the
one before. The account holds 250 servers (three pages of 100): `seed-250` sits on page 3. One
playbook asks vps_server and vps_fleet for `seed-250` (a create, were the list believed) and lists
with vps_server_info, which fails the same way by default (a later task would act on part of the
account) and, with allow_partial: true, returns the servers read with a warning.
"""

from __future__ import annotations

import pytest
from fault_rows import duplicates
from harness import mutating_requests, play, run_inventory, run_playbook

SERVERS = 250
NEW = "plan_id: 1\n        os_id: 5\n        location: us-west"
TASKS = f"""    - name: Server
      vpsorg.cloud.vps_server:
        name: seed-{SERVERS}
        {NEW}
      ignore_errors: true
    - name: Fleet
      vpsorg.cloud.vps_fleet:
        servers:
          - name: seed-{SERVERS}
          - name: brand-new
        defaults:
          {NEW.replace(chr(10) + "        ", chr(10) + "          ")}
      ignore_errors: true
    - name: Report
      vpsorg.cloud.vps_server_info:
      ignore_errors: true
    - name: Report partial
      vpsorg.cloud.vps_server_info:
        allow_partial: true
"""
STEADY = "the server list's pages do not fit together although the list did not change"
NOT_THE_APIS = "those pages are not the API's pages"
# scenario -> (the simulator's short list, the words every message must hold)
WAYS = {
    "prefix-next-links-leave-it-out": (
        {"kind": "prefix", "prefix": "/edge"},
        [STEADY, "page 2 of 3 answered HTTP 404 in each of 3 reads", "counted 250 servers", NOT_THE_APIS],
    ),
    "pages-gone-404": (
        {"kind": "gone", "status": 404, "from_page": 3},
        [STEADY, "page 3 of 3 answered HTTP 404 in each of 3 reads", NOT_THE_APIS],
    ),
    "pages-gone-410": (
        {"kind": "gone", "status": 410, "from_page": 2},
        [STEADY, "page 2 of 3 answered HTTP 410 in each of 3 reads", NOT_THE_APIS],
    ),
    "empty-page-before-count": (
        {"kind": "empty", "from_page": 3},
        [STEADY, "page 3 holds 0 servers instead of 50"],
    ),
    "repeated-page": ({"kind": "repeat", "page": 2}, [STEADY, "is on pages 1 and 2 in each of 3 reads"]),
}
REFUSED = "nothing is created, changed or deleted on a list that may miss servers"


def api_url(sim, way):
    return sim.api_url.replace("/api/v1", "/edge/api/v1") if way["kind"] == "prefix" else sim.api_url


@pytest.mark.parametrize("scenario", sorted(WAYS))
def test_no_module_creates_anything_after_a_short_list(clean_sim, tmp_path, scenario, fault_row):
    way, said = WAYS[scenario]
    clean_sim.seed(SERVERS)
    clean_sim.short_list(**way)
    url = api_url(clean_sim, way)
    result = run_playbook(tmp_path, play(TASKS), sim=clean_sim, env={"VPS_API_URL": url}, verbosity=1)
    # The answers that went wrong: for the prefix, the 404s of the links that leave it (the simulator
    # counts every request it served below the prefix); otherwise the pages it changed.
    fired = clean_sim.short_list()["fired"]
    if way["kind"] == "prefix":
        fired = sum(1 for entry in clean_sim.requests() if entry["status"] == 404)
    fault_row.record(f"short list: {scenario}", clean_sim, [result], expected_failures=3, error_faults=fired)
    assert duplicates(clean_sim) == 0 and len(clean_sim.servers()) == SERVERS
    assert mutating_requests(clean_sim) == []
    for name in ("Server", "Fleet", "Report"):
        task = result.task(name)
        message = task["result"]["msg"]
        assert task["status"] == "failed" and message.startswith(f"api_url {url}: "), message
        assert all(words in message for words in said) and REFUSED in message, message
        assert task["result"]["failure"]["reason"] == "incomplete_listing"
    report = result.task("Report partial")
    assert report["status"] == "ok", result.output
    assert 0 < len(report["result"]["servers"]) < SERVERS
    warnings = " ".join(report["result"].get("warnings", []))
    assert f"api_url {url}: " in " ".join(warnings.split()) and "which are not all of them" in warnings


def test_the_inventory_fails_on_a_short_list_and_lists_what_it_read_only_when_allowed(clean_sim, tmp_path):
    clean_sim.seed(SERVERS)
    way = {"kind": "prefix", "prefix": "/edge"}
    clean_sim.short_list(**way)
    url = api_url(clean_sim, way)
    env = {"VPS_API_URL": url, "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1"}
    refused = run_inventory(tmp_path / "default", "plugin: vpsorg.cloud.vps\n", sim=clean_sim, env=env, verbosity=0)
    # As automation controller runs it: an unparsed source fails the update, so no host is deleted.
    assert refused.rc != 0 and '"vps_id"' not in refused.stdout, refused.output
    flat = " ".join(refused.stderr.split())
    assert f"api_url {url}: {STEADY}" in flat and REFUSED in flat and "allow_partial" in flat, flat
    config = "plugin: vpsorg.cloud.vps\nallow_partial: true\n"
    allowed = run_inventory(tmp_path / "allowed", config, sim=clean_sim, env=env, verbosity=0)
    assert allowed.rc == 0, allowed.output
    assert allowed.stdout.count('"vps_id"') == 100
    flat = " ".join(allowed.stderr.split())
    assert f"api_url {url}: {STEADY}" in flat and NOT_THE_APIS in flat
