"""Paged and sequenced (cursor) pagination over an evaluated, ordered result (reference §5).

Cursors follow Django REST framework's CursorPagination encoding: base64 of ``o=<offset>&r=1&p=<position>``
where ``p`` is the first ordering field's value of the last (or, with ``r=1``, first) row of the previous
page, ``o`` counts rows sharing that value that were already returned (omitted when 0) and ``r`` marks a
backwards cursor. With unique ids the cursor is simply ``p=<last id>``, e.g. ``cD0xNDAw`` = ``p=1400``.
Links are absolute, keep every other parameter and list the query keys alphabetically.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .errors import ApiError


@dataclass(frozen=True)
class Page:
    positions: Sequence[int]
    body_meta: dict[str, Any]  # envelope keys other than "results", in output order


def link(base: str, params: dict[str, str], **changes: str | None) -> str:
    merged = dict(params)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    query = urlencode(sorted(merged.items()))
    return f"{base}?{query}" if query else base


def paged(result: Sequence[int], page: int, size: int, base: str, params: dict[str, str]) -> Page:
    count = len(result)
    page_count = max(1, math.ceil(count / size))
    if page > page_count:
        raise ApiError(404, "Invalid page.", {"page": page})
    start = (page - 1) * size
    next_page = link(base, params, page=str(page + 1)) if page < page_count else None
    previous = None
    if page > 1:
        previous = link(base, params, page=str(page - 1) if page > 2 else None)
    meta = {
        "result_count": count,
        "page_count": page_count,
        "page_nbr": page,
        "next_page": next_page,
        "previous_page": previous,
    }
    return Page(result[start : start + size], meta)


def encode_cursor(position: str, offset: int = 0, reverse: bool = False) -> str:
    tokens: dict[str, str] = {}
    if offset:
        tokens["o"] = str(offset)
    if reverse:
        tokens["r"] = "1"
    tokens["p"] = position
    return base64.b64encode(urlencode(tokens).encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, int, bool]:
    try:
        tokens = dict(
            parse_qsl(base64.b64decode(cursor.encode(), validate=True).decode(), keep_blank_values=True)
        )
        return tokens["p"], int(tokens.get("o", "0")), tokens.get("r") == "1"
    except (binascii.Error, UnicodeDecodeError, KeyError, ValueError):
        raise ApiError(404, "Invalid cursor.", {"cursor": cursor}) from None


def sequenced(
    result: Sequence[int],
    size: int,
    cursor: str | None,
    key: Callable[[int], Any],
    encode: Callable[[Any], str],
    decode: Callable[[str], Any],
    base: str,
    params: dict[str, str],
) -> Page:
    """One cursor page; ``key`` is the first ordering field's sort key (already direction-adjusted)."""
    if cursor is None:
        start, end = 0, min(size, len(result))
    else:
        raw_position, offset, reverse = decode_cursor(cursor)
        position = decode(raw_position)
        first_at = _first_at_or_after(result, position, key)
        if reverse:
            end = min(first_at + offset, len(result))
            start = max(0, end - size)
        else:
            # rows sharing the position: offset + 1 of them were returned already (none if it vanished)
            start = min(first_at + offset + 1, _first_after(result, position, key))
            end = min(len(result), start + size)
    start = min(start, len(result))
    rows = result[start:end]
    next_page = previous = None
    if rows and end < len(result):
        last = key(rows[-1])
        ties = end - _first_at_or_after(result, last, key)
        next_page = link(base, params, cursor=encode_cursor(encode(last), ties - 1))
    if rows and start > 0:
        first = key(rows[0])
        before = start - _first_at_or_after(result, first, key)
        previous = link(base, params, cursor=encode_cursor(encode(first), before, reverse=True))
    return Page(rows, {"next_page": next_page, "previous_page": previous})


def _first_after(result: Sequence[int], position: Any, key: Callable[[int], Any]) -> int:
    low, high = 0, len(result)
    while low < high:
        middle = (low + high) // 2
        if position < key(result[middle]):
            high = middle
        else:
            low = middle + 1
    return low


def _first_at_or_after(result: Sequence[int], position: Any, key: Callable[[int], Any]) -> int:
    low, high = 0, len(result)
    while low < high:
        middle = (low + high) // 2
        if key(result[middle]) < position:
            low = middle + 1
        else:
            high = middle
    return low
