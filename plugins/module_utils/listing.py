# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the whole server list: the first page, then the others concurrently.

At a hosted API's round trip (~100 ms) the time of a large listing is the number of pages read
one after another, so pages 2..n are read by `page_concurrency` sibling clients (worker(): own
HTTP session, the same pause gate, so a 429 with Retry-After pauses them all). A reader answered
429 leaves the listing (pool.ThrottledPool), so it settles at the concurrency the API accepts. Page 2 is
checked as soon as it arrives: its link proves the page numbers work, and a server that repeats a
page is refused then, with no page sent after it (not after reading up to MAX_PAGES). The pages
are checked to fit together (pages.py); when the account changed while they were read, the whole
list is read again, a bounded number of times. A list that still comes back short is handled by
completeness.py: refused, or returned with a warning to a caller that only reports.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import concurrent.futures
import threading
from urllib.parse import urljoin, urlsplit

from ansible_collections.vpsorg.cloud.plugins.module_utils import answers, completeness, contract, pages
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import NotTheApiError, VpsApiError
from ansible_collections.vpsorg.cloud.plugins.module_utils.pool import ThrottledPool

# A listing that has not ended after this many pages is a misbehaving server, not an account.
MAX_PAGES = 10000
# Concurrent page reads of one listing: 100 pages at 100 ms take ~0.8 s instead of ~10 s. An API
# that takes fewer at a time says so with 429, and the listing slows down to that (ThrottledPool).
DEFAULT_PAGE_CONCURRENCY = 16
# More readers than this no longer shorten a listing (each page's JSON is parsed by the one
# interpreter), but do open that many connections to the API at once: a typo such as 1000 is
# refused rather than taken as a flood.
MAX_PAGE_CONCURRENCY = 64
# The same bound for the detail reads after a listing (the inventory's fetch_details): each is a
# connection to the API, and more at a time than this only floods it.
MAX_DETAILS_CONCURRENCY = 64
# Reads of the whole list before giving up on pages that fit together (an account that changes
# faster than it can be listed): 1 read and 2 re-reads.
MAX_READS = 3


class Listing:
    """Mixed into the client over a Transport: `request`, `error`, `api_url`, `worker` come from there."""

    def __init__(self, *args, page_concurrency=DEFAULT_PAGE_CONCURRENCY, warn=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Both are plain attributes, so a caller may set them after the client is made.
        self.page_concurrency = page_concurrency
        self.warn = warn
        # Pages of the last listing read: what reading it again costs (polling.PollCosts).
        self.listed_pages = None

    def _relative(self, url):
        """The path below api_url of a `next` link.

        The link is absolute, but the token only ever goes to api_url's own host: a proxy or a
        misconfigured server must not be able to send it elsewhere.
        """
        parts = urlsplit(urljoin(self.api_url + "/", url))
        path = parts.path
        if path.startswith(self._base_path):
            path = path[len(self._base_path) :]
        return path + ("?" + parts.query if parts.query else "")

    def _page(self, path, params=None, gone_ok=False):
        """One page; with gone_ok, pages.Gone for a page answered 404 / 410 in the API's JSON."""
        try:
            page = self.request("GET", path, params)
        except VpsApiError as exc:
            if exc.status in (404, 410) and not isinstance(exc, NotTheApiError) and gone_ok:
                return pages.Gone(exc.status)
            if exc.status == 404 and not isinstance(exc, NotTheApiError):
                raise self.error(
                    NotTheApiError,
                    f"api_url {self.api_url} has no server list: GET {path} answered HTTP 404; check api_url",
                    404,
                    "GET",
                    path,
                ) from None
            raise
        problem = answers.page_problem(page)
        if problem:
            raise self.error(
                NotTheApiError,
                f"api_url {self.api_url} does not look like the VPS.org API: {problem}",
                200,
                "GET",
                path,
            )
        return page

    def _endless(self, path, why):
        return self.error(
            NotTheApiError,
            f"api_url {self.api_url}: the server list's pagination does not end ({why})",
            200,
            "GET",
            path,
        )

    def list_servers(self, filters=None, page_size=None, partial_ok=False):
        """Every server matching the server-side filters, each once, in the API's order.

        A list that comes back short raises IncompleteListingError, unless partial_ok (for callers
        that only report): then the servers read are returned with a warning (completeness.py).
        """
        params = {key: value for key, value in (filters or {}).items() if value is not None}
        params[contract.PAGE_SIZE_PARAM] = page_size or contract.DEFAULT_PAGE_SIZE
        reads, counts, whys, readers = [], [], [], page_readers(self)
        try:
            for _attempt in range(MAX_READS):
                first = self._page(contract.SERVERS_PATH, params)
                layout = pages.plan(first, contract.SERVERS_PATH, params, self._relative)
                if layout is None:
                    return self._follow(first, partial_ok)
                self.listed_pages = layout.pages
                if layout.pages > MAX_PAGES:
                    raise self._endless(contract.SERVERS_PATH, f"{layout.pages} pages")
                read = {1: first, **self._pages(layout, range(2, layout.pages + 1), readers)}
                why = pages.mismatch(layout, read)
                if why is None:
                    return pages.assemble(read)
                reads.append(read)
                counts.append(layout.count)
                whys.append(why)
                self.log(f"the server list changed while it was read ({why}); reading it again")
        finally:
            self.request_count += sum(worker.request_count for worker in readers.clients)
            if readers.clients:
                # A client that lists again (the event source) starts where the API's limit left it.
                self.page_concurrency = min(self.page_concurrency, readers.most)
        gone = any(isinstance(page, pages.Gone) for read in reads for page in read.values())
        seen = completeness.unsettled(counts, whys, gone)
        return completeness.short(self, pages.union(reads), seen, partial_ok)

    def newest_servers(self, wanted, page_size=None):
        """The servers of `wanted` (ids) that the last pages of the list show, and the pages read.

        Reads the last page (contract.LAST_PAGE), then the page before it only while at least two
        wanted servers are still unseen and older than every server read (one page costs less than
        reading them alone), and never more pages than servers wanted. An API that names no last
        page (404 or 410 in its JSON) gives ({}, 1): every server missed, which makes asking again
        dearer than reading them alone (polling.PollCosts).
        """
        wanted = set(wanted)
        params = {
            contract.PAGE_SIZE_PARAM: page_size or contract.DEFAULT_PAGE_SIZE,
            contract.PAGE_PARAM: contract.LAST_PAGE,
        }
        page = self._page(contract.SERVERS_PATH, params, gone_ok=True)
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
            page = self._page(self._relative(link), gone_ok=True)
            read += 1
        return found, read

    def _check_second(self, layout, second):
        link = second.get(contract.PAGE_NEXT) if isinstance(second, dict) else None
        following = pages.linked_page(layout, link, self._relative) if link else None
        if link and layout.pages > 2 and following is not None and following != 3:
            raise self._endless(pages.page_path(layout, 2), f"page 2 links to page {following}")

    def _pages(self, layout, numbers, readers):
        """Pages by number, read by the calling client alone or by `readers` (sibling clients).

        Once a page fails (page 2 that links elsewhere included), no page is sent after it.
        """
        numbers = list(numbers)
        if min(self.page_concurrency or 1, len(numbers)) <= 1:
            return {number: self._numbered(self, layout, number) for number in numbers}
        count = readers.start(len(numbers))
        failed = threading.Event()

        def read(number):
            if failed.is_set():
                return None  # never used: the failed page's error is raised
            try:
                with readers.take() as client:
                    return self._numbered(client, layout, number)
            except BaseException:
                failed.set()
                raise

        with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
            futures = {number: pool.submit(read, number) for number in numbers}
            try:
                return {number: future.result() for number, future in futures.items()}
            except BaseException:
                # The first failed page (in page order) fails the listing.
                for future in futures.values():
                    future.cancel()
                raise

    def _numbered(self, client, layout, number):
        page = client._page(pages.page_path(layout, number), gone_ok=True)
        if number == 2:
            self._check_second(layout, page)
        return page

    def _follow(self, page, partial_ok):
        """A list whose pages cannot be numbered: follow `next` link by link, dropping repeated ids.

        A link's own query is all that is sent: it carries the filters and the page size. A list
        that stops linking before its count is not read on by guessed page numbers (such a
        request would lose the filters); it ends there, and says so.
        """
        servers, seen_ids, seen_pages = [], set(), set()
        while True:
            self.listed_pages = 1 + len(seen_pages)
            for server in page[contract.PAGE_RESULTS]:
                if server["id"] not in seen_ids:
                    seen_ids.add(server["id"])
                    servers.append(server)
            next_url = page.get(contract.PAGE_NEXT)
            count = page.get(contract.PAGE_COUNT)
            if not next_url:
                if count is not None and len(servers) < count:
                    return completeness.short(self, servers, completeness.unlinked(len(servers), count), partial_ok)
                return servers
            path = self._relative(next_url)
            if path in seen_pages or len(seen_pages) >= MAX_PAGES:
                raise self._endless(path, "page repeated")
            seen_pages.add(path)
            following = self._page(path, gone_ok=True)
            if isinstance(following, pages.Gone):
                seen = completeness.unlinked(len(servers), count, path, following.status)
                return completeness.short(self, servers, seen, partial_ok)
            page = following


def page_readers(client):
    """The page readers of one listing (see pool.ThrottledPool)."""
    return ThrottledPool(client, client.page_concurrency or 1, "reading {} pages")
