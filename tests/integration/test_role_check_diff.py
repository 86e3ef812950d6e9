"""The fleet role's --check --diff shows each changed server's fields, whichever way the token is given.

docs/fleet.md recommends the token in vps_api_token (from a vault). The module masks it as an
option either way, so the role never hides its results for it: both runs here are at -vvvv, show
the diff and are scanned for the token (explicitly here, and by conftest.py after the test).
"""

from __future__ import annotations

import pytest
from harness import create_server, last_seq, leaked_secrets, mutating_requests, run_playbook, secrets_of

# The role alone (check mode creates nothing for a second play to visit).
PLAYBOOK = """
- name: Fleet, checked
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Converge the fleet
      ansible.builtin.import_role:
        name: vpsorg.cloud.servers
"""
DEFAULTS = {"plan_id": 1, "os_id": 5, "location": "us-west"}


@pytest.mark.parametrize("token_in", ["vps_api_token", "VPS_API_TOKEN"])
def test_check_diff_shows_the_fields_before_and_after_and_never_the_token(clean_sim, tmp_path, token_in):
    create_server(clean_sim, "web-01", hostname="old.example.com")
    since = last_seq(clean_sim)
    wanted = {
        "vps_servers": [{"name": "web-01", "hostname": "new.example.com"}, {"name": "web-02"}],
        "vps_servers_defaults": DEFAULTS,
    }
    env = {}
    if token_in == "vps_api_token":
        wanted.update(vps_api_url=clean_sim.api_url, vps_api_token=clean_sim.token)
        env = {"VPS_API_TOKEN": None}
    result = run_playbook(
        tmp_path, PLAYBOOK, sim=clean_sim, extra_vars=wanted, env=env, args=("--check", "--diff"), verbosity=4
    )
    assert result.rc == 0, result.output
    assert mutating_requests(clean_sim, since) == []
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    # web-01's hostname before and after, and web-02 from absent to planned.
    assert "--- before: web-01" in lines and "+++ after: web-01" in lines, result.stdout
    assert '- "hostname": "old.example.com",' in lines and '+ "hostname": "new.example.com",' in lines
    assert '- "state": "absent"' in lines and '+ "name": "web-02",' in lines
    assert leaked_secrets(result, secrets_of(clean_sim, {})) == []
