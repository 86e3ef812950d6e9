"""pages.py: the pure checks that the pages of one read fit together (no HTTP)."""

from __future__ import annotations

import pytest
from ansible_collections.vpsorg.cloud.plugins.module_utils import pages

SERVERS = "https://api.test/api/v1/servers/"


def relative(link):
    return link.replace("https://api.test/api/v1", "")


def results(*numbers):
    return [{"id": n, "name": f"web-{n}", "status": "active"} for n in numbers]


def test_plan_numbers_pages_from_the_next_link_keeping_its_filters_blank_ones_too():
    first = {"count": 25, "next": SERVERS + "?page=2&page_size=10&status=active&name=", "results": results(*range(10))}
    layout = pages.plan(first, "/servers/", {"status": "active", "page_size": 10}, relative)
    assert (layout.count, layout.size, layout.pages) == (25, 10, 3)
    assert pages.page_path(layout, 3) == "/servers/?page_size=10&status=active&name=&page=3"
    assert [pages.expected_length(layout, n) for n in (1, 2, 3)] == [10, 10, 5]


def test_plan_without_a_next_key_numbers_the_first_request():
    layout = pages.plan({"count": 3, "results": results(1)}, "/servers/", {"page_size": 1, "status": "x"}, relative)
    assert pages.page_path(layout, 2) == "/servers/?page_size=1&status=x&page=2"


@pytest.mark.parametrize(
    "first",
    [
        {"count": 5, "next": None, "results": results(1)},
        {"count": None, "next": SERVERS + "?page=2", "results": results(1)},
        {"count": True, "next": SERVERS + "?page=2", "results": results(1)},
        {"count": 9, "next": SERVERS + "?cursor=abc", "results": results(1)},
        {"count": 9, "next": SERVERS + "?page=7", "results": results(1)},
        {"count": 9, "next": SERVERS + "?page=2", "results": []},
        {"count": 1, "next": SERVERS + "?page=2", "results": results(1)},
    ],
)
def test_plan_leaves_lists_it_cannot_number_to_link_following(first):
    assert pages.plan(first, "/servers/", {}, relative) is None


@pytest.mark.parametrize(
    ("link", "number"),
    [
        (SERVERS + "?page=3&page_size=10", 3),
        (SERVERS + "?page_size=10", None),
        (SERVERS + "?page=last", None),
        ("https://api.test/api/v1/other/?page=3", None),
    ],
)
def test_linked_page_names_a_page_of_the_same_list_only(link, number):
    layout = pages.Layout(30, 10, 3, "/servers/", [("page_size", "10")])
    assert pages.linked_page(layout, link, relative) == number


def numbered(*ids_per_page, count=None, last_next=None):
    total = sum(len(ids) for ids in ids_per_page) if count is None else count
    read = {n: {"count": total, "next": None, "results": results(*ids)} for n, ids in enumerate(ids_per_page, 1)}
    read[len(ids_per_page)]["next"] = last_next
    return read


@pytest.mark.parametrize(
    ("read", "why"),
    [
        (numbered([1, 2], [3, 4], [5]), None),
        (numbered([1, 2], [3, 4], [4]), "server id 4 is on pages 2 and 3"),
        (
            numbered([1, 2], [3, 4], [5], last_next=SERVERS + "?page=4"),
            "page 3 should be the last but links to another",
        ),
        (numbered([1, 2], [3], [5], count=5), "page 2 holds 1 servers instead of 2"),
        (numbered([1, 2], [3, 4], [5], count=6), "the number of servers changed from 5 to 6"),
        ({**numbered([1, 2], [3, 4], [5]), 2: pages.Gone(404)}, "page 2 of 3 answered HTTP 404"),
    ],
)
def test_mismatch_says_why_pages_do_not_fit_together(read, why):
    assert pages.mismatch(pages.Layout(5, 2, 3, "/servers/", []), read) == why


def test_assemble_and_union_keep_every_server_once_newest_read_first_skipping_gone_pages():
    older, newer = numbered([1, 2], [3, 4]), {**numbered([9, 1], [2, 3]), 2: pages.Gone(410)}
    assert [s["id"] for s in pages.assemble({2: older[2], 1: older[1]})] == [1, 2, 3, 4]
    assert [s["id"] for s in pages.union([older, newer])] == [9, 1, 2, 3, 4]
