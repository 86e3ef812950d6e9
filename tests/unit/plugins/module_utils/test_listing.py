"""The concurrent listing against a fake DRF server whose account can change between page requests."""

from __future__ import annotations

import json
import math
import random
import re
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from ansible_collections.vpsorg.cloud.plugins.module_utils import listing, pages
from ansible_collections.vpsorg.cloud.plugins.module_utils.client import VpsClient
from ansible_collections.vpsorg.cloud.plugins.module_utils.completeness import IncompleteListingError
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import NotTheApiError, VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.pacing import PauseGate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

API = "https://api.test/api/v1"
TOKEN = "tok-SECRET-0123456789"
SERVERS = API + "/servers/"
LIST = re.compile(re.escape(SERVERS) + r"(\?.*)?$")


def server(server_id):
    return {"id": server_id, "name": f"web-{server_id}", "status": "active"}


class FakeAccount:
    """A DRF page-number list over `ids`; `change(served)` runs after each served page (under a lock).

    `cap` is the server's largest page size; `delay` keeps each request in flight for a while, so
    concurrent reads overlap; `answer(number, body)` may replace a page's answer.
    """

    def __init__(self, ids, cap=100, delay=0.0, change=None, answer=None):
        self.ids = list(ids)
        self.cap = cap
        self.delay = delay
        self.change = change
        self.answer = answer
        self.served = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.threads = set()
        self.lock = threading.Lock()

    def __call__(self, request):
        query = {key: values[0] for key, values in parse_qs(urlsplit(request.url).query).items()}
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.threads.add(threading.get_ident())
        time.sleep(self.delay)
        with self.lock:
            self.in_flight -= 1
            size = min(int(query.get("page_size", 20)), self.cap)
            number = int(query.get("page", 1))
            count = len(self.ids)
            last = max(1, math.ceil(count / size))
            if number > last:
                status, body = 404, {"detail": "Invalid page."}
            else:
                following = None
                if number < last:
                    following = f"{SERVERS}?page={number + 1}&page_size={query.get('page_size', 20)}"
                chunk = self.ids[(number - 1) * size : number * size]
                status, body = 200, {"count": count, "next": following, "results": [server(i) for i in chunk]}
                if self.answer:
                    body = self.answer(number, body)
            self.served += 1
            if self.change:
                self.change(self)
        return status, {"Content-Type": "application/json"}, json.dumps(body)


def make_client(**kwargs):
    kwargs.setdefault("sleep", lambda seconds: None)
    return VpsClient(API, TOKEN, retries=2, rng=random.Random(3), **kwargs)


def listed(api, account, page_size=10, partial_ok=False, **kwargs):
    api.add_callback(responses.GET, LIST, callback=account)
    client = make_client(**kwargs)
    return client, [s["id"] for s in client.list_servers(page_size=page_size, partial_ok=partial_ok)]


# -- order and concurrency ---------------------------------------------------------------------


def test_pages_are_read_concurrently_and_assembled_in_order(api):
    account = FakeAccount(range(1, 1001), delay=0.01)
    client, ids = listed(api, account, page_concurrency=8)
    assert ids == list(range(1, 1001))
    assert client.request_count == account.served == 100
    assert 2 <= account.most_in_flight <= 8
    assert len(account.threads) > 1


def test_page_concurrency_one_reads_one_page_after_another(api):
    account = FakeAccount(range(1, 201), delay=0.002)
    client, ids = listed(api, account, page_concurrency=1)
    assert ids == list(range(1, 201))
    assert account.most_in_flight == 1 and client.request_count == 20


def test_a_capped_page_size_is_followed(api):
    account = FakeAccount(range(1, 96), cap=7)
    _client, ids = listed(api, account, page_size=100)
    assert ids == list(range(1, 96))
    assert account.served == math.ceil(95 / 7)


def test_a_single_page_is_one_request(api):
    account = FakeAccount(range(1, 6))
    client, ids = listed(api, account)
    assert ids == [1, 2, 3, 4, 5] and client.request_count == 1


class RecordingGate(PauseGate):
    def __init__(self):
        super().__init__(clock=lambda: 0.0, sleep=lambda seconds: None)
        self.holds, self.waiters = [], set()

    def hold(self, seconds):
        self.holds.append((threading.get_ident(), seconds))
        super().hold(seconds)

    def wait(self):
        self.waiters.add(threading.get_ident())
        super().wait()


def test_a_429_on_a_worker_pauses_the_gate_every_worker_waits_on(api):
    throttled = []

    def answer(number, body):
        if number == 5 and not throttled:
            throttled.append(number)
            return None
        return body

    account = FakeAccount(range(1, 201), delay=0.005, answer=answer)

    def callback(request):
        status, headers, body = account(request)
        if body == "null":
            return 429, {"Retry-After": "7", "Content-Type": "application/json"}, '{"detail": "slow down"}'
        return status, headers, body

    api.add_callback(responses.GET, LIST, callback=callback)
    gate = RecordingGate()
    client = make_client(gate=gate, page_concurrency=4)
    assert [s["id"] for s in client.list_servers(page_size=10)] == list(range(1, 201))
    # The worker that met the 429 held the listing client's own gate, which every worker consults.
    assert [seconds for _thread, seconds in gate.holds] == [7]
    assert gate.holds[0][0] != threading.get_ident()
    assert len(gate.waiters) >= 3
    assert gate._until == 7


def test_a_failing_page_fails_the_listing_and_stops_sending(api):
    def answer(number, body):
        return {"detail": "Invalid filter."} if number == 3 else body

    account = FakeAccount(range(1, 1001), delay=0.01)
    account.answer = answer

    def callback(request):
        status, headers, body = account(request)
        return (400 if '"Invalid filter."' in body else status), headers, body

    api.add_callback(responses.GET, LIST, callback=callback)
    client = make_client(page_concurrency=2)
    with pytest.raises(VpsApiError) as failure:
        client.list_servers(page_size=10)
    assert failure.value.status == 400 and "page=3" in failure.value.path
    assert account.served < 100


def test_a_page_that_repeats_itself_is_caught_after_two_requests(api):
    # One page at a time, so nothing is in flight beside page 2: the count is exact. (Read
    # concurrently, pages 3.. may already be sent when page 2 answers: test_listing_links bounds that.)
    api.get(SERVERS, json={"count": 500, "next": SERVERS + "?page=2", "results": [server(1)]})
    client = make_client(page_concurrency=1)
    with pytest.raises(NotTheApiError, match="pagination does not end"):
        client.list_servers()
    assert client.request_count == 2


def test_too_many_pages_is_refused_before_reading_them(api):
    api.get(SERVERS, json={"count": listing.MAX_PAGES + 1, "next": SERVERS + "?page=2", "results": [server(1)]})
    client = make_client()
    with pytest.raises(NotTheApiError, match="does not end"):
        client.list_servers()
    assert client.request_count == 1


# -- the account changing between pages --------------------------------------------------------


def once_after(served, mutate):
    def change(account):
        if account.served == served:
            mutate(account.ids)

    return change


def test_a_server_deleted_after_page_one_is_not_skipped(api):
    # Deleting id 3 shifts id 11 onto page 1, already read: without a re-read it would be missing.
    account = FakeAccount(range(1, 51), change=once_after(1, lambda ids: ids.remove(3)))
    client, ids = listed(api, account)
    assert ids == [i for i in range(1, 51) if i != 3]
    assert client.request_count == 5 + 5


def test_an_id_seen_twice_is_read_again_even_when_the_count_holds(api):
    # One server added in front and one removed at the end: the count is the same, the pages shift
    # right, so the last server of page 1 is also the first of page 2.
    def mutate(ids):
        ids.insert(0, 1000)
        ids.pop()

    account = FakeAccount(range(1, 51), change=once_after(1, mutate))
    _client, ids = listed(api, account)
    assert ids == [1000, *range(1, 50)]
    assert len(set(ids)) == len(ids)


def test_a_server_created_mid_listing_changes_the_count_and_is_included(api):
    account = FakeAccount(range(1, 51), change=once_after(2, lambda ids: ids.append(51)))
    client, ids = listed(api, account)
    assert ids == list(range(1, 52))
    assert client.request_count == 5 + 6


def test_a_short_page_is_read_again(api):
    shortened = []

    def answer(number, body):
        if number == 3 and not shortened:
            shortened.append(number)
            return dict(body, results=body["results"][:-1])
        return body

    account = FakeAccount(range(1, 51), answer=answer)
    client, ids = listed(api, account)
    assert ids == list(range(1, 51))
    assert client.request_count == 10


def test_a_page_gone_because_the_list_shrank_is_read_again(api):
    account = FakeAccount(range(1, 51), change=once_after(1, lambda ids: ids.__delitem__(slice(40, 50))))
    _client, ids = listed(api, account)
    assert ids == list(range(1, 41))


def test_an_account_that_keeps_changing_returns_every_server_seen_once_and_warns(api):
    counter = iter(range(100000, 200000))

    def change(account):
        account.ids.insert(0, next(counter))

    warnings = []
    account = FakeAccount(range(1, 51), change=change)
    _client, ids = listed(api, account, partial_ok=True, warn=warnings.append, page_concurrency=1)
    assert len(ids) == len(set(ids))
    assert set(range(1, 51)) <= set(ids)
    # Each read numbers its pages from its own first page: 50, 55 and 61 servers by then.
    assert listing.MAX_READS == 3 and account.served == 5 + 6 + 7
    assert warnings and "kept changing" in warnings[0] and TOKEN not in warnings[0]
    assert warnings[0].startswith(f"api_url {API}: ")


def test_a_list_that_keeps_changing_is_refused_to_a_caller_that_decides_on_it(api):
    counter = iter(range(100000, 200000))
    account = FakeAccount(range(1, 51), change=lambda account: account.ids.insert(0, next(counter)))
    with pytest.raises(IncompleteListingError) as err:
        listed(api, account, page_concurrency=1)
    assert str(err.value).startswith(f"api_url {API}: the server list kept changing while it was read (")
    assert str(err.value).endswith("nothing is created, changed or deleted on a list that may miss servers")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    total=st.integers(1, 60),
    size=st.integers(1, 12),
    when=st.integers(1, 8),
    kind=st.sampled_from(["delete", "insert", "append"]),
    where=st.floats(0, 1),
    concurrency=st.sampled_from([1, 3, 8]),
)
def test_one_change_at_any_moment_gives_the_list_before_or_after_it(total, size, when, kind, where, concurrency):
    before = list(range(1, total + 1))
    after = list(before)
    position = min(int(where * total), total - 1)
    if kind == "delete":
        del after[position]
    elif kind == "insert":
        after.insert(position, 10**6)
    else:
        after.append(10**6)

    def change(account):
        if account.served == when:
            account.ids[:] = after

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _client, ids = listed(mock, FakeAccount(before, change=change), page_size=size, page_concurrency=concurrency)
    assert ids in (before, after)


# -- the page arithmetic -----------------------------------------------------------------------


def relative(link):
    return link.replace(API, "")


def test_plan_numbers_pages_from_the_next_link_and_keeps_filters():
    first = {"count": 25, "next": SERVERS + "?page=2&page_size=10&status=active", "results": [server(1)] * 10}
    layout = pages.plan(first, "/servers/", {"status": "active", "page_size": 10}, relative)
    assert (layout.count, layout.size, layout.pages) == (25, 10, 3)
    assert pages.page_path(layout, 3) == "/servers/?page_size=10&status=active&page=3"


@pytest.mark.parametrize(
    "first",
    [
        {"count": 5, "next": None, "results": [server(1)]},
        {"count": None, "next": SERVERS + "?page=2", "results": [server(1)]},
        {"count": 9, "next": SERVERS + "?cursor=abc", "results": [server(1)]},
        {"count": 9, "next": SERVERS + "?page=7", "results": [server(1)]},
        {"count": 9, "next": SERVERS + "?page=2", "results": []},
        {"count": 1, "next": SERVERS + "?page=2", "results": [server(1)]},
    ],
)
def test_plan_leaves_lists_it_cannot_number_to_link_following(first):
    assert pages.plan(first, "/servers/", {}, relative) is None


def test_plan_keeps_blank_filters_of_the_next_link():
    first = {"count": 25, "next": SERVERS + "?page=2&page_size=10&name=", "results": [server(1)] * 10}
    layout = pages.plan(first, "/servers/", {}, relative)
    assert pages.page_path(layout, 3) == "/servers/?page_size=10&name=&page=3"


@pytest.mark.parametrize(
    ("link", "number"),
    [
        (SERVERS + "?page=3&page_size=10", 3),
        (SERVERS + "?page_size=10", None),
        (SERVERS + "?page=last", None),
        (API + "/other/?page=3", None),
    ],
)
def test_linked_page_names_a_page_of_the_same_list_only(link, number):
    layout = pages.Layout(30, 10, 3, "/servers/", [("page_size", "10")])
    assert pages.linked_page(layout, link, relative) == number


def numbered_pages(*ids_per_page, count=None, last_next=None):
    total = sum(len(ids) for ids in ids_per_page) if count is None else count
    read = {
        n: {"count": total, "next": None, "results": [server(i) for i in ids]} for n, ids in enumerate(ids_per_page, 1)
    }
    read[len(ids_per_page)]["next"] = last_next
    return read


@pytest.mark.parametrize(
    ("read", "why"),
    [
        (numbered_pages([1, 2], [3, 4], [5]), None),
        (numbered_pages([1, 2], [3, 4], [4]), "server id 4 is on pages 2 and 3"),
        (
            numbered_pages([1, 2], [3, 4], [5], last_next=SERVERS + "?page=4"),
            "page 3 should be the last but links to another",
        ),
        (numbered_pages([1, 2], [3], [5], count=5), "page 2 holds 1 servers instead of 2"),
        ({**numbered_pages([1, 2], [3, 4], [5]), 2: pages.Gone(404)}, "page 2 of 3 answered HTTP 404"),
        ({**numbered_pages([1, 2], [3, 4], [5]), 3: pages.Gone(410)}, "page 3 of 3 answered HTTP 410"),
    ],
)
def test_mismatch_says_why_pages_do_not_fit_together(read, why):
    layout = pages.Layout(5, 2, 3, "/servers/", [])
    assert pages.mismatch(layout, read) == why


def test_union_keeps_every_server_once_newest_read_first_and_skips_gone_pages():
    older = numbered_pages([1, 2], [3, 4])
    newer = {**numbered_pages([9, 1], [2, 3]), 2: pages.Gone(410)}
    assert [s["id"] for s in pages.union([older, newer])] == [9, 1, 2, 3, 4]
