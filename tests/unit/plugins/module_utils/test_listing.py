"""listing.py on the simulator: every server once, in the API's order, at a known cost (Listed.pages); a list
that changes while read is read again; a list still short is refused unless the caller takes partial answers;
the newest pages under each ordering. `foreign` (responses) only for pages the real API never sends."""

from __future__ import annotations

import json
import re
import threading

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import listing
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import NotTheApiError, VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.listing import IncompleteListingError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from responses import matchers

LIST = r"/servers/\?"
FIRST = 10001


def ids(servers):
    return [server["id"] for server in servers]


def span(count, first=FIRST):
    return list(range(first, first + count))


def watched(client):
    """The threads that read the client's pages, as they read them."""
    threads = []
    client.http._shared_session.hooks["response"].append(lambda r, **kw: threads.append(threading.get_ident()))
    return threads


# -- every server once, in order, at a known cost ------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 8])
def test_pages_are_read_at_the_same_time_and_assembled_in_order(sim, make_client, concurrency):
    sim.seed(250)
    client = make_client(start=4, page_concurrency=concurrency)
    threads = watched(client)
    listed = client.list_servers(page_size=10)
    assert ids(listed) == span(250) and listed.pages == 25 == client.request_count
    # Page 1 is read alone on the calling thread; the others by the pool's threads, unless one at a time.
    assert threads[0] == threading.get_ident() and (len(set(threads)) > 1) is (concurrency > 1)
    assert (threading.get_ident() in threads[1:]) is (concurrency == 1)


@pytest.mark.parametrize(
    ("filters", "page_size", "carried", "pages"),
    [
        ({"status": "stopped"}, 10, "status=stopped&page_size=10", 3),
        ({"location": "eu-central", "status": None}, None, "location=eu-central&page_size=100", 1),
        (None, 500, "page_size=500", 3),  # the API serves at most 100 a page
        (None, None, "page_size=100", 3),
    ],
)
def test_filters_and_page_size_are_sent_and_pages_is_what_reading_again_costs(
    sim, client, sent, filters, page_size, carried, pages
):
    sim.seed(200, location="us-west")
    sim.seed(25, status="stopped", location="eu-central")
    listed = client.list_servers(filters, page_size)
    wanted = [s for s in sim.servers() if all(s[k] == v for k, v in (filters or {}).items() if v is not None)]
    assert ids(listed) == ids(wanted) and listed.pages == pages == client.request_count
    assert sent()[0] == f"GET /servers/?{carried}" and all(
        set(carried.split("&")) <= set(request.split("?")[1].split("&")) for request in sent()
    )


def test_an_empty_account_is_one_page(client):
    listed = client.list_servers()
    assert listed == [] and listed.pages == 1 == client.request_count


# -- the account changing while it is read -------------------------------------------------------------


def test_a_server_created_while_the_list_is_read_is_listed_after_reading_it_again(sim, make_client):
    sim.seed(50)
    sim.add_insert("GET", "^/api/v1/servers/$", when="after", name="web-new")
    logged = []
    client = make_client(log=logged.append)
    listed = client.list_servers(page_size=10)
    assert ids(listed) == span(51) and listed.pages == 6 and client.request_count == 5 + 6
    assert logged == [
        "the server list changed while it was read (the number of servers changed from 50 to 51); reading it again"
    ]


def test_a_server_deleted_after_page_one_does_not_leave_another_unlisted(sim, client, person, on_answer):
    # Deleting 10003 moves 10011 onto page 1, already read: without reading again it would be missing.
    sim.seed(50)
    on_answer(client, "GET", LIST, lambda: person("DELETE", "/servers/10003/"))
    listed = client.list_servers(page_size=10)
    assert ids(listed) == [i for i in span(50) if i != 10003] and client.request_count == 5 + 5


def test_a_server_seen_on_two_pages_is_read_again_even_when_the_count_holds(sim, client, person, on_answer):
    # Newest first: one created and the oldest deleted shift every page by one, the count unchanged.
    sim.seed(50)
    sim.set_modes(ordering="-id")

    def swap():
        person("POST", "/servers/", {"name": "web-new", "plan_id": 1, "os_id": 5, "location": "us-west"})
        person("DELETE", "/servers/10001/")

    on_answer(client, "GET", LIST, swap)
    assert ids(client.list_servers(page_size=10)) == [10051, *span(49, 10002)[::-1]]


def test_a_page_gone_because_the_list_shrank_is_read_again(sim, make_client, person, on_answer):
    sim.seed(50)
    logged = []
    client = make_client(log=logged.append)
    on_answer(client, "GET", LIST, lambda: [person("DELETE", f"/servers/{i}/") for i in span(10, 10041)])
    listed = client.list_servers(page_size=10)
    assert ids(listed) == span(40) and listed.pages == 4 and client.request_count == 5 + 4
    assert logged[0].startswith("the server list changed while it was read (")


def keeps_changing(sim):
    sim.seed(50)
    sim.add_insert("GET", "^/api/v1/servers/$", when="after", count=1000, name="web-new")


def test_an_account_that_keeps_changing_is_read_three_times_then_refused(sim, make_client):
    keeps_changing(sim)
    client = make_client(page_concurrency=1)
    with pytest.raises(IncompleteListingError) as err:
        client.list_servers(page_size=10)
    assert (listing.MAX_READS, client.request_count) == (3, 5 + 6 + 7)  # each read counts its own pages
    assert err.value.reason == "incomplete_listing" and str(err.value) == (
        f"api_url {sim.api_url}: the server list kept changing while it was read (the number of servers changed "
        "from 61 to 62, 3 reads); nothing is created, changed or deleted on a list that may miss servers"
    )


def test_a_caller_that_takes_partial_answers_gets_every_server_seen_once_and_the_warning(sim, make_client):
    keeps_changing(sim)
    warned, logged = [], []
    client = make_client(page_concurrency=1, on_partial=warned.append, log=logged.append)
    listed = client.list_servers(page_size=10)
    assert len(set(ids(listed))) == len(listed) and set(span(50)) < set(ids(listed))
    assert listed.pages == 18 and warned == logged[-1:] == [
        f"api_url {sim.api_url}: the server list kept changing while it was read (the number of servers changed "
        f"from 61 to 62, 3 reads); returning the {len(listed)} servers seen in any read, which may include one "
        "deleted meanwhile"
    ]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    total=st.integers(1, 40),
    size=st.integers(1, 12),
    when=st.integers(1, 6),
    change=st.sampled_from(["delete", "create", "rename"]),
    ordering=st.sampled_from(["id", "-id", "name"]),
    where=st.floats(0, 1),
    concurrency=st.sampled_from([1, 3]),
)
def test_one_change_at_any_moment_gives_the_list_before_or_after_it(
    sim, make_client, person, on_answer, total, size, when, change, ordering, where, concurrency
):
    sim.reset()
    sim.seed(total)
    sim.set_modes(ordering=ordering)
    target = FIRST + min(int(where * total), total - 1)

    def act():
        if change == "delete":
            person("DELETE", f"/servers/{target}/")
        elif change == "create":
            person("POST", "/servers/", {"name": f"seed-{target}x", "plan_id": 1, "os_id": 5, "location": "us-west"})
        else:
            person("PATCH", f"/servers/{target}/", {"name": "a-first"})

    def everything():
        return ids(make_client().list_servers(page_size=size))

    before = everything()
    client = make_client(page_concurrency=concurrency)
    on_answer(client, "GET", LIST, act, nth=when)
    listed = ids(client.list_servers(page_size=size))
    assert listed in (before, everything())


# -- lists that stay short --------------------------------------------------------------------------

SHORT = {
    "gone": ({"kind": "gone", "status": 410, "from_page": 2}, "page 2 of 3 answered HTTP 410", span(10)),
    "empty": ({"kind": "empty", "from_page": 3}, "page 3 holds 0 servers instead of 5", span(20)),
    "repeat": ({"kind": "repeat", "page": 2}, "server id 10001 is on pages 1 and 2", span(10) + span(5, 10021)),
    "prefix": ({"kind": "prefix", "prefix": "/edge"}, "page 2 of 3 answered HTTP 404", span(10)),
}


@pytest.mark.parametrize("kind", sorted(SHORT))
@pytest.mark.parametrize("partial", [False, True])
def test_a_list_that_stays_short_is_refused_unless_partial_answers_are_taken(sim, client_at, kind, partial):
    way, why, read = SHORT[kind]
    sim.seed(25)
    sim.short_list(**way)
    api_url = sim.url + "/edge/api/v1" if kind == "prefix" else sim.api_url
    warned, logged = [], []
    client = client_at(api_url, log=logged.append, on_partial=warned.append if partial else None)
    seen = (
        f"api_url {api_url}: the server list's pages do not fit together although the list did not change: {why} "
        "in each of 3 reads, while every read counted 25 servers"
        + ("; those pages are not the API's pages (does a `next` link leave api_url's path?)" if "HTTP" in why else "")
    )
    if not partial:
        with pytest.raises(IncompleteListingError, match="^" + re.escape(seen)) as err:
            client.list_servers(page_size=10)
        assert str(err.value).endswith("; nothing is created, changed or deleted on a list that may miss servers")
        return
    listed = client.list_servers(page_size=10)
    assert ids(listed) == read and listed.pages == 9 == client.request_count
    assert warned == logged[-1:] == [f"{seen}; returning the {len(read)} servers read, which are not all of them"]


@pytest.mark.parametrize("last_next", [False, None])
def test_linked_pages_that_stop_before_their_count_end_there_with_a_warning(foreign, last_next):
    # Guessing `page=N` from here would lose the filters and page size the links carry.
    first, second = "/servers/?location=us-west&page_size=100", "/servers/?cursor=b&location=us-west"
    serve(foreign, {first: page([1], foreign.url + second, count=4), second: page([2], last_next, count=4)})
    warned = []
    listed = foreign.make(on_partial=warned.append).list_servers({"location": "us-west"})
    assert ids(listed) == [1, 2] and listed.pages == 2 and asked(foreign) == [first, second]
    seen = f"api_url {foreign.url}: the server list stopped linking to a next page after 2 of the 4 servers it counts"
    assert warned == [f"{seen}; returning the 2 servers read, which are not all of them"]
    with pytest.raises(IncompleteListingError, match=f"^{seen}; nothing is created"):
        foreign.make().list_servers({"location": "us-west"})


@pytest.mark.parametrize(("count", "counted"), [(None, "2 servers"), (9, "2 of the 9 servers it counts")])
def test_a_linked_page_answering_410_ends_a_partial_list(foreign, count, counted):
    serve(foreign, {"/servers/?page_size=100": page([1, 2], foreign.url + "/servers/?cursor=b", count=count)})
    foreign.mock.get(foreign.url + "/servers/?cursor=b", status=410, json={"detail": "Gone."})
    warned = []
    listed = foreign.make(on_partial=warned.append).list_servers()
    assert ids(listed) == [1, 2] and listed.pages == 2
    assert warned == [
        f"api_url {foreign.url}: the server list's next page /servers/?cursor=b answered HTTP 410 after {counted}; "
        "returning the 2 servers read, which are not all of them"
    ]


# -- what fails a listing ----------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_failing_page_fails_the_listing_and_no_page_is_sent_after_it(sim, make_client, on_answer, concurrency):
    sim.seed(250)
    client = make_client(retries=0, start=4, page_concurrency=concurrency)
    on_answer(client, "GET", LIST, lambda: sim.add_fault(kind="status", status=503, count=1))
    with pytest.raises(VpsApiError) as err:
        client.list_servers(page_size=10)
    assert err.value.status == 503 and err.value.path.startswith("/servers/?page_size=10&page=")
    assert (client.request_count == 2) if concurrency == 1 else (client.request_count < 25)


def test_a_page_read_is_retried_like_any_read(sim, client):
    sim.seed(5)
    sim.add_fault(kind="status", status=503, count=1)
    assert ids(client.list_servers()) == span(5) and client.request_count == 2


@pytest.mark.parametrize(("servers", "read"), [(5, True), (6, False)])
def test_a_list_of_more_pages_than_any_account_is_refused_before_reading_them(sim, client, monkeypatch, servers, read):
    monkeypatch.setattr(listing, "MAX_PAGES", 5)
    sim.seed(servers)
    if read:
        assert len(client.list_servers(page_size=1)) == 5
        return
    with pytest.raises(NotTheApiError) as err:
        client.list_servers(page_size=1)
    assert str(err.value) == (
        f"api_url {sim.api_url}: the server list's pagination does not end (6 pages) (GET /servers/ answered HTTP 200)"
    )
    assert client.request_count == 1


def test_an_api_url_without_a_server_list_is_said_so(sim, client_at):
    client = client_at(sim.url + "/v2")
    with pytest.raises(NotTheApiError) as err:
        client.list_servers()
    assert (
        err.value.message == f"api_url {sim.url}/v2 has no server list: GET /servers/ answered HTTP 404; check api_url"
    )
    assert (err.value.status, err.value.method, err.value.path, client.request_count) == (404, "GET", "/servers/", 1)


# -- pages the API never sends (responses) -------------------------------------------------------------


def page(numbers, next_url=None, count=..., **extra):
    """A page of servers `numbers` (count: of the whole list, by default these; next_url False: no `next` key)."""
    body = {"count": len(numbers) if count is ... else count, **extra}
    body["results"] = [{"id": n, "name": f"web-{n}", "status": "active"} for n in numbers]
    return body if next_url is False else {**body, "next": next_url}


def serve(foreign, table):
    """Answer each path of `table` with its page; a client that reads on and on fails the test at once."""

    def respond(answer):
        assert len(foreign.mock.calls) <= 50, "the listing does not end"
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    for path, answer in table.items():
        path, _mark, query = path.partition("?")
        foreign.mock.add_callback(
            "GET",
            foreign.url + path,
            callback=lambda request, answer=answer: respond(answer),
            match=[matchers.query_string_matcher(query)],
        )


def asked(foreign):
    return [call.request.url[len(foreign.url) :] for call in foreign.mock.calls]


def test_cursor_links_are_followed_in_any_spelling_and_a_repeated_server_is_listed_once(foreign):
    serve(
        foreign,
        {
            "/servers/?page_size=100": page([1, 2], foreign.url + "/servers/?cursor=b", count=4),
            "/servers/?cursor=b": page([2, 3], "servers/?cursor=c", count=4),
            "/servers/?cursor=c": page([4], "/api/v1/servers/d/", count=4),
            "/servers/d/": page([], None, count=4),
        },
    )
    listed = foreign.make().list_servers()
    assert ids(listed) == [1, 2, 3, 4] and listed.pages == 4
    assert asked(foreign) == ["/servers/?page_size=100", "/servers/?cursor=b", "/servers/?cursor=c", "/servers/d/"]


def test_a_list_without_next_links_is_read_by_page_number_with_the_first_requests_filters(foreign):
    first, second = page([1], False, count=2), page([2], False, count=2)
    serve(foreign, {"/servers/?status=active&page_size=1": first, "/servers/?page_size=1&status=active&page=2": second})
    assert ids(foreign.make().list_servers({"status": "active"}, page_size=1)) == [1, 2]


def test_a_two_page_list_whose_last_page_links_on_is_read_three_times_then_given_with_a_warning(foreign):
    serve(foreign, {"/servers/?page_size=1": page([1], foreign.url + "/servers/?page=2", count=2)})
    serve(foreign, {"/servers/?page=2": page([2], foreign.url + "/servers/?page=5", count=2)})
    warned = []
    client = foreign.make(on_partial=warned.append)
    assert ids(client.list_servers(page_size=1)) == [1, 2] and client.request_count == 2 * listing.MAX_READS
    assert warned == [
        f"api_url {foreign.url}: the server list's pages do not fit together although the list did not change: page 2 "
        "should be the last but links to another in each of 3 reads, while every read counted 2 servers; "
        "returning the 2 servers read, which are not all of them"
    ]


def test_a_list_whose_pages_fail_another_way_each_time_kept_changing(sim, make_client, on_answer):
    sim.seed(25)
    sim.short_list(kind="empty", from_page=3)
    warned = []
    client = make_client(page_concurrency=1, on_partial=warned.append)
    on_answer(client, "GET", LIST, lambda: sim.short_list(kind="repeat", page=2), nth=3)
    client.list_servers(page_size=10)
    assert warned[0].startswith(
        f"api_url {sim.api_url}: the server list kept changing while it was read (server id 10001 is on pages 1 and 2"
    )


@pytest.mark.parametrize("count", [None, 2])
def test_a_last_linked_page_ends_the_list_when_its_count_is_reached_or_unknown(foreign, count):
    first = page([1], foreign.url + "/servers/?cursor=b", count=count)
    serve(foreign, {"/servers/?page_size=100": first, "/servers/?cursor=b": page([2], False, count=count)})
    assert ids(foreign.make().list_servers()) == [1, 2]


def test_a_link_back_to_a_page_already_read_ends_in_an_error_naming_it(foreign):
    again = page([2], "servers/?cursor=b", count=9)
    serve(foreign, {"/servers/?page_size=100": page([1], foreign.url + "/servers/?cursor=b", count=9)})
    serve(foreign, {"/servers/?cursor=b": again})
    client = foreign.make()
    with pytest.raises(NotTheApiError) as err:
        client.list_servers()
    assert str(err.value) == (
        f"api_url {foreign.url}: the server list's pagination does not end (page repeated) "
        "(GET /servers/?cursor=b answered HTTP 200)"
    )
    assert client.request_count == 2


def test_link_following_stops_after_max_pages(foreign, monkeypatch):
    monkeypatch.setattr(listing, "MAX_PAGES", 5)
    serve(foreign, {"/servers/?page_size=100": page([0], foreign.url + "/servers/?cursor=1", count=1)})
    serve(
        foreign,
        {f"/servers/?cursor={n}": page([n], f"{foreign.url}/servers/?cursor={n + 1}", count=1) for n in range(1, 9)},
    )
    client = foreign.make()
    with pytest.raises(NotTheApiError, match=r"pagination does not end \(page repeated\)"):
        client.list_servers()
    assert client.request_count == 1 + 5


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"results": "none"}, "a page of the server list was expected (an object with a 'results' list)"),
        ({"count": -1, "results": []}, "the page's 'count' is -1, not a number of servers"),
    ],
)
def test_a_first_page_that_is_not_the_apis_is_said_so(foreign, answer, message):
    serve(foreign, {"/servers/?page_size=100": answer})
    client = foreign.make()
    with pytest.raises(NotTheApiError) as err:
        client.list_servers()
    assert err.value.message == f"api_url {foreign.url} does not look like the VPS.org API: {message}"
    assert (err.value.status, err.value.method, err.value.path, client.request_count) == (200, "GET", "/servers/", 1)


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("count", [3, 1000])
def test_a_second_page_that_links_elsewhere_is_refused_with_no_page_sent_after_it(foreign, count, concurrency):
    serve(foreign, {"/servers/?page_size=1": page([1], foreign.url + "/servers/?page=2", count=count)})
    serve(foreign, {"/servers/?page=2": page([2], foreign.url + "/servers/?page=2", count=count)})

    def late(request):  # the other pages answer late: page 2 is refused while they are still in flight
        threading.Event().wait(0.05)
        return 200, {}, json.dumps(page([9], None, count=count))

    foreign.mock.add_callback("GET", re.compile(re.escape(foreign.url) + r"/servers/\?page=\d+$"), callback=late)
    client = foreign.make(page_concurrency=concurrency, start=concurrency)
    with pytest.raises(NotTheApiError) as err:
        client.list_servers(page_size=1)
    assert (
        err.value.message
        == f"api_url {foreign.url}: the server list's pagination does not end (page 2 links to page 2)"
    )
    assert err.value.path == "/servers/?page=2"
    # Page 1, page 2 and at most the pages already in flight beside it: never the pages it counts.
    assert (client.request_count == 2) if concurrency == 1 else (2 <= client.request_count <= 1 + concurrency)


def test_a_next_link_to_another_host_never_receives_the_token(foreign):
    serve(foreign, {"/servers/?page_size=100": page([1], "https://evil.test/api/v1/servers/?cursor=b", count=2)})
    serve(foreign, {"/servers/?cursor=b": page([2], None, count=2)})
    assert ids(foreign.make().list_servers()) == [1, 2]
    assert {call.request.url.split("/")[2] for call in foreign.mock.calls} == {"api.test"}


# -- the newest pages ----------------------------------------------------------------------------------


def newest(client, wanted):
    found = listing.newest_servers(client.http, wanted)
    assert found.pages == client.request_count
    return sorted(ids(found)), found.pages


@pytest.mark.parametrize(
    ("deleted", "wanted", "found", "pages"),
    [
        ((), span(5, 11001), span(5, 11001), 1),  # five new servers among a thousand: the last page alone
        ((), span(5, 10999), span(5, 10999), 2),  # over the last two pages
        ((), [10500, 11002, 11003], [11002, 11003], 1),  # one older left to be read alone
        ((11002, 11003), span(3, 11002), [11004], 1),  # deleted from the last page's range: not looked for before
        ((), [10001, 10002], [], 2),  # old ones: never more pages than reading them alone
    ],
)
def test_servers_just_created_are_found_on_the_last_pages_of_the_list(
    sim, client, person, sent, deleted, wanted, found, pages
):
    sim.seed(1005)
    for server_id in deleted:
        person("DELETE", f"/servers/{server_id}/")
    assert newest(client, wanted) == (found, pages)
    assert sent()[0] == "GET /servers/?page_size=100&page=last"


def test_a_page_before_the_last_that_is_gone_ends_the_search_with_what_was_found(sim, client, person, on_answer):
    sim.seed(1005)
    # The list shrinks below page 10 before the `previous` link to it is read: no error, the rest are read alone.
    on_answer(client, "GET", LIST, lambda: [person("DELETE", f"/servers/{i}/") for i in span(105)])
    assert newest(client, span(10, 10996)) == (span(5, 11001), 2)


@pytest.mark.parametrize(
    ("ordering", "name", "found"),
    [
        ("-id", "web", []),  # newest first: the last page holds the oldest; they are read alone
        ("name", "zz", span(3, 10101)),  # by name: new names sorting last are on the last page
        ("name", "aa", []),
    ],
)
def test_other_orderings_cost_one_page_and_show_only_what_the_last_page_holds(sim, client, ordering, name, found):
    sim.seed(100, name_prefix="m")
    sim.seed(3, name_prefix=name)
    sim.set_modes(ordering=ordering)
    assert newest(client, span(3, 10101)) == (found, 1)


def test_an_api_without_a_last_page_costs_one_request_and_shows_nothing(sim, client):
    sim.seed(105)
    sim.set_modes(last_page=False)
    assert newest(client, span(5, 10101)) == ([], 1)


def test_a_previous_link_to_another_host_is_read_from_api_url_only(foreign):
    last = {**page([3, 4], None, count=4), "previous": "https://evil.test/api/v1/servers/?page=1"}
    serve(foreign, {"/servers/?page_size=100&page=last": last})
    serve(foreign, {"/servers/?page=1": page([1, 2], None, count=4)})
    assert newest(foreign.make(), [1, 2, 3, 4]) == ([1, 2, 3, 4], 2)
    assert {call.request.url.split("/")[2] for call in foreign.mock.calls} == {"api.test"}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    total=st.integers(1, 300),
    deleted=st.sets(st.integers(0, 299), max_size=30),
    ordering=st.sampled_from(["id", "-id", "name", "-name"]),
    wanted=st.sets(st.integers(0, 340), min_size=1, max_size=12),
)
def test_any_order_shows_only_servers_listed_and_never_reads_more_pages_than_servers_wanted(
    sim, make_client, person, total, deleted, ordering, wanted
):
    sim.reset()
    sim.seed(total)
    for n in sorted(deleted):
        if n < total:
            person("DELETE", f"/servers/{FIRST + n}/")
    sim.set_modes(ordering=ordering)
    wanted = {FIRST + n for n in wanted}
    listed = {s["id"]: s for s in make_client().list_servers()}
    found = listing.newest_servers(make_client().http, wanted)
    assert all(listed[s["id"]] == s and s["id"] in wanted for s in found)
    assert 1 <= found.pages <= len(wanted)
    if ordering == "id":
        # The reading holds: every wanted server listed is found, unless one alone is left over or reading
        # on would have cost more pages than reading them alone.
        assert len(wanted & set(listed) - set(ids(found))) <= 1 or found.pages == len(wanted)
