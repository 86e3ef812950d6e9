# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the server list: the first page, then the others concurrently, and when it is complete.

At a hosted API's round trip (~100 ms) the time of a large listing is the number of pages read
one after another, so pages 2..n are read at the same time (budget.run_all, under the task's
budget: a 429 pauses every reader and lowers how many are in flight). Page 2 is checked as soon as
it arrives: its link proves the page numbers work, and a server that repeats a page is refused then.
The pages are checked to fit together (pages.py); when the account changed while they were read,
the whole list is read again, a bounded number of times.

A list that still comes back short (pages that never fit together, a page that answers 404 or 410,
links that stop before `count`) is not known to hold every server, so nothing that can create,
change or delete is decided on it: IncompleteListingError names api_url and what was seen. A caller
that asked for partial answers (`on_partial`) gets the servers read and the same words as a warning.

Every function returns what it cost: a Listed is the servers and the pages read.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import threading
from urllib.parse import urljoin, urlsplit

from ansible_collections.vpsorg.cloud.plugins.module_utils import answers, contract, pages
from ansible_collections.vpsorg.cloud.plugins.module_utils.budget import run_all
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import NotTheApiError, VpsApiError

# A listing that has not ended after this many pages is a misbehaving server, not an account.
MAX_PAGES = 10000
# Pages read at the same time: 100 pages at 100 ms take ~0.8 s instead of ~10 s. An API that takes
# fewer at a time says so with 429, and the task's budget lowers what is in flight.
DEFAULT_PAGE_CONCURRENCY = 16
# Reads of the whole list before giving up on pages that fit together (an account that changes
# faster than it can be listed): 1 read and 2 re-reads.
MAX_READS = 3


class IncompleteListingError(VpsApiError):
    """The server list came back short: no decision is made on it."""

    def _default_reason(self):
        return "incomplete_listing"


class Listed(list):
    """The servers of one listing, in the API's order; `pages`: the list requests it cost."""

    def __init__(self, servers, pages_read):
        super().__init__(servers)
        self.pages = pages_read


def relative(http, url):
    """The path below api_url of a `next` or `previous` link.

    The link is absolute, but the token only ever goes to api_url's own host: a proxy or a
    misconfigured server must not be able to send it elsewhere.
    """
    parts = urlsplit(urljoin(http.api_url + "/", url))
    path = parts.path
    if path.startswith(http.base_path):
        path = path[len(http.base_path) :]
    return path + ("?" + parts.query if parts.query else "")


def read_page(http, path, params=None, gone_ok=False):
    """One page; with gone_ok, pages.Gone for a page answered 404 / 410 in the API's JSON."""
    try:
        page = http.request("GET", path, params)
    except VpsApiError as exc:
        if exc.status in (404, 410) and not isinstance(exc, NotTheApiError) and gone_ok:
            return pages.Gone(exc.status)
        if exc.status == 404 and not isinstance(exc, NotTheApiError):
            message = f"api_url {http.api_url} has no server list: GET {path} answered HTTP 404; check api_url"
            raise http.error(NotTheApiError, message, 404, "GET", path) from None
        raise
    problem = answers.page_problem(page)
    if problem:
        message = f"api_url {http.api_url} does not look like the VPS.org API: {problem}"
        raise http.error(NotTheApiError, message, 200, "GET", path)
    return page


def _endless(http, path, why):
    message = f"api_url {http.api_url}: the server list's pagination does not end ({why})"
    return http.error(NotTheApiError, message, 200, "GET", path)


def list_servers(http, filters=None, page_size=None, on_partial=None, page_concurrency=DEFAULT_PAGE_CONCURRENCY):
    """Every server matching the server-side filters, each once, in the API's order: a Listed.

    A list that comes back short raises IncompleteListingError, unless the caller asked for partial
    answers: then on_partial(warning) is called and the servers read are returned.
    """
    params = {key: value for key, value in (filters or {}).items() if value is not None}
    params[contract.PAGE_SIZE_PARAM] = page_size or contract.DEFAULT_PAGE_SIZE
    reads, counts, whys, cost = [], [], [], 0
    for _attempt in range(MAX_READS):
        first = read_page(http, contract.SERVERS_PATH, params)
        layout = pages.plan(first, contract.SERVERS_PATH, params, lambda url: relative(http, url))
        if layout is None:
            return _follow(http, first, cost, on_partial)
        if layout.pages > MAX_PAGES:
            raise _endless(http, contract.SERVERS_PATH, f"{layout.pages} pages")
        cost += layout.pages
        read = {1: first, **_numbered_pages(http, layout, page_concurrency)}
        why = pages.mismatch(layout, read)
        if why is None:
            return Listed(pages.assemble(read), layout.pages)
        reads.append(read)
        counts.append(layout.count)
        whys.append(why)
        http.log(f"the server list changed while it was read ({why}); reading it again")
    gone = any(isinstance(page, pages.Gone) for read in reads for page in read.values())
    return _short(http, Listed(pages.union(reads), cost), _unsettled(counts, whys, gone), on_partial)


def newest_servers(http, wanted, page_size=None):
    """The servers of `wanted` (ids) that the last pages of the list show: a Listed.

    Reads the last page (contract.LAST_PAGE), then the page before it only while at least two
    wanted servers are still unseen and older than every server read (one page costs less than
    reading them alone), and never more pages than servers wanted. An API that names no last page
    (404 or 410 in its JSON) gives an empty Listed of one page.
    """
    wanted = set(wanted)
    params = {
        contract.PAGE_SIZE_PARAM: page_size or contract.DEFAULT_PAGE_SIZE,
        contract.PAGE_PARAM: contract.LAST_PAGE,
    }
    page = read_page(http, contract.SERVERS_PATH, params, gone_ok=True)
    found, read, oldest = {}, 1, None
    while not isinstance(page, pages.Gone):
        for server in page[contract.PAGE_RESULTS]:
            oldest = server["id"] if oldest is None else min(oldest, server["id"])
            if server["id"] in wanted:
                found[server["id"]] = server
        older = [i for i in wanted - set(found) if oldest is not None and i < oldest]
        link = page.get(contract.PAGE_PREVIOUS)
        if len(older) < 2 or not link or read >= len(wanted):
            break
        page = read_page(http, relative(http, link), gone_ok=True)
        read += 1
    return Listed(found.values(), read)


def _numbered_pages(http, layout, most):
    """Pages 2..n by number, read at the same time; once a page fails, no page is sent after it."""
    failed = threading.Event()

    def read(number):
        if failed.is_set():
            return None  # never used: the failed page's error is raised
        try:
            page = read_page(http, pages.page_path(layout, number), gone_ok=True)
            if number == 2:
                _check_second(http, layout, page)
            return page
        except BaseException:
            failed.set()
            raise

    numbers = range(2, layout.pages + 1)
    outcomes = run_all(http.budget, [(number, lambda number=number: read(number)) for number in numbers], most)
    for _number, (_page, error) in outcomes.items():
        if error is not None:
            raise error  # the first failed page, in page order
    return {number: page for number, (page, _error) in outcomes.items()}


def _check_second(http, layout, second):
    link = second.get(contract.PAGE_NEXT) if isinstance(second, dict) else None
    following = pages.linked_page(layout, link, lambda url: relative(http, url)) if link else None
    if link and layout.pages > 2 and following is not None and following != 3:
        raise _endless(http, pages.page_path(layout, 2), f"page 2 links to page {following}")


def _follow(http, page, cost, on_partial):
    """A list whose pages cannot be numbered: follow `next` link by link, dropping repeated ids.

    A link's own query is all that is sent: it carries the filters and the page size. A list that
    stops linking before its count is not read on by guessed page numbers (such a request would
    lose the filters); it ends there, and says so.
    """
    servers, seen_ids, seen_pages = [], set(), set()
    while True:
        for server in page[contract.PAGE_RESULTS]:
            if server["id"] not in seen_ids:
                seen_ids.add(server["id"])
                servers.append(server)
        listed = Listed(servers, cost + 1 + len(seen_pages))
        next_url, count = page.get(contract.PAGE_NEXT), page.get(contract.PAGE_COUNT)
        if not next_url:
            if count is not None and len(servers) < count:
                return _short(http, listed, _unlinked(len(servers), count), on_partial)
            return listed
        path = relative(http, next_url)
        if path in seen_pages or len(seen_pages) >= MAX_PAGES:
            raise _endless(http, path, "page repeated")
        seen_pages.add(path)
        page = read_page(http, path, gone_ok=True)
        if isinstance(page, pages.Gone):
            listed.pages += 1
            return _short(http, listed, _unlinked(len(servers), count, path, page.status), on_partial)


# -- a list that came back short ---------------------------------------------------------------


def _unsettled(counts, whys, gone):
    """(what was seen, what a partial list holds) for numbered reads whose pages never fit together.

    When every read counted the same servers and failed the same way, nothing changed between the
    reads: the pages themselves are wrong, and a page answering 404 / 410 while `count` holds is
    not the API's page.
    """
    reads = len(counts)
    if len(set(counts)) == 1 and len(set(whys)) == 1:
        what = (
            f"the server list's pages do not fit together although the list did not change: {whys[0]} in each "
            f"of {reads} reads, while every read counted {counts[0]} servers"
        )
        if gone:
            what += "; those pages are not the API's pages (does a `next` link leave api_url's path?)"
        return what, "returning the {} servers read, which are not all of them"
    what = f"the server list kept changing while it was read ({whys[-1]}, {reads} reads)"
    return what, "returning the {} servers seen in any read, which may include one deleted meanwhile"


def _unlinked(read, count, path=None, status=None):
    """(what was seen, what a partial list holds) for linked pages that end before their count."""
    if status is not None:
        counted = f"{read} servers" if count is None else f"{read} of the {count} servers it counts"
        what = f"the server list's next page {path} answered HTTP {status} after {counted}"
    else:
        what = f"the server list stopped linking to a next page after {read} of the {count} servers it counts"
    return what, "returning the {} servers read, which are not all of them"


def _short(http, listed, seen, on_partial):
    """The servers of a listing known to be short, for a caller that asked for them; raise otherwise."""
    what, holds = seen
    message = f"api_url {http.api_url}: {what}"
    if on_partial is None:
        raise http.error(
            IncompleteListingError,
            f"{message}; nothing is created, changed or deleted on a list that may miss servers",
        )
    message += "; " + holds.format(len(listed))
    http.log(message)
    on_partial(http.scrub(message))
    return listed
