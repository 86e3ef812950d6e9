"""The server listing's link following, its limits, its wording of foreign answers and its page reads."""

from __future__ import annotations

import json
import random
import re
import threading
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from ansible_collections.vpsorg.cloud.plugins.module_utils import listing
from ansible_collections.vpsorg.cloud.plugins.module_utils.client import VpsClient
from ansible_collections.vpsorg.cloud.plugins.module_utils.completeness import IncompleteListingError
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import NotTheApiError, VpsApiError

API = "https://api.test/api/v1"
TOKEN = "tok-SECRET-0123456789"
LIST = re.compile(re.escape(API) + r"/servers/(\?.*)?$")
# A fake server answers at most this many requests; then 400, so a listing that would never end fails.
REQUEST_LIMIT = 40


def server(server_id):
    return {"id": server_id, "name": f"web-{server_id}", "status": "active"}


def page(ids, next_url=None, count=..., **extra):
    """A page of the list (count: of the whole list, by default these ids; next_url False: no `next` key)."""
    ids = list(ids)
    body = {"count": len(ids) if count is ... else count, "results": [server(i) for i in ids], **extra}
    if next_url is not False:
        body["next"] = next_url
    return body


class Pages:
    """Answers each request path below api_url from `table` (path -> answer, or a list of answers
    given in turn, the last one repeating; an answer is a body or (status, body)); `fallback(path)`
    answers the others, `fallback_delay` seconds late (outside the lock, so the table's answers are
    not held up). Records each path asked for and the thread that asked."""

    def __init__(self, table=None, fallback=None, fallback_delay=0):
        self.table = {key: list(value) if isinstance(value, list) else [value] for key, value in (table or {}).items()}
        self.fallback = fallback or (lambda path: (404, {"detail": "Not found."}))
        self.fallback_delay = fallback_delay
        self.requested = []
        self.threads = []
        self.lock = threading.Lock()

    def __call__(self, request):
        parts = urlsplit(request.url)
        path = parts.path[len("/api/v1") :] + ("?" + parts.query if parts.query else "")
        with self.lock:
            self.requested.append(path)
            self.threads.append(threading.get_ident())
            if len(self.requested) > REQUEST_LIMIT:
                answer = (400, {"detail": "too many requests"})
            elif path in self.table:
                answers = self.table[path]
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
            else:
                answer = self.fallback(path)
        if path not in self.table and self.fallback_delay:
            time.sleep(self.fallback_delay)
        status, body = answer if isinstance(answer, tuple) else (200, answer)
        return status, {"Content-Type": "application/json"}, json.dumps(body)


def make_client(**kwargs):
    logged = []
    client = VpsClient(
        API, TOKEN, retries=2, sleep=lambda seconds: None, rng=random.Random(3), log=logged.append, **kwargs
    )
    return client, logged


def serve(api, pages, **kwargs):
    api.add_callback(responses.GET, LIST, callback=pages)
    return make_client(**kwargs)


# -- where a `next` link points ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "path"),
    [
        (API + "/servers/?cursor=b", "/servers/?cursor=b"),
        ("servers/?cursor=b", "/servers/?cursor=b"),
        ("/api/v1/servers/?cursor=b", "/servers/?cursor=b"),
        (API + "/servers/", "/servers/"),
        ("https://evil.test/api/v1/servers/?page=2", "/servers/?page=2"),
        ("https://evil.test/elsewhere/", "/elsewhere/"),
    ],
)
def test_a_next_link_is_read_as_a_path_below_api_url(link, path):
    client, _logged = make_client()
    assert client._relative(link) == path


# -- lists that cannot be numbered: link by link ------------------------------------------------

FIRST = "/servers/?page_size=100"


def test_cursor_links_are_followed_in_any_spelling_and_a_repeated_server_is_listed_once(api):
    pages = Pages(
        {
            FIRST: page([1, 2], API + "/servers/?cursor=b", count=4),
            "/servers/?cursor=b": page([2, 3], "servers/?cursor=c", count=4),
            "/servers/?cursor=c": page([4], "/api/v1/servers/?cursor=d", count=4),
            "/servers/?cursor=d": page([], None, count=4),
        }
    )
    client, _logged = serve(api, pages)
    assert [s["id"] for s in client.list_servers()] == [1, 2, 3, 4]
    assert pages.requested == [FIRST, "/servers/?cursor=b", "/servers/?cursor=c", "/servers/?cursor=d"]
    assert client.request_count == 4


@pytest.mark.parametrize("last_next", [False, None])
def test_a_list_that_stops_linking_before_its_count_ends_there_with_a_warning(api, last_next):
    # Guessing `page=N` from here would send a request without the caller's filters and page
    # size (a link's query carries them): the listing ends with what the links gave, and says so.
    pages = Pages(
        {
            "/servers/?location=us-west&page_size=100": page([1], API + "/servers/?cursor=b&location=us-west", count=4),
            "/servers/?cursor=b&location=us-west": page([2], last_next, count=4),
        }
    )
    warned = []
    client, logged = serve(api, pages, warn=warned.append)
    assert [s["id"] for s in client.list_servers({"location": "us-west"}, partial_ok=True)] == [1, 2]
    assert pages.requested == ["/servers/?location=us-west&page_size=100", "/servers/?cursor=b&location=us-west"]
    message = (
        f"api_url {API}: the server list stopped linking to a next page after 2 of the 4 servers it counts; "
        "returning the 2 servers read, which are not all of them"
    )
    assert warned == [message]
    assert message in logged
    with pytest.raises(IncompleteListingError) as err:
        client.list_servers({"location": "us-west"})
    assert str(err.value) == (
        f"api_url {API}: the server list stopped linking to a next page after 2 of the 4 servers it counts; "
        "nothing is created, changed or deleted on a list that may miss servers"
    )
    assert err.value.failure()["reason"] == "incomplete_listing"


@pytest.mark.parametrize("count", [None, 2])
def test_a_last_page_without_a_link_ends_the_list_when_the_count_is_reached_or_unknown(api, count):
    pages = Pages(
        {
            FIRST: page([1], API + "/servers/?cursor=b", count=count),
            "/servers/?cursor=b": page([2], False, count=count),
        }
    )
    client, _logged = serve(api, pages)
    assert [s["id"] for s in client.list_servers()] == [1, 2]
    assert pages.requested == [FIRST, "/servers/?cursor=b"]


def test_a_link_back_to_a_page_already_read_ends_in_an_error_naming_it(api):
    pages = Pages(
        {
            FIRST: page([1], API + "/servers/?cursor=b", count=9),
            "/servers/?cursor=b": page([2], "servers/?cursor=b", count=9),
        }
    )
    client, _logged = serve(api, pages)
    with pytest.raises(NotTheApiError) as failure:
        client.list_servers()
    assert str(failure.value) == (
        f"api_url {API}: the server list's pagination does not end (page repeated) "
        "(GET /servers/?cursor=b answered HTTP 200)"
    )
    assert (failure.value.status, failure.value.method, failure.value.path) == (200, "GET", "/servers/?cursor=b")
    assert client.request_count == 2


def test_link_following_stops_after_max_pages(api, monkeypatch):
    monkeypatch.setattr(listing, "MAX_PAGES", 5)

    def endless(path):
        number = int(dict(parse_qsl(urlsplit(path).query)).get("cursor", 0))
        return page([number + 1], f"{API}/servers/?cursor={number + 1}", count=1)

    pages = Pages(fallback=endless)
    client, _logged = serve(api, pages)
    with pytest.raises(NotTheApiError, match=r"pagination does not end \(page repeated\)"):
        client.list_servers()
    assert client.request_count == 1 + 5


# -- foreign answers and limits, worded with what was asked -----------------------------------


@pytest.mark.parametrize(
    ("answer", "message", "status"),
    [
        (
            (404, {"detail": "Not found."}),
            f"api_url {API} has no server list: GET /servers/ answered HTTP 404; check api_url",
            404,
        ),
        (
            {"results": "none"},
            f"api_url {API} does not look like the VPS.org API: a page of the server list was expected "
            "(an object with a 'results' list)",
            200,
        ),
        (
            {"count": listing.MAX_PAGES + 1, "next": API + "/servers/?page=2", "results": [server(1)]},
            f"api_url {API}: the server list's pagination does not end ({listing.MAX_PAGES + 1} pages)",
            200,
        ),
    ],
)
def test_a_first_page_that_is_not_the_apis_is_said_so(api, answer, message, status):
    client, _logged = serve(api, Pages(fallback=lambda path: answer))
    with pytest.raises(NotTheApiError) as failure:
        client.list_servers()
    assert failure.value.message == message
    assert (failure.value.status, failure.value.method, failure.value.path) == (status, "GET", "/servers/")
    assert failure.value.reason == "not_the_api" and client.request_count == 1


def test_a_numbered_page_that_is_not_a_page_is_said_so_with_its_path(api):
    pages = Pages(
        {"/servers/?page_size=1": page([1], API + "/servers/?page=2", count=3), "/servers/?page=2": {"results": 7}}
    )
    client, _logged = serve(api, pages)
    with pytest.raises(NotTheApiError) as failure:
        client.list_servers(page_size=1)
    assert (failure.value.status, failure.value.method, failure.value.path) == (200, "GET", "/servers/?page=2")
    assert "a page of the server list was expected" in failure.value.message


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("count", [3, listing.MAX_PAGES])
def test_a_second_page_that_links_elsewhere_is_refused_with_no_page_sent_after_it(api, count, concurrency):
    pages = Pages(
        {
            "/servers/?page_size=1": page([1], API + "/servers/?page=2", count=count),
            "/servers/?page=2": page([2], API + "/servers/?page=2", count=count),
        },
        fallback=lambda path: page([9], None, count=count),
        # The other pages answer late, so page 2 is refused while they are still in flight: how
        # many of them were sent depends on the readers only, not on how threads were scheduled.
        fallback_delay=0.05,
    )
    client, _logged = serve(api, pages, page_concurrency=concurrency)
    with pytest.raises(NotTheApiError) as failure:
        client.list_servers(page_size=1)
    assert failure.value.message == f"api_url {API}: the server list's pagination does not end (page 2 links to page 2)"
    assert (failure.value.status, failure.value.method, failure.value.path) == (200, "GET", "/servers/?page=2")
    # Page 1, page 2 and at most the pages already in flight beside it: not the thousands it counts.
    # One page at a time, nothing is in flight beside page 2: exactly two requests.
    assert (client.request_count == 2) if concurrency == 1 else (2 <= client.request_count <= 1 + concurrency)
    assert pages.requested[:1] == ["/servers/?page_size=1"] and "/servers/?page=2" in pages.requested


def test_a_two_page_list_whose_last_page_links_on_is_read_again_then_returned_with_a_warning_to_a_report(api):
    pages = Pages(
        {
            "/servers/?page_size=1": page([1], API + "/servers/?page=2", count=2),
            "/servers/?page=2": page([2], API + "/servers/?page=5", count=2),
        }
    )
    warnings = []
    client, logged = serve(api, pages, warn=warnings.append)
    assert [s["id"] for s in client.list_servers(page_size=1, partial_ok=True)] == [1, 2]
    assert client.request_count == 2 * listing.MAX_READS
    changed = "the server list changed while it was read (page 2 should be the last but links to another)"
    assert logged == [f"{changed}; reading it again"] * listing.MAX_READS + warnings
    # The count held and every read failed the same way: not a list that changed.
    assert warnings == [
        f"api_url {API}: the server list's pages do not fit together although the list did not change: page 2 "
        "should be the last but links to another in each of 3 reads, while every read counted 2 servers; "
        "returning the 2 servers read, which are not all of them"
    ]


def test_a_second_page_gone_because_the_list_shrank_is_read_again(api):
    pages = Pages(
        {
            "/servers/?page_size=10": [page(range(1, 11), API + "/servers/?page=2", count=20), page(range(1, 11))],
            "/servers/?page=2": (404, {"detail": "Invalid page."}),
        }
    )
    client, logged = serve(api, pages)
    assert [s["id"] for s in client.list_servers(page_size=10)] == list(range(1, 11))
    assert pages.requested == ["/servers/?page_size=10", "/servers/?page=2", "/servers/?page_size=10"]
    assert logged == ["the server list changed while it was read (page 2 of 2 answered HTTP 404); reading it again"]


def test_a_page_read_is_retried_like_any_read(api):
    pages = Pages({FIRST: [(503, {"detail": "busy"}), page([1, 2])]})
    client, _logged = serve(api, pages)
    assert [s["id"] for s in client.list_servers()] == [1, 2]
    assert pages.requested == [FIRST, FIRST]


# -- who reads the numbered pages -------------------------------------------------------------


def numbered(total, size):
    def answer(path):
        query = dict(parse_qsl(urlsplit(path).query))
        number = int(query.get("page", 1))
        ids = list(range(1, total + 1))[(number - 1) * size : number * size]
        following = f"{API}/servers/?page={number + 1}" if number * size < total else None
        return page(ids, following, count=total)

    return Pages(fallback=answer)


@pytest.mark.parametrize("concurrency", [0, None, 1])
def test_without_page_concurrency_every_page_is_read_by_the_calling_client(api, concurrency):
    pages = numbered(30, 3)
    client, _logged = serve(api, pages, page_concurrency=concurrency)
    made = []
    client.worker = lambda: made.append(1)
    assert [s["id"] for s in client.list_servers(page_size=3)] == list(range(1, 31))
    assert set(pages.threads) == {threading.get_ident()} and made == []


@pytest.mark.parametrize("concurrency", [2, 3])
def test_page_concurrency_makes_that_many_sibling_clients_and_threads(api, concurrency):
    pages = numbered(60, 3)
    client, _logged = serve(api, pages, page_concurrency=concurrency)
    made = []
    worker = client.worker
    client.worker = lambda: made.append(1) or worker()
    assert [s["id"] for s in client.list_servers(page_size=3)] == list(range(1, 61))
    assert len(made) == concurrency
    # Page 1 is read by the calling client, the others by the pool's threads only.
    assert pages.threads[:1] == [threading.get_ident()]
    assert threading.get_ident() not in pages.threads[1:]
    assert len(set(pages.threads[1:])) <= concurrency
    assert client.request_count == 20


def test_a_failed_page_read_by_a_worker_is_counted_and_fails_the_listing(api):
    pages = numbered(30, 3)
    pages.table["/servers/?page=6"] = [(400, {"detail": "Invalid filter."})]
    client, _logged = serve(api, pages, page_concurrency=2)
    with pytest.raises(VpsApiError) as failure:
        client.list_servers(page_size=3)
    assert failure.value.status == 400 and failure.value.path == "/servers/?page=6"
    assert client.request_count == len(pages.requested)
