"""waiting.py on the simulator's lifecycle and the one fake clock: every wait ends by the task's deadline with the
words the modules show, and each poll of a fleet wait reads what costs the fewest requests (choose)."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import contract, waiting
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.waiting import NEWEST, WHOLE, Plan, PollCosts, choose
from hypothesis import given
from hypothesis import strategies as st

ACTIVE = frozenset({"active"})
# Polls at 0, 0.25, 0.625 and 1.1875 s: with a 1.5 s deadline the last pause is cut to end at it, and read once more.
DEADLINE_SLEEPS = [0.25, 0.375, 0.5625, 0.3125]


def test_polls_start_fast_and_slow_down_to_the_cap():
    intervals = list(itertools.islice(waiting.poll_intervals(), 12))
    assert intervals[:3] == [0.25, 0.375, 0.5625] and intervals[-1] == waiting.POLL_CAP == max(intervals)
    assert intervals == sorted(intervals) and intervals.count(waiting.POLL_CAP) == 4


# -- one server --------------------------------------------------------------------------------------


def test_a_status_wait_polls_until_the_target_and_logs_each_status_with_the_time(sim, make_client, clock):
    sim.seed(1, status="provisioning")
    logged = []
    server = make_client(log=logged.append).wait_for_status(10001, ACTIVE, label="web")
    assert server["id"] == 10001 and server["status"] == "active"
    assert clock.sleeps == [0.25, 0.375, 0.5625, 0.84375, 1.265625]  # provisioned after 3 s
    assert logged == ["web is provisioning after 0.0 s", "web is active after 3.3 s"]


def test_a_status_the_api_spells_empty_is_logged_too(foreign):
    # The real API always names a status; another at api_url may answer "".
    for status in ("", "active"):
        foreign.mock.get(foreign.url + "/servers/1/", json={"id": 1, "name": "web", "status": status})
    logged = []
    foreign.make(log=logged.append).wait_for_status(1, ACTIVE, label="web")
    assert logged == ["web is  after 0.0 s", "web is active after 0.2 s"]


def test_a_status_wait_reads_once_more_at_the_deadline(sim, make_client, clock):
    sim.set_timings(provision_delay=1.5)
    sim.seed(1, status="provisioning")
    assert make_client(bound=1.5).wait_for_status(10001, ACTIVE)["status"] == "active"
    assert clock.sleeps == DEADLINE_SLEEPS and len(sim.requests()) == 5


@pytest.mark.parametrize(("label", "named"), [(None, "server 10001"), ("web", "web")])
def test_a_status_wait_times_out_at_the_deadline_naming_the_last_status(sim, make_client, clock, label, named):
    sim.seed(1, status="provisioning")
    with pytest.raises(VpsApiError) as err:
        make_client(bound=1.5).wait_for_status(10001, {"active", "stopped"}, label)
    assert str(err.value) == (
        f"timed out after 1.5 s waiting for {named} to become active or stopped; last status: provisioning"
    )
    assert err.value.reason == "wait_timeout" and clock.sleeps == DEADLINE_SLEEPS and len(sim.requests()) == 5


def test_a_server_that_settles_elsewhere_fails_the_wait_at_once(sim, client):
    sim.seed(1, status="stopping")
    sim.suspend(10001)
    with pytest.raises(VpsApiError) as err:
        client.wait_for_status(10001, {"stopped"})
    assert (str(err.value), err.value.reason) == (
        "server 10001 settled as suspended while waiting for stopped",
        "unexpected_status",
    )
    assert client.request_count == 1


def test_a_deletion_wait_ends_when_the_server_is_gone(sim, client, person, on_answer):
    sim.seed(1)
    on_answer(client, "GET", "/servers/10001/", lambda: person("DELETE", "/servers/10001/"), nth=2)
    client.wait_until_gone(10001)
    assert client.request_count == 3


@pytest.mark.parametrize(("label", "named"), [(None, "server 10001"), ("web", "web")])
def test_a_deletion_wait_times_out_at_the_deadline_naming_the_server(sim, make_client, clock, label, named):
    sim.seed(1)
    with pytest.raises(VpsApiError) as err:
        make_client(bound=1.5).wait_until_gone(10001, label)
    assert (str(err.value), err.value.reason) == (
        f"timed out after 1.5 s waiting for {named} to be deleted",
        "wait_timeout",
    )
    assert clock.sleeps == DEADLINE_SLEEPS


# -- many servers --------------------------------------------------------------------------------------


def test_a_fleet_wait_tells_each_server_its_outcome_by_the_deadline(sim, make_client, person, on_answer, clock):
    sim.set_timings(provision_delay=1)
    sim.seed(1, status="provisioning", name_prefix="up")  # 10001: active after 1 s
    sim.seed(4, name_prefix="web")  # 10002 .. 10005, active
    sim.seed(1, status="provisioning", name_prefix="new")  # 10006
    sim.suspend(10004)
    client = make_client(bound=1.5)

    def meanwhile():
        person("DELETE", "/servers/10003/")
        person("DELETE", "/servers/10006/")

    on_answer(client, "GET", r"/servers/\?", meanwhile)  # right after the first poll
    targets = {
        10001: (ACTIVE, "up-1"),
        10002: (ACTIVE, "web-1"),
        10003: (None, "web-2"),
        10004: ({"active", "stopped"}, "web-3"),
        10005: (None, "web-4"),
        10006: (ACTIVE, "new-1"),
    }
    reached, failed = client.wait_for_fleet(targets)
    listed = {s["id"]: s for s in client.list_servers()}
    assert reached == {10001: listed[10001], 10002: listed[10002], 10003: None}
    assert {i: (str(e), e.reason) for i, e in failed.items()} == {
        10004: ("web-3 settled as suspended while waiting for active or stopped", "unexpected_status"),
        10005: ("web-4: still active after 1.5 s (timed out waiting for it to be deleted)", "wait_timeout"),
        10006: ("new-1 disappeared while waiting for active", "failed"),
    }
    assert clock.sleeps == DEADLINE_SLEEPS


def test_a_fleet_wait_polls_at_the_interval_asked_for(sim, client, clock):
    sim.seed(1, status="provisioning")
    reached, failed = client.wait_for_fleet({10001: (ACTIVE, "web")}, interval=1.25)
    assert reached[10001]["status"] == "active" and failed == {} and clock.sleeps == [1.25] * 3


def test_a_server_read_alone_is_reported_as_the_list_shows_it_and_a_failed_read_fails_the_wait(sim, make_client):
    sim.seed(300)
    sim.seed(2, status="stopping", name_prefix="web")  # 10301, 10302
    sim.seed(1, status="provisioning", name_prefix="new")  # 10303
    known = {10301: "stopping", 10302: "stopping", 10303: None}  # two in their status's listing, one read alone
    targets = {10301: ({"stopped"}, "web-1"), 10302: ({"stopped"}, "web-2"), 10303: (ACTIVE, "new-1")}
    client = make_client()
    reached, _failed = client.wait_for_fleet(targets, known=known, account_pages=3)
    listed = {s["id"]: s for s in client.list_servers()}
    assert reached == {i: listed[i] for i in known} and "ipv6_address" not in reached[10303]
    assert polls(sim)[0] == ["status=stopping&page_size=100", "/api/v1/servers/10303/"]
    sim.add_fault(kind="status", status=500, path=r"^/api/v1/servers/\d+/$")
    with pytest.raises(VpsApiError, match=r"HTTP 500"):
        make_client(retries=0).wait_for_fleet(targets, known=known, account_pages=3)


@pytest.mark.parametrize(
    ("servers", "known", "account_pages", "first", "then"),
    [
        (1, None, None, 11, 1),  # the account's size unknown: listed whole once, then priced by what that cost
        (248, "provisioning", 11, 3, 2),  # a status listing of three pages is not read again for two servers
    ],
)
def test_each_way_of_reading_is_priced_by_what_it_cost_the_last_time(
    sim, make_client, servers, known, account_pages, first, then
):
    sim.seed(1000)
    sim.seed(servers, status="provisioning", name_prefix="other")
    sim.seed(2, status="provisioning", name_prefix="web")
    new = [10001 + 1000 + servers, 10002 + 1000 + servers]
    targets = dict.fromkeys(new, (ACTIVE, "web"))
    make_client().wait_for_fleet(targets, known=dict.fromkeys(new, known), account_pages=account_pages)
    costs = [len(poll) for poll in polls(sim)]
    assert costs[0] == first and set(costs[1:-1]) == {then}


def polls(sim):
    """The requests of each poll of a wait (a poll's requests go at one moment of the clock)."""
    by_time = defaultdict(list)
    for request in sim.requests():
        by_time[request["time"]].append(request["query"] or request["path"])
    return list(by_time.values())


@pytest.mark.parametrize(
    ("ordering", "prefix", "newest"),
    [("id", "web", True), ("name", "zz", True), ("name", "aa", False), ("-id", "web", False)],
)
def test_a_fleet_wait_in_a_large_account_costs_at_most_one_request_a_poll_more_than_its_cheapest_reading(
    sim, make_client, ordering, prefix, newest
):
    sim.seed(1000, name_prefix="m")
    sim.seed(5, status="provisioning", name_prefix=prefix)  # the run's new servers, 11001 .. 11005
    sim.set_modes(ordering=ordering)
    new = range(11001, 11006)
    targets = {i: (ACTIVE, f"{prefix}-{i}") for i in new}
    reached, failed = make_client().wait_for_fleet(
        targets, known=dict.fromkeys(new, "provisioning"), account_pages=10, newest_id=11000
    )
    assert sorted(reached) == list(new) and failed == {}
    costs = [len(poll) for poll in polls(sim)]
    # The newest page when it shows them (id, or names that sort last); else the provisioning servers listed, and
    # each server read alone once it leaves that status.
    cheapest = [1] * len(costs) if newest else [1] * (len(costs) - 1) + [1 + 5]
    assert (
        all(cost <= least + 1 for cost, least in zip(costs, cheapest, strict=True)) and sum(costs) <= sum(cheapest) + 1
    )
    assert len(costs) == 6 and (sum(costs) == sum(cheapest)) is newest


# -- choose: what each poll reads ----------------------------------------------------------------------

STATUSES = [*sorted(contract.TRANSITIONAL_STATUSES | contract.SETTLED_STATUSES), None]


def known_costs(whole, pages=(), newest_id=None, newest_cost=None):
    costs = PollCosts(whole, newest_id)
    for status, cost in dict(pages).items():
        costs.record(status, cost)
    if newest_cost is not None:
        costs.record(NEWEST, newest_cost)
    return costs


def alternatives(pending, costs):
    """Every plan a poll could follow, as (cost, newest looked at): lists of any statuses, newest pages or not."""
    new = [i for i in pending if costs.newest_id is not None and i > costs.newest_id]
    for newest in [False, True] if new else [False]:
        rest = {i: s for i, s in pending.items() if not (newest and i in new)}
        listable = sorted({s for s in rest.values() if s in contract.TRANSITIONAL_STATUSES})
        for n in range(len(listable) + 1):
            for listed in itertools.combinations(listable, n):
                alone = sum(1 for s in rest.values() if s not in listed)
                cost = alone + sum(costs.estimate(s) for s in listed) + (costs.estimate(NEWEST) if newest else 0)
                yield cost, newest


@given(
    pending=st.dictionaries(st.integers(1, 50), st.sampled_from(STATUSES), min_size=1, max_size=30),
    whole=st.integers(1, 60),
    pages=st.dictionaries(st.sampled_from(sorted(contract.TRANSITIONAL_STATUSES)), st.integers(0, 40)),
    newest_id=st.none() | st.integers(0, 50),
    newest_cost=st.none() | st.integers(0, 40),
)
def test_a_plan_never_costs_more_than_any_other_and_the_whole_listing_wins_ties(
    pending, whole, pages, newest_id, newest_cost
):
    costs = known_costs(whole, pages, newest_id, newest_cost)
    plan = choose(pending, costs)
    others = list(alternatives(pending, costs))
    assert plan.newest in ((), tuple(sorted(i for i in pending if newest_id is not None and i > newest_id)))
    best = min(cost for cost, _newest in others)
    assert plan.cost <= best and plan.cost <= whole
    assert plan.whole is (whole <= best)
    if plan.whole:
        assert plan == Plan(True, (), (), (), whole)
        return
    # The newest pages win a tie: they also show a server that leaves its status.
    assert bool(plan.newest) is any(newest for cost, newest in others if cost == best)
    # Every pending server is read once: on the newest pages, in a listed status, or alone.
    listed = [i for i, s in pending.items() if s in plan.statuses and i not in plan.newest]
    assert sorted([*plan.newest, *listed, *plan.details]) == sorted(pending)
    looked = costs.estimate(NEWEST) if plan.newest else 0
    assert plan.cost == looked + len(plan.details) + sum(costs.estimate(s) for s in plan.statuses)


@pytest.mark.parametrize(
    ("pending", "costs", "plan"),
    [
        (dict.fromkeys(range(5), "provisioning"), known_costs(1), Plan(True, (), (), (), 1)),
        (dict.fromkeys(range(5), "provisioning"), known_costs(20), Plan(False, ("provisioning",), (), (), 1)),
        ({7: "provisioning"}, known_costs(20), Plan(False, (), (7,), (), 1)),
        (
            {1: "active", 2: None, 3: "stopping", 4: "stopping"},
            known_costs(50),
            Plan(False, ("stopping",), (1, 2), (), 3),
        ),
        (
            {101: "provisioning", 102: None, 7: "stopping", 8: "stopping", 9: "active"},
            known_costs(100, newest_id=100),
            Plan(False, ("stopping",), (9,), (101, 102), 3),
        ),
        # The newest id of the caller's listing is not new.
        (
            {100: "provisioning", 101: "provisioning"},
            known_costs(100, newest_id=100),
            Plan(False, ("provisioning",), (), (), 1),
        ),
    ],
    ids=["small account", "status listing", "one alone", "deleting or unknown alone", "newest beside", "not new"],
)
def test_what_a_poll_reads(pending, costs, plan):
    assert choose(pending, costs) == plan


def test_a_reading_not_done_yet_is_guessed_at_one_page_and_the_account_at_what_was_seen():
    costs = PollCosts()
    assert costs.estimate(WHOLE) == costs.estimate("rebooting") == costs.estimate(NEWEST) == 1
    costs.record("rebooting", 0)
    costs.record(WHOLE, 12)
    assert (costs.estimate("rebooting"), costs.estimate(WHOLE), PollCosts(7).estimate(WHOLE)) == (1, 12, 7)
