"""The key-scan full sync's read of the raw history on Oracle: `write_known_versions` through Airflow's
OracleHook, as the extract task runs it on a worker, against the Oracle stand-in, which checks each
statement against Oracle's rules (dev/oracle_standin/README.md).

The raw table exists because the real loader created it through the stand-in. The stand-in keeps the
catalog, not rows: what this shows is that the statements are ones Oracle accepts and bind what they
should; that the versions written are the right ones is shown on DuckDB and PostgreSQL
(tests/include/test_key_scan.py, which also reads a naive TIMESTAMP(6) value as UTC, as Oracle returns it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from include.wms_pipeline import settings

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "dev" / "oracle_standin" / "src"))

from oracle_standin.testing import AIRFLOW_CONNECTION, StandIn, create_raw_tables, running_standin  # noqa: E402

WRITE = """
import json, pathlib, sys
from include.wms_pipeline.key_scan import write_known_versions
from include.wms_pipeline.partitions import IdPartition
out = pathlib.Path(sys.argv[1])
partition = IdPartition(index=2, id_min=40_001, id_max=60_000)
written = {"allocation": write_known_versions("allocation", partition, out),
           "order_hdr": write_known_versions("order_hdr", None, out)}
print(json.dumps({"written": written, "file": out.read_text()}))
"""


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    """The stand-in holding the raw allocation table as the real loader creates it (order_hdr absent)."""
    with running_standin() as standin:
        create_raw_tables(
            standin, ["allocation"], settings.RAW_SCHEMA, work_dir=tmp_path_factory.mktemp("loader")
        )
        yield standin


def _write_in_worker(oracle: StandIn, out: Path) -> dict[str, Any]:
    """WRITE in a fresh Airflow-environment process (the worker) whose `oracledb` is the stand-in's shim."""
    env = oracle.environment("worker")
    env["PYTHONPATH"] = f"{env['PYTHONPATH']}:{REPO}"
    env["TZ"] = "America/Sao_Paulo"
    env["WMS_WAREHOUSE_KIND"] = "oracle"
    env[f"AIRFLOW_CONN_{settings.WAREHOUSE_CONN_ID.upper()}"] = json.dumps(AIRFLOW_CONNECTION)
    result = subprocess.run(
        [sys.executable, "-c", WRITE, str(out)],
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_the_partitions_versions_are_read_with_statements_oracle_accepts(
    oracle: StandIn, tmp_path: Path
) -> None:
    oracle.reset_log()

    answer = _write_in_worker(oracle, tmp_path / "known.tsv")

    # The stand-in holds no rows: nothing known, for the existing table and the absent one alike.
    assert answer == {"written": {"allocation": 0, "order_hdr": 0}, "file": ""}
    report = oracle.report()
    assert report.violations == [], json.dumps(report.violations, indent=1)
    assert report.errors() == [], report.errors()
    assert report.unanalysed() == [], [s["sql"][:200] for s in report.unanalysed()]
    lookups = [s for s in report.statements if "from all_tables" in s["sql"].lower()]
    # The dictionary is asked in upper case (Oracle's stored names), both names bound.
    assert [s["binds"][0] for s in lookups] == [["WMS_RAW", "ALLOCATION"], ["WMS_RAW", "ORDER_HDR"]]
    reads = [s for s in report.statements if s["sql"].lower().startswith("select id, mod_ts from")]
    # Only the table that exists is read; the partition's id range is bound, not written into the SQL.
    assert [s["sql"] for s in reads] == [
        f"select id, mod_ts from {settings.RAW_SCHEMA}.allocation where id >= :1 and id <= :2"
    ]
    assert reads[0]["binds"][0] == [40_001, 60_000]
    assert reads[0]["bind_types"] == ["DB_TYPE_NUMBER", "DB_TYPE_NUMBER"]
