# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Telling the API's own answers from anything else that can stand at api_url.

A wrong api_url, a captive portal or a proxy's error page answers with HTML or with JSON of
another shape. Taking such an answer for the API's would turn "not the API" into "no such
server" (and so "nothing to delete"). Every answer is checked here before it is believed.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

import json
from collections import namedtuple

from ansible_collections.vpsorg.cloud.plugins.module_utils import contract

# How much of a foreign answer to quote in an error.
SNIPPET_LENGTH = 120
# reading: the API's JSON is a few levels deep. Anything far deeper is not its answer, and
# walking it (scrubbing, wording an error) would exhaust Python's recursion limit.
MAX_DEPTH = 32

Answer = namedtuple("Answer", "body from_api content_type snippet")


def _depth(value):
    """How deeply lists and objects nest in a decoded JSON value, counted up to MAX_DEPTH + 1.

    Level by level and only through containers: a page of a hundred servers is walked in well
    under a millisecond, which matters when ten thousand servers are listed.
    """
    level, current = 0, [value] if isinstance(value, (list, dict)) else []
    while current and level <= MAX_DEPTH:
        level += 1
        nested = []
        for item in current:
            children = item.values() if isinstance(item, dict) else item
            nested.extend(child for child in children if isinstance(child, (list, dict)))
        current = nested
    return level


def read(response, scrub=str):
    """The parsed body of an answer and whether it is shaped like the API's own (JSON).

    The quoted snippet is cut from the whole answer after scrubbing it: a token echoed across
    any cut (of the text or of the bytes) is never left half shown, however long the token.
    """
    content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    raw = response.content or b""
    snippet = scrub(raw.decode("utf-8", "replace"))[:SNIPPET_LENGTH]
    if not raw.strip():
        # reading: only a 204 (DELETE) is empty; any other empty answer is not the API's.
        return Answer(None, response.status_code == 204, content_type, snippet)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return Answer(None, False, content_type, snippet)
    if _depth(body) > MAX_DEPTH:
        return Answer(None, False, content_type, snippet)
    # application/json, or a structured suffix such as application/problem+json; not any type
    # whose name merely ends in the letters (application/notjson).
    subtype = content_type.partition("/")[2]
    json_type = subtype == "json" or subtype.endswith("+json")
    return Answer(body, json_type, content_type, snippet)


def not_the_api(api_url, method, path, status, answer):
    what = answer.content_type or "no content type"
    if answer.snippet.strip():
        what += ": " + repr(answer.snippet)
    else:
        what += ", empty"
    return (
        f"api_url {api_url} does not look like the VPS.org API: {method} {path} answered HTTP {status} "
        f"that is not the API's JSON ({what}). Check api_url (it must end in the API's base path, "
        f"e.g. {contract.DEFAULT_API_URL})"
    )


def scrub_body(body, scrub):
    """A copy of a decoded JSON body with every string scrubbed (bodies are kept on errors)."""
    if isinstance(body, str):
        return scrub(body)
    if isinstance(body, list):
        return [scrub_body(item, scrub) for item in body]
    if isinstance(body, dict):
        return {scrub(key): scrub_body(value, scrub) for key, value in body.items()}
    return body


def server_problem(obj):
    """Why a decoded answer cannot be a server object, or None when it can."""
    if not isinstance(obj, dict):
        return f"a server object was expected, got {type(obj).__name__}"
    for field, kind in contract.SERVER_REQUIRED_FIELDS.items():
        value = obj.get(field)
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"a server object was expected, but its {field!r} is {value!r}"
    return None


def page_problem(obj):
    """Why a decoded answer cannot be a page of the server list, or None when it can."""
    if not isinstance(obj, dict) or not isinstance(obj.get(contract.PAGE_RESULTS), list):
        return f"a page of the server list was expected (an object with a {contract.PAGE_RESULTS!r} list)"
    count = obj.get(contract.PAGE_COUNT)
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
        return f"the page's {contract.PAGE_COUNT!r} is {count!r}, not a number of servers"
    following = obj.get(contract.PAGE_NEXT)
    if following is not None and not isinstance(following, str):
        return f"the page's {contract.PAGE_NEXT!r} is {following!r}, not a link"
    for item in obj[contract.PAGE_RESULTS]:
        problem = server_problem(item)
        if problem:
            return "a page item is not a server: " + problem
    return None
