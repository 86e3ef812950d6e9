"""Waiting for a status or for deletion, over scripted reads and a clock that moves only when slept."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.waiting import ServerWaiter


class Scripted(ServerWaiter):
    """A server whose successive reads give the scripted statuses (None: gone); the last one repeats."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.now = 0.0
        self.sleeps = []
        self.logged = []
        self.reads = 0
        self.ids = []

    def _clock(self):
        return self.now

    def _sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def log(self, message):
        self.logged.append(message)

    def _status(self):
        self.reads += 1
        # A wait that never ends fails here instead of hanging the test run.
        assert self.reads <= 100, "still polling after 100 reads"
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def get_server(self, server_id):
        self.ids.append(server_id)
        return {"id": server_id, "status": self._status()}

    def get_server_or_none(self, server_id):
        self.ids.append(server_id)
        status = self._status()
        return None if status is None else {"id": server_id, "status": status}


def test_polls_until_the_target_and_logs_each_change():
    waiter = Scripted(["provisioning", "provisioning", "active"])
    assert waiter.wait_for_status(1, ["active"], 60)["status"] == "active"
    assert waiter.reads == 3 and len(waiter.logged) == 2 and waiter.sleeps == sorted(waiter.sleeps)


def test_timeout_names_the_last_status_and_never_oversleeps():
    waiter = Scripted(["provisioning"])
    with pytest.raises(VpsApiError, match=r"timed out after 10 s .* last status: provisioning") as err:
        waiter.wait_for_status(1, ["active"], 10)
    assert err.value.reason == "wait_timeout" and waiter.now == pytest.approx(10)


def test_settling_elsewhere_fails_at_once():
    waiter = Scripted(["stopping", "suspended"])
    with pytest.raises(VpsApiError, match="settled as suspended") as err:
        waiter.wait_for_status(1, ["stopped"], 600)
    assert err.value.reason == "unexpected_status" and waiter.reads == 2


def test_settled_means_any_settled_status():
    assert Scripted(["rebooting", "active"]).wait_until_settled(1, 60)["status"] == "active"


def test_gone():
    waiter = Scripted(["active", None])
    waiter.wait_until_gone(1, 60)
    assert waiter.reads == 2


def test_not_gone_in_time():
    with pytest.raises(VpsApiError, match="to be deleted") as err:
        Scripted(["active"]).wait_until_gone(1, 5)
    assert err.value.reason == "wait_timeout"


# The poll intervals are 0.25, 0.375, 0.5625, ... s: with a 1.5 s timeout the reads fall at 0, 0.25,
# 0.625 and 1.1875 s, and the last pause is cut to end at the deadline, where one more read is made.
DEADLINE_SLEEPS = [0.25, 0.375, 0.5625, 0.3125]


def test_each_status_is_logged_with_the_time_since_the_wait_began():
    waiter = Scripted(["", "provisioning", "provisioning", "active"])
    waiter.now = 1000.0
    assert waiter.wait_for_status(7, ["active"], 60, label="web")["id"] == 7
    assert waiter.logged == ["web is  after 0.0 s", "web is provisioning after 0.2 s", "web is active after 1.2 s"]
    assert waiter.ids == [7] * 4


def test_a_status_wait_reads_once_more_at_the_deadline():
    waiter = Scripted(["provisioning"] * 4 + ["active"])
    assert waiter.wait_for_status(1, ["active"], 1.5)["status"] == "active"
    assert waiter.sleeps == DEADLINE_SLEEPS and waiter.reads == 5


def test_a_status_wait_times_out_at_the_deadline_not_before():
    waiter = Scripted(["provisioning"])
    with pytest.raises(VpsApiError) as err:
        waiter.wait_for_status(1, ["active", "stopped"], 1.5)
    assert str(err.value) == (
        "timed out after 1.5 s waiting for server 1 to become active or stopped; last status: provisioning"
    )
    assert waiter.sleeps == DEADLINE_SLEEPS and waiter.reads == 5


def test_waiting_until_settled_reads_the_server_asked_for_under_its_label():
    waiter = Scripted(["rebooting", "stopped"])
    assert waiter.wait_until_settled(7, 60, label="web")["id"] == 7
    assert waiter.ids == [7, 7] and waiter.logged[0] == "web is rebooting after 0.0 s"


@pytest.mark.parametrize(("label", "named"), [(None, "server 7"), ("web", "web")])
def test_a_deletion_wait_times_out_at_the_deadline_naming_the_server(label, named):
    waiter = Scripted(["active"])
    with pytest.raises(VpsApiError) as err:
        waiter.wait_until_gone(7, 1.5, label=label)
    assert str(err.value) == f"timed out after 1.5 s waiting for {named} to be deleted"
    assert waiter.sleeps == DEADLINE_SLEEPS and waiter.ids == [7] * 5


def test_a_server_gone_at_the_deadline_is_gone():
    waiter = Scripted(["active"] * 4 + [None])
    waiter.wait_until_gone(7, 1.5)
    assert waiter.sleeps == DEADLINE_SLEEPS


# -- many servers, one listing per poll --------------------------------------------------------


class Fleet(ServerWaiter):
    """Successive listings ({id: status}); the last one repeats."""

    listed_pages = 1

    def __init__(self, listings):
        self.listings = list(listings)
        self.now = 0.0
        self.sleeps = []
        self.listed = 0

    def _clock(self):
        return self.now

    def _sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def list_servers(self, filters=None, page_size=None):
        self.listed += 1
        assert self.listed <= 100, "still polling after 100 listings"
        statuses = self.listings.pop(0) if len(self.listings) > 1 else self.listings[0]
        return [{"id": server_id, "status": status} for server_id, status in statuses.items()]


def outcome(waiter, targets, timeout=60, interval=None):
    reached, failed = waiter.wait_for_fleet(targets, timeout, interval)
    return reached, {server_id: (str(error), error.reason) for server_id, error in failed.items()}


def test_a_fleet_wait_tells_each_server_its_outcome():
    waiter = Fleet(
        [
            {1: "provisioning", 2: "active", 3: "starting", 4: "active", 5: "active"},
            {1: "active", 3: "suspended", 4: "active"},
        ]
    )
    targets = {
        1: (frozenset({"active"}), "web-1"),
        2: (None, "web-2"),
        3: (frozenset({"active", "stopped"}), "web-3"),
        4: (None, "web-4"),
        5: (frozenset({"active"}), "web-5"),
    }
    reached, failed = outcome(waiter, targets, timeout=1.5)
    assert reached == {1: {"id": 1, "status": "active"}, 2: None, 5: {"id": 5, "status": "active"}}
    assert failed == {
        3: ("web-3 settled as suspended while waiting for active or stopped", "unexpected_status"),
        4: ("web-4: still active after 1.5 s (timed out waiting for it to be deleted)", "wait_timeout"),
    }
    assert waiter.sleeps == DEADLINE_SLEEPS and waiter.listed == 5


def test_a_server_that_disappears_while_waiting_for_a_status_fails_alone():
    waiter = Fleet([{1: "provisioning", 2: "provisioning"}, {2: "active"}])
    reached, failed = outcome(waiter, {1: ({"active"}, "web-1"), 2: ({"active"}, "web-2")})
    assert reached == {2: {"id": 2, "status": "active"}}
    assert failed == {1: ("web-1 disappeared while waiting for active", "failed")}


def test_a_fleet_wait_that_times_out_names_each_status_and_goal():
    waiter = Fleet([{1: "provisioning", 2: "active", 3: "stopping"}])
    targets = {1: ({"active"}, "web-1"), 2: ({"active"}, "web-2"), 3: ({"stopped", "active"}, "web-3")}
    reached, failed = outcome(waiter, targets, timeout=1.5)
    assert reached == {2: {"id": 2, "status": "active"}}
    assert failed == {
        1: ("web-1: still provisioning after 1.5 s (timed out waiting for it to become active)", "wait_timeout"),
        3: ("web-3: still stopping after 1.5 s (timed out waiting for it to become active or stopped)", "wait_timeout"),
    }
    assert waiter.sleeps == DEADLINE_SLEEPS and waiter.listed == 5


def test_a_fleet_wait_polls_at_the_interval_asked_for():
    waiter = Fleet([{1: "provisioning"}] * 3 + [{1: "active"}])
    reached, failed = outcome(waiter, {1: ({"active"}, "web-1")}, interval=5)
    assert reached == {1: {"id": 1, "status": "active"}} and failed == {}
    assert waiter.sleeps == [5, 5, 5]


# -- each poll reads what costs the fewest requests ---------------------------------------------


class LargeAccount(ServerWaiter):
    """`others` servers that never change plus scripted ones; records each listing's filter and each read.

    Pages hold 100 servers; the scripted servers move on after `settle_after` polls.
    """

    def __init__(self, others, scripted, settle_after=3):
        self.others = {100000 + n: {"id": 100000 + n, "name": f"other-{n}", "status": "active"} for n in range(others)}
        self.scripted = {
            server_id: {
                "id": server_id,
                "name": f"web-{server_id}",
                "status": first,
                "plan": {"id": 1, "name": "Standard VPS", "bandwidth": 2048},
                "ipv6_address": "2001:db8::1",
            }
            for server_id, (first, _then) in scripted.items()
        }
        self.then = {server_id: then for server_id, (_first, then) in scripted.items()}
        self.settle_after = settle_after
        self.polls = 0
        self.now = 0.0
        self.calls = []
        self.listed_pages = None

    def _clock(self):
        return self.now

    def _sleep(self, seconds):
        self.now += seconds
        self.polls += 1
        if self.polls == self.settle_after:
            for server_id, then in self.then.items():
                if then is None:
                    del self.scripted[server_id]
                else:
                    self.scripted[server_id]["status"] = then

    def log(self, message):
        pass

    def list_servers(self, filters=None, page_size=None):
        status = (filters or {}).get("status")
        servers = [s for s in [*self.others.values(), *self.scripted.values()] if status in (None, s["status"])]
        self.listed_pages = max(1, -(-len(servers) // 100))
        self.calls += [("LIST", status)] * self.listed_pages
        return [self.summary(s) for s in servers]

    @staticmethod
    def summary(server):
        """As a listing shows it: no detail-only field, and a plan without bandwidth."""
        return {
            k: ({"id": 1, "name": "Standard VPS"} if k == "plan" else v)
            for k, v in server.items()
            if k != "ipv6_address"
        }

    def get_server_or_none(self, server_id):
        self.calls.append(("GET", server_id))
        server = self.scripted.get(server_id) or self.others.get(server_id)
        return dict(server) if server else None

    # Set to False for an API whose last page does not show the newest servers.
    newest_last = True

    def newest_servers(self, wanted):
        self.calls.append(("NEWEST", None))
        ordered = sorted(map(self.summary, [*self.others.values(), *self.scripted.values()]), key=lambda s: s["id"])
        last = ordered[(max(1, -(-len(ordered) // 100)) - 1) * 100 :] if self.newest_last else []
        return {s["id"]: s for s in last if s["id"] in set(wanted)}, 1


def test_a_fleet_in_a_large_account_lists_only_the_status_it_waits_in_and_reads_each_server_once_at_the_end():
    account = LargeAccount(2000, dict.fromkeys((1, 2, 3, 4, 5), ("provisioning", "active")))
    targets = {server_id: (frozenset({"active"}), f"web-{server_id}") for server_id in range(1, 6)}
    known = dict.fromkeys(range(1, 6), "provisioning")
    reached, failed = account.wait_for_fleet(targets, 60, known=known, account_pages=20)
    assert failed == {} and sorted(reached) == [1, 2, 3, 4, 5]
    # One filtered page per poll, then each server alone once: never the 20 pages of the account.
    assert account.calls == [("LIST", "provisioning")] * 4 + [("GET", n) for n in range(1, 6)]
    # Read alone, a server is still reported as the listing shows it (no detail-only field).
    assert reached[1] == {"id": 1, "name": "web-1", "status": "active", "plan": {"id": 1, "name": "Standard VPS"}}


def test_the_same_fleet_in_a_small_account_lists_it_whole_each_poll():
    account = LargeAccount(10, dict.fromkeys((1, 2, 3, 4, 5), ("provisioning", "active")))
    targets = {server_id: (frozenset({"active"}), f"web-{server_id}") for server_id in range(1, 6)}
    reached, failed = account.wait_for_fleet(targets, 60, known=dict.fromkeys(range(1, 6), "provisioning"))
    assert failed == {} and reached[3] == {
        "id": 3,
        "name": "web-3",
        "status": "active",
        "plan": {"id": 1, "name": "Standard VPS"},
    }
    assert account.calls == [("LIST", None)] * 4


def test_servers_being_deleted_are_read_alone_until_gone_and_time_out_with_their_last_status():
    account = LargeAccount(500, {1: ("active", None), 2: ("active", "active")}, settle_after=2)
    targets = {1: (None, "web-1"), 2: (None, "web-2")}
    reached, failed = account.wait_for_fleet(targets, 1.5, known={1: "active", 2: "active"}, account_pages=5)
    assert reached == {1: None}
    assert str(failed[2]) == "web-2: still active after 1.5 s (timed out waiting for it to be deleted)"
    assert ("LIST", None) not in account.calls and account.calls[:4] == [("GET", 1), ("GET", 2)] * 2


def test_a_server_that_left_its_status_and_settled_elsewhere_fails_alone():
    account = LargeAccount(300, {1: ("stopping", "suspended"), 2: ("stopping", "stopped"), 3: ("stopping", "stopped")})
    targets = {n: (frozenset({"stopped"}), f"web-{n}") for n in (1, 2, 3)}
    reached, failed = account.wait_for_fleet(targets, 60, known=dict.fromkeys((1, 2, 3), "stopping"), account_pages=3)
    assert sorted(reached) == [2, 3] and str(failed[1]) == "web-1 settled as suspended while waiting for stopped"
    assert set(account.calls) == {("LIST", "stopping"), ("GET", 1), ("GET", 2), ("GET", 3)}


def test_reads_alone_go_through_the_executor_when_one_is_given():
    account = LargeAccount(2000, dict.fromkeys((1, 2, 3), ("provisioning", "active")), settle_after=1)

    class Recorder:
        keys = []

        def run(self, jobs):
            jobs = list(jobs)
            self.keys.append([key for key, _job in jobs])
            return {key: (job(account), None) for key, job in jobs}

    targets = {n: (frozenset({"active"}), f"web-{n}") for n in (1, 2, 3)}
    reached, _failed = account.wait_for_fleet(
        targets, 60, known=dict.fromkeys((1, 2, 3), "provisioning"), account_pages=20, executor=Recorder()
    )
    assert sorted(reached) == [1, 2, 3] and Recorder.keys == [[1, 2, 3]]


def test_a_failed_read_alone_fails_the_wait_with_the_api_error():
    account = LargeAccount(2000, {1: ("provisioning", "active")})

    def broken(server_id):
        raise VpsApiError("HTTP 500", status=500)

    account.get_server_or_none = broken
    with pytest.raises(VpsApiError, match="HTTP 500"):
        account.wait_for_fleet({1: ({"active"}, "web-1")}, 60, known={1: "provisioning"}, account_pages=20)


NEW = range(200001, 200006)


def test_servers_this_run_created_are_watched_on_the_last_page_and_never_read_alone():
    account = LargeAccount(2000, dict.fromkeys(NEW, ("provisioning", "active")))
    targets = {n: (frozenset({"active"}), f"web-{n}") for n in NEW}
    reached, failed = account.wait_for_fleet(
        targets, 60, known=dict.fromkeys(NEW, "provisioning"), account_pages=20, newest_id=101999
    )
    assert failed == {} and sorted(reached) == list(NEW)
    assert account.calls == [("NEWEST", None)] * 4
    assert reached[200003] == {
        "id": 200003,
        "name": "web-200003",
        "status": "active",
        "plan": {"id": 1, "name": "Standard VPS"},
    }


def test_when_the_last_page_does_not_show_them_the_wait_reads_them_and_stops_looking_there():
    account = LargeAccount(2000, dict.fromkeys(NEW, ("provisioning", "active")))
    account.newest_last = False
    targets = {n: (frozenset({"active"}), f"web-{n}") for n in NEW}
    reached, failed = account.wait_for_fleet(
        targets, 60, known=dict.fromkeys(NEW, "provisioning"), account_pages=20, newest_id=101999
    )
    # The same outcome; one poll paid for the wrong reading, then the status listing as before.
    assert failed == {} and sorted(reached) == list(NEW) and reached[200001]["status"] == "active"
    assert account.calls[:6] == [("NEWEST", None)] + [("GET", n) for n in NEW]
    assert ("NEWEST", None) not in account.calls[6:] and ("LIST", "provisioning") in account.calls[6:]
