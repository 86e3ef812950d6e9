# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning a page-number read of the server list, and telling whether the pages fit together.

Page-number pagination is not a snapshot: a server created or deleted while the pages are read
shifts every later page, so one server can fall between two pages (skipped) or show on both
(doubled). The pages tell it when they disagree: another `count`, a page shorter or longer than
its place in the list allows, a last page that is not the last, a page that answers 404 or 410
(Gone), or an id on two pages. These are pure functions over decoded pages, so they are tested
without HTTP.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from collections import namedtuple
from urllib.parse import parse_qsl, urlencode, urlsplit

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract

# count: servers in the list; size: servers on every page but the last; pages: how many pages;
# path, query: the request of any page, with the page number left out of query.
Layout = namedtuple("Layout", "count size pages path query")
# A page that answered 404 or 410: the list shrank below it, or it is not the API's page at all.
Gone = namedtuple("Gone", "status")


def plan(first, first_path, first_params, relative):
    """The Layout of the list whose first page is `first`, or None when its pages cannot be numbered.

    reading: the API pages by number (DRF), so page n is the first page's `next` link with
    `page=n`; without a `next` key at all, page n is the first request with `page=n`. A `next`
    that carries no page number (a cursor) is followed link by link instead.
    """
    results = first[contract.PAGE_RESULTS]
    count = first.get(contract.PAGE_COUNT)
    if not isinstance(count, int) or isinstance(count, bool) or not results or count <= len(results):
        return None
    if contract.PAGE_NEXT in first:
        if not first[contract.PAGE_NEXT]:
            return None
        parts = urlsplit(relative(first[contract.PAGE_NEXT]))
        path, query = parts.path, parse_qsl(parts.query, keep_blank_values=True)
        if [value for key, value in query if key == contract.PAGE_PARAM] != ["2"]:
            return None
    else:
        path, query = first_path, sorted((first_params or {}).items())
    query = [(key, value) for key, value in query if key != contract.PAGE_PARAM]
    size = len(results)
    return Layout(count, size, -(-count // size), path, query)


def page_path(layout, number):
    """The request path (with query) of page `number`."""
    return layout.path + "?" + urlencode([*layout.query, (contract.PAGE_PARAM, str(number))])


def linked_page(layout, link, relative):
    """The page number a `next` link names in this layout, or None when it names none."""
    parts = urlsplit(relative(link))
    numbers = [value for key, value in parse_qsl(parts.query) if key == contract.PAGE_PARAM]
    return int(numbers[0]) if parts.path == layout.path and numbers and numbers[0].isdigit() else None


def expected_length(layout, number):
    return layout.size if number < layout.pages else layout.count - (layout.pages - 1) * layout.size


def mismatch(layout, pages):
    """Why the pages (number -> page, or Gone for a page that answered 404 / 410) do not fit together.

    None when every page reports the first page's count, holds as many servers as its place in
    the list allows, the last page ends the list and no id is on two pages.
    """
    seen = {}
    for number in range(1, layout.pages + 1):
        page = pages[number]
        if isinstance(page, Gone):
            return f"page {number} of {layout.pages} answered HTTP {page.status}"
        count = page.get(contract.PAGE_COUNT)
        if count != layout.count:
            return f"the number of servers changed from {layout.count} to {count}"
        results = page[contract.PAGE_RESULTS]
        if len(results) != expected_length(layout, number):
            return f"page {number} holds {len(results)} servers instead of {expected_length(layout, number)}"
        if number == layout.pages and page.get(contract.PAGE_NEXT):
            return f"page {number} should be the last but links to another"
        for server in results:
            if server["id"] in seen:
                return f"server id {server['id']} is on pages {seen[server['id']]} and {number}"
            seen[server["id"]] = number
    return None


def assemble(pages):
    """The servers of pages that fit together, in page order."""
    return [server for number in sorted(pages) for server in pages[number][contract.PAGE_RESULTS]]


def union(reads):
    """Every server seen in any read, once, in the newest form read; newest read's order first.

    What remains when no read fit together: no server that any read saw is missing, none is
    doubled, but a server deleted meanwhile may be among them.
    """
    servers, seen = [], set()
    for pages in reversed(reads):
        for number in sorted(pages):
            page = pages[number]
            for server in page.get(contract.PAGE_RESULTS, ()) if isinstance(page, dict) else ():
                if server["id"] not in seen:
                    seen.add(server["id"])
                    servers.append(server)
    return servers
