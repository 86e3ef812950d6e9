"""DRF page-number pagination: ``page``/``page_size`` parameters, capped size, absolute next/previous links."""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


class InvalidPage(Exception):
    pass


def page_size(raw: str | None, default: int, cap: int) -> int:
    # DRF falls back to the default size for anything that is not a positive integer.
    try:
        size = int(raw) if raw is not None else default
    except ValueError:
        return default
    if size <= 0:
        return default
    return min(size, cap)


def page_number(raw: str | None, count: int, size: int, last: bool = True) -> int:
    """The page asked for; with ``last`` false the word ``last`` is unknown, as on an API that never offered it."""
    pages = max(1, math.ceil(count / size))
    if raw is None or raw == "":
        return 1
    if raw == "last" and last:
        return pages
    try:
        number = int(raw)
    except ValueError:
        raise InvalidPage from None
    if number < 1 or number > pages:
        raise InvalidPage
    return number


def _with_page(url: str, page: int | None) -> str:
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = dict(parse_qsl(query, keep_blank_values=True))
    params.pop("page", None)
    if page is not None:
        params["page"] = str(page)
    return urlunsplit((scheme, netloc, path, urlencode(sorted(params.items())), fragment))


def links(url: str, page: int, count: int, size: int) -> tuple[str | None, str | None]:
    pages = max(1, math.ceil(count / size))
    following = _with_page(url, page + 1) if page < pages else None
    previous = None if page <= 1 else _with_page(url, None if page == 2 else page - 1)
    return following, previous
