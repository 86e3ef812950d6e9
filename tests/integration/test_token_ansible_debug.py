"""The one exception to "the token never appears at any verbosity": ANSIBLE_DEBUG=1.

ansible-core's debug output prints each task's module arguments whatever no_log says, so a token
given as a module argument (or through vps_api_token, module_defaults, an extra var) is printed
there. A token read from VPS_API_TOKEN on the managed host is never a module argument and stays
out of the arguments even then; from 2.22 on, the module's raw answer (which ANSIBLE_DEBUG also
prints) names it among the secrets the controller is to mask from then on, and nowhere else.
README.md says this next to its promise; this test keeps that sentence true.
"""

from __future__ import annotations

import json

import pytest
from compat import NEW_SECRETS_KEY, SECRET_TRACKING
from harness import leaked_secrets, play, run_playbook


def lines_with(result, secret):
    return [line for line in (result.stdout + result.stderr).splitlines() if secret in line]


def only_named_as_new_secret(line, secret):
    """The line is a module's raw JSON answer that has the token in its new-secrets list alone."""
    answer = json.loads(line[line.index("{") :])
    named = answer.pop(NEW_SECRETS_KEY, [])
    return secret in named and secret not in json.dumps(answer)


TASK = "    - name: List\n      vpsorg.cloud.vps_server_info:{}\n"


@pytest.mark.prints_token_on_purpose
def test_ansible_debug_prints_a_token_given_as_an_argument_and_never_one_from_the_environment(clean_sim, tmp_path):
    debug = {"ANSIBLE_DEBUG": "1"}
    from_environment = run_playbook(tmp_path / "env", play(TASK.format("")), sim=clean_sim, env=debug, verbosity=4)
    assert from_environment.rc == 0, from_environment.output[-3000:]
    if SECRET_TRACKING:
        printed_env = lines_with(from_environment, clean_sim.token)
        assert printed_env and all(only_named_as_new_secret(line, clean_sim.token) for line in printed_env)
    else:
        assert leaked_secrets(from_environment, {clean_sim.token}) == []

    as_argument = TASK.format(f"\n        api_token: {clean_sim.token}")
    without_token_env = dict(debug, VPS_API_TOKEN=None)
    printed = run_playbook(tmp_path / "arg", play(as_argument), sim=clean_sim, env=without_token_env, verbosity=4)
    assert printed.rc == 0, printed.output[-3000:]
    # The caveat is real: were it not, README.md would warn about nothing.
    assert leaked_secrets(printed, {clean_sim.token}) == [clean_sim.token]
