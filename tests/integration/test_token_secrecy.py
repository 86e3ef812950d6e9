"""The scan every run goes through (harness.assert_no_secrets) can see a leak when there is one.

Each ansible-playbook and ansible-inventory run of the suite happens at -vvvv and its stdout,
stderr and recorded task results are searched for every token it could know; these tests show
that search finds a token that really is printed, and that failing tasks stay clean.
"""

from __future__ import annotations

import pytest
from harness import leaked_secrets, play, run_playbook, secrets_of


def test_scan_detects_a_printed_token(clean_sim, tmp_path):
    tasks = """
    - name: Print the token on purpose
      ansible.builtin.debug:
        msg: "{{ lookup('ansible.builtin.env', 'VPS_API_TOKEN') }}"
"""
    result = run_playbook(tmp_path, play(tasks), sim=clean_sim, allow_secrets=True)
    assert leaked_secrets(result, secrets_of(clean_sim, {})) == [clean_sim.token]


@pytest.mark.parametrize(
    "task",
    [
        "vpsorg.cloud.vps_server: {name: 'bad name', plan_id: 1, os_id: 5, location: us-west}",
        "vpsorg.cloud.vps_server: {name: web, plan_id: 999, os_id: 5, location: us-west}",
        "vpsorg.cloud.vps_server_power: {id: 31337, state: started}",
        "vpsorg.cloud.vps_server_info: {api_url: 'http://127.0.0.1:9/api/v1', api_retries: 0}",
    ],
)
def test_failures_at_vvvv_do_not_show_the_token(clean_sim, tmp_path, task):
    playbook = play(f"    - name: Fail\n      {task}\n")
    token_in_args = play(f"    - name: Fail\n      {task[:-1]}, api_token: {clean_sim.token}}}\n")
    for index, text in enumerate((playbook, token_in_args)):
        result = run_playbook(tmp_path / str(index), text, sim=clean_sim, verbosity=4)
        assert result.rc != 0
        assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in result.stdout or index == 0
