"""SIGKILL in the middle of a large load, then a rerun, leaves exactly what one clean run leaves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from warehouse_testing import query

RECORDS = 60_000
COMPARED = (
    "SELECT id, mod_ts, status_id, pick_user, etl_extracted_at FROM wms_raw.allocation ORDER BY id, mod_ts"
)


def _write_large_file(path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "mod_ts": {"type": "string", "format": "date-time"},
            "status_id": {"type": ["integer", "null"]},
            "pick_user": {"type": ["string", "null"], "maxLength": 30},
        },
    }
    with path.open("w") as out:
        out.write(
            json.dumps({"type": "SCHEMA", "stream": "allocation", "schema": schema, "key_properties": ["id"]})
        )
        out.write("\n")
        for n in range(RECORDS):
            record = {
                "id": n // 2,
                "mod_ts": f"2025-01-01T00:{n % 2:02d}:00+00:00",
                "status_id": n % 7,
                "pick_user": f"user{n % 13}",
            }
            out.write(
                json.dumps(
                    {
                        "type": "RECORD",
                        "stream": "allocation",
                        "record": record,
                        "time_extracted": "2025-01-02T00:00:00+00:00",
                    }
                )
                + "\n"
            )
        out.write(json.dumps({"type": "STATE", "value": {"done": True}}) + "\n")


def _start(config: Path, data: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "target_warehouse.target", "--config", str(config)],
        stdin=data.open(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _config(tmp_path: Path, name: str) -> tuple[Path, str]:
    url = f"duckdb:///{tmp_path / name}"
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"sqlalchemy_url": url, "batch_size_rows": 5000}))
    return path, url


def test_sigkill_then_rerun_equals_one_clean_run(tmp_path: Path) -> None:
    data = tmp_path / "large.singer"
    _write_large_file(data)
    clean_config, clean_url = _config(tmp_path, "clean.duckdb")
    assert _start(clean_config, data).wait(timeout=120) == 0

    killed_config, killed_url = _config(tmp_path, "killed.duckdb")
    process = _start(killed_config, data)
    assert process.stderr is not None
    committed = 0
    for line in process.stderr:  # kill once some batches are committed, mid-load
        committed += "Committed batch" in line
        if committed == 3:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    partial = query(killed_url, "SELECT COUNT(*) FROM wms_raw.allocation")[0][0]
    assert 0 < partial < RECORDS  # the kill really happened mid-load, on a batch boundary
    assert partial % 5000 == 0

    assert _start(killed_config, data).wait(timeout=120) == 0
    assert query(killed_url, COMPARED) == query(clean_url, COMPARED)
    assert query(killed_url, "SELECT COUNT(*) FROM wms_raw.allocation") == [(RECORDS,)]
