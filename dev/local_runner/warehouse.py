"""Read back what a run left in the warehouse, for the summary and for the tests."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

RAW_SCHEMA = "wms_raw"


def duckdb_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def raw_versions(path: Path, entity: str) -> set[tuple[int, datetime]]:
    """Every (id, mod_ts) version the raw history table of `entity` holds."""
    return {
        (int(row[0]), row[1]) for row in duckdb_rows(path, f"select id, mod_ts from {RAW_SCHEMA}.{entity}")
    }


def load_audit(path: Path) -> dict[str, tuple[int, int, int, int]]:
    """Per stream: received, inserted, already present, quarantined (summed over runs)."""
    rows = duckdb_rows(
        path,
        f"select stream_name, sum(records_received), sum(records_inserted), sum(records_already_present), "
        f"sum(records_quarantined) from {RAW_SCHEMA}.etl_load_audit group by stream_name",
    )
    return {str(r[0]): (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}


def task_states(airflow_home: Path, dag_id: str) -> dict[str, str]:
    """Task states of the newest run of `dag_id`, read from the local metadata DB.

    Mapped task instances are keyed `task_id[map_index]`.
    """
    with sqlite3.connect(airflow_home / "airflow.db") as conn:
        rows = conn.execute(
            "select task_id, map_index, state from task_instance where dag_id = ? and run_id = "
            "(select run_id from dag_run where dag_id = ? order by id desc limit 1)",
            (dag_id, dag_id),
        ).fetchall()
    return {(f"{task}[{index}]" if index >= 0 else str(task)): str(state) for task, index, state in rows}


class WarehouseReader:
    """Read-only queries on the local warehouse: a DuckDB file or a PostgreSQL database."""

    def __init__(self, kind: str, target: str) -> None:
        self.kind, self.target = kind, target

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.kind == "duckdb":
            return duckdb_rows(Path(self.target), sql)
        import psycopg

        with psycopg.connect(self.target) as conn:
            return list(conn.execute(sql).fetchall())

    def audit_by_run(self, run_prefix: str) -> dict[str, tuple[int, int, int, int]]:
        """Per stream, for runs whose id starts with `run_prefix`: received, inserted, present, quarantined."""
        rows = self.rows(
            "select stream_name, sum(records_received), sum(records_inserted), sum(records_already_present), "
            f"sum(records_quarantined) from {RAW_SCHEMA}.etl_load_audit "
            f"where run_id like '{run_prefix.replace(chr(39), chr(39) * 2)}%' group by stream_name"
        )
        return {str(r[0]): (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}

    def count(self, table: str) -> int:
        [(value,)] = self.rows(f"select count(*) from {table}")
        return int(value)
