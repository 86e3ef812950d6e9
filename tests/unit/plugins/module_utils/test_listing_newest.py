"""Looking for servers just created on the newest pages of the list (page=last, then `previous`)."""

from __future__ import annotations

import json
import math
import random
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses
from ansible_collections.vpsorg.cloud.plugins.module_utils.client import VpsClient
from ansible_collections.vpsorg.cloud.plugins.module_utils.errors import NotTheApiError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

API = "https://api.test/api/v1"
SERVERS = API + "/servers/"
LIST = re.compile(re.escape(SERVERS) + r"(\?.*)?$")


class DrfList:
    """DRF page-number pagination over `ids` in the order given, with `page=last` unless told not to.

    `shrink_to`: after the first page is served, the list holds only that many servers (the rest
    were deleted), so a `previous` link read afterwards may name a page that is no longer there.
    """

    def __init__(self, ids, last_keyword=True, previous_host=API, shrink_to=None):
        self.ids = list(ids)
        self.last_keyword = last_keyword
        self.previous_host = previous_host
        self.shrink_to = shrink_to
        self.asked = []

    def __call__(self, request):
        query = {key: values[0] for key, values in parse_qs(urlsplit(request.url).query).items()}
        if self.asked and self.shrink_to is not None:
            self.ids = self.ids[: self.shrink_to]
        self.asked.append(query.get("page", "1"))
        size = int(query.get("page_size", 20))
        pages = max(1, math.ceil(len(self.ids) / size))
        raw = query.get("page", "1")
        number = pages if raw == "last" and self.last_keyword else int(raw) if raw.isdigit() else 0
        if not 1 <= number <= pages:
            return 404, {"Content-Type": "application/json"}, json.dumps({"detail": "Invalid page."})
        previous = None
        if number > 1:
            previous = self.previous_host + "/servers/?" + urlencode({"page": number - 1, "page_size": size})
        chunk = self.ids[(number - 1) * size : number * size]
        body = {
            "count": len(self.ids),
            "next": None,
            "previous": previous,
            "results": [{"id": i, "name": f"web-{i}", "status": "provisioning"} for i in chunk],
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body)


def newest(api, account, wanted):
    api.add_callback(responses.GET, LIST, callback=account)
    client = VpsClient(API, "tok-0123456789", retries=1, rng=random.Random(1), sleep=lambda s: None)
    found, read = client.newest_servers(wanted)
    assert client.request_count == read == len(account.asked)
    return found, read


def test_five_new_servers_after_ten_thousand_are_one_request(api):
    account = DrfList(range(1, 10006))
    found, read = newest(api, account, range(10001, 10006))
    assert sorted(found) == list(range(10001, 10006)) and read == 1 and account.asked == ["last"]
    assert found[10003] == {"id": 10003, "name": "web-10003", "status": "provisioning"}


def test_new_servers_over_two_pages_cost_the_page_before_as_well(api):
    account = DrfList(range(1, 10004))  # 9,998 + 5: page 101 holds three of them, page 100 two
    found, read = newest(api, account, range(9999, 10004))
    assert sorted(found) == list(range(9999, 10004)) and account.asked == ["last", "100"] and read == 2


def test_one_server_older_than_the_last_page_is_left_to_be_read_alone(api):
    account = DrfList(range(1, 10004))
    found, read = newest(api, account, [5000, 10002, 10003])
    assert sorted(found) == [10002, 10003] and read == 1


def test_servers_deleted_from_the_last_pages_range_are_not_looked_for_before_it(api):
    # 10,003 and 10,004 are gone: the last page starts at 9,901, so they cannot be on page 100.
    account = DrfList([*range(1, 10003), 10005])
    found, read = newest(api, account, [10003, 10004, 10005])
    assert sorted(found) == [10005] and account.asked == ["last"] and read == 1


def test_a_page_before_that_is_gone_ends_the_search_with_what_was_found(api):
    # The list shrank below page 100 between the two reads: no error, the rest are read alone.
    account = DrfList(range(1, 10004), shrink_to=50)
    found, read = newest(api, account, range(9999, 10004))
    assert sorted(found) == [10001, 10002, 10003] and account.asked == ["last", "100"] and read == 2


def test_an_api_without_a_last_page_costs_one_request_and_shows_nothing(api):
    found, read = newest(api, DrfList(range(1, 10006), last_keyword=False), range(10001, 10006))
    assert found == {} and read == 1


def test_an_api_that_is_not_the_vps_api_is_said_to_be_so(api):
    api.add(responses.GET, LIST, body="<html>proxy</html>", status=200, content_type="text/html")
    client = VpsClient(API, "tok-0123456789", retries=1, rng=random.Random(1), sleep=lambda s: None)
    with pytest.raises(NotTheApiError, match=re.escape(API)):
        client.newest_servers([1, 2])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ids=st.lists(st.integers(1, 400), min_size=1, max_size=300, unique=True),
    wanted=st.lists(st.integers(1, 450), min_size=1, max_size=12, unique=True),
)
def test_any_order_shows_only_servers_listed_and_never_reads_more_pages_than_servers_wanted(api, ids, wanted):
    # The reading (id order) may not hold: whatever the order, a server found is one the list holds,
    # as the list shows it, and the cost is bounded by what reading them alone would cost.
    api.reset()
    found, read = newest(api, DrfList(ids), wanted)
    assert set(found) <= set(wanted) & set(ids)
    assert all(found[i]["id"] == i for i in found)
    assert 1 <= read <= len(wanted)
    if sorted(ids) == ids:
        # The reading holds: every wanted server on the list is found, unless one alone is left
        # over or reading on would have cost more pages than reading them alone.
        assert len(set(wanted) & set(ids) - set(found)) <= 1 or read == len(wanted)


def test_old_servers_are_not_walked_to_at_more_pages_than_reading_them_alone(api):
    account = DrfList(range(1, 10006))
    found, read = newest(api, account, [1, 2])
    assert found == {} and account.asked == ["last", "100"] and read == 2


def test_a_previous_link_to_another_host_is_read_from_api_url_only(api):
    # The token only ever goes to api_url's host, whatever the link names.
    account = DrfList(range(1, 10004), previous_host="https://elsewhere.test/api/v1")
    found, read = newest(api, account, range(9999, 10004))
    assert sorted(found) == list(range(9999, 10004)) and read == 2
    assert all(urlsplit(call.request.url).hostname == "api.test" for call in api.calls)
