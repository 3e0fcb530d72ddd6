"""History exactly once, set-based batches, audit, full-sync ids and STATE after commit."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from warehouse_testing import DATA_FILES, query, run_target

from target_warehouse.target import TargetWarehouse

Loader = Callable[..., list[dict[str, Any]]]
HISTORY_ROWS = "SELECT id, mod_ts, status_id, alloc_qty, pick_user, is_picking_flg FROM wms_raw.allocation ORDER BY id, mod_ts"


def _records(data_file: str) -> list[str]:
    return [line for line in (DATA_FILES / data_file).read_text().splitlines() if '"RECORD"' in line]


def test_every_version_is_kept_once(warehouse_url: str, load: Loader) -> None:
    load(warehouse_url, "allocation_history.singer", run_id="run-1")
    rows = query(warehouse_url, "SELECT id, mod_ts, etl_run_id FROM wms_raw.allocation ORDER BY id, mod_ts")
    received = len(_records("allocation_history.singer"))
    # Two versions of id 1, one of ids 2 and 3; the in-batch duplicate of id 1 counts once.
    assert [row[0] for row in rows] == [1, 1, 2, 3]
    # Offsets are normalised to UTC: 09:35:59-03:00 is 12:35:59Z, newer than 10:00Z.
    assert [row[1] for row in rows[:2]] == [
        dt.datetime(2025, 9, 15, 10, tzinfo=dt.UTC),
        dt.datetime(2025, 9, 15, 12, 35, 59, 926171, tzinfo=dt.UTC),
    ]
    assert {row[2] for row in rows} == {"run-1"}
    audit = query(
        warehouse_url,
        "SELECT run_id, stream_name, records_received, records_inserted, "
        "records_already_present, records_quarantined FROM wms_raw.etl_load_audit",
    )
    assert audit == [("run-1", "allocation", received, 4, received - 4, 0)]


def test_reloading_the_same_input_changes_nothing_but_the_audit(warehouse_url: str, load: Loader) -> None:
    load(warehouse_url, "allocation_history.singer", run_id="run-1")
    before = query(warehouse_url, "SELECT * FROM wms_raw.allocation ORDER BY id, mod_ts")
    load(warehouse_url, "allocation_history.singer", run_id="run-2")
    assert query(warehouse_url, "SELECT * FROM wms_raw.allocation ORDER BY id, mod_ts") == before
    received = len(_records("allocation_history.singer"))
    audit = query(
        warehouse_url,
        "SELECT records_received, records_inserted, records_already_present "
        "FROM wms_raw.etl_load_audit WHERE run_id = 'run-2'",
    )
    assert audit == [(received, 0, received)]


def test_values_keep_their_types(warehouse_url: str, load: Loader) -> None:
    load(warehouse_url, "allocation_history.singer")
    rows = query(warehouse_url, HISTORY_ROWS)
    assert rows[0][2:] == (90, 540, "picker01", False)
    assert rows[1][2:] == (10, 540, "", True)
    assert float(rows[3][3]) == 1.25  # a decimal string on the wire becomes a number
    extracted = query(warehouse_url, "SELECT etl_extracted_at FROM wms_raw.allocation WHERE id = 2")
    assert extracted == [(dt.datetime(2025, 9, 15, 12, 40, tzinfo=dt.UTC),)]


def test_small_batches_give_the_same_table(warehouse_url: str, load: Loader, tmp_path: Path) -> None:
    reference = f"duckdb:///{tmp_path / 'reference.duckdb'}"
    load(reference, "allocation_history.singer")
    load(warehouse_url, "allocation_history.singer", batch_size_rows=1)
    assert query(warehouse_url, HISTORY_ROWS) == query(reference, HISTORY_ROWS)
    batches = query(warehouse_url, "SELECT records_received FROM wms_raw.etl_load_audit")
    assert batches == [(len(_records("allocation_history.singer")),)]


def test_all_etl_tables_exist_even_without_records(warehouse_url: str) -> None:
    run_target({"sqlalchemy_url": warehouse_url}, "")
    for table in (
        "etl_load_audit",
        "etl_quarantine",
        "etl_full_sync_seen",
        "etl_full_sync_complete",
        "etl_full_sync_decision",
    ):
        assert query(warehouse_url, f"SELECT COUNT(*) FROM wms_raw.{table}") == [(0,)]


def test_full_sync_records_the_ids_it_saw(warehouse_url: str, load: Loader) -> None:
    load(warehouse_url, "allocation_history.singer", full_sync_id="fs-1")
    load(warehouse_url, "allocation_history.singer", full_sync_id="fs-1")  # a retried partition
    seen = query(
        warehouse_url,
        "SELECT sync_id, stream_name, record_id FROM wms_raw.etl_full_sync_seen ORDER BY record_id",
    )
    assert seen == [("fs-1", "allocation", 1), ("fs-1", "allocation", 2), ("fs-1", "allocation", 3)]


def test_state_is_emitted_only_after_its_records_committed(warehouse_url: str) -> None:
    """At the moment each STATE is written, every record before it is in the table."""
    text = (DATA_FILES / "allocation_history.singer").read_text()
    target = TargetWarehouse(config={"sqlalchemy_url": warehouse_url, "batch_size_rows": 2})
    observed: list[int] = []
    engine_dispose = target.target_connector  # the same engine the loader commits with

    def check(state: dict[str, Any]) -> None:
        with engine_dispose.engine.connect() as conn:
            observed.append(conn.exec_driver_sql("SELECT COUNT(*) FROM wms_raw.allocation").scalar_one())

    target._write_state_message = check  # type: ignore[method-assign]
    target.listen(__import__("io").StringIO(text))
    assert observed, "the target emitted no STATE"
    assert observed[-1] == 4


def test_failed_batch_emits_no_state(duckdb_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from target_warehouse import sinks

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(sinks, "write_batch", broken)
    target = TargetWarehouse(config={"sqlalchemy_url": duckdb_url})
    emitted: list[dict[str, Any]] = []
    target._write_state_message = emitted.append  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="went away"):
        target.listen(__import__("io").StringIO((DATA_FILES / "allocation_history.singer").read_text()))
    assert emitted == []


def test_a_finished_duckdb_load_leaves_nothing_in_the_wal(duckdb_url: str, load: Loader) -> None:
    """The loader checkpoints at the end, so the next reader (dbt) does not replay the load first."""
    load(duckdb_url, "allocation_history.singer")
    wal = Path(duckdb_url.removeprefix("duckdb:///") + ".wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert query(duckdb_url, "SELECT COUNT(*) FROM wms_raw.allocation") == [(4,)]


def _rows_by_column(url: str) -> list[dict[str, Any]]:
    """Every row of wms_raw.allocation as {column: value}; names as the database reports them, lower-cased."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            result = conn.exec_driver_sql("SELECT * FROM wms_raw.allocation ORDER BY id, mod_ts")
            names = [str(key).lower() for key in result.keys()]  # noqa: SIM118 - a Result, not a dict
            return [dict(zip(names, row, strict=True)) for row in result]
    finally:
        engine.dispose()


RESERVED_FIELDS = ("session", "rows", "file", "online", "access", "level")  # Oracle reserved words


def test_fields_named_like_oracle_reserved_words_load(warehouse_url: str) -> None:
    schema = {
        "properties": {
            "id": {"type": "integer"},
            "mod_ts": {"type": "string", "format": "date-time"},
            **{name: {"type": ["string", "null"]} for name in RESERVED_FIELDS},
        }
    }
    record = {
        "id": 1,
        "mod_ts": "2026-01-01T00:00:00Z",
        **{name: f"{name}-value" for name in RESERVED_FIELDS},
    }
    messages = [
        {"type": "SCHEMA", "stream": "allocation", "schema": schema, "key_properties": ["id"]},
        {"type": "RECORD", "stream": "allocation", "record": record},
    ]
    run_target({"sqlalchemy_url": warehouse_url}, "".join(json.dumps(m) + "\n" for m in messages))
    (row,) = _rows_by_column(warehouse_url)
    assert {name: row[name] for name in RESERVED_FIELDS} == {
        name: f"{name}-value" for name in RESERVED_FIELDS
    }


def test_two_versions_in_the_same_second_are_both_kept(warehouse_url: str) -> None:
    """mod_ts keeps microseconds: versions 1 µs apart are two versions, in one batch or across two."""
    schema = {"properties": {"id": {"type": "integer"}, "mod_ts": {"type": "string", "format": "date-time"}}}

    def singer(*stamps: str) -> str:
        messages: list[dict[str, Any]] = [
            {"type": "SCHEMA", "stream": "allocation", "schema": schema, "key_properties": ["id"]}
        ]
        messages += [
            {"type": "RECORD", "stream": "allocation", "record": {"id": 1, "mod_ts": s}} for s in stamps
        ]
        return "".join(json.dumps(m) + "\n" for m in messages)

    run_target(
        {"sqlalchemy_url": warehouse_url},
        singer("2026-01-01T00:00:00.000001Z", "2026-01-01T00:00:00.000002Z"),
    )
    run_target({"sqlalchemy_url": warehouse_url}, singer("2026-01-01T00:00:00.000003Z"))
    stamps = [row["mod_ts"] for row in _rows_by_column(warehouse_url)]
    first = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    # PostgreSQL and DuckDB give aware UTC, Oracle naive UTC.
    assert [stamp.replace(tzinfo=dt.UTC) for stamp in stamps] == [
        first.replace(microsecond=m) for m in (1, 2, 3)
    ]
    inserted = query(warehouse_url, "SELECT SUM(records_inserted) FROM wms_raw.etl_load_audit")
    assert [int(n) for (n,) in inserted] == [3]
