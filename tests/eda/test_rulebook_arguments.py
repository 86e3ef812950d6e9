"""The event source's argument check under the real ansible-rulebook: every problem at once, no stack listing.

A token no HTTP header can carry (an inner space, a non-ASCII character: a paste or a vault
gone wrong) is an argument problem like any other: named in the one message with the others,
before any request, and the token itself is never quoted.
"""

from __future__ import annotations

import pytest
from rulebook import RulebookRun, print_events_rulebook

STARTUP = 120


@pytest.mark.parametrize("token", ["vps-demo token", "vps-demo-tok\u00e9n"], ids=["inner-space", "non-ascii"])
def test_a_bad_token_is_named_with_every_other_bad_argument_before_any_request(tmp_path, clean_sim, token):
    rulebook = print_events_rulebook(
        tmp_path / "bad.yml", "        interval: 0\n        filters:\n          status: actve\n"
    )
    run = RulebookRun(tmp_path, clean_sim, rulebook, env={"VPS_API_TOKEN": token}, verbosity=0)
    rc = run.wait_exit(STARTUP)
    assert rc != 0
    output = run.output
    # ansible-rulebook logs a failed source's message twice (engine, then app); each holds every problem.
    messages = [line for line in output.splitlines() if "vpsorg.cloud.vps_server_events: " in line]
    assert messages, output
    for words in (
        "interval must be a positive number of seconds",
        "filters.status must be one of",
        "api_token contains characters",
    ):
        assert all(words in line for line in messages), output
    assert "Traceback" not in output and 'File "' not in output, output
    assert token not in output
    assert clean_sim.requests() == []
