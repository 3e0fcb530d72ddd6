"""Paging over lgfapi lists: follow `next_page`, and shrink pages after a gateway timeout.

Both paging modes answer with an absolute `next_page` URL that keeps every query parameter
(`cursor=` in sequenced mode, `page=` in paged mode), so one HATEOAS paginator serves both.
"""

from __future__ import annotations

import sys
import typing as t
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from singer_sdk.exceptions import FatalAPIError
from singer_sdk.pagination import BaseHATEOASPaginator

from tap_oracle_wms.origin import origin_of

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    import requests

    from tap_oracle_wms.client import PayloadCache


class ForeignNextPageError(FatalAPIError):
    """A `next_page` link leads away from the configured WMS (another scheme, host or port)."""


class NextPageLinkPaginator(BaseHATEOASPaginator):
    """Follows the `next_page` link of the lgfapi list envelope until it is null.

    Every request carries the WMS credential (the SDK sets the session's auth), so a link is followed
    only when its scheme, host and port are the configured base URL's; any other link fails the stream.
    """

    def __init__(self, payloads: PayloadCache, base_url: str) -> None:
        super().__init__()
        self._payloads = payloads
        self._base_url = base_url

    @override
    def get_next_url(self, response: requests.Response) -> str | None:
        payload = self._payloads.get(response)
        next_page = payload.get("next_page") if payload else None
        if not next_page:
            return None
        link = str(next_page)
        if origin_of(link) != origin_of(self._base_url):
            msg = (
                f"the WMS answered with a next_page link to {origin_of(link)}, not the configured "
                f"base_url's {origin_of(self._base_url)} ({self._base_url}); refusing to send the "
                f"credential there. Link: {link}"
            )
            raise ForeignNextPageError(msg)
        return link

    @override
    def continue_if_empty(self, response: requests.Response) -> bool:
        # An empty page that still links onwards must not end the walk early.
        return self.get_next_url(response) is not None


def largest_divisor_at_most(number: int, limit: int) -> int:
    """The largest divisor of `number` that is ≤ `limit` (any `limit` divides 0)."""
    if number == 0:
        return limit
    for candidate in range(min(limit, number), 0, -1):
        if number % candidate == 0:
            return candidate
    return 1


def resize_page_url(url: str, page_size: int) -> str:
    """Rewrite `page_size` in a list URL to at most `page_size`, keeping the position exact.

    In sequenced mode the cursor carries the position, so only `page_size` changes. In paged
    mode the position is `(page - 1) * page_size`; the new size must divide that offset so the
    renumbered page starts on exactly the same record (no gap, no overlap).
    """
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    query = dict(params)
    current = int(query.get("page_size") or page_size)
    if current <= page_size:
        return url
    new_size = page_size
    if query.get("page_mode") == "paged" and "page" in query:
        offset = (int(query["page"]) - 1) * current
        new_size = largest_divisor_at_most(offset, page_size)
        query["page"] = str(offset // new_size + 1)
    query["page_size"] = str(new_size)
    # Keep the server's parameter order; only the values change.
    rewritten = [(key, query[key]) for key, _ in params]
    if "page_size" not in dict(params):
        rewritten.append(("page_size", query["page_size"]))
    return urlunsplit(parts._replace(query=urlencode(rewritten)))
