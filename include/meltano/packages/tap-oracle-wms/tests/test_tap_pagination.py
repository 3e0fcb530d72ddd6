"""Page-size rewriting after a 504 keeps the read position exact in both paging modes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tap_oracle_wms.pagination import largest_divisor_at_most, resize_page_url

BASE = "https://host/env/wms/lgfapi/v10/entity/allocation/"


def _query(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def test_sequenced_url_only_changes_page_size() -> None:
    url = f"{BASE}?cursor=cD0xNTIw&mod_ts__gte=2026-01-05T06%3A00%3A00%2B00%3A00&page_mode=sequenced&page_size=1000"

    resized = _query(resize_page_url(url, 500))

    assert resized == {**_query(url), "page_size": "500"}
    assert "%2B00" in resize_page_url(url, 500), "the offset stays URL-encoded"


@pytest.mark.parametrize(
    ("page", "size", "limit"),
    [(2, 1000, 500), (5, 1000, 500), (2, 125, 62), (3, 997, 498), (1, 1000, 500)],
)
def test_paged_url_starts_on_the_same_record(page: int, size: int, limit: int) -> None:
    url = f"{BASE}?page={page}&page_mode=paged&page_size={size}"

    resized = _query(resize_page_url(url, limit))

    new_size = int(resized["page_size"])
    assert new_size <= limit
    assert (int(resized["page"]) - 1) * new_size == (page - 1) * size


def test_url_already_small_enough_is_unchanged() -> None:
    url = f"{BASE}?cursor=abc&page_mode=sequenced&page_size=250"

    assert resize_page_url(url, 500) == url


@pytest.mark.parametrize(
    ("number", "limit", "expected"), [(0, 7, 7), (1000, 500, 500), (125, 62, 25), (997, 498, 1)]
)
def test_largest_divisor_at_most(number: int, limit: int, expected: int) -> None:
    assert largest_divisor_at_most(number, limit) == expected
