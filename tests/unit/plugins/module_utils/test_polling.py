"""The per-poll choice of a fleet wait: detail reads, filtered listings or the whole listing."""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract, polling
from ansible_collections.vpsorg.cloud.plugins.module_utils.polling import WHOLE, PollCosts, choose
from hypothesis import given
from hypothesis import strategies as st

STATUSES = [*sorted(contract.TRANSITIONAL_STATUSES | contract.SETTLED_STATUSES), None]


def costs(whole, **pages):
    known = PollCosts(whole)
    for status, count in pages.items():
        known.record(status, count)
    return known


def test_a_small_account_is_listed_whole_as_before():
    # Five new servers in an account of one page: one request per poll, nothing read alone.
    plan = choose(dict.fromkeys(range(5), "provisioning"), costs(1))
    assert plan == polling.Plan(True, (), (), (), 1)


def test_a_large_account_lists_the_status_instead_of_the_account():
    plan = choose(dict.fromkeys(range(5), "provisioning"), costs(20))
    assert plan == polling.Plan(False, ("provisioning",), (), (), 1)


def test_one_server_is_read_alone_even_when_its_status_lists_on_one_page():
    # A filtered listing would cost the same page and then a read once the server moves on.
    assert choose({7: "provisioning"}, costs(20)) == polling.Plan(False, (), (7,), (), 1)


def test_a_status_many_other_servers_are_in_is_read_server_by_server():
    plan = choose(dict.fromkeys(range(3), "provisioning"), costs(100, provisioning=4))
    assert plan == polling.Plan(False, (), (0, 1, 2), (), 3)


def test_servers_being_deleted_or_of_unknown_status_are_read_alone():
    plan = choose({1: "active", 2: None, 3: "stopping", 4: "stopping"}, costs(50))
    assert plan == polling.Plan(False, ("stopping",), (1, 2), (), 3)


def test_the_whole_listing_wins_when_the_fleet_is_most_of_the_account():
    pending = dict.fromkeys(range(30), "active")
    assert choose(pending, costs(3)) == polling.Plan(True, (), (), (), 3)
    assert choose(pending, costs(31)).details == tuple(range(30))


def test_a_listing_not_read_yet_is_guessed_at_one_page_and_the_account_at_what_was_seen():
    known = PollCosts()
    assert known.estimate(WHOLE) == 1 and known.estimate("rebooting") == 1
    known.record("rebooting", 0)
    known.record(WHOLE, 12)
    assert known.estimate("rebooting") == 1 and known.estimate(WHOLE) == 12


def test_servers_created_since_the_callers_listing_are_looked_for_on_the_newest_pages():
    # Five new servers in an account of 100 pages: one page a poll, whatever their status.
    known = PollCosts(100, newest_id=10000)
    pending = {10001: "provisioning", 10002: "provisioning", 10003: "active", 10004: None, 10005: "provisioning"}
    assert choose(pending, known) == polling.Plan(False, (), (), tuple(range(10001, 10006)), 1)
    # Older servers of the same wait are planned as before, next to them.
    pending.update({7: "stopping", 8: "stopping", 9: "active"})
    assert choose(pending, known) == polling.Plan(False, ("stopping",), (9,), tuple(range(10001, 10006)), 3)


def test_the_newest_pages_are_not_chosen_when_they_cost_as_much_as_reading_alone():
    known = PollCosts(100, newest_id=10000)
    # One new server: its read costs the same request and needs no reading of the API.
    assert choose({10001: "provisioning"}, known) == polling.Plan(False, (), (10001,), (), 1)
    # They cost three pages and misses the last time: two new servers are read alone instead.
    known.record(polling.NEWEST, 3)
    assert choose({10001: "provisioning", 10002: "provisioning"}, known).newest == ()
    # The newest id itself was in the caller's listing: it is not new.
    assert choose(dict.fromkeys(range(10000, 10002), "provisioning"), PollCosts(100, newest_id=10000)).newest == ()
    # Without the caller's newest id nothing is looked for there; a small account lists it whole.
    assert choose(dict.fromkeys(range(10001, 10006), "provisioning"), PollCosts(100)).newest == ()
    assert choose(dict.fromkeys(range(10001, 10006), "provisioning"), PollCosts(1, newest_id=10000)).whole


@given(
    pending=st.dictionaries(st.integers(1, 50), st.sampled_from(STATUSES), min_size=1, max_size=40),
    whole=st.integers(1, 200),
    pages=st.dictionaries(st.sampled_from(sorted(contract.TRANSITIONAL_STATUSES)), st.integers(1, 60)),
    newest_id=st.none() | st.integers(0, 50),
    newest_cost=st.none() | st.integers(1, 60),
)
def test_every_server_is_covered_once_and_no_choice_costs_less(pending, whole, pages, newest_id, newest_cost):
    known = costs(whole, **pages)
    known.newest_id = newest_id
    if newest_cost is not None:
        known.record(polling.NEWEST, newest_cost)
    plan = choose(pending, known)
    new = [i for i in pending if newest_id is not None and i > newest_id]
    # The newest pages cover the new servers only, all of them, and only when cheaper than reading them.
    assert plan.newest in ((), tuple(sorted(new)))
    assert not plan.newest or known.estimate(polling.NEWEST) < len(new)
    if plan.whole:
        assert not plan.statuses and not plan.details and not plan.newest and plan.cost == whole
    else:
        covered = [i for i in pending if pending[i] in plan.statuses and i not in plan.newest]
        assert sorted(covered + list(plan.details) + list(plan.newest)) == sorted(pending)
        looked = known.estimate(polling.NEWEST) if plan.newest else 0
        assert plan.cost == looked + len(plan.details) + sum(known.estimate(s) for s in plan.statuses) < whole
    # No other split of the other servers between listings and reads alone is cheaper.
    by_status = {}
    for server_id, status in pending.items():
        if server_id not in plan.newest:
            by_status[status] = by_status.get(status, 0) + 1
    best = sum(
        min(count, known.estimate(status)) if status in contract.TRANSITIONAL_STATUSES else count
        for status, count in by_status.items()
    )
    looked = known.estimate(polling.NEWEST) if plan.newest else 0
    assert plan.cost <= min(best + looked, whole)


# -- the request budget of a source that polls on and on ----------------------------------------


@given(
    interval=st.floats(0.1, 120),
    per_minute=st.floats(1, 600),
    costs_=st.lists(st.integers(1, 200), min_size=1, max_size=50),
)
def test_polls_started_at_the_budget_interval_never_send_more_than_the_budget_on_average(interval, per_minute, costs_):
    started, sent = 0.0, 0
    for cost in costs_:
        sent += cost
        pause = polling.budget_interval(interval, cost, per_minute)
        assert pause >= interval
        started += pause
        # Every request sent so far is paid for by the time the next poll may start.
        assert sent <= per_minute * started / 60 * (1 + 1e-9)


def test_the_budget_stretches_only_what_it_must():
    assert polling.budget_interval(10, 25, 60) == 25
    assert polling.budget_interval(10, 5, 60) == 10
    assert polling.budget_interval(10, 100, 0) == polling.budget_interval(10, 100, None) == 10


def test_429_doubles_the_pause_up_to_a_cap_and_quiet_polls_halve_it_back():
    factor, seen = 1, []
    for throttled in [True] * 6 + [False] * 6:
        factor = polling.throttle_factor(factor, throttled)
        seen.append(factor)
    assert seen == [2, 4, 8, 16, 16, 16, 8, 4, 2, 1, 1, 1]
