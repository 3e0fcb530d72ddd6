"""Filters: every lookup family, negation, relations, repeated parameters and timestamp input rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sim_helpers import Api

ALL = {"page_size": 1250, "empty_response_http_code": 200}


def ids(api: Api, entity: str, query: str = "", **params: Any) -> set[int]:
    answer = api.get(f"{entity}/", query, **{**ALL, **params})
    assert answer.status == 200, answer.body
    return {row["id"] for row in answer.json["results"]}


def records(api: Api, entity: str) -> list[dict[str, Any]]:
    return list(api.sim.records(entity))


def test_exact_and_comparisons_on_integers(api: Api) -> None:
    rows = records(api, "order_dtl")
    middle = sorted(r["seq_nbr"] for r in rows)[len(rows) // 2]
    assert ids(api, "order_dtl", seq_nbr=middle) == {r["id"] for r in rows if r["seq_nbr"] == middle}
    assert ids(api, "order_dtl", seq_nbr__gt=1) == {r["id"] for r in rows if r["seq_nbr"] > 1}
    assert ids(api, "order_dtl", seq_nbr__gte=2, seq_nbr__lte=3) == {
        r["id"] for r in rows if 2 <= r["seq_nbr"] <= 3
    }
    assert ids(api, "order_dtl", seq_nbr__lt=2) == {r["id"] for r in rows if r["seq_nbr"] < 2}


def test_in_range_and_isnull(api: Api) -> None:
    rows = records(api, "order_hdr")
    assert ids(api, "order_hdr", status_id__in="90,99") == {
        r["id"] for r in rows if r["status_id"] in (90, 99)
    }
    assert ids(api, "order_hdr", status_id__range="10,50") == {
        r["id"] for r in rows if 10 <= r["status_id"] <= 50
    }
    shipped = {r["id"] for r in rows if r["order_shipped_ts"] is not None}
    assert shipped
    assert ids(api, "order_hdr", order_shipped_ts__isnull="false") == shipped
    assert ids(api, "order_hdr", order_shipped_ts__isnull="true") == {r["id"] for r in rows} - shipped


@pytest.mark.parametrize(
    ("lookup", "value", "check"),
    [
        ("contains", "000101", lambda v: "000101" in v),
        ("icontains", "rd000100010", lambda v: "rd000100010" in v.lower()),
        ("startswith", "ORD000100000", lambda v: v.startswith("ORD000100000")),
        ("istartswith", "ord000100000", lambda v: v.lower().startswith("ord000100000")),
        ("endswith", "7", lambda v: v.endswith("7")),
        ("iendswith", "7", lambda v: v.endswith("7")),
        ("iexact", "ord0001000005", lambda v: v.lower() == "ord0001000005"),
    ],
)
def test_string_lookups(api: Api, lookup: str, value: str, check: Any) -> None:
    expected = {r["id"] for r in records(api, "order_hdr") if check(r["order_nbr"])}
    assert expected
    assert ids(api, "order_hdr", **{f"order_nbr__{lookup}": value}) == expected


def test_negation_with_bang(api: Api) -> None:
    rows = records(api, "order_hdr")
    assert ids(api, "order_hdr", "status_id__in!=90,99") == {
        r["id"] for r in rows if r["status_id"] not in (90, 99)
    }
    assert ids(api, "order_hdr", "order_nbr__endswith!=7") == {
        r["id"] for r in rows if not r["order_nbr"].endswith("7")
    }


def test_relation_filters(api: Api) -> None:
    hdrs = records(api, "order_hdr")
    facility = hdrs[0]["facility_id"]["key"]
    company = hdrs[0]["company_id"]["key"]
    expected = {
        r["id"] for r in hdrs if r["facility_id"]["key"] == facility and r["company_id"]["key"] == company
    }
    assert ids(api, "order_hdr", facility_id__code=facility, company_id__code=company) == expected
    order_nbr = hdrs[3]["order_nbr"]
    lines = {r["id"] for r in records(api, "order_dtl") if r["order_id"]["id"] == hdrs[3]["id"]}
    assert ids(api, "order_dtl", order_id__order_nbr=order_nbr) == lines
    chained = ids(api, "allocation", order_dtl_id__order_id__facility_id__code=facility)
    line_ids = {
        r["id"]
        for r in records(api, "order_dtl")
        if r["order_id"]["id"] in {h["id"] for h in hdrs if h["facility_id"]["key"] == facility}
    }
    assert chained == {r["id"] for r in records(api, "allocation") if r["order_dtl_id"]["id"] in line_ids}


def test_fk_field_filters_on_id(api: Api) -> None:
    facility_id = records(api, "order_hdr")[0]["facility_id"]["id"]
    expected = {r["id"] for r in records(api, "order_hdr") if r["facility_id"]["id"] == facility_id}
    assert ids(api, "order_hdr", facility_id=facility_id) == expected


def test_repeated_parameter_last_occurrence_wins(api: Api) -> None:
    rows = records(api, "order_hdr")
    assert ids(api, "order_hdr", "status_id=0&status_id=90") == {
        r["id"] for r in rows if r["status_id"] == 90
    }


def test_unknown_filter_field_and_bad_values_are_400(api: Api) -> None:
    for query in (
        "nope=1",
        "status_id=abc",
        "facility_id__nope=1",
        "order_shipped_ts__isnull=maybe",
        "mod_ts=yesterday",
    ):
        answer = api.get("order_hdr/", query)
        assert answer.status == 400, query
        assert answer.json["code"] == "VALIDATION_ERROR"
        assert answer.json["message"]


def _mod_ts_ids(api: Api, low: datetime, high: datetime) -> set[int]:
    versions = api.sim.versions("order_hdr")
    return {i for i, ts in versions.items() if low <= datetime.fromisoformat(ts) < high}


def test_offset_aware_timestamps_are_honoured(api: Api) -> None:
    high = api.sim.now()
    low = high - timedelta(hours=12)
    query = (
        f"mod_ts__gte={low.isoformat().replace('+', '%2B')}&mod_ts__lt={high.isoformat().replace('+', '%2B')}"
    )
    expected = _mod_ts_ids(api, low, high)
    assert expected
    assert ids(api, "order_hdr", query) == expected


def test_naive_timestamps_are_read_in_the_default_facility_zone(api: Api) -> None:
    zone = ZoneInfo("America/Sao_Paulo")  # the API user's default facility (SAO01)
    high_local = api.sim.now().astimezone(zone).replace(tzinfo=None)
    low_local = high_local - timedelta(hours=12)
    expected = _mod_ts_ids(api, low_local.replace(tzinfo=zone), high_local.replace(tzinfo=zone))
    assert expected
    assert (
        ids(api, "order_hdr", mod_ts__gte=low_local.isoformat(), mod_ts__lt=high_local.isoformat())
        == expected
    )
    as_utc = _mod_ts_ids(api, low_local.replace(tzinfo=UTC), high_local.replace(tzinfo=UTC))
    assert as_utc != expected  # proves the naive value was not read as UTC


def test_unencoded_plus_in_an_offset_is_a_clear_400(api: Api) -> None:
    answer = api.get("order_hdr/", "mod_ts__gte=2026-01-01T00:00:00+00:00")
    assert answer.status == 400
    assert "%2B" in answer.json["message"]


def test_date_part_lookups(api: Api) -> None:
    rows = records(api, "order_hdr")
    day = datetime.fromisoformat(rows[-1]["create_ts"]).astimezone(ZoneInfo("America/Sao_Paulo"))
    expected = {
        r["id"]
        for r in rows
        if datetime.fromisoformat(r["create_ts"]).astimezone(ZoneInfo("America/Sao_Paulo")).day == day.day
    }
    assert ids(api, "order_hdr", create_ts__day=day.day) == expected
    assert ids(api, "order_hdr", create_ts__year=day.year) == {
        r["id"]
        for r in rows
        if datetime.fromisoformat(r["create_ts"]).astimezone(ZoneInfo("America/Sao_Paulo")).year == day.year
    }


def test_decimal_and_boolean_filters(api: Api) -> None:
    rows = records(api, "allocation")
    assert ids(api, "allocation", alloc_qty__gte="20") == {r["id"] for r in rows if int(r["alloc_qty"]) >= 20}
    assert ids(api, "allocation", is_picking_flg="true") == {r["id"] for r in rows if r["is_picking_flg"]}
