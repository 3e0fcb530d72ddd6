"""Wide streams get fewer rows per batch, so a batch's memory does not grow with the stream's width."""

from __future__ import annotations

import json
from pathlib import Path

from warehouse_testing import query, run_target

from target_warehouse.sinks import DEFAULT_BATCH_SIZE_ROWS, DEFAULT_BATCH_SIZE_VALUES, batch_rows

# order_hdr's width: 131 fields with id and mod_ts (tap_oracle_wms/schemas/order_hdr.json).
FIELDS = [f"field_{n:03d}" for n in range(129)]
RECORDS = 60_000  # more than two batches of the row default: the second one ran DuckDB out of memory


def test_narrow_streams_keep_the_row_batch_size() -> None:
    assert batch_rows(rows=DEFAULT_BATCH_SIZE_ROWS, values=DEFAULT_BATCH_SIZE_VALUES, columns=37) == 25_000


def test_wide_streams_get_rows_in_proportion_to_their_width() -> None:
    assert batch_rows(rows=25_000, values=1_000_000, columns=134) == 7_462
    assert batch_rows(rows=25_000, values=1_000_000, columns=2_000_000) == 1
    assert batch_rows(rows=10, values=1_000_000, columns=134) == 10


def _wide_stream() -> str:
    properties = {"id": {"type": "integer"}, "mod_ts": {"type": "string", "format": "date-time"}}
    properties |= {name: {"type": ["string", "null"]} for name in FIELDS}
    lines = [
        json.dumps(
            {
                "type": "SCHEMA",
                "stream": "wide",
                "schema": {"properties": properties},
                "key_properties": ["id"],
            }
        )
    ]
    values = ", ".join(f'"{name}": "{name}-value-{{n}}"' for name in FIELDS)
    template = (
        '{{"type": "RECORD", "stream": "wide", "record": {{"id": {n}, "mod_ts": "2026-01-01T00:00:00Z", '
        + values
        + "}}}}"
    )
    lines += [template.format(n=n) for n in range(RECORDS)]
    return "\n".join(lines) + "\n"


def test_a_wide_stream_loads_into_duckdb_with_the_shipped_settings(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    run_target({"sqlalchemy_url": url}, _wide_stream())
    assert query(url, "SELECT COUNT(*), COUNT(DISTINCT id), MAX(id) FROM wms_raw.wide") == [
        (RECORDS, RECORDS, RECORDS - 1)
    ]
    last = query(url, f"SELECT {', '.join(FIELDS)} FROM wms_raw.wide WHERE id = {RECORDS - 1}")
    assert last == [tuple(f"{name}-value-{RECORDS - 1}" for name in FIELDS)]
