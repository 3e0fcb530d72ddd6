"""Paged and sequenced pagination, page sizes, ordering and empty results."""

from __future__ import annotations

import base64
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from sim_helpers import Api, basic, fetch


@pytest.mark.parametrize("mode", ["paged", "sequenced"])
def test_following_next_page_returns_every_record_exactly_once(api: Api, mode: str) -> None:
    rows = api.walk(api.url("order_dtl/", page_mode=mode, page_size=37))
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(api.sim.versions("order_dtl"))


def test_paged_envelope_counts_pages_and_links_keep_parameters_sorted(api: Api) -> None:
    total = len(api.sim.versions("allocation"))
    answer = api.get("allocation/", page_size=50, ordering="-id", page=2)
    body = answer.json
    assert list(body) == ["result_count", "page_count", "page_nbr", "next_page", "previous_page", "results"]
    assert body["result_count"] == total
    assert body["page_count"] == -(-total // 50)
    assert body["page_nbr"] == 2
    next_query = urlsplit(body["next_page"]).query
    keys = [key for key, _ in parse_qsl(next_query)]
    assert keys == sorted(keys) == ["ordering", "page", "page_size"]
    assert body["next_page"].startswith(f"{api.server.root}/")
    assert "page=" not in body["previous_page"]  # DRF drops page=1


def test_sequenced_cursor_is_base64_of_the_last_id(api: Api) -> None:
    body = api.get("allocation", page_mode="sequenced", page_size=10, ordering="id").json
    assert set(body) == {"next_page", "previous_page", "results"}
    cursor = dict(parse_qsl(urlsplit(body["next_page"]).query))["cursor"]
    assert base64.b64decode(cursor).decode() == f"p={body['results'][-1]['id']}"
    assert body["previous_page"] is None


def test_sequenced_walk_by_descending_mod_ts_has_no_gaps_or_duplicates(api: Api) -> None:
    rows = api.walk(api.url("order_hdr/", page_mode="sequenced", page_size=9, ordering="-mod_ts"))
    stamps = [row["mod_ts"] for row in rows]
    assert len({row["id"] for row in rows}) == len(rows) == len(api.sim.versions("order_hdr"))
    parsed = [datetime.fromisoformat(stamp) for stamp in stamps]
    assert parsed == sorted(parsed, reverse=True)


def test_sequenced_previous_page_leads_back(api: Api) -> None:
    first = api.get("order_hdr", page_mode="sequenced", page_size=5).json
    second = fetch(first["next_page"], auth=basic()).json
    back = fetch(second["previous_page"], auth=basic()).json
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]


def test_default_page_size_is_100_and_limit_is_1250(api: Api) -> None:
    assert len(api.get("order_dtl/").json["results"]) == 100
    assert len(api.get("order_dtl/", page_size=1250).json["results"]) == min(
        1250, len(api.sim.versions("order_dtl"))
    )
    too_big = api.get("order_dtl/", page_size=1251)
    assert too_big.status == 400
    assert set(too_big.json) == {"reference", "code", "message", "details"}


def test_page_beyond_the_end_is_404(api: Api) -> None:
    assert api.get("order_hdr/", page=999).status == 404


def test_ordering_by_several_fields(api: Api) -> None:
    rows = api.get("order_hdr/", ordering="status_id,-id", page_size=500).json["results"]
    keys = [(row["status_id"], -row["id"]) for row in rows]
    assert keys == sorted(keys)


def test_unknown_ordering_field_is_400(api: Api) -> None:
    assert api.get("order_hdr/", ordering="nope").status == 400


def test_empty_result_is_404_by_default_with_error_envelope(api: Api) -> None:
    answer = api.get("order_hdr/", order_nbr="NO-SUCH-ORDER")
    assert answer.status == 404
    assert set(answer.json) == {"reference", "code", "message", "details"}


def test_empty_response_http_code_200_and_204(api: Api) -> None:
    ok = api.get("order_hdr/", order_nbr="NO-SUCH-ORDER", empty_response_http_code=200)
    assert ok.status == 200
    assert ok.json["results"] == []
    assert ok.json["result_count"] == 0
    no_content = api.get("order_hdr/", order_nbr="NO-SUCH-ORDER", empty_response_http_code=204)
    assert (no_content.status, no_content.body) == (204, b"")
    assert api.get("order_hdr/", empty_response_http_code=201).status == 400


def test_fields_limits_the_representation(api: Api) -> None:
    rows = api.get("allocation/", fields="id,mod_ts,alloc_qty", page_size=3).json["results"]
    assert all(set(row) == {"id", "mod_ts", "alloc_qty"} for row in rows)


def test_trailing_slash_and_double_slash_are_optional(api: Api) -> None:
    with_slash = api.get("order_hdr/", page_size=3).json["results"]
    without = api.get("order_hdr", page_size=3).json["results"]
    doubled = api.get("/order_hdr", page_size=3).json["results"]
    assert with_slash == without == doubled


@pytest.mark.parametrize("mode", ["paged", "sequenced"])
def test_the_opt_in_foreign_next_page_mode_points_links_elsewhere_until_reset(api: Api, mode: str) -> None:
    foreign = "http://127.0.0.2:9"
    api.sim.next_page_root = foreign
    body = api.get("allocation/", page_mode=mode, page_size=10).json
    assert body["next_page"].startswith(f"{foreign}/{api.sim.config.environment}/wms/lgfapi/v10/entity/")
    api.sim.reset()
    assert api.get("allocation/", page_mode=mode, page_size=10).json["next_page"].startswith(api.server.root)
