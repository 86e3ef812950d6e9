"""The listing reads with fewer clients once the API answers 429: it settles at what the API accepts."""

from __future__ import annotations

import contextlib
import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from ansible_collections.vpsorg.cloud.plugins.module_utils import listing
from ansible_collections.vpsorg.cloud.plugins.module_utils.client import VpsClient
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import VpsApiError
from test_listing import API, LIST, TOKEN, FakeAccount


def refusal(status):
    return status, {"Retry-After": "0", "Content-Type": "application/json"}, json.dumps({"detail": "not now"})


class Limited:
    """FakeAccount behind a limit: the first request for each page in `refused` is answered `status`."""

    def __init__(self, account, refused, status):
        self.account = account
        self.refused = set(refused)
        self.status = status
        self.in_flight_later = []

    def __call__(self, request):
        number = int(parse_qs(urlsplit(request.url).query).get("page", ["1"])[0])
        with self.account.lock:
            if number in self.refused:
                self.refused.discard(number)
                return refusal(self.status)
            if number > 30:
                # in_flight counts this request too once the account has it.
                self.in_flight_later.append(self.account.in_flight + 1)
        return self.account(request)


def limited_listing(api, refused, concurrency, total=400, delay=0.01, retries=2, status=429):
    account = FakeAccount(range(1, total + 1), delay=delay)
    limited = Limited(account, refused, status)
    api.add_callback(responses.GET, LIST, callback=limited)
    logged = []
    client = VpsClient(
        API, TOKEN, retries=retries, sleep=lambda seconds: None, page_concurrency=concurrency, log=logged.append
    )
    return client, limited, logged


def test_each_reader_answered_429_leaves_the_listing_and_every_server_is_still_read(api):
    client, limited, logged = limited_listing(api, refused=range(3, 9), concurrency=8)
    assert [s["id"] for s in client.list_servers(page_size=10)] == list(range(1, 401))
    # Six readers were told to slow down: six left, one at a time, in order.
    slow = [line for line in logged if "HTTP 429" in line and "pages at a time" in line]
    assert slow == [
        f"the API answered HTTP 429 (too many requests): reading {active} pages at a time from now on"
        for active in (7, 6, 5, 4, 3, 2)
    ]
    # Once they left, no more than the two remaining readers had pages in flight.
    assert limited.in_flight_later and max(limited.in_flight_later) <= 2
    assert client.request_count == 40 + 6
    # The client's next listing (the event source's next poll) starts at what the API accepted.
    assert client.page_concurrency == 2


def test_the_last_reader_never_leaves(api):
    client, _limited, logged = limited_listing(api, refused=range(3, 41), concurrency=4, delay=0.0)
    listed = []
    # Were the last reader to leave, the listing would wait for a reader for ever.
    reading = threading.Thread(
        target=lambda: listed.extend(s["id"] for s in client.list_servers(page_size=10)), daemon=True
    )
    reading.start()
    reading.join(10)
    assert not reading.is_alive() and listed == list(range(1, 401))
    slow = [line for line in logged if "pages at a time" in line]
    assert [line.split("reading ")[1] for line in slow] == [f"{n} pages at a time from now on" for n in (3, 2, 1)]
    assert client.request_count == 40 + 38


def test_a_server_error_is_retried_without_fewer_readers(api):
    client, _limited, logged = limited_listing(api, refused=range(3, 9), concurrency=8, status=503)
    assert [s["id"] for s in client.list_servers(page_size=10)] == list(range(1, 401))
    assert not [line for line in logged if "pages at a time" in line]
    assert client.request_count == 40 + 6


def test_a_429_that_uses_up_the_retries_still_fails_the_listing(api):
    client, _limited, _logged = limited_listing(api, refused=[5], concurrency=4, retries=0)
    with pytest.raises(VpsApiError) as failure:
        client.list_servers(page_size=10)
    assert failure.value.status == 429 and failure.value.path.endswith("page=5")


def test_the_lowered_count_holds_for_the_next_read_of_the_same_listing():
    class Sibling:
        page_concurrency = 4
        throttled = 0

        def __init__(self):
            self.logged = []

        def worker(self):
            return Sibling()

        def log(self, message):
            self.logged.append(message)

    owner = Sibling()
    readers = listing.page_readers(owner)
    assert readers.start(jobs_left=10) == 4 and len(readers.clients) == 4
    with readers.take() as client:
        client.throttled += 1
    with readers.take() as client:
        pass  # no 429: it stays
    assert owner.logged == ["the API answered HTTP 429 (too many requests): reading 3 pages at a time from now on"]
    assert readers.start(jobs_left=10) == 3
    assert readers.start(jobs_left=2) == 2
    # No new clients are made for a smaller read.
    assert len(readers.clients) == 4
    # Down to one reader: the next read has one reader, whatever is left to read.
    for _step in range(2):
        readers.start(jobs_left=10)
        with readers.take() as client:
            client.throttled += 1
    assert readers.start(jobs_left=10) == 1
    assert owner.logged[-1].endswith("reading 1 pages at a time from now on")


def test_a_reader_whose_page_failed_goes_back_for_the_next_page():
    class Sibling:
        page_concurrency = 2
        throttled = 0

        def worker(self):
            return Sibling()

        def log(self, message):
            raise AssertionError(message)

    readers = listing.page_readers(Sibling())
    assert readers.start(jobs_left=5) == 2
    with pytest.raises(RuntimeError), readers.take():
        raise RuntimeError("page failed")
    # Both readers are free again: holding one, the other is handed out at once.
    taken = []
    with contextlib.ExitStack() as stack:
        taken.append(stack.enter_context(readers.take()))
        other = threading.Thread(target=lambda: taken.append(stack.enter_context(readers.take())))
        other.start()
        other.join(5)
        assert not other.is_alive()
    assert len({id(client) for client in taken}) == 2


def test_the_client_counts_the_429_answers_it_got_and_nothing_else(api):
    answers = [refusal(429), refusal(503), refusal(429), (200, {"Content-Type": "application/json"}, "{}")]
    api.add_callback(responses.GET, API + "/servers/1/", callback=lambda request: answers.pop(0))
    client = VpsClient(API, TOKEN, retries=3, sleep=lambda seconds: None)
    assert client.throttled == 0
    assert client.request("GET", "/servers/1/") == {}
    assert client.throttled == 2 and client.request_count == 4
