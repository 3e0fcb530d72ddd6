"""A key-scan full sync's `<entity>__seen` stream: its ids are recorded as seen for the entity, and
nothing else is written (no raw table, no audit row)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from warehouse_testing import query, run_target

SEEN_SCHEMA = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "mod_ts": {"type": ["string", "null"], "format": "date-time"}},
}


def seen_lines(*ids: int) -> str:
    lines = [
        {"type": "SCHEMA", "stream": "allocation__seen", "schema": SEEN_SCHEMA, "key_properties": ["id"]}
    ]
    lines += [
        {
            "type": "RECORD",
            "stream": "allocation__seen",
            "record": {"id": record_id, "mod_ts": "2025-09-15T09:35:59.926171-03:00"},
        }
        for record_id in ids
    ]
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def test_seen_ids_are_recorded_for_the_entity_once(warehouse_url: str) -> None:
    config = {"sqlalchemy_url": warehouse_url, "full_sync_id": "fs-1", "run_id": "run-1"}
    run_target(config, seen_lines(7, 3, 7))
    run_target({**config, "run_id": "run-1-retry"}, seen_lines(3, 9))  # a retried partition

    seen = query(
        warehouse_url,
        "SELECT sync_id, stream_name, record_id FROM wms_raw.etl_full_sync_seen ORDER BY record_id",
    )
    assert seen == [("fs-1", "allocation", 3), ("fs-1", "allocation", 7), ("fs-1", "allocation", 9)]
    assert query(warehouse_url, "SELECT COUNT(*) FROM wms_raw.etl_load_audit") == [(0,)]
    tables = sa.inspect(sa.create_engine(warehouse_url)).get_table_names(schema="wms_raw")
    assert not [name for name in tables if "seen" in name.lower() and "full_sync" not in name.lower()]


def test_a_seen_stream_without_full_sync_id_is_refused(warehouse_url: str) -> None:
    with pytest.raises(Exception, match="full_sync_id"):
        run_target({"sqlalchemy_url": warehouse_url}, seen_lines(1))
