"""Names and paths that the DAGs, scripts and tests share. Defined once; no I/O at import.

Paths default to the repository layout and can be moved by environment variables, which is how the
Astro image keeps tool virtualenvs and build artefacts outside the bind-mounted folders.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Airflow connections.
WMS_CONN_ID = "oracle_wms"
WAREHOUSE_CONN_ID = "wms_warehouse"  # the loader and the full-sync bookkeeping (raw schema)
SLACK_CONN_ID = "wms_alerts_slack"
SMTP_CONN_ID = "wms_alerts_smtp"

# Pools. Every request to the WMS goes through the first; DuckDB allows one writing process.
WMS_API_POOL = "oracle_wms_api"
DUCKDB_WRITER_POOL = "wms_duckdb_writer"
# PostgreSQL and Oracle: the dbt stage, the checks and finalize_full_sync, one task at a time across
# scheduled, manual and backfill runs (backfill runs do not count toward max_active_runs).
TRANSFORM_POOL = "wms_transform"

# Airflow Variables (also settable as AIRFLOW_VAR_<NAME> in the environment).
ALERT_EMAILS_VARIABLE = "wms_alert_emails"

WAREHOUSE_KINDS = ("duckdb", "postgres", "oracle")

ENTITIES_CORE = ("allocation", "order_hdr", "order_dtl")
ENTITIES_ALL = (
    "order_status",
    "allocation_status",
    "facility",
    "company",
    "item",
    "location",
    "inventory",
    *ENTITIES_CORE,
)

RAW_SCHEMA = "wms_raw"
# Where dbt builds the models (Cosmos profile schema); on Oracle, the schema the dbt user writes to.
DBT_SCHEMA_DEFAULT = "wms"

# The longest stretch of unloaded time a scheduled incremental run reads on its own (WMS_MAX_CATCH_UP_HOURS):
# 72 hours covers a weekend's outage or pause (Friday evening to Monday morning is about 63 hours) in one
# run of about 36 two-hour intervals' changes. Beyond it the run fails and on-call chooses between the
# full sync (current state) and a backfill (every version), see docs/runbook.md.
MAX_CATCH_UP_HOURS_DEFAULT = 72

# Entities whose full sync is split into id-range partitions (the rest are small lookups).
PARTITIONED_ENTITIES = ("allocation", "order_dtl", "order_hdr", "inventory")


@dataclass(frozen=True)
class Paths:
    """Where tools and artefacts are on this machine (repository checkout or Astro image)."""

    venvs: Path
    state: Path
    meltano_project: Path
    meltano_sys_dir: Path
    dbt_project: Path
    dbt_manifest: Path

    @property
    def meltano(self) -> Path:
        return self.venvs / "meltano" / "bin" / "meltano"

    @property
    def dbt(self) -> Path:
        return self.venvs / "dbt" / "bin" / "dbt"


def paths(environ: dict[str, str] | None = None) -> Paths:
    """Resolve tool and artefact paths from the environment (see scripts/lib/common.sh)."""
    env = os.environ if environ is None else environ
    venvs = Path(env.get("WMS_VENVS_DIR", PROJECT_ROOT / ".venvs"))
    state = Path(env.get("WMS_STATE_DIR", PROJECT_ROOT / ".local"))
    return Paths(
        venvs=venvs,
        state=state,
        meltano_project=PROJECT_ROOT / "include" / "meltano",
        meltano_sys_dir=Path(env.get("MELTANO_SYS_DIR_ROOT", state / "meltano")),
        dbt_project=PROJECT_ROOT / "include" / "dbt" / "wms",
        # Its own directory, never a dbt run's target path (see scripts/lib/common.sh).
        dbt_manifest=Path(env.get("WMS_DBT_MANIFEST_PATH", state / "dbt" / "manifest" / "manifest.json")),
    )


# Schema names go into SQL text as identifiers (bind values cannot name a table), so they must be
# plain, unquoted, lowercase names that every warehouse reads the same way (Oracle: at most 30 bytes).
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,29}")


def schema_name(value: str, setting: str) -> str:
    """`value` when it is a plain schema name; a clear error naming `setting` otherwise."""
    if not SCHEMA_NAME.fullmatch(value):
        raise ValueError(
            f"{setting} must be a plain lowercase schema name (letters, digits, _; at most 30; "
            f"not starting with a digit); got {value!r}"
        )
    return value


def entity_names(values: tuple[str, ...] | list[str], setting: str) -> tuple[str, ...]:
    """`values` when every one is an entity of the product (ENTITIES_ALL); a clear error otherwise."""
    unknown = [value for value in values if value not in ENTITIES_ALL]
    if unknown:
        raise ValueError(f"{setting} has entities {unknown!r} that are not in {list(ENTITIES_ALL)}")
    return tuple(values)


def dbt_schema(environ: dict[str, str] | None = None) -> str:
    """The schema dbt builds the models in, from WMS_DBT_SCHEMA (checked: it is written into SQL)."""
    env = os.environ if environ is None else environ
    return schema_name(env.get("WMS_DBT_SCHEMA", DBT_SCHEMA_DEFAULT), "WMS_DBT_SCHEMA")


# Airflow connection ids are plain names; this one is read from the environment and ends up in a
# connection lookup only, but a typo should fail at parse time naming the variable.
_CONN_ID = re.compile(r"[A-Za-z0-9_.-]{1,250}")


def dbt_conn_id(environ: dict[str, str] | None = None) -> str:
    """The connection dbt and the SQL checks use, from WMS_DBT_CONN_ID (the loader's by default).

    On Oracle with the least-privilege users of docs/oracle/provision.sql the loader logs in as the raw
    schema's owner and dbt as the models' owner, which also reads the raw tables (the loader grants it
    SELECT on each table it creates): set WMS_DBT_CONN_ID=wms_warehouse_dbt and define that connection.
    """
    env = os.environ if environ is None else environ
    value = env.get("WMS_DBT_CONN_ID", "").strip() or WAREHOUSE_CONN_ID
    if not _CONN_ID.fullmatch(value):
        raise ValueError(f"WMS_DBT_CONN_ID must be an Airflow connection id; got {value!r}")
    return value


def warehouse_kind(environ: dict[str, str] | None = None) -> str:
    """The warehouse the DAGs write to, from WMS_WAREHOUSE_KIND (duckdb by default).

    It is read from the environment rather than from the connection because DAG parsing must not
    touch the metadata database, and the Cosmos profile mapping is chosen at parse time.
    """
    env = os.environ if environ is None else environ
    kind = env.get("WMS_WAREHOUSE_KIND", "duckdb").strip().lower()
    if kind not in WAREHOUSE_KINDS:
        raise ValueError(f"WMS_WAREHOUSE_KIND must be one of {', '.join(WAREHOUSE_KINDS)}; got {kind!r}")
    return kind


def int_setting(name: str, default: int, *, minimum: int, environ: dict[str, str] | None = None) -> int:
    """An integer from the environment variable `name`, or `default` when it is unset or empty."""
    env = os.environ if environ is None else environ
    raw = env.get(name, "").strip()
    if not raw:
        return default
    problem = ValueError(f"{name} must be a whole number of at least {minimum}; got {raw!r}")
    try:
        value = int(raw)
    except ValueError:
        raise problem from None
    if value < minimum:
        raise problem
    return value


FULL_SYNC_MODES = ("keys", "records")


def full_sync_mode(environ: dict[str, str] | None = None) -> str:
    """How the full sync reads the WMS, from WMS_FULL_SYNC_MODE: `keys` (default) reads id,mod_ts of
    every record and whole records only for versions the warehouse lacks; `records` reads every
    record whole (e.g. after a change to the loader's column mapping; docs/runbook.md)."""
    env = os.environ if environ is None else environ
    mode = env.get("WMS_FULL_SYNC_MODE", "").strip().lower() or "keys"
    if mode not in FULL_SYNC_MODES:
        raise ValueError(f"WMS_FULL_SYNC_MODE must be one of {', '.join(FULL_SYNC_MODES)}; got {mode!r}")
    return mode
