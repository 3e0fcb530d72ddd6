"""The raw tables target-warehouse writes (docs/architecture.md), as far as the dbt project reads them.

Used only to stand in for the loader in the dbt tests: it creates the tables in a DuckDB file or a
PostgreSQL database and inserts scripted rows. Column names follow the flattened WMS fields
(an FK object `X_id` became `X_id` + `X_key`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

AUDIT = [
    ("create_user", "varchar"),
    ("create_ts", "timestamptz"),
    ("mod_user", "varchar"),
    ("mod_ts", "timestamptz"),
]
ETL = [("etl_extracted_at", "timestamptz"), ("etl_loaded_at", "timestamptz"), ("etl_run_id", "varchar")]


def _fk(name: str) -> list[tuple[str, str]]:
    return [(f"{name}_id", "bigint"), (f"{name}_key", "varchar")]


ENTITY_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "order_hdr": [
        *_fk("facility"),
        *_fk("company"),
        ("order_nbr", "varchar"),
        *_fk("order_type"),
        ("status_id", "integer"),
        *_fk("destination_company"),
        ("cust_nbr", "varchar"),
        ("cust_name", "varchar"),
        ("shipto_city", "varchar"),
        ("shipto_country", "varchar"),
        ("ref_nbr", "varchar"),
        ("sales_order_nbr", "varchar"),
        ("customer_po_nbr", "varchar"),
        ("priority", "integer"),
        ("ord_date", "date"),
        ("req_ship_date", "date"),
        ("sched_ship_date", "date"),
        ("order_shipped_ts", "timestamptz"),
        ("total_orig_ord_qty", "numeric(18,4)"),
    ],
    "order_dtl": [
        *_fk("order"),
        ("seq_nbr", "integer"),
        *_fk("item"),
        ("status_id", "integer"),
        ("ord_qty", "numeric(18,4)"),
        ("orig_ord_qty", "numeric(18,4)"),
        ("alloc_qty", "numeric(18,4)"),
        *_fk("uom"),
    ],
    "allocation": [
        *_fk("order_dtl"),
        *_fk("from_inventory"),
        *_fk("to_inventory"),
        ("status_id", "integer"),
        ("alloc_qty", "numeric(18,4)"),
        ("packed_qty", "numeric(18,4)"),
        *_fk("alloc_uom"),
        *_fk("type"),
        *_fk("wave"),
        *_fk("task"),
        ("pick_user", "varchar"),
        ("pick_locn_str", "varchar"),
        ("picked_ts", "timestamptz"),
        ("is_picking_flg", "boolean"),
    ],
    "order_status": [("description", "varchar")],
    "allocation_status": [("description", "varchar")],
    "facility": [
        ("code", "varchar"),
        ("name", "varchar"),
        ("city", "varchar"),
        ("state", "varchar"),
        ("country", "varchar"),
        *_fk("parent_company"),
        *_fk("time_zone"),
    ],
    "company": [("code", "varchar"), ("name", "varchar"), *_fk("company_type")],
    "item": [*_fk("company"), ("code", "varchar"), ("description", "varchar"), ("barcode", "varchar")],
    "location": [
        *_fk("facility"),
        ("locn_str", "varchar"),
        ("barcode", "varchar"),
        ("area", "varchar"),
        ("aisle", "varchar"),
        ("bay", "varchar"),
        *_fk("type"),
        ("pick_zone", "varchar"),
        ("alloc_zone", "varchar"),
    ],
    "inventory": [
        *_fk("facility"),
        *_fk("item"),
        ("location_id", "bigint"),
        *_fk("container"),
        ("status_id", "integer"),
        ("curr_qty", "numeric(18,4)"),
        ("orig_qty", "numeric(18,4)"),
    ],
}

BOOKKEEPING_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "etl_full_sync_seen": [("sync_id", "varchar"), ("stream_name", "varchar"), ("record_id", "bigint")],
    "etl_full_sync_complete": [
        ("sync_id", "varchar"),
        ("stream_name", "varchar"),
        ("window_end", "timestamptz"),
        ("completed_at", "timestamptz"),
    ],
    "etl_full_sync_decision": [
        ("sync_id", "varchar"),
        ("stream_name", "varchar"),
        ("status", "varchar"),
        ("scope", "varchar"),
        ("previous_scope", "varchar"),
        ("live_records", "bigint"),
        ("would_mark", "bigint"),
        ("purged", "bigint"),
        ("deletion_cutoff", "timestamptz"),
        ("purge_before", "timestamptz"),
        ("decided_at", "timestamptz"),
        ("reason", "varchar"),
    ],
}


def table_columns() -> dict[str, list[tuple[str, str]]]:
    """Every raw table with its (column, type) list; entity tables get id, audit and etl columns."""
    tables = {name: [("id", "bigint"), *AUDIT, *columns, *ETL] for name, columns in ENTITY_COLUMNS.items()}
    tables.update(BOOKKEEPING_COLUMNS)
    return tables


def ddl_statements(schema: str) -> list[str]:
    """CREATE SCHEMA/TABLE statements valid on both DuckDB and PostgreSQL."""
    statements = [f"create schema if not exists {schema}"]
    for table, columns in table_columns().items():
        body = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
        statements.append(f"create table {schema}.{table} ({body})")
    return statements


def insert_statement(schema: str, table: str, placeholder: str) -> tuple[str, list[str]]:
    """An INSERT for every column of `table`, with the driver's placeholder ('?' or '%s')."""
    names = [name for name, _ in table_columns()[table]]
    marks = ", ".join(placeholder for _ in names)
    return f"insert into {schema}.{table} ({', '.join(names)}) values ({marks})", names


def as_parameters(names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows as positional tuples; a column a row does not mention is NULL, an unknown one is an error."""
    known = set(names)
    for row in rows:
        unknown = set(row) - known
        if unknown:
            raise ValueError(f"scripted row has columns the raw table lacks: {sorted(unknown)}")
    return [tuple(row.get(name) for name in names) for row in rows]
