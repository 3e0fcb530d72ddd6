"""Schema and stream names that reach SQL are rejected or quoted: a hostile name never executes.

A sentinel table in another schema must survive every attempt, and when the loader accepts a name,
the object it creates carries exactly that name (quoted), with the records in it.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from warehouse_testing import query, run_target

HOSTILE = [
    'wms"; drop table public.sentinel; --',
    "wms'; drop table public.sentinel; --",
    "wms; drop table public.sentinel",
    "../../etc",
    "wms -- comment",
    "wms/*x*/",
    "ünïcødé",
    "a" * 100,  # longer than PostgreSQL's 63-character identifiers
]
SCHEMA = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "mod_ts": {"type": "string", "format": "date-time"}},
}


def _singer(stream: str) -> str:
    messages = [
        {"type": "SCHEMA", "stream": stream, "schema": SCHEMA, "key_properties": ["id"]},
        {"type": "RECORD", "stream": stream, "record": {"id": 1, "mod_ts": "2026-01-01T00:00:00+00:00"}},
    ]
    return "\n".join(json.dumps(message) for message in messages) + "\n"


@pytest.fixture
def sentinel(postgres_url: str) -> str:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table public.sentinel (x integer)"))
        conn.execute(sa.text("insert into public.sentinel values (42)"))
    engine.dispose()
    return postgres_url


def _schemas(url: str) -> set[str]:
    rows = query(url, "select schema_name from information_schema.schemata")
    return {row[0] for row in rows if not row[0].startswith(("pg_temp_", "pg_toast_temp_"))}  # staging


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_schema_name_is_quoted_or_rejected(sentinel: str, hostile: str) -> None:
    before = _schemas(sentinel)
    try:
        run_target({"sqlalchemy_url": sentinel, "default_target_schema": hostile}, _singer("allocation"))
    except Exception as exc:  # a clear refusal is an accepted outcome
        refusal = str(exc)
    else:
        refusal = ""
    if refusal:
        assert "schema" in refusal.lower(), refusal
    else:
        created = _schemas(sentinel) - before
        assert len(created) == 1, created
        (name,) = created
        assert name in {hostile.lower(), hostile} or name.startswith(hostile.lower()[:50])
        quoted = name.replace('"', '""')
        assert query(sentinel, f'select id from "{quoted}".allocation') == [(1,)]
    assert query(sentinel, "select x from public.sentinel") == [(42,)]


@pytest.mark.parametrize("hostile", HOSTILE[:3])
def test_hostile_stream_name_is_conformed_or_refused(sentinel: str, hostile: str) -> None:
    tables_sql = "select table_name from information_schema.tables where table_schema = 'wms_raw'"
    try:
        run_target({"sqlalchemy_url": sentinel}, _singer(hostile))
    except Exception:
        refused = True
    else:
        refused = False
    tables = {row[0] for row in query(sentinel, tables_sql)} if not refused else set()
    raw_tables = {name for name in tables if not name.startswith("etl_")}
    # Accepted names are conformed by the SDK to a plain snake_case identifier.
    assert all(name.replace("_", "").isalnum() for name in raw_tables), raw_tables
    assert refused or len(raw_tables) == 1
    assert query(sentinel, "select x from public.sentinel") == [(42,)]
