# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the whole server list, page by page.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from ansible_collections.vpsorg.cloud.plugins.module_utils import answers, contract
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import NotTheApiError, VpsApiError

# A listing that has not ended after this many pages is a misbehaving server, not an account.
MAX_PAGES = 10000


class Listing:
    """Mixed into the client over a Transport: `request`, `error`, `api_url` come from there."""

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

    def _page(self, path, params):
        try:
            page = self.request("GET", path, params)
        except VpsApiError as exc:
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

    def list_servers(self, filters=None, page_size=None):
        """Every server matching the server-side filters, following `next` to the end."""
        params = {key: value for key, value in (filters or {}).items() if value is not None}
        params[contract.PAGE_SIZE_PARAM] = page_size or contract.DEFAULT_PAGE_SIZE
        servers, seen_ids, seen_pages = [], set(), set()
        path, page_number = contract.SERVERS_PATH, 1
        while True:
            page = self._page(path, params)
            results = page[contract.PAGE_RESULTS]
            for server in results:
                # A server created or deleted while we page can shift items between pages.
                if server["id"] not in seen_ids:
                    seen_ids.add(server["id"])
                    servers.append(server)
            next_url = page.get(contract.PAGE_NEXT)
            if next_url:
                path, params = self._relative(next_url), None
            elif contract.PAGE_NEXT not in page and results and len(servers) < (page.get(contract.PAGE_COUNT) or 0):
                # Fallback for a server that paginates without `next` links.
                page_number += 1
                params = dict(params or {}, **{contract.PAGE_PARAM: page_number})
            else:
                return servers
            key = path + repr(sorted((params or {}).items()))
            if key in seen_pages or len(seen_pages) >= MAX_PAGES:
                raise self.error(
                    NotTheApiError,
                    f"api_url {self.api_url}: the server list's pagination does not end (page repeated)",
                    200,
                    "GET",
                    path,
                )
            seen_pages.add(key)
