"""What the tap emits: schema drift announced, windows independent of state, filters per entity."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest
from singer_run import run_tap
from stub_wms import StubWMS, make_record

from tap_oracle_wms.tap import TapOracleWMS


def test_unannounced_fields_are_kept_and_announced_before_the_record(
    stub_wms: StubWMS, stub_config: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    drifted = {
        **make_record(13),
        "new_note": "fragile",
        "mhe_system_id": {"id": 55, "key": "INDUCAO", "url": ""},
    }
    stub_wms.records[12] = drifted

    output = run_tap(stub_config)

    records = output.records["allocation"]
    assert len(records) == 25
    assert records[12]["new_note"] == "fragile"
    assert (records[12]["mhe_system_id"], records[12]["mhe_system_key"]) == (55, "INDUCAO")
    kinds = [(m["type"], m.get("record", {}).get("id")) for m in output.messages if m["type"] != "STATE"]
    announced_at = kinds.index(("SCHEMA", None), 1)
    assert kinds[announced_at + 1] == ("RECORD", 13), "the new SCHEMA comes right before the record"
    new_schema = output.schemas("allocation")[-1]["schema"]["properties"]
    assert new_schema["new_note"] == {"type": ["string", "null"]}
    assert new_schema["mhe_system_id"] == {"type": ["integer", "null"]}
    assert new_schema["mhe_system_key"] == {"type": ["string", "null"]}
    assert "new_note" in caplog.text
    assert any(r.levelno == logging.WARNING and "not announced" in r.getMessage() for r in caplog.records)


def test_start_date_wins_over_an_incoming_state_bookmark(
    stub_wms: StubWMS, stub_config: dict[str, Any]
) -> None:
    state = {
        "bookmarks": {
            "allocation": {"replication_key": "mod_ts", "replication_key_value": "2026-03-01T00:00:00+00:00"}
        }
    }
    config = {**stub_config, "start_date": "2026-01-05T06:00:00+00:00", "lookback_minutes": 30}

    run_tap(config, state=state)

    assert stub_wms.list_requests()[0].query["mod_ts__gte"] == "2026-01-05T05:30:00+00:00"


def test_full_sync_ignores_a_state_bookmark(stub_wms: StubWMS, stub_config: dict[str, Any]) -> None:
    state = {
        "bookmarks": {
            "allocation": {"replication_key": "mod_ts", "replication_key_value": "2026-03-01T00:00:00+00:00"}
        }
    }

    output = run_tap({**stub_config, "id_min": 3, "id_max": 17}, state=state)

    assert [record["id"] for record in output.records["allocation"]] == list(range(3, 18))
    first = stub_wms.list_requests()[0].query
    assert "mod_ts__gte" not in first
    assert (first["id__gte"], first["id__lte"]) == ("3", "17")


def test_facility_and_company_filters_skip_entities_without_those_fields(
    stub_wms: StubWMS, stub_config: dict[str, Any]
) -> None:
    run_tap({**stub_config, "facility_code": "FAC1", "company_code": "COM1"})

    query = stub_wms.list_requests()[0].query
    assert "facility_id__code" not in query
    assert "company_id__code" not in query


def test_a_property_deselected_in_the_catalog_is_left_out_of_every_record(
    stub_config: dict[str, Any],
) -> None:
    catalog = TapOracleWMS(config=stub_config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == ["properties", "pick_user"]:
                metadata["metadata"]["selected"] = False

    records = run_tap(stub_config, catalog=catalog).records["allocation"]

    assert [record["id"] for record in records] == list(range(1, 26))
    assert not any("pick_user" in record for record in records)
    assert all(record["alloc_qty"] == 16 and record["order_dtl_key"] for record in records)


def test_a_decimal_sent_as_nan_is_emitted_as_text_for_the_loader_to_quarantine(
    stub_wms: StubWMS, stub_config: dict[str, Any]
) -> None:
    # lgfapi sends decimals as strings; the SDK's conformance used to turn "NaN" into null, silently.
    stub_wms.records[4] = {**make_record(5), "alloc_qty": "NaN"}
    stub_wms.records[5] = {**make_record(6), "alloc_qty": "-Infinity"}

    records = run_tap(stub_config).records["allocation"]

    assert len(records) == 25
    assert (records[4]["alloc_qty"], records[5]["alloc_qty"]) == ("NaN", "-Infinity")
    assert records[3]["alloc_qty"] == Decimal(16)
