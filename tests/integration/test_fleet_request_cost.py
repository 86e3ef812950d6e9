"""What a vps_fleet run costs in requests follows the servers it touches, not the size of the account.

Real ansible-playbook runs against the simulator, counted in its request log: the same fleet of
five new servers in an empty account and in accounts of 2,000 and 10,000 servers.
"""

from __future__ import annotations

import math

import pytest
from harness import last_seq, play, run_playbook

LIST = "/api/v1/servers/"
PAGE = 100  # the client's page size, which the simulator serves in full
FLEET = """
    - name: Fleet
      vpsorg.cloud.vps_fleet:
        servers: "{{ fleet }}"
        defaults: {plan_id: 1, os_id: 5, location: us-west}
        poll_interval: 0.2
        wait_timeout: 60
      register: out
"""


def fleet_run(sim, tmp_path, names):
    since = last_seq(sim)
    result = run_playbook(tmp_path, play(FLEET), sim=sim, extra_vars={"fleet": [{"name": n} for n in names]})
    assert result.rc == 0, result.output
    sent = [r for r in sim.requests(since=since) if r["path"].startswith("/api/v1/")]
    return result.task("Fleet")["result"], sent


def listings(sent, newest=False):
    """Listing requests without a status filter: the account's newest page (page=last), or any other page."""
    return [
        r
        for r in sent
        if r["method"] == "GET"
        and r["path"] == LIST
        and "status=" not in (r.get("query") or "")
        and ("page=last" in (r.get("query") or "")) == newest
    ]


@pytest.mark.parametrize("others", [2000, 10000])
def test_five_new_servers_cost_one_whole_listing_more_in_a_large_account(clean_sim, tmp_path, others):
    names = [f"cost-{n}" for n in range(1, 6)]
    empty_out, empty = fleet_run(clean_sim, tmp_path / "empty", names)
    clean_sim.reset()
    clean_sim.seed(others)
    large_out, large = fleet_run(clean_sim, tmp_path / "large", names)

    # Optimisations never change results: the same servers, fields and outcomes either way.
    def shown(out):
        return [
            ({k: v for k, v in s.items() if k not in ("id", "ip_address", "created_at", "updated_at")})
            for s in out["servers"]
        ]

    assert shown(large_out) == shown(empty_out) and [s["status"] for s in large_out["servers"]] == ["active"] * 5
    assert [r["done"] for r in large_out["results"]] == [["created"]] * 5
    pages = math.ceil(others / PAGE)
    # The account is listed whole once, to plan; waiting never lists it whole again, and reads no server
    # alone: each poll is the newest page, where the five new servers are.
    assert len(listings(large)) == pages
    assert [r for r in large if r["method"] == "GET" and r["path"] != LIST] == []
    # Each poll costs one request in either account (the whole list of one page, or the newest page), so
    # what is not a poll costs one whole listing more at most: the first listing's 1 page becomes `pages`.
    polls_large = len(listings(large, newest=True))
    polls_empty = len(listings(empty)) - 2  # the listing to plan and the check for concurrent creates
    assert polls_large >= 1 and polls_empty >= 1
    assert len(large) - polls_large <= len(empty) - polls_empty + pages - 1, (len(empty), len(large))


@pytest.mark.parametrize("ordering", ["name", "-id"])
def test_a_list_in_another_order_costs_at_most_one_request_more_than_its_cheapest_reading(
    clean_sim, tmp_path, ordering
):
    # 600 servers (6 pages) whose names sort after the new ones: the newest page never shows them.
    clean_sim.seed(600, name_prefix="m")
    clean_sim.set_modes(ordering=ordering)
    names = [f"k-{n}" for n in range(1, 6)]
    out, sent = fleet_run(clean_sim, tmp_path, names)
    assert [server["status"] for server in out["servers"]] == ["active"] * 5
    newest = listings(sent, newest=True)
    status_pages = [r for r in sent if r["method"] == "GET" and "status=provisioning" in (r.get("query") or "")]
    reads = [r for r in sent if r["method"] == "GET" and r["path"] != LIST]
    # The newest page is asked for once; then each poll lists the provisioning servers (one page), and each
    # server is read once, when it leaves that status. Before, every poll asked the newest page and read
    # every server it did not show (24 reads in such a run).
    assert len(newest) == 1
    assert len(reads) <= 5
    cheapest = 6 + 5 + len(status_pages) + 5  # planning listing, creates, status pages (race check included), reads
    assert len(sent) <= cheapest + 1
