"""No module creates, changes or deletes anything after a server list that came back short, and each says
what happened.

The simulator ends the list short in every way it knows (sim.short_list): numbered pages that answer 404 or
410 from page k on while `count` holds, pages that are empty from page k on, page k repeating page k - 1, and
`next` links that leave out api_url's path prefix (a reverse proxy that does not rewrite them). The server
asked for sits on a page never read, on one that was read, or does not exist: without the listing rule a
missing one is created (a duplicate when it sits on an unread page), and an entry to delete is left alone.
"""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.modules.vps_fleet import VpsFleet
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server import VpsServer
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server_info import VpsServerInfo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from module_runner import BODY, https_url, sent
from vps_sim.in_process import InProcessSimulator

# The API serves pages of at most SIZE servers whatever page_size asks for (a cap the client follows).
SIZE = 10

NOT_THE_APIS = "those pages are not the API's pages"
STEADY = "the server list's pages do not fit together although the list did not change"


@pytest.fixture
def sim(clock):
    with InProcessSimulator(clock=clock, page_size_max=SIZE) as simulator:
        yield simulator


def said(kind, k, n, last):
    """What the failure must say: {k}: the first page that goes wrong, of {n}; last: servers on the last page."""
    if kind in ("gone-404", "gone-410"):
        return [STEADY, f"page {k} of {n} answered HTTP {kind[-3:]}", NOT_THE_APIS]
    if kind == "prefix":
        return [STEADY, f"page 2 of {n} answered HTTP 404", NOT_THE_APIS]
    if kind == "empty":
        return [STEADY, f"page {k} holds 0 servers instead of {last if k == n else SIZE}"]
    if k == n and last < SIZE:
        return [STEADY, f"page {k} holds {SIZE} servers instead of {last}"]
    return [STEADY, f"is on pages {k - 1} and {k}"]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["gone-404", "gone-410", "empty", "repeat", "prefix"]),
    pages=st.integers(2, 4),
    last=st.integers(1, SIZE),
    k=st.integers(2, 4),
    target=st.integers(1, 4 * SIZE + 2),
    module=st.sampled_from(["vps_server", "vps_fleet", "vps_server_info"]),
    absent=st.booleans(),
)
def test_no_module_acts_on_a_short_listing_and_each_says_what_happened(
    run, sim, kind, pages, last, k, target, module, absent
):
    sim.reset()
    sim.seed(SIZE * (pages - 1) + last, name_prefix="web")
    k = min(k, pages)
    url = https_url(sim)
    if kind == "prefix":
        sim.short_list(kind="prefix", prefix="/edge")
        url = url.replace("/api/v1", "/edge/api/v1")
    elif kind == "repeat":
        sim.short_list(kind="repeat", page=k)
    elif kind == "empty":
        sim.short_list(kind="empty", from_page=k)
    else:
        sim.short_list(kind="gone", status=int(kind[-3:]), from_page=k)
    wanted = {"name": f"web-{target}", **({"state": "absent"} if absent else BODY)}
    if module == "vps_server":
        done = run(VpsServer, api_url=url, **wanted)
    elif module == "vps_fleet":
        done = run(VpsFleet, api_url=url, servers=[wanted, dict(BODY, name="web-new")])
    else:
        done = run(VpsServerInfo, api_url=url)
    assert sent(sim) == [] and done.failed and not done.result.get("changed")
    assert done.result["failure"]["reason"] == "incomplete_listing"
    message = done.result["msg"]
    assert message.startswith(f"api_url {url}: "), message
    for words in said(kind, k, pages, last):
        assert words in message, message
    end = "nothing is created, changed or deleted on a list that may miss servers"
    assert message.endswith(
        end + (" (allow_partial: true returns the servers read)" if module == "vps_server_info" else "")
    )
