"""No module creates anything after a server list that came back short, and each says what happened.

The modules run in-process with the real client over a fake HTTP API (responses). Every way a
listing can end short is generated: numbered pages that answer 404 or 410 while `count` holds, a
`next` link to another path, to another host and path, or that drops api_url's path prefix (a
reverse proxy that does not rewrite links), an empty page before `count`, a page that repeats the
one before, and linked (cursor) pages that stop before `count` or whose next page answers 404 / 410.
The server asked for may sit on a page never read, on one that was read, or not exist at all:
without the listing rule a missing one is created (a duplicate when it sits on an unread page).
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlsplit

import responses
from ansible_collections.vpsorg.cloud.plugins.modules.vps_fleet import VpsFleet
from ansible_collections.vpsorg.cloud.plugins.modules.vps_server import VpsServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from module_runner import run_module

HOST = "https://api.test"
JSON = {"Content-Type": "application/json"}
NEW = {"plan_id": 1, "os_id": 5, "location": "us-west"}
NOT_THE_APIS = "those pages are not the API's pages"
STEADY = "the server list's pages do not fit together although the list did not change"
# kind -> what the failure message must say ({k}: the first page that goes wrong, {n}: pages in all).
SAID = {
    "gone-404": [STEADY, "page {k} of {n} answered HTTP 404", NOT_THE_APIS],
    "gone-410": [STEADY, "page {k} of {n} answered HTTP 410", NOT_THE_APIS],
    "next-other-path": [STEADY, "page 2 of {n} answered HTTP 404", NOT_THE_APIS],
    "next-other-host-and-path": [STEADY, "page 2 of {n} answered HTTP 404", NOT_THE_APIS],
    "next-drops-prefix": [STEADY, "page 2 of {n} answered HTTP 404", NOT_THE_APIS],
    "empty-page": [STEADY, "page {k} holds 0 servers instead of"],
    "repeated-page": [STEADY, "is on pages {j} and {k}"],
    "cursor-stops": ["the server list stopped linking to a next page after"],
    "cursor-gone-404": ["the server list's next page", "answered HTTP 404 after"],
    "cursor-gone-410": ["the server list's next page", "answered HTTP 410 after"],
}


def server(number):
    return {"id": 1000 + number, "name": f"web-{number}", "status": "active", "location": "us-west"}


class ShortApi:
    """The account's list of `total` servers in pages of `size`, going wrong from page `k` as `kind` says."""

    def __init__(self, kind, total, size, k):
        self.kind, self.total, self.size, self.k = kind, total, size, k
        self.pages = -(-total // size)
        self.base = "/edge/api/v1" if kind == "next-drops-prefix" else "/api/v1"
        self.requests = []

    def link(self, number):
        if number > self.pages or (self.kind == "cursor-stops" and number >= self.k):
            return None
        if self.kind.startswith("cursor"):
            return f"{HOST}{self.base}/servers/?cursor=c{number}"
        where = {
            "next-other-path": f"{HOST}/elsewhere/servers/",
            "next-other-host-and-path": "https://other.test/v2/servers/",
            "next-drops-prefix": f"{HOST}/api/v1/servers/",
        }.get(self.kind, f"{HOST}{self.base}/servers/")
        return f"{where}?page={number}&page_size={self.size}"

    def page(self, number):
        first = (number - 1) * self.size
        numbers = range(first + 1, min(first + self.size, self.total) + 1)
        if self.kind == "empty-page" and number >= self.k:
            return {"count": self.total, "next": None, "results": []}
        if self.kind == "repeated-page" and number == self.k:
            numbers = range(first + 1 - self.size, first + 1)
        return {"count": self.total, "next": self.link(number + 1), "results": [server(n) for n in numbers]}

    def __call__(self, request):
        parts = urlsplit(request.url)
        self.requests.append((request.method, parts.path))
        query = dict(parse_qsl(parts.query))
        if request.method != "GET" or parts.path != self.base + "/servers/":
            return 404, JSON, json.dumps({"detail": "Not found."})
        number = int(query.get("page") or query.get("cursor", "c1")[1:])
        if self.kind.startswith(("gone", "cursor-gone")) and number >= self.k:
            status = int(self.kind[-3:])
            return status, JSON, json.dumps({"detail": "Invalid page." if status == 404 else "Gone."})
        return 200, JSON, json.dumps(self.page(number))


def run_against(api, module_class, args, monkeypatch):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(r"https://api\.test/.*"), callback=api)
        for method in (responses.POST, responses.PATCH, responses.DELETE):
            mock.add_callback(method, re.compile(r".*"), callback=api)
        args = dict(args, api_url=HOST + api.base, api_retries=0)
        return run_module(module_class, args, None, monkeypatch)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(sorted(SAID)),
    total=st.integers(3, 40),
    size=st.integers(1, 10),
    k=st.integers(2, 10),
    target=st.integers(1, 45),
    fleet=st.booleans(),
)
def test_no_module_creates_anything_after_a_short_listing_and_says_what_happened(
    kind, total, size, k, target, fleet, monkeypatch
):
    size = min(size, total - 1)
    api = ShortApi(kind, total, size, 0)
    api.k = min(k, api.pages) if not kind.startswith("next") else 2
    if kind == "repeated-page" and api.k == api.pages and total % size:
        api.k -= 1  # a repeated last page must be as long as the page it repeats to look whole
    wanted = f"web-{target}"
    if fleet:
        args = {"servers": [{"name": wanted}, {"name": "web-new"}], "defaults": NEW}
        done = run_against(api, VpsFleet, args, monkeypatch)
    else:
        done = run_against(api, VpsServer, dict(NEW, name=wanted), monkeypatch)
    assert [request for request in api.requests if request[0] != "GET"] == []
    assert done.failed and not done.result.get("changed")
    message = done.result["msg"]
    assert message.startswith(f"api_url {HOST}{api.base}: "), message
    for words in SAID[kind]:
        assert words.format(k=api.k, j=api.k - 1, n=api.pages) in message, message
    assert message.endswith("nothing is created, changed or deleted on a list that may miss servers")
    assert done.result["failure"]["reason"] == "incomplete_listing"
