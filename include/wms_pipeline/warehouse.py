"""The warehouse, as seen from an Airflow connection: what the loader and dbt need to reach it.

Credentials are returned separately from the URL so that the URL can be logged and rendered safely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote


class ConnectionLike(Protocol):
    """The fields of an Airflow Connection we read (duck-typed so tests need no metadata DB)."""

    conn_id: str
    conn_type: str | None
    host: str | None
    port: int | None
    schema: str | None
    login: str | None
    password: str | None

    @property
    def extra_dejson(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class WarehouseTarget:
    """Loader settings for one warehouse; `url` never contains a password."""

    kind: str
    url: str
    username: str | None
    password: str | None


def _required(conn: ConnectionLike, field: str) -> str:
    value = getattr(conn, field)
    if not value:
        raise ValueError(f"Airflow connection {conn.conn_id!r} has no {field}: set it to reach the warehouse")
    return str(value)


# An Oracle database name (DB_NAME) is a nonquoted identifier: a letter, then letters, digits, _ $ #.
_ORACLE_DB_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_$#]{0,127}")


def oracle_db_name(conn: ConnectionLike) -> str:
    """The Oracle connection's extra.database: the DB_NAME that dbt's `database` must be.

    dbt-oracle files every relation it lists under SYS_CONTEXT('userenv','DB_NAME') and looks relations
    up under the profile's `database`; when the two differ it finds none of its tables and re-creates
    them (ORA-00955 from the second run). The service name is often not the DB_NAME (a PDB service
    with a domain, an Autonomous Database `xyz_high`), so it is never used in its place.
    """
    value = str(conn.extra_dejson.get("database") or "").strip()
    if not value:
        raise ValueError(
            f"Airflow connection {conn.conn_id!r} needs extra.database for dbt: set it to the value of "
            "SELECT SYS_CONTEXT('userenv','DB_NAME') FROM dual (not the service name)"
        )
    if not _ORACLE_DB_NAME.fullmatch(value):
        raise ValueError(
            f"Airflow connection {conn.conn_id!r} has extra.database {value!r}, which is not an Oracle "
            "database name: set it to the value of SELECT SYS_CONTEXT('userenv','DB_NAME') FROM dual"
        )
    return value


def warehouse_target(conn: ConnectionLike) -> WarehouseTarget:
    """Translate the warehouse connection into target-warehouse settings."""
    kind = (conn.conn_type or "").lower()
    if kind == "duckdb":
        return WarehouseTarget("duckdb", f"duckdb:///{_required(conn, 'host')}", None, None)
    if kind in {"postgres", "postgresql"}:
        host, database = _required(conn, "host"), _required(conn, "schema")
        url = f"postgresql+psycopg://{host}:{conn.port or 5432}/{quote(database)}"
        return WarehouseTarget("postgres", url, conn.login, conn.password)
    if kind == "oracle":
        extra = conn.extra_dejson
        host = _required(conn, "host")
        if extra.get("dsn"):
            url = f"oracle+oracledb://@?dsn={quote(str(extra['dsn']), safe='')}"
        else:
            # Cosmos reads extra.service_name only (it does not fall back to the schema field as
            # OracleHook does), so we require the same field to keep both on the same database.
            service = extra.get("service_name")
            if not service:
                raise ValueError(
                    f"Airflow connection {conn.conn_id!r} needs extra.service_name (the Oracle service)"
                )
            url = f"oracle+oracledb://{host}:{conn.port or 1521}/?service_name={quote(str(service))}"
        return WarehouseTarget("oracle", url, conn.login, conn.password)
    raise ValueError(
        f"Airflow connection {conn.conn_id!r} has conn_type {conn.conn_type!r}; "
        "use duckdb, postgres or oracle for the warehouse"
    )
