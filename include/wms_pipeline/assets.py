"""The warehouse tables the load tasks write, as Airflow Assets. Every URI is defined here, once.

Production uses the Oracle provider's form `oracle://host:port/service/schema/table`; set its base
(`oracle://host:port/service`) in WMS_WAREHOUSE_ASSET_BASE. It is read from the environment because a
DAG file must not look up connections while it is parsed.
"""

from __future__ import annotations

import os

from airflow.sdk import Asset

from include.wms_pipeline import settings

_DEFAULT_BASES = {
    "duckdb": "duckdb://localhost/warehouse",
    "postgres": "postgres://localhost:5432/warehouse",
    "oracle": "oracle://localhost:1521/WAREHOUSE",
}


def asset_base(kind: str, environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("WMS_WAREHOUSE_ASSET_BASE", "").rstrip("/") or _DEFAULT_BASES[kind]


def raw_table(entity: str, kind: str, environ: dict[str, str] | None = None) -> Asset:
    """The raw history table of one entity."""
    schema, table = settings.RAW_SCHEMA, entity
    if kind == "oracle":
        schema, table = schema.upper(), table.upper()
    return Asset(
        uri=f"{asset_base(kind, environ)}/{schema}/{table}", name=f"wms_raw.{entity}", group="wms_raw"
    )
